"""Scores of real models on scikit-learn's bundled data sets, split into a model-training part,
a small calibration part and a held-out test part (no network: the data ships with
scikit-learn)."""

from __future__ import annotations

import dataclasses
from typing import Callable, Protocol

import numpy as np
import numpy.typing as npt
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from calibration_step.script.model_calibration.numerics import FloatArray


class Classifier(Protocol):
    """What the tests use of a fitted scikit-learn classifier."""

    def predict_proba(self, X: npt.ArrayLike) -> FloatArray: ...


# data set -> the class scored one-vs-rest
DATASETS: dict[str, Callable[[], tuple[FloatArray, npt.NDArray[np.int64]]]] = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "iris": lambda: load_iris(return_X_y=True),
}
POSITIVE_CLASS = {"breast_cancer": 1, "digits": 3, "wine": 1, "iris": 1}
MODELS: dict[str, Callable[[FloatArray, FloatArray], Classifier]] = {
    "naive_bayes": lambda x, y: GaussianNB().fit(x, y),
    "random_forest": lambda x, y: RandomForestClassifier(n_estimators=30, random_state=0).fit(x, y),
    "logistic_c0.005": lambda x, y: LogisticRegression(C=0.005, max_iter=5000).fit(x, y),
}


@dataclasses.dataclass(frozen=True)
class RealSplit:
    """A model fitted on the training part, and the calibration and test parts it scored."""

    model: Classifier
    x_cal: FloatArray
    y_cal: FloatArray
    x_test: FloatArray
    y_test: FloatArray

    @property
    def cal_scores(self) -> FloatArray:
        return np.asarray(self.model.predict_proba(self.x_cal)[:, 1], dtype=np.float64)

    @property
    def test_scores(self) -> FloatArray:
        return np.asarray(self.model.predict_proba(self.x_test)[:, 1], dtype=np.float64)


def real_split(dataset: str, model: str, cal_rows: int, seed: int,
               positive: int | None = None) -> RealSplit:
    """``model`` trained on 40% of ``dataset`` (one-vs-rest for ``positive``, by default the
    data set's ``POSITIVE_CLASS``), ``cal_rows`` stratified calibration rows from the rest, and
    the remaining rows as the test part."""
    x, target = DATASETS[dataset]()
    y = (target == (POSITIVE_CLASS[dataset] if positive is None else positive)).astype(float)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=0.4, random_state=seed,
                                                        stratify=y)
    x_cal, x_test, y_cal, y_test = train_test_split(x_rest, y_rest, train_size=cal_rows,
                                                    random_state=seed, stratify=y_rest)
    fitted = MODELS[model](x_train, y_train)
    return RealSplit(fitted, x_cal, y_cal, x_test, y_test)


def log_loss(p: FloatArray, y: FloatArray) -> float:
    """Mean log loss of probabilities clipped to [1e-15, 1 - 1e-15]."""
    pc = np.clip(p, 1e-15, 1.0 - 1e-15)
    return float(-np.mean(np.where(y == 1.0, np.log(pc), np.log1p(-pc))))
