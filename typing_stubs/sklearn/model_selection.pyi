from typing import Any

import numpy as np
import numpy.typing as npt

def train_test_split(
    *arrays: npt.NDArray[Any],
    test_size: float | int | None = ...,
    train_size: float | int | None = ...,
    random_state: int | None = ...,
    shuffle: bool = ...,
    stratify: npt.ArrayLike | None = ...,
) -> list[npt.NDArray[Any]]: ...
