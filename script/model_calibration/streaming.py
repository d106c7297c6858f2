"""The streamed run of a binary or multi-task job with many rows: passes over the parquet, csv,
tsv or JSON-lines files in chunks, in memory bounded by the row bins and a chunk, whatever the
number of rows.

A binary or multi-task job (the whole run, ``--phase all``) whose input files are all parquet,
csv, tsv or JSON lines and hold at least ``STREAM_MIN_ROWS`` rows never holds its rows (a
csv/tsv file's rows are counted by the first pass, which parses every column; the passes parse
the fitting columns of csv/tsv and JSON-lines files chunk by chunk, :mod:`.textbatches`). Each task (the binary job's one, or each of a multi-task job's)
is read on its own columns (score, label, weight):

1. a first pass reads the task's columns in record batches of
   ``BIN_CHUNK_ROWS`` rows, parses them with the parsers of every run, and keeps only counts
   and extremes: the rows read, dropped and kept, each file's kept negatives and positives
   (all its fold deal needs: :func:`~.rowfolds.file_deal`), the smallest and largest kept
   score (the bins' grid, fixed before the second pass), the scores that set the probability
   clip (``adaptive_clip_epsilon``) and the largest weights (their power-of-two rescaling).
   An unweighted file whose footer records its score column's extremes, none missing and none
   0 or 1 (:mod:`.footers`), is counted from the footer and its label column alone;
2. a second pass bins the kept rows by fold on that grid (:class:`~.rowbins.RowBinner`), in
   the chunks the in-memory path cuts the same rows into (:func:`~.rowpasses.aligned_chunks`),
   so the bins, and the fits, cross-fits and metrics on them, are those of a run holding the
   rows (:func:`~.binned.evaluate_binned`);
3. platt and beta are polished on every row by one more pass per Newton step (the same
   exact fit); isotonic and venn_abers, which need the sorted rows, ship their fit on the
   bins (docs/performance.md gives the accuracy).

The calibrated files are then written one at a time, as in every run. A job with a task keeping
fewer than ``BINNED_MIN_ROWS`` rows, or whose margins spread too wide for the bins, is not
streamed (:func:`run_streamed` returns None after the first passes and the run reads its rows
as usual); nor is a csv/tsv or JSON-lines job whose first pass meets a chunk it cannot parse
as the whole-file read would, or an invalid value (the run holding the rows reports it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import limits
from ..errors import CalibrationScriptError, Code, bounded
from .artifact import AnyCalibrator, Calibrator, MultiCalibrator
from .binned import evaluate_binned
from .footers import score_range
from .columns import (label_values, parse_scores, parse_weights, require_columns,
                      sampling_weights, weight_scale)
from .jsonvalues import JsonDict
from .logs import logger
from .modes import Outcome, TaskResult, binary_outcome, multitask_outcome
from .numerics import BoolArray, FloatArray, adaptive_clip_epsilon
from .reading import Shard, decimal_columns, decimals_as_floats, release_arrow_memory
from .rowbins import BinGrid, RowBinner
from .rowfolds import file_deal
from .rowpasses import Chunk, aligned_chunks
from .settings import Settings
from .textbatches import (JSON_LINES_FORMATS, TEXT_FORMATS, date_like, json_lines_batches,
                          rows_at_most, text_batches)

@dataclasses.dataclass(frozen=True)
class StreamedTask:
    """One binary task of the job: its score and label columns, and its name in the logs."""

    score_field: str
    label_field: str
    context: str

    def fields(self, settings: Settings) -> list[str]:
        """The columns a pass over this task reads."""
        return list(dict.fromkeys([self.score_field, self.label_field,
                                   *([settings.weight_field] if settings.weight_field else [])]))


def job_tasks(settings: Settings) -> list[StreamedTask]:
    """The binary job's task, or the multi-task job's tasks.

    >>> [t.context for t in job_tasks(Settings())]
    ['binary task']
    """
    if settings.mode == "multitask":
        return [StreamedTask(score, label, f"task {score!r}")
                for score, label in zip(settings.score_fields, settings.task_label_names)]
    return [StreamedTask(settings.score_field, settings.label_field, "binary task")]


STREAMED_FORMATS = ("parquet", *TEXT_FORMATS, *JSON_LINES_FORMATS)
"""The formats a streamed run reads in passes (a ``.json`` file holding JSON lines or an array
of records)."""


def may_stream(files: Sequence[tuple[str, str, str]], settings: Settings) -> bool:
    """Whether a whole binary or multi-task run over ``files`` (``discover_files``' absolute
    path, relative name and format) may be streamed, before any file is read: every file
    parquet, csv, tsv or JSON (no fitting column a JSON file could
    hold dates in: :func:`~.textbatches.date_like`), and text files (when no parquet file is
    among them) with at least ``STREAM_MIN_ROWS`` lines (:func:`~.textbatches.rows_at_most`):
    fewer rows are read whole at once, with no pass to count them first.

    >>> may_stream([("/a.parquet", "a.parquet", "parquet")], Settings())
    True
    """
    if settings.mode not in ("binary", "multitask") or not files or \
            any(fmt not in STREAMED_FORMATS for _, _, fmt in files):
        return False
    if any(fmt in JSON_LINES_FORMATS for _, _, fmt in files) and \
            any(date_like(f) for task in job_tasks(settings) for f in task.fields(settings)):
        return False
    if any(fmt == "parquet" for _, _, fmt in files):
        return True
    return sum(rows_at_most(path) for path, _, _ in files) >= limits.STREAM_MIN_ROWS


def streams(shards: Sequence[Shard], settings: Settings, statistics: bool = False) -> bool:
    """Whether a whole binary or multi-task run over ``shards`` (read without their columns) is
    streamed: at least ``STREAM_MIN_ROWS`` rows in all (a csv/tsv file not counted yet: its
    lines), every file parquet, csv, tsv or JSON lines (or the shards of the ``statistics``
    files of a sharded run's fit phase).

    >>> streams([Shard("a.pq", "parquet", "/a.pq", ("s",), 10, 99)], Settings())
    False
    """
    return settings.mode in ("binary", "multitask") and bool(shards) and \
        (statistics or all(s.fmt in STREAMED_FORMATS for s in shards)) and \
        sum(s.rows if s.counted else rows_at_most(s.path) for s in shards) >= \
        limits.STREAM_MIN_ROWS


def shard_batches(shard: Shard, fields: Sequence[str], every_column: bool = False
                  ) -> Iterator[dict[str, pd.Series]]:
    """The shard's ``fields`` in record batches of at most ``BIN_CHUNK_ROWS`` rows (decimals as
    float64), as pandas columns: its file's rows from ``first_row`` on (only the row groups
    holding them are read); a read error is ``MC-E203``. A csv/tsv shard is read in chunks
    of as many rows (:func:`~.textbatches.text_batches`; ``every_column``: parsing its other
    columns too), a JSON-lines one in chunks of as many records
    (:func:`~.textbatches.json_lines_batches`)."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs

    if shard.fmt in TEXT_FORMATS:
        yield from text_batches(shard, fields, every_column)
        return
    if shard.fmt in JSON_LINES_FORMATS:
        yield from json_lines_batches(shard, fields)
        return
    try:
        parquet = pq.ParquetFile(shard.path, memory_map=True)
        decimals = decimal_columns(parquet.schema_arrow)
        start, stop = shard.first_row, shard.first_row + shard.rows
        groups: list[int] = []
        at = position = 0
        for i in range(parquet.metadata.num_row_groups):
            count = int(parquet.metadata.row_group(i).num_rows)
            if position + count > start and position < stop:
                at = position if not groups else at
                groups.append(i)
            position += count
        if not groups:
            return
        for batch in parquet.iter_batches(batch_size=limits.BIN_CHUNK_ROWS, row_groups=groups,
                                          columns=list(fields)):
            low, high = max(start - at, 0), min(stop - at, int(batch.num_rows))
            at += int(batch.num_rows)
            if high > low:
                frame = decimals_as_floats(batch.slice(low, high - low).to_pandas(), decimals)
                yield {name: frame[name] for name in fields}
    except (OSError, ValueError) as exc:
        raise CalibrationScriptError(
            Code.MC_E203_READ_FAILED,
            f"cannot read {shard.relative} as parquet: {type(exc).__name__}: {bounded(str(exc))}",
            "check the file's format and content (and that it did not change during the run)"
        ) from exc


@dataclasses.dataclass(frozen=True)
class _Parsed:
    """One batch parsed: scores, 0/1 labels (NaN where missing), raw weights and kept rows."""

    scores: FloatArray
    labels: FloatArray
    raw_weights: Optional[FloatArray]
    keep: BoolArray
    missing_score: int
    missing_label: int
    missing_weight: int


def _parse(shard: Shard, batch: dict[str, pd.Series], settings: Settings,
           task: StreamedTask) -> _Parsed:
    """A batch parsed for ``task`` and its rows kept as ``inputs.task_data`` keeps them."""
    scores = parse_scores(batch[task.score_field], task.score_field, settings.score_space)
    labels = np.asarray(label_values(batch[task.label_field], task.label_field),
                        dtype=np.float64)
    raw = parse_weights([dataclasses.replace(shard, fitting=batch)], settings)
    dropped = np.isnan(scores)
    missing_score = int(np.count_nonzero(dropped))
    dropped |= np.isnan(labels)
    missing_label = int(np.count_nonzero(dropped)) - missing_score
    keep = ~dropped
    missing_weight = 0
    if raw is not None:
        lost = np.isnan(raw) & keep
        missing_weight = int(np.count_nonzero(lost))
        keep &= ~lost
    return _Parsed(scores, labels, raw, keep, missing_score, missing_label, missing_weight)


@dataclasses.dataclass
class _FirstPass:
    """What the first pass keeps of the rows (see the module's docstring)."""

    read: int = 0
    missing_score: int = 0
    per_file: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    missing_label: int = 0
    missing_weight: int = 0
    saturated: Optional[float] = None
    positives: int = 0
    low: float = math.inf
    high: float = -math.inf
    nearest: Optional[float] = None
    nearest_edge: float = math.inf
    top_raw: float = 0.0
    top_kept: tuple[float, float] = (0.0, 0.0)  # the largest kept raw weight: negative, positive
    file_rows: list[int] = dataclasses.field(default_factory=list)
    """Each file's rows as this pass read them (a csv/tsv file not counted before: its rows)."""
    described: dict[int, tuple[float, float]] = dataclasses.field(default_factory=dict)
    """The files counted from their footer (``add_described``) and the score extremes it
    gives, which no pass has read yet: the second pass checks that no score is NaN and that
    the extremes are the scores' (a footer with wrong statistics is never trusted)."""

    @property
    def kept(self) -> int:
        return sum(n + p for n, p in self.per_file)

    def add(self, parsed: _Parsed) -> tuple[int, int]:
        """Count one batch; its kept negatives and positives."""
        self.read += parsed.scores.shape[0]
        self.missing_score += parsed.missing_score
        self.missing_label += parsed.missing_label
        self.missing_weight += parsed.missing_weight
        scores = parsed.scores[parsed.keep]
        positive = parsed.labels[parsed.keep] == 1.0
        positives = int(np.count_nonzero(positive))
        self.positives += positives
        if scores.shape[0]:
            low, high = float(scores.min()), float(scores.max())
            self.low, self.high = min(self.low, low), max(self.high, high)
            # strictly between 0 and 1, the nearest to either is the smallest or the largest
            self._clip_witnesses(np.array([low, high]) if 0.0 < low and high < 1.0 else scores)
        raw = parsed.raw_weights
        if raw is not None:
            finite = raw[np.isfinite(raw)]
            if finite.size:
                self.top_raw = max(self.top_raw, float(np.max(np.abs(finite))))
            kept = raw[parsed.keep]
            tops = [float(part.max()) if part.size else 0.0
                    for part in (kept[~positive], kept[positive])]
            self.top_kept = (max(self.top_kept[0], tops[0]), max(self.top_kept[1], tops[1]))
        return scores.shape[0] - positives, positives

    def add_described(self, rows: int, positives: int, low: float, high: float) -> None:
        """Count a file known from its footer (:func:`~.footers.score_range`: no missing or
        saturated score, ``low`` and ``high`` the extremes) and its labels (none missing,
        ``positives`` of them positive)."""
        self.read += rows
        self.positives += positives
        self.per_file.append((rows - positives, positives))
        self.low, self.high = min(self.low, low), max(self.high, high)
        self._clip_witnesses(np.array([low, high]))
        self.described[len(self.per_file) - 1] = (low, high)

    def _clip_witnesses(self, scores: FloatArray) -> None:
        """Keep a kept score at 0 or 1 and the one nearest to them: ``adaptive_clip_epsilon``
        of these two is that of every kept score."""
        edge = np.minimum(scores, 1.0 - scores)
        inside = edge > 0.0
        if self.saturated is None and not bool(inside.all()):
            self.saturated = float(scores[np.argmin(inside)])
        if inside.any():
            j = int(np.argmin(np.where(inside, edge, np.inf)))
            if float(edge[j]) < self.nearest_edge:
                self.nearest_edge, self.nearest = float(edge[j]), float(scores[j])

    def clip_epsilon(self) -> float:
        """``adaptive_clip_epsilon`` of every kept score."""
        return adaptive_clip_epsilon(np.array(
            [v for v in (self.saturated, self.nearest) if v is not None]))


def _described_file(shard: Shard, settings: Settings, task: StreamedTask
                    ) -> Optional[tuple[int, float, float]]:
    """The positives and the score extremes of a whole file whose footer describes its score
    column (:func:`~.footers.score_range`) and whose labels (read alone) are none missing; None
    for a file the first pass reads (weights, part of a file, a csv/tsv file, a footer without
    statistics, a missing or saturated score, a missing label)."""
    if settings.weight_field or shard.first_row != 0 or shard.fmt != "parquet":
        return None
    try:
        extremes = score_range(shard.path, task.score_field, settings.score_space, shard.rows)
    except (OSError, ValueError):
        return None  # the first pass reads the file and reports its error
    if extremes is None:
        return None
    positives = 0
    for batch in shard_batches(shard, [task.label_field]):
        labels = np.asarray(label_values(batch[task.label_field], task.label_field))
        if labels.dtype.kind == "f" and bool(np.isnan(labels).any()):
            return None
        positives += int(np.count_nonzero(labels == 1))
    return positives, extremes[0], extremes[1]


def _first_pass(shards: Sequence[Shard], settings: Settings, task: StreamedTask,
                footers: bool) -> _FirstPass:
    """The first pass over a task's columns (the module's docstring); with ``footers``, a file
    whose footer describes its scores is counted from it and its labels. A csv/tsv file not
    counted yet (``Shard.counted``) is parsed with every column (as the whole-file read checks
    each row's field count) and its rows counted."""
    counts = _FirstPass()
    for shard in shards:
        described = _described_file(shard, settings, task) if footers else None
        if described is not None:
            counts.add_described(shard.rows, *described)
            counts.file_rows.append(shard.rows)
            continue
        negatives = positives = 0
        read = counts.read
        for batch in shard_batches(shard, task.fields(settings), every_column=not shard.counted):
            n, p = counts.add(_parse(shard, batch, settings, task))
            negatives += n
            positives += p
        counts.per_file.append((negatives, positives))
        counts.file_rows.append(counts.read - read)
    release_arrow_memory()
    return counts


@dataclasses.dataclass(frozen=True)
class _Weighting:
    """How a batch's raw weights become the kept rows' effective weights (as ``task_data``
    makes them: the negative-sampling correction, then the power-of-two rescaling)."""

    rate: float
    top_raw: float
    scale: float

    @classmethod
    def of(cls, counts: _FirstPass, settings: Settings) -> Optional[_Weighting]:
        """None when every row weighs 1."""
        rate = settings.negative_sampling_rate
        weighted = bool(settings.weight_field)
        if not weighted and rate >= 1.0:
            return None
        top_negative, top_positive = counts.top_kept if weighted else (1.0, 1.0)
        if rate < 1.0:
            factor = 1.0 / rate
            if weighted and counts.top_raw * factor > np.finfo(np.float64).max:
                shift = math.ldexp(1.0, -math.frexp(counts.top_raw)[1])
                top_negative, top_positive = top_negative * shift, top_positive * shift
            top_negative *= factor
        negatives = sum(n for n, _ in counts.per_file)
        positives = sum(p for _, p in counts.per_file)
        top = max(top_negative if negatives else 0.0, top_positive if positives else 0.0)
        scale = weight_scale(top)
        if scale != 1.0:
            logger.warning("the largest weight is %g: every weight is divided by %g (exact; the "
                           "calibration does not depend on the weights' unit)", top, scale)
        return cls(rate, counts.top_raw, scale)

    def effective(self, parsed: _Parsed) -> FloatArray:
        weights = parsed.raw_weights
        if self.rate < 1.0:
            weights = sampling_weights(weights, parsed.labels == 0.0, self.rate,
                                       top=self.top_raw)
        assert weights is not None  # a weight column, or the sampling correction
        if self.scale == 1.0:
            return weights
        with np.errstate(over="ignore"):  # a dropped row's weight may overflow: never used
            out: FloatArray = weights / self.scale
        return out


class _FooterMismatch(Exception):
    """A file counted from its footer holds a NaN score (statistics do not count NaN), or
    scores whose extremes are not the footer's: the run starts again with first passes reading
    every file."""


Piece = tuple[FloatArray, BoolArray, Optional[FloatArray], Optional[npt.NDArray[np.int8]]]


@dataclasses.dataclass(frozen=True)
class StreamedRows:
    """Passes over the kept rows of the files (:class:`~.rowpasses.RowPasses`), each one a
    read of their fitting columns."""

    shards: tuple[Shard, ...]
    settings: Settings
    task: StreamedTask
    counts: _FirstPass
    weighting: Optional[_Weighting]

    @property
    def rows(self) -> int:
        return self.counts.kept

    @property
    def weighted(self) -> bool:
        return self.weighting is not None

    def pieces(self, folds: Optional[int]) -> Iterator[Piece]:
        """The kept rows batch by batch, with each row's fold when ``folds`` is given."""
        fields = self.task.fields(self.settings)
        for i, (shard, (negatives, positives)) in enumerate(zip(self.shards,
                                                                self.counts.per_file)):
            deal = None if folds is None else file_deal(negatives, positives, shard.relative,
                                                        folds, self.settings.seed)
            dealt = [0, 0]
            footer = self.counts.described.get(i)
            extremes = (math.inf, -math.inf)
            for batch in shard_batches(shard, fields):
                parsed = _parse(shard, batch, self.settings, self.task)
                if footer is not None:
                    if parsed.missing_score:
                        raise _FooterMismatch(f"{shard.relative} holds a NaN score")
                    if parsed.scores.shape[0]:
                        extremes = (min(extremes[0], float(parsed.scores.min())),
                                    max(extremes[1], float(parsed.scores.max())))
                keep = parsed.keep
                weights = None if self.weighting is None else \
                    self.weighting.effective(parsed)[keep]
                positive = parsed.labels[keep] == 1.0
                groups = None
                if deal is not None:
                    groups = np.empty(positive.shape[0], dtype=np.int8)
                    for cls, mask in ((0, ~positive), (1, positive)):
                        rows = np.flatnonzero(mask)  # faster than a boolean index here
                        count = rows.shape[0]
                        groups[rows] = deal[cls][dealt[cls]:dealt[cls] + count]
                        dealt[cls] += count
                yield parsed.scores[keep], positive, weights, groups
            if footer is not None and extremes != footer:
                raise _FooterMismatch(f"the scores of {shard.relative} span {extremes}, its "
                                      f"footer says {footer}")
        release_arrow_memory()

    def chunks(self) -> Iterator[Chunk]:
        for scores, positive, weights in aligned_chunks(
                (s, y, w) for s, y, w, _ in self.pieces(None)):
            assert scores is not None and positive is not None
            yield scores, positive, weights

    def arrays(self) -> Optional[Chunk]:
        return None


def _rows_block(counts: _FirstPass, weight_sums: Optional[tuple[float, float]]) -> JsonDict:
    """``metrics.rows`` (as ``InputData.rows_block``)."""
    dropped: JsonDict = {"missing_score": counts.missing_score,
                         "missing_label": counts.missing_label}
    block: JsonDict = {"read": counts.read, "used": counts.kept, "positives": counts.positives,
                       "dropped": dropped}
    if weight_sums is not None:
        dropped["missing_weight"] = counts.missing_weight
        block["weight_sum"], block["positive_weight_sum"] = weight_sums
    return block


def _grid(counts: _FirstPass, settings: Settings) -> Optional[BinGrid]:
    """The bins' grid of a task (None: the task is not streamed: too few kept rows, margins too
    wide for the bins, or weights summing to 0)."""
    if counts.kept < limits.BINNED_MIN_ROWS or \
            settings.weight_field and max(counts.top_kept) == 0.0:
        return None
    return BinGrid.spanning(counts.low, counts.high, settings.score_space)


def _stream_task(rows: StreamedRows, grid: BinGrid, given: Optional[Calibrator]) -> TaskResult:
    """A task's second pass (its bins by fold on ``grid``) and its fits and metrics on them."""
    settings, counts, context = rows.settings, rows.counts, rows.task.context
    logger.info("%s: %d rows; dropped %d with missing score, %d with missing label, %d with "
                "missing weight; %d rows kept (streamed)", context, counts.read,
                counts.missing_score, counts.missing_label, counts.missing_weight, counts.kept)
    folds = None if given is not None else settings.folds
    binner = RowBinner(grid, 1 if folds is None else folds, rows.weighted)
    sums = [0.0, 0.0]
    for scores, positive, weights, groups in aligned_chunks(rows.pieces(folds)):
        assert scores is not None and positive is not None
        binner.add(scores, positive, weights, groups)
        if weights is not None:
            sums[0] += float(weights.sum())
            sums[1] += float(weights[positive].sum())
    eps = counts.clip_epsilon() if settings.score_space == "probability" and given is None \
        else None
    result = evaluate_binned(binner.result(), rows, settings, given, context, eps)
    block = _rows_block(counts, (sums[0], sums[1]) if rows.weighted else None)
    if given is None:
        block["clipped_for_logit"] = result.clipped_rows
    return TaskResult(result.calibrator, result.uncalibrated, result.calibrated, result.folds,
                      result.selection, block)


def run_streamed(shards: Sequence[Shard], settings: Settings, given: Optional[AnyCalibrator]
                 ) -> Optional[tuple[list[Shard], Outcome]]:
    """The binary or multi-task mode on ``shards`` (read without their columns) in passes over
    the files (the module's docstring): the shards, every one counted (``Shard.counted``),
    and the outcome; None when the job is not streamed after the first passes (a task with
    fewer than ``BINNED_MIN_ROWS`` kept rows, margins too wide for the bins, or weights summing
    to 0; a text file the passes cannot parse as the whole-file read would): the caller then
    reads the rows.

    The first passes take what the files' footers say of their scores
    (:func:`~.footers.score_range`); should one of those files hold a NaN score after all (or
    scores the footer misstates), the run starts again with first passes that read every
    score (the same result).
    """
    try:
        return _run_streamed(shards, settings, given, footers=True)
    except _FooterMismatch as exc:
        logger.info("%s (the footer's statistics do not count NaN): the first passes start "
                    "again, reading every file", exc.args[0])
        return _run_streamed(shards, settings, given, footers=False)


def _run_streamed(shards: Sequence[Shard], settings: Settings, given: Optional[AnyCalibrator],
                  footers: bool) -> Optional[tuple[list[Shard], Outcome]]:
    tasks = job_tasks(settings)
    require_columns(shards, [t.score_field for t in tasks] + [t.label_field for t in tasks],
                    "set SCORE_FIELDS / TASK_LABEL_NAMES to existing columns"
                    if settings.mode == "multitask" else
                    "set SCORE_FIELD / LABEL_FIELD to existing columns")
    if settings.weight_field:
        require_columns(shards, [settings.weight_field],
                        "set WEIGHT_FIELD to an existing column, or leave it empty")
    members: list[Optional[Calibrator]] = [None] * len(tasks)
    if isinstance(given, MultiCalibrator):  # check_given: the mode's kind of calibrator
        members = list(given.members)
    elif isinstance(given, Calibrator):
        members = [given]
    try:
        counts = [_first_pass(shards, settings, tasks[0], footers)]
        shards = [s if s.counted else dataclasses.replace(s, rows=rows, counted=True)
                  for s, rows in zip(shards, counts[0].file_rows)]
        counts += [_first_pass(shards, settings, task, footers) for task in tasks[1:]]
    except CalibrationScriptError as exc:
        if not any(shard.fmt in TEXT_FORMATS + JSON_LINES_FORMATS for shard in shards):
            raise
        # a chunk's text column, or a value error naming one chunk's values: the whole-file
        # read parses the column over every row, as it always did, and reports any error
        logger.info("%s; not streamed: the rows are read", exc)
        return None
    grids = [_grid(c, settings) for c in counts]
    for task, c, grid in zip(tasks, counts, grids):
        if grid is None:
            logger.info("%s: %d kept rows, not streamed: the rows are read", task.context,
                        c.kept)
            return None
    results = []
    for task, c, grid, member in zip(tasks, counts, grids, members):
        assert grid is not None
        rows = StreamedRows(tuple(shards), settings, task, c, _Weighting.of(c, settings))
        results.append(_stream_task(rows, grid, member))
    if settings.mode == "multitask":
        return list(shards), multitask_outcome(results, counts[0].read, settings, given)
    return list(shards), binary_outcome(results[0], settings)
