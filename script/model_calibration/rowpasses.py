"""Passes over a binary task's kept rows, in chunks of ``BIN_CHUNK_ROWS`` rows.

The binned path needs every row only for passes that sum over them (binning, the Newton steps
of platt and beta on every row). :class:`ArrayRows` gives those passes over rows held in
memory; a streamed run (:mod:`.streaming`) gives them by reading the files again. Both cut the
rows into the same chunks (:func:`aligned_chunks`), so the sums, and every result, are the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any, Optional, Protocol

import numpy as np
import numpy.typing as npt

from . import limits
from .numerics import BoolArray, FloatArray

AnyArray = npt.NDArray[Any]

Chunk = tuple[FloatArray, BoolArray, Optional[FloatArray]]
"""A chunk of kept rows: scores, positive labels and weights (None: every row weighs 1)."""


class RowPasses(Protocol):
    """Passes over a task's kept rows."""

    @property
    def rows(self) -> int:
        """The number of kept rows."""

    @property
    def weighted(self) -> bool:
        """Whether the rows carry weights."""

    def chunks(self) -> Iterator[Chunk]:
        """One pass over the kept rows in order, in chunks of ``BIN_CHUNK_ROWS`` rows."""

    def arrays(self) -> Optional[Chunk]:
        """Every kept row at once, when they are in memory (None for a streamed run)."""


@dataclasses.dataclass(frozen=True)
class ArrayRows:
    """Passes over rows held in memory.

    >>> rows = ArrayRows(np.array([0.2, 0.7]), np.array([False, True]), None)
    >>> rows.rows, [c[0].tolist() for c in rows.chunks()]
    (2, [[0.2, 0.7]])
    """

    scores: FloatArray
    positive: BoolArray
    weights: Optional[FloatArray]

    @property
    def rows(self) -> int:
        return int(self.scores.shape[0])

    @property
    def weighted(self) -> bool:
        return self.weights is not None

    def chunks(self) -> Iterator[Chunk]:
        size = limits.BIN_CHUNK_ROWS
        for start in range(0, self.rows, size):
            part = slice(start, start + size)
            yield (self.scores[part], self.positive[part],
                   None if self.weights is None else self.weights[part])

    def arrays(self) -> Optional[Chunk]:
        return self.scores, self.positive, self.weights


def aligned_chunks(pieces: Iterable[tuple[Optional[AnyArray], ...]]
                   ) -> Iterator[tuple[Optional[AnyArray], ...]]:
    """Pieces of rows (tuples of equally long arrays, or None for a column there is not)
    regrouped into chunks of exactly ``BIN_CHUNK_ROWS`` rows (the last one shorter), the
    chunks :class:`ArrayRows` cuts the same rows into.

    >>> [c[0].tolist() for c in aligned_chunks([(np.arange(2), None), (np.arange(2, 5), None)])]
    [[0, 1, 2, 3, 4]]
    """
    size = limits.BIN_CHUNK_ROWS
    held: list[tuple[Optional[AnyArray], ...]] = []
    count = 0
    for piece in pieces:
        first = next(a for a in piece if a is not None)
        held.append(piece)
        count += int(first.shape[0])
        while count >= size:
            joined = _joined(held)
            yield tuple(None if a is None else a[:size] for a in joined)
            rest = tuple(None if a is None else a[size:] for a in joined)
            count -= size
            held = [rest] if count else []
    if count:
        yield _joined(held)


def _joined(pieces: list[tuple[Optional[AnyArray], ...]]
            ) -> tuple[Optional[AnyArray], ...]:
    if len(pieces) == 1:
        return pieces[0]
    return tuple(None if column[0] is None else np.concatenate(
        [a for a in column if a is not None]) for column in zip(*pieces))
