"""The multi-class ``vector`` and ``dirichlet`` fits: ``softmax(W l + b)`` of the class log-scores.

``l`` holds the class log-scores (``ln(p + LOG_OFFSET)`` of probabilities, the margins of
logits). ``dirichlet`` (Dirichlet calibration, Kull et al., NeurIPS 2019) fits a full ``k x k``
matrix ``W`` and an intercept ``b``; ``vector`` (vector scaling) a diagonal ``W`` (one scale per
class) and ``b``. ``W = s I + D``: a common scale ``s`` (temperature scaling's) and the
deviations ``D``. Both maximise the weighted multinomial log-likelihood plus fixed Gaussian
priors (a MAP fit) of weights ``COMMON_SCALE_PENALTY`` on ``s**2``, ``SCALE_PENALTY`` on the
squared diagonal of ``D`` (the class scales shrink toward the common one),
``OFF_DIAGONAL_PENALTY`` (ODIR's lambda) on the squared off-diagonal entries and
``INTERCEPT_PENALTY`` (ODIR's mu) on the squared intercepts. On the mean log-likelihood the
penalties weigh ``1 / n`` (``n`` effective rows), so their effect vanishes as rows grow, while a
handful of rows or a separable set cannot drive the parameters to infinity (no 0/1
probabilities). L-BFGS-B (scipy) on the exact gradient, summed over chunks of rows.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import CalibrationScriptError, Code
from .jsonvalues import JsonDict
from .numerics import BoolArray, FloatArray, IntArray, class_major_chunks

COMMON_SCALE_PENALTY = 0.01
"""Prior weight on the squared common scale ``s``, centred at 0 (uniform outputs): a separable
set then gets a finite scale, of about ``ln(n) / gap`` for log-score gaps ``gap``."""

SCALE_PENALTY = 10.0
"""Prior weight on each squared deviation of a class scale from the common scale."""

OFF_DIAGONAL_PENALTY = 500.0
"""ODIR's lambda: prior weight on each squared off-diagonal entry of ``W`` (dirichlet)."""

INTERCEPT_PENALTY = 0.5
"""ODIR's mu: prior weight on each squared intercept."""

DIRICHLET_MAX_CLASSES = 100
"""``dirichlet`` fits ``k (k + 1) + 1`` parameters; beyond this many classes it is refused."""


def _unpack(theta: FloatArray, k: int, method: str) -> tuple[FloatArray, FloatArray]:
    """``W`` (dirichlet, ``k x k``) or its diagonal (vector, ``k``), and the intercept, from
    ``theta = (s, D, b)``."""
    if method == "dirichlet":
        matrix = theta[1:1 + k * k].reshape(k, k).copy()
        matrix[np.diag_indices(k)] += theta[0]
        return matrix, theta[1 + k * k:]
    return theta[1:1 + k] + theta[0], theta[1 + k:]


def penalty_weights(k: int, method: str, effective_rows: float) -> FloatArray:
    """Each parameter's prior weight divided by the effective rows (the layout of ``theta``:
    ``s``, then ``D`` (its diagonal for vector) row by row, then ``b``).

    >>> (penalty_weights(2, "vector", 100.0) * 100).round(6).tolist()
    [0.01, 10.0, 10.0, 0.5, 0.5]
    """
    if method == "dirichlet":
        deviations = np.full((k, k), OFF_DIAGONAL_PENALTY)
        np.fill_diagonal(deviations, SCALE_PENALTY)
        middle = deviations.ravel()
    else:
        middle = np.full(k, SCALE_PENALTY)
    out: FloatArray = np.concatenate([[COMMON_SCALE_PENALTY], middle,
                                      np.full(k, INTERCEPT_PENALTY)]) / effective_rows
    return out


def _scaling_sums(theta: FloatArray, features: FloatArray, labels: IntArray, w: FloatArray,
                  method: str, rows: Optional[BoolArray]) -> tuple[float, FloatArray]:
    """Weighted negative log-likelihood of ``softmax(W l + b)`` and its gradient, summed over
    chunks of the rows of the mask ``rows`` (every row when None)."""
    k = features.shape[1]
    matrix, bias = _unpack(theta, k, method)
    grad_matrix = np.zeros_like(matrix)
    grad_bias = np.zeros(k)
    loss = 0.0
    for x, y, wi in class_major_chunks(features, labels, w, rows):
        index = np.arange(x.shape[1])
        eta = matrix @ x if method == "dirichlet" else matrix[:, None] * x
        eta += bias[:, None]
        eta -= eta.max(axis=0)
        p = np.exp(eta)
        sums = p.sum(axis=0)
        loss += float(np.dot(wi, np.log(sums) - eta[y, index]))
        p *= wi / sums  # the weighted residual p - onehot(y), in place
        p[y, index] -= wi
        grad_bias += p.sum(axis=1)
        grad_matrix += p @ x.T if method == "dirichlet" else (p * x).sum(axis=1)
    grad_common = np.trace(grad_matrix) if method == "dirichlet" else grad_matrix.sum()
    return loss, np.concatenate([[grad_common], grad_matrix.ravel(), grad_bias])


def _minimise(features: FloatArray, labels: IntArray, weights: FloatArray, method: str,
              rows: Optional[BoolArray]) -> tuple[FloatArray, FloatArray, float, float, int]:
    """The penalised fit's ``theta``, the prior weights, the rows' total weight, their
    effective number (``sum(w) ** 2 / sum(w ** 2)``) and the iterations; from the identity map (the scores unchanged), or above 200,000 rows from the
    fit on every 64th row."""
    from scipy.optimize import minimize

    k = features.shape[1]
    used = weights if rows is None else weights[rows]
    total = float(used.sum())
    effective_rows = total ** 2 / float(np.dot(used, used))
    prior = penalty_weights(k, method, effective_rows)
    w = weights / total
    if used.shape[0] > 200_000:
        start = _minimise(features[::64], labels[::64], weights[::64], method,
                          None if rows is None else rows[::64])[0]
    else:
        start = np.concatenate([[1.0], np.zeros(k * k if method == "dirichlet" else k),
                                np.zeros(k)])

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        loss, grad = _scaling_sums(theta, features, labels, w, method, rows)
        return loss + float(np.dot(prior, theta * theta)), grad + 2.0 * prior * theta

    result = minimize(objective, start, jac=True, method="L-BFGS-B",
                      options={"maxiter": 2000, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-10})
    return np.asarray(result.x, dtype=np.float64), prior, total, effective_rows, int(result.nit)


def fit_class_scaling(features: FloatArray, labels: IntArray, weights: FloatArray, method: str,
                      rows: Optional[BoolArray] = None
                      ) -> tuple[FloatArray, FloatArray, JsonDict]:
    """The penalised weighted maximum likelihood ``vector`` or ``dirichlet`` fit on the rows of
    the mask ``rows`` (every row when None; the rows are not copied): the class scales
    (``k``) or the matrix ``W`` (``k x k``), the intercept and a record of the fit.

    Raises ``MC-E303-FIT-FAILED`` for dirichlet beyond ``DIRICHLET_MAX_CLASSES`` classes or
    non-finite parameters, ``MC-E302-MISSING-LIBRARY`` without scipy.

    >>> features = np.log(np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]]))
    >>> scales, bias, info = fit_class_scaling(features, np.array([0, 1, 1, 0]), np.ones(4),
    ...                                        "vector")
    >>> info["converged"], bool(np.all(np.abs(scales) < 1.0))
    (True, True)
    """
    k = features.shape[1]
    if method == "dirichlet" and k > DIRICHLET_MAX_CLASSES:
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED,
            f"dirichlet fits k (k + 1) + 1 parameters; {k} classes exceed its limit of "
            f"{DIRICHLET_MAX_CLASSES}", "choose vector or temperature for this many classes")
    try:
        theta, prior, total, effective_rows, iterations = _minimise(features, labels, weights,
                                                                    method, rows)
    except ImportError as exc:  # pragma: no cover - scipy ships with scikit-learn
        raise CalibrationScriptError(
            Code.MC_E302_MISSING_LIBRARY, f"scipy is required for {method} ({exc})",
            "install scipy (a scikit-learn dependency)") from exc
    if not np.all(np.isfinite(theta)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, f"{method} fit produced non-finite parameters",
            "check the class scores")
    loss, grad = _scaling_sums(theta, features, labels, weights / total, method, rows)
    grad_max = float(np.max(np.abs(grad + 2.0 * prior * theta)))
    penalties: JsonDict = {"common_scale": COMMON_SCALE_PENALTY, "class_scale": SCALE_PENALTY,
                           "intercept": INTERCEPT_PENALTY,
                           "effective_rows": effective_rows}
    if method == "dirichlet":
        penalties["off_diagonal"] = OFF_DIAGONAL_PENALTY
    info: JsonDict = {"iterations": iterations, "solver": "L-BFGS-B",
                      "converged": grad_max <= 1e-6, "max_abs_gradient": grad_max,
                      "neg_log_likelihood": loss * total, "common_scale": float(theta[0]),
                      "penalty": penalties}
    matrix, bias = _unpack(theta, k, method)
    return matrix.copy(), bias.copy(), info
