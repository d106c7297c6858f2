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

    The score's logit (``logit(clip(s, CLIP_EPSILON))`` for probabilities, the score itself in
    logit space) is cut into ``bins`` equal-width bins between its minimum ``lo`` and maximum
    ``hi``; a group is a cross-fitting fold (one group when there are no folds). ``n`` is each
    group and bin's weight (its row count without weights), ``k`` its positive weight and
    ``sum_z`` its weighted sum of logits, so ``sum_z / n`` is the bin's weighted mean logit:
    the value that stands for its rows. ``rows`` counts each group's rows and ``sum_w2`` sums
    their squared weights (for effective sample sizes).
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


def bin_rows(scores: FloatArray, positive: BoolArray, weights: Optional[FloatArray],
             groups: Optional[npt.NDArray[np.int8]], n_groups: int, space: str,
             bins: Optional[int] = None) -> Optional[RowBins]:
    """:class:`RowBins` of the rows in one pass, in chunks of ``BIN_CHUNK_ROWS`` (no n-length
    temporary); ``groups`` gives each row's group (None: one group); ``bins`` defaults to
    ``ROW_BINS``. None when the logit is constant or its bins would be wider than
    ``ROW_BIN_MAX_WIDTH``.

    >>> rb = bin_rows(np.array([0.0, 0.0005, 0.001, 0.001]),
    ...               np.array([False, True, True, False]), None, None, 1, "logit", bins=2)
    >>> rb.n.tolist(), rb.k.tolist(), rb.sum_z.tolist(), rb.rows.tolist()
    ([[1.0, 3.0]], [[0.0, 2.0]], [[0.0, 0.0025]], [4])
    """
    m = scores.shape[0]
    if m == 0:
        return None
    bins = ROW_BINS if bins is None else bins
    ends = np.array([np.min(scores), np.max(scores)])
    if space == "probability":
        ends = logit(ends, CLIP_EPSILON)
    lo, hi = float(ends[0]), float(ends[1])
    if not hi > lo or (hi - lo) / bins > ROW_BIN_MAX_WIDTH:
        return None
    scale = bins / (hi - lo)
    size = n_groups * bins
    n = np.zeros(size)
    k = np.zeros(size)
    sum_z = np.zeros(size)
    clipped = 0
    sum_w2 = np.zeros(n_groups)
    for start in range(0, m, limits.BIN_CHUNK_ROWS):
        part = slice(start, start + limits.BIN_CHUNK_ROWS)
        s = scores[part]
        if space == "probability":
            z = logit(s, CLIP_EPSILON)
            clipped += int(np.count_nonzero(s < CLIP_EPSILON)) + \
                int(np.count_nonzero(s > 1.0 - CLIP_EPSILON))
        else:
            z = s
        t = z - lo
        t *= scale
        idx = t.astype(np.intp)
        del t
        np.clip(idx, 0, bins - 1, out=idx)
        if groups is not None:
            idx += groups[part].astype(np.intp) * bins
        y = positive[part]
        if weights is None:
            n += np.bincount(idx, minlength=size)
            k += np.bincount(idx[y], minlength=size)
            sum_z += weighted_count(idx, z, size)
        else:
            w = weights[part]
            n += weighted_count(idx, w, size)
            k += weighted_count(idx[y], w[y], size)
            sum_z += weighted_count(idx, z * w, size)
            if groups is None:
                sum_w2[0] += float(np.dot(w, w))
            else:
                sum_w2 += np.bincount(groups[part], weights=w * w, minlength=n_groups)
    rows = np.bincount(groups, minlength=n_groups).astype(np.int64) if groups is not None \
        else np.array([m], dtype=np.int64)
    if weights is None:
        sum_w2 = rows.astype(np.float64)
    shape = (n_groups, bins)
    return RowBins(bins, lo, hi, n.reshape(shape), k.reshape(shape), sum_z.reshape(shape),
                   rows, sum_w2, clipped)
