"""Calibrators given as knots (isotonic, gam): interpolation between them and their merging.

A knot calibrator is applied by linear interpolation (``np.interp``'s values, each clipped to
the y of its two knots), so it is constant outside the fitted range, never NaN and never
decreasing for non-decreasing knots; knots less than ``KNOT_MIN_GAP`` apart are merged into a
step when fitted.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import numpy.typing as npt

from . import limits
from .numerics import FloatArray


def interpolate_knots(s: FloatArray, knots_x: FloatArray, knots_y: FloatArray) -> FloatArray:
    """Linear interpolation on the knots (``np.interp``'s formula and its constant ends), each
    value clipped to the y of the two knots around its score.

    ``np.interp`` computes ``y[j] + slope * (s - x[j])`` without a bound: just left of a knot the
    rounded product can overshoot that knot's y by an ulp (more for a subnormal slope), and a
    subnormal gap between knots gives an infinite slope. Here every value stays between ``y[j]``
    and ``y[j + 1]``, so non-decreasing knots give a result that never decreases, exactly. The
    segment search and the arithmetic run in chunks of ``APPLY_CHUNK_ROWS`` rows (the search:
    ``KnotSearch``). Knots with equal x are a step (the value at that x is the last one's y).

    >>> interpolate_knots(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0]),
    ...                   np.array([0.2, 0.4])).tolist()
    [0.2, 0.2, 0.30000000000000004, 0.4, 0.4]
    >>> interpolate_knots(np.array([0.1, 0.3, 0.5]), np.array([0.0, 0.3, 0.3, 1.0]),
    ...                   np.array([0.0, 0.2, 0.6, 1.0])).round(6).tolist()
    [0.066667, 0.6, 0.714286]
    """
    return KnotTable(knots_x, knots_y, s)(s)


class KnotTable:
    """Knots prepared for :func:`interpolate_knots`: each segment's slope and bounds and the
    segment search (:class:`KnotSearch`), made once and applied to any number of arrays of
    scores (each fold's rows of each chunk of a held-out pass), the same values as
    :func:`interpolate_knots` gives for each.

    ``values``: the scores the table will be applied to, when known (the search then builds
    its buckets only if they pay off for them, as :class:`KnotSearch` decides); None: the
    buckets are built whenever the knots allow, and every array of scores given must be
    finite (checked scores).

    >>> table = KnotTable(np.array([0.0, 1.0]), np.array([0.2, 0.4]))
    >>> table(np.array([-1.0, 0.5])).tolist(), table(np.array([2.0])).tolist()
    ([0.2, 0.30000000000000004], [0.4])
    """

    def __init__(self, knots_x: FloatArray, knots_y: FloatArray,
                 values: Optional[FloatArray] = None) -> None:
        self.knots_x = knots_x
        self.base = knots_y
        if knots_x.shape[0] == 1:
            return
        # Segment j runs from knot j to knot j + 1; one more, from the last knot on, is constant.
        last = knots_y[-1:]
        dx = np.r_[np.diff(knots_x), 0.0]
        steps = ~(dx > 0.0)  # equal x: a step, only reached by scores below the first knot
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self.slope = np.where(steps, 0.0,
                                  np.r_[np.diff(knots_y), 0.0] / np.where(steps, 1.0, dx))
        # Non-decreasing knots (isotonic, a monotonic gam): a segment's lower y is its first,
        # the base already gathered, so one gather fewer.
        rising = bool(np.all(knots_y[1:] >= knots_y[:-1]))
        self.low = None if rising else np.r_[np.minimum(knots_y[:-1], knots_y[1:]), last]
        self.high = np.r_[np.maximum(knots_y[:-1], knots_y[1:]), last]
        self.search = KnotSearch(knots_x, values)

    def __call__(self, s: FloatArray) -> FloatArray:
        """The interpolated values of the scores ``s`` (a new array)."""
        knots_x, base = self.knots_x, self.base
        if knots_x.shape[0] == 1:
            return np.full(s.shape, float(base[0]))
        slope, low, high, search = self.slope, self.low, self.high, self.search
        out = np.empty_like(s)
        based = np.empty(min(s.shape[0], limits.APPLY_CHUNK_ROWS))
        with np.errstate(invalid="ignore", over="ignore"):
            for start in range(0, s.shape[0], limits.APPLY_CHUNK_ROWS):
                part = s[start:start + limits.APPLY_CHUNK_ROWS]
                j = search.right(part)
                j -= 1
                np.maximum(j, 0, out=j)  # below the first knot: segment 0, clipped to its y
                chunk = out[start:start + limits.APPLY_CHUNK_ROWS]
                # No bound by the segment's width: x[j] <= s < x[j + 1] (or s below the first
                # knot, or on the last, constant segment), and rounding never reverses an
                # order, so s - x[j] never exceeds the rounded width x[j + 1] - x[j].
                np.subtract(part, knots_x.take(j), out=chunk)
                chunk *= slope.take(j)
                y0 = base.take(j, out=based[:j.shape[0]])
                chunk += y0
                # fmax/fmin, not clip: 0 * inf (an infinite gap or slope) is NaN, and becomes
                # a bound
                np.fmax(chunk, y0 if low is None else low.take(j), out=chunk)
                np.fmin(chunk, high.take(j), out=chunk)
        return out


class KnotSearch:
    """``np.searchsorted(knots_x, values, side="right")``, exactly, in a quarter of its time on
    many values: a table over equal-width buckets of ``[knots_x[0], knots_x[-1]]`` gives the
    knots before each value's bucket; a value whose bucket holds at most one knot needs one
    comparison, and a branch-free binary search over the knots of a fuller bucket finishes for
    the values there (a plain binary search is slow from mispredicted branches).

    Exact because the bucket of a value, ``floor((v - x0) * scale)`` clipped, never decreases
    as v grows, in floating point too, and the knots' buckets are computed the same way: a
    knot in an earlier bucket is below the value, one in a later bucket above it. Used for
    ``values`` with at least as many rows as buckets and no NaN or infinity; otherwise (and for
    knots spanning no or an infinite width) ``right`` is ``np.searchsorted``. ``values`` None:
    the buckets are built whenever the knots allow, for values given later, which must then be
    finite.

    >>> knots = np.array([0.0, 0.1, 0.1, 0.5, 2.0])
    >>> values = np.linspace(-1.0, 3.0, 40001)
    >>> search = KnotSearch(knots, values, buckets=8)
    >>> bool((search.right(values) == np.searchsorted(knots, values, side="right")).all())
    True
    """

    def __init__(self, knots_x: FloatArray, values: Optional[FloatArray],
                 buckets: Optional[int] = None) -> None:
        self.knots_x = knots_x
        self.buckets = buckets if buckets is not None else min(
            1 << 16, 1 << max(4, int(8 * knots_x.shape[0] - 1).bit_length()))
        self.first: Optional[npt.NDArray[np.intp]] = None
        x0, x1 = float(knots_x[0]), float(knots_x[-1])
        with np.errstate(over="ignore"):
            width = x1 - x0
        if not (0.0 < width < math.inf) or (values is not None and
                                             values.shape[0] < self.buckets):
            return
        scale = self.buckets / width
        if not 0.0 < scale < math.inf or (values is not None and not (
                math.isfinite(float(values.min())) and math.isfinite(float(values.max())))):
            return
        self.x0, self.scale = x0, scale
        knot_buckets = self._bucket(knots_x)
        every = np.arange(self.buckets)
        self.first = np.searchsorted(knot_buckets, every, side="left")
        self.count = np.searchsorted(knot_buckets, every, side="right") - self.first
        most = int(self.count.max())
        self.steps = [1 << k for k in reversed(range(max(1, most.bit_length())))]
        # +inf after the last knot: a step past a bucket's knots compares False, in bounds.
        self.padded = np.concatenate([knots_x, np.full(2 * self.steps[0], np.inf)])

    def _bucket(self, v: FloatArray) -> npt.NDArray[np.intp]:
        t = v - self.x0
        with np.errstate(over="ignore"):
            t *= self.scale
        np.clip(t, 0.0, self.buckets - 1, out=t)
        return t.astype(np.intp)

    def right(self, values: FloatArray) -> npt.NDArray[np.intp]:
        """Per value, the number of knots at or below it (``side="right"``)."""
        if self.first is None:
            return np.searchsorted(self.knots_x, values, side="right")
        bucket = self._bucket(values)
        j = self.first.take(bucket)
        if self.steps[0] > 1:
            # Most buckets hold at most one knot (one comparison): the binary search runs
            # only for the values in fuller ones (knots crowd where the fit is steep).
            full = np.flatnonzero(self.count.take(bucket) > 1)
            j_full, v_full = j[full], values[full]
            for step in self.steps:  # j + step knots at or below the value: j moves there
                j_full += (self.padded.take(j_full + (step - 1)) <= v_full) * step
        # the knot after j is the value's bucket's only one (or the next bucket's first)
        j += self.padded.take(j) <= values
        if self.steps[0] > 1:
            j[full] = j_full
        return j


KNOT_MIN_GAP = 1e-300
"""Knots closer than this are merged: ``np.interp``'s slope between them, (y1 - y0) / (x1 - x0)
with probabilities y, would be infinite for a subnormal gap."""


def merge_close_knots(xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Interpolation knots with every gap >= ``KNOT_MIN_GAP``, or exactly 0 (a step).

    Each run of knots less than ``KNOT_MIN_GAP`` apart becomes a step at the run's last ``x``:
    ``(x_last, y_first)`` and ``(x_last, y_last)``. ``np.interp`` never interpolates across a
    zero-width segment (at ``x_last`` it returns ``y_last``), so the values at the run's first
    and last knots are kept, scores inside the run get ``y_first``, and non-decreasing ``y``
    stay non-decreasing. Knots without such a run are returned as they are (the same arrays).

    >>> xs, ys = merge_close_knots(np.array([2e-311, 4e-311, 0.3]), np.array([0.0, 0.5, 0.9]))
    >>> xs.tolist(), ys.tolist()
    ([4e-311, 4e-311, 0.3], [0.0, 0.5, 0.9])
    >>> np.interp([3e-311, 4e-311, 0.15], xs, ys).tolist()
    [0.0, 0.5, 0.7]
    """
    if xs.shape[0] < 2:
        return xs, ys
    close = np.diff(xs) < KNOT_MIN_GAP
    if not close.any():
        return xs, ys
    starts = np.flatnonzero(np.r_[True, ~close])
    ends = np.r_[starts[1:] - 1, xs.shape[0] - 1]
    step = (ends > starts) & (ys[ends] != ys[starts])
    kept = np.sort(np.concatenate([starts, ends[step]]))
    run = np.searchsorted(starts, kept, side="right") - 1
    merged_x: FloatArray = xs[ends[run]]
    merged_y: FloatArray = ys[kept]
    return merged_x, merged_y
