"""Classifiers whose scores are their features, for scikit-learn's calibration of given scores
(``CalibratedClassifierCV(FrozenEstimator(model))``)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class GivenScores(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose class probabilities are its features: one column, the
    positive class's probability (binary); several, the class probabilities."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> GivenScores:
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] == 1:
            return np.column_stack([1.0 - x[:, 0], x[:, 0]])
        return x

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.predict_proba(x), axis=1)])


class GivenMargins(GivenScores):
    """A fitted binary classifier whose margin (``decision_function``) is its one feature."""

    predict_proba = None  # type: ignore[assignment]  # scikit-learn then calibrates margins

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x[:, 0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_[(x[:, 0] > 0.0).astype(int)])
