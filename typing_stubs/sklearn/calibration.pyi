# Narrow stubs: what bench/quality/ and tests/script/ use.
from typing import Literal

import numpy as np
import numpy.typing as npt

from sklearn.base import BaseEstimator, ClassifierMixin

class CalibratedClassifierCV(ClassifierMixin, BaseEstimator):
    def __init__(
        self,
        estimator: BaseEstimator | None = ...,
        *,
        method: Literal["sigmoid", "isotonic", "temperature"] = ...,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike,
            sample_weight: npt.ArrayLike | None = ...) -> CalibratedClassifierCV: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
