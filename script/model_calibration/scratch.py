"""Arrays kept from one chunk of a pass over the rows to the next (:class:`Scratch`)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .numerics import FloatArray


class Scratch:
    """Arrays kept from one chunk of a pass to the next, by name, each grown to the largest
    shape asked for (a little beyond, as chunks of rows vary in length): on this machine
    memory new to the process costs more than the arithmetic on it, and a temporary beyond
    glibc's mmap threshold (128 KiB unless it has raised it) may be new memory at every chunk.
    An array given out holds its values until its name is asked for again.

    >>> scratch = Scratch()
    >>> a = scratch.floats("a", (2, 3))
    >>> b = scratch.floats("a", (2, 2))
    >>> bool(np.shares_memory(a, b)), b.flags.c_contiguous, scratch.ones(3).tolist()
    (True, True, [1.0, 1.0, 1.0])
    """

    def __init__(self) -> None:
        self._floats: dict[str, FloatArray] = {}
        self._indices: dict[str, npt.NDArray[np.intp]] = {}
        self._ones: FloatArray = np.empty(0)
        self._places: npt.NDArray[np.intp] = np.empty(0, dtype=np.intp)

    def floats(self, name: str, shape: tuple[int, ...]) -> FloatArray:
        """A C-contiguous float array of ``shape`` (values undefined)."""
        size = math.prod(shape)
        kept = self._floats.get(name)
        if kept is None or kept.shape[0] < size:
            kept = self._floats[name] = np.empty(size + size // 8)
        out: FloatArray = kept[:size].reshape(shape)
        return out

    def indices(self, name: str, length: int) -> npt.NDArray[np.intp]:
        """An index array of ``length`` (values undefined)."""
        kept = self._indices.get(name)
        if kept is None or kept.shape[0] < length:
            kept = self._indices[name] = np.empty(length + length // 8, dtype=np.intp)
        return kept[:length]

    def ones(self, length: int) -> FloatArray:
        """``np.ones(length)``, not to be changed."""
        if self._ones.shape[0] < length:
            self._ones = np.ones(length + length // 8)
        return self._ones[:length]

    def places(self, length: int) -> npt.NDArray[np.intp]:
        """``np.arange(length)``, not to be changed."""
        if self._places.shape[0] < length:
            self._places = np.arange(length + length // 8, dtype=np.intp)
        return self._places[:length]
