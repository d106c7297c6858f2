# Narrow stubs: what bench/quality/ uses.
import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class QuadraticDiscriminantAnalysis(ClassifierMixin, BaseEstimator):
    def __init__(self, *, solver: str = ..., shrinkage: float | str | None = ...) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> QuadraticDiscriminantAnalysis: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
