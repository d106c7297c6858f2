"""Measurement tasks: each runs in-process on one spec and returns a JSON-ready result.

``bench.worker`` runs one task per child process (limits set by ``bench.child``); the smoke test
calls them directly on tiny data. A spec is a JSON object with ``name``, ``kind`` and the
kind's keys:

- ``fit`` (``fitter``, ``train`` shard paths, ``test`` path, optional ``preds_path``): time and
  peak memory of the fit (best of up to 5 within ``FIT_BUDGET_SECONDS``), of predicting the
  ``n`` training scores, and held-out log loss; for ours also a bare ``numpy.interp`` over the
  same number of knots on the same scores (2,049 for platt, which has no knots);
- ``script`` (``train_dir``, ``method``, ``scratch``, optional ``env``: more script environment
  variables, e.g. ``IS_BINARY``/``NUM_CLASSES`` for multi-class): the whole ``main`` with the
  method;
- ``io_floor`` (``train`` shard paths, ``scratch``, optional ``floor`` and ``fit_columns``): read
  and write every shard, and the in-memory sizes the script's memory target is measured
  against (``fit_columns``, default score and label, against the largest shard's other
  columns). Floors (``FLOORS``): ``parquet`` (pyarrow ``read_table`` + ``write_table``, Arrow
  sizes), ``csv`` (pandas ``read_csv`` + ``to_csv(index=False)``, the reader and writer the
  script uses, pandas sizes with ``memory_usage(deep=True)``), ``csv_pyarrow`` (pyarrow's
  CSV reader and writer, Arrow sizes: a faster floor than the script's pandas I/O can reach), and
  ``jsonl`` (pandas ``read_json(lines=True)`` + ``to_json(lines=True)``).

Examples
--------
>>> best_of(lambda: None, repeats=2, budget_seconds=1.0)[1]
2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

import numpy as np

from bench import data, fitters
from bench.arrow import copy_csv, copy_parquet
from bench.child import peak_rss_bytes, reset_peak, rss_bytes

JsonDict = dict[str, object]
T = TypeVar("T")
FIT_BUDGET_SECONDS = 20.0
APPLY_BUDGET_SECONDS = 10.0
PLATT_REFERENCE_KNOTS = 2049  # the script's GAM_TABLE_POINTS


def best_of(fn: Callable[[], T], repeats: int, budget_seconds: float) -> tuple[T, int, float]:
    """Run ``fn`` up to ``repeats`` times while the time spent stays under the budget.

    Returns the last value, the number of runs and the fastest run's seconds.
    """
    best = float("inf")
    spent = 0.0
    runs = 0
    value: T
    while True:
        start = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - start
        runs += 1
        spent += elapsed
        best = min(best, elapsed)
        if runs >= repeats or spent + elapsed > budget_seconds:
            return value, runs, best


def _str(spec: Mapping[str, object], key: str) -> str:
    value = spec[key]
    if not isinstance(value, str):
        raise TypeError(f"spec[{key!r}] must be a string; got {value!r}.")
    return value


def _paths(spec: Mapping[str, object], key: str) -> list[str]:
    value = spec[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"spec[{key!r}] must be a list of paths; got {value!r}.")
    return [str(v) for v in value]


def fit_task(spec: Mapping[str, object]) -> JsonDict:
    """Fit one fitter on the training shards, predict all training scores and the test set."""
    name = _str(spec, "fitter")
    fit = fitters.FITTERS[name]
    scores, labels = data.read_columns(_paths(spec, "train"))
    test_scores, test_labels = data.read_columns([_str(spec, "test")])
    data_rss = rss_bytes()
    load_peak = peak_rss_bytes()
    reset_peak()
    model, fit_runs, fit_seconds = best_of(lambda: fit(scores, labels), 5, FIT_BUDGET_SECONDS)
    fit_peak = peak_rss_bytes()
    reset_peak()
    predicted, apply_runs, apply_seconds = best_of(lambda: model.predict(scores), 5,
                                                   APPLY_BUDGET_SECONDS)
    apply_peak = peak_rss_bytes()
    del predicted
    test_pred = model.predict(test_scores)
    result: JsonDict = {
        # Resetting VmHWM also resets what the kernel reports as the child's ru_maxrss, so the
        # whole child's peak is the largest of the phase peaks.
        "peak_rss_bytes": max(load_peak, fit_peak, apply_peak, peak_rss_bytes()),
        "fitter": name, "rows": int(scores.shape[0]), "test_rows": int(test_scores.shape[0]),
        "fit_seconds": fit_seconds, "fit_runs": fit_runs,
        "data_rss_bytes": data_rss, "fit_peak_rss_bytes": fit_peak,
        "fit_extra_bytes": max(fit_peak - data_rss, 0),
        "apply_seconds": apply_seconds, "apply_runs": apply_runs,
        "apply_rows_per_second": scores.shape[0] / apply_seconds if apply_seconds > 0 else None,
        "apply_peak_rss_bytes": apply_peak,
        "test_log_loss": fitters.log_loss(test_pred, test_labels),
        "knots": model.knots, "info": model.info,
    }
    if name in fitters.OURS:
        if model.knots_xy is not None:
            kx, ky = model.knots_xy
        else:
            kx = np.linspace(0.0, 1.0, PLATT_REFERENCE_KNOTS)
            ky = kx.copy()
        _, interp_runs, interp_seconds = best_of(lambda: np.interp(scores, kx, ky), 5,
                                                 APPLY_BUDGET_SECONDS)
        result.update(interp_knots=int(kx.shape[0]), interp_seconds=interp_seconds,
                      interp_runs=interp_runs,
                      interp_rows_per_second=scores.shape[0] / interp_seconds
                      if interp_seconds > 0 else None)
    preds_path = spec.get("preds_path")
    if isinstance(preds_path, str):
        np.save(preds_path, test_pred)
    return result


def script_task(spec: Mapping[str, object]) -> JsonDict:
    """The whole script (``main``) on the training shards, outputs in a scratch folder."""
    # The names are the contract's (the library's), so that any revision of the script runs
    # (bench.worker may have installed a snapshot); main is the script's one public entry.
    from calibration_step.script import model_calibration as mc
    from calibration_step.script.interface import (
        METRICS_FILE,
        ModelCalibrationEnv,
        ModelCalibrationInput,
        ModelCalibrationOutput,
    )

    scratch = tempfile.mkdtemp(prefix="bench-script-", dir=_str(spec, "scratch"))
    try:
        outputs = {name.value: os.path.join(scratch, name.value) for name in ModelCalibrationOutput}
        environ = {**_env(spec), ModelCalibrationEnv.CALIBRATION_METHOD.value: _str(spec, "method"),
                   ModelCalibrationEnv.LOG_LEVEL.value: "WARNING"}
        baseline = rss_bytes()
        before = peak_rss_bytes()
        reset_peak()
        start = time.perf_counter()
        mc.main({ModelCalibrationInput.EVALUATION_DATA.value: _str(spec, "train_dir")}, outputs,
                environ, argparse.Namespace(job_type="calibration"))
        seconds = time.perf_counter() - start
        peak = peak_rss_bytes()
        with open(os.path.join(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE),
                  encoding="utf-8") as handle:
            metrics = json.load(handle)
        timings = metrics.get("timings", {}) if isinstance(metrics, dict) else {}
        block = metrics.get("rows", {}) if isinstance(metrics, dict) else {}
        rows = block.get("used", block.get("read"))  # multi-task: rows read (used per task)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"method": _str(spec, "method"), "env": _env(spec), "rows": rows, "seconds": seconds,
            "baseline_rss_bytes": baseline, "peak_rss_bytes": max(before, peak),
            "peak_above_baseline_bytes": max(peak - baseline, 0), "timings": timings}


def _env(spec: Mapping[str, object]) -> dict[str, str]:
    value = spec.get("env", {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError(f"spec['env'] must map names to strings; got {value!r}.")
    return {str(k): str(v) for k, v in value.items()}


def copy_csv_pandas(source: str, target: str) -> tuple[int, dict[str, int]]:
    """Read a CSV file with pandas (floats parsed as the script parses them) and write it back
    with ``to_csv(index=False)``: rows and in-memory bytes per column (strings included)."""
    import pandas as pd

    precision: Literal["round_trip"] | None = (
        "round_trip" if int(pd.__version__.split(".")[0]) < 3 else None)
    frame = pd.read_csv(source, float_precision=precision)
    frame.to_csv(target, index=False)
    usage = frame.memory_usage(index=False, deep=True)
    return len(frame), {str(name): int(size) for name, size in usage.items()}


def copy_jsonl_pandas(source: str, target: str) -> tuple[int, dict[str, int]]:
    """Read a JSON-lines file with pandas (as the script reads a whole file) and write it back
    with ``to_json(orient="records", lines=True)``: rows and in-memory bytes per column."""
    import pandas as pd

    frame = pd.read_json(source, lines=True, orient="records", precise_float=True)
    frame.to_json(target, orient="records", lines=True)
    usage = frame.memory_usage(index=False, deep=True)
    return len(frame), {str(name): int(size) for name, size in usage.items()}


def copy_json_pandas(source: str, target: str) -> tuple[int, dict[str, int]]:
    """Read a JSON-array file with pandas (as the script reads a whole file) and write it back
    with ``to_json(orient="records")``: rows and in-memory bytes per column."""
    import pandas as pd

    frame = pd.read_json(source, orient="records", precise_float=True)
    frame.to_json(target, orient="records")
    usage = frame.memory_usage(index=False, deep=True)
    return len(frame), {str(name): int(size) for name, size in usage.items()}


FLOORS: dict[str, tuple[Callable[[str, str], tuple[int, dict[str, int]]], str, str]] = {
    "parquet": (copy_parquet, "parquet", "pyarrow read_table + write_table"),
    "csv": (copy_csv_pandas, "csv", "pandas read_csv + to_csv"),
    "jsonl": (copy_jsonl_pandas, "jsonl", "pandas read_json + to_json (lines)"),
    "json": (copy_json_pandas, "json", "pandas read_json + to_json (array)"),
    "csv_pyarrow": (copy_csv, "csv", "pyarrow.csv read_csv + write_csv"),
}
"""Floor format -> (copy function, file extension, description)."""


def io_floor_task(spec: Mapping[str, object]) -> JsonDict:
    """Read and write every shard (``FLOORS[spec['floor']]``, default parquet); sizes of the
    fitting and passthrough columns."""
    floor = str(spec.get("floor", "parquet"))
    copy, extension, description = FLOORS[floor]
    fit_cols = tuple(_paths(spec, "fit_columns")) if "fit_columns" in spec else (
        data.SCORE_FIELD, data.LABEL_FIELD)
    if floor in ("csv", "jsonl", "json"):
        import pandas  # noqa: F401  # imported before the baseline, as the script's child does

    scratch = tempfile.mkdtemp(prefix="bench-io-", dir=_str(spec, "scratch"))
    fitting_bytes = 0
    shard_passthrough = 0
    rows = 0
    try:
        baseline = rss_bytes()
        before = peak_rss_bytes()
        reset_peak()
        start = time.perf_counter()
        for i, path in enumerate(_paths(spec, "train")):
            count, sizes = copy(path, os.path.join(scratch, f"{i:03d}.{extension}"))
            rows += count
            fitting_bytes += sum(sizes[c] for c in fit_cols)
            shard_passthrough = max(shard_passthrough, sum(
                size for c, size in sizes.items() if c not in fit_cols))
        seconds = time.perf_counter() - start
        peak = peak_rss_bytes()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"floor": floor, "floor_io": description, "fit_columns": list(fit_cols),
            "rows": rows, "seconds": seconds, "baseline_rss_bytes": baseline,
            "peak_rss_bytes": max(before, peak), "peak_above_baseline_bytes": max(peak - baseline, 0),
            "fitting_columns_bytes": fitting_bytes,
            "passthrough_shard_bytes": shard_passthrough}


TASKS: dict[str, Callable[[Mapping[str, object]], JsonDict]] = {
    "fit": fit_task, "script": script_task, "io_floor": io_floor_task}


def run_task(spec: Mapping[str, object]) -> JsonDict:
    """Dispatch on ``spec['kind']``."""
    return TASKS[_str(spec, "kind")](spec)
