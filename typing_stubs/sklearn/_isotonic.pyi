import numpy as np
import numpy.typing as npt

def _make_unique(
    X: npt.NDArray[np.float64], y: npt.NDArray[np.float64], sample_weights: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
