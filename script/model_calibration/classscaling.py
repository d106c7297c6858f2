"""The multi-class ``vector`` and ``dirichlet`` fits: ``softmax(W l + b)`` of the class log-scores.

``l`` holds the class log-scores (``ln(p + LOG_OFFSET)`` of probabilities, the margins of logits).
``dirichlet`` (Dirichlet calibration, Kull et al., NeurIPS 2019) fits a full ``k x k`` matrix ``W``
and an intercept ``b``; ``vector`` (vector scaling) a diagonal ``W`` (one scale per class) and
``b``. ``W = s I + D``: a common scale ``s`` (temperature scaling's) and the deviations ``D``. Both
maximise the weighted multinomial log-likelihood plus fixed Gaussian priors (a MAP fit) of weights
``COMMON_SCALE_PENALTY`` on ``s**2``, ``SCALE_PENALTY`` on the squared diagonal of ``D`` (the class
scales shrink toward the common one), ``OFF_DIAGONAL_PENALTY`` (ODIR's lambda) on the squared
off-diagonal entries and ``INTERCEPT_PENALTY`` (ODIR's mu) on the squared intercepts (those on
``W`` in the unit of squeezed scores: ``SQUEEZED_SPREAD``). On the mean log-likelihood the
penalties weigh ``1 / n`` (``n`` effective rows), so their effect vanishes as rows grow, while a
handful of rows or a separable set cannot drive the parameters to infinity (no 0/1 probabilities).
Newton's method on the exact Hessian (one pass over the rows per step: the parameters are few),
summed over chunks of rows; L-BFGS-B (scipy) for many classes.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from . import limits
from .jsonvalues import JsonDict
from .numerics import (BoolArray, Evaluation, FloatArray, IntArray, class_major_chunks,
                       newton_minimize)
from .scratch import Scratch

COMMON_SCALE_PENALTY = 0.01
"""Prior weight on the squared common scale ``s``, centred at 0 (uniform outputs): a separable
set then gets a finite scale, of about ``ln(n) / gap`` for log-score gaps ``gap``."""

SCALE_PENALTY = 10.0
"""Prior weight on each squared deviation of a class scale from the common scale."""

OFF_DIAGONAL_PENALTY = 500.0
"""ODIR's lambda: prior weight on each squared off-diagonal entry of ``W`` (dirichlet)."""

INTERCEPT_PENALTY = 0.5
"""ODIR's mu: prior weight on each squared intercept."""

SQUEEZED_SPREAD = 0.1
"""The spread of the class log-scores (root mean square about each row's mean) below which the
priors on ``W`` weigh ``(spread / SQUEEZED_SPREAD) ** 2`` times as much (Gelman et al. 2008 scale
inputs so): AdaBoost's multi-class scores spread 0.007-0.2, the default models' 0.16 and more."""

DIRICHLET_MAX_CLASSES = 100
"""``dirichlet`` fits ``k (k + 1) + 1`` parameters; beyond this many classes it is refused."""

NEWTON_MAX_PARAMETERS = 120
"""Up to this many natural parameters (``W``'s entries or diagonal, and ``b``: dirichlet up to
10 classes, vector up to 60) the fit is Newton's; above it the Hessian's pass costs more than
L-BFGS-B's extra passes on the gradient."""

HESSIAN_ROWS = 1 << 18
"""From ``2 * HESSIAN_ROWS`` rows Newton's Hessian is summed over every ``rows // HESSIAN_ROWS``-th
row only (the value and gradient over every row): the Hessian sets the steps, not the optimum,
so the fit converges to the same optimum (at a linear rate near it, of about the sampled
Hessian's relative error), at a fraction of a full Hessian pass's cost."""

NEWTON_STEP_TOLERANCE = 1e-8
"""Newton's steps stop with a step that moves no parameter by more than this (relative to
``1 + max |theta|``), taken without another pass over the rows (near the optimum the error
after it is of the order of its square, or of its size times the sampled Hessian's relative
error from ``2 * HESSIAN_ROWS`` rows)."""

SUBSAMPLE_START_ROWS = 200_000
"""Above this many rows a fit without a ``start`` starts from the fit on every 64th row."""


def unpack_theta(theta: FloatArray, k: int, method: str) -> tuple[FloatArray, FloatArray]:
    """``W`` (dirichlet, ``k x k``) or its diagonal (vector, ``k``), and the intercept, from
    ``theta = (s, D, b)``."""
    if method == "dirichlet":
        matrix = theta[1:1 + k * k].reshape(k, k).copy()
        matrix[np.diag_indices(k)] += theta[0]
        return matrix, theta[1 + k * k:]
    return theta[1:1 + k] + theta[0], theta[1 + k:]


def log_score_unit(features: FloatArray, weights: FloatArray,
                   rows: Optional[BoolArray] = None) -> float:
    """The unit of the class log-scores the priors on ``W`` are in: their spread over the rows
    of the mask ``rows`` over ``SQUEEZED_SPREAD`` where it is below that (and not 0), else 1.

    >>> spread = np.log(np.array([[0.499, 0.501], [0.501, 0.499]]))  # about 0.002
    >>> round(log_score_unit(spread, np.ones(2)), 4), log_score_unit(np.log([[0.2, 0.8]]),
    ...                                                               np.ones(1))
    (0.02, 1.0)
    """
    squares = total = 0.0
    step = limits.CLASS_CHUNK_VALUES // max(1, features.shape[1])
    for begin in range(0, features.shape[0], step):
        part = slice(begin, begin + step) if rows is None else \
            np.flatnonzero(rows[begin:begin + step]) + begin
        x, w = features[part], weights[part]
        # no overflow on margins near the float limit; exact for any spread below SQUEEZED_SPREAD
        centred = np.clip(x - x.mean(axis=1, keepdims=True), -1e100, 1e100)
        squares += float(np.dot(w, np.mean(centred * centred, axis=1)))
        total += float(w.sum())
    spread = float(np.sqrt(squares / total)) if total > 0.0 else 0.0
    return spread / SQUEEZED_SPREAD if 0.0 < spread < SQUEEZED_SPREAD else 1.0


def penalty_weights(k: int, method: str, effective_rows: float,
                    off_diagonal_penalty: Optional[float] = None, unit: float = 1.0
                    ) -> FloatArray:
    """Each parameter's prior weight divided by the effective rows (the layout of ``theta``:
    ``s``, then ``D`` (its diagonal for vector) row by row, then ``b``); dirichlet's
    off-diagonal entries weigh ``off_diagonal_penalty`` (None: ``OFF_DIAGONAL_PENALTY``); the
    weights on ``W`` times ``unit ** 2`` (:func:`log_score_unit`).

    >>> (penalty_weights(2, "vector", 100.0) * 100).round(6).tolist()
    [0.01, 10.0, 10.0, 0.5, 0.5]
    >>> (penalty_weights(2, "vector", 100.0, unit=0.1) * 100).round(6).tolist()
    [0.0001, 0.1, 0.1, 0.5, 0.5]
    """
    if method == "dirichlet":
        deviations = np.full((k, k), OFF_DIAGONAL_PENALTY if off_diagonal_penalty is None
                             else off_diagonal_penalty)
        np.fill_diagonal(deviations, SCALE_PENALTY)
        middle = deviations.ravel()
    else:
        middle = np.full(k, SCALE_PENALTY)
    out: FloatArray = np.concatenate([[COMMON_SCALE_PENALTY], middle,
                                      np.full(k, INTERCEPT_PENALTY)]) / effective_rows
    if unit != 1.0:
        out[:-k] *= unit * unit
    return out


def _natural_order(k: int, method: str) -> npt.NDArray[np.intp]:
    """Where each class's coefficients sit among the natural parameters (``W`` row by row, or
    its diagonal, then ``b``), class by class: per class ``j`` its log-score features'
    (dirichlet: every class's log-score, vector: its own), then its intercept's."""
    if method == "dirichlet":
        return np.concatenate([np.append(np.arange(j * k, j * k + k), k * k + j)
                               for j in range(k)])
    return np.concatenate([np.array([j, k + j]) for j in range(k)])


@dataclasses.dataclass(frozen=True)
class _PairLayout:
    """Where the Hessian's entries come from when it is summed by class pairs: the classes
    ``first <= second`` of each pair, the log-scores ``left <= right`` of each product of two,
    and for each entry (natural parameters, class by class) its pair and its product of
    features (the products of two log-scores, then each log-score, then the constant 1)."""

    first: npt.NDArray[np.intp]
    second: npt.NDArray[np.intp]
    left: npt.NDArray[np.intp]
    right: npt.NDArray[np.intp]
    pair: npt.NDArray[np.intp]
    product: npt.NDArray[np.intp]


@functools.lru_cache(maxsize=None)
def _pair_layout(k: int, method: str) -> Optional[_PairLayout]:
    """The :class:`_PairLayout` of ``k`` classes, or None where summing by class pairs takes
    more products a row than the ``k + 1`` matrix products of :func:`_block_hessian` (vector
    beyond 3 classes; dirichlet never).

    >>> _pair_layout(3, "vector").pair.shape, _pair_layout(4, "vector") is None
    ((6, 6), True)
    """
    pairs = {(j, l): r for r, (j, l) in enumerate(
        (j, l) for j in range(k) for l in range(j, k))}
    twos = [(a, b) for a in range(k) for b in range(a, k)]
    products = {**{ab: r for r, ab in enumerate(twos)},
                **{(a, k): len(twos) + a for a in range(k)}, (k, k): len(twos) + k}
    q = k + 1 if method == "dirichlet" else 2
    natural = k * q
    if len(pairs) * len(products) > 2 * natural * natural:
        return None
    pair = np.empty((natural, natural), dtype=np.intp)
    product = np.empty((natural, natural), dtype=np.intp)
    for j in range(k):
        for l in range(k):
            left_features = range(k + 1) if method == "dirichlet" else (j, k)
            right_features = range(k + 1) if method == "dirichlet" else (l, k)
            for a, fa in enumerate(left_features):
                for b, fb in enumerate(right_features):
                    pair[j * q + a, l * q + b] = pairs[(min(j, l), max(j, l))]
                    product[j * q + a, l * q + b] = products[(min(fa, fb), max(fa, fb))]
    return _PairLayout(np.array([j for j, _ in pairs], dtype=np.intp),
                       np.array([l for _, l in pairs], dtype=np.intp),
                       np.array([a for a, _ in twos], dtype=np.intp),
                       np.array([b for _, b in twos], dtype=np.intp), pair, product)


def _class_hessian(x: FloatArray, p: FloatArray, wi: Optional[FloatArray], method: str,
                   scratch: Optional[Scratch] = None) -> FloatArray:
    """The chunk's Hessian of the weighted negative log-likelihood in the natural parameters,
    class by class (:func:`_natural_order`): ``sum_i Z_i' (diag(w_i p_i) - w_i p_i p_i') Z_i``
    with ``Z_i`` row ``i``'s design (class ``j``'s features and a 1 in class ``j``'s block;
    ``x``, ``p``: class-major; ``wi`` None: each row weighs 1). Its entry for classes ``j``,
    ``l`` and features ``a``, ``b`` is the sum of ``w (delta_jl p_j - p_j p_l)`` times ``a b``:
    one matrix product of those coefficients (a row per class pair) with the products of two
    features (a row per pair of log-scores, then the log-scores and 1), or
    (:func:`_pair_layout` None: many classes' vector) ``k + 1`` matrix products by class
    (:func:`_block_hessian`). Its arrays are ``scratch``'s (else new)."""
    k, m = x.shape
    layout = _pair_layout(k, method)
    if layout is None:
        return _block_hessian(x, p, np.ones(m) if wi is None else wi, method)
    work = scratch if scratch is not None else Scratch()
    coefficients = work.floats("coefficients", (layout.first.shape[0], m))
    for r, (j, l) in enumerate(zip(layout.first.tolist(), layout.second.tolist())):
        np.multiply(p[j], p[l], out=coefficients[r])
    np.negative(coefficients, out=coefficients)
    for r, (j, l) in enumerate(zip(layout.first.tolist(), layout.second.tolist())):
        if j == l:
            coefficients[r] += p[j]
    if wi is not None:
        coefficients *= wi
    twos = layout.left.shape[0]
    features = work.floats("features", (twos + k + 1, m))
    for r, (a, b) in enumerate(zip(layout.left.tolist(), layout.right.tolist())):
        np.multiply(x[a], x[b], out=features[r])
    features[twos:twos + k] = x
    features[twos + k] = 1.0
    out: FloatArray = (coefficients @ features.T)[layout.pair, layout.product]
    return out


def _block_hessian(x: FloatArray, p: FloatArray, wi: FloatArray, method: str) -> FloatArray:
    """:func:`_class_hessian` as ``k + 1`` matrix products over the chunk (``x``, ``p``:
    class-major)."""
    k, m = x.shape
    ones = np.ones((1, m))
    shared = np.vstack([x, ones]) if method == "dirichlet" else None
    features = [shared if shared is not None else np.vstack([x[j:j + 1], ones])
                for j in range(k)]
    q = features[0].shape[0]
    weighted = np.vstack([f * (p[j] * wi) for j, f in enumerate(features)])
    plain = np.vstack([f * p[j] for j, f in enumerate(features)])
    out: FloatArray = -(weighted @ plain.T)
    for j, f in enumerate(features):
        out[j * q:(j + 1) * q, j * q:(j + 1) * q] += weighted[j * q:(j + 1) * q] @ f.T
    return out


def chunk_sums(x: FloatArray, y: IntArray, wi: FloatArray, matrix: FloatArray, bias: FloatArray,
               method: str, hessian: bool, pairs: bool = False,
               scratch: Optional[Scratch] = None, unit: bool = False
               ) -> tuple[float, FloatArray, FloatArray, Optional[FloatArray]]:
    """One class-major chunk's (``x``: classes x rows) weighted negative log-likelihood of
    ``softmax(W l + b)``, its gradient in ``W`` (or its diagonal) and in ``b``, and
    (``hessian``) its Hessian in the natural parameters, class by class
    (:func:`_natural_order`), summed by class pairs where that is cheaper (``pairs``:
    :func:`_class_hessian`; the shared passes over many rows) or by class blocks (the exact
    fit's, :func:`_block_hessian`: its rounding, and so its outputs, as they were). Its
    temporaries are ``scratch``'s arrays (a pass's, kept from chunk to chunk; else new);
    ``unit``: every weight ``wi`` is 1, so no product by them is taken (the same values)."""
    k, m = x.shape
    work = scratch if scratch is not None else Scratch()
    # each row's label entry as a place in the flattened class-major arrays: a 1-D take and
    # subtraction there cost a third of indexing by (label, row) pairs
    labelled = work.indices("labelled", m)
    np.copyto(labelled, y)
    labelled *= m
    labelled += work.places(m)
    eta = work.floats("eta", (k, m))
    if method == "dirichlet":
        np.matmul(matrix, x, out=eta)
    else:
        np.multiply(matrix[:, None], x, out=eta)
    eta += bias[:, None]
    row = work.floats("row", (3, m))
    np.maximum.reduce(eta, axis=0, out=row[0])
    eta -= row[0]
    chosen = np.take(eta.reshape(-1), labelled, out=row[0])
    p = np.exp(eta, out=eta)
    sums = np.add.reduce(p, axis=0, out=row[1])
    logs = np.log(sums, out=row[2])
    logs -= chosen
    loss = float(np.dot(wi, logs))
    p /= sums
    by_class = None if not hessian else \
        _class_hessian(x, p, None if unit else wi, method, work) if pairs else \
        _block_hessian(x, p, wi, method)
    if not unit:
        p *= wi  # the weighted residual p - onehot(y), in place
    flat = p.reshape(-1)  # a view: p is C-contiguous
    residual = np.take(flat, labelled, out=row[0])
    residual -= wi
    flat[labelled] = residual
    if method == "dirichlet":
        grad_matrix: FloatArray = p @ x.T
    else:
        grad_matrix = np.add.reduce(np.multiply(p, x, out=work.floats("product", (k, m))),
                                    axis=1)
    grad_bias: FloatArray = np.add.reduce(p, axis=1)
    return loss, grad_matrix, grad_bias, by_class


def in_theta(grad_matrix: FloatArray, grad_bias: FloatArray, by_class: Optional[FloatArray],
             method: str) -> tuple[FloatArray, Optional[FloatArray]]:
    """The gradient and Hessian in ``theta = (s, D, b)`` from those in the natural parameters
    (the Hessian class by class, as :func:`chunk_sums` sums it): ``W = s I + D``, so the
    common scale moves every diagonal entry."""
    k = grad_bias.shape[0]
    natural = grad_matrix.size + k
    diagonal = np.zeros(natural)
    diagonal[np.arange(k) * (k + 1) if method == "dirichlet" else np.arange(k)] = 1.0
    grad_natural = np.concatenate([grad_matrix.ravel(), grad_bias])
    grad = np.concatenate([[float(diagonal @ grad_natural)], grad_natural])
    if by_class is None:
        return grad, None
    hess = np.empty_like(by_class)
    order = _natural_order(k, method)
    hess[np.ix_(order, order)] = by_class
    along = hess @ diagonal
    full = np.empty((natural + 1, natural + 1))
    full[0, 0] = float(diagonal @ along)
    full[0, 1:] = along
    full[1:, 0] = along
    full[1:, 1:] = hess
    return grad, full


def _scaling_sums(theta: FloatArray, features: FloatArray, labels: IntArray, w: FloatArray,
                  method: str, rows: Optional[BoolArray], hessian: bool = False
                  ) -> tuple[float, FloatArray, Optional[FloatArray]]:
    """Weighted negative log-likelihood of ``softmax(W l + b)``, its gradient and
    (``hessian``) its Hessian in ``theta``, summed over chunks of the rows of the mask ``rows``
    (every row when None)."""
    k = features.shape[1]
    matrix, bias = unpack_theta(theta, k, method)
    grad_matrix = np.zeros_like(matrix)
    grad_bias = np.zeros(k)
    natural = matrix.size + k
    by_class = np.zeros((natural, natural)) if hessian else None
    loss = 0.0
    for x, y, wi in class_major_chunks(features, labels, w, rows, limits.CLASS_CHUNK_VALUES):
        part_loss, part_matrix, part_bias, part_hessian = chunk_sums(x, y, wi, matrix, bias,
                                                                     method, hessian)
        loss += part_loss
        grad_matrix += part_matrix
        grad_bias += part_bias
        if by_class is not None:
            assert part_hessian is not None
            by_class += part_hessian
    grad, hess = in_theta(grad_matrix, grad_bias, by_class, method)
    return loss, grad, hess


def mean_hessian(theta: FloatArray, features: FloatArray, labels: IntArray, weights: FloatArray,
                 method: str) -> FloatArray:
    """The Hessian in ``theta`` of the weighted mean negative log-likelihood of
    ``softmax(W l + b)`` on every row (no prior): where the Hessian of many rows is not summed,
    the one of a subsample of them stands in for it.

    >>> features = np.log(np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> hess = mean_hessian(np.array([1.0, 0.0, 0.0, 0.0, 0.0]), features, np.array([0, 1]),
    ...                     np.ones(2), "vector")
    >>> hess.shape, bool(np.allclose(hess, hess.T))
    ((5, 5), True)
    """
    hess = _scaling_sums(theta, features, labels, weights / float(weights.sum()), method, None,
                         True)[2]
    assert hess is not None
    return hess


def _penalised(theta: FloatArray, features: FloatArray, labels: IntArray, w: FloatArray,
               method: str, rows: Optional[BoolArray], prior: FloatArray, hessian: bool
               ) -> tuple[float, FloatArray, Optional[FloatArray]]:
    """:func:`_scaling_sums` plus the priors' ``prior . theta**2``."""
    loss, grad, hess = _scaling_sums(theta, features, labels, w, method, rows, hessian)
    if hess is not None:
        hess[np.diag_indices_from(hess)] += 2.0 * prior
    return loss + float(np.dot(prior, theta * theta)), grad + 2.0 * prior * theta, hess


@dataclasses.dataclass(frozen=True)
class ScalingFit:
    """The penalised fit: its ``theta``, the prior weights, the rows' total weight and
    effective number (``sum(w) ** 2 / sum(w ** 2)``), the solver and its iterations, and the
    mean negative log-likelihood (no prior) and the penalised gradient at ``theta``, and the
    unit of the log-scores its priors on ``W`` are in (:func:`log_score_unit`)."""

    theta: FloatArray
    prior: FloatArray
    total: float
    effective_rows: float
    solver: str
    iterations: int
    loss: float
    gradient: FloatArray
    unit: float = 1.0


def _minimise(features: FloatArray, labels: IntArray, weights: FloatArray, method: str,
              rows: Optional[BoolArray], start: Optional[FloatArray],
              off_diagonal_penalty: Optional[float] = None, unit: Optional[float] = None
              ) -> ScalingFit:
    """The penalised fit from ``start`` (a fit on nearby rows), else from the identity map (the
    scores unchanged) or, above ``SUBSAMPLE_START_ROWS`` rows, from the fit on every 64th row.
    Newton's method up to ``NEWTON_MAX_PARAMETERS`` natural parameters (one pass over the rows
    per step; the Hessian on at most about ``2 * HESSIAN_ROWS`` of them), else (or when its
    steps stall) L-BFGS-B (scipy). ``unit``: the priors' (None: :func:`log_score_unit` of the
    rows)."""
    k = features.shape[1]
    used = weights if rows is None else weights[rows]
    total = float(used.sum())
    effective_rows = total ** 2 / float(np.dot(used, used))
    if unit is None:
        unit = log_score_unit(features, weights, rows)
    prior = penalty_weights(k, method, effective_rows, off_diagonal_penalty, unit)
    w = weights / total
    if start is None and used.shape[0] > SUBSAMPLE_START_ROWS:
        start = _minimise(features[::64], labels[::64], weights[::64], method,
                          None if rows is None else rows[::64], None,
                          off_diagonal_penalty, unit).theta
    elif start is None:
        start = np.concatenate([[1.0], np.zeros(k * k if method == "dirichlet" else k),
                                np.zeros(k)])
    solver, iterations, newton_converged = "newton", 0, False
    if start.shape[0] - 1 <= NEWTON_MAX_PARAMETERS:
        curvature = _curvature_rows(features, labels, weights, rows)

        def evaluate(theta: FloatArray) -> Evaluation:
            value, grad, hess = _penalised(theta, features, labels, w, method, rows, prior,
                                           curvature is None)
            if hess is None:
                assert curvature is not None
                x, y, sampled_w, sampled_rows = curvature
                hess = _scaling_sums(theta, x, y, sampled_w, method, sampled_rows, True)[2]
                assert hess is not None
                hess[np.diag_indices_from(hess)] += 2.0 * prior
            return value, grad, hess

        res = newton_minimize(evaluate, start, 100, NEWTON_STEP_TOLERANCE, 1e-15,
                              evaluate_last=False)
        theta, value, gradient, iterations = res.theta, res.value, res.gradient, res.iterations
        newton_converged = res.converged
        start = theta
    if not newton_converged:
        theta, lbfgs_iterations = _lbfgs(features, labels, w, method, rows, prior, start)
        solver, iterations = "L-BFGS-B", iterations + lbfgs_iterations
        value, gradient, _ = _penalised(theta, features, labels, w, method, rows, prior, False)
    return ScalingFit(theta, prior, total, effective_rows, solver, iterations,
                      value - float(np.dot(prior, theta * theta)), gradient, unit)


def _curvature_rows(features: FloatArray, labels: IntArray, weights: FloatArray,
                    rows: Optional[BoolArray]
                    ) -> Optional[tuple[FloatArray, IntArray, FloatArray, Optional[BoolArray]]]:
    """Every ``stride``-th row (``stride = rows // HESSIAN_ROWS``) with its weights scaled to
    sum to 1 over the mask, where Newton's Hessian is summed; None (every row) up to
    ``2 * HESSIAN_ROWS`` rows or when those rows weigh nothing."""
    stride = features.shape[0] // HESSIAN_ROWS
    if stride < 2:
        return None
    sampled = weights[::stride]
    mask = None if rows is None else rows[::stride]
    total = float(sampled.sum() if mask is None else sampled[mask].sum())
    if not total > 0.0:
        return None
    # compact copies: each step then reads them contiguously, not strided across every row
    return (np.asfortranarray(features[::stride]), np.ascontiguousarray(labels[::stride]),
            sampled / total, None if mask is None else np.ascontiguousarray(mask))


def _lbfgs(features: FloatArray, labels: IntArray, w: FloatArray, method: str,
           rows: Optional[BoolArray], prior: FloatArray, start: FloatArray
           ) -> tuple[FloatArray, int]:
    """The penalised fit by L-BFGS-B (scipy) on the exact gradient: ``theta`` and the
    iterations. Its variables are ``theta`` divided by :func:`jacobi_scales` at ``start``:
    the priors and the log-scores' spread give the parameters curvatures orders of magnitude
    apart, over which plain L-BFGS-B crawls (dirichlet on 50 classes: 801 iterations, against
    170 so scaled, to the same penalised loss)."""
    from scipy.optimize import minimize

    scales = jacobi_scales(start, features, labels, w, method, rows, prior)

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        value, grad, _ = _penalised(u * scales, features, labels, w, method, rows, prior, False)
        return value, grad * scales

    result = minimize(objective, start / scales, jac=True, method="L-BFGS-B",
                      options={"maxiter": 2000, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-10})
    return np.asarray(result.x, dtype=np.float64) * scales, int(result.nit)


def jacobi_scales(theta: FloatArray, features: FloatArray, labels: IntArray, w: FloatArray,
                  method: str, rows: Optional[BoolArray], prior: FloatArray) -> FloatArray:
    """``1 / sqrt`` of the penalised Hessian's diagonal in ``theta`` (the common scale's taken
    as the sum of the diagonal entries of ``W`` it moves), from one pass over the rows of the
    mask ``rows``: Jacobi's preconditioner, where L-BFGS-B's variables are scaled.

    >>> features = np.log(np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> prior = penalty_weights(2, "vector", 2.0)
    >>> theta = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    >>> scales = jacobi_scales(theta, features, np.array([0, 1]), np.ones(2) / 2, "vector",
    ...                        None, prior)
    >>> scales.shape, bool(np.all(scales > 0))
    ((5,), True)
    """
    k = features.shape[1]
    matrix, bias = unpack_theta(theta, k, method)
    curvature = np.zeros_like(matrix)
    curvature_bias = np.zeros(k)
    for x, _, wi in class_major_chunks(features, labels, w, rows, limits.CLASS_CHUNK_VALUES):
        eta = matrix @ x if method == "dirichlet" else matrix[:, None] * x
        eta += bias[:, None]
        eta -= eta.max(axis=0)
        p = np.exp(eta)
        p /= p.sum(axis=0)
        v = p * (1.0 - p) * wi  # each class's logit's own curvature, row by row
        curvature_bias += v.sum(axis=1)
        x *= x
        curvature += v @ x.T if method == "dirichlet" else (v * x).sum(axis=1)
    moved = np.diag(curvature) if method == "dirichlet" else curvature
    diagonal = np.concatenate([[float(moved.sum())], curvature.ravel(), curvature_bias])
    diagonal += 2.0 * prior
    scales: FloatArray = 1.0 / np.sqrt(np.maximum(diagonal, np.finfo(np.float64).tiny))
    return scales


def scaling_start(params: FloatArray, intercept: FloatArray, common_scale: float) -> FloatArray:
    """A fit's ``theta`` (``s``, ``D``, ``b``) from what :func:`fit_class_scaling` returns:
    where another fit on nearby rows starts (a fold's from the fit on every row).

    >>> scaling_start(np.array([1.5, 2.0]), np.array([0.1, -0.1]), 1.0).tolist()
    [1.0, 0.5, 1.0, 0.1, -0.1]
    """
    deviations = np.array(params, dtype=np.float64)
    if deviations.ndim == 2:
        deviations[np.diag_indices(deviations.shape[0])] -= common_scale
    else:
        deviations -= common_scale
    return np.concatenate([[common_scale], deviations.ravel(), intercept])


def fit_class_scaling(features: FloatArray, labels: IntArray, weights: FloatArray, method: str,
                      rows: Optional[BoolArray] = None, start: Optional[FloatArray] = None,
                      off_diagonal_penalty: Optional[float] = None
                      ) -> tuple[FloatArray, FloatArray, JsonDict]:
    """The penalised weighted maximum likelihood ``vector`` or ``dirichlet`` fit on the rows of
    the mask ``rows`` (every row when None; the rows are not copied): the class scales
    (``k``) or the matrix ``W`` (``k x k``), the intercept and a record of the fit. ``start``
    (:func:`scaling_start`) is a fit on nearby rows to start from; ``off_diagonal_penalty`` is
    dirichlet's ODIR lambda (the prior weight on each squared off-diagonal entry; None:
    ``OFF_DIAGONAL_PENALTY``).

    Raises ``MC-E303-FIT-FAILED`` for dirichlet beyond ``DIRICHLET_MAX_CLASSES`` classes or
    non-finite parameters, ``MC-E302-MISSING-LIBRARY`` without scipy.

    >>> features = np.log(np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]]))
    >>> scales, bias, info = fit_class_scaling(features, np.array([0, 1, 1, 0]), np.ones(4),
    ...                                        "vector")
    >>> info["converged"], info["solver"], bool(np.all(np.abs(scales) < 1.0))
    (True, 'newton', True)
    """
    k = features.shape[1]
    if method == "dirichlet" and k > DIRICHLET_MAX_CLASSES:
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED,
            f"dirichlet fits k (k + 1) + 1 parameters; {k} classes exceed its limit of "
            f"{DIRICHLET_MAX_CLASSES}", "choose vector or temperature for this many classes")
    try:
        fit = _minimise(features, labels, weights, method, rows, start, off_diagonal_penalty)
    except ImportError as exc:  # pragma: no cover - scipy ships with scikit-learn
        raise CalibrationScriptError(
            Code.MC_E302_MISSING_LIBRARY, f"scipy is required for {method} ({exc})",
            "install scipy (a scikit-learn dependency)") from exc
    if not np.all(np.isfinite(fit.theta)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, f"{method} fit produced non-finite parameters",
            "check the class scores")
    info = scaling_record(fit, method, off_diagonal_penalty)
    matrix, bias = unpack_theta(fit.theta, k, method)
    return matrix.copy(), bias.copy(), info


def scaling_record(fit: ScalingFit, method: str,
                   off_diagonal_penalty: Optional[float] = None) -> JsonDict:
    """The record of a ``vector`` or ``dirichlet`` fit: its solver and iterations, whether it
    converged (the largest absolute penalised gradient at most ``1e-6``), its negative
    log-likelihood, common scale and priors."""
    grad_max = float(np.max(np.abs(fit.gradient)))
    penalties: JsonDict = {"common_scale": COMMON_SCALE_PENALTY, "class_scale": SCALE_PENALTY,
                           "intercept": INTERCEPT_PENALTY,
                           "effective_rows": fit.effective_rows}
    if method == "dirichlet":
        penalties["off_diagonal"] = OFF_DIAGONAL_PENALTY if off_diagonal_penalty is None \
            else off_diagonal_penalty
    if fit.unit != 1.0:
        penalties["log_score_unit"] = fit.unit
    return {"iterations": fit.iterations, "solver": fit.solver,
            "converged": grad_max <= 1e-6, "max_abs_gradient": grad_max,
            "neg_log_likelihood": fit.loss * fit.total,
            "common_scale": float(fit.theta[0]), "penalty": penalties}
