# Narrow stubs: what bench/quality/ uses.
import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class GaussianNB(ClassifierMixin, BaseEstimator):
    def __init__(self) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> GaussianNB: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
