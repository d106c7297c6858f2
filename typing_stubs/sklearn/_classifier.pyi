import numpy as np
import numpy.typing as npt
from typing_extensions import Self

class Classifier:
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike,
            sample_weight: npt.ArrayLike | None = ...) -> Self: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
