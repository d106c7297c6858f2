"""The kept rows of each mode, read from the shards: one binary task (:class:`InputData`) per
task, or the multi-class rows (:class:`MulticlassData`).

A row missing a needed score, label or weight is dropped and counted (per task for
multi-task). The effective row weights are ``WEIGHT_FIELD`` times ``1 / NEGATIVE_SAMPLING_RATE``
for each kept negative (so the calibrator and the metrics target the population's positive
rate), rescaled by a power of two when the largest is outside ``WEIGHT_SAFE_RANGE``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Optional, Union

import numpy as np

from .columns import (class_index_dtype, label_values, parse_class_labels, parse_scores,
                      parse_weights, require_columns, rescale_weights, sampling_weights)
from ..errors import CalibrationScriptError, Code, WarningEntry, warning_entry
from .jsonvalues import JsonDict, json_get
from .logs import logger
from .numerics import BoolArray, FloatArray, LabelArray
from .reading import Shard, read_shards, release_arrow_memory
from .settings import Settings


@dataclasses.dataclass(frozen=True)
class KeptRows:
    """Every row read, the scores and labels parsed; ``keep`` marks the rows used, the others
    were dropped for a missing score, label or weight (counted).

    ``weights`` are the effective row weights (WEIGHT_FIELD times the negative-sampling
    correction; NaN where the weight is missing), or None when every row weighs 1.
    """

    shards: list[Shard]
    scores: FloatArray
    labels: Union[FloatArray, LabelArray]
    keep: BoolArray
    rows_read: int
    dropped_missing_score: int
    dropped_missing_label: int
    weights: Optional[FloatArray] = None
    dropped_missing_weight: int = 0

    def kept_weights(self) -> FloatArray:
        """The kept rows' weights (ones without weights)."""
        if self.weights is None:
            return np.ones(int(self.keep.sum()))
        out: FloatArray = self.weights[self.keep]
        return out


@dataclasses.dataclass(frozen=True)
class InputData(KeptRows):
    """One binary task over every row read: 0/1 labels (NaN where missing) of ``label_field``
    against the scores of ``score_field``."""

    score_field: str = ""
    label_field: str = ""

    def rows_block(self) -> JsonDict:
        block: JsonDict = {
            "read": self.rows_read, "used": int(np.count_nonzero(self.keep)),
            "positives": int(np.count_nonzero((self.labels == 1.0) & self.keep)),
            "dropped": {"missing_score": self.dropped_missing_score,
                        "missing_label": self.dropped_missing_label}}
        if self.weights is not None:
            w = self.kept_weights()
            block["dropped"] = {**json_get(block, "dropped"),
                                "missing_weight": self.dropped_missing_weight}
            block["weight_sum"] = float(w.sum())
            block["positive_weight_sum"] = float(np.dot(w, self.labels[self.keep]))
        return block


def task_data(shards: list[Shard], score_field: str, label_field: str,
              raw_weights: Optional[FloatArray], settings: Settings, task: str) -> InputData:
    """One binary task's scores, labels and effective weights; rows missing any are dropped."""
    scores = np.concatenate([parse_scores(s.fitting[score_field], score_field,
                                          settings.score_space) for s in shards])
    labels = np.concatenate([label_values(s.fitting[label_field], label_field)
                             for s in shards], dtype=np.float64)
    keep = np.isnan(scores)  # missing score, then missing either, then kept
    dropped_score = int(np.count_nonzero(keep))
    keep |= np.isnan(labels)
    dropped_label = int(np.count_nonzero(keep)) - dropped_score
    np.logical_not(keep, out=keep)
    weights = raw_weights
    missing_weight = 0
    if settings.negative_sampling_rate < 1.0:
        weights = sampling_weights(weights, labels == 0.0, settings.negative_sampling_rate)
    if weights is not None:
        lost = np.isnan(weights) & keep
        missing_weight = int(lost.sum())
        keep &= ~lost
        weights = rescale_weights(weights, keep)
    data = InputData(shards, scores, labels, keep, int(scores.shape[0]), dropped_score,
                     dropped_label, weights, missing_weight, score_field, label_field)
    logger.info("%s: %d rows; dropped %d with missing score, %d with missing label, %d with "
                "missing weight; %d rows kept", task, data.rows_read, data.dropped_missing_score,
                data.dropped_missing_label, missing_weight, int(np.count_nonzero(keep)))
    if not keep.any():
        raise CalibrationScriptError(
            Code.MC_E210_NO_ROWS, f"{task}: no row has both a score and a label",
            "check SCORE_FIELD / LABEL_FIELD and missing values")
    if weights is not None and not float(data.kept_weights().sum()) > 0.0:
        raise CalibrationScriptError(Code.MC_E210_NO_ROWS, f"{task}: the kept rows weigh 0 in total",
                                     "check WEIGHT_FIELD")
    return data


MISSING_TEXTS = "an empty cell, or a text the readers take as missing such as n/a, NA, null, nan"
"""What a missing value is (pandas' csv readers turn these texts into missing values)."""


def dropped_rows_warnings(rows: Mapping[str, object]) -> list[WarningEntry]:
    """One ``MC-W202-ROWS-DROPPED`` entry per task (the binary task, the multi-class rows or each
    task of a multi-task job, from ``metrics.rows``) that dropped rows.

    >>> dropped_rows_warnings({"read": 9, "dropped": {"missing_score": 0, "missing_label": 3}})[0]["message"]
    '3 of 9 rows dropped (missing_score 0, missing_label 3); missing means an empty cell, or a text the readers take as missing such as n/a, NA, null, nan'
    """
    tasks = rows.get("tasks")
    blocks = ({f"task {name!r}: ": block for name, block in tasks.items()}
              if isinstance(tasks, dict) else {"": rows})
    found: list[WarningEntry] = []
    for where, block in blocks.items():
        dropped = block.get("dropped") if isinstance(block, dict) else None
        if not isinstance(dropped, dict):
            continue
        total = sum(int(count) for count in dropped.values())
        if total:
            counts = ", ".join(f"{reason} {count}" for reason, count in dropped.items())
            found.append(warning_entry(
                Code.MC_W202_ROWS_DROPPED,
                f"{where}{total} of {block.get('read')} rows dropped ({counts}); missing means "
                f"{MISSING_TEXTS}"))
    return found


def fitting_fields(settings: Settings) -> list[str]:
    """The columns the mode fits on (scores, labels and the weight column); only these are read
    before fitting.

    >>> fitting_fields(Settings(weight_field="w"))
    ['prob_class_1', 'label', 'w']
    """
    if settings.mode == "multitask":
        fields = list(settings.score_fields) + list(settings.task_label_names)
    elif settings.mode == "multiclass":
        fields = [settings.score_field_prefix + c for c in settings.categories]
        fields.append(settings.label_field)
    else:
        fields = [settings.score_field, settings.label_field]
    if settings.weight_field:
        fields.append(settings.weight_field)
    return list(dict.fromkeys(fields))


def load_input(path: str, settings: Settings, scratch: str) -> InputData:
    """Read every shard and the binary task of SCORE_FIELD / LABEL_FIELD."""
    shards = read_shards(path, scratch, fitting_fields(settings))
    require_columns(shards, [settings.score_field, settings.label_field],
                    "set SCORE_FIELD / LABEL_FIELD to existing columns")
    logger.info("read %d files", len(shards))
    return task_data(shards, settings.score_field, settings.label_field,
                     parse_weights(shards, settings), settings, "binary task")


def load_tasks(shards: list[Shard], settings: Settings) -> list[InputData]:
    """The multi-task tasks (SCORE_FIELDS / TASK_LABEL_NAMES), each keeping its own rows."""
    require_columns(shards, list(settings.score_fields) + list(settings.task_label_names),
                    "set SCORE_FIELDS / TASK_LABEL_NAMES to existing columns")
    weights = parse_weights(shards, settings)
    return [task_data(shards, score, label, weights, settings, f"task {score!r}")
            for score, label in zip(settings.score_fields, settings.task_label_names)]


@dataclasses.dataclass(frozen=True)
class MulticlassData(KeptRows):
    """Multi-class rows: an ``(n, classes)`` column-major score matrix and class indices
    (``columns.class_index_dtype``; ``columns.MISSING_CLASS`` where missing)."""

    def kept_scores(self) -> FloatArray:
        """The kept rows' score matrix, column-major (the matrix itself when every row is
        kept)."""
        if bool(self.keep.all()):
            return self.scores
        out: FloatArray = np.empty((int(np.count_nonzero(self.keep)), self.scores.shape[1]),
                                   order="F")
        for j in range(self.scores.shape[1]):
            np.compress(self.keep, self.scores[:, j], out=out[:, j])
        return out

    def rows_block(self) -> JsonDict:
        block: JsonDict = {"read": self.rows_read, "used": int(self.keep.sum()),
                           "dropped": {"missing_score": self.dropped_missing_score,
                                       "missing_label": self.dropped_missing_label}}
        if self.weights is not None:
            block["dropped"] = {**json_get(block, "dropped"),
                                "missing_weight": self.dropped_missing_weight}
            block["weight_sum"] = float(self.kept_weights().sum())
        return block


def load_multiclass(shards: list[Shard], settings: Settings) -> MulticlassData:
    """Class score columns ``SCORE_FIELD_PREFIX + category`` and the label column."""
    fields = [settings.score_field_prefix + c for c in settings.categories]
    require_columns(shards, fields + [settings.label_field],
                    "set SCORE_FIELD_PREFIX / MULTICLASS_CATEGORIES (or NUM_CLASSES) / "
                    "LABEL_FIELD to existing columns")
    n = sum(len(s.fitting[fields[0]]) for s in shards)
    scores = np.empty((n, len(fields)), order="F")  # column-major: each class contiguous
    labels: LabelArray = np.empty(n, dtype=class_index_dtype(len(settings.categories)))
    # shard by shard, each shard's parsed columns dropped at once (not the weights) and their
    # memory handed back by Arrow's pool (which allocated the frames), so the matrix fills
    # pages just freed and the peak holds one shard's frame beside the matrix
    parsed = set(fields + [settings.label_field]) - {settings.weight_field}
    start = 0
    for shard in shards:
        rows = slice(start, start + len(shard.fitting[fields[0]]))
        for j, f in enumerate(fields):
            scores[rows, j] = parse_scores(shard.fitting[f], f, settings.score_space)
        labels[rows] = parse_class_labels(shard.fitting[settings.label_field],
                                          settings.label_field, settings.categories)
        for f in parsed:
            del shard.fitting[f]
        release_arrow_memory()
        start = rows.stop
    missing_score = np.isnan(scores[:, 0])
    for j in range(1, scores.shape[1]):  # column by column: no n x classes temporary
        missing_score |= np.isnan(scores[:, j])
    keep = labels >= 0
    missing_label = ~keep & ~missing_score
    keep &= ~missing_score
    weights = parse_weights(shards, settings)
    missing_weight = 0
    if weights is not None:
        lost = np.isnan(weights) & keep
        missing_weight = int(lost.sum())
        keep &= ~lost
        weights = rescale_weights(weights, keep)
    data = MulticlassData(shards, scores, labels, keep, int(labels.shape[0]),
                          int(np.count_nonzero(missing_score)),
                          int(np.count_nonzero(missing_label)), weights,
                          missing_weight)
    logger.info("read %d files, %d rows, %d classes; dropped %d with a missing class score, %d "
                "with missing label, %d with missing weight; %d rows kept", len(shards),
                data.rows_read, len(fields), data.dropped_missing_score,
                data.dropped_missing_label, missing_weight, int(keep.sum()))
    # (unweighted rows with one kept have a positive weight sum: no array of ones for it)
    if not keep.any() or (weights is not None and not float(data.kept_weights().sum()) > 0.0):
        raise CalibrationScriptError(
            Code.MC_E210_NO_ROWS, "no row has every class score, a label and a weight",
            "check the score columns, LABEL_FIELD and missing values")
    return data
