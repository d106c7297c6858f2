from typing import Any

import numpy as np
import numpy.typing as npt

def train_test_split(
    *arrays: npt.ArrayLike,
    train_size: float | int | None = ...,
    random_state: int | None = ...,
    stratify: npt.ArrayLike | None = ...,
) -> list[npt.NDArray[Any]]: ...
