# Narrow stubs: only what tests/script/ uses of the venn-abers package (it ships no type hints).
import numpy as np
import numpy.typing as npt

class VennAbers:
    def __init__(self, setting: str = ...) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> VennAbers: ...
    def predict_proba(
        self, X: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
