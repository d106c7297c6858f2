"""The calibration metrics of ``metrics.json``: binary, multi-class and multi-task blocks.

A binary block holds ECE, MCE and RMSCE over equal-width and equal-mass bins (with the bins
themselves), the smooth ECE, Brier score and its decomposition, log loss, AUC, the calibration
slope and intercept, Spiegelhalter's z and the CORP block (``corp.py``: decompositions, the
reliability curve and its band), every figure weighted by the rows' weights. Multi-class blocks
add top-label and per-class one-vs-rest blocks (multi-task blocks aggregate the tasks' in
``metricblocks.py``). The
figure the gate compares with ``ERROR_THRESHOLD`` is ``ece_equal_width`` (see docs/metrics.md).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Optional

import numpy as np

from . import limits
from .aggregation import Aggregated, aggregate
from .corp import corp_block
from .jsonvalues import JsonDict, int_if_integral, json_number
from .numerics import (CLIP_EPSILON, BoolArray, FloatArray, IntArray, fit_logistic_line, logit,
                       row_reduce, weighted_count)
from .rowbins import BinGrid, RowBinner, RowBins, bin_logits, bin_rows, clipped_rows
from .smoothece import smooth_ece

SLOPE_BINS = 1 << 16
ALL_PREDICTIONS_EQUAL = "all predictions are equal"
"""``calibration_slope_null_reason`` of a block whose predictions are one value."""


def _nan_to_none(value: float) -> Optional[float]:
    return float(value) if math.isfinite(value) else None


def _bin_block(agg: Aggregated, bins: int, strategy: str, total: float
               ) -> tuple[JsonDict, FloatArray, FloatArray, FloatArray]:
    """One ``bins`` block of ``binary_metrics`` (``equal_width`` or ``equal_mass``).

    The bin index of each prediction is computed in chunks of ``METRICS_CHUNK_ROWS`` (equal mass:
    the running sum of weights carried over, the same additions as one cumsum), so no
    n-length temporary is made.
    """
    count = np.zeros(bins)
    sum_p = np.zeros(bins)
    pos = np.zeros(bins)
    lower = np.full(bins, np.nan)
    upper = np.full(bins, np.nan)
    ids = np.arange(bins)
    carry = 0.0
    for start in range(0, agg.values.shape[0], limits.METRICS_CHUNK_ROWS):
        part = slice(start, start + limits.METRICS_CHUNK_ROWS)
        p, n = agg.values[part], agg.n[part]
        if strategy == "equal_width":
            idx = np.minimum((p * bins).astype(np.int64), bins - 1)
        else:
            running = np.cumsum(np.concatenate(([carry], n)))[1:]
            carry = float(running[-1])
            running -= n  # the weight before each prediction
            running *= bins
            running /= total
            idx = np.minimum(running.astype(np.int64), bins - 1)
            del running
        count += weighted_count(idx, n, bins)
        sum_p += weighted_count(idx, n * p, bins)
        pos += weighted_count(idx, agg.k[part], bins)
        # idx is non-decreasing along the ascending values: a bin's edges are its first/last
        # value (the first from the first chunk that holds the bin, the last from the last).
        first = np.searchsorted(idx, ids, side="left")
        last = np.searchsorted(idx, ids, side="right") - 1
        filled = last >= first
        new = filled & np.isnan(lower)
        lower[new] = p[first[new]]
        upper[filled] = p[last[filled]]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = sum_p / count
        rate = pos / count
    block: JsonDict = {
        "strategy": strategy, "n_bins": bins,
        "count": [int_if_integral(c) for c in count],
        "mean_predicted": [_nan_to_none(v) for v in mean_p],
        "observed_rate": [_nan_to_none(v) for v in rate],
        "lower": [_nan_to_none(v) for v in lower],
        "upper": [_nan_to_none(v) for v in upper],
    }
    return block, count, mean_p, rate


def _calibration_errors(count: FloatArray, mean_p: FloatArray, rate: FloatArray
                        ) -> tuple[float, float, float]:
    nonempty = count > 0
    weight = count[nonempty] / count.sum()
    gap = np.abs(mean_p[nonempty] - rate[nonempty])
    return float(np.dot(weight, gap)), float(gap.max()), float(math.sqrt(np.dot(weight, gap**2)))


def auc_aggregated(agg: Aggregated) -> tuple[Optional[float], Optional[str]]:
    """Rank AUC (ties count one half) from rows aggregated by ascending unique score."""
    pos_total = float(agg.k.sum())
    neg = agg.n - agg.k
    neg_total = float(neg.sum())
    if pos_total <= 0 or neg_total <= 0:
        return None, "only one class present"
    del neg
    # Each class's weights as fractions of its total: no product of two sums over- or underflows.
    # In chunks of METRICS_CHUNK_ROWS (the running sum carried over: the same additions in the
    # same order as one cumsum), so no n-length temporary is made.
    auc = 0.0
    carry = 0.0
    for start in range(0, agg.n.shape[0], limits.METRICS_CHUNK_ROWS):
        part = slice(start, start + limits.METRICS_CHUNK_ROWS)
        pos = agg.k[part] / pos_total
        neg = agg.n[part] - agg.k[part]
        neg /= neg_total
        running = np.cumsum(np.concatenate(([carry], neg)))
        carry = float(running[-1])
        neg_below = running[:-1]
        auc += float(np.dot(pos, neg_below)) + 0.5 * float(np.dot(pos, neg))
    return min(max(auc, 0.0), 1.0), None


def logit_bin_stats(agg: Aggregated, bins: int = SLOPE_BINS) -> Optional[Aggregated]:
    """Sufficient statistics of ``logit(p)`` over ``bins`` equal-width bins, for the slope fit.

    The clipped logit of the predictions ``agg.values`` (clip ``CLIP_EPSILON``) is cut into
    ``bins`` equal-width bins between its minimum and maximum; each non-empty bin gives its
    weight (``n``), positive weight (``k``) and weighted mean logit (``values``, ascending). One
    pass in chunks of ``METRICS_CHUNK_ROWS`` with ``np.bincount``: no n-length temporary.
    ``None`` when every logit is equal.

    >>> stats = logit_bin_stats(aggregate(np.array([0.1, 0.5, 0.9]), np.array([0, 1, 1])), 2)
    >>> [round(v, 6) for v in stats.values.tolist()], stats.n.tolist(), stats.k.tolist()
    ([-2.197225, 1.098612], [1.0, 2.0], [0.0, 2.0])
    """
    p = agg.values
    lo_hi = logit(np.array([np.min(p), np.max(p)]), CLIP_EPSILON)
    lo, hi = float(lo_hi[0]), float(lo_hi[1])
    if not hi > lo:
        return None
    scale = bins / (hi - lo)
    count = np.zeros(bins)
    pos = np.zeros(bins)
    sum_z = np.zeros(bins)
    for start in range(0, p.shape[0], limits.METRICS_CHUNK_ROWS):
        part = slice(start, start + limits.METRICS_CHUNK_ROWS)
        z = logit(p[part], CLIP_EPSILON)
        idx = np.minimum(((z - lo) * scale).astype(np.int64), bins - 1)
        np.maximum(idx, 0, out=idx)
        n = agg.n[part]
        count += weighted_count(idx, n, bins)
        pos += weighted_count(idx, agg.k[part], bins)
        z *= n
        sum_z += weighted_count(idx, z, bins)
    filled = count > 0
    mean_z: FloatArray = sum_z[filled] / count[filled]
    return Aggregated(mean_z, count[filled], pos[filled])


def binary_metrics(agg: Aggregated, bins: int, rows: Optional[int] = None) -> JsonDict:
    """All binary calibration metrics of predictions ``agg.values`` (probabilities).

    ``agg.n``/``agg.k`` may be sums of weights: every figure is then weighted, ``n`` is the
    row count ``rows`` and ``weight_sum`` the total weight.
    """
    total = float(agg.n.sum())
    positives = float(agg.k.sum())
    p = agg.values
    width_block, w_count, w_mean, w_rate = _bin_block(agg, bins, "equal_width", total)
    mass_block, m_count, m_mean, m_rate = _bin_block(agg, bins, "equal_mass", total)
    ece_w, mce_w, rms_w = _calibration_errors(w_count, w_mean, w_rate)
    ece_m, mce_m, rms_m = _calibration_errors(m_count, m_mean, m_rate)
    base = positives / total
    # Brier, log loss and Spiegelhalter's sums in chunks of METRICS_CHUNK_ROWS predictions: no
    # n-length temporary (the same terms, summed chunk by chunk).
    sq = k_p = ll = var = z_num = 0.0
    clipped_sum = 0.0
    for start in range(0, p.shape[0], limits.METRICS_CHUNK_ROWS):
        part = slice(start, start + limits.METRICS_CHUNK_ROWS)
        pp, nn, kk = p[part], agg.n[part], agg.k[part]
        sq += float(np.dot(nn, pp * pp))
        k_p += float(np.dot(kk, pp))
        pc = np.clip(pp, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
        clipped_sum += float(nn[(pp < CLIP_EPSILON) | (pp > 1.0 - CLIP_EPSILON)].sum())
        ll += float(np.dot(kk, np.log(pc)) + np.dot(nn - kk, np.log1p(-pc)))
        var += float(np.dot(nn, (1.0 - 2.0 * pp) ** 2 * pp * (1.0 - pp)))
        z_num += float(np.dot(kk - nn * pp, 1.0 - 2.0 * pp))
    brier = (sq - 2.0 * k_p + positives) / total
    nonempty = w_count > 0
    weight = w_count[nonempty] / total
    reliability = float(np.dot(weight, (w_mean[nonempty] - w_rate[nonempty]) ** 2))
    resolution = float(np.dot(weight, (w_rate[nonempty] - base) ** 2))
    clipped = int_if_integral(clipped_sum)
    log_loss = -ll / total
    auc, auc_reason = auc_aggregated(agg)
    slope: Optional[float] = None
    intercept: Optional[float] = None
    slope_reason: Optional[str] = None
    slope_bins: Optional[int] = None
    if 0 < positives < total:
        if p.shape[0] <= SLOPE_BINS:  # few distinct predictions: the exact fit on all of them
            z = logit(p, CLIP_EPSILON)
            line: Optional[Aggregated] = Aggregated(z, agg.n, agg.k) if np.ptp(z) > 0 else None
        else:
            line = logit_bin_stats(agg, SLOPE_BINS)
            slope_bins = SLOPE_BINS
        if line is not None:
            res = fit_logistic_line(line.values, line.n, line.k)
            slope, intercept = float(res.coef[0]), float(res.coef[1])
        else:
            slope_reason = ALL_PREDICTIONS_EQUAL
            slope_bins = None
        del line
    else:
        slope_reason = "only one class present"
    spiegel = z_num / math.sqrt(var) if var > 0 else None
    smooth, bandwidth = smooth_ece(agg)
    return {
        "n": int(total) if rows is None else rows, "weight_sum": float(total),
        "positives": int_if_integral(positives), "base_rate": base,
        "ece_equal_width": ece_w, "ece_equal_mass": ece_m,
        "smooth_ece": smooth, "smooth_ece_bandwidth": bandwidth,
        "mce_equal_width": mce_w, "mce_equal_mass": mce_m,
        "rmsce_equal_width": rms_w, "rmsce_equal_mass": rms_m,
        "bins": {"equal_width": width_block, "equal_mass": mass_block},
        "brier": brier,
        "brier_decomposition": {"reliability": reliability, "resolution": resolution,
                                "uncertainty": base * (1.0 - base), "bins": "equal_width"},
        "log_loss": log_loss, "log_loss_clip_epsilon": CLIP_EPSILON,
        "log_loss_clipped_rows": clipped,
        "auc": auc, "auc_null_reason": auc_reason,
        "calibration_slope": slope, "calibration_intercept": intercept,
        "calibration_slope_null_reason": slope_reason, "calibration_slope_bins": slope_bins,
        "spiegelhalter_z": spiegel,
        "spiegelhalter_p_value": math.erfc(abs(spiegel) / math.sqrt(2.0))
        if spiegel is not None else None,
        "corp": corp_block(agg, int(round(total)) if rows is None else rows),
    }


def binary_metrics_of(p: FloatArray, positive: BoolArray, weights: Optional[FloatArray],
                      bins: int) -> JsonDict:
    """``binary_metrics`` of per-row predictions ``p``: aggregated exactly by distinct value,
    or from ``BINNED_MIN_ROWS`` rows on :class:`RowBins` of their logit (recorded in
    ``row_bins``, as the binned binary path does).

    >>> round(binary_metrics_of(np.array([0.2, 0.8]), np.array([False, True]), None, 2)["brier"],
    ...       12)
    0.04
    """
    if p.shape[0] >= limits.BINNED_MIN_ROWS:
        rb = bin_rows(p, positive, weights, None, 1, "probability", exact_logits=False)
        if rb is not None:
            return _row_bins_block(rb, int(p.shape[0]), bins)
    block = binary_metrics(aggregate(p, positive, weights), bins, rows=int(p.shape[0]))
    block["row_bins"] = None
    return block


def _row_bins_block(rb: RowBins, rows: int, bins: int) -> JsonDict:
    """``binary_metrics`` of ``rows`` rows binned in one group ``rb`` (in ``row_bins``)."""
    block = binary_metrics(rb.aggregated((0,), "probability"), bins, rows=rows)
    block["row_bins"] = rb.describe()
    return block


def row_figures(probs: FloatArray, labels: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
    """Per row: the highest class probability, whether its class (the first of equal
    highest, as ``argmax``) is the label, and the label's probability; computed class by class
    (a few whole columns, not numpy's slow short rows), with no n-length index array.

    >>> top, hit, p_true = row_figures(np.array([[0.5, 0.5], [0.2, 0.8]]), np.array([1, 1]))
    >>> top.tolist(), hit.tolist(), p_true.tolist()
    ([0.5, 0.8], [False, True], [0.5, 0.8])
    """
    n, k = probs.shape
    top = probs[:, 0].copy()
    hit = labels == 0
    for j in range(1, k):
        _update_top(probs[:, j], labels == j, top, hit, probs[:, j] > top)
    if k > 32:
        p_true: FloatArray = probs[np.arange(n), labels]
    elif labels.dtype == np.intp:
        p_true = np.choose(labels, [probs[:, j] for j in range(k)])
    else:  # np.choose would convert byte labels to intp first: a masked copy per class
        p_true = probs[:, 0].copy()
        for j in range(1, k):
            np.copyto(p_true, probs[:, j], where=labels == j)
    return top, hit, p_true


def _update_top(probs: FloatArray, is_label: BoolArray, top: FloatArray, hit: BoolArray,
                higher: BoolArray) -> None:
    """A class's probabilities ``probs`` (``is_label``: the rows it is the label of) taken
    into the highest so far ``top`` and the rows whose first highest class is the label ``hit``
    (both changed in place): a row's first highest class becomes this class where ``probs`` is
    strictly higher, ``higher`` (``probs > top``, changed here), as ``argmax`` picks it (boolean
    updates, several times faster than storing the class index by a mask)."""
    hit &= ~higher
    higher &= is_label
    hit |= higher
    np.maximum(top, probs, out=top)


ClassColumn = Callable[[int, slice], FloatArray]
"""Class ``j``'s probabilities of the rows ``part`` (an array the caller does not change)."""

ClassRows = Callable[[slice], FloatArray]
"""The class probabilities of the rows of a slice: a new ``(rows, classes)`` array."""


def columns_of(rows: ClassRows) -> ClassColumn:
    """The :data:`ClassColumn` of ``rows``: each slice computed once for all its classes (the
    metrics ask for a slice's classes one after another; the last slice's are kept).

    >>> calls = []
    >>> column = columns_of(lambda part: calls.append(part) or np.ones((2, 3))[part] * 0.5)
    >>> column(0, slice(0, 2)).tolist(), column(2, slice(0, 2)).tolist(), len(calls)
    ([0.5, 0.5], [0.5, 0.5], 1)
    """
    last: list[tuple[tuple[Optional[int], Optional[int], Optional[int]], FloatArray]] = []

    def column(j: int, part: slice) -> FloatArray:
        key = (part.start, part.stop, part.step)
        if not last or last[0][0] != key:
            last.clear()  # the previous slice's rows let go before the next are computed
            last.append((key, rows(part)))
        return last[0][1][:, j]

    return column


def _sum_counts(sums: FloatArray) -> tuple[int, int]:
    """The rows whose class scores sum to 0 (or less, or NaN) and those whose sum is off 1 by
    more than ``1e-6``."""
    gap = sums - 1.0
    np.abs(gap, out=gap)
    return int(np.count_nonzero(~(sums > 0.0))), int(np.count_nonzero(gap > 1e-6))


def renormalised_columns(scores: FloatArray
                         ) -> tuple[ClassColumn, int, int, Optional[ClassExtremes]]:
    """The columns of ``renormalise(scores)`` computed for the rows asked for (the same values,
    with no n x classes matrix and no n-length array of row sums), the number of rows summing
    to 0 (uniform), the number whose sum is off 1 by more than ``1e-6`` and, from
    ``BINNED_MIN_ROWS`` rows, the columns' :class:`ClassExtremes` (for the metrics' row bins),
    found in one pass in chunks of ``BIN_CHUNK_ROWS`` rows.

    >>> column, zero, off, extremes = renormalised_columns(np.array([[0.2, 0.6], [0.0, 0.0]]))
    >>> column(1, slice(None)).round(3).tolist(), zero, off, extremes
    ([0.75, 0.5], 1, 2, None)
    """
    k = scores.shape[1]

    def renormalised(part: slice, count: bool) -> tuple[FloatArray, tuple[int, int]]:
        """The rows' renormalised probabilities, class-major (each class's column contiguous:
        the metrics' work on a strided column takes several times longer), and their
        :func:`_sum_counts` when ``count`` (else zeros)."""
        block = scores[part]
        sums = row_reduce(np.add, block)
        counts = _sum_counts(sums) if count else (0, 0)
        empty = ~(sums > 0.0)
        sums[empty] = 1.0
        out: FloatArray = np.empty((k, block.shape[0]))
        for j in range(k):
            np.divide(block[:, j], sums, out=out[j])
        out[:, empty] = 1.0 / k
        return out, counts

    n = scores.shape[0]
    extremes = ClassExtremes(k) if n >= limits.BINNED_MIN_ROWS else None
    zero = off = 0
    for part in _chunks(n):
        if extremes is None:
            counts = _sum_counts(row_reduce(np.add, scores[part]))
        else:
            out, counts = renormalised(part, True)
            extremes.add(list(out))
            del out
        zero += counts[0]
        off += counts[1]

    def rows(part: slice) -> FloatArray:
        by_row: FloatArray = renormalised(part, False)[0].T
        return by_row

    return columns_of(rows), zero, off, extremes


def multiclass_metrics(probs: FloatArray, labels: IntArray, weights: Optional[FloatArray],
                       names: Sequence[str], bins: int) -> JsonDict:
    """Multi-class metrics: top-label, per-class (one-vs-rest) and macro figures, all weighted
    (``weights`` None: each row weighs 1, the same figures as weights of 1).

    ``ece_equal_width`` is the top-label ECE (confidence = the highest class probability,
    outcome = whether that class is the label): the figure the gate compares with the threshold.
    """
    return multiclass_metrics_of(lambda j, part: probs[part, j], labels, weights, names, bins)


@dataclasses.dataclass
class _RowSums:
    """The multi-class figures summed over rows: squared probabilities, the label's probability
    and its clipped log, the rows clipped and the correct top labels (weighted)."""

    squares: float = 0.0
    p_true: float = 0.0
    log_p_true: float = 0.0
    clipped: int = 0
    correct: float = 0.0

    def add(self, weights: Optional[FloatArray], p_true: FloatArray, hit: BoolArray) -> None:
        """Add the rows' label probabilities ``p_true`` and top-label hits ``hit`` (``weights``
        None: each row weighs 1)."""
        self.clipped += int(np.count_nonzero(p_true < CLIP_EPSILON))
        log_p_true = np.clip(p_true, CLIP_EPSILON, 1.0)
        np.log(log_p_true, out=log_p_true)
        if weights is None:
            self.p_true += float(np.sum(p_true))
            self.log_p_true += float(np.sum(log_p_true))
            self.correct += float(np.count_nonzero(hit))
            return
        self.p_true += float(np.dot(weights, p_true))
        self.log_p_true += float(np.dot(weights, log_p_true))
        self.correct += float(np.dot(weights, hit.astype(np.float64)))

    def add_squares(self, weights: Optional[FloatArray], probs: FloatArray,
                    out: FloatArray) -> None:
        """Add the rows' squared probabilities of a class ``probs`` (squared into ``out``, of
        their length)."""
        np.square(probs, out=out)
        self.squares += float(np.sum(out) if weights is None else np.dot(weights, out))


def _top_label_step(j: int, probs: FloatArray, labels: IntArray,
                    state: Optional[tuple[FloatArray, BoolArray, FloatArray]]
                    ) -> tuple[FloatArray, BoolArray, FloatArray]:
    """The highest probability so far, whether its class (the first of equal highest, as
    ``argmax``) is the label, and the label's probability, after class ``j``'s probabilities
    ``probs``."""
    if state is None:
        return probs.copy(), labels == j, probs.copy()
    top, hit, p_true = state
    is_label = labels == j
    _update_top(probs, is_label, top, hit, probs > top)
    np.copyto(p_true, probs, where=is_label)
    return top, hit, p_true


def _exact_figures(column: ClassColumn, labels: IntArray, weights: Optional[FloatArray],
                   k: int, bins: int) -> tuple[list[JsonDict], JsonDict, _RowSums]:
    """Each class's block, the top-label block and the row sums, each class's probabilities
    asked for once, whole (every per-row figure accumulated class by class)."""
    blocks: list[JsonDict] = []
    sums = _RowSums()
    square = np.empty(labels.shape[0])
    state: Optional[tuple[FloatArray, BoolArray, FloatArray]] = None
    for j in range(k):
        probs = np.ascontiguousarray(column(j, slice(None)))
        blocks.append(binary_metrics_of(probs, labels == j, weights, bins))
        state = _top_label_step(j, probs, labels, state)
        sums.add_squares(weights, probs, square)
        del probs
    del square
    assert state is not None
    top, hit, p_true = state
    del state
    top_block = binary_metrics_of(top, hit, weights, bins)
    del top
    sums.add(weights, p_true, hit)
    return blocks, top_block, sums


def _select(into: FloatArray, values: FloatArray, where: BoolArray, scratch: FloatArray) -> None:
    """``np.copyto(into, values, where=where)`` (the same bits) by integer operations on the
    floats' bits, about twice as fast: ``into ^= (into ^ values) * where``; ``scratch`` is an
    array of their length, neither of the two.

    >>> into = np.array([1.0, -0.0, np.inf])
    >>> _select(into, np.array([2.0, 0.0, 3.0]), np.array([False, True, True]), np.empty(3))
    >>> into.tolist()
    [1.0, 0.0, 3.0]
    """
    bits, diff = into.view(np.uint64), scratch.view(np.uint64)
    np.bitwise_xor(bits, values.view(np.uint64), out=diff)
    np.multiply(diff, where, out=diff)
    np.bitwise_xor(bits, diff, out=bits)


class _ChunkBuffers:
    """The arrays :func:`_binned_figures` computes a chunk's rows in, made once for every chunk:
    five of floats, three of booleans and, when a class's probabilities come strided, one to
    copy them into."""

    def __init__(self, size: int) -> None:
        self._floats: FloatArray = np.empty((5, size))
        self._flags: BoolArray = np.empty((3, size), dtype=bool)
        self._column: Optional[FloatArray] = None

    def floats(self, m: int) -> tuple[FloatArray, ...]:
        """The five float buffers' first ``m`` rows."""
        return tuple(self._floats[:, :m])

    def flags(self, m: int) -> tuple[BoolArray, ...]:
        """The three boolean buffers' first ``m`` rows."""
        return tuple(self._flags[:, :m])

    def contiguous(self, values: FloatArray) -> FloatArray:
        """``values`` if contiguous, else their copy in a buffer of its own (every whole-column
        operation on a strided column takes several times longer)."""
        if values.flags.c_contiguous:
            return values
        if self._column is None:
            self._column = np.empty(self._floats.shape[1])
        out = self._column[:values.shape[0]]
        np.copyto(out, values)
        return out


def _chunks(n: int) -> list[slice]:
    return [slice(start, start + limits.BIN_CHUNK_ROWS)
            for start in range(0, n, limits.BIN_CHUNK_ROWS)]


class ClassExtremes:
    """The lowest and highest probability of each class and of the highest class probability
    of a row (last), over the chunks of rows added: the span of the metrics' row-bin grids.

    >>> extremes = ClassExtremes(2)
    >>> extremes.add([np.array([0.2, 0.7]), np.array([0.8, 0.3])])
    >>> extremes.low.tolist(), extremes.high.tolist()
    ([0.2, 0.3, 0.7], [0.7, 0.8, 0.8])
    """

    def __init__(self, k: int) -> None:
        self.low: FloatArray = np.full(k + 1, np.inf)
        self.high: FloatArray = np.full(k + 1, -np.inf)

    def add(self, columns: Sequence[FloatArray]) -> None:
        """Take in a chunk of rows given as its class columns (NaN propagates, as a grid of
        NaN is refused)."""
        top: Optional[FloatArray] = None
        for j, probs in enumerate(columns):
            self._take(j, probs)
            top = probs.copy() if top is None else np.maximum(top, probs, out=top)
        assert top is not None
        self._take(len(columns), top)

    def _take(self, j: int, values: FloatArray) -> None:
        self.low[j] = np.minimum(self.low[j], np.min(values))
        self.high[j] = np.maximum(self.high[j], np.max(values))

    def grids(self) -> Optional[list[BinGrid]]:
        """Each class's row-bin grid and the highest probability's (last); None when one
        cannot be binned."""
        grids = [BinGrid.spanning(float(low), float(high), "probability")
                 for low, high in zip(self.low, self.high)]
        return None if any(grid is None for grid in grids) else \
            [grid for grid in grids if grid is not None]


def _class_extremes(column: ClassColumn, n: int, k: int) -> ClassExtremes:
    """:class:`ClassExtremes` of the probabilities ``column`` gives, from one pass over the
    rows."""
    extremes = ClassExtremes(k)
    for part in _chunks(n):
        extremes.add([column(j, part) for j in range(k)])
    return extremes


def _binned_figures(column: ClassColumn, labels: IntArray, weights: Optional[FloatArray],
                    k: int, bins: int, extremes: Optional[ClassExtremes]
                    ) -> Optional[tuple[list[JsonDict], JsonDict, _RowSums]]:
    """:func:`_exact_figures` on row bins, in chunks of ``BIN_CHUNK_ROWS`` rows: a pass for the
    bins' extremes (unless given), then one that bins every class and the top label and sums
    the row figures (no n-length array). The blocks equal :func:`binary_metrics_of`'s (the same
    chunks); the row sums are added chunk by chunk. None when a class cannot be binned."""
    n = labels.shape[0]
    grids = (extremes if extremes is not None else _class_extremes(column, n, k)).grids()
    if grids is None:
        return None
    binners = [RowBinner(grid, 1, weighted=weights is not None) for grid in grids]
    sums = _RowSums()
    chunk = _ChunkBuffers(min(n, limits.BIN_CHUNK_ROWS))
    for part in _chunks(n):
        part_labels = labels[part]
        part_weights = None if weights is None else weights[part]
        top, top_z, p_true, z, scratch = chunk.floats(part_labels.shape[0])
        is_label, hit, higher = chunk.flags(part_labels.shape[0])
        for j in range(k):
            probs = chunk.contiguous(column(j, part))
            np.equal(part_labels, j, out=is_label)
            bin_logits(probs, z, scratch)
            binners[j].add_logits(z, clipped_rows(probs), is_label, part_weights, None, scratch)
            if j == 0:
                for first, value in ((top, probs), (top_z, z), (p_true, probs), (hit, is_label)):
                    np.copyto(first, value)
            else:
                np.greater(probs, top, out=higher)
                _select(top_z, z, higher, scratch)  # the highest probability's logit: its class's
                _update_top(probs, is_label, top, hit, higher)
                _select(p_true, probs, is_label, scratch)
            sums.add_squares(part_weights, probs, z)  # the logits done with: their room
            del probs  # a view of the chunk's rows, which the next chunk's replace
        binners[k].add_logits(top_z, clipped_rows(top), hit, part_weights, None, scratch)
        sums.add(part_weights, p_true, hit)
    blocks = [_row_bins_block(binner.result(), n, bins) for binner in binners]
    return blocks[:k], blocks[k], sums


def _class_counts(labels: IntArray, k: int) -> IntArray:
    """Each class's rows, counted a chunk at a time (``np.bincount`` of all byte labels at once
    would widen them to an n-length array of indices first)."""
    counts: IntArray = np.zeros(k, dtype=np.int64)
    for part in _chunks(labels.shape[0]):
        counts += np.bincount(labels[part], minlength=k)
    return counts


def multiclass_metrics_of(column: ClassColumn, labels: IntArray, weights: Optional[FloatArray],
                          names: Sequence[str], bins: int,
                          extremes: Optional[ClassExtremes] = None) -> JsonDict:
    """:func:`multiclass_metrics` of the class probabilities ``column(j, rows)``, asked for one
    class at a time (from ``BINNED_MIN_ROWS`` rows: in chunks of rows, every block on row
    bins, whose spans are ``extremes`` when the caller has them, else a first pass finds them;
    below: once each, whole, every block exact). Weights all 1 are taken as None (the same
    figures): unit weights aggregate by one sort of bool-labelled keys, not by ``np.unique``,
    and sum without products."""
    n = labels.shape[0]
    k = len(names)
    if weights is not None and bool(np.all(weights == 1.0)):
        weights = None
    total = float(n if weights is None else weights.sum())
    found = _binned_figures(column, labels, weights, k, bins, extremes) \
        if n >= limits.BINNED_MIN_ROWS else None
    blocks, top_block, sums = found if found is not None else \
        _exact_figures(column, labels, weights, k, bins)
    per_class: JsonDict = dict(zip(names, blocks))
    aucs: dict[str, Optional[float]] = {}
    reasons: dict[str, str] = {}
    for name, block in zip(names, blocks):
        auc = block["auc"]
        aucs[name] = float(auc) if isinstance(auc, float) else None
        if auc is None:
            reasons[name] = f"class {name!r} is absent or is every row's label"
    defined = [a for a in aucs.values() if a is not None]
    class_weight = _class_counts(labels, k) if weights is None else \
        weighted_count(labels, weights, k)
    return {
        "n": n, "weight_sum": total, "classes": list(names),
        "class_counts": {name: int_if_integral(float(v)) for name, v in zip(names, class_weight)},
        "ece_equal_width": top_block["ece_equal_width"],
        "ece_equal_mass": top_block["ece_equal_mass"],
        "ece_definition": "top-label: confidence = highest class probability, outcome = "
                          "that class is the label",
        "top_label": top_block,
        "macro": {"ece_equal_width": float(np.mean([json_number(b["ece_equal_width"])
                                                    for b in blocks])),
                  "ece_equal_mass": float(np.mean([json_number(b["ece_equal_mass"])
                                                   for b in blocks])),
                  "definition": "mean over classes of the one-vs-rest (class-wise) figures"},
        "brier": (sums.squares - 2.0 * sums.p_true + total) / total,
        "brier_definition": "sum over classes of squared errors",
        "log_loss": -sums.log_p_true / total, "log_loss_clip_epsilon": CLIP_EPSILON,
        "log_loss_clipped_rows": sums.clipped,
        "accuracy": sums.correct / total,
        "auc_ovr": {"per_class": aucs, "null_reasons": reasons,
                    "macro": float(np.mean(defined)) if defined else None,
                    "macro_over_classes": len(defined),
                    "macro_null_reason": None if defined else "no class has both outcomes"},
        "per_class": per_class,
    }

