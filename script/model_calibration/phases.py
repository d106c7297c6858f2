"""The map phases of a run sharded over instances: ``statistics`` and ``apply``, each on the
shards of one instance.

``statistics`` writes the parsed fitting columns of the instance's shards
(:mod:`.statistics`; batch by batch where a single-instance run would stream the files) into
``calibration_output``; ``apply`` writes the instance's shards
calibrated by the calibrator on ``calibration_model`` (the fit phase's ``calibration_output``)
into ``calibrated_data``. Each also writes ``<phase>-<hash of its shards>.json`` into
``metrics_output`` (its files, rows and seconds), last, as its completion marker; the hash keeps
the instances of one step from writing the same name. An instance given no data file (more
instances than files) writes only that record. Outputs are staged and published at once, as a
whole run's are.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Optional

from ..errors import CalibrationScriptError, Code
from ..interface import ModelCalibrationInput, ModelCalibrationOutput
from .artifact import AnyCalibrator
from .columns import require_columns
from .inputs import fitting_fields
from .jsonvalues import JsonDict
from .logs import logger
from .modes import calibrated_columns
from .reading import (Shard, discover_files, read_files, release_arrow_memory, release_fitting,
                      walk_files)
from .settings import Settings
from .staging import Staging
from .statistics import input_digest, statistics_name, statistics_table, write_streamed
from .streaming import may_stream
from .writing import write_calibrated_shard, write_failed, write_json


def _has_data(path: str) -> bool:
    return os.path.isfile(path) or (os.path.isdir(path) and bool(walk_files(path)))


def _write_statistics(staging: Staging, files: list[tuple[str, str, str]], settings: Settings,
                      scratch: str) -> list[Shard]:
    """The statistics file of the instance's ``files`` (batch by batch where a single-instance
    run would stream them, else from their parsed columns); the shards."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs

    if may_stream(files, settings):
        streamed = None
        try:
            shards = read_files(files, [])
            target = staging.path(ModelCalibrationOutput.CALIBRATION_OUTPUT.value,
                                  statistics_name(shards))
            try:
                streamed = write_streamed(shards, settings, target, scratch)
            except OSError as exc:
                raise write_failed(target, exc) from exc
        except CalibrationScriptError as exc:
            if exc.code == Code.MC_E502_WRITE_FAILED:
                raise
            logger.info("%s; the files are read whole", exc)
        if streamed is not None:
            return streamed
    shards = read_files(files, fitting_fields(settings))
    if not shards:
        return shards
    name, table = statistics_table(shards, settings)
    target = staging.path(ModelCalibrationOutput.CALIBRATION_OUTPUT.value, name)
    try:
        pq.write_table(table, target)
    except OSError as exc:
        raise write_failed(target, exc) from exc
    return shards


def _write_calibrated(staging: Staging, shards: list[Shard], settings: Settings,
                      calibrator: AnyCalibrator) -> int:
    columns, score_columns = calibrated_columns(calibrator, settings)
    if shards:
        require_columns(shards, list(score_columns), "calibrate files holding the score columns "
                                                     "the calibrator was fitted on")
    written = 0
    for shard in shards:
        target = staging.path(ModelCalibrationOutput.CALIBRATED_DATA.value, shard.relative)
        written += write_calibrated_shard(shard, target, columns, score_columns)
    release_arrow_memory()
    return written


def run_map_phase(phase: str, input_paths: Mapping[str, str], outputs: Mapping[str, str],
                  settings: Settings, calibrator: Optional[AnyCalibrator],
                  verify_claim: Callable[[], None]) -> JsonDict:
    """Run the ``statistics`` or ``apply`` phase (``calibrator``: the one to apply) on the shards
    under ``evaluation_data``, with the outputs locked by the caller (``verify_claim``: the
    lock's check before publishing); returns the phase's record."""
    started = time.perf_counter()
    path = input_paths[ModelCalibrationInput.EVALUATION_DATA.value]
    staging = Staging(outputs)
    staging.prepare()
    published = False
    try:
        with tempfile.TemporaryDirectory(prefix="calibration-") as scratch:
            files = discover_files(path, scratch) if _has_data(path) else []
            if phase == "statistics":
                staging.open()
                shards = _write_statistics(staging, files, settings, scratch) if files else []
                rows = sum(s.rows for s in shards)
            else:
                # apply re-reads each file whole when it writes it: no column is kept before
                shards = read_files(files, [])
                staging.open()
                assert calibrator is not None  # main loads it for the apply phase
                release_fitting(shards)
                rows = _write_calibrated(staging, shards, settings, calibrator)
            record: JsonDict = {"phase": phase, "files": [s.relative for s in shards],
                                "rows": rows, "seconds": round(time.perf_counter() - started, 6)}
            name = f"{phase}-{input_digest(shards)}.json"
            write_json(staging.path(ModelCalibrationOutput.METRICS_OUTPUT.value, name), record)
            verify_claim()
            published = True
            try:
                staging.publish(last=(ModelCalibrationOutput.METRICS_OUTPUT.value, name))
            except OSError as exc:
                raise write_failed(exc.filename or name, exc) from exc
    except BaseException:
        staging.cleanup()
        if published:
            staging.remove_published()
        raise
    logger.info("%s phase: %d files, %d rows in %.3fs", phase, len(shards), rows,
                time.perf_counter() - started)
    return record
