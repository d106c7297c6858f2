"""Inductive Venn-ABERS (Vovk & Petej 2014): two isotonic fits per test score, merged into one
probability that is never 0 or 1.

For a test score ``s``, ``p0`` is the isotonic fit at ``s`` of the calibration rows with the
test row added as a negative, ``p1`` the same with it added as a positive, and the calibrated
probability is ``p1 / (1 - p0 + p1)``. Both depend on ``s`` only through its place among the
calibration scores (grouped as isotonic groups them: :mod:`.ties`), so they are step functions:
with the groups' scores ``x[0] < ... < x[m - 1]``, position ``2 i`` is a score strictly between
``x[i - 1]`` and ``x[i]`` (below ``x[0]``, above ``x[m - 1]`` at the ends) and position
``2 i + 1`` a score that joins ``x[i]``'s group: ``x[i] <= s < x[i] + TIE_RESOLUTION``, or else
``x[i] - TIE_RESOLUTION < s < x[i]`` (scikit-learn's isotonic regression of the calibration rows
and the test row then starts the group at ``s``, with the same rows as long as none lies
``TIE_RESOLUTION`` or more above ``s``).

Weights: the calibration rows enter with their weights (``n`` and ``k`` are weighted counts);
the test row weighs 1, one row, as an integer weight counts repeated rows.

The fits come from one pass of pool-adjacent-violators each way: the blocks of every prefix and
every suffix of the groups are kept (each block points to the one below it), and the test row's
block, started between them, pools with the prefix's last block while that block's mean is
above its own, and with the suffix's first block while that block's mean is below it. Pooling
adjacent violators in any order reaches the one isotonic fit, so this is that fit's value at
the test row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .aggregation import Aggregated
from .numerics import FloatArray
from .ties import TIE_RESOLUTION, merge_near_ties

TEST_ROW_WEIGHT = 1.0
"""The weight of the test row added to the calibration rows."""


class _Blocks:
    """Pool-adjacent-violators blocks of every prefix (or suffix) of the groups: ``top[i]`` is
    the last block of the first ``i`` groups (the first block of the groups from ``i`` on, for
    suffixes), each block's ``below`` the block under it in that stack (-1: none)."""

    def __init__(self, n: list[float], k: list[float], from_right: bool) -> None:
        m = len(n)
        self.n: list[float] = []
        self.k: list[float] = []
        self.below: list[int] = []
        self.top = [-1] * (m + 1)
        order = range(m - 1, -1, -1) if from_right else range(m)
        cur = -1
        for i in order:
            bn, bk = n[i], k[i]
            # a prefix pools while the last block's mean is >= the new one's; a suffix while
            # the new group's mean is >= the first block's (equal means pool: the fit is alike)
            while cur >= 0 and ((bk * self.n[cur] >= self.k[cur] * bn) if from_right
                                else (self.k[cur] * bn >= bk * self.n[cur])):
                bn += self.n[cur]
                bk += self.k[cur]
                cur = self.below[cur]
            self.n.append(bn)
            self.k.append(bk)
            self.below.append(cur)
            cur = len(self.n) - 1
            self.top[i if from_right else i + 1] = cur


def _pooled_mean(vn: float, vk: float, left: int, right: int, lo: _Blocks, hi: _Blocks
                 ) -> float:
    """The mean of the test row's block (``vn`` weight, ``vk`` positives) once pooled with the
    prefix blocks from ``left`` down and the suffix blocks from ``right`` on."""
    while True:
        if left >= 0 and lo.k[left] * vn > vk * lo.n[left]:
            vn += lo.n[left]
            vk += lo.k[left]
            left = lo.below[left]
        elif right >= 0 and hi.k[right] * vn < vk * hi.n[right]:
            vn += hi.n[right]
            vk += hi.k[right]
            right = hi.below[right]
        else:
            return vk / vn


def venn_abers_steps(agg: Aggregated) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The groups' scores ``x`` (``m``) and the step functions ``p0``, ``p1`` (``2 m + 1``
    positions each) of the calibration rows ``agg`` (rows with ``n > 0``, both classes).

    >>> x, p0, p1 = venn_abers_steps(Aggregated(np.array([0.2, 0.4, 0.6]), np.ones(3),
    ...                                         np.array([0.0, 1.0, 1.0])))
    >>> x.tolist()
    [0.2, 0.4, 0.6]
    >>> p0.round(3).tolist()
    [0.0, 0.0, 0.0, 0.5, 0.5, 0.667, 0.667]
    >>> p1.round(3).tolist()
    [0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    merged = merge_near_ties(agg)
    n = merged.n.tolist()
    k = merged.k.tolist()
    m = len(n)
    lo = _Blocks(n, k, from_right=False)
    hi = _Blocks(n, k, from_right=True)
    hi.top.append(-1)  # the empty suffix after the last group
    w = TEST_ROW_WEIGHT
    p0 = np.empty(2 * m + 1)
    p1 = np.empty(2 * m + 1)
    for i in range(m + 1):  # strictly between groups i - 1 and i
        p0[2 * i] = _pooled_mean(w, 0.0, lo.top[i], hi.top[i], lo, hi)
        p1[2 * i] = _pooled_mean(w, w, lo.top[i], hi.top[i], lo, hi)
    for i in range(m):  # in group i
        p0[2 * i + 1] = _pooled_mean(n[i] + w, k[i], lo.top[i], hi.top[i + 1], lo, hi)
        p1[2 * i + 1] = _pooled_mean(n[i] + w, k[i] + w, lo.top[i], hi.top[i + 1], lo, hi)
    return merged.values, p0, p1


def venn_abers_positions(scores: FloatArray, x: FloatArray) -> npt.NDArray[np.intp]:
    """Each score's position in the step functions over the group scores ``x``: ``2 i + 1`` in
    group ``i`` (``x[i] <= s < x[i] + TIE_RESOLUTION``, else ``x[i] - TIE_RESOLUTION < s``),
    else ``2 i`` with ``i`` groups below.

    >>> venn_abers_positions(np.array([0.1, 0.2, 0.3, 0.6 - 1e-16, 0.7]),
    ...                      np.array([0.2, 0.6])).tolist()
    [0, 1, 2, 3, 4]
    """
    j = np.searchsorted(x, scores, side="right")
    m = x.shape[0]
    below = x.take(np.maximum(j - 1, 0))
    above = x.take(np.minimum(j, m - 1))
    joins_below = (j > 0) & (scores - below < TIE_RESOLUTION)
    joins_above = ~joins_below & (j < m) & (above - scores < TIE_RESOLUTION)
    out: npt.NDArray[np.intp] = 2 * j - joins_below + joins_above
    return out


def venn_abers_probabilities(scores: FloatArray, x: FloatArray, p0: FloatArray, p1: FloatArray
                             ) -> FloatArray:
    """``p1 / (1 - p0 + p1)`` at each score's position (vectorised).

    >>> venn_abers_probabilities(np.array([0.1, 0.4, 0.9]), np.array([0.2, 0.4, 0.6]),
    ...                          np.array([0.0, 0.0, 0.0, 0.5, 0.5, 2 / 3, 2 / 3]),
    ...                          np.array([0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0])).round(3).tolist()
    [0.333, 0.667, 0.75]
    """
    table = p1 / (1.0 - p0 + p1)
    out: FloatArray = table.take(venn_abers_positions(scores, x))
    return out
