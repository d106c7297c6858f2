"""CORP reliability (Dimitriadis, Gneiting & Jordan 2021, "Stable reliability diagrams for
probabilistic classifiers", PNAS 118(8)): the bin-free reliability curve, its consistency band
and the score decomposition ``S = MCB - DSC + UNC``.

The curve is the PAV (isotonic) recalibration ``r`` of the predictions ``p``: the increasing
function of ``p`` closest to the outcomes. For a proper score ``S`` (Brier, log loss) the mean
score of ``p``, of ``r`` and of the base rate give

- ``mcb = S(p) - S(r)`` (miscalibration, >= 0, 0 when ``p`` is its own recalibration),
- ``dsc = S(base rate) - S(r)`` (discrimination, >= 0),
- ``unc = S(base rate)`` (uncertainty),

and ``S(p) = mcb - dsc + unc`` exactly. Everything runs on aggregated predictions (each distinct
value with its weight and weighted positives): exact on every distinct prediction below
``BINNED_MIN_ROWS`` rows, on the logit-bin statistics above (docs/metrics.md gives the accuracy).

The consistency band is where the curve of a calibrated forecast with these predictions falls
with probability ``BAND_LEVEL`` (pointwise, around the diagonal): up to
``BAND_RESAMPLING_MAX_ROWS`` rows by resampling (predictions drawn with replacement, outcomes
drawn as Bernoulli(p), their PAV curve; ``BAND_RESAMPLES`` times), above it from asymptotic theory:
Chernoff's distribution for many distinct predictions (Wright 1981; the density of the
predictions by nearest neighbours on the curve's quantile grid), the normal one for few
(``BAND_DISCRETE_MAX_VALUES``), as the reference R package ``reliabilitydiag`` does.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .aggregation import Aggregated
from .jsonvalues import JsonDict
from .numerics import CLIP_EPSILON, FloatArray, IntArray, weighted_count

BAND_LEVEL = 0.9
"""Pointwise coverage of the consistency band."""
BAND_RESAMPLING_MAX_ROWS = 2_000
"""Up to this many rows the band is found by resampling; above, from asymptotic theory."""
BAND_RESAMPLES = 100
"""Resamples of the resampled band (as ``reliabilitydiag``'s default)."""
BAND_SEED = 0
"""Seed of the resampling, so a run's band is reproducible."""
BAND_DISCRETE_MAX_VALUES = 100
"""Above the resampling size, at most this many distinct predictions take the normal band of
each value's mean (``p +- z sqrt(p (1 - p) / n_p)``); more take Chernoff's band."""
CHERNOFF_QUANTILE_95 = 0.8224
"""The 0.95 quantile of Chernoff's distribution (Groeneboom & Wellner 2001, table 3): the
two-sided 90% band's half-width factor."""
NORMAL_QUANTILE_95 = 1.6448536269514722
CURVE_POINTS = 101
"""The stored curve holds at most this many points: every distinct prediction when there are so
few, else the predictions at equally spaced quantiles of the weight."""
DENSITY_SPAN = 2
"""Grid points to either side of the nearest-neighbour density estimate of the asymptotic band."""
PAV_NUMPY_PASSES = 24
"""Vectorised pooling passes of :func:`pav` before its stack pass over the blocks left."""


def pav(n: FloatArray, k: FloatArray) -> FloatArray:
    """The increasing (isotonic) fit of the rates ``k / n`` weighted by ``n`` (in the order
    given: of ascending predictions), at each of them.

    Adjacent blocks whose means decrease always belong to one block of the fit, so a numpy
    pass pools every run of them at once; after ``PAV_NUMPY_PASSES`` such passes (which leave
    far fewer blocks) the classic stack of pool-adjacent-violators finishes. Equal to
    scikit-learn's ``isotonic_regression`` to rounding, without its import (about 1 s, which
    the gam path otherwise never pays), and the same bits whatever else the process imported.

    >>> pav(np.ones(4), np.array([0.0, 1.0, 0.0, 1.0])).tolist()
    [0.0, 0.5, 0.5, 1.0]
    """
    weight, total = n.copy(), k.copy()
    length = np.ones(n.shape[0], dtype=np.int64)
    for _ in range(PAV_NUMPY_PASSES):
        mean = total / weight
        falling = mean[:-1] > mean[1:]
        if not bool(falling.any()):
            out: FloatArray = np.repeat(mean, length)
            return out
        begins = np.ones(weight.shape[0], dtype=bool)
        begins[1:] = ~falling
        block = np.cumsum(begins) - 1
        size = int(block[-1]) + 1
        weight, total = weighted_count(block, weight, size), weighted_count(block, total, size)
        length = np.bincount(block, weights=length, minlength=size).astype(np.int64)
    return np.repeat(*_pav_stack(weight.tolist(), total.tolist(), length.tolist()))


def _pav_stack(weight: list[float], total: list[float], length: list[int]
               ) -> tuple[FloatArray, IntArray]:
    """Pool-adjacent-violators over blocks (their weights, weighted positives and lengths):
    each block's mean and length."""
    w: list[float] = []
    t: list[float] = []
    size: list[int] = []
    for wi, ti, li in zip(weight, total, length):
        while w and t[-1] * wi > ti * w[-1]:  # the last block's mean exceeds this one's
            wi, ti, li = wi + w.pop(), ti + t.pop(), li + size.pop()
        w.append(wi)
        t.append(ti)
        size.append(li)
    return np.array(t) / np.array(w), np.array(size, dtype=np.int64)


def curve_grid(agg: Aggregated) -> IntArray:
    """Indices into ``agg.values`` of the stored curve's points: all when there are at most
    ``CURVE_POINTS``, else those at equally spaced weight quantiles (first and last included).

    >>> curve_grid(Aggregated(np.arange(3.0), np.ones(3), np.zeros(3))).tolist()
    [0, 1, 2]
    """
    m = agg.values.shape[0]
    if m <= CURVE_POINTS:
        return np.arange(m)
    cumulative = np.cumsum(agg.n)
    targets = np.linspace(0.0, 1.0, CURVE_POINTS) * cumulative[-1]
    idx = np.minimum(np.searchsorted(cumulative, targets, side="left"), m - 1)
    idx[0], idx[-1] = 0, m - 1
    return np.unique(idx)


def _mean_scores(agg: Aggregated, r: FloatArray) -> dict[str, tuple[float, float, float]]:
    """Per score: the mean score of the predictions, of their recalibration ``r`` and of the
    base rate."""
    total = float(agg.n.sum())
    p, n, k = agg.values, agg.n, agg.k
    base = float(k.sum()) / total
    brier = float(np.dot(n, p * p) - 2.0 * np.dot(k, p) + k.sum()) / total
    brier_r = float(np.dot(n, r * r) - 2.0 * np.dot(k, r) + k.sum()) / total
    q = np.clip(p, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    log_loss = -float(np.dot(k, np.log(q)) + np.dot(n - k, np.log1p(-q))) / total
    log_loss_r = -(_xlogy_sum(k, r) + _xlogy_sum(n - k, 1.0 - r)) / total
    log_loss_base = -(_xlogy_sum(np.array([base]), np.array([base]))
                      + _xlogy_sum(np.array([1.0 - base]), np.array([1.0 - base])))
    return {"brier": (brier, brier_r, base * (1.0 - base)),
            "log_loss": (log_loss, log_loss_r, log_loss_base)}


def _xlogy_sum(x: FloatArray, y: FloatArray) -> float:
    """``sum x ln y`` with ``0 ln 0 = 0`` (a recalibrated 0 or 1 only stands where no row of
    the other class is)."""
    used = x > 0.0
    return float(np.dot(x[used], np.log(y[used])))


def decomposition(agg: Aggregated, recalibrated: FloatArray) -> JsonDict:
    """The CORP decomposition ``score = mcb - dsc + unc`` of the Brier score and of log loss.

    >>> agg = Aggregated(np.array([0.2, 0.6]), np.array([1.0, 1.0]), np.array([1.0, 0.0]))
    >>> parts = decomposition(agg, np.array([0.5, 0.5]))["brier"]
    >>> [round(parts[key], 6) for key in ("score", "mcb", "dsc", "unc")]
    [0.5, 0.25, 0.0, 0.25]
    """
    out: JsonDict = {}
    for name, (score, recalibrated_score, unc) in _mean_scores(agg, recalibrated).items():
        out[name] = {"score": score, "mcb": score - recalibrated_score,
                     "dsc": unc - recalibrated_score, "unc": unc}
    return out


def _resampled_band(agg: Aggregated, rows: int, at: FloatArray
                    ) -> tuple[FloatArray, FloatArray]:
    """Quantiles at ``at`` of the PAV curves of calibrated resamples: the predictions drawn with
    replacement (by weight), each outcome Bernoulli(prediction)."""
    rng = np.random.default_rng(BAND_SEED)
    m = agg.values.shape[0]
    cumulative = np.cumsum(agg.n) / float(agg.n.sum())
    p = np.clip(agg.values, 0.0, 1.0)
    curves = np.empty((BAND_RESAMPLES, at.shape[0]))
    ones = np.ones(rows)
    for b in range(BAND_RESAMPLES):
        drawn_idx = np.minimum(np.searchsorted(cumulative, rng.random(rows), side="right"),
                               m - 1)
        counts = weighted_count(drawn_idx, ones, m)
        drawn = counts > 0
        positives = rng.binomial(counts[drawn].astype(np.int64), p[drawn]).astype(np.float64)
        fitted = pav(counts[drawn], positives)
        where = np.clip(np.searchsorted(p[drawn], at, side="right") - 1, 0, None)
        curves[b] = fitted[where]
    tail = (1.0 - BAND_LEVEL) / 2.0
    lower, upper = np.quantile(curves, [tail, 1.0 - tail], axis=0)
    return lower, upper


def _density(agg: Aggregated, at_idx: IntArray) -> FloatArray:
    """The predictions' density at ``agg.values[at_idx]`` (ascending): the weight between the
    points ``DENSITY_SPAN`` places to either side over their distance (a nearest-neighbour
    estimate; on the quantile grid each side spans 2% of the weight)."""
    cumulative = np.cumsum(agg.n) / float(agg.n.sum())
    last = at_idx.shape[0] - 1
    positions = np.arange(at_idx.shape[0])
    low = at_idx[np.maximum(positions - DENSITY_SPAN, 0)]
    high = at_idx[np.minimum(positions + DENSITY_SPAN, last)]
    out: FloatArray = (cumulative[high] - cumulative[low]) / np.maximum(
        agg.values[high] - agg.values[low], 1e-12)
    return out


def _asymptotic_band(agg: Aggregated, rows: int, at_idx: IntArray
                     ) -> tuple[FloatArray, FloatArray, str]:
    """The band from asymptotic theory around the diagonal at ``agg.values[at_idx]``."""
    x = np.clip(agg.values[at_idx], 0.0, 1.0)
    variance = x * (1.0 - x)
    if agg.values.shape[0] <= BAND_DISCRETE_MAX_VALUES:
        rows_at = agg.n[at_idx] * (rows / float(agg.n.sum()))
        half = NORMAL_QUANTILE_95 * np.sqrt(variance / rows_at)
        method = "discrete_asymptotic"
    else:
        density = np.maximum(_density(agg, at_idx), 1e-12)
        half = CHERNOFF_QUANTILE_95 * np.cbrt(4.0 * variance / (density * rows))
        method = "continuous_asymptotic"
    return np.clip(x - half, 0.0, 1.0), np.clip(x + half, 0.0, 1.0), method


def corp_block(agg: Aggregated, rows: Optional[int] = None) -> Optional[JsonDict]:
    """``corp`` of a binary block: the decomposition of Brier score and log loss, the thinned
    reliability curve and its consistency band; None when the rows hold a single class (the
    curve is then the constant outcome) or no row.

    >>> rng = np.random.default_rng(0)
    >>> p = np.sort(rng.uniform(size=200))
    >>> block = corp_block(Aggregated(p, np.ones(200), (rng.uniform(size=200) < p) * 1.0))
    >>> sorted(block), block["band"]["method"]
    (['band', 'brier', 'curve', 'log_loss', 'log_loss_clip_epsilon'], 'resampling')
    """
    total = float(agg.n.sum())
    positives = float(agg.k.sum())
    if not 0.0 < positives < total:
        return None
    rows = int(round(total)) if rows is None else rows
    if not bool(np.all(agg.n > 0.0)):  # rows of weight 0 take no part
        weighed = agg.n > 0.0
        agg = Aggregated(agg.values[weighed], agg.n[weighed], agg.k[weighed])
    recalibrated = pav(agg.n, agg.k)
    block = decomposition(agg, recalibrated)
    at_idx = curve_grid(agg)
    at = agg.values[at_idx]
    if rows <= BAND_RESAMPLING_MAX_ROWS:
        lower, upper = _resampled_band(agg, rows, at)
        method = "resampling"
    else:
        lower, upper, method = _asymptotic_band(agg, rows, at_idx)
    block["log_loss_clip_epsilon"] = CLIP_EPSILON
    block["curve"] = {"prediction": at.tolist(), "recalibrated": recalibrated[at_idx].tolist(),
                      "band_lower": lower.tolist(), "band_upper": upper.tolist()}
    block["band"] = {"method": method, "level": BAND_LEVEL, "around": "diagonal",
                     "resamples": BAND_RESAMPLES if method == "resampling" else None}
    return block
