"""``main``: one processing job, from its paths, environment and job type to published outputs.

``training`` and ``calibration`` jobs fit a calibrator and evaluate it by cross-fitting (a
training job warns that its scores are in-sample); ``validation`` and ``testing`` jobs apply the
calibrator given on ``calibration_model`` (checksum verified; it must match the job's mode,
columns and score space, ``MC-E405``) and copy it unchanged to ``calibration_output``. The
outputs: ``calibration_output/calibrator.json``, ``metrics_output/metrics.json``,
``reliability_diagram.png``, ``report.html`` and ``summary.json`` (written last, the completion marker), and
``calibrated_data/<relative shard path>``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np
import pandas as pd

from .artifact import SCRIPT_VERSION, AnyCalibrator, Calibrator
from ..errors import CalibrationScriptError, Code, WarningEntry, warning_entry
from .fitchecks import fit_warnings
from .inputs import dropped_rows_warnings, fitting_fields
from .locking import OutputLock
from .jsonvalues import JsonDict, json_number
from .logs import logger
from .given import load_given
from .metricblocks import uninformative_gate_warnings
from .modes import Outcome, run_binary, run_multiclass, run_multitask
from .outputpaths import check_output_paths
from ..interface import (APPLY_JOB_TYPES, CALIBRATOR_FILE, DEFAULT_JOB_TYPE, DEFAULT_PHASE,
                         JOB_TYPE_ARGUMENT, JOB_TYPE_CHOICES, METRICS_FILE, PHASE_ARGUMENT,
                         PHASE_CHOICES, RELIABILITY_DIAGRAM_FILE, REPORT_FILE, SUMMARY_FILE,
                         ModelCalibrationInput, ModelCalibrationOutput)
from .phases import run_map_phase
from .plotting import plot_reliability, preload_plotting
from .reading import Shard, discover_files, read_files, release_arrow_memory
from .report import render_report
from .settings import Settings, misspelt_env_warnings, read_settings
from .staging import Staging, stage_reached
from .statistics import load_statistics
from .streaming import may_stream, run_streamed, streams
from .writing import write_calibrated_shard, write_failed, write_json

METRICS_SCHEMA_VERSION = 2
"""Of ``metrics.json`` and ``summary.json``; 2: ``warnings`` are ``{"code", "message"}`` entries, in both."""


def _fingerprint(shards: Sequence[Shard]) -> JsonDict:
    digest = hashlib.sha256()
    for shard in shards:
        digest.update(f"{shard.relative}\0{shard.size}\n".encode("utf-8"))
    return {"algorithm": "sha256", "of": "relative file names and sizes",
            "files": len(shards), "digest": digest.hexdigest()}


def _required(paths: Mapping[str, str], names: Sequence[str], kind: str) -> dict[str, str]:
    missing = [name for name in names if not paths.get(name)]
    if missing:
        raise CalibrationScriptError(
            Code.MC_E103_MISSING_PATH, f"missing {kind} path(s): {', '.join(missing)}",
            f"pass --{missing[0]} DIR")
    return {name: paths[name] for name in names}


def _producer() -> JsonDict:
    return {"script": "model_calibration.py", "version": SCRIPT_VERSION,
            "python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__}


def _public_params(content: Mapping[str, object]) -> JsonDict:
    params = content.get("params")
    if not isinstance(params, dict):
        return {}
    return {k: v for k, v in params.items() if k not in ("x", "y")}


def _argument(job_args: argparse.Namespace, name: str, default: str,
              choices: Sequence[str], code: str) -> str:
    """The value of the non-path argument ``name`` (``default`` when absent); ``code`` when it
    is not one of ``choices``."""
    value = str(getattr(job_args, name, default))
    if value not in choices:
        raise CalibrationScriptError(code, f"{name} {value!r} is not accepted",
                                     f"use one of {', '.join(choices)}")
    return value


def _job_warnings(job_type: str, model_path: Optional[str]) -> list[WarningEntry]:
    """What ``metrics.warnings`` and ``summary.warnings`` record about the job itself."""
    warnings: list[WarningEntry] = []
    if model_path and job_type not in APPLY_JOB_TYPES:
        warnings.append(warning_entry(
            Code.MC_W101_MODEL_IGNORED,
            f"the calibration_model input is ignored: a {job_type} job fits its own calibrator"))
    if job_type == "training":
        warnings.append(warning_entry(
            Code.MC_W102_IN_SAMPLE_SCORES,
            "calibrating on training data: the scores are in-sample (the model saw these rows), so "
            "they are usually over-confident in a way held-out data is not; prefer a calibration "
            "or validation split"))
    return warnings


def _fit_warnings(outcome: Outcome, applies: bool) -> list[WarningEntry]:
    """What ``metrics.warnings`` records of the rows dropped and of the fits
    (``fitchecks.fit_warnings``; nothing of the fits for a given calibrator), each logged."""
    found = dropped_rows_warnings(outcome.rows)
    if not applies:
        found += [warning_entry(str(entry["code"]), str(entry["message"])) for entry in
                  fit_warnings(outcome.calibrator, [outcome.selection, outcome.folds])]
    for entry in found:
        logger.warning("%s: %s", entry["code"], entry["message"])
    return found


def _read_and_run(path: str, scratch: str, settings: Settings, given: Optional[AnyCalibrator],
                  phase: str) -> tuple[list[Shard], Outcome, JsonDict]:
    """Read the shards (the fit phase: the statistics phase's) and run the job's mode on them;
    the two stages' timings. A binary or multi-task run over many parquet, csv, tsv or JSON-lines
    rows is streamed (:mod:`.streaming`: its reading is part of fitting, ``timings.streamed``)."""
    timings: JsonDict = {}
    t0 = time.perf_counter()
    fit_phase = phase == "fit"
    files = [] if fit_phase else discover_files(path, scratch)
    streamable = settings.mode in ("binary", "multitask") and (
        fit_phase or may_stream(files, settings))
    shards = load_statistics(path, settings, columns=not streamable) if fit_phase else \
        read_files(files, [] if streamable else fitting_fields(settings))
    preload_plotting()  # overlaps fitting, which spends its time in numpy
    if streamable and streams(shards, settings, statistics=fit_phase):
        timings["read_seconds"] = round(time.perf_counter() - t0, 6)
        t0 = time.perf_counter()
        streamed = run_streamed(shards, settings, given)
        if streamed is not None:
            timings["streamed"] = True
            timings["fit_and_evaluate_seconds"] = round(time.perf_counter() - t0, 6)
            return streamed[0], streamed[1], timings
    if streamable:
        shards = load_statistics(path, settings) if fit_phase else \
            read_files(files, fitting_fields(settings))
    timings["read_seconds"] = round(time.perf_counter() - t0, 6)
    t0 = time.perf_counter()
    run_mode = {"binary": run_binary, "multitask": run_multitask,
                "multiclass": run_multiclass}[settings.mode]
    outcome = run_mode(shards, settings, given)
    timings["fit_and_evaluate_seconds"] = round(time.perf_counter() - t0, 6)
    return shards, outcome, timings


def _gate(outcome: Outcome, settings: Settings, applies: bool) -> tuple[float, bool]:
    """The gate's figure (``calibrated.ece_equal_width``) and whether it is within the threshold."""
    ece = json_number(outcome.calibrated["ece_equal_width"])
    passed = ece <= settings.error_threshold
    logger.info("ECE (equal width, %d bins): uncalibrated %.6f, calibrated (%s) %.6f; "
                "threshold %g %s", settings.bins,
                json_number(outcome.uncalibrated["ece_equal_width"]),
                "applied" if applies else "cross-fitted", ece, settings.error_threshold,
                "passed" if passed else "NOT passed")
    if not passed:
        logger.warning("calibrated ECE %.6f exceeds ERROR_THRESHOLD %g", ece,
                       settings.error_threshold)
    return ece, passed


def _calibrator_json(given_content: Optional[Mapping[str, object]], outcome: Outcome,
                     shards: Sequence[Shard], settings: Settings) -> JsonDict:
    """``calibrator.json``: the given calibrator's content unchanged, or the fitted one's (a binary
    one with its score column)."""
    if given_content is not None:
        return dict(given_content)
    calibrator: AnyCalibrator = dataclasses.replace(outcome.calibrator, rows=outcome.rows,
                                                    input_fingerprint=_fingerprint(shards),
                                                    producer=_producer())
    if isinstance(calibrator, Calibrator):
        calibrator = dataclasses.replace(calibrator, score_field=settings.score_field)
    try:
        return calibrator.to_json_dict()
    except ValueError as exc:  # a value that is not finite has no canonical JSON
        raise write_failed(CALIBRATOR_FILE, exc) from exc


def _stage_calibrator_and_data(staging: Staging, calibrator_json: JsonDict,
                               shards: Sequence[Shard], outcome: Outcome) -> int:
    """Write calibrator.json and every calibrated shard into the staging folders; the rows
    written."""
    write_json(staging.path(ModelCalibrationOutput.CALIBRATION_OUTPUT.value, CALIBRATOR_FILE),
               calibrator_json)
    written_rows = 0
    for shard in shards:
        target = staging.path(ModelCalibrationOutput.CALIBRATED_DATA.value, shard.relative)
        written_rows += write_calibrated_shard(shard, target, outcome.columns,
                                               outcome.score_columns)
    # Once, not per shard: the pool's pages then serve every shard (one shard's worth of
    # memory) instead of being returned and faulted in again for the next.
    release_arrow_memory()
    return written_rows


def _stage_plot(staging: Staging, outcome: Outcome, applies: bool, bins: str) -> JsonDict:
    """Draw the reliability diagram of ``bins`` (``RELIABILITY_BINS``) into the staging folder;
    ``metrics.plot`` (a failure is recorded there, never raised)."""
    plot: JsonDict = {"file": RELIABILITY_DIAGRAM_FILE, "written": False, "error": None,
                      "panels": len(outcome.panels), "bins": bins}
    try:
        plot_reliability(staging.path(ModelCalibrationOutput.METRICS_OUTPUT.value,
                                      RELIABILITY_DIAGRAM_FILE), outcome.panels,
                         f"method {outcome.method}, "
                         f"{'given calibrator applied' if applies else 'cross-fitted calibration'}",
                         bins)
        plot["written"] = True
    except Exception as exc:  # plotting must never fail the job
        plot["error"] = f"{type(exc).__name__}: {exc}"
        logger.warning("reliability diagram not written: %s", plot["error"])
    return plot


def _stage_report(staging: Staging, metrics: JsonDict) -> JsonDict:
    """Write ``report.html`` (rendered from ``metrics`` and the staged diagram) into the staging
    folder; ``metrics.report`` (a failure is recorded there, never raised)."""
    record: JsonDict = {"file": REPORT_FILE, "written": False, "error": None}
    try:
        diagram: Optional[bytes] = None
        plot = metrics["plot"]
        if isinstance(plot, dict) and plot["written"]:
            with open(staging.path(ModelCalibrationOutput.METRICS_OUTPUT.value,
                                   RELIABILITY_DIAGRAM_FILE), "rb") as handle:
                diagram = handle.read()
        # rendered from metrics.json's content (keys sorted), as calibration-step report is
        page = render_report(json.loads(json.dumps(metrics, sort_keys=True)), diagram)
        with open(staging.path(ModelCalibrationOutput.METRICS_OUTPUT.value, REPORT_FILE), "w",
                  encoding="utf-8") as handle:
            handle.write(page)
        record["written"] = True
    except Exception as exc:  # the report must never fail the job
        record["error"] = f"{type(exc).__name__}: {exc}"
        logger.warning("report not written: %s", record["error"])
    return record


def _evaluation(settings: Settings, applies: bool) -> JsonDict:
    """``metrics.evaluation``: how the calibrated figures were obtained."""
    return {
        "scheme": "applied_given_calibrator" if applies else "stratified_kfold_crossfit",
        "folds": None if applies else settings.folds, "seed": settings.seed,
        "bins": settings.bins, "weighted": bool(settings.weight_field) or
        settings.negative_sampling_rate < 1.0,
        "negative_sampling_rate": settings.negative_sampling_rate,
        "calibrated_predictions": "the given calibrator applied to every row" if applies
        else "held-out (cross-fitted)"}


def _metrics(job_type: str, settings: Settings, outcome: Outcome, calibrator_json: JsonDict,
             gate: tuple[float, bool], warnings: list[WarningEntry], plot: JsonDict,
             timings: JsonDict) -> JsonDict:
    """``metrics.json``."""
    applies = job_type in APPLY_JOB_TYPES
    ece, passed = gate
    return {
        "schema_version": METRICS_SCHEMA_VERSION,
        "job_type": job_type,
        "mode": settings.mode,
        "method": settings.method if not applies else outcome.method,
        "selected_method": outcome.method,
        "settings": dataclasses.asdict(settings),
        "rows": outcome.rows,
        "evaluation": _evaluation(settings, applies),
        "uncalibrated": outcome.uncalibrated,
        "calibrated": outcome.calibrated,
        "folds": outcome.folds,
        "selection": outcome.selection,
        "threshold": {"metric": outcome.gate_metric, "value": ece,
                      "threshold": settings.error_threshold, "passed": passed,
                      "message": _gate_message(outcome.gate_metric, ece, settings.error_threshold, passed)},
        "calibrator": {"method": calibrator_json.get("method"),
                       "kind": calibrator_json.get("kind"),
                       "source": "given" if applies else "fitted",
                       "checksum": calibrator_json["checksum"],
                       "params": _public_params(calibrator_json)},
        "warnings": [dict(warning) for warning in warnings],
        "plot": plot,
        "timings": timings,
    }


def _gate_message(metric: str, value: float, threshold: float, passed: bool) -> str:
    """The gate's verdict in words; a pipeline's Fail step shows it as the failure reason."""
    return f"{metric} = {value:.6g} is {'within' if passed else 'above'} the error threshold {threshold:g}"


def _summary(job_type: str, settings: Settings, outcome: Outcome, gate: tuple[float, bool],
             shards: Sequence[Shard], calibrated: Sequence[Shard], written_rows: int,
             written: Sequence[str], warnings: list[WarningEntry], started: float) -> JsonDict:
    """``summary.json``, the completion marker (``calibrated``: the shards calibrated,
    ``written``: the metrics output's files besides metrics.json and summary.json)."""
    ece, passed = gate
    return {
        "schema_version": METRICS_SCHEMA_VERSION, "status": "completed",
        "job_type": job_type, "mode": settings.mode, "method": outcome.method,
        "ece_equal_width": ece, "threshold_passed": passed,
        "rows_read": sum(s.rows for s in shards),
        "rows_written": written_rows,
        "files": {ModelCalibrationOutput.CALIBRATION_OUTPUT.value: [CALIBRATOR_FILE],
                  ModelCalibrationOutput.METRICS_OUTPUT.value: [METRICS_FILE, *written,
                                                                SUMMARY_FILE],
                  ModelCalibrationOutput.CALIBRATED_DATA.value: [s.relative for s in calibrated]},
        "warnings": [dict(warning) for warning in warnings],
        "seconds": round(time.perf_counter() - started, 6),
    }


def main(input_paths: Mapping[str, str], output_paths: Mapping[str, str],
         environ: Mapping[str, str], job_args: argparse.Namespace) -> None:
    """Run the calibration step: read, validate, fit (or apply), evaluate, write.

    The keys of ``input_paths`` and ``output_paths`` are the logical names
    (``evaluation_data``, the optional ``calibration_model``; ``calibration_output``,
    ``metrics_output``, ``calibrated_data``); ``environ`` holds the settings and ``job_args``
    the ``job_type`` and the ``phase`` (``all`` by default; the others: :mod:`.phases` and
    :mod:`.statistics`; the fit phase writes no calibrated data).

    Raises ``CalibrationScriptError`` (every output folder is then left without visible entries).
    """
    started = time.perf_counter()
    settings = read_settings(environ)
    logger.setLevel(settings.log_level)
    job_type = _argument(job_args, JOB_TYPE_ARGUMENT, DEFAULT_JOB_TYPE, JOB_TYPE_CHOICES,
                         Code.MC_E104_INVALID_JOB_TYPE)
    phase = _argument(job_args, PHASE_ARGUMENT, DEFAULT_PHASE, PHASE_CHOICES,
                      Code.MC_E107_INVALID_PHASE)
    inputs = _required(input_paths, (ModelCalibrationInput.EVALUATION_DATA.value,), "input")
    outputs = _required(output_paths, tuple(o.value for o in ModelCalibrationOutput), "output")
    check_output_paths(outputs, [path for path in input_paths.values() if path])
    model_path = input_paths.get(ModelCalibrationInput.CALIBRATION_MODEL.value)
    if phase in ("statistics", "apply"):
        applied = load_given(model_path, settings, "sharded apply phase")[1] if phase == "apply" else None
        with OutputLock(outputs) as lock:
            run_map_phase(phase, inputs, outputs, settings, applied, lock.verify)
        return
    given_content, given = load_given(model_path, settings, job_type) \
        if job_type in APPLY_JOB_TYPES else (None, None)
    warnings = [*misspelt_env_warnings(environ), *_job_warnings(job_type, model_path)]
    for warning in warnings:
        logger.warning("%s: %s", warning["code"], warning["message"])
    logger.info("job_type=%s mode=%s method=%s score_space=%s folds=%d bins=%d seed=%d weights=%s",
                job_type, settings.mode, settings.method, settings.score_space, settings.folds,
                settings.bins, settings.seed, settings.weight_field or "none")
    with OutputLock(outputs) as lock:
        _run_locked((job_type, phase), settings, inputs, outputs, (given_content, given), warnings,
                    (lock, started))


def _run_locked(job: tuple[str, str], settings: Settings, inputs: Mapping[str, str],
                outputs: Mapping[str, str],
                given: tuple[Optional[Mapping[str, object]], Optional[AnyCalibrator]],
                warnings: list[WarningEntry], run: tuple[OutputLock, float]) -> None:
    """``main`` once the output folders are this run's (``job``: the job type and the phase):
    stage, verify the claim, publish."""
    job_type, phase = job
    applies = job_type in APPLY_JOB_TYPES
    given_content, calibrator = given
    lock, started = run
    staging = Staging(outputs)
    staging.prepare()
    published = False
    try:
        with tempfile.TemporaryDirectory(prefix="calibration-") as scratch:
            shards, outcome, timings = _read_and_run(
                inputs[ModelCalibrationInput.EVALUATION_DATA.value], scratch, settings, calibrator,
                phase)
            calibrated = [] if phase == "fit" else shards
            gate = _gate(outcome, settings, applies)
            gate_warnings = uninformative_gate_warnings(outcome.uncalibrated)
            for warning in gate_warnings:
                logger.warning("%s: %s", warning["code"], warning["message"])
            recorded = [*warnings, *_fit_warnings(outcome, applies), *gate_warnings]
            calibrator_json = _calibrator_json(given_content, outcome, shards, settings)
            stage_reached("before_staging")
            staging.open()
            t0 = time.perf_counter()
            written_rows = _stage_calibrator_and_data(staging, calibrator_json, calibrated, outcome)
            stage_reached("during_staging")
            plot = _stage_plot(staging, outcome, applies, settings.reliability_bins)
            metrics = _metrics(job_type, settings, outcome, calibrator_json, gate, recorded,
                               plot, timings)
            metrics["report"] = _stage_report(staging, metrics)
            timings["write_seconds"] = round(time.perf_counter() - t0, 6)
            write_json(staging.path(ModelCalibrationOutput.METRICS_OUTPUT.value, METRICS_FILE),
                       metrics)
            written = [record["file"] for record in (plot, metrics["report"])
                       if isinstance(record, dict) and record["written"]]
            write_json(staging.path(ModelCalibrationOutput.METRICS_OUTPUT.value, SUMMARY_FILE),
                       _summary(job_type, settings, outcome, gate, shards, calibrated, written_rows,
                                [str(name) for name in written], recorded, started))
            stage_reached("after_staging")
            lock.verify()
            published = True
            try:
                staging.publish(last=(ModelCalibrationOutput.METRICS_OUTPUT.value, SUMMARY_FILE))
            except OSError as exc:
                raise write_failed(exc.filename or SUMMARY_FILE, exc) from exc
            logger.info("wrote %s, %d calibrated rows in %d files, metrics and summary in %.3fs",
                        CALIBRATOR_FILE, written_rows, len(calibrated),
                        time.perf_counter() - started)
    except BaseException:
        staging.cleanup()
        if published:
            staging.remove_published()
        raise
