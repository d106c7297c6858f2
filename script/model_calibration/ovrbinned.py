"""One-vs-rest multi-class with many rows: each class's fits on its row bins.

From ``BINNED_MIN_ROWS`` kept rows a one-vs-rest run (any method but ``auto``) bins each class's
scores by fold and logit in one pass (:class:`~.rowbins.RowBins`, as a binary task's binned
path does): the shipped members come from :func:`~.binned.full_fit_binned` (isotonic, platt
and beta exact, gam on the bins) and each fold's members are fitted on the other folds' bins.
The one-vs-rest outputs of a row are renormalised over its classes, so the held-out
predictions are per row: each held-out row is scored by its fold's members at its own scores.

The rows are offered to the full fits as passes only (:class:`PassRows`), as a streamed binary
run offers them: isotonic and venn_abers members are fitted on the bins (no sort of every
class's scores; their accuracy is that of a streamed isotonic, docs/performance.md), platt and
beta refitted on every row in chunks.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt

from . import limits
from .apply import CLASS_SCALING_METHODS, calibrator_function, renormalise
from .artifact import Calibrator, MultiCalibrator
from .binned import fit_on_bins, full_fit_binned
from .heldoutchunks import HeldOutChunks, stored_rows
from .jsonvalues import JsonDict, json_number
from .logs import logger
from .multiclassmetrics import ClassExtremes, ClassRows, row_figures
from .numerics import FloatArray, IntArray, adaptive_clip_epsilon
from .problems import MulticlassProblem, class_row_loss
from .rowbins import RowBins, bin_rows
from .rowpasses import ArrayRows, Chunk
from .settings import Settings


@dataclasses.dataclass(frozen=True)
class PassRows(ArrayRows):
    """Rows held in memory offered as chunked passes only (``arrays`` is None), so that a full
    fit takes what a streamed run takes.

    >>> PassRows(np.array([0.2, 0.7]), np.array([False, True]), None).arrays() is None
    True
    """

    def arrays(self) -> Optional[Chunk]:
        return None


def ovr_class_bins(problem: MulticlassProblem, settings: Settings,
                   fold: npt.NDArray[np.int8]) -> Optional[list[RowBins]]:
    """Each class's row bins by fold where :func:`fit_ovr_binned` fits on them (its rows,
    method and space), else None, as when a class's scores cannot be binned."""
    n = int(problem.labels.shape[0])
    method = settings.method
    if n < limits.BINNED_MIN_ROWS or method == "auto" or method in CLASS_SCALING_METHODS:
        return None
    binned: list[RowBins] = []
    for column in problem.columns:
        rb = bin_rows(column.scores, column.labels, column.weights, fold, settings.folds,
                      settings.score_space)
        if rb is None:
            return None
        binned.append(rb)
    return binned


def fit_ovr_binned(problem: MulticlassProblem, settings: Settings, fold: npt.NDArray[np.int8],
                   context: str, store: bool = False,
                   binned: Optional[Sequence[RowBins]] = None
                   ) -> Optional[tuple[MultiCalibrator, HeldOutChunks]]:
    """The shipped one-vs-rest calibrator and the cross-fitted predictions (computed chunk by
    chunk when asked for, :mod:`.heldoutchunks`) on row bins (``binned``: the
    :func:`ovr_class_bins` the caller has made, else made here), or None where the exact path
    applies (fewer than ``BINNED_MIN_ROWS`` rows, ``auto``, a class scaling, or scores too
    spread to bin). ``store``: the held-out predictions are stored over ``problem.scores`` in
    the held-out pass (the problem's scores are then gone: for a caller that has done with
    them).

    The fold records are those of :func:`~.crossfit.cross_fit` (their fit seconds cover the
    fold's members of every class); a fold without rows is skipped as there.
    """
    n = int(problem.labels.shape[0])
    method = settings.method
    if binned is None:
        binned = ovr_class_bins(problem, settings, fold)
    if binned is None:
        return None
    start = time.perf_counter()
    space = settings.score_space
    eps = [adaptive_clip_epsilon(c.scores) if space == "probability" else None
           for c in problem.columns]
    members = tuple(full_fit_binned(rb, PassRows(c.scores, c.labels, c.weights), settings,
                                    f"{context}, class {name!r}", e)[0]
                    for rb, c, name, e in zip(binned, problem.columns, problem.names, eps))
    logger.info("%s: fitted %s on %d rows, %d classes in %.3fs", context, method, n,
                len(members), time.perf_counter() - start)
    info: list[JsonDict] = []
    fold_models: list[Optional[list[Calibrator]]] = []
    folds = range(settings.folds)
    # each fold's rows as the bins counted them: np.bincount of the fold bytes would first
    # widen them to an array of n indices (8 bytes a row, at the peak of the run)
    counts = binned[0].rows
    for f in folds:
        n_test = int(counts[f])
        fold_models.append(None)
        if n_test == 0:
            logger.info("fold %d holds no row (CALIBRATION_FOLDS=%d); skipped", f,
                        settings.folds)
            continue
        start = time.perf_counter()
        others = [g for g in folds if g != f]
        fold_models[f] = [
            fit_on_bins(rb.aggregated(others, space), settings, method,
                        f"fold {f}, class {name!r}", e, n - int(rb.rows[f]))
            for rb, name, e in zip(binned, problem.names, eps)]
        fit_seconds = time.perf_counter() - start
        info.append({"fold": f, "n_train": n - n_test, "n_test": n_test,
                     "fit_seconds": round(fit_seconds, 6)})
        logger.info("fold %d: trained on %d rows, scored %d held-out rows in %.3fs", f,
                    n - n_test, n_test, fit_seconds)
    shipped = dataclasses.replace(problem.unfitted(method), members=members)
    zero = problem.zero_sum_rows(shipped)  # before the scores are overwritten
    score = held_out_scorer(problem, fold, fold_models)
    matrix = problem.scores if store else None
    sums, extremes = held_out_pass(problem, fold, score, settings.folds, matrix)
    for entry in info:
        f = int(json_number(entry["fold"]))
        entry.update({"log_loss": float(sums[0, f] / sums[2, f]),
                      "accuracy": float(sums[1, f] / sums[2, f])})
    return shipped, HeldOutChunks(score if matrix is None else stored_rows(matrix), extremes,
                                  info, zero)


def held_out_scorer(problem: MulticlassProblem, fold: npt.NDArray[np.int8],
                    fold_models: Sequence[Optional[Sequence[Calibrator]]]) -> ClassRows:
    """The renormalised one-vs-rest outputs of the rows of a slice, each row under its fold's
    members (``fold_models[fold]``, one a class; None for a fold without rows), column-major:
    each fold's rows gathered and stored by index, class by class (boolean masks and 2-D
    masked assignments cost several times as much), and renormalised together.

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.6], [0.3, 0.1]]), np.array([1, 0]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> same = Calibrator("gam", "probability", 1e-15, knots_x=np.array([0.0, 1.0]),
    ...                   knots_y=np.array([0.0, 1.0]))
    >>> score = held_out_scorer(problem, np.array([0, 1], dtype=np.int8),
    ...                         [[same, same], [same, same]])
    >>> score(slice(None)).round(3).tolist()
    [[0.25, 0.75], [0.75, 0.25]]
    """
    k = len(problem.columns)
    # each member prepared once for every chunk (a knot calibrator's segment search)
    calibrate = [None if models is None else [calibrator_function(m) for m in models]
                 for models in fold_models]

    def score(part: slice) -> FloatArray:
        groups = fold[part]
        q = np.empty((groups.shape[0], k), order="F")
        for f, members in enumerate(calibrate):
            index = np.flatnonzero(groups == f)
            if members is None or index.size == 0:
                continue
            for j, (member, column) in enumerate(zip(members, problem.columns)):
                q[:, j].put(index, member(column.scores[part].take(index)))
        probs: FloatArray = renormalise(q)[0]
        return probs

    return score


def held_out_pass(problem: MulticlassProblem, fold: npt.NDArray[np.int8], score: ClassRows,
                  folds: int, store: Optional[FloatArray] = None
                  ) -> tuple[FloatArray, ClassExtremes]:
    """The folds' :func:`held_out_sums` and the :class:`~.multiclassmetrics.ClassExtremes` of the
    held-out predictions ``score`` gives, in one pass in chunks of ``BIN_CHUNK_ROWS`` rows,
    none of the predictions kept unless ``store`` is given (then each chunk's are written to
    its rows there once scored: it may be the score matrix ``score`` reads).

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.6], [0.3, 0.1]]), np.array([1, 0]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> probs = np.array([[0.25, 0.75], [0.75, 0.25]])
    >>> sums, extremes = held_out_pass(problem, np.array([0, 1], dtype=np.int8),
    ...                                lambda rows: probs[rows], 2)
    >>> sums[2].tolist(), extremes.high.tolist()
    ([1.0, 1.0], [0.75, 0.75, 0.75])
    """
    n, k = problem.labels.shape[0], len(problem.columns)
    sums = np.zeros((3, folds))
    extremes = ClassExtremes(k)
    for start in range(0, n, limits.BIN_CHUNK_ROWS):
        part = slice(start, start + limits.BIN_CHUNK_ROWS)
        probs = score(part)
        sums += held_out_sums(probs, problem.labels[part],
                              None if problem.given_weights is None else
                              problem.given_weights[part], fold[part], folds)
        extremes.add([probs[:, j] for j in range(k)])
        if store is not None:
            store[part] = probs
    return sums, extremes


def held_out_sums(predictions: FloatArray, labels: IntArray, weights: Optional[FloatArray],
                  fold: npt.NDArray[np.int8], folds: int) -> FloatArray:
    """Per fold, the weighted sums of the held-out log loss (clipped as the metrics clip), of
    the correct top labels and of the weights (rows 0, 1, 2; ``weights`` None: each row weighs
    1), in one pass over the rows in chunks of ``BIN_CHUNK_ROWS`` (the figures of
    ``MulticlassProblem.held_out_summary``).

    >>> held_out_sums(np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]]), np.array([1, 1, 0]),
    ...               np.ones(3), np.array([0, 0, 1], dtype=np.int8), 2).round(4).tolist()
    [[0.9163, 0.1054], [1.0, 1.0], [2.0, 1.0]]
    """
    sums = np.zeros((3, folds))
    for start in range(0, labels.shape[0], limits.BIN_CHUNK_ROWS):
        part = slice(start, start + limits.BIN_CHUNK_ROWS)
        g = fold[part]
        _, hit, p_true = row_figures(predictions[part], labels[part])
        loss = class_row_loss(p_true)
        if weights is None:  # the same sums: a weight of 1 multiplies exactly
            sums[0] += np.bincount(g, weights=loss, minlength=folds)
            sums[1] += np.bincount(g, weights=hit, minlength=folds)
            sums[2] += np.bincount(g, minlength=folds)
            continue
        w = weights[part]
        sums[0] += np.bincount(g, weights=w * loss, minlength=folds)
        sums[1] += np.bincount(g, weights=w * hit, minlength=folds)
        sums[2] += np.bincount(g, weights=w, minlength=folds)
    return sums
