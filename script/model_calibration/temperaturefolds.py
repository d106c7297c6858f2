"""Temperature scaling and its cross-fitting folds on many rows, from one or two passes over the
rows.

On ``BINNED_MIN_ROWS`` rows or more (without ``TEMPERATURE_BIAS``), the shipped temperature
and every fold's are fitted together. The objective of a set of rows is a smooth function of the
one scale ``s``; its derivatives in ``s`` are sums over the rows of the cumulants of the row's
class log-scores under its softmax probabilities (the first: the expected log-score minus the
label's). One pass at a scale ``s0`` sums those of orders 1 to 6 per fold (:func:`fold_moments`),
which gives the Taylor expansion of every fold's objective, and of every row's, around ``s0``;
each fit is Newton's method on its expansion to the fifth order (:func:`taylor_minimum`), the
sixth-order term bounding its error. The first pass is at the fit on every 64th row (the start
``fit_temperature`` itself uses); when every fit's error bound from it is within
``TAYLOR_TOLERANCE`` (on many rows the start is close: at 1e7 rows the bounds were about
``1e-16``), the shipped fit and every fold's come from it; otherwise a second pass at the scale
found from the first gives them. A fit whose error bound is still above ``TAYLOR_TOLERANCE`` (a
fold far from the full fit) is refitted exactly by ``fit_temperature`` from there. The held-out
rows are then scored in one pass, in chunks (:func:`held_out_pass`: the folds' held-out figures;
the metrics score them again, or read them where the pass stored them over the scores,
:mod:`.heldoutchunks`). In the script's run the first pass writes the class log-scores over the
scores, and the later passes read them there (:class:`ChunkedLogScores`).

The fits agree with ``fit_temperature``'s to about ``1e-12`` of the scale (Newton's own
stopping rule there is a step of ``1e-10``); a fold's ``fit_seconds`` is its own solve (the
passes are shared and counted in the shipped fit's ``seconds``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from typing import Optional, Protocol

import numpy as np
import numpy.typing as npt

from . import limits
from .apply import class_logits, class_major_softmax, lift_to_class_floor
from .crossfit import held_out_records
from .heldoutchunks import HeldOutChunks, stored_rows
from .artifact import MultiCalibrator
from .jsonvalues import JsonDict
from .logs import logger
from .multiclassmetrics import ClassExtremes, ClassRows
from .numerics import CLIP_EPSILON, LOG_OFFSET, FloatArray, IntArray
from .scratch import Scratch
from .ovrbinned import held_out_sums
from .problems import MulticlassProblem
from .settings import Settings
from .temperature import fit_temperature

ORDERS = 6
"""Derivatives of the objective summed per pass: orders 1 to 6 (the value too)."""

TAYLOR_TOLERANCE = 1e-12
"""Largest accepted bound on a scale's error, relative to ``1 + scale``: the sixth-order term
of the expansion at the minimum of the fifth-order one, divided by the curvature."""

FOLD_CHUNK_ROWS = 1 << 16
"""Rows per chunk of these passes (their temporaries, classes x rows, stay in cache)."""


class RowSlices(Protocol):
    """Rows by slice: an ``(n, classes)`` array, or :class:`ChunkedLogScores`."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, rows: slice, /) -> FloatArray: ...


class ChunkedLogScores:
    """A problem's class log-scores (the values of ``MulticlassProblem.logits``) computed for
    the rows asked for, so that no n x classes matrix of them is made; with ``store``, each
    slice read in order is written over its scores (:meth:`MulticlassProblem.logit_rows`), so
    that later passes read the log-scores instead of computing them again.

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> bool(np.array_equal(ChunkedLogScores(problem)[1:], problem.logits[1:]))
    True
    """

    def __init__(self, problem: MulticlassProblem, store: bool = False) -> None:
        self.problem = problem
        self.store = store

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.problem.scores.shape)

    def __getitem__(self, rows: slice, /) -> FloatArray:
        return self.problem.logit_rows(rows, self.store)


def class_major_copy(rows: FloatArray, scratch: Scratch) -> FloatArray:
    """``rows`` (rows x classes) copied class-major into ``scratch``'s array ``"chunk"``
    (valid until the next chunk's copy)."""
    x = scratch.floats("chunk", (rows.shape[1], rows.shape[0]))
    np.copyto(x, rows.T)
    return x


def _chunks(logits: RowSlices, labels: IntArray, weights: Optional[FloatArray],
            fold: npt.NDArray[np.int8], scratch: Scratch
            ) -> Iterator[tuple[slice, FloatArray, IntArray, Optional[FloatArray],
                                npt.NDArray[np.int8]]]:
    """The rows in chunks of ``FOLD_CHUNK_ROWS``: their slice, class-major log-scores
    (:func:`class_major_copy`), labels, weights (None: each row weighs 1) and folds."""
    n = logits.shape[0]
    for begin in range(0, n, FOLD_CHUNK_ROWS):
        part = slice(begin, begin + FOLD_CHUNK_ROWS)
        yield part, class_major_copy(logits[part], scratch), labels[part], \
            None if weights is None else weights[part], fold[part]


def _cumulants(x: FloatArray, p: FloatArray, mean: FloatArray,
               scratch: Scratch) -> list[FloatArray]:
    """Per row (columns of the class-major ``x``, ``p``): the cumulants of orders 2 to 6 of the
    log-scores ``x`` under the probabilities ``p``, whose mean is ``mean``
    (``(p * x).sum(axis=0)``), from their central moments (computed in ``scratch``'s arrays
    ``"d"``, ``"power"`` and ``"product"``)."""
    d = np.subtract(x, mean, out=scratch.floats("d", x.shape))
    power = np.multiply(d, d, out=scratch.floats("power", x.shape))
    product = scratch.floats("product", x.shape)
    moments = {}
    for order in range(2, ORDERS + 1):
        if order > 2:
            power *= d
        moments[order] = np.multiply(p, power, out=product).sum(axis=0)
    m2, m3, m4, m5, m6 = (moments[o] for o in range(2, ORDERS + 1))
    return [m2, m3, m4 - 3.0 * m2 * m2, m5 - 10.0 * m3 * m2,
            m6 - 15.0 * m4 * m2 - 10.0 * m3 * m3 + 30.0 * m2 ** 3]


def _label_rows(x: FloatArray, labels: IntArray) -> FloatArray:
    """Each row's value of its label's class in the class-major ``x`` (``x[labels, rows]``,
    by a masked copy a class: no index arrays).

    >>> _label_rows(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([1, 0, 1])).tolist()
    [4.0, 2.0, 6.0]
    """
    out: FloatArray = x[0].copy()
    for j in range(1, x.shape[0]):
        np.copyto(out, x[j], where=labels == j)
    return out


def fold_moments(logits: RowSlices, labels: IntArray, weights: Optional[FloatArray],
                 fold: npt.NDArray[np.int8], folds: int, scale: float) -> FloatArray:
    """Per fold (columns), the weighted sums over its rows of the temperature objective at
    ``scale`` (row 0: ``logsumexp(s l) - s l[label]``) and of its derivatives in ``s`` of orders
    1 to ``ORDERS`` (rows 1 to 6): one pass over the rows (``weights`` None: each row weighs
    1, the same sums as weights of 1).

    >>> logits = np.log(np.array([[0.7, 0.3], [0.4, 0.6]]))
    >>> m = fold_moments(logits, np.array([0, 1]), np.ones(2), np.array([0, 1], dtype=np.int8),
    ...                  2, 1.0)
    >>> np.round(m[:2], 6).tolist()  # the log losses and the first derivatives
    [[0.356675, 0.510826], [-0.254189, -0.162186]]
    """
    out = np.zeros((ORDERS + 1, folds))
    scratch = Scratch()
    for _, x, y, w, g in _chunks(logits, labels, weights, fold, scratch):
        chosen = _label_rows(x, y)
        eta = np.multiply(x, scale, out=scratch.floats("eta", x.shape))
        top = eta.max(axis=0)
        eta -= top
        np.exp(eta, out=eta)
        sums = eta.sum(axis=0)
        eta /= sums  # the softmax probabilities
        mean = np.multiply(eta, x, out=scratch.floats("product", x.shape)).sum(axis=0)
        terms = [top + np.log(sums) - scale * chosen, mean - chosen]
        terms += _cumulants(x, eta, mean, scratch)
        for order, term in enumerate(terms):
            if w is not None:
                term *= w
            out[order] += np.bincount(g, weights=term, minlength=folds)
    return out


@dataclasses.dataclass(frozen=True)
class TaylorFit:
    """The minimum of a fifth-order expansion: the step from its centre, the objective and its
    first derivative there (per unit weight), the curvature and the bound on the step's error."""

    step: float
    value: float
    gradient: float
    curvature: float
    error_bound: float
    iterations: int


def taylor_minimum(sums: FloatArray) -> Optional[TaylorFit]:
    """Newton's method on the expansion ``sum_j sums[j] t**j / j!`` (``j`` up to 5) from
    ``t = 0``; ``sums[6]`` bounds the error. None when the expansion is not convex on the way.

    >>> fit = taylor_minimum(np.array([1.0, -2.0, 4.0, 0.0, 0.0, 0.0, 0.0]))
    >>> fit.step, fit.value, fit.error_bound
    (0.5, 0.5, 0.0)
    """
    coefficients = sums[:ORDERS] / np.array([math.factorial(j) for j in range(ORDERS)])
    derivative = np.polynomial.polynomial.polyder(coefficients)
    second = np.polynomial.polynomial.polyder(derivative)
    t = 0.0
    iterations = 0
    for iterations in range(1, 51):
        curvature = float(np.polynomial.polynomial.polyval(t, second))
        if not curvature > 0.0:
            return None
        move = float(np.polynomial.polynomial.polyval(t, derivative)) / curvature
        t -= move
        if abs(move) <= 1e-16 * (1.0 + abs(t)):
            break
    curvature = float(np.polynomial.polynomial.polyval(t, second))
    if not curvature > 0.0:
        return None
    bound = abs(float(sums[ORDERS])) * abs(t) ** (ORDERS - 1) / math.factorial(ORDERS - 1) \
        / curvature
    return TaylorFit(t, float(np.polynomial.polynomial.polyval(t, coefficients)),
                     float(np.polynomial.polynomial.polyval(t, derivative)), curvature, bound,
                     iterations)


def _solve(sums: FloatArray, total: float, centre: float) -> Optional[tuple[float, TaylorFit]]:
    """The scale minimising the expansion of ``sums`` (of rows weighing ``total``) around
    ``centre``, when its error bound is within ``TAYLOR_TOLERANCE``; else None."""
    fit = taylor_minimum(sums / total)
    if fit is None:
        return None
    scale = centre + fit.step
    if not scale >= 1e-6 or fit.error_bound > TAYLOR_TOLERANCE * (1.0 + abs(scale)):
        return None
    return scale, fit


def _fit_info(fit: TaylorFit, total: float, passes: int) -> JsonDict:
    """The record of a scale found from an expansion, as ``fit_temperature`` records its fit."""
    return {"iterations": passes, "solver": "newton", "converged": True,
            "max_abs_gradient": abs(fit.gradient), "neg_log_likelihood": fit.value * total,
            "bias": False, "expansion_error_bound": fit.error_bound}


def _scales(problem: MulticlassProblem, fold: npt.NDArray[np.int8], folds: int,
            store: bool = False) -> Optional[tuple[float, JsonDict, list[Optional[float]]]]:
    """The shipped scale, its record and each fold's scale (None: to be refitted exactly) from
    one pass at the start, or two when an expansion around the start is not exact enough; None
    when no expansion reaches a scale. ``store``: the first pass writes the class log-scores
    over the problem's scores (:class:`ChunkedLogScores`)."""
    logits, labels, weights = ChunkedLogScores(problem), problem.labels, problem.given_weights
    every_64th = np.ones(labels[::64].shape[0]) if weights is None else weights[::64]
    centre, _, _ = fit_temperature(logits[::64], labels[::64], every_64th, False)
    total = float(labels.shape[0] if weights is None else weights.sum())
    weight = np.bincount(fold, weights=weights, minlength=folds).astype(np.float64)
    for passes in (1, 2):
        moments = fold_moments(ChunkedLogScores(problem, store and passes == 1), labels, weights,
                               fold, folds, centre)
        every = moments.sum(axis=1)
        full = _solve(every, total, centre)
        fold_scales: list[Optional[float]] = []
        for f in range(folds):
            solved = _solve(every - moments[:, f], total - float(weight[f]), centre)
            fold_scales.append(None if solved is None else solved[0])
        if full is not None and (passes == 2 or None not in fold_scales):
            scale, shipped = full
            return scale, _fit_info(shipped, total, passes), fold_scales
        if passes == 2:
            return None
        # the start too far for every fit's expansion: a second pass at the step it gives
        fit = taylor_minimum(every / total)
        if fit is None or not centre + fit.step >= 1e-6:
            return None
        centre += fit.step
    return None


def _softmax_at(x: FloatArray, scales: FloatArray, floor: Optional[float]) -> FloatArray:
    """The class-major log-scores ``x`` of some rows (changed in place) turned into their class
    probabilities under the rows' ``scales`` (no bias), as ``class_scaling_probabilities``
    computes them (the classes lifted to the calibrator's ``floor`` where it has one)."""
    x *= scales
    out = class_major_softmax(x)
    return lift_to_class_floor(out, floor, 0) if floor else out


def held_out_scorer(problem: MulticlassProblem, fold: npt.NDArray[np.int8],
                    scales: FloatArray) -> ClassRows:
    """The held-out class probabilities of the rows of a slice, each row under its fold's
    scale (``scales[fold]``), computed in chunks of ``FOLD_CHUNK_ROWS`` into a column-major
    array (each row's values as :func:`held_out_pass` computes them)."""
    logits = ChunkedLogScores(problem)
    n, k = logits.shape
    floor = problem.unfitted("temperature").probability_floor

    def score(rows: slice) -> FloatArray:
        start, stop, step = rows.indices(n)
        assert step == 1
        out = np.empty((max(stop - start, 0), k), order="F")
        for begin in range(start, stop, FOLD_CHUNK_ROWS):
            part = slice(begin, min(begin + FOLD_CHUNK_ROWS, stop))
            x = np.array(logits[part].T, order="C")
            out[begin - start:part.stop - start] = _softmax_at(x, scales[fold[part]], floor).T
        return out

    return score


def held_out_pass(problem: MulticlassProblem, fold: npt.NDArray[np.int8], scales: FloatArray,
                  store: Optional[FloatArray] = None) -> tuple[FloatArray, ClassExtremes]:
    """Per fold the weighted sums of the held-out log loss (clipped as the metrics clip), of
    the correct top labels and of the weights (rows 0, 1, 2), and the
    :class:`~.multiclassmetrics.ClassExtremes` of the held-out probabilities, from one pass over the
    rows (each under its fold's scale, ``scales[fold]``), none of the probabilities kept
    unless ``store`` is given (then each chunk's are written to its rows there once computed:
    it may be the problem's score matrix)."""
    logits = ChunkedLogScores(problem)
    folds = scales.shape[0]
    floor = problem.unfitted("temperature").probability_floor
    sums = np.zeros((3, folds))
    extremes = ClassExtremes(logits.shape[1])
    for part, x, y, w, g in _chunks(logits, problem.labels, problem.given_weights, fold,
                                    Scratch()):
        _softmax_at(x, scales[g], floor)
        sums += held_out_sums(x.T, y, w, g, folds)
        extremes.add(list(x))
        if store is not None:
            store[part] = x.T
    return sums, extremes


def fit_temperature_folds(problem: MulticlassProblem, settings: Settings,
                          fold: npt.NDArray[np.int8], store: bool = False
                          ) -> Optional[tuple[MultiCalibrator, HeldOutChunks]]:
    """The shipped temperature calibrator and the cross-fitted predictions, computed chunk by
    chunk when asked for, with the fold records (as :func:`~.crossfit.cross_fit` gives them),
    or None where the exact path applies
    (fewer than ``BINNED_MIN_ROWS`` rows, ``TEMPERATURE_BIAS``, another method, or no expansion
    reaching a scale). ``store``: the class log-scores are stored over ``problem.scores`` by
    the first pass over the rows (the later passes, and the exact fits that follow a None,
    read them there), and the held-out predictions over them in the held-out pass (the
    problem's scores are then gone)."""
    n = int(problem.labels.shape[0])
    if settings.method != "temperature" or settings.temperature_bias or \
            n < limits.BINNED_MIN_ROWS:
        return None
    begin = time.perf_counter()
    found = _scales(problem, fold, settings.folds, store)
    if found is None:
        return None
    scale, info, fold_scales = found
    info["seconds"] = round(time.perf_counter() - begin, 6)
    logger.info("multiclass: fitted temperature on %d rows in %.3fs (%s passes)", n,
                time.perf_counter() - begin, info["iterations"])
    counts = np.bincount(fold, minlength=settings.folds)
    scales = np.ones(settings.folds)
    seconds = np.zeros(settings.folds)
    for f, fold_scale in enumerate(fold_scales):
        if counts[f] == 0:
            continue
        start = time.perf_counter()
        if fold_scale is None:  # far from the full fit: the exact fit from there
            fold_scale, _, _ = fit_temperature(problem.logits, problem.labels, problem.weights,
                                               False, fold != f,
                                               (scale, ()))
        scales[f] = fold_scale
        seconds[f] = time.perf_counter() - start
    matrix = problem.scores if store else None
    sums, extremes = held_out_pass(problem, fold, scales, matrix)
    records = held_out_records(counts, seconds.tolist(), sums)
    k = problem.scores.shape[1]
    calibrator = dataclasses.replace(problem.unfitted("temperature"), scale=scale,
                                     bias=(0.0,) * k, fit=info)
    score = held_out_scorer(problem, fold, scales) if matrix is None else stored_rows(matrix)
    return calibrator, HeldOutChunks(score, extremes, records, 0)
