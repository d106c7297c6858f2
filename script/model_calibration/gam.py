"""The ``gam`` fit: a penalised logistic cubic B-spline on logit(score), fitted by PIRLS.

``GAM_SPLINES`` basis functions on equally spaced knots over the fitted range, the
second-difference penalty ``GAM_LAMBDA`` and pygam's monotonicity penalty (``1e9`` on
decreasing neighbouring coefficients): the objective of pygam's
``LogisticGAM(s(0, n_splines=GAM_SPLINES, constraints='monotonic_inc'))``. The rows are
aggregated by distinct score or, above ``GAM_MAX_EXACT_POINTS`` of them, into ``GAM_BINS``
equal-width bins of logit(score) at their mean. The shipped calibrator is the fitted curve
tabulated at ``GAM_TABLE_POINTS`` equally spaced logits (``fitting.fit_calibrator``). Each
PIRLS step is halved until the penalised deviance does not rise (a damped
Newton step), so the iterations cannot overshoot and run away on nearly separated scores.

The monotonicity penalty is judged as the squared hinge ``GAM_CONSTRAINT_LAMBDA / 2 *
sum(min(diff(beta), 0) ** 2)`` of the coefficients a step proposes, with pygam's constraint
ridge ``GAM_CONSTRAINT_RIDGE`` on the spline coefficients throughout: one fixed convex objective.
(Judging a step by the penalty of the previous iterate's violated pairs, as plain PIRLS does,
lets the objective change under the iterations: on scores piled at the clip they swapped active
sets and ran away to coefficients near ``1e9``.) PIRLS's active set then is the objective's
generalised Hessian, and the damped iterations descend it to its minimum.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from ..errors import CalibrationScriptError, Code
from .numerics import FloatArray, sigmoid, weighted_count

GAM_LAMBDA = 0.6
GAM_CONSTRAINT_LAMBDA = 1e9
GAM_CONSTRAINT_RIDGE = 1e-3
"""pygam's ``constraint_l2``: a ridge on the spline coefficients of a monotonic fit."""
GAM_TABLE_POINTS = 2049
GAM_MAX_EXACT_POINTS = 20000
GAM_BINS = 8192
GAM_MAX_HALVINGS = 30
GAM_FLAT_OBJECTIVE = 1e-9
"""A full Newton step changing the objective by at most this share of it ends the iterations
(the ``1e9`` constraint penalty's rounding moves the objective by about ``1e-10`` of it)."""


def _bspline_basis(x01: FloatArray, n_splines: int) -> FloatArray:
    """Cubic B-spline basis on ``n_splines - 3`` equal intervals of [0, 1] (pygam's basis)."""
    intervals = n_splines - 3
    t = np.clip(x01, 0.0, 1.0) * intervals
    i = np.minimum(np.floor(t), intervals - 1).astype(np.int64)
    u = t - i
    u2 = u * u
    u3 = u2 * u
    pieces = (
        (1.0 - u) ** 3 / 6.0,
        (3.0 * u3 - 6.0 * u2 + 4.0) / 6.0,
        (-3.0 * u3 + 3.0 * u2 + 3.0 * u + 1.0) / 6.0,
        u3 / 6.0,
    )
    basis = np.zeros((x01.shape[0], n_splines))
    rows = np.arange(x01.shape[0])
    for offset, piece in enumerate(pieces):
        basis[rows, i + offset] = piece
    return basis


@dataclasses.dataclass(frozen=True)
class GamFit:
    """A fitted GAM: spline coefficients, intercept and the logit range of the knots, with the
    PIRLS iterations, whether they converged, the points fitted and whether those were bins."""

    spline_coef: FloatArray
    intercept: float
    edge_knots: tuple[float, float]
    iterations: int
    converged: bool
    points: int
    binned: bool


def _aggregate_for_gam(z: FloatArray, n: FloatArray, k: FloatArray
                       ) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    if z.shape[0] <= GAM_MAX_EXACT_POINTS:
        return z, n, k, False
    lo, hi = float(z.min()), float(z.max())
    scaled = z - lo  # ((z - lo) / (hi - lo) * GAM_BINS) in place
    scaled /= hi - lo
    scaled *= GAM_BINS
    idx = scaled.astype(np.int64)
    del scaled
    np.minimum(idx, GAM_BINS - 1, out=idx)
    nb = weighted_count(idx, n, GAM_BINS)
    kb = weighted_count(idx, k, GAM_BINS)
    zb = weighted_count(idx, n * z, GAM_BINS)
    keep = nb > 0
    zb = zb[keep] / nb[keep]
    # Keep the exact extremes so the edge knots are unchanged.
    zb[0], zb[-1] = lo, hi
    return zb, nb[keep], kb[keep], True


@dataclasses.dataclass(frozen=True)
class _Objective:
    """Half the penalised deviance PIRLS minimises: ``n . softplus(eta) - k . eta`` plus
    ``beta' P beta / 2`` (``eta = x beta``) plus, for a monotonic fit, the squared hinge of
    decreasing neighbouring spline coefficients weighted by ``GAM_CONSTRAINT_LAMBDA / 2``."""

    x: FloatArray
    n: FloatArray
    k: FloatArray
    penalty: FloatArray
    n_splines: int
    monotonic: bool

    def __call__(self, beta: FloatArray) -> float:
        eta = self.x @ beta
        value = float(np.dot(self.n, np.logaddexp(0.0, eta)) - np.dot(self.k, eta)
                      + 0.5 * beta @ self.penalty @ beta)
        if self.monotonic:
            drops = np.minimum(np.diff(beta[:self.n_splines]), 0.0)
            value += 0.5 * GAM_CONSTRAINT_LAMBDA * float(np.dot(drops, drops))
        return value


def _halve_until_no_rise(objective: _Objective, beta: FloatArray, proposal: FloatArray
                         ) -> tuple[FloatArray, int, bool]:
    """The PIRLS step from ``beta`` towards ``proposal``, halved until the objective does not
    rise (a damped Newton step: plain PIRLS can overshoot and run away on nearly separated
    scores); returns the new coefficients, the halvings (more than ``GAM_MAX_HALVINGS``: no
    step lowers it, the iterations stop) and whether the full Newton step changes the
    objective by at most ``GAM_FLAT_OBJECTIVE`` of it (the Newton decrement is nil: the
    minimum, up to rounding; a constrained pair may flip in and out of the active set there)."""
    before = objective(beta)
    step = proposal - beta
    flat = False
    for halvings in range(GAM_MAX_HALVINGS + 1):
        candidate: FloatArray = beta + step * 0.5 ** halvings
        after = objective(candidate)
        if halvings == 0:
            flat = abs(before - after) <= GAM_FLAT_OBJECTIVE * abs(before)
        if math.isfinite(after) and after <= before + 1e-12 * abs(before):
            return candidate, halvings, flat
    return beta, GAM_MAX_HALVINGS + 1, flat


def _pirls_proposal(objective: _Objective, beta: FloatArray, eta: FloatArray) -> FloatArray:
    """The PIRLS (Newton) proposal from ``beta`` (``eta = x beta``).

    For a monotonic fit the constraint's pairs (where the hinge's Hessian counts) start as
    those decreasing at ``beta``; then the pairs the proposal would turn down are added and
    those not decreasing at ``beta`` that the constrained proposal would raise are released,
    until the set holds (a primal-dual active set). At a pair level at ``beta`` (the start,
    or a constraint that holds) the hinge has a kink: a proposal that crosses it unchecked is
    cut by the line search to a step too short to make progress.
    """
    n_splines = objective.n_splines
    p = sigmoid(eta)
    w = objective.n * p * (1.0 - p)
    rhs = objective.x.T @ (w * eta + (objective.k - objective.n * p))
    lhs = (objective.x * w[:, None]).T @ objective.x + objective.penalty
    decreasing = np.diff(beta[:n_splines]) < 0
    active = decreasing & objective.monotonic
    d1 = np.diff(np.eye(n_splines), n=1, axis=0)
    for _ in range(2 * n_splines):
        full = lhs.copy()
        if active.any():
            full[:n_splines, :n_splines] += GAM_CONSTRAINT_LAMBDA * (d1.T * active) @ d1
        proposal = np.asarray(np.linalg.solve(full, rhs), dtype=np.float64)
        if not objective.monotonic:
            break
        rises = np.diff(proposal[:n_splines]) > 0
        changed = active ^ ((active & (decreasing | ~rises)) | (~active & ~rises))
        if not changed.any():
            break
        active ^= changed
    return proposal


def fit_gam(z: FloatArray, n: FloatArray, k: FloatArray, n_splines: int, monotonic: bool,
            lam: float = GAM_LAMBDA, max_iter: int = 100,
            start: Optional[tuple[FloatArray, float]] = None) -> GamFit:
    """Penalised logistic B-spline by PIRLS (pygam's LogisticGAM objective) on aggregated rows.
    ``start``: the spline coefficients and intercept of a fit on nearby rows (knots over about
    the same range), where PIRLS starts (else from the base rate)."""
    zf, nf, kf, binned = _aggregate_for_gam(z, n, k)
    lo, hi = float(zf.min()), float(zf.max())
    scale = hi - lo if hi > lo else 1.0
    basis = _bspline_basis((zf - lo) / scale, n_splines)
    x = np.column_stack([basis, np.ones(zf.shape[0])])
    m = n_splines + 1
    d2 = np.diff(np.eye(n_splines), n=2, axis=0)
    penalty = np.zeros((m, m))
    penalty[:n_splines, :n_splines] = lam * (d2.T @ d2)
    penalty[np.diag_indices(m)] += math.sqrt(np.finfo(np.float64).eps)
    if monotonic:
        penalty[np.diag_indices(n_splines)] += GAM_CONSTRAINT_RIDGE
    objective = _Objective(x, nf, kf, penalty, n_splines, monotonic)
    beta = np.zeros(m)
    rate = min(max(float(kf.sum() / nf.sum()), 1e-6), 1.0 - 1e-6)
    beta[n_splines] = math.log(rate / (1.0 - rate))
    if start is not None:
        beta[:n_splines], beta[n_splines] = start
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        eta = x @ beta
        proposal = _pirls_proposal(objective, beta, eta)
        beta, halvings, flat = _halve_until_no_rise(objective, beta, proposal)
        # The intercept and the spline level are only separated by the tiny ridge, so judge
        # convergence on the linear predictor, not on the coefficients.
        change = float(np.max(np.abs(x @ beta - eta)))
        # The 1e9 constraint penalty limits attainable accuracy to about 1e-8 in eta.
        # A damped step is short because the line search cut it, not because it converged.
        if flat or (halvings == 0 and change <= 1e-7 * (1.0 + float(np.max(np.abs(eta))))):
            converged = True
            break
        if halvings > GAM_MAX_HALVINGS:
            break
    if not np.all(np.isfinite(beta)):
        raise CalibrationScriptError(Code.MC_E303_FIT_FAILED, "gam fit produced non-finite parameters",
                                     "reduce GAM_SPLINES or check the score distribution")
    return GamFit(beta[:n_splines].copy(), float(beta[n_splines]), (lo, hi), iterations,
                  converged, int(zf.shape[0]), binned)


def gam_predict_logit(fit: GamFit, z: FloatArray) -> FloatArray:
    """The fitted GAM's linear predictor at logits ``z`` (clamped to the fitted range)."""
    lo, hi = fit.edge_knots
    scale = hi - lo if hi > lo else 1.0
    basis = _bspline_basis((z - lo) / scale, fit.spline_coef.shape[0])
    out: FloatArray = basis @ fit.spline_coef + fit.intercept
    return out
