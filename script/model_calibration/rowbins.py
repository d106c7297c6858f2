"""Row bins: the kept rows' sufficient statistics over fine equal-width bins of their logit.

A task with many rows (``BINNED_MIN_ROWS``) is cross-fitted and evaluated on
``ROW_BINS`` bins per fold instead of its distinct scores: one pass over the rows, no sort.
Margins spread so wide that a bin would be wider than ``ROW_BIN_MAX_WIDTH`` are not binned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt

from . import limits
from .aggregation import Aggregated
from .jsonvalues import JsonDict
from .numerics import CLIP_EPSILON, BoolArray, FloatArray, IntArray, logit, sigmoid, weighted_count


@dataclasses.dataclass(frozen=True)
class RowBins:
    """The kept rows' sufficient statistics per (group, logit bin): ``(groups, bins)`` arrays.

    The score's logit (``logit(s, CLIP_EPSILON)`` for probabilities, the score itself in logit
    space) is cut into ``bins`` equal-width bins
    between its minimum ``lo`` and maximum ``hi``; a group is a cross-fitting fold (one group
    when there are no folds). ``n`` is each group and bin's weight (its row count without
    weights), ``k`` its positive weight and ``sum_z`` its weighted sum of logits, so
    ``sum_z / n`` is the bin's weighted mean logit: the value that stands for its rows.
    ``rows`` counts each group's rows and ``sum_w2`` sums their squared weights (for
    effective sample sizes).
    """

    bins: int
    lo: float
    hi: float
    n: FloatArray
    k: FloatArray
    sum_z: FloatArray
    rows: IntArray
    sum_w2: FloatArray
    clipped_rows: int

    def describe(self) -> JsonDict:
        """The binning, as recorded in the metrics (``row_bins``)."""
        return {"bins": self.bins, "groups": int(self.n.shape[0]), "logit_low": self.lo,
                "logit_high": self.hi, "bin_width": (self.hi - self.lo) / self.bins}

    def aggregated(self, groups: Sequence[int], space: str) -> Aggregated:
        """The rows of ``groups`` as an :class:`Aggregated`: one value per non-empty bin, its
        weighted mean logit (``space='logit'``) or that logit's sigmoid (``'probability'``)."""
        pick = list(groups)
        n = self.n[pick].sum(axis=0)
        filled = n > 0
        n = n[filled]
        k = self.k[pick].sum(axis=0)[filled]
        z = self.sum_z[pick].sum(axis=0)[filled]
        z /= n
        return _merge_equal(z if space == "logit" else sigmoid(z), n, k)

    def group(self, g: int, space: str) -> Aggregated:
        """The rows of group ``g``, as :meth:`aggregated` gives them."""
        return self.aggregated((g,), space)


ROW_BINS = 1 << 16

ROW_BIN_MAX_WIDTH = 2.0 ** -9
"""Widest logit bin used (probability scores: at most 2 * 34.5 / ROW_BINS, always below); wider
bins (logit scores spread over more than ``ROW_BINS * ROW_BIN_MAX_WIDTH``) mean the exact path."""


def _merge_equal(values: FloatArray, n: FloatArray, k: FloatArray) -> Aggregated:
    """Runs of equal ``values`` (non-decreasing) merged into one value with summed ``n``, ``k``.

    >>> agg = _merge_equal(np.array([0.1, 0.1, 0.3]), np.array([1.0, 2.0, 3.0]),
    ...                    np.array([0.0, 1.0, 3.0]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.1, 0.3], [3.0, 3.0], [1.0, 3.0])
    """
    if values.shape[0] < 2:
        return Aggregated(values, n, k)
    change = values[1:] != values[:-1]
    if change.all():
        return Aggregated(values, n, k)
    starts = np.flatnonzero(np.r_[True, change])
    return Aggregated(values[starts], np.add.reduceat(n, starts), np.add.reduceat(k, starts))


def group_predictions(values: FloatArray, n: FloatArray, k: FloatArray) -> Aggregated:
    """Predictions given per group of rows (weight ``n``, positive weight ``k``) as an
    :class:`Aggregated`: sorted, equal predictions merged.

    >>> agg = group_predictions(np.array([0.7, 0.2, 0.7]), np.array([1.0, 2.0, 3.0]),
    ...                         np.array([1.0, 0.0, 2.0]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.2, 0.7], [2.0, 4.0], [0.0, 3.0])
    """
    order = np.argsort(values, kind="stable")
    return _merge_equal(values[order], n[order], k[order])


@dataclasses.dataclass(frozen=True)
class BinGrid:
    """``bins`` equal-width bins of the logit between ``lo`` and ``hi`` (of a score space)."""

    bins: int
    lo: float
    hi: float
    space: str

    @classmethod
    def spanning(cls, low: float, high: float, space: str,
                 bins: Optional[int] = None) -> Optional[BinGrid]:
        """The grid of scores from ``low`` to ``high`` (their logits' span; ``bins`` defaults to
        ``ROW_BINS``); None when the logit is constant or a bin would be wider than
        ``ROW_BIN_MAX_WIDTH``.

        >>> BinGrid.spanning(0.5, 0.5, "probability") is None
        True
        >>> BinGrid.spanning(-0.001, 0.001, "logit", bins=4)
        BinGrid(bins=4, lo=-0.001, hi=0.001, space='logit')
        """
        bins = ROW_BINS if bins is None else bins
        ends = np.array([low, high])
        if space == "probability":
            ends = logit(ends, CLIP_EPSILON)
        lo, hi = float(ends[0]), float(ends[1])
        if not hi > lo or (hi - lo) / bins > ROW_BIN_MAX_WIDTH:
            return None
        return cls(bins, lo, hi, space)


class RowBinner:
    """:class:`RowBins` accumulated chunk by chunk on a fixed :class:`BinGrid`.

    Each :meth:`add` is one chunk's sums added to the totals, so rows given in the same chunks
    (``BIN_CHUNK_ROWS`` rows each, as :func:`bin_rows` and :func:`~.rowpasses.aligned_chunks`
    cut them) give the same sums, to the last bit, whether they come from one array or from a
    pass over the files.

    Probability scores are binned by their :func:`~.numerics.logit`.

    >>> binner = RowBinner(BinGrid(2, 0.0, 1.0, "logit"), 1, weighted=False)
    >>> binner.add(np.array([0.2, 0.9]), np.array([True, False]), None, None)
    >>> binner.result().n.tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, grid: BinGrid, n_groups: int, weighted: bool) -> None:
        self.grid = grid
        self.n_groups = n_groups
        self.weighted = weighted
        size = n_groups * grid.bins
        self._n = np.zeros(size)
        self._k = np.zeros(size)
        self._sum_z = np.zeros(size)
        self._sum_w2 = np.zeros(n_groups)
        self._rows = np.zeros(n_groups, dtype=np.int64)
        self._clipped = 0

    def add(self, scores: FloatArray, positive: BoolArray, weights: Optional[FloatArray],
            groups: Optional[npt.NDArray[np.int8]]) -> None:
        """Add one chunk of rows (``groups``: each row's group, None for one group)."""
        if self.grid.space == "probability":
            self.add_logits(logit(scores, CLIP_EPSILON), clipped_rows(scores), positive, weights, groups)
        else:
            self.add_logits(scores, 0, positive, weights, groups)

    def add_logits(self, z: FloatArray, clipped: int, positive: BoolArray,
                   weights: Optional[FloatArray], groups: Optional[npt.NDArray[np.int8]],
                   scratch: Optional[FloatArray] = None,
                   indices: Optional[npt.NDArray[np.intp]] = None) -> None:
        """:meth:`add` of rows given by their logits ``z`` (for probability scores
        ``logit(scores, CLIP_EPSILON)``, of which ``clipped`` were
        clipped: :func:`clipped_rows`), the same sums; ``scratch`` and ``indices``, a float
        and an index array of ``z``'s length to compute in (else new ones).

        >>> binner = RowBinner(BinGrid(2, 0.0, 1.0, "probability"), 1, weighted=False)
        >>> binner.add_logits(np.array([0.2, 0.9]), 0, np.array([True, False]), None, None)
        >>> binner.result().k.tolist()
        [[1.0, 0.0]]
        """
        grid = self.grid
        size = self._n.shape[0]
        self._clipped += clipped
        t = np.subtract(z, grid.lo, out=scratch)
        t *= grid.bins / (grid.hi - grid.lo)
        if indices is None:
            idx = t.astype(np.intp)
        else:  # the same conversion, into the array given
            idx = indices
            np.copyto(idx, t, casting="unsafe")
        del t
        np.clip(idx, 0, grid.bins - 1, out=idx)
        if groups is not None:
            idx += groups.astype(np.intp) * grid.bins
            self._rows += np.bincount(groups, minlength=self.n_groups)
        else:
            self._rows[0] += z.shape[0]
        if weights is None:
            self._sum_z += weighted_count(idx, z, size)
            # one count of (bin, outcome) pairs gives both the rows and the positives of a bin
            # (counting the positive rows apart took a gather of their bins and a second count)
            idx *= 2
            idx += positive
            pairs = np.bincount(idx, minlength=2 * size).reshape(size, 2)
            self._n += np.add.reduce(pairs, axis=1)
            self._k += pairs[:, 1]
        else:
            # the positive rows by their positions: a boolean index of a mixed mask is several
            # times slower (the same rows, in the same order)
            rows = np.flatnonzero(positive)
            self._n += weighted_count(idx, weights, size)
            self._k += weighted_count(idx[rows], weights[rows], size)
            self._sum_z += weighted_count(idx, z * weights, size)
            if groups is None:
                self._sum_w2[0] += float(np.dot(weights, weights))
            else:
                self._sum_w2 += np.bincount(groups, weights=weights * weights,
                                            minlength=self.n_groups)

    def result(self) -> RowBins:
        """The :class:`RowBins` of every row added."""
        grid = self.grid
        shape = (self.n_groups, grid.bins)
        sum_w2 = self._sum_w2 if self.weighted else self._rows.astype(np.float64)
        return RowBins(grid.bins, grid.lo, grid.hi, self._n.reshape(shape),
                       self._k.reshape(shape), self._sum_z.reshape(shape), self._rows.copy(),
                       sum_w2, self._clipped)


def clipped_rows(scores: FloatArray) -> int:
    """The probability scores outside ``[CLIP_EPSILON, 1 - CLIP_EPSILON]`` (their logits are
    clipped).

    >>> clipped_rows(np.array([0.0, 0.5, 1.0]))
    2
    """
    return int(np.count_nonzero(scores < CLIP_EPSILON)) + \
        int(np.count_nonzero(scores > 1.0 - CLIP_EPSILON))


def bin_rows(scores: FloatArray, positive: BoolArray, weights: Optional[FloatArray],
             groups: Optional[npt.NDArray[np.int8]], n_groups: int, space: str,
             bins: Optional[int] = None) -> Optional[RowBins]:
    """:class:`RowBins` of the rows in one pass, in chunks of ``BIN_CHUNK_ROWS`` (no n-length
    temporary); ``groups`` gives each row's group (None: one group); ``bins`` defaults to
    ``ROW_BINS``. None when the logit is
    constant or its bins would be wider than ``ROW_BIN_MAX_WIDTH``.

    >>> rb = bin_rows(np.array([0.0, 0.0005, 0.001, 0.001]),
    ...               np.array([False, True, True, False]), None, None, 1, "logit", bins=2)
    >>> rb.n.tolist(), rb.k.tolist(), rb.sum_z.tolist(), rb.rows.tolist()
    ([[1.0, 3.0]], [[0.0, 2.0]], [[0.0, 0.0025]], [4])
    """
    m = scores.shape[0]
    if m == 0:
        return None
    grid = BinGrid.spanning(float(np.min(scores)), float(np.max(scores)), space, bins)
    if grid is None:
        return None
    binner = RowBinner(grid, n_groups, weighted=weights is not None)
    for start in range(0, m, limits.BIN_CHUNK_ROWS):
        part = slice(start, start + limits.BIN_CHUNK_ROWS)
        binner.add(scores[part], positive[part], None if weights is None else weights[part],
                   None if groups is None else groups[part])
    return binner.result()
