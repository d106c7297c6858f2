from typing import Literal

import numpy as np
import numpy.typing as npt

def isotonic_regression(
    y: npt.ArrayLike,
    *,
    sample_weight: npt.ArrayLike | None = ...,
    y_min: float | None = ...,
    y_max: float | None = ...,
    increasing: bool = ...,
) -> npt.NDArray[np.float64]: ...

class IsotonicRegression:
    X_thresholds_: npt.NDArray[np.float64]
    y_thresholds_: npt.NDArray[np.float64]
    def __init__(
        self,
        *,
        y_min: float | None = ...,
        y_max: float | None = ...,
        increasing: bool | Literal["auto"] = ...,
        out_of_bounds: Literal["nan", "clip", "raise"] = ...,
    ) -> None: ...
    def fit(
        self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = ...
    ) -> IsotonicRegression: ...
    def predict(self, T: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
