# Narrow stubs: what bench/quality/ uses.
import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class KNeighborsClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, n_neighbors: int = ...) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> KNeighborsClassifier: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
