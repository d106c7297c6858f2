"""Numerical building blocks: array types, the logit and sigmoid, softmax, and the Newton
solvers of the logistic fits (platt, beta, the calibration slope).

Logit-based methods clip probabilities to ``[CLIP_EPSILON, 1 - CLIP_EPSILON]``. The logistic
fits work on aggregated rows (a count ``n`` and a positive count ``k`` per distinct value), by
Newton's method with step halving; above 200,000 aggregated rows they start from a fit on every
64th row, so the exact polish needs about three steps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from . import limits
from ..errors import CalibrationScriptError, Code

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
LabelArray = npt.NDArray[np.signedinteger[Any]]  # 0/1 labels as int8, class indices as int64

CLIP_EPSILON = 1e-15
"""Probabilities are clipped to ``[CLIP_EPSILON, 1 - CLIP_EPSILON]`` before a log (the
metrics' log loss), and before a logit unless a score is exactly 0 or 1 (see
:func:`adaptive_clip_epsilon`)."""

CLIP_EPSILON_MAX = 1e-2
"""The widest data-adaptive clip (:func:`adaptive_clip_epsilon`)."""

_CLIP_CHUNK = 1 << 20


def adaptive_clip_epsilon(scores: FloatArray) -> float:
    """The clip of probability scores before a logit: ``CLIP_EPSILON`` unless some score is
    exactly 0 or 1 (random forests, naive Bayes); then half the smallest distance of any other
    score from 0 or 1, within ``[CLIP_EPSILON, CLIP_EPSILON_MAX]`` (``CLIP_EPSILON_MAX`` when
    every score is 0 or 1).

    A score of exactly 0 then sits one clip below the smallest positive score in logit space,
    not at ``logit(1e-15) = -34.5``, so a logit-space fit can move it; no other score is
    clipped. The fit stores the value as the calibrator's ``clip_epsilon``, which its apply uses.

    >>> adaptive_clip_epsilon(np.array([0.0, 0.02, 0.5, 0.97, 1.0]))
    0.01
    >>> adaptive_clip_epsilon(np.array([0.02, 0.5])) == CLIP_EPSILON
    True
    """
    saturated = False
    nearest = 0.5
    for begin in range(0, scores.shape[0], _CLIP_CHUNK):
        s = scores[begin:begin + _CLIP_CHUNK]
        low, high = float(s.min()), float(s.max())
        if low > 0.0 and high < 1.0:  # no score at 0 or 1: the nearest from the extremes
            nearest = min(nearest, low, 1.0 - high)
            continue
        edge = np.minimum(s, 1.0 - s)
        inside = edge > 0.0
        if not bool(inside.all()):
            saturated = True
        if inside.any():
            nearest = min(nearest, float(edge[inside].min()))
    if not saturated:
        return CLIP_EPSILON
    return min(max(0.5 * nearest, CLIP_EPSILON), CLIP_EPSILON_MAX)


def platt_targets(positives: float, negatives: float) -> tuple[float, float]:
    """Platt's (1999) smoothed targets: ``(N+ + 1) / (N+ + 2)`` for a positive row and
    ``1 / (N- + 2)`` for a negative one (scikit-learn's ``method='sigmoid'`` uses them). With
    weights, ``N+`` and ``N-`` are the weighted totals (an integer weight counts as repeated
    rows).

    >>> platt_targets(3.0, 8.0)
    (0.8, 0.1)
    """
    return (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0)


def smoothed_positives(n: FloatArray, k: FloatArray, rows: Optional[int] = None
                       ) -> tuple[FloatArray, tuple[float, float]]:
    """The aggregated rows' positive counts under :func:`platt_targets`: each row's ``k``
    becomes ``k * t+ + (n - k) * t-``; returns them and ``(t+, t-)``. The change is of order
    ``1 / N`` and vanishes as rows grow.

    ``n`` and ``k`` may be weighted: given the number of ``rows`` they sum, ``N+`` and ``N-``
    are the weighted totals in units of the mean weight (``rows / n.sum()`` times them), so
    uniform weights give the unweighted targets and no weight unit changes the fit.

    >>> k, targets = smoothed_positives(np.array([2.0, 2.0]), np.array([0.0, 2.0]))
    >>> k.round(6).tolist(), targets
    ([0.5, 1.5], (0.75, 0.25))
    """
    total = float(n.sum())
    unit = 1.0 if rows is None else rows / total
    positives = float(k.sum())
    targets = platt_targets(positives * unit, (total - positives) * unit)
    out: FloatArray = k * targets[0] + (n - k) * targets[1]
    return out, targets

LOG_OFFSET = 1e-12
"""Multi-class class log-scores of probabilities are ``ln(p + LOG_OFFSET)``, as scikit-learn's
temperature scaling takes them (``sklearn.calibration._convert_to_logits``)."""


def weighted_count(idx: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """``np.bincount`` with float weights, typed.

    >>> weighted_count(np.array([0, 2, 2]), np.array([0.5, 1.0, 2.0]), 3).tolist()
    [0.5, 0.0, 3.0]
    """
    out: FloatArray = np.bincount(idx, weights=weights, minlength=length).astype(np.float64,
                                                                               copy=False)
    return out


LOGIT_LIMIT = 1e100
"""The largest logit (margin) the logit-space fits take (platt, beta and gam refuse larger,
``MC-E303``) and that the class-scaling methods use (larger margins are clipped to it): its
square and its product with any fitted scale stay finite."""


def sigmoid(z: FloatArray) -> FloatArray:
    """``1 / (1 + exp(-z))``; an overflowing ``exp`` gives 0, not a warning.

    >>> sigmoid(np.array([-1000.0, 0.0])).tolist()
    [0.0, 0.5]
    """
    with np.errstate(over="ignore"):
        out = np.exp(-z)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def logit(p: FloatArray, eps: float, out: Optional[FloatArray] = None,
          scratch: Optional[FloatArray] = None) -> FloatArray:
    """``ln(t / (1 - t))`` of the probabilities ``p`` clipped to ``[eps, 1 - eps]``, computed
    in ``out`` and ``scratch`` when given (arrays of ``p``'s length, not ``p``).

    One ``log`` of the odds: within an ulp of the result plus ``2e-16`` of the exact logit
    (``ln(t) - log1p(-t)`` is off by up to twice that, and numpy's ``log1p`` takes 2-3 times
    a ``log``). Every logit-space fit, its row bins, its ``apply`` and the metrics' bins take
    this one function.

    >>> logit(np.array([0.5, 0.0]), 0.25).round(6).tolist()
    [0.0, -1.098612]
    """
    t = np.clip(p, eps, 1.0 - eps, out=out)
    odds = np.subtract(1.0, t, out=scratch)
    np.divide(t, odds, out=t)
    logits: FloatArray = np.log(t, out=t)
    return logits


def log_sigmoid(z: FloatArray) -> FloatArray:
    """ln(sigmoid(z)) computed stably.

    >>> log_sigmoid(np.array([0.0])).round(6).tolist()
    [-0.693147]
    """
    return -np.logaddexp(0.0, -z)


def beta_features(s: FloatArray, score_space: str, eps: float) -> tuple[FloatArray, FloatArray]:
    """The beta calibrator's features ``ln(s)`` and ``ln(1 - s)`` (probabilities clipped to
    ``[eps, 1 - eps]``; for margins, the log-sigmoids of ``s`` and ``-s``).

    >>> [v.round(6).tolist() for v in beta_features(np.array([0.5]), "probability", 1e-15)]
    [[-0.693147], [-0.693147]]
    """
    if score_space == "probability":
        t = np.clip(s, eps, 1.0 - eps)
        return np.log(t), np.log1p(-t)
    return log_sigmoid(s), log_sigmoid(-s)


ROW_REDUCE_COLUMNS = 32
"""Up to this many columns :func:`row_reduce` combines them one after another (numpy's
reduction over the first axis of a class-major array does the same)."""


def row_reduce(ufunc: np.ufunc, values: FloatArray) -> FloatArray:
    """``ufunc.reduce(values, axis=1)``; for up to ``ROW_REDUCE_COLUMNS`` columns, column by
    column (numpy reduces a short inner axis far slower than it combines whole columns).

    >>> row_reduce(np.add, np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [3.0, 7.0]
    """
    if values.shape[1] > ROW_REDUCE_COLUMNS or values.shape[1] == 0:
        out: FloatArray = ufunc.reduce(values, axis=1)
        return out
    out = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        ufunc(out, values[:, j], out=out)
    return out


def class_major_chunks(values: FloatArray, labels: IntArray, weights: FloatArray,
                       rows: Optional[BoolArray], chunk_values: Optional[int] = None
                       ) -> Iterator[tuple[FloatArray, IntArray, FloatArray]]:
    """An ``(n, classes)`` matrix as class-major chunks (classes x rows, always a new array the
    caller may change in place) with their labels and weights: the rows of the mask ``rows``
    (every row when None), ``chunk_values`` (default ``BIN_CHUNK_ROWS``) values at a time. Class-major, the per-row
    reductions over a few classes run along contiguous rows instead of numpy's slow short inner
    axis. A column-major (Fortran-ordered) matrix gives them by contiguous copies.

    >>> [x.tolist() for x, _, _ in class_major_chunks(np.array([[1.0, 2.0], [3.0, 4.0]]),
    ...                                               np.array([0, 1]), np.ones(2), None)]
    [[[1.0, 3.0], [2.0, 4.0]]]
    """
    n, k = values.shape
    step = max(1, (limits.BIN_CHUNK_ROWS if chunk_values is None else chunk_values) // k)
    for begin in range(0, n, step):
        part = slice(begin, begin + step)
        chunk, y, wi = values[part].T, labels[part], weights[part]
        if rows is None:
            yield np.array(chunk, order="C"), y, wi
        else:
            # compressed along the rows of the class-major view: a column-major matrix's
            # chunks are then read contiguously, class by class
            keep = rows[part]
            yield np.compress(keep, chunk, axis=1), y[keep], wi[keep]


def softmax(eta: FloatArray) -> FloatArray:
    """Row-wise softmax (stable: each row shifted by its maximum).

    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    out: FloatArray = eta - row_reduce(np.maximum, eta)[:, None]
    np.exp(out, out=out)
    out /= row_reduce(np.add, out)[:, None]
    return out


@dataclasses.dataclass(frozen=True)
class LogisticFit:
    """A logistic fit: its coefficients, Newton iterations, whether they converged, and the
    negative log-likelihood at the coefficients."""

    coef: FloatArray
    iterations: int
    converged: bool
    neg_log_lik: float


def _neg_log_lik(eta: FloatArray, n: FloatArray, k: FloatArray) -> float:
    # -sum k ln s(eta) + (n - k) ln(1 - s(eta)) = sum n softplus(eta) - k eta
    return float(np.dot(n, np.logaddexp(0.0, eta)) - np.dot(k, eta))


Evaluation = tuple[float, FloatArray, FloatArray]
"""An objective's value, gradient and Hessian at a point."""


@dataclasses.dataclass(frozen=True)
class NewtonResult:
    """What :func:`newton_minimize` found: the point, the objective's value and gradient there,
    the iterations and whether the steps converged."""

    theta: FloatArray
    value: float
    gradient: FloatArray
    iterations: int
    converged: bool


def newton_minimize(evaluate: Callable[[FloatArray], Evaluation], start: FloatArray,
                    max_iter: int = 100, tol: float = 1e-12, rel_decrease: float = 1e-12,
                    allowed: Optional[Callable[[FloatArray], bool]] = None,
                    evaluate_last: bool = True) -> NewtonResult:
    """Newton's method with step halving for a smooth convex objective: ``evaluate(theta)``
    gives its value, gradient and Hessian. A step is halved until the value does not rise
    (above ``rel_decrease`` of itself); the iterations stop when a step moves no coordinate by
    more than ``tol * (1 + max |theta|)`` (converged), after ``max_iter`` steps, when halving
    reaches ``1e-10``, or when the full step leaves the region ``allowed`` (not converged).
    Without ``evaluate_last`` a full step that small is taken without evaluating its end
    (one evaluation fewer: the value and gradient returned are then those before it).

    >>> res = newton_minimize(lambda t: (float((t[0] - 3.0) ** 2), 2.0 * (t - 3.0),
    ...                                  np.array([[2.0]])), np.array([0.0]))
    >>> res.converged, res.theta.tolist()
    (True, [3.0])
    """
    theta = np.asarray(start, dtype=np.float64)
    value, grad, hess = evaluate(theta)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        try:
            step = np.asarray(np.linalg.solve(hess, grad), dtype=np.float64)
        except np.linalg.LinAlgError:
            step = np.asarray(np.linalg.lstsq(hess, grad, rcond=None)[0], dtype=np.float64)
        if allowed is not None and not allowed(theta - step):
            break
        if not evaluate_last and \
                float(np.max(np.abs(step))) <= tol * (1.0 + float(np.max(np.abs(theta)))):
            theta, converged = theta - step, True
            break
        t = 1.0
        while True:
            candidate = theta - t * step
            value_c, grad_c, hess_c = evaluate(candidate)
            if value_c <= value + rel_decrease * abs(value) or t < 1e-10:
                break
            t *= 0.5
        theta, value, grad, hess = candidate, value_c, grad_c, hess_c
        if float(np.max(np.abs(t * step))) <= tol * (1.0 + float(np.max(np.abs(theta)))):
            converged = True
            break
        if t < 1e-10:
            break
    return NewtonResult(theta, value, grad, iterations, converged)


def fit_logistic(x: FloatArray, n: FloatArray, k: FloatArray, max_iter: int = 100,
                 tol: float = 1e-12, start: Optional[FloatArray] = None) -> LogisticFit:
    """Unpenalised logistic regression on aggregated rows by Newton's method with step halving.

    ``x`` is the (m, d) design (with its own intercept column), ``n`` the row counts and ``k``
    the positive counts per aggregated row.

    >>> x = np.column_stack([np.array([-1.0, 0.0, 1.0]), np.ones(3)])
    >>> fit = fit_logistic(x, np.array([4.0, 4.0, 4.0]), np.array([1.0, 2.0, 3.0]))
    >>> fit.converged, round(float(fit.coef[1]), 9)
    (True, 0.0)
    """
    d = x.shape[1]
    beta = np.zeros(d)
    total_n = float(n.sum())
    rate = min(max(float(k.sum()) / total_n, 1e-6), 1.0 - 1e-6)
    beta[d - 1] = math.log(rate / (1.0 - rate))
    if start is not None:
        beta = start.copy()
    elif x.shape[0] > 200_000:
        # Warm start from every 64th aggregated row: the exact Newton polish then needs ~3 steps.
        stride = slice(None, None, 64)
        sub_k = k[stride]
        if 0.0 < float(sub_k.sum()) < float(n[stride].sum()):
            beta = fit_logistic(x[stride], n[stride], sub_k, max_iter, 1e-8).coef

    def evaluate(b: FloatArray) -> Evaluation:
        eta = x @ b
        p = sigmoid(eta)
        w = n * p * (1.0 - p)
        return _neg_log_lik(eta, n, k), x.T @ (n * p - k), (x * w[:, None]).T @ x

    res = newton_minimize(evaluate, beta, max_iter, tol)
    beta, iterations, converged, obj = res.theta, res.iterations, res.converged, res.value
    if not np.all(np.isfinite(beta)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, "logistic fit produced non-finite parameters",
            "check that the scores are not perfectly separating the labels")
    return LogisticFit(beta, iterations, converged, obj)


def _softplus_terms(eta: FloatArray, n: FloatArray, k: FloatArray) -> tuple[float, FloatArray]:
    """The negative log-likelihood ``n . softplus(eta) - k . eta`` and ``exp(-|eta|)``.

    ``softplus(eta) = max(eta, 0) + log1p(exp(-|eta|))`` (stable for any ``eta``); the
    returned ``exp(-|eta|)`` gives the probabilities of the next Newton step without a second
    exponential.
    """
    e = np.abs(eta)
    np.negative(e, out=e)
    np.exp(e, out=e)
    # One temporary at a time (the peak memory of a fit on 1e7 unique scores counts).
    positive_part = float(np.dot(n, np.maximum(eta, 0.0)))
    return positive_part + float(np.dot(n, np.log1p(e))) - float(np.dot(k, eta)), e


NARROW_SPREAD = 1.0
"""Below this range of scores (in the fitted space) a line is fitted on the column stretched to
[0, 1]: the 2x2 system's condition grows as the inverse square of the range, and on a range of
6e-5 the slope's rounding (about 1e-8 at a slope of 3e3) never met the stopping rule."""


def fit_logistic_line(z: FloatArray, n: FloatArray, k: FloatArray, max_iter: int = 100,
                      tol: float = 1e-12, start: Optional[tuple[float, float]] = None
                      ) -> LogisticFit:
    """``fit_logistic`` of ``sigmoid(a * z + b)``: the two-parameter fast path (platt, the
    calibration slope and intercept, beta's one-feature sub-models).

    Works on the 1-D column ``z`` (no design matrix): the gradient and the 2x2 Hessian are dot
    products, the Newton step is solved in closed form, and ``exp(-|eta|)`` is computed once
    per evaluation for both the objective and the probabilities. Same start (the base rate's
    logit, or a fit on every 64th aggregated row above 200,000 rows), step halving and stopping
    rule as ``fit_logistic``; ``coef`` is ``[a, b]``. A constant ``z`` identifies the base rate
    only: ``a = 0`` and ``b`` its logit.

    >>> fit = fit_logistic_line(np.array([-1.0, 0.0, 1.0]), np.array([4.0, 4.0, 4.0]),
    ...                         np.array([1.0, 2.0, 3.0]))
    >>> fit.converged, round(float(fit.coef[0]), 9), round(float(fit.coef[1]), 9)
    (True, 1.098612289, 0.0)
    """
    total_n = float(n.sum())
    rate = min(max(float(k.sum()) / total_n, 1e-6), 1.0 - 1e-6)
    a, b = 0.0, math.log(rate / (1.0 - rate))
    if z.shape[0] and float(z.min()) == float(z.max()):
        # one value: only the base rate is identified (its exact logit; no Newton steps)
        rate = float(k.sum()) / total_n
        b = math.log(rate / (1.0 - rate)) if 0.0 < rate < 1.0 else b
        eta = np.full(z.shape[0], b)
        return LogisticFit(np.array([0.0, b]), 0, True, _neg_log_lik(eta, n, k))
    low, spread = (float(z.min()), float(z.max() - z.min())) if z.shape[0] else (0.0, 1.0)
    if start is None and 0.0 < spread < NARROW_SPREAD:
        # Newton's 2x2 system is singular in floating point on so narrow a column: fit on the
        # column stretched to [0, 1], then undo the stretch (the slope becomes a'/spread).
        wide = fit_logistic_line((z - low) / spread, n, k, max_iter, tol)
        a_wide, b_wide = float(wide.coef[0]), float(wide.coef[1])
        a = a_wide / spread
        b = b_wide - a * low
        if not (math.isfinite(a) and math.isfinite(b)):
            raise CalibrationScriptError(
                Code.MC_E303_FIT_FAILED, f"logistic fit on scores spanning only {spread:g} produced "
                "non-finite parameters", "the scores barely vary: check the score column")
        return LogisticFit(np.array([a, b]), wide.iterations, wide.converged, wide.neg_log_lik)
    if start is not None:
        a, b = start
    elif z.shape[0] > 200_000:
        # Warm start from every 64th aggregated row: the exact Newton polish then needs ~3 steps.
        stride = slice(None, None, 64)
        sub_k = k[stride]
        if 0.0 < float(sub_k.sum()) < float(n[stride].sum()):
            warm = fit_logistic_line(z[stride], n[stride], sub_k, max_iter, 1e-8).coef
            a, b = float(warm[0]), float(warm[1])
    eta = z * a
    eta += b
    obj, e = _softplus_terms(eta, n, k)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        # p = sigmoid(eta) from e = exp(-|eta|); p (1 - p) = e / (1 + e)**2 for either sign.
        # Three n-length buffers: r (new), d (in eta's) and w (in e's).
        r = np.where(eta >= 0.0, 1.0, e)
        d = np.add(e, 1.0, out=eta)
        r /= d  # p
        r *= n
        r -= k
        g_a, g_b = float(np.dot(z, r)), float(r.sum())
        del r
        w = np.divide(e, d, out=e)
        w /= d
        w *= n
        h_ab, h_bb = float(np.dot(w, z)), float(w.sum())
        w *= z
        h_aa = float(np.dot(w, z))
        del d, w, eta, e  # the line search below needs only obj
        det = h_aa * h_bb - h_ab * h_ab
        if det > 0.0 and math.isfinite(det):
            step_a = (h_bb * g_a - h_ab * g_b) / det
            step_b = (h_aa * g_b - h_ab * g_a) / det
        else:
            step_a, step_b = (float(v) for v in np.linalg.lstsq(
                np.array([[h_aa, h_ab], [h_ab, h_bb]]), np.array([g_a, g_b]), rcond=None)[0])
        t = 1.0
        while True:
            cand_a, cand_b = a - t * step_a, b - t * step_b
            eta_c = z * cand_a
            eta_c += cand_b
            obj_c, e_c = _softplus_terms(eta_c, n, k)
            if obj_c <= obj + 1e-12 * abs(obj) or t < 1e-10:
                break
            t *= 0.5
        a, b, eta, obj, e = cand_a, cand_b, eta_c, obj_c, e_c
        if max(abs(t * step_a), abs(t * step_b)) <= tol * (1.0 + max(abs(a), abs(b))):
            converged = True
            break
    if not (math.isfinite(a) and math.isfinite(b)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, "logistic fit produced non-finite parameters",
            "check that the scores are not perfectly separating the labels")
    return LogisticFit(np.array([a, b]), iterations, converged, obj)


PRIOR_SLOPE_SCALE = 2.5
"""The scale of the Cauchy prior on each slope (Gelman et al. 2008)."""
PRIOR_INTERCEPT_SCALE = 10.0
"""The scale of the Cauchy prior on the intercept (Gelman et al. 2008)."""


CauchyPrior = Callable[[FloatArray, Evaluation], Evaluation]
"""Adds a prior to a likelihood's evaluation at the coefficients (:func:`cauchy_prior`)."""


def cauchy_prior(d: int, weight: float, slope_scale: float = PRIOR_SLOPE_SCALE) -> CauchyPrior:
    """A weakly informative prior (Gelman et al. 2008) on ``d`` logistic coefficients (the
    intercept last), times ``weight``: independent Cauchy priors with scale ``slope_scale`` on
    each slope and ``PRIOR_INTERCEPT_SCALE`` on the intercept. The
    returned function adds its negative log-density (up to a constant), gradient and curvature
    to a negative log-likelihood's evaluation at the coefficients; the curvature is the prior's
    own where the sum stays positive definite (Newton's method then converges quadratically),
    else the sum with each eigenvalue replaced by its magnitude (the prior's own curvature turns
    negative beyond its scale; saddle-free Newton, Dauphin et al. 2014), so that every Newton
    step descends, and fast along the negative curvature.

    The features of the calibration fits are log-odds or log-probabilities: their unit is
    already common and meaningful (a slope of 1 keeps the model's scores), so the slopes are
    taken as they are where Gelman et al. first scale raw inputs to a standard deviation of 0.5,
    unless the scores spread less than that (beta's ``fitting.prior_slope_scale``).

    >>> zero = (0.0, np.zeros(2), np.zeros((2, 2)))
    >>> value, grad, hess = cauchy_prior(2, 1.0)(np.array([2.5, 0.0]), zero)
    >>> round(value, 6), grad.round(6).tolist(), hess.round(6).tolist()
    (0.693147, [0.4, 0.0], [[0.02, 0.0], [0.0, 0.02]])
    """
    scales = np.full(d, slope_scale)
    scales[d - 1] = PRIOR_INTERCEPT_SCALE
    s2 = scales ** 2

    def add(g: FloatArray, likelihood: Evaluation) -> Evaluation:
        value, grad, hess = likelihood
        r = s2 + g ** 2
        total = hess + np.diag(weight * 2.0 * (s2 - g ** 2) / r ** 2)
        try:
            np.linalg.cholesky(total)
        except np.linalg.LinAlgError:
            # Not convex here (the prior's curvature is negative beyond its scale, e.g. along a
            # ridge of two near-collinear features): the eigenvalues' magnitudes make the step
            # a descent direction that still moves fast along the negative curvature, where
            # the majorant 2 / (s^2 + g^2) crawls (thousands of steps along such a ridge); no
            # magnitude below the majorant's smallest, so a flat direction takes no longer step.
            values, vectors = np.linalg.eigh(total)
            size = np.maximum(np.abs(values), float((weight * 2.0 / r).min()))  # flat: majorant
            total = (vectors * size) @ vectors.T
        return (value + weight * float(np.log1p(g ** 2 / s2).sum()),
                grad + weight * 2.0 * g / r, total)

    return add


PRIOR_MAX_ITERATIONS = 1000
"""Newton steps of :func:`fit_logistic_prior`: the prior makes the objective non-convex, and on a
ridge of near-collinear features a fit can drift a few hundred steps (430 on a 29-row inner fold
of a 45-row set) before it settles; each step costs a pass over the aggregated rows."""


def fit_logistic_prior(x: FloatArray, n: FloatArray, k: FloatArray, rows: Optional[float] = None,
                       max_iter: int = PRIOR_MAX_ITERATIONS, tol: float = 1e-10,
                       start: Optional[FloatArray] = None,
                       slope_scale: float = PRIOR_SLOPE_SCALE) -> LogisticFit:
    """Logistic regression on aggregated rows under Gelman et al.'s (2008) weakly informative
    Cauchy prior (:func:`cauchy_prior`, ``slope_scale`` on each slope), its maximum a
    posteriori by Newton's method with step halving: finite coefficients where the rows are
    separable (the unpenalised fit has none), far rows then confident and rows near the
    boundary not; the prior is one fixed term against the summed log-likelihood, so its effect
    vanishes as rows grow.

    ``x`` is the (m, d) design with its intercept column last, ``n`` the row counts and ``k``
    the positive counts; with weights, ``rows`` is the number of rows they sum (the prior then
    counts against the log-likelihood in units of the mean weight). ``neg_log_lik`` is the
    objective at the optimum (the likelihood's and the prior's). ``start``: coefficients of a
    fit on nearby rows, where Newton's steps start (else from the base rate).

    >>> x = np.column_stack([np.array([-2.0, -1.0, 1.0, 2.0]), np.ones(4)])
    >>> fit = fit_logistic_prior(x, np.ones(4), np.array([0.0, 0.0, 1.0, 1.0]))
    >>> fit.converged, round(float(fit.coef[0]), 3), abs(float(fit.coef[1])) < 1e-9
    (True, 1.821, True)
    """
    d = x.shape[1]
    total = float(n.sum())
    weight = 1.0 if rows is None else total / rows
    prior = cauchy_prior(d, weight, slope_scale)
    beta = np.zeros(d)
    rate = min(max(float(k.sum()) / total, 1e-6), 1.0 - 1e-6)
    beta[d - 1] = math.log(rate / (1.0 - rate))
    if start is not None:
        beta = np.array(start, dtype=np.float64)
    elif x.shape[0] > 200_000:
        # Warm start from every 64th aggregated row: the exact Newton polish then needs a few
        # steps (the prior weighs 64 times as much there: the same share of the rows).
        stride = slice(None, None, 64)
        if 0.0 < float(k[stride].sum()) < float(n[stride].sum()):
            beta = fit_logistic_prior(x[stride], n[stride], k[stride],
                                      None if rows is None else rows / 64.0, max_iter, 1e-8,
                                      slope_scale=slope_scale).coef

    def evaluate(b: FloatArray) -> Evaluation:
        eta = x @ b
        p = sigmoid(eta)
        w = n * p * (1.0 - p)
        return prior(b, (_neg_log_lik(eta, n, k), x.T @ (n * p - k), (x * w[:, None]).T @ x))

    res = newton_minimize(evaluate, beta, max_iter, tol)
    if not np.all(np.isfinite(res.theta)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, "logistic fit under the Cauchy prior produced non-finite "
            "parameters", "check the score column")
    return LogisticFit(res.theta, res.iterations, res.converged, res.value)
