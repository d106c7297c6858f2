# Narrow stubs: what bench/quality/ and tests/script/ use.
import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class SVC(ClassifierMixin, BaseEstimator):
    def __init__(self, *, C: float = ..., kernel: str = ..., gamma: str | float = ...) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> SVC: ...
    def decision_function(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
