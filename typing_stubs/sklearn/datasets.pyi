# Narrow stubs: the bundled data sets and the generator that bench/quality/ uses.
from typing import Literal

import numpy as np
import numpy.typing as npt

def load_breast_cancer(
    *, return_X_y: Literal[True]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def load_digits(
    *, return_X_y: Literal[True]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def load_iris(
    *, return_X_y: Literal[True]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def load_wine(
    *, return_X_y: Literal[True]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def load_diabetes(
    *, return_X_y: Literal[True]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def make_classification(
    n_samples: int = ...,
    n_features: int = ...,
    *,
    n_informative: int = ...,
    n_redundant: int = ...,
    n_classes: int = ...,
    n_clusters_per_class: int = ...,
    weights: list[float] | None = ...,
    flip_y: float = ...,
    class_sep: float = ...,
    random_state: int | None = ...,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
