"""Vector and Dirichlet scaling and their cross-fitting folds on many rows, in a few passes.

From ``limits.SCALING_FOLDS_MIN_ROWS`` rows the shipped ``vector`` or ``dirichlet`` fit and
every fold's come from the same passes over the rows. The shipped fit is Newton's method
(:func:`~.classscaling.fit_class_scaling`'s objective) started from the fit on a stratified
subsample of ``limits.SCALING_START_ROWS`` rows, each pass summing the value, gradient and exact
Hessian per fold (:func:`fold_sums`: every row adds to its own fold only, so a row costs one
softmax whatever the folds). Their total is the full fit's; a fold's fit leaves its own rows
out, so it is one Newton step from the last pass's parameters on the other folds' sums (and the
fold's own priors): ``theta - (H - H_k)^-1 (g - g_k)``. A fold fit on most of the rows lies
``O(1 / sqrt(n))`` from the full fit, and the error of that one step is of the order of the
square of its length (docs/methods.md measures it: within ``1.5e-6`` of the converged fold
fits' parameters, relative, at 2**21 and 1e7 rows, the folds' held-out log losses within
``4e-9``). A last pass
scores each row under its fold's fit. The class log-scores are computed chunk by chunk, never
held for every row.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping
from typing import Optional

import numpy as np
import numpy.typing as npt

from . import limits
from .apply import class_logits, class_scaling_probabilities
from .artifact import MultiCalibrator
from .classscaling import (NEWTON_MAX_PARAMETERS, NEWTON_STEP_TOLERANCE, ScalingFit,
                           chunk_sums, fit_class_scaling, in_theta, penalty_weights,
                           scaling_record, scaling_start, unpack_theta)
from .crossfit import CrossFit, fold_selection, held_out_records, selection_sample
from .jsonvalues import JsonDict, json_number
from .logs import logger
from .metrics import row_figures
from .numerics import (CLIP_EPSILON, LOG_OFFSET, Evaluation, FloatArray, IntArray,
                       newton_minimize)
from .problems import MulticlassProblem, class_row_loss, scaling_calibrator
from .settings import Settings
from .temperaturefolds import ChunkedLogScores

FOLD_FITS = "one Newton step each from the full fit's last pass"
"""How the folds' fits were found, in the shipped fit's record."""


@dataclasses.dataclass(frozen=True)
class FoldSums:
    """Per fold (the first axis), sums over its rows at one ``theta``: the weighted negative
    log-likelihood, its gradient and Hessian in ``theta``, the weights and squared weights."""

    loss: FloatArray
    gradient: FloatArray
    hessian: FloatArray
    weight: FloatArray
    squared_weight: FloatArray


def _chunks(logits: ChunkedLogScores, labels: IntArray, weights: FloatArray,
            fold: npt.NDArray[np.int8], folds: int
            ) -> Iterator[tuple[slice, FloatArray, IntArray, FloatArray, npt.NDArray[np.int8]]]:
    """The rows in chunks of about ``CLASS_CHUNK_VALUES`` class scores per fold: their slice,
    class-major log-scores (classes x rows, a new array), labels, weights and folds."""
    n, k = logits.shape
    step = max(1, limits.CLASS_CHUNK_VALUES * folds // k)
    for begin in range(0, n, step):
        part = slice(begin, begin + step)
        yield (part, np.ascontiguousarray(logits[part].T), labels[part], weights[part],
               fold[part])


def _by_fold(x: FloatArray, y: IntArray, w: FloatArray, g: npt.NDArray[np.int8], folds: int
             ) -> Iterator[tuple[int, npt.NDArray[np.intp], FloatArray, IntArray, FloatArray]]:
    """A chunk's rows split by fold: the fold, the rows' places in the chunk, their class-major
    log-scores (a new array), labels and weights; each piece's temporaries stay in cache."""
    for f in range(folds):
        index = np.flatnonzero(g == f)
        if index.shape[0]:
            # take, not x[:, index]: that would lay the piece out row by row
            yield f, index, x.take(index, axis=1), y[index], w[index]


def fold_sums(logits: ChunkedLogScores, labels: IntArray, weights: FloatArray,
              fold: npt.NDArray[np.int8], folds: int, theta: FloatArray, method: str
              ) -> FoldSums:
    """The per-fold sums of :class:`FoldSums` at ``theta`` (``s``, ``D``, ``b`` as
    :func:`~.classscaling.fit_class_scaling` fits them): one pass over the rows.

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]),
    ...                             np.array([1, 0, 1]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> theta = np.array([1.0, 0.0, 0.0, 0.0, 0.0])  # the scores unchanged
    >>> sums = fold_sums(ChunkedLogScores(problem), problem.labels, problem.weights,
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
    pieces = (piece for _, x_chunk, y_chunk, w_chunk, g in _chunks(logits, labels, weights,
                                                                    fold, folds)
              for piece in _by_fold(x_chunk, y_chunk, w_chunk, g, folds))
    for f, _, x, y, w in pieces:
        part_loss, part_matrix, part_bias, part_hessian = chunk_sums(x, y, w, matrix, bias,
                                                                     method, True)
        assert part_hessian is not None
        loss[f] += part_loss
        grad_matrix[f] += part_matrix
        grad_bias[f] += part_bias
        by_class[f] += part_hessian
        weight[f] += float(w.sum())
        squared[f] += float(np.dot(w, w))
    gradient = np.empty((folds, theta.shape[0]))
    hessian = np.empty((folds, theta.shape[0], theta.shape[0]))
    for f in range(folds):
        grad, hess = in_theta(grad_matrix[f], grad_bias[f], by_class[f], method)
        assert hess is not None
        gradient[f], hessian[f] = grad, hess
    return FoldSums(loss, gradient, hessian, weight, squared)


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


def objective(sums: FoldSums, left_out: Optional[int], theta: FloatArray, method: str
              ) -> Objective:
    """The penalised objective at ``theta`` on every fold's rows but ``left_out``'s (every row
    when None), from the sums at ``theta``; the priors are those of its rows' effective number.

    >>> sums = FoldSums(np.zeros(2), np.array([[1.0], [3.0]]), np.array([[[2.0]], [[2.0]]]),
    ...                 np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    >>> # fold 1's gradient 3 and curvature 2, plus the common scale's prior on 1 row (0.01)
    >>> round(float(objective(sums, 0, np.zeros(1), "vector").newton_step()[0]), 6)
    1.485149
    """
    keep = np.ones(sums.loss.shape[0], dtype=np.bool_)
    if left_out is not None:
        keep[left_out] = False
    total = float(sums.weight[keep].sum())
    effective_rows = total ** 2 / float(sums.squared_weight[keep].sum())
    prior = penalty_weights(_classes(theta.shape[0], method), method, effective_rows)
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
    """The shipped fit, each fold's (None for a fold holding no row; its gradient the one at the
    last pass's ``theta``, before its step) and the seconds of each fold's step."""

    shipped: ScalingFit
    folds: list[Optional[ScalingFit]]
    fold_seconds: list[float]


def fit_with_folds(problem: MulticlassProblem, method: str, fold: npt.NDArray[np.int8],
                   folds: int, seed: int) -> Optional[FoldedFit]:
    """The shipped fit by Newton's method over every row from the fit on a stratified
    subsample (of ``limits.SCALING_START_ROWS`` rows, drawn with ``seed``), and every fold's
    fit as one Newton step from the last pass's ``theta`` on the other folds' sums; None when
    Newton's steps do not converge or a Hessian is singular (the exact path then fits)."""
    logits, labels, weights = ChunkedLogScores(problem), problem.labels, problem.weights
    picked = selection_sample(labels, limits.SCALING_START_ROWS, seed)
    params, intercept, info = fit_class_scaling(
        class_logits(problem.scores[picked], problem.settings.score_space, CLIP_EPSILON,
                     LOG_OFFSET), labels[picked], weights[picked], method)
    start = scaling_start(params, intercept, json_number(info["common_scale"]))
    last: list[tuple[FloatArray, FoldSums]] = []

    def evaluate(theta: FloatArray) -> Evaluation:
        sums = fold_sums(logits, labels, weights, fold, folds, theta, method)
        last[:] = [(theta, sums)]
        full = objective(sums, None, theta, method)
        return full.value, full.gradient, full.hessian

    try:
        res = newton_minimize(evaluate, start, 50, NEWTON_STEP_TOLERANCE, 1e-15,
                              evaluate_last=False)
        if not res.converged:
            return None
        centre, sums = last[0]
        full = objective(sums, None, centre, method)
        counts = np.bincount(fold, minlength=folds)
        fits: list[Optional[ScalingFit]] = []
        seconds: list[float] = []
        for f in range(folds):
            begin = time.perf_counter()
            fits.append(None if counts[f] == 0 else _fold_fit(sums, f, centre, method))
            seconds.append(time.perf_counter() - begin)
    except np.linalg.LinAlgError:
        return None
    shipped = ScalingFit(res.theta, full.prior, full.total, full.effective_rows, "newton",
                         res.iterations, float(sums.loss.sum()) / full.total, res.gradient)
    return FoldedFit(shipped, fits, seconds)


def _fold_fit(sums: FoldSums, left_out: int, centre: FloatArray, method: str) -> ScalingFit:
    """The fit on every fold but ``left_out``: one Newton step from ``centre``."""
    fold = objective(sums, left_out, centre, method)
    keep = np.arange(sums.loss.shape[0]) != left_out
    return ScalingFit(centre - fold.newton_step(), fold.prior, fold.total, fold.effective_rows,
                      "newton", 1, float(sums.loss[keep].sum()) / fold.total, fold.gradient)


def held_out_predictions(problem: MulticlassProblem, fold: npt.NDArray[np.int8],
                         models: list[Optional[MultiCalibrator]]
                         ) -> tuple[FloatArray, FloatArray]:
    """Each row's class probabilities under its fold's calibrator (``models[fold]``) in one
    pass (column-major, as the metrics read them); and per fold the weighted sums of the
    held-out log loss, of the correct top labels and of the weights (rows 0, 1, 2), as
    ``MulticlassProblem.held_out_summary`` computes them."""
    logits = ChunkedLogScores(problem)
    n, k = logits.shape
    folds = len(models)
    predictions = np.empty((n, k), order="F")
    sums = np.zeros((3, folds))
    for part, chunk, labels, weights, g in _chunks(logits, problem.labels, problem.weights,
                                                    fold, folds):
        # the chunk's predictions gathered in row order, then written as whole columns
        block = np.empty_like(chunk)
        for f, index, x, y, w in _by_fold(chunk, labels, weights, g, folds):
            model = models[f]
            assert model is not None  # a fold with rows has its fit
            p = class_scaling_probabilities(model, x.T)
            block[:, index] = p.T
            _, correct, p_true = row_figures(p, y)
            sums[0, f] += float(np.dot(w, class_row_loss(p_true)))
            sums[1, f] += float(np.dot(w, correct))
            sums[2, f] += float(w.sum())
        predictions[part] = block.T
    return predictions, sums


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
                      fold: npt.NDArray[np.int8]
                      ) -> Optional[tuple[MultiCalibrator, CrossFit]]:
    """The shipped vector or dirichlet calibrator and the cross-fitted predictions with the
    fold records (as :func:`~.crossfit.cross_fit` gives them), or None where the exact path
    applies (:func:`shared_passes_apply`, or Newton's steps not converging)."""
    n = int(problem.labels.shape[0])
    method = settings.method
    if not shared_passes_apply(problem, method):
        return None
    begin = time.perf_counter()
    found = fit_with_folds(problem, method, fold, settings.folds, settings.seed)
    if found is None or not all(np.all(np.isfinite(f.theta))
                                for f in [found.shipped, *found.folds] if f is not None):
        return None
    unfitted = problem.unfitted(method)
    calibrator = _calibrator(unfitted, found.shipped)
    info = dict(calibrator.fit)
    info["fold_fits"] = FOLD_FITS
    info["seconds"] = round(time.perf_counter() - begin, 6)
    calibrator = dataclasses.replace(calibrator, fit=info)
    logger.info("multiclass: fitted %s and its %d folds on %d rows in %.3fs (%d Newton steps)",
                method, settings.folds, n, time.perf_counter() - begin,
                found.shipped.iterations)
    models = [None if f is None else _calibrator(unfitted, f) for f in found.folds]
    predictions, sums = held_out_predictions(problem, fold, models)
    records = held_out_records(np.bincount(fold, minlength=settings.folds),
                               found.fold_seconds, sums)
    return calibrator, CrossFit(predictions, records)


def _calibrator(unfitted: MultiCalibrator, fit: ScalingFit) -> MultiCalibrator:
    """``unfitted`` with the parameters and record of ``fit``."""
    info = scaling_record(fit, unfitted.method)
    matrix, bias = unpack_theta(fit.theta, len(unfitted.names), unfitted.method)
    return dataclasses.replace(scaling_calibrator(unfitted, matrix.copy(), bias.copy(), info),
                               fit=info)


class SharedFoldFits:
    """``auto``'s vector and dirichlet fits on many rows (its shipped fit, or a mixture's
    member, and each fold's) from the shared passes of :func:`fit_with_folds`, computed for a
    method when first asked; None (the exact fit then) where :func:`shared_passes_apply` says
    no or those passes fail.

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> shared = SharedFoldFits(problem, np.array([0, 1], dtype=np.int8), 2, 0)
    >>> shared.shipped("vector") is None, shared.fold_model("platt", 0) is None  # 2 rows
    (True, True)
    """

    def __init__(self, problem: MulticlassProblem, fold: npt.NDArray[np.int8], folds: int,
                 seed: int) -> None:
        self.problem = problem
        self.fold = fold
        self.folds = folds
        self.seed = seed
        self._fits: dict[str, Optional[tuple[MultiCalibrator, list[Optional[MultiCalibrator]]]]]
        self._fits = {}

    def _models(self, method: str
                ) -> Optional[tuple[MultiCalibrator, list[Optional[MultiCalibrator]]]]:
        if not shared_passes_apply(self.problem, method):
            return None
        if method not in self._fits:
            begin = time.perf_counter()
            found = fit_with_folds(self.problem, method, self.fold, self.folds, self.seed)
            unfitted = self.problem.unfitted(method)
            if found is None or not all(np.all(np.isfinite(f.theta))
                                        for f in [found.shipped, *found.folds]
                                        if f is not None):
                self._fits[method] = None
            else:
                shipped = _calibrator(unfitted, found.shipped)
                info = {**shipped.fit, "fold_fits": FOLD_FITS,
                        "seconds": round(time.perf_counter() - begin, 6)}
                self._fits[method] = (dataclasses.replace(shipped, fit=info),
                                      [None if f is None else _calibrator(unfitted, f)
                                       for f in found.folds])
        return self._fits[method]

    def shipped(self, method: str) -> Optional[MultiCalibrator]:
        """``method`` fitted on every row, or None."""
        models = self._models(method)
        return None if models is None else models[0]

    def fold_model(self, method: str, fold: int) -> Optional[MultiCalibrator]:
        """``method`` fitted on every fold but ``fold``, or None."""
        models = self._models(method)
        return None if models is None else models[1][fold]

    def cross_fit(self, choices: Mapping[int, JsonDict]) -> Optional[CrossFit]:
        """The held-out predictions and fold records of ``auto`` whose every fold chose the
        same vector or dirichlet fit (``choices``: each fold's selection record) from these
        shared passes, in one chunked pass (:func:`held_out_predictions`, as
        :func:`fit_scaling_folds` scores them); None otherwise (``cross_fit`` then scores each
        fold)."""
        counts = np.bincount(self.fold, minlength=self.folds)
        chosen = {str(choices[int(f)]["selected"]) if int(f) in choices else "" for f in
                  np.flatnonzero(counts)}
        if len(chosen) != 1:
            return None
        (method,) = chosen
        begin = time.perf_counter()
        models = [None if counts[f] == 0 else self.fold_model(method, f)
                  for f in range(self.folds)]
        if any(m is None for f, m in enumerate(models) if counts[f]):
            return None
        seconds = [0.0] * self.folds  # each fold's fit is the shared passes' (recorded there)
        predictions, sums = held_out_predictions(self.problem, self.fold, models)
        records = [{"fold": int(f), **fold_selection(choices[int(f)]), **r}
                   for f, r in zip(np.flatnonzero(counts),
                                   held_out_records(counts, seconds, sums))]
        logger.info("multiclass: every fold chose %s; held-out rows scored in one pass in "
                    "%.3fs", method, time.perf_counter() - begin)
        return CrossFit(predictions, records)
