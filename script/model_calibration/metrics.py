"""The calibration metrics of ``metrics.json``: the binary block (the multi-class blocks are
``multiclassmetrics.py``'s, the multi-task aggregates ``metricblocks.py``'s).

A binary block holds ECE, MCE and RMSCE over equal-width and equal-mass bins (with the bins
themselves), the smooth ECE, Brier score and its decomposition, log loss, AUC, the calibration
slope and intercept, Spiegelhalter's z and the CORP block (``corp.py``: decompositions, the
reliability curve and its band), every figure weighted by the rows' weights. The
figure the gate compares with ``ERROR_THRESHOLD`` is ``ece_equal_width`` (see docs/metrics.md).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from . import limits
from .aggregation import Aggregated, aggregate
from .corp import corp_block
from .jsonvalues import JsonDict, int_if_integral
from .numerics import CLIP_EPSILON, BoolArray, FloatArray, fit_logistic_line, logit, weighted_count
from .rowbins import RowBins, bin_rows
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
        rb = bin_rows(p, positive, weights, None, 1, "probability")
        if rb is not None:
            return row_bins_block(rb, int(p.shape[0]), bins)
    block = binary_metrics(aggregate(p, positive, weights), bins, rows=int(p.shape[0]))
    block["row_bins"] = None
    return block


def row_bins_block(rb: RowBins, rows: int, bins: int) -> JsonDict:
    """``binary_metrics`` of ``rows`` rows binned in ``rb`` (every group's bins together; in
    ``row_bins``)."""
    block = binary_metrics(rb.aggregated(range(rb.n.shape[0]), "probability"), bins, rows=rows)
    block["row_bins"] = rb.describe()
    return block
