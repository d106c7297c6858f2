# Narrow stubs: what bench/quality/ uses.
import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class DecisionTreeClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, *, min_samples_leaf: int = ..., random_state: int | None = ...) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> DecisionTreeClassifier: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
