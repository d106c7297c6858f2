"""Running each mode: fit (or apply the given calibrator), evaluate, and describe the outputs.

``run_binary``, ``run_multitask`` and ``run_multiclass`` turn the shards into an
:class:`Outcome`: the calibrator, the rows block, the uncalibrated and calibrated metrics, the
folds, the selection record, the plot panels and the function that adds the calibrated columns
to a shard. The shipped calibrator is fitted on all kept rows; its figures are cross-fitted, or,
for an applied calibrator, those of its predictions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Optional

import numpy as np
import pandas as pd

from . import limits
from ..interface import CALIBRATED_COLUMN_PREFIX
from .aggregation import aggregate
from .apply import apply_calibrator, apply_multiclass_columns
from .artifact import AnyCalibrator, Calibrator, MultiCalibrator
from .binned import run_task_binned
from .columns import parse_scores, parse_weights, require_columns
from .crossfit import auto_summary, cross_fit, select_method
from .fitting import check_two_classes
from .heldoutchunks import HeldOutChunks
from .inputs import InputData, load_multiclass, load_tasks, task_data
from .jsonvalues import JsonDict, json_number
from .logs import logger
from .mixture import fit_selection
from .metricblocks import multitask_metrics
from .metrics import binary_metrics
from .multiclassmetrics import (columns_of, multiclass_metrics, multiclass_metrics_of,
                                renormalised_columns)
from .numerics import CLIP_EPSILON, FloatArray, IntArray, sigmoid, softmax
from .ovrbinned import fit_ovr_binned, ovr_class_bins
from .plotting import Panel, metrics_panels
from .problems import BinaryProblem, ModelT, MulticlassProblem, Problem
from .reading import Shard, release_fitting
from .rowbins import RowBins
from .rowfolds import FileRows, file_folds
from .sampledselection import select_on_shared_sample
from .scalingfolds import fit_scaling_folds
from .settings import Settings
from .sharedfolds import SharedFoldFits
from .temperaturefolds import fit_temperature_folds


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """One binary task's calibrator (fitted or given), metrics, folds and auto record."""

    calibrator: Calibrator
    uncalibrated: JsonDict
    calibrated: JsonDict
    folds: list[JsonDict]
    selection: Optional[JsonDict]
    rows: JsonDict


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Everything a mode produces for the writing stage."""

    method: str
    calibrator: AnyCalibrator
    rows: JsonDict
    uncalibrated: JsonDict
    calibrated: JsonDict
    folds: object
    selection: object
    panels: list[Panel]
    gate_metric: str
    columns: Callable[[pd.DataFrame], dict[str, FloatArray]]
    score_columns: tuple[str, ...]


def _uncalibrated_metrics(scores: FloatArray, labels: IntArray, weights: Optional[FloatArray],
                          settings: Settings, class_bins: Optional[Sequence[RowBins]] = None
                          ) -> tuple[JsonDict, int]:
    """The metrics of the class scores as probabilities (softmax of margins, or probabilities
    renormalised), computed for the rows the metrics ask for (no n x classes matrix), and the
    rows whose probabilities sum to 0. ``class_bins``: each class's scores binned by fold for
    a one-vs-rest fit on many rows (``ovrbinned.ovr_class_bins``), which its per-class blocks
    take where every row's probabilities sum to 1 (within 1e-6: the renormalised ones would
    differ from them in the last digits only) instead of binning the classes again."""
    if settings.score_space == "logit":
        return multiclass_metrics_of(columns_of(lambda part: softmax(scores[part])), labels,
                                     weights, settings.categories, settings.bins), 0
    column, zero_rows, off, extremes = renormalised_columns(scores)
    if off:
        logger.warning("%d rows' class probabilities do not sum to 1 (tolerance 1e-6); the "
                       "uncalibrated figures use them renormalised", off)
    return multiclass_metrics_of(column, labels, weights, settings.categories, settings.bins,
                                 extremes, None if off or zero_rows else class_bins), zero_rows


def _choose_and_fit(problem: Problem[ModelT], settings: Settings, context: str,
                    shipped: Optional[Callable[[str], Optional[ModelT]]] = None,
                    chosen: Optional[JsonDict] = None
                    ) -> tuple[ModelT, Optional[JsonDict], str]:
    """The method chosen (``auto``: ``chosen`` when given, else selected here) or set, fitted
    on every row (by ``shipped(method)`` where it gives one), the selection record and the
    method."""
    selection: Optional[JsonDict] = None
    choice: JsonDict = {"selected": settings.method}
    if settings.method == "auto":  # a method, or binary auto's stacked mixture
        selection = choice = chosen if chosen is not None else \
            select_method(problem, settings, None, settings.seed, context)

    def fit(method: str) -> ModelT:
        given = None if shipped is None else shipped(method)
        return given if given is not None else problem.fit(method, None, f"{context}: full fit")

    model = fit_selection(choice, fit, problem.mixed)
    return model, selection, str(choice["selected"])


def run_task(data: InputData, settings: Settings, given: Optional[Calibrator],
             context: str) -> TaskResult:
    """Fit (with cross-fitted metrics) or apply ``given`` (metrics of its predictions)."""
    every_row = bool(data.keep.all())  # then no copies of the columns
    scores = data.scores if every_row else data.scores[data.keep]
    labels = data.labels == 1.0 if every_row else data.labels[data.keep] == 1.0
    weights = None if data.weights is None else \
        data.weights if every_row else data.weights[data.keep]
    n = int(scores.shape[0])
    fold = None if given is not None else file_folds(
        labels.view(np.int8), FileRows.of(data.shards, data.keep), settings.folds, settings.seed)
    if n >= limits.BINNED_MIN_ROWS:
        binned = run_task_binned(scores, labels, weights, settings, given, context, fold)
        if binned is not None:
            rows = data.rows_block()
            if given is None:
                rows["clipped_for_logit"] = binned.clipped_rows
            return TaskResult(binned.calibrator, binned.uncalibrated, binned.calibrated,
                              binned.folds, binned.selection, rows)
    problem = BinaryProblem(scores, labels, weights, settings)
    if settings.score_space == "probability":
        uncal_agg = problem.aggregated()  # shared with the class check and the full fit
    else:
        uncal_agg = aggregate(sigmoid(scores), labels, weights)
    uncal = binary_metrics(uncal_agg, settings.bins, rows=n)
    uncal["row_bins"] = None  # every distinct score (run_task_binned records its bins here)
    del uncal_agg
    rows = data.rows_block()
    selection: Optional[JsonDict] = None
    folds: list[JsonDict] = []
    if given is None:
        check_two_classes(problem.aggregated(), f"{context}: all kept rows")
        start = time.perf_counter()
        unique_scores = problem.aggregated().values.shape[0]
        calibrator, selection, method = _choose_and_fit(problem, settings, context)
        problem.forget_all_rows()
        clipped = int(json_number(calibrator.fit.get("clipped_rows", 0)))
        logger.info("%s: fitted %s on %d rows (%d unique scores, %d clipped to epsilon %g) in "
                    "%.3fs", context, method, n, unique_scores, clipped, calibrator.clip_epsilon,
                    time.perf_counter() - start)
        if selection is not None:
            calibrator = dataclasses.replace(calibrator, fit={**calibrator.fit,
                                                              "auto": auto_summary(selection)})
        assert fold is not None
        crossed = cross_fit(problem, settings, fold)
        predictions, folds = crossed.predictions, crossed.folds
        del crossed, fold
        rows["clipped_for_logit"] = clipped
    else:
        predictions = problem.predict(given)
        calibrator = given
    calibrated_agg = aggregate(predictions, labels, weights)
    del predictions, problem  # the metrics' own temporaries need the room at 1e7 rows
    calibrated = binary_metrics(calibrated_agg, settings.bins, rows=n)
    calibrated["row_bins"] = None
    return TaskResult(calibrator, uncal, calibrated, folds, selection, rows)


def _calibrated_column(calibrator: Calibrator, raw: FloatArray) -> FloatArray:
    valid = ~np.isnan(raw)
    if valid.all():
        return apply_calibrator(calibrator, raw)
    out = np.full(raw.shape[0], np.nan)
    out[valid] = apply_calibrator(calibrator, raw[valid])
    return out


def run_binary(shards: list[Shard], settings: Settings, given: Optional[AnyCalibrator]
               ) -> Outcome:
    """The binary mode: ``SCORE_FIELD`` against ``LABEL_FIELD``."""
    require_columns(shards, [settings.score_field, settings.label_field],
                    "set SCORE_FIELD / LABEL_FIELD to existing columns")
    data = task_data(shards, settings.score_field, settings.label_field,
                     parse_weights(shards, settings), settings, "binary task")
    release_fitting(shards)
    assert given is None or isinstance(given, Calibrator)  # check_given
    result = run_task(data, settings, given, "binary task")
    return binary_outcome(result, settings)


def binary_outcome(result: TaskResult, settings: Settings) -> Outcome:
    """The binary mode's :class:`Outcome` of its task's result."""
    cal = result.calibrator
    return Outcome(cal.method, cal, result.rows, result.uncalibrated, result.calibrated,
                   result.folds, result.selection,
                   metrics_panels("binary", result.uncalibrated, result.calibrated),
                   "calibrated.ece_equal_width", *calibrated_columns(cal, settings))


def calibrated_columns(calibrator: AnyCalibrator, settings: Settings
                       ) -> tuple[Callable[[pd.DataFrame], dict[str, FloatArray]],
                                  tuple[str, ...]]:
    """The function that computes a shard's calibrated columns under ``calibrator`` (the mode's
    score columns, each parsed; empty where a needed score is missing), and those score
    columns."""
    space = settings.score_space
    if isinstance(calibrator, Calibrator):
        field = settings.score_field

        def binary(frame: pd.DataFrame) -> dict[str, FloatArray]:
            raw = parse_scores(frame[field], field, space)
            return {CALIBRATED_COLUMN_PREFIX + field: _calibrated_column(calibrator, raw)}
        return binary, (field,)
    if calibrator.mode == "multitask":
        names = settings.score_fields
        members = calibrator.members

        def multitask(frame: pd.DataFrame) -> dict[str, FloatArray]:
            return {CALIBRATED_COLUMN_PREFIX + name: _calibrated_column(
                member, parse_scores(frame[name], name, space))
                for name, member in zip(names, members)}
        return multitask, tuple(names)
    fields = tuple(settings.score_field_prefix + c for c in settings.categories)

    def multiclass(frame: pd.DataFrame) -> dict[str, FloatArray]:
        out = apply_multiclass_columns(calibrator, [parse_scores(frame[f], f, space)
                                                    for f in fields])
        return {CALIBRATED_COLUMN_PREFIX + f: out[:, j] for j, f in enumerate(fields)}
    return multiclass, fields


def run_multitask(shards: list[Shard], settings: Settings, given: Optional[AnyCalibrator]
                  ) -> Outcome:
    """The multi-task mode: each task (``SCORE_FIELDS[i]`` against ``TASK_LABEL_NAMES[i]``) is a
    binary task on its own rows; the gate's figure is the worst task's."""
    tasks = load_tasks(shards, settings)
    release_fitting(shards)
    names = settings.score_fields
    members: list[Optional[Calibrator]] = [None] * len(names)
    if given is not None:
        assert isinstance(given, MultiCalibrator)  # check_given
        members = list(given.members)
    results = [run_task(data, settings, member, f"task {name!r}")
               for data, member, name in zip(tasks, members, names)]
    return multitask_outcome(results, tasks[0].rows_read, settings, given)


def multitask_outcome(results: list[TaskResult], rows_read: int, settings: Settings,
                      given: Optional[AnyCalibrator]) -> Outcome:
    """The multi-task mode's :class:`Outcome` of its tasks' results (``rows_read``: the rows
    read, every task's)."""
    names = settings.score_fields
    calibrator = given if given is not None else MultiCalibrator(
        mode="multitask", method=settings.method, score_space=settings.score_space,
        clip_epsilon=CLIP_EPSILON, names=names, score_fields=names,
        label_fields=settings.task_label_names, members=tuple(r.calibrator for r in results))
    assert isinstance(calibrator, MultiCalibrator)
    uncal = multitask_metrics({n: r.uncalibrated for n, r in zip(names, results)})
    cal = multitask_metrics({n: r.calibrated for n, r in zip(names, results)})
    selection = {n: r.selection for n, r in zip(names, results)} \
        if settings.method == "auto" and given is None else None
    rows = {"read": rows_read, "tasks": {n: r.rows for n, r in zip(names, results)}}
    return Outcome(settings.method if given is None else calibrator.method, calibrator, rows,
                   uncal, cal, {n: r.folds for n, r in zip(names, results)}, selection,
                   metrics_panels("multitask", uncal, cal),
                   "max over tasks of calibrated.tasks.<task>.ece_equal_width",
                   *calibrated_columns(calibrator, settings))


def run_multiclass(shards: list[Shard], settings: Settings, given: Optional[AnyCalibrator]
                   ) -> Outcome:
    """The multi-class mode: one-vs-rest or temperature on the class score columns; the gate's
    figure is the top-label ECE."""
    data = load_multiclass(shards, settings)
    release_fitting(shards)
    assert given is None or isinstance(given, MultiCalibrator)  # check_given
    scores = data.kept_scores()
    # class indices as one byte a row (up to 127 classes), as read
    kept_labels = data.labels if bool(data.keep.all()) else data.labels[data.keep]
    labels: IntArray = kept_labels.astype(kept_labels.dtype, copy=False)
    problem = MulticlassProblem(scores, labels, None if data.weights is None else
                                data.kept_weights(), settings)
    rows = data.rows_block()
    fold = None if given is not None else file_folds(
        labels, FileRows.of(data.shards, data.keep), settings.folds, settings.seed)
    del data  # its float labels and masks: the kept rows' are made
    weights = problem.given_weights  # the kept rows' weights (None: each row weighs 1)
    # a one-vs-rest fit's class bins, made once for its fits and the uncalibrated blocks
    binned = None if fold is None else ovr_class_bins(problem, settings, fold)
    uncal, zero_rows = _uncalibrated_metrics(scores, labels, weights, settings, binned)
    rows["uncalibrated_zero_sum_rows"] = zero_rows
    selection: Optional[JsonDict] = None
    folds: list[JsonDict] = []
    held_out: Optional[HeldOutChunks] = None  # the held-out predictions, chunk by chunk
    if fold is not None:
        # on many rows the held-out predictions take the place of the scores (no later use)
        chunked = fit_ovr_binned(problem, settings, fold, "multiclass", store=True,
                                 binned=binned)
        del binned
        if chunked is None:
            chunked = fit_temperature_folds(problem, settings, fold, store=True)
        if chunked is None:
            chunked = fit_scaling_folds(problem, settings, fold, store=True)
        if chunked is not None:
            calibrator, held_out = chunked
        else:
            start = time.perf_counter()
            # auto's selections on many rows: from one shared subsample
            sampled = select_on_shared_sample(problem, fold, settings.folds)
            # auto's vector and dirichlet fits on many rows: from shared passes
            shared = SharedFoldFits(problem, fold, settings.folds, settings.seed,
                                    None if sampled is None else sampled.unanimous()) \
                if settings.method == "auto" else None
            calibrator, selection, method = _choose_and_fit(
                problem, settings, "multiclass", None if shared is None else shared.shipped,
                None if sampled is None else sampled.shipped)
            logger.info("multiclass: fitted %s on %d rows, %d classes in %.3fs", method,
                        scores.shape[0], scores.shape[1], time.perf_counter() - start)
            if selection is not None:
                calibrator = dataclasses.replace(calibrator, fit={
                    **calibrator.fit, "auto": auto_summary(selection)})
            # every fold's choice the same shared vector or dirichlet fit: one chunked pass
            held_out = None if shared is None or sampled is None else \
                shared.cross_fit(sampled.folds)
            if held_out is None:
                crossed = cross_fit(problem, settings, fold,
                                    None if shared is None else shared.fold_model,
                                    None if sampled is None else sampled.fold_choice)
                predictions, folds = crossed.predictions, crossed.folds
                del crossed
            if shared is not None:  # its shipped fit settled by the held-out pass's sums
                calibrator = shared.settled(calibrator)
            del shared
        if held_out is not None:
            folds = held_out.folds
        del fold
    else:
        assert given is not None
        calibrator = given
        predictions = problem.predict(given)
    zero = held_out.zero_rows if held_out is not None else problem.zero_sum_rows(calibrator)
    if held_out is not None:  # stored over the score matrix, no predictions matrix of its own
        cal = multiclass_metrics_of(held_out.column(), labels, weights, settings.categories,
                                    settings.bins, held_out.extremes)
        del held_out, problem, scores
    else:
        del problem, scores  # the metrics' temporaries need the room
        cal = multiclass_metrics(predictions, labels, weights, settings.categories,
                                 settings.bins)
        del predictions
    rows["ovr_zero_sum_rows"] = zero
    if zero:
        logger.warning("%d rows' one-vs-rest outputs are all 0 under the %s calibrator; they "
                       "become uniform", zero, "given" if given is not None else "shipped")

    panels: list[Panel] = metrics_panels("multiclass", uncal, cal)
    return Outcome(calibrator.method, calibrator, rows, uncal, cal, folds, selection, panels,
                   "calibrated.ece_equal_width (top-label)",
                   *calibrated_columns(calibrator, settings))
