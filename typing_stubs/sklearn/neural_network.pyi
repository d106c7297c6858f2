# Narrow stubs: what bench/quality/ uses.
import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class MLPClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, hidden_layer_sizes: tuple[int, ...] = ..., *, alpha: float = ...,
                 max_iter: int = ..., random_state: int | None = ...) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> MLPClassifier: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
