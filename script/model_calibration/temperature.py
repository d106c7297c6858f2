"""The multi-class ``temperature`` fit: ``softmax(scale * l + bias)`` of the class log-scores.

``l`` is ``ln(p + LOG_OFFSET)`` of the class probabilities, as scikit-learn's temperature
scaling takes them (the margins in logit space), ``scale = 1 / T`` and ``bias`` one per class
with ``bias[0] = 0`` (all 0 unless ``TEMPERATURE_BIAS``); weighted maximum likelihood by
Newton's method on the exact Hessian, L-BFGS-B from scipy when the scale reaches its bound
``1e-6``. Without bias the fit is scikit-learn's (``CalibratedClassifierCV(...,
method="temperature")``, 1.8 and later), which has no bias and bounds ``scale`` to
``[exp(-10), exp(10)]``: where the likelihood has no maximum inside them (every row ranks its
own class first, so it never falls as the scale grows; or Newton's fit lies beyond a bound, as
for scores ranked against the labels), the scale is where scikit-learn's bounded search stops
(:mod:`.boundedscale`).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ..errors import CalibrationScriptError, Code
from .binarytemperature import NAMED_OUTPUT_BOUND
from .boundedscale import LOG_BETA_BOUND, multiclass_mean_loss, search_log_beta
from .jsonvalues import JsonDict
from .numerics import (BoolArray, Evaluation, FloatArray, IntArray, class_major_chunks,
                       newton_minimize, row_reduce)


def named_class_floor(classes: int) -> float:
    """The least probability a named multi-class temperature gives a class:
    ``binarytemperature.NAMED_OUTPUT_BOUND`` (``1e-6``: no confident miss), or ``1 / classes**2``
    beyond a thousand classes, so that the top class, which gives up the lifted mass, keeps
    at least as much (:func:`~.apply.lift_to_class_floor`).

    >>> named_class_floor(10), named_class_floor(2000)
    (1e-06, 2.5e-07)
    """
    return min(NAMED_OUTPUT_BOUND, 1.0 / classes ** 2)


def _temperature_sums(theta: FloatArray, logits: FloatArray, labels: IntArray,
                      w: FloatArray, bias: bool, hessian: bool,
                      rows: Optional[BoolArray] = None
                      ) -> tuple[float, FloatArray, Optional[FloatArray]]:
    """Negative log-likelihood of ``softmax(theta[0] * logits + (0, theta[1:]))`` with row
    weights ``w``, its gradient and (``hessian``) its Hessian, over the rows of the mask
    ``rows`` (every row when None), summed over chunks of ``BIN_CHUNK_ROWS`` rows (no
    n x classes temporary)."""
    c = logits.shape[1]
    d = theta.shape[0]
    b = np.zeros(c)
    if bias:
        b[1:] = theta[1:]
    loss = 0.0
    grad = np.zeros(d)
    hess = np.zeros((d, d)) if hessian else None
    for x, y, wi in class_major_chunks(logits, labels, w, rows):
        index = np.arange(x.shape[1])
        eta = theta[0] * x
        eta += b[:, None]
        top = eta.max(axis=0)
        p = np.exp(eta - top)
        sums = p.sum(axis=0)
        p /= sums
        loss += float(np.dot(wi, top + np.log(sums) - eta[y, index]))
        del eta
        mean_x = (p * x).sum(axis=0)  # the logit expected under p, per row
        grad[0] += float(np.dot(wi, mean_x - x[y, index]))
        wp = p * wi
        if bias:
            counts = np.bincount(y, weights=wi, minlength=c)
            grad[1:] += (wp.sum(axis=1) - counts)[1:]
        if hess is not None:
            x -= mean_x  # centred, in place
            hess[0, 0] += float(np.dot((wp * x).ravel(), x.ravel()))
            if bias:
                cross = (wp * x).sum(axis=1)
                hess[0, 1:] += cross[1:]
                hess[1:, 0] += cross[1:]
                block = np.diag(wp.sum(axis=1)) - wp @ p.T
                hess[1:, 1:] += block[1:, 1:]
    return loss, grad, hess


def fit_temperature(logits: FloatArray, labels: IntArray, weights: FloatArray,
                    bias: bool, rows: Optional[BoolArray] = None,
                    start: Optional[tuple[float, tuple[float, ...]]] = None
                    ) -> tuple[float, tuple[float, ...], JsonDict]:
    """Weighted maximum likelihood of ``softmax(scale * logits + bias)`` (``bias[0] = 0``) on
    the rows of the mask ``rows`` (every row when None; the rows are not copied). ``start``
    (scale, bias) is a fit on nearby rows to start from (a fold's from the fit on every row).

    Newton's method with step halving on the exact Hessian (a convex problem in the scale and
    the biases), summed over chunks of rows; ``scale >= 1e-6``: a step that would cross the bound
    (scores ranked against the labels) hands over to L-BFGS-B (scipy) with the bound. Without
    bias, where the maximum is outside scikit-learn's bounds, their bounded search
    (:mod:`.boundedscale`).

    >>> logits = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 2.0]])
    >>> scale, bias, info = fit_temperature(logits, np.array([0, 1, 1, 0]), np.ones(4), True)
    >>> info["converged"], info["solver"], scale
    (True, 'L-BFGS-B', 1e-06)
    >>> scale, bias, info = fit_temperature(logits, np.array([0, 1, 1, 0]), np.ones(4), False)
    >>> info["solver"], abs(scale / math.exp(-10.0) - 1.0) < 1e-6
    ('bounded search', True)
    """
    c = logits.shape[1]
    n = logits.shape[0] if rows is None else int(np.count_nonzero(rows))
    total = float(weights.sum() if rows is None else weights[rows].sum())
    w = weights / total
    if not bias and n and _ranked_first(logits, labels, rows):
        return _searched(logits, labels, weights, rows)
    n_free = c - 1 if bias else 0
    theta = np.zeros(1 + n_free)
    theta[0] = 1.0
    if start is not None:
        theta[0] = max(start[0], 1e-6)
        if bias:
            theta[1:] = start[1][1:]
    elif n > 200_000:
        # Warm start from every 64th row: the exact Newton polish then needs about 3 steps.
        sub_scale, sub_bias, _ = fit_temperature(logits[::64], labels[::64], weights[::64],
                                                 bias, None if rows is None else rows[::64])
        theta[0] = max(sub_scale, 1e-6)
        if bias:
            theta[1:] = sub_bias[1:]

    def evaluate(t: FloatArray) -> Evaluation:
        loss, grad, hess = _temperature_sums(t, logits, labels, w, bias, True, rows)
        assert hess is not None
        return loss, grad, hess

    # a step that would leave scale >= 1e-6 hands over to the bounded fit
    res = newton_minimize(evaluate, theta, 100, 1e-10, 1e-15, lambda t: float(t[0]) >= 1e-6)
    theta, loss, grad = res.theta, res.value, res.gradient
    iterations, converged, solver = res.iterations, res.converged, "newton"
    if not converged:  # at the scale bound, or stalled: the bounded quasi-Newton fit
        solver = "L-BFGS-B"
        theta, iterations = _temperature_lbfgs(logits, labels, w, bias, theta, rows)
        loss, grad, _ = _temperature_sums(theta, logits, labels, w, bias, False, rows)
    if not np.all(np.isfinite(theta)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, "temperature fit produced non-finite parameters",
            "check the class scores")
    if not bias and not math.exp(-LOG_BETA_BOUND) <= theta[0] <= math.exp(LOG_BETA_BOUND):
        return _searched(logits, labels, weights, rows)  # its maximum beyond those bounds
    b_out = np.zeros(c)
    if bias:
        b_out[1:] = theta[1:]
    grad_max = float(np.max(np.abs(grad)))
    if theta[0] <= 1e-6:  # at the bound the scale's gradient need not vanish
        grad_max = float(np.max(np.abs(grad[1:]), initial=0.0))
    info: JsonDict = {"iterations": iterations, "solver": solver,
                      "converged": converged or grad_max <= 1e-6,
                      "max_abs_gradient": grad_max,
                      "neg_log_likelihood": loss * total, "bias": bias}
    return float(theta[0]), tuple(float(v) for v in b_out), info


def _ranked_first(logits: FloatArray, labels: IntArray, rows: Optional[BoolArray]) -> bool:
    """Whether every row (of the mask ``rows``) ranks its own class's log-score first, ties
    included: the likelihood of ``softmax(scale * logits)`` then never falls as the scale
    grows, so it has no maximum inside scikit-learn's bounds."""
    own = logits[np.arange(logits.shape[0]), labels] >= row_reduce(np.maximum, logits)
    return bool(np.all(own if rows is None else own[rows]))


def _searched(logits: FloatArray, labels: IntArray, weights: FloatArray,
              rows: Optional[BoolArray]) -> tuple[float, tuple[float, ...], JsonDict]:
    """The unbiased fit where scikit-learn's bounded search stops (:mod:`.boundedscale`)."""
    scale, evaluations = search_log_beta(multiclass_mean_loss(logits, labels, weights, rows))
    total = float(weights.sum() if rows is None else weights[rows].sum())
    loss = _temperature_sums(np.array([scale]), logits, labels, weights / total, False, False,
                             rows)[0]
    return scale, tuple(0.0 for _ in range(logits.shape[1])), {
        "iterations": evaluations, "solver": "bounded search", "converged": True,
        "max_abs_gradient": 0.0, "neg_log_likelihood": loss * total, "bias": False}


def _temperature_lbfgs(logits: FloatArray, labels: IntArray, w: FloatArray, bias: bool,
                       start: FloatArray, rows: Optional[BoolArray] = None
                       ) -> tuple[FloatArray, int]:
    """The temperature fit by L-BFGS-B with the bound ``scale >= 1e-6``."""
    try:
        from scipy.optimize import minimize
    except ImportError as exc:  # pragma: no cover - scipy ships with scikit-learn
        raise CalibrationScriptError(
            Code.MC_E302_MISSING_LIBRARY, f"scipy is required for temperature ({exc})",
            "install scipy (a scikit-learn dependency)") from exc

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        loss, grad, _ = _temperature_sums(theta, logits, labels, w, bias, False, rows)
        return loss, grad

    x0 = start.copy()
    x0[0] = max(float(x0[0]), 1e-6)
    result = minimize(objective, x0, jac=True, method="L-BFGS-B",
                      bounds=[(1e-6, None)] + [(None, None)] * (start.shape[0] - 1),
                      options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-10})
    return np.asarray(result.x, dtype=np.float64), int(result.nit)
