# Narrow stubs: only what tests/script/ uses (pygam ships no type hints).
import numpy as np
import numpy.typing as npt

class Term: ...

def s(
    feature: int,
    n_splines: int = ...,
    spline_order: int = ...,
    lam: float = ...,
    constraints: str | None = ...,
) -> Term: ...

class LogisticGAM:
    def __init__(self, terms: Term = ..., max_iter: int = ..., tol: float = ...) -> None: ...
    def fit(
        self, X: npt.ArrayLike, y: npt.ArrayLike, weights: npt.ArrayLike | None = ...
    ) -> LogisticGAM: ...
    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
