"""Near-tied scores merged as scikit-learn's isotonic regression merges them.

scikit-learn's ``IsotonicRegression`` (its ``_make_unique``) walks the sorted scores and starts
a new group at the first score ``x`` with ``x - first >= TIE_RESOLUTION``, where ``first`` is
the current group's first (lowest) score; every other score joins the group. A group is fitted
as one point at its first score, with the summed weights and the weighted mean label.
Isotonic and Venn-ABERS fit these groups, so their knots are scikit-learn's thresholds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .aggregation import Aggregated
from .numerics import FloatArray

TIE_RESOLUTION = float(np.finfo(np.float64).resolution)
"""Scores closer than this to their group's first score are one score (``1e-15``)."""


def near_tie_starts(values: FloatArray) -> npt.NDArray[np.intp]:
    """The index of each group's first value among distinct ascending ``values``.

    A gap of at least ``TIE_RESOLUTION`` always starts a group (``x - first`` is then at least
    that gap, in floating point too, since rounding is monotone). Only inside a run of smaller
    gaps whose ends are ``TIE_RESOLUTION`` or more apart must the groups be found one after
    another: each from the first value at least ``TIE_RESOLUTION`` above the previous start.

    >>> near_tie_starts(np.array([0.0, 4e-16, 9e-16, 1.2e-15, 0.5, 0.5 + 1e-16])).tolist()
    [0, 3, 4]
    """
    m = values.shape[0]
    if m < 2:
        return np.arange(m)
    close = np.diff(values) < TIE_RESOLUTION
    if not close.any():
        return np.arange(m)
    firm = np.flatnonzero(np.r_[True, ~close])
    ends = np.r_[firm[1:] - 1, m - 1]
    wide = (ends > firm) & (values[ends] - values[firm] >= TIE_RESOLUTION)
    extra: list[int] = []
    for a, b in zip(firm[wide].tolist(), ends[wide].tolist()):
        extra += _starts_in_run(values, a, b)
    if not extra:
        return firm
    return np.sort(np.r_[firm, np.asarray(extra, dtype=np.intp)])


def _starts_in_run(values: FloatArray, a: int, b: int) -> list[int]:
    """The group starts after ``a`` in the run ``values[a:b + 1]`` of gaps below the resolution."""
    run = values[a:b + 1]
    starts: list[int] = []
    c = a
    while True:
        first = float(values[c])
        j = a + int(np.searchsorted(run, first + TIE_RESOLUTION, side="left"))
        # the exact test of scikit-learn, x - first >= resolution, around the sum's rounding
        while j > c + 1 and values[j - 1] - first >= TIE_RESOLUTION:
            j -= 1
        while j <= b and values[j] - first < TIE_RESOLUTION:
            j += 1
        if j > b:
            return starts
        starts.append(j)
        c = j


def merge_near_ties(agg: Aggregated) -> Aggregated:
    """``agg`` with each group of near-tied scores (:func:`near_tie_starts`) as one score: its
    first score, its summed ``n`` and ``k``. ``agg`` itself when no scores are near-tied.

    >>> merged = merge_near_ties(Aggregated(np.array([0.1, 0.1 + 2e-17, 0.3]),
    ...                                     np.array([1.0, 2.0, 1.0]), np.array([0.0, 2.0, 1.0])))
    >>> merged.values.tolist(), merged.n.tolist(), merged.k.tolist()
    ([0.1, 0.3], [3.0, 1.0], [2.0, 1.0])
    """
    starts = near_tie_starts(agg.values)
    if starts.shape[0] == agg.values.shape[0]:
        return agg
    return Aggregated(agg.values[starts], np.add.reduceat(agg.n, starts),
                      np.add.reduceat(agg.k, starts))
