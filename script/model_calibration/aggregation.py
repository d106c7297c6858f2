"""Rows aggregated exactly by distinct score: the sufficient statistics every fit and metric
starts from (per distinct score, the sum of weights ``n`` and of weighted positives ``k``).

Unit weights reproduce the unweighted figures exactly, and an integer weight equals repeating
the row. Unweighted 0/1 rows are counted by one sort of 64-bit keys (score bits and label), not
by ``np.unique``.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np
import numpy.typing as npt

from .numerics import BoolArray, FloatArray, weighted_count


@dataclasses.dataclass(frozen=True)
class Aggregated:
    """Rows aggregated by unique score: ``values`` ascending, ``n`` rows, ``k`` positives."""

    values: FloatArray
    n: FloatArray
    k: FloatArray


def _runs(ordered: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The distinct values of a sorted array and how many times each occurs."""
    m = ordered.shape[0]
    change = np.empty(m, dtype=bool)
    change[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    del change
    counts = np.diff(starts, append=m).astype(np.float64)
    values: FloatArray = ordered[starts]
    return values, counts


def sort_with_labels(scores: FloatArray, positive: BoolArray
                     ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
    """Scores >= 0 sorted (as the bits of their floats: read them with ``.view(np.float64)``)
    and their 0/1 labels in that order, by one sort of 64-bit keys, negatives first within a
    score (see ``_aggregate_by_keys``).

    >>> keys, label = sort_with_labels(np.array([0.5, 0.25, 0.5]),
    ...                                np.array([True, False, False]))
    >>> keys.view(np.float64).tolist(), label.tolist()
    ([0.25, 0.5, 0.5], [0, 0, 1])
    """
    one = np.uint64(1)
    keys = np.left_shift(scores.view(np.uint64), one)
    keys |= positive
    keys.sort()
    label = np.empty(scores.shape[0], dtype=np.uint8)
    np.bitwise_and(keys, one, out=label, casting="unsafe")
    keys >>= one
    return keys, label


def _aggregate_by_keys(scores: FloatArray, positive: BoolArray) -> Aggregated:
    """``aggregate`` of scores >= 0 with 0/1 labels and unit weights, by one sort.

    The bits of a float >= 0 read as an unsigned integer sort as the float does, and their top
    (sign) bit is 0: shifted left by one, the label fits in the lowest bit. One sort of these
    keys orders the rows by score (negatives first within a score); the counts are run lengths
    and the positives a sum per run. -0.0 becomes 0.0.
    """
    m = scores.shape[0]
    keys, label = sort_with_labels(scores, positive)
    ordered = keys.view(np.float64)
    change = np.empty(m, dtype=bool)
    change[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    del change
    values: FloatArray = ordered[starts]
    del keys, ordered
    k: FloatArray = np.add.reduceat(label, starts, dtype=np.float64)
    del label
    n: FloatArray = np.diff(starts, append=m).astype(np.float64)
    return Aggregated(values, n, k)


def aggregate(scores: FloatArray, labels: npt.NDArray[np.generic],
              weights: Optional[FloatArray] = None) -> Aggregated:
    """Exact aggregation of equal scores: sums of weights (row counts) and of weighted labels.

    Without weights and with 0/1 labels (bool or numbers) the rows are counted by sorting all
    scores and the positives' scores (no permutation, no per-row index); otherwise by
    ``np.unique`` and weighted bincounts. Scores must not be NaN.

    >>> agg = aggregate(np.array([0.2, 0.2, 0.7]), np.array([1.0, 0.0, 1.0]),
    ...                 np.array([2.0, 1.0, 0.5]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.2, 0.7], [3.0, 0.5], [2.0, 0.5])
    >>> agg = aggregate(np.array([0.7, 0.2, 0.2]), np.array([True, False, True]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.2, 0.7], [2.0, 1.0], [1.0, 1.0])
    """
    if weights is None:
        positive = labels if labels.dtype == np.bool_ else labels == 1
        binary = labels.dtype == np.bool_ or (
            int(np.count_nonzero(positive)) + int(np.count_nonzero(labels == 0)) ==
            labels.shape[0])
        if binary and scores.shape[0] and scores.dtype == np.float64 and \
                float(np.min(scores)) >= 0.0:
            return _aggregate_by_keys(scores, np.asarray(positive, dtype=np.bool_))
        if binary:
            values, n = _runs(np.sort(scores))
            k = np.zeros(values.shape[0])
            if values.shape[0]:
                pos_values, pos_counts = _runs(np.sort(scores[positive]))
                k[np.searchsorted(values, pos_values)] = pos_counts
            return Aggregated(values, n, k)
    values, inverse = np.unique(scores, return_inverse=True)
    inv = inverse.ravel()
    y = np.asarray(labels, dtype=np.float64)
    if weights is None:
        n = np.bincount(inv, minlength=values.shape[0]).astype(np.float64)
        k = weighted_count(inv, y, values.shape[0])
    else:
        n = weighted_count(inv, weights, values.shape[0])
        k = weighted_count(inv, y * weights, values.shape[0])
    return Aggregated(values, n, k)
