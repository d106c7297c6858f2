"""Vector and Dirichlet scaling and their cross-fitting folds on many rows, in a few passes.

From ``limits.SCALING_FOLDS_MIN_ROWS`` rows the shipped ``vector`` or ``dirichlet`` fit and
every fold's come from the same passes over the rows. The shipped fit is Newton's method
(:func:`~.classscaling.fit_class_scaling`'s objective) started from the fit on a stratified
subsample of ``limits.SCALING_START_ROWS`` rows and its first step taken on the subsample's
Hessian (:func:`_first_step`: a pass for the gradient only), each later pass summing the value,
gradient and exact Hessian per fold (:func:`fold_sums`: every row adds to its own fold only, so a row costs one
softmax whatever the folds). Their total is the full fit's; a fold's fit leaves its own rows
out, so it is one Newton step from the last pass's parameters on the other folds' sums (and the
fold's own priors): ``theta - (H - H_k)^-1 (g - g_k)``. A fold fit on most of the rows lies
``O(1 / sqrt(n))`` from the full fit, and the error of that one step is of the order of the
square of its length (docs/methods.md measures it: within ``1.5e-6`` of the converged fold
fits' parameters, relative, at 2**21 and 1e7 rows, the folds' held-out log losses within
``4e-9``). Newton's last step, once it moves no parameter by more than ``UNCONFIRMED_STEP``, is
taken without a pass of its own: the folds' steps start from the pass before it, and the
held-out pass, which scores each row under its fold's fit, also sums the gradient at the
shipped fit's ``theta``, where one more step within ``SETTLE_STEP`` settles it
(:func:`settle`; a larger one, not seen in practice, resumes Newton's passes). The held-out
probabilities are not kept: the metrics score each chunk again (:mod:`.heldoutchunks`), or, in
the script's run, read them where the held-out pass stored them over the scores. The
class log-scores are computed chunk by chunk, never held for every row apart from the scores;
in the script's run the first pass writes them over the scores, where the later passes read
them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from . import limits
from .apply import class_logits, class_major_probabilities
from .artifact import MultiCalibrator
from .classscaling import (NEWTON_MAX_PARAMETERS, NEWTON_STEP_TOLERANCE, ScalingFit,
                           chunk_sums, fit_class_scaling, in_theta, log_score_unit,
                           mean_hessian, penalty_weights, scaling_record, scaling_start,
                           unpack_theta)
from .crossfit import held_out_records, selection_sample
from .heldoutchunks import HeldOutChunks, stored_rows
from .jsonvalues import json_number
from .logs import logger
from .multiclassmetrics import ClassExtremes, ClassRows
from .numerics import CLIP_EPSILON, LOG_OFFSET, Evaluation, FloatArray, IntArray, newton_minimize
from .ovrbinned import held_out_sums
from .problems import MulticlassProblem, scaling_calibrator
from .settings import Settings
from .scratch import Scratch
from .temperaturefolds import ChunkedLogScores, class_major_copy

FOLD_FITS = "one Newton step each from the full fit's last pass"
"""How the folds' fits were found, in the shipped fit's record."""

UNCONFIRMED_STEP = 2e-4
"""Newton's step of the shared passes that moves no parameter by more than this (relative to
``1 + max |theta|``) is taken without a pass of its own: near the optimum the next step is of
the order of its square. The held-out pass checks it (:func:`settle`)."""

SETTLE_STEP = 1e-7
"""The held-out pass's step (:func:`settle`, relative to ``1 + max |theta|``) that is taken
without another pass: on the last pass's Hessian, at most ``UNCONFIRMED_STEP`` away, it lands
within about its length times that distance of the optimum (``2e-11``), as close as the exact
fit gets with its step of ``NEWTON_STEP_TOLERANCE`` on a sampled Hessian."""

Chunk = tuple[slice, FloatArray, IntArray, FloatArray, npt.NDArray[np.int8]]
"""A chunk of rows: its slice, class-major log-scores (a new array), labels, weights, folds."""


@dataclasses.dataclass(frozen=True)
class FoldSums:
    """Per fold (the first axis), sums over its rows at one ``theta``: the weighted negative
    log-likelihood, its gradient and Hessian in ``theta``, the weights, squared weights and
    rows."""

    loss: FloatArray
    gradient: FloatArray
    hessian: FloatArray
    weight: FloatArray
    squared_weight: FloatArray
    rows: npt.NDArray[np.intp]


def _chunk_rows(k: int, folds: int) -> int:
    """Rows per chunk: about ``CLASS_CHUNK_VALUES`` class scores per fold."""
    return max(1, limits.CLASS_CHUNK_VALUES * folds // k)


def _unit_or(weights: Optional[FloatArray], part: slice, rows: int,
             scratch: Scratch) -> FloatArray:
    """The weights of the rows of ``part`` (None: each of the ``rows`` weighs 1, ``scratch``'s
    ones)."""
    return scratch.ones(rows) if weights is None else weights[part]


def _chunks(logits: ChunkedLogScores, labels: IntArray, weights: Optional[FloatArray],
            fold: npt.NDArray[np.int8], folds: int, scratch: Scratch) -> Iterator[Chunk]:
    """The rows in chunks of :func:`_chunk_rows` rows (each chunk's log-scores and unit
    weights ``scratch``'s arrays, valid until the next chunk)."""
    n, k = logits.shape
    step = _chunk_rows(k, folds)
    for begin in range(0, n, step):
        part = slice(begin, begin + step)
        x = class_major_copy(logits[part], scratch)
        yield part, x, labels[part], _unit_or(weights, part, x.shape[1], scratch), fold[part]


def _by_fold(x: FloatArray, y: IntArray, w: Optional[FloatArray], g: npt.NDArray[np.int8],
             folds: int, scratch: Scratch
             ) -> Iterator[tuple[int, npt.NDArray[np.intp], FloatArray, IntArray, FloatArray]]:
    """A chunk's rows split by fold: the fold, the rows' places in the chunk, their class-major
    log-scores, labels and weights (``w`` None: ``scratch``'s ones; the log-scores
    ``scratch``'s array ``"piece"``, valid until the next piece); each piece's temporaries
    stay in cache."""
    for f in range(folds):
        index = np.flatnonzero(g == f)
        m = index.shape[0]
        if m:
            # take, not x[:, index]: that would lay the piece out row by row
            piece = np.take(x, index, axis=1, out=scratch.floats("piece", (x.shape[0], m)))
            yield f, index, piece, y[index], scratch.ones(m) if w is None else w[index]


def fold_sums(logits: ChunkedLogScores, labels: IntArray, weights: Optional[FloatArray],
              fold: npt.NDArray[np.int8], folds: int, theta: FloatArray, method: str
              ) -> FoldSums:
    """The per-fold sums of :class:`FoldSums` at ``theta`` (``s``, ``D``, ``b`` as
    :func:`~.classscaling.fit_class_scaling` fits them; ``weights`` None: each row weighs 1):
    one pass over the rows.

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]),
    ...                             np.array([1, 0, 1]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> theta = np.array([1.0, 0.0, 0.0, 0.0, 0.0])  # the scores unchanged
    >>> sums = fold_sums(ChunkedLogScores(problem), problem.labels, None,
    ...                  np.array([0, 1, 1], dtype=np.int8), 2, theta, "vector")
    >>> np.round(sums.loss, 6).tolist(), sums.weight.tolist()  # -ln 0.8, -ln 0.6 - ln 0.3
    ([0.223144, 1.714798], [1.0, 2.0])
    """
    k = logits.shape[1]
    matrix, bias = unpack_theta(theta, k, method)
    natural = matrix.size + k
    loss = np.zeros(folds)
    grad_matrix = np.zeros((folds,) + matrix.shape)
    grad_bias = np.zeros((folds, k))
    by_class = np.zeros((folds, natural, natural))
    weight = np.zeros(folds)
    squared = np.zeros(folds)
    rows = np.zeros(folds, dtype=np.intp)
    scratch = Scratch()
    unit = weights is None
    pieces = (piece for _, x_chunk, y_chunk, w_chunk, g in _chunks(logits, labels, weights,
                                                                    fold, folds, scratch)
              for piece in _by_fold(x_chunk, y_chunk, None if unit else w_chunk, g, folds,
                                    scratch))
    for f, index, x, y, w in pieces:
        part_loss, part_matrix, part_bias, part_hessian = chunk_sums(
            x, y, w, matrix, bias, method, True, True, scratch, unit)
        assert part_hessian is not None
        loss[f] += part_loss
        grad_matrix[f] += part_matrix
        grad_bias[f] += part_bias
        by_class[f] += part_hessian
        weight[f] += float(w.sum())
        squared[f] += float(np.dot(w, w))
        rows[f] += index.shape[0]
    gradient = np.empty((folds, theta.shape[0]))
    hessian = np.empty((folds, theta.shape[0], theta.shape[0]))
    for f in range(folds):
        grad, hess = in_theta(grad_matrix[f], grad_bias[f], by_class[f], method)
        assert hess is not None
        gradient[f], hessian[f] = grad, hess
    return FoldSums(loss, gradient, hessian, weight, squared, rows)


class GradientSums:
    """The weighted negative log-likelihood and its gradient in ``theta`` at one ``theta``,
    summed chunk by chunk (no Hessian)."""

    def __init__(self, theta: FloatArray, k: int, method: str, unit: bool = False) -> None:
        self.theta = theta
        self.method = method
        self.unit = unit
        self.scratch = Scratch()
        self.matrix, self.bias = unpack_theta(theta, k, method)
        self.loss = 0.0
        self.grad_matrix = np.zeros_like(self.matrix)
        self.grad_bias = np.zeros(k)

    def add(self, x: FloatArray, y: IntArray, w: FloatArray) -> None:
        """Add a class-major chunk's sums (``unit``: every weight of ``w`` is 1)."""
        loss, grad_matrix, grad_bias, _ = chunk_sums(x, y, w, self.matrix, self.bias,
                                                     self.method, False, False, self.scratch,
                                                     self.unit)
        self.loss += loss
        self.grad_matrix += grad_matrix
        self.grad_bias += grad_bias

    def gradient(self) -> FloatArray:
        """The summed gradient in ``theta``."""
        return in_theta(self.grad_matrix, self.grad_bias, None, self.method)[0]


@dataclasses.dataclass(frozen=True)
class Objective:
    """The penalised objective (:func:`~.classscaling.fit_class_scaling`'s, per unit weight) of
    some folds' rows at one ``theta``: value, gradient, Hessian, the prior weights, the rows'
    total weight and effective number."""

    value: float
    gradient: FloatArray
    hessian: FloatArray
    prior: FloatArray
    total: float
    effective_rows: float

    def newton_step(self) -> FloatArray:
        """The Newton step (to subtract from ``theta``)."""
        return np.asarray(np.linalg.solve(self.hessian, self.gradient), dtype=np.float64)


def objective(sums: FoldSums, left_out: Optional[int], theta: FloatArray, method: str,
              unit: float = 1.0) -> Objective:
    """The penalised objective at ``theta`` on every fold's rows but ``left_out``'s (every row
    when None), from the sums at ``theta``; the priors are those of its rows' effective number
    in the log-scores' ``unit`` (:func:`~.classscaling.log_score_unit`).

    >>> sums = FoldSums(np.zeros(2), np.array([[1.0], [3.0]]), np.array([[[2.0]], [[2.0]]]),
    ...                 np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([1, 1]))
    >>> # fold 1's gradient 3 and curvature 2, plus the common scale's prior on 1 row (0.01)
    >>> round(float(objective(sums, 0, np.zeros(1), "vector").newton_step()[0]), 6)
    1.485149
    """
    keep = np.ones(sums.loss.shape[0], dtype=np.bool_)
    if left_out is not None:
        keep[left_out] = False
    total = float(sums.weight[keep].sum())
    effective_rows = total ** 2 / float(sums.squared_weight[keep].sum())
    prior = penalty_weights(_classes(theta.shape[0], method), method, effective_rows, unit=unit)
    gradient = sums.gradient[keep].sum(axis=0) / total + 2.0 * prior * theta
    hessian = sums.hessian[keep].sum(axis=0) / total
    hessian[np.diag_indices_from(hessian)] += 2.0 * prior
    value = float(sums.loss[keep].sum()) / total + float(np.dot(prior, theta * theta))
    return Objective(value, gradient, hessian, prior, total, effective_rows)


def _classes(parameters: int, method: str) -> int:
    """The classes of a ``theta`` of ``parameters`` entries: ``k (k + 1) + 1`` (dirichlet) or
    ``2 k + 1`` (vector).

    >>> _classes(13, "dirichlet"), _classes(7, "vector")
    (3, 3)
    """
    if method == "dirichlet":
        return int(round((np.sqrt(4.0 * parameters - 3.0) - 1.0) / 2.0))
    return (parameters - 1) // 2


@dataclasses.dataclass(frozen=True)
class FoldedFit:
    """The shipped fit before it is settled (:func:`settle`: its ``theta`` the last pass's
    minus Newton's step from there, its other fields the last pass's), each fold's (None for a
    fold holding no row; its gradient the one at the last pass's ``theta``, before its step),
    the seconds of each fold's step, each fold's rows, and the penalised objective's Hessian at
    the last pass (the check's)."""

    shipped: ScalingFit
    folds: list[Optional[ScalingFit]]
    fold_seconds: list[float]
    rows: npt.NDArray[np.intp]
    curvature: FloatArray


def _newton_passes(problem: MulticlassProblem, method: str, fold: npt.NDArray[np.int8],
                   folds: int, start: FloatArray, tolerance: float, unit: float
                   ) -> Optional[tuple[FloatArray, FoldSums, int]]:
    """Newton's method over every row from ``start`` until a step within ``tolerance``: the
    last pass's ``theta`` and sums, and the passes; None when the steps do not converge."""
    logits, labels, weights = ChunkedLogScores(problem), problem.labels, problem.given_weights
    last: list[tuple[FloatArray, FoldSums]] = []

    def evaluate(theta: FloatArray) -> Evaluation:
        sums = fold_sums(logits, labels, weights, fold, folds, theta, method)
        last[:] = [(theta, sums)]
        full = objective(sums, None, theta, method, unit)
        return full.value, full.gradient, full.hessian

    res = newton_minimize(evaluate, start, 50, tolerance, 1e-15, evaluate_last=False)
    if not res.converged or not last:
        return None
    return last[0][0], last[0][1], res.iterations


def fit_with_folds(problem: MulticlassProblem, method: str, fold: npt.NDArray[np.int8],
                   folds: int, seed: int, store: bool = False) -> Optional[FoldedFit]:
    """The shipped fit by Newton's method over every row from the fit on a stratified
    subsample (of ``limits.SCALING_START_ROWS`` rows, drawn with ``seed``), its first step on
    that subsample's Hessian (:func:`_first_step`), its last (of at most ``UNCONFIRMED_STEP``)
    taken without a pass, and every fold's fit as one Newton step
    from the last pass's ``theta`` on the other folds' sums; None when Newton's steps do not
    converge or a Hessian is singular (the exact path then fits). ``store``: the first pass
    writes the class log-scores over the problem's scores (:class:`ChunkedLogScores`; the
    later passes and an exact fit after a None read them there)."""
    labels, weights = problem.labels, problem.given_weights
    picked = selection_sample(labels, limits.SCALING_START_ROWS, seed)
    sample = class_logits(problem.scores[picked], problem.settings.score_space, CLIP_EPSILON,
                          LOG_OFFSET)
    sample_weights = np.ones(picked.shape[0]) if weights is None else weights[picked]
    unit = log_score_unit(sample, sample_weights)
    params, intercept, info = fit_class_scaling(sample, labels[picked], sample_weights, method)
    start = scaling_start(params, intercept, json_number(info["common_scale"]))
    try:
        start = _first_step(problem, method, start,
                            mean_hessian(start, sample, labels[picked], sample_weights, method),
                            unit, store)
        found = _newton_passes(problem, method, fold, folds, start, UNCONFIRMED_STEP, unit)
        if found is None:
            return None
        centre, sums, passes = found
        passes += 1  # the first step's pass
        full = objective(sums, None, centre, method, unit)
        fits: list[Optional[ScalingFit]] = []
        seconds: list[float] = []
        for f in range(folds):
            begin = time.perf_counter()
            fits.append(None if sums.rows[f] == 0 else _fold_fit(sums, f, centre, method, unit))
            seconds.append(time.perf_counter() - begin)
        theta = centre - full.newton_step()
    except np.linalg.LinAlgError:
        return None
    shipped = ScalingFit(theta, full.prior, full.total, full.effective_rows, "newton", passes,
                         float(sums.loss.sum()) / full.total, full.gradient, unit)
    return FoldedFit(shipped, fits, seconds, sums.rows, full.hessian)


def _first_step(problem: MulticlassProblem, method: str, start: FloatArray,
                curvature: FloatArray, unit: float, store: bool = False) -> FloatArray:
    """``start`` moved by Newton's step with the penalised gradient over every row (a pass
    without the Hessian) on ``curvature``, the Hessian of the mean log-likelihood on the
    subsample ``start`` was fitted on, plus the priors of every row: from a subsample's fit
    the error after it is about the step's length times the subsample Hessian's relative
    error, near the square of the step that Newton's exact Hessian would leave (``store``: as
    :func:`shipped_sums` takes it)."""
    weights = problem.given_weights
    rows = float(problem.labels.shape[0])
    total = rows if weights is None else float(weights.sum())
    effective_rows = rows if weights is None else total ** 2 / float(np.dot(weights, weights))
    prior = penalty_weights(_classes(start.shape[0], method), method, effective_rows, unit=unit)
    gradient = shipped_sums(problem, start, method, store).gradient() / total + 2.0 * prior * start
    hessian = curvature.copy()
    hessian[np.diag_indices_from(hessian)] += 2.0 * prior
    return start - np.asarray(np.linalg.solve(hessian, gradient), dtype=np.float64)


def _fold_fit(sums: FoldSums, left_out: int, centre: FloatArray, method: str, unit: float
              ) -> ScalingFit:
    """The fit on every fold but ``left_out``: one Newton step from ``centre``."""
    fold = objective(sums, left_out, centre, method, unit)
    keep = np.arange(sums.loss.shape[0]) != left_out
    return ScalingFit(centre - fold.newton_step(), fold.prior, fold.total, fold.effective_rows,
                      "newton", 1, float(sums.loss[keep].sum()) / fold.total, fold.gradient,
                      unit)


def settle(problem: MulticlassProblem, method: str, fold: npt.NDArray[np.int8],
           found: FoldedFit, at_shipped: Optional[GradientSums], resume: bool = True
           ) -> Optional[ScalingFit]:
    """The shipped fit of ``found``: at its ``theta`` the penalised gradient (from
    ``at_shipped``, the held-out pass's sums there, else from a pass of its own, without the
    Hessian) gives Newton's next step on the last pass's Hessian; within ``SETTLE_STEP`` it
    is taken (as ``newton_minimize`` takes its last), else Newton's passes resume from there
    (None when they do not converge). Without ``resume`` (the rows' scores are gone) a step
    within ``UNCONFIRMED_STEP`` is taken with a warning, a longer one raises
    ``MC-E303-FIT-FAILED``."""
    fit = found.shipped
    sums = at_shipped if at_shipped is not None else shipped_sums(problem, fit.theta, method)
    gradient = sums.gradient() / fit.total + 2.0 * fit.prior * fit.theta
    try:
        step = np.asarray(np.linalg.solve(found.curvature, gradient), dtype=np.float64)
        size = float(np.max(np.abs(step))) / (1.0 + float(np.max(np.abs(fit.theta))))
    except np.linalg.LinAlgError:
        step, size = gradient, float("inf")
    settled = dataclasses.replace(fit, theta=fit.theta - step, iterations=fit.iterations + 1,
                                  loss=sums.loss / fit.total, gradient=gradient)
    if size <= SETTLE_STEP:
        return settled
    if not resume and size <= UNCONFIRMED_STEP:
        logger.warning("multiclass: %s's unconfirmed step left a step of %.3g (relative), "
                       "taken without another pass: the scores are gone", method, size)
        return settled
    if not resume:
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED,
            f"{method}'s Newton steps over the rows did not settle (a step of {size:.3g} "
            f"after the held-out predictions replaced the scores)",
            "check the class scores; temperature scaling fits without these passes")
    if not np.isfinite(size):
        return None
    logger.info("multiclass: %s's unconfirmed step left a step of %.3g; Newton's passes "
                "resume", method, float(np.max(np.abs(step))))
    folds = found.rows.shape[0]
    try:
        resumed = _newton_passes(problem, method, fold, folds, fit.theta,
                                 NEWTON_STEP_TOLERANCE, fit.unit)
        if resumed is None:
            return None
        centre, last, passes = resumed
        full = objective(last, None, centre, method, fit.unit)
        theta = centre - full.newton_step()
    except np.linalg.LinAlgError:
        return None
    return ScalingFit(theta, full.prior, full.total, full.effective_rows, "newton",
                      fit.iterations + 1 + passes, float(last.loss.sum()) / full.total,
                      full.gradient, fit.unit)


def shipped_sums(problem: MulticlassProblem, theta: FloatArray, method: str,
                 store: bool = False) -> GradientSums:
    """The value and gradient sums at ``theta`` over every row: one pass without the
    Hessian (``store``: the class log-scores written over the scores as it reads them)."""
    logits = ChunkedLogScores(problem, store)
    k = logits.shape[1]
    weights = problem.given_weights
    sums = GradientSums(theta, k, method, weights is None)
    scratch = Scratch()
    for begin in range(0, logits.shape[0], _chunk_rows(k, 1)):
        part = slice(begin, begin + _chunk_rows(k, 1))
        x = class_major_copy(logits[part], scratch)
        sums.add(x, problem.labels[part], _unit_or(weights, part, x.shape[1], scratch))
    return sums


def _scored(x: FloatArray, g: npt.NDArray[np.int8], models: list[Optional[MultiCalibrator]],
            scratch: Optional[Scratch] = None) -> FloatArray:
    """A class-major chunk's held-out class probabilities (class-major; ``scratch``'s array
    ``"block"`` when given, valid until the next chunk, else a new array), each row under its
    fold's calibrator (``models[fold]``), by :func:`class_major_probabilities`."""
    block = np.empty_like(x) if scratch is None else scratch.floats("block", x.shape)
    for f in range(len(models)):
        index = np.flatnonzero(g == f)
        m = index.shape[0]
        if m:
            model = models[f]
            assert model is not None  # a fold with rows has its fit
            piece = np.take(x, index, axis=1,
                            out=None if scratch is None else scratch.floats("piece",
                                                                            (x.shape[0], m)))
            scored = class_major_probabilities(model, piece)
            for j in range(x.shape[0]):  # a class at a time: 2-D fancy assignment is slower
                block[j][index] = scored[j]
    return block


def held_out_pass(problem: MulticlassProblem, fold: npt.NDArray[np.int8],
                  models: list[Optional[MultiCalibrator]],
                  shipped: Optional[tuple[FloatArray, str]],
                  store: Optional[FloatArray] = None
                  ) -> tuple[FloatArray, ClassExtremes, Optional[GradientSums]]:
    """Per fold the weighted sums of the held-out log loss, of the correct top labels and of
    the weights (rows 0, 1, 2, as ``MulticlassProblem.held_out_summary`` computes them), the
    :class:`~.multiclassmetrics.ClassExtremes` of the held-out probabilities (none of them kept unless
    ``store`` is given: then each chunk's are written to its rows there once its sums are
    taken; it may be the problem's score matrix) and, for ``shipped`` (a ``theta`` and its
    method), the value and gradient sums there: one pass over the rows."""
    logits = ChunkedLogScores(problem)
    k = logits.shape[1]
    folds = len(models)
    sums = np.zeros((3, folds))
    extremes = ClassExtremes(k)
    weights = problem.given_weights
    at_shipped = None if shipped is None else GradientSums(shipped[0], k, shipped[1],
                                                           weights is None)
    scratch = Scratch()
    for part, x, y, w, g in _chunks(logits, problem.labels, weights, fold, folds, scratch):
        block = _scored(x, g, models, scratch)
        sums += held_out_sums(block.T, y, None if weights is None else w, g, folds)
        extremes.add(list(block))
        if at_shipped is not None:
            at_shipped.add(x, y, w)
        if store is not None:
            store[part] = block.T
    return sums, extremes, at_shipped


def held_out_scorer(problem: MulticlassProblem, fold: npt.NDArray[np.int8],
                    models: list[Optional[MultiCalibrator]]) -> ClassRows:
    """The held-out class probabilities of the rows of a slice (column-major), computed in
    the chunks of :func:`held_out_pass` (so to the same values; the last chunk is kept for
    the next slice)."""
    logits = ChunkedLogScores(problem)
    n, k = logits.shape
    step = _chunk_rows(k, len(models))
    kept: dict[int, FloatArray] = {}

    def block(c: int) -> FloatArray:
        if c not in kept:
            kept.clear()
            part = slice(c * step, (c + 1) * step)
            kept[c] = _scored(np.ascontiguousarray(logits[part].T), fold[part], models)
        return kept[c]

    def score(rows: slice) -> FloatArray:
        start, stop, stride = rows.indices(n)
        assert stride == 1
        out = np.empty((max(stop - start, 0), k), order="F")
        for c in range(start // step, -(-stop // step)):
            low, high = max(start, c * step), min(stop, (c + 1) * step)
            out[low - start:high - start] = block(c)[:, low - c * step:high - c * step].T
        return out

    return score


def shared_passes_apply(problem: MulticlassProblem, method: str) -> bool:
    """Whether ``method`` on ``problem`` is fitted with its folds from shared passes: vector or
    dirichlet on at least ``limits.SCALING_FOLDS_MIN_ROWS`` rows, with at most
    ``NEWTON_MAX_PARAMETERS`` natural parameters (beyond them the exact fit takes L-BFGS-B, and
    five folds' Hessians would grow with their square).

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> shared_passes_apply(problem, "vector")  # 2 rows
    False
    """
    k = int(problem.scores.shape[1])
    natural = k * k + k if method == "dirichlet" else 2 * k
    return method in ("vector", "dirichlet") and natural <= NEWTON_MAX_PARAMETERS and \
        problem.labels.shape[0] >= limits.SCALING_FOLDS_MIN_ROWS


def fit_scaling_folds(problem: MulticlassProblem, settings: Settings,
                      fold: npt.NDArray[np.int8], store: bool = False
                      ) -> Optional[tuple[MultiCalibrator, HeldOutChunks]]:
    """The shipped vector or dirichlet calibrator and the cross-fitted predictions, computed
    chunk by chunk when asked for, with the fold records (as :func:`~.crossfit.cross_fit`
    gives them), or None where the exact path applies (:func:`shared_passes_apply`, or
    Newton's steps not converging before the held-out pass). ``store``: the class log-scores
    are stored over ``problem.scores`` by the first pass over the rows (:func:`fit_with_folds`),
    and the held-out predictions over them in the held-out pass (the problem's scores are then
    gone: the shipped fit is settled without more passes, :func:`settle`)."""
    method = settings.method
    if not shared_passes_apply(problem, method):
        return None
    begin = time.perf_counter()
    found = fit_with_folds(problem, method, fold, settings.folds, settings.seed, store)
    if found is None or not finite_fits(found.folds):
        return None
    unfitted = problem.unfitted(method)
    models = [None if f is None else calibrator_of(unfitted, f) for f in found.folds]
    matrix = problem.scores if store else None
    sums, extremes, at_shipped = held_out_pass(problem, fold, models,
                                               (found.shipped.theta, method), matrix)
    shipped = settle(problem, method, fold, found, at_shipped, matrix is None)
    if shipped is None or not finite_fits([shipped]):
        if matrix is not None:
            raise CalibrationScriptError(
                Code.MC_E303_FIT_FAILED, f"{method}'s fit on every row is not finite",
                "check the class scores")
        return None
    calibrator = calibrator_of(unfitted, shipped)
    seconds = time.perf_counter() - begin
    calibrator = dataclasses.replace(calibrator, fit={**calibrator.fit, "fold_fits": FOLD_FITS,
                                                      "seconds": round(seconds, 6)})
    logger.info("multiclass: fitted %s and its %d folds on %d rows, held-out rows scored, in "
                "%.3fs (%d Newton steps)", method, settings.folds, problem.labels.shape[0],
                seconds, shipped.iterations)
    records = held_out_records(found.rows, found.fold_seconds, sums)
    score = held_out_scorer(problem, fold, models) if matrix is None else stored_rows(matrix)
    return calibrator, HeldOutChunks(score, extremes, records, 0)


def finite_fits(fits: list[Optional[ScalingFit]]) -> bool:
    """Whether every fit's parameters are finite."""
    return all(bool(np.all(np.isfinite(f.theta))) for f in fits if f is not None)


def calibrator_of(unfitted: MultiCalibrator, fit: ScalingFit) -> MultiCalibrator:
    """``unfitted`` with the parameters and record of ``fit``."""
    info = scaling_record(fit, unfitted.method)
    matrix, bias = unpack_theta(fit.theta, len(unfitted.names), unfitted.method)
    return dataclasses.replace(scaling_calibrator(unfitted, matrix.copy(), bias.copy(), info),
                               fit=info)
