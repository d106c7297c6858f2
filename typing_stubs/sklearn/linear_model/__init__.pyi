import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class LogisticRegression(ClassifierMixin, BaseEstimator):
    coef_: npt.NDArray[np.float64]
    intercept_: npt.NDArray[np.float64]
    def __init__(
        self,
        penalty: str | None = ...,
        *,
        C: float = ...,
        tol: float = ...,
        fit_intercept: bool = ...,
        solver: str = ...,
        max_iter: int = ...,
    ) -> None: ...
    def fit(
        self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = ...
    ) -> LogisticRegression: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
