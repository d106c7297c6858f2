"""Fitting one binary calibrator on aggregated rows: isotonic, platt, beta, gam or temperature.

- ``isotonic``: pool-adjacent-violators on the scores aggregated by value, near-ties merged as
  scikit-learn merges them (``ties``), shipped as knots: identical to scikit-learn's
  ``IsotonicRegression(out_of_bounds='clip')`` (from ``BINNED_MIN_ROWS`` rows pooled by the
  script's own :func:`~.corp.pav`, which the CORP curves use: the same fit up to rounding,
  without importing scikit-learn).
- ``platt``: ``sigmoid(a * logit(s) + b)``, maximum likelihood of the smoothed targets (margins
  are used as they are in logit space).
- ``beta``: ``sigmoid(a * ln(s) - b * ln(1 - s) + c)`` with ``a, b >= 0`` (monotone): where the
  full fit has a negative coefficient, the best fit with it (or both) held at 0 (betacal's
  ``abm`` rule refits without the negative one; this keeps the best feasible sub-model). Scores
  that clip to two values (piled within the clip of 0 and 1) determine two parameters only:
  the one-feature sub-models are fitted there, not the singular three-parameter one. beta fits
  the labels under a weakly informative Cauchy prior (``PRIOR_RULE``, Gelman et al. 2008): finite
  on separable rows, confident far from the class boundary; its outputs are bounded by
  ``probability_floor`` (stored as ``params.probability_floor``).
- ``gam``: the penalised spline of ``gam``, tabulated as knots.
- ``venn_abers``: inductive Venn-ABERS (:mod:`.venn_abers`), its step functions ``p0``, ``p1``.
- ``temperature``: ``sigmoid(scale * z)`` of the log-odds ``z`` (:mod:`.binarytemperature`):
  scikit-learn's binary temperature scaling, or under ``auto`` (``scale_prior``) the same fit
  under the prior on the scale that vector scaling's common scale has.
- ``identity``: the scores as they are (probabilities clipped to ``[eps, 1 - eps]``, logits
  through the sigmoid): no fit, the uncalibrated baseline ``auto`` compares with.

platt and gam fit Platt's (1999) smoothed targets; platt, beta and gam clip probabilities at
the data-adaptive ``adaptive_clip_epsilon`` (counting the clipped rows), and are checked
(``fitchecks``): a fit that did not converge or is degenerate is never returned quietly. identity clips at the same
``adaptive_clip_epsilon``; isotonic, venn_abers and temperature use the scores as they are
(temperature takes ``ln(p + 1e-12)`` as scikit-learn does).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Final, Optional

import numpy as np

from .aggregation import Aggregated, sort_with_labels
from .artifact import Calibrator
from .binarytemperature import NAMED_OUTPUT_BOUND, fit_binary_temperature, temperature_logits
from ..errors import CalibrationScriptError, Code
from .gam import GAM_LAMBDA, GAM_TABLE_POINTS, fit_gam, gam_predict_logit
from .jsonvalues import JsonDict, json_number
from .knots import merge_close_knots
from .fitchecks import check_fit
from .corp import pav
from .numerics import (CLIP_EPSILON, LOG_OFFSET, LOGIT_LIMIT, PRIOR_INTERCEPT_SCALE, PRIOR_SLOPE_SCALE,
                       BoolArray, FloatArray, IntArray, LogisticFit, adaptive_clip_epsilon,
                       beta_features, fit_logistic_line, fit_logistic_prior, logit, sigmoid,
                       smoothed_positives)
from .settings import Settings
from .ties import TIE_RESOLUTION, merge_near_ties
from .venn_abers import TEST_ROW_WEIGHT, venn_abers_steps


def pav_aggregated(x_unique: FloatArray, n: FloatArray, k: FloatArray) -> FloatArray:
    """Isotonic (increasing) fit of the per-value positive rates ``k / n`` weighted by ``n``."""
    try:
        from sklearn.isotonic import isotonic_regression
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching sys.modules
        raise CalibrationScriptError(
            Code.MC_E302_MISSING_LIBRARY, f"scikit-learn is required for isotonic ({exc})",
            "install scikit-learn>=1.4 (see requirements.txt)") from exc
    del x_unique
    fitted = isotonic_regression(k / n, sample_weight=n, increasing=True)
    return np.asarray(fitted, dtype=np.float64)


def check_two_classes(agg: Aggregated, context: str) -> None:
    """``MC-E301-SINGLE-CLASS`` unless the aggregated rows hold both classes.

    >>> check_two_classes(Aggregated(np.array([0.5]), np.array([2.0]), np.array([2.0])), "doc")
    Traceback (most recent call last):
    ...
    calibration_step.script.errors.CalibrationScriptError: MC-E301-SINGLE-CLASS: ...
    """
    positives = float(agg.k.sum())
    total = float(agg.n.sum())
    if positives <= 0.0 or positives >= total:
        only = "positive" if positives > 0 else "negative"
        raise CalibrationScriptError(
            Code.MC_E301_SINGLE_CLASS,
            f"{context}: all {int(total)} rows are {only}; a calibrator needs both classes",
            "provide evaluation data with both label values")


_AS_THEY_ARE: Final = ("isotonic", "venn_abers", "temperature")
"""Methods that fit the scores as they are: no clip, no smoothed targets."""
SMOOTHED_METHODS: Final = ("platt", "beta", "gam")
"""Methods fitted to Platt's smoothed targets and checked by ``check_fit``."""


STARTED_METHODS = ("beta", "gam")
"""The binary methods whose fit can start from a fit on nearby rows (``fit_calibrator``'s
``nearby_fit``)."""


def fit_calibrator(agg: Aggregated, settings: Settings, context: str = "fit",
                   row_bins: Optional[JsonDict] = None,
                   clipped_rows: Optional[int] = None,
                   clip_epsilon: Optional[float] = None,
                   weighted_rows: Optional[int] = None, scale_prior: bool = False,
                   at_scale: bool = False, nearby_fit: Optional[Calibrator] = None
                   ) -> Calibrator:
    """Fit the configured method on aggregated rows (counts with zero rows are ignored).

    platt, beta and gam fit Platt's smoothed targets (:func:`smoothed_positives`) and, for
    probability scores, clip at :func:`adaptive_clip_epsilon` of ``agg.values`` (or the given
    ``clip_epsilon``); isotonic fits the labels as they are. ``weighted_rows``: the number of
    rows whose weights ``agg`` sums (None: unweighted), for the targets' totals. A fit that
    did not converge or is degenerate raises ``MC-E304``/``MC-E305`` (:func:`check_fit`).
    ``scale_prior``: temperature's scale under its prior (``auto``'s candidate), not
    scikit-learn's unpenalised fit.

    ``row_bins`` (a :meth:`RowBins.describe`) says ``agg`` holds logit bins of the rows, not
    their distinct scores: the fit statistics then record it instead of ``unique_scores``, with
    the ``clipped_rows`` counted on the rows. ``at_scale`` (implied by ``row_bins``): ``agg``
    holds the bins of at least ``BINNED_MIN_ROWS`` rows, and isotonic pools with the script's
    own :func:`~.corp.pav`, not scikit-learn's. ``nearby_fit``: a fit of beta or gam on nearby rows
    (the same settings), where its Newton or PIRLS steps start; other methods ignore it.
    """
    keep = agg.n > 0
    if not np.all(keep):
        agg = Aggregated(agg.values[keep], agg.n[keep], agg.k[keep])
    check_two_classes(agg, context)
    space = settings.score_space
    method = settings.method
    eps = CLIP_EPSILON
    if space == "probability" and method not in _AS_THEY_ARE:
        eps = adaptive_clip_epsilon(agg.values) if clip_epsilon is None else clip_epsilon
    start = time.perf_counter()
    fit: JsonDict = {"rows": int(agg.n.sum()), "positives": int(agg.k.sum())}
    if row_bins is None:
        fit["unique_scores"] = int(agg.values.shape[0])
    else:
        fit["row_bins"] = row_bins
    if space == "probability":
        clipped = (agg.values < eps) | (agg.values > 1.0 - eps)
        fit["clipped_rows"] = 0 if method in _AS_THEY_ARE else \
            int(agg.n[clipped].sum()) if clipped_rows is None else clipped_rows
    if method == "isotonic":
        xs, ys = isotonic_knots(agg.values, agg.n, agg.k,
                                at_scale=at_scale or row_bins is not None)
        cal = Calibrator("isotonic", space, eps, knots_x=xs, knots_y=ys, fit=fit)
    elif method == "venn_abers":
        xs, p0, p1 = venn_abers_steps(agg)
        fit["groups"] = int(xs.shape[0])
        cal = Calibrator("venn_abers", space, eps, knots_x=xs, p0_p1=(p0, p1), fit=fit,
                         extra_params={"tie_resolution": TIE_RESOLUTION,
                                       "test_row_weight": TEST_ROW_WEIGHT})
    elif method == "identity":
        cal = Calibrator("identity", space, eps, fit=fit)
    elif method == "temperature":
        cal = _fit_temperature(agg, space, fit, weighted_rows, scale_prior)
    else:
        if space == "probability":
            fit["clip_rule"] = CLIP_RULE
        if method == "beta":
            fit.update(targets=PRIOR_TARGETS_RULE, prior=PRIOR_RULE)
            fitted = agg
        else:
            targets_k, targets = smoothed_positives(agg.n, agg.k, weighted_rows)
            fit.update(targets=TARGETS_RULE, target_positive=targets[0],
                       target_negative=targets[1])
            fitted = Aggregated(agg.values, agg.n, targets_k)
        cal = _fit_logit_method(fitted, settings, eps, fit, weighted_rows, nearby_fit)
    fit["seconds"] = round(time.perf_counter() - start, 6)
    if method in SMOOTHED_METHODS:
        warnings = check_fit(cal, agg, context, weighted_rows)
        if warnings:
            fit["warnings"] = [dict(w) for w in warnings]
    return cal


TARGETS_RULE = "platt_smoothed"
"""``fit.targets`` of platt and gam: Platt's (1999) smoothed targets (``platt_targets``)."""

PRIOR_TARGETS_RULE = "labels"
"""``fit.targets`` of beta: the labels as they are (its prior keeps it finite)."""

PRIOR_INPUT_SPREAD = 0.5
"""The spread (standard deviation) of the log-odds below which beta's slopes are in the scores'
own unit: Gelman et al. (2008) scale every input to this standard deviation before their
``Cauchy(0, 2.5)``."""

PRIOR_RULE = (f"Cauchy(0, {PRIOR_SLOPE_SCALE:g}) on each slope (in units of the log-odds' "
              f"standard deviation over {PRIOR_INPUT_SPREAD:g} where it is below "
              f"{PRIOR_INPUT_SPREAD:g}: fit.prior_slope_scale), Cauchy(0, "
              f"{PRIOR_INTERCEPT_SCALE:g}) on the intercept (Gelman et al. 2008); outputs "
              "within [probability_floor, 1 - probability_floor], probability_floor = "
              "1 / (2 (rows + 1))")
"""``fit.prior`` of beta: its weakly informative prior and bounded output."""


def prior_slope_scale(log_odds: FloatArray, weights: FloatArray) -> float:
    """The Cauchy scale on beta's slopes for scores of these ``log_odds`` (each weighing
    ``weights``): ``PRIOR_SLOPE_SCALE`` where their standard deviation is at least
    ``PRIOR_INPUT_SPREAD`` (log-probabilities keep their unit: a slope of 1 keeps the scores),
    else ``PRIOR_SLOPE_SCALE * PRIOR_INPUT_SPREAD / deviation``: Gelman et al.'s prior on the
    scores scaled to that deviation. Squeezed scores (AdaBoost's, or an over-regularised
    model's near the base rate) need slopes far above 2.5, which the prior in log-probability
    units held near 0: the fit was then about the base rate.

    >>> prior_slope_scale(np.array([-2.0, 2.0]), np.ones(2))
    2.5
    >>> prior_slope_scale(np.array([-0.05, 0.05]), np.ones(2))
    25.0
    """
    mean = np.average(log_odds, weights=weights)
    deviation = math.sqrt(float(np.average((log_odds - mean) ** 2, weights=weights)))
    if deviation >= PRIOR_INPUT_SPREAD or deviation == 0.0:
        return PRIOR_SLOPE_SCALE
    return PRIOR_SLOPE_SCALE * PRIOR_INPUT_SPREAD / deviation


def probability_floor(rows: float) -> float:
    """The bound of a beta calibrator's outputs, and of every calibrator ``auto`` fits but
    identity (bounded by :func:`class_floor`): ``1 / (2 (rows + 1))`` on ``rows`` calibration
    rows, the Krichevsky-Trofimov estimate of a miss rate after ``rows`` rows without a miss
    (the posterior mean under Jeffreys' prior ``Beta(1/2, 1/2)``; Laplace's rule gives
    ``1 / (rows + 2)``). A miss then costs at most ``ln(2 (rows + 1))`` nats instead of the
    metrics' ``ln(1e15) = 34.5``, no output is below ``1e-6`` up to half a million rows (no
    confident miss), and the bound vanishes as rows grow.

    >>> probability_floor(45.0) > 1e-6 > probability_floor(1e6)
    True
    """
    return 0.5 / (rows + 1.0)


CLIP_RULE = ("exact 0/1 scores clipped to half the smallest distance of another score from 0 or "
             "1, within [1e-15, 1e-2]; else 1e-15")
"""``fit.clip_rule`` of platt, beta and gam on probabilities (``adaptive_clip_epsilon``)."""


def uniform_share(rows: float, classes: int) -> float:
    """The share of the uniform distribution a multi-class calibrator of ``auto`` is mixed with
    (vector and dirichlet) or bounded by (the identity's members: :func:`class_floor`):
    :func:`probability_floor` of ``rows`` shared out over the ``classes``.

    >>> uniform_share(45.0, 3) == probability_floor(45.0) / 3
    True
    """
    return probability_floor(rows) / classes


def class_floor(rows: float, classes: int) -> float:
    """The least probability a class keeps under the :func:`uniform_share` of ``rows`` and
    ``classes``: ``u / classes``. ``auto`` bounds its identity by it (a multi-class one's
    one-vs-rest members; a binary one's with two classes: a quarter of
    :func:`probability_floor`), so the scores kept as they are give no confident miss, at a
    cost of about ``(classes - 1) / classes * u`` nats on a row they get right, as the mixing
    costs vector and dirichlet.

    >>> round(class_floor(45.0, 3), 6)
    0.001208
    """
    return uniform_share(rows, classes) / classes


def with_probability_floor(cal: Calibrator, floor: float) -> Calibrator:
    """``cal`` with its outputs bounded to ``[floor, 1 - floor]``: what ``auto`` does to every
    candidate and to what it ships, with :func:`probability_floor` of the rows (identity with
    the smaller :func:`class_floor`), so that a confident fit never gives a confident miss or
    an exact 0 or 1.

    >>> iso = Calibrator("isotonic", "probability", 1e-15, knots_x=np.array([0.2, 0.8]),
    ...                  knots_y=np.array([0.0, 1.0]))
    >>> from calibration_step.script.model_calibration.apply import apply_calibrator
    >>> apply_calibrator(with_probability_floor(iso, probability_floor(9.0)),
    ...                  np.array([0.0, 1.0])).tolist()
    [0.05, 0.95]
    """
    return dataclasses.replace(cal, extra_params={**cal.extra_params,
                                                  "probability_floor": floor})


def _fit_temperature(agg: Aggregated, space: str, fit: JsonDict, weighted_rows: Optional[int],
                     scale_prior: bool) -> Calibrator:
    """Binary temperature on ``agg`` (its labels as they are), the fit statistics added to
    ``fit``; with ``scale_prior`` under the prior on the scale, of ``weighted_rows`` (else the
    rows ``agg`` counts) rows, recorded in ``params.scale_penalty``."""
    rows = float(agg.n.sum()) if weighted_rows is None else float(weighted_rows)
    scale, info = fit_binary_temperature(temperature_logits(agg.values, space), agg.n, agg.k,
                                         space, rows if scale_prior else None, agg.values)
    fit.update(info)
    if info["converged"] is not True:
        raise CalibrationScriptError(
            Code.MC_E304_FIT_NOT_CONVERGED, f"temperature's scale did not converge ({scale:g} "
            f"after {info['iterations']} steps)", "check the score column, or choose auto")
    extra: JsonDict = {"scale_penalty": info["scale_penalty"]}
    if space == "probability":
        extra["log_offset"] = LOG_OFFSET
    if not scale_prior:  # auto bounds its candidates by the rows' own floor
        extra["probability_floor"] = NAMED_OUTPUT_BOUND
    return Calibrator("temperature", space, CLIP_EPSILON, coef=(scale,), extra_params=extra,
                      fit=fit)


def _fit_logit_method(agg: Aggregated, settings: Settings, eps: float, fit: JsonDict,
                      weighted_rows: Optional[int], nearby_fit: Optional[Calibrator]
                      ) -> Calibrator:
    """platt, beta or gam on ``agg`` (platt's and gam's ``k`` the smoothed targets' counts,
    beta's the labels'), the fit statistics added to ``fit``, beta's and gam's from ``nearby_fit``
    (a fit on nearby rows) when given; margins beyond ``LOGIT_LIMIT`` are ``MC-E303``. Each
    bounds its outputs by :func:`probability_floor` of the rows (``params.probability_floor``):
    a score beyond the fitted ones (a naive Bayes score of 1e-10 where the calibration rows
    reach 1e-3) extrapolates no further than that, so it gives no confident miss."""
    space = settings.score_space
    rows = float(agg.n.sum()) if weighted_rows is None else float(weighted_rows)
    bound: JsonDict = {"probability_floor": probability_floor(rows)}
    largest = float(np.max(np.abs(agg.values))) if space == "logit" and agg.values.size else 0.0
    if largest > LOGIT_LIMIT:
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, f"{settings.method} cannot fit margins as large as {largest:g} "
            f"(it fits logit scores within +-{LOGIT_LIMIT:g})",
            "scale the margins down, or choose isotonic, venn_abers or CALIBRATION_METHOD=auto")
    if settings.method == "platt":
        z = logit(agg.values, eps) if space == "probability" else agg.values
        res = fit_logistic_line(z, agg.n, agg.k)
        fit.update(iterations=res.iterations, converged=res.converged,
                   neg_log_likelihood=res.neg_log_lik)
        return Calibrator("platt", space, eps, coef=(float(res.coef[0]), float(res.coef[1])),
                          fit=fit, extra_params=bound)
    if settings.method == "beta":
        coef, res, scale = _fit_beta(agg, space, eps, weighted_rows,
                                     () if nearby_fit is None else nearby_fit.coef)
        fit.update(iterations=res.iterations, converged=res.converged,
                   neg_log_likelihood=res.neg_log_lik, prior_slope_scale=scale)
        return Calibrator("beta", space, eps, coef=coef, fit=fit, extra_params=bound)
    z = logit(agg.values, eps) if space == "probability" else agg.values
    gam = fit_gam(z, agg.n, agg.k, settings.gam_splines, settings.monotonic,
                  start=None if nearby_fit is None else _gam_coefficients(nearby_fit))
    grid = np.linspace(gam.edge_knots[0], gam.edge_knots[1], GAM_TABLE_POINTS)
    eta = gam_predict_logit(gam, grid)
    table = sigmoid(eta)
    if settings.monotonic:
        table = np.maximum.accumulate(table)
    xs = sigmoid(grid) if space == "probability" else grid
    xs, unique_idx = np.unique(xs, return_index=True)
    fit.update(iterations=gam.iterations, converged=gam.converged, fit_points=gam.points,
               binned=gam.binned, max_abs_logit=float(np.max(np.abs(eta))))
    extra: JsonDict = {"spline_coef": [float(v) for v in gam.spline_coef],
                       "intercept": gam.intercept, "edge_knots": list(gam.edge_knots),
                       "n_splines": settings.gam_splines, "lam": GAM_LAMBDA,
                       "monotonic": settings.monotonic, "knot_space": "logit grid", **bound}
    xs, ys = merge_close_knots(xs, table[unique_idx])
    return Calibrator("gam", space, eps, knots_x=xs, knots_y=ys, extra_params=extra, fit=fit)


def isotonic_knots(values: FloatArray, n: FloatArray, k: FloatArray, at_scale: bool = False
                   ) -> tuple[FloatArray, FloatArray]:
    """The exact isotonic fit of the rates ``k / n`` at ascending ``values`` (weights ``n``),
    as knots: the first and last value of each constant block. Values closer than
    ``TIE_RESOLUTION`` are first merged as scikit-learn merges them (:func:`merge_near_ties`),
    so the knots are scikit-learn's thresholds.

    A block of the fit can only end where the rate rises (the last rate of a block is at most
    its mean, the first of the next at least that block's higher mean), so each maximal run of
    values whose rate does not rise lies inside one block: the runs are pooled first and the
    pool-adjacent-violators fit runs on them (about 4x fewer points for continuous scores with
    0/1 labels). The optimum is unique, so this is the fit on every value, up to rounding.
    ``at_scale``: pooled by :func:`~.corp.pav` (the binned path), not scikit-learn.

    >>> xs, ys = isotonic_knots(np.array([0.1, 0.2, 0.3, 0.4]), np.ones(4),
    ...                         np.array([0.0, 1.0, 0.0, 1.0]))
    >>> xs.tolist(), ys.tolist()
    ([0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 1.0])
    """
    merged = merge_near_ties(Aggregated(values, n, k))
    values, n, k = merged.values, merged.n, merged.k
    rate = k / n
    rise = rate[1:] > rate[:-1]
    del rate
    starts = np.flatnonzero(np.r_[True, rise])
    del rise
    run_n, run_k = np.add.reduceat(n, starts), np.add.reduceat(k, starts)
    fitted = pav(run_n, run_k) if at_scale else \
        pav_aggregated(values[starts], run_n, run_k)
    return _block_knots(values, starts, fitted)


def _block_knots(values: FloatArray, starts: IntArray, fitted: FloatArray
                 ) -> tuple[FloatArray, FloatArray]:
    """Knots of a fit constant on the runs of ``values`` beginning at ``starts`` (``fitted``
    per run): the first and last value of each block of equal fitted runs (one knot for a
    single value), knots closer than ``KNOT_MIN_GAP`` merged (``merge_close_knots``)."""
    m = values.shape[0]
    block = np.flatnonzero(np.r_[True, fitted[1:] != fitted[:-1]])
    first = starts[block]
    last = np.r_[first[1:] - 1, m - 1]
    xs = np.empty(2 * block.shape[0])
    xs[0::2] = values[first]
    xs[1::2] = values[last]
    ys = np.repeat(fitted[block], 2)
    keep = np.ones(xs.shape[0], dtype=bool)
    keep[1::2] = last > first
    return merge_close_knots(xs[keep], ys[keep])


def isotonic_rows(scores: FloatArray, positive: BoolArray
                  ) -> Optional[tuple[FloatArray, FloatArray]]:
    """:func:`isotonic_knots` of unweighted rows with scores >= 0, from one sort of 64-bit keys
    (``sort_with_labels``) and no aggregate: with every score distinct, a block can only end
    between a negative and the positive after it, so the rows between such pairs are pooled
    straight from the sorted labels. None when two rows share a score or lie closer than
    ``TIE_RESOLUTION`` (the caller then aggregates, and near-ties are merged there). Used from
    ``BINNED_MIN_ROWS`` rows: pooled by :func:`~.corp.pav` (scikit-learn's fit up to
    rounding).
    """
    m = scores.shape[0]
    keys, label = sort_with_labels(scores, positive)
    ordered = keys.view(np.float64)
    if not bool((np.diff(ordered) >= TIE_RESOLUTION).all()):
        return None
    starts = np.flatnonzero(np.r_[True, label[1:] > label[:-1]])
    n = np.diff(starts, append=m).astype(np.float64)
    k = np.add.reduceat(label, starts, dtype=np.float64)
    del label
    fitted = pav(n, k)
    return _block_knots(ordered, starts, fitted)


def fit_isotonic_rows(scores: FloatArray, positive: BoolArray, settings: Settings
                      ) -> Optional[Calibrator]:
    """The isotonic calibrator of unweighted rows by :func:`isotonic_rows` (the same knots and
    fit statistics as ``fit_calibrator`` on their aggregate); None when it does not apply
    (a negative score, or two rows with the same or near-tied scores)."""
    if scores.shape[0] == 0 or scores.dtype != np.float64 or not float(np.min(scores)) >= 0.0:
        return None
    start = time.perf_counter()
    knots = isotonic_rows(scores, positive)
    if knots is None:
        return None
    m = int(scores.shape[0])
    fit: JsonDict = {"rows": m, "positives": int(np.count_nonzero(positive)),
                     "unique_scores": m}
    if settings.score_space == "probability":
        fit["clipped_rows"] = 0
    fit["seconds"] = round(time.perf_counter() - start, 6)
    return Calibrator("isotonic", settings.score_space, CLIP_EPSILON, knots_x=knots[0],
                      knots_y=knots[1], fit=fit)


def _gam_coefficients(cal: Calibrator) -> tuple[FloatArray, float]:
    """A gam calibrator's spline coefficients and intercept."""
    spline = cal.extra_params["spline_coef"]
    assert isinstance(spline, list)
    return (np.array([json_number(v) for v in spline], dtype=np.float64),
            json_number(cal.extra_params["intercept"]))


def _fit_beta(agg: Aggregated, space: str, eps: float, weighted_rows: Optional[int],
              start: tuple[float, ...] = ()
              ) -> tuple[tuple[float, float, float], LogisticFit, float]:
    """beta's coefficients ``(a, b, c)`` under its prior (:func:`fit_logistic_prior`), the
    best sub-model with ``a, b >= 0``, and the prior's scale on the slopes
    (:func:`prior_slope_scale`); each sub-model's Newton steps from ``start`` (the ``(a, b, c)``
    of a fit on nearby rows) when given."""
    ln_s, ln_1ms = beta_features(agg.values, space, eps)
    slope_scale = prior_slope_scale(ln_s - ln_1ms, agg.n)
    features = {"a": ln_s, "b": -ln_1ms}
    lo, hi = float(ln_s.min()), float(ln_s.max())
    if lo == hi:  # one clipped value: the base rate only
        res = fit_logistic_line(ln_s, agg.n, agg.k)
        return (0.0, 0.0, float(res.coef[1])), res, slope_scale
    # Two clipped values (scores piled within the clip of 0 and 1) determine two parameters
    # only: the three-parameter fit is singular there, so the one-feature sub-models decide.
    three = bool(np.any((ln_s > lo) & (ln_s < hi)))
    best: Optional[tuple[tuple[float, float, float], LogisticFit]] = None
    for active in ((("a", "b"),) if three else ()) + (("a",), ("b",), ()):
        cols = [features[name] for name in active] + [np.ones_like(ln_s)]
        initial = None if not start else np.array(
            [start[0 if name == "a" else 1] for name in active] + [start[2]])
        res = fit_logistic_prior(np.column_stack(cols), agg.n, agg.k, weighted_rows,
                                 start=initial, slope_scale=slope_scale)
        values = dict(zip(active, (float(v) for v in res.coef)))
        a, b = values.get("a", 0.0), values.get("b", 0.0)
        if a < 0.0 or b < 0.0:
            continue
        coef = (a, b, float(res.coef[-1]))
        if best is None or res.neg_log_lik < best[1].neg_log_lik - 1e-9:
            best = (coef, res)
        if len(active) == 2:
            break
    assert best is not None  # the intercept-only model is always feasible
    return best[0], best[1], slope_scale
