"""Same outputs: the script at two revisions run on the same inputs, and their outputs diffed.

``python -m bench.ab --kind outputs`` runs each side as the job runs it, in a subprocess with the
job's command line and environment: a revision whose ``script/`` holds one file runs as that
file (``python model_calibration.py ...``), one holding the package runs as ``python -m
script.model_calibration`` (or, with ``--zipapp``, as the zipapp built from it, as it ships).
Every output file is compared: the JSON files key by key, the calibrated data and the plot byte
by byte (the data by content too when the bytes differ). A few values depend on the run, not on
the inputs: :data:`SET_ASIDE` lists them, and they are left out of the comparison.

Cases: the benchmark's data (``bench.data``) per scenario, size and method, and
:data:`FIXTURES`, small inputs like the tests' (CSV with missing values and weights, JSON lines
with two tasks, named classes, and a validation job applying a given calibrator).

Examples
--------
>>> set_aside({"fit": {"seconds": 0.1, "rows": 3}, "checksum": "x"}, ("checksum", "**.fit.seconds"))
{'fit': {'rows': 3}}
>>> json_differences({"a": [1, 2], "b": 1.0}, {"a": [1, 3], "b": 1.0})
['a[1]: 2 != 3']
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration_step.processing.zipapp import script_zipapp
from calibration_step.script.model_calibration.reading import CSV_FLOAT_PRECISION
from calibration_step.script.interface import ModelCalibrationInput, ModelCalibrationOutput

JsonDict = dict[str, object]
SCRIPT_FILE = "model_calibration.py"
PACKAGE = "model_calibration"
OUTPUTS = tuple(name.value for name in ModelCalibrationOutput)

SET_ASIDE: Mapping[str, tuple[str, ...]] = {
    "calibrator.json": ("producer", "checksum", "**.fit.seconds"),
    "metrics.json": ("timings", "folds.**.fit_seconds", "calibrator.checksum",
                     "calibrator.params.**.fit.seconds"),
    "summary.json": ("seconds",),
}
"""Per output file, the values that depend on the run (``.``-separated paths; ``*`` is any one
key or list index, ``**`` any number of them): ``producer`` (the interpreter and library
versions; the script name), the wall-clock ``seconds`` of fits (a mixture's members' too,
also in ``metrics.calibrator``), folds and the whole run, the stage ``timings``, and the
checksums over those (``calibrator.json``'s own, and the copy of it in
``metrics.calibrator``)."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One run of both sides: the job type, the environment, and its input folder (``input``
    makes it in the work folder it is given, or names an existing one). A case that applies a
    calibrator is given the base side's ``calibration_output`` of the case ``model_from``."""

    name: str
    job_type: str
    env: Mapping[str, str]
    input: Callable[[Path], Path]
    model_from: str | None = None


# --------------------------------------------------------------------------------------------
# Running one side
# --------------------------------------------------------------------------------------------
def side_command(script_dir: Path, work: Path, zipapp: bool) -> tuple[list[str], Path]:
    """The command that runs the script in ``script_dir`` (a copy of ``script/``), and its
    working folder: the single file itself, or the package (as a module, or its zipapp)."""
    single = script_dir / SCRIPT_FILE
    if single.is_file():
        return [sys.executable, str(single)], work
    if zipapp:
        archive = work / f"{PACKAGE}.pyz"
        if not archive.exists():
            archive.write_bytes(script_zipapp(script_dir, f"{PACKAGE}.pyz"))
        return [sys.executable, str(archive)], work
    return [sys.executable, "-m", f"{script_dir.name}.{PACKAGE}"], script_dir.parent


def run_side(command: Sequence[str], cwd: Path, case: Case, input_dir: Path, out_dir: Path,
             model_dir: Path | None, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run one side of a case with the job's command line into ``out_dir/<output>``."""
    args = [*command, "--job_type", case.job_type,
            f"--{ModelCalibrationInput.EVALUATION_DATA.value}", str(input_dir)]
    if model_dir is not None:
        args += [f"--{ModelCalibrationInput.CALIBRATION_MODEL.value}", str(model_dir)]
    for name in OUTPUTS:
        args += [f"--{name}", str(out_dir / name)]
    env = {**os.environ, **case.env, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------------------------
# Comparing outputs
# --------------------------------------------------------------------------------------------
def _matches(pattern: Sequence[str], path: Sequence[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_matches(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and head in ("*", path[0]) and _matches(rest, path[1:])


def set_aside(value: object, patterns: Sequence[str], path: tuple[str, ...] = ()) -> object:
    """``value`` without the parts whose path matches one of ``patterns``."""
    split = [p.split(".") for p in patterns]
    if isinstance(value, dict):
        return {k: set_aside(v, patterns, (*path, str(k))) for k, v in value.items()
                if not any(_matches(p, (*path, str(k))) for p in split)}
    if isinstance(value, list):
        return [set_aside(v, patterns, (*path, str(i))) for i, v in enumerate(value)]
    return value


def json_differences(base: object, patched: object, where: str = "") -> list[str]:
    """Every path where two JSON values differ (exactly: no tolerance), with both values."""
    if isinstance(base, dict) and isinstance(patched, dict):
        found: list[str] = []
        for key in sorted(set(base) | set(patched)):
            here = f"{where}.{key}" if where else str(key)
            if key not in base or key not in patched:
                found.append(f"{here}: only in {'patched' if key not in base else 'base'}")
            else:
                found += json_differences(base[key], patched[key], here)
        return found
    if isinstance(base, list) and isinstance(patched, list) and len(base) == len(patched):
        return [d for i, (b, p) in enumerate(zip(base, patched)) for d in json_differences(b, p, f"{where}[{i}]")]
    same = base == patched and type(base) is type(patched)
    both_nan = isinstance(base, float) and isinstance(patched, float) and np.isnan(base) and np.isnan(patched)
    return [] if same or both_nan else [f"{where}: {base!r} != {patched!r}"]


def _read_frame(path: Path) -> pd.DataFrame:
    if path.suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix in (".csv", ".tsv"):
        return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", float_precision=CSV_FLOAT_PRECISION)
    return pd.read_json(path, lines=path.suffix == ".jsonl", orient="records", precise_float=True)


def file_differences(base: Path, patched: Path, relative: str) -> list[str]:
    """How two output files differ: JSON files key by key after :data:`SET_ASIDE`, others byte by
    byte (calibrated data: and then by content)."""
    name = Path(relative).name
    if name in SET_ASIDE:
        aside = SET_ASIDE[name]
        return [f"{relative}: {d}" for d in json_differences(
            set_aside(json.loads(base.read_text()), aside), set_aside(json.loads(patched.read_text()), aside))]
    if base.read_bytes() == patched.read_bytes():
        return []
    if relative.startswith(ModelCalibrationOutput.CALIBRATED_DATA.value):
        same = _read_frame(base).equals(_read_frame(patched))
        return [f"{relative}: bytes differ, content {'equal' if same else 'differs'}"]
    return [f"{relative}: bytes differ"]


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def output_differences(base: Path, patched: Path) -> list[str]:
    """Every difference between the outputs of two runs (folders holding one folder per output)."""
    base_files, patched_files = _files(base), _files(patched)
    found = [f"{f}: only in {'base' if f in base_files else 'patched'}" for f in sorted(base_files ^ patched_files)]
    for relative in sorted(base_files & patched_files):
        found += file_differences(base / relative, patched / relative, relative)
    return found


def compare_case(case: Case, sides: Mapping[str, tuple[list[str], Path]], work: Path,
                 timeout: float) -> list[str]:
    """Run ``case`` with each side (``base`` and ``patched``: a command and its working folder)
    into ``work/runs/<case>/<side>``; the differences of their outputs, or why a side failed."""
    input_dir = case.input(work / "inputs")
    model = None if case.model_from is None else \
        work / "runs" / case.model_from / "base" / ModelCalibrationOutput.CALIBRATION_OUTPUT.value
    runs = work / "runs" / case.name
    for side, (command, cwd) in sides.items():
        done = run_side(command, cwd, case, input_dir, runs / side, model, timeout)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            return [f"{side} exited with status {done.returncode}: {last}"]
    return output_differences(runs / "base", runs / "patched")


# --------------------------------------------------------------------------------------------
# Cases: the benchmark's data, and inputs like the tests'
# --------------------------------------------------------------------------------------------
def bench_cases(cache_dir: str, scenario: str, sizes: Sequence[int], methods: Sequence[str]
                ) -> list[Case]:
    """A calibration job per size and method on the benchmark's training shards."""
    from bench import data

    cases: list[Case] = []
    for n in sizes:
        train = Path(data.prepare(cache_dir, scenario, n).train_dir)
        cases += [Case(f"{scenario}-n{n}-{method}", "calibration",
                       {**data.script_environment(scenario), "CALIBRATION_METHOD": method},
                       _existing(train)) for method in methods]
    return cases


def _existing(folder: Path) -> Callable[[Path], Path]:
    """The input of a case whose folder exists already, whatever the work folder."""
    def existing(_work: Path) -> Path:
        return folder
    return existing


def _binary_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.beta(2.0, 2.0, n)
    true = 1.0 / (1.0 + np.exp(-(0.7 * np.log(scores / (1.0 - scores)) + 0.3)))
    return scores, (rng.uniform(size=n) < true).astype(np.int64)


def _csv_with_missing_values_and_weights(work: Path) -> Path:
    folder = work / "csv_with_missing_values_and_weights"
    scores, labels = _binary_rows(4000, seed=5)
    weights = np.random.default_rng(6).uniform(0.2, 3.0, scores.shape[0])
    frame = pd.DataFrame({"prob_class_1": scores, "label": labels.astype(float), "w": weights, "id": range(4000)})
    frame.loc[::97, "prob_class_1"] = np.nan
    frame.loc[::89, "label"] = np.nan
    frame.loc[::83, "w"] = np.nan
    (folder / "part").mkdir(parents=True, exist_ok=True)
    frame.iloc[:2500].to_csv(folder / "part" / "a.csv", index=False)
    frame.iloc[2500:].to_csv(folder / "b.csv", index=False)
    return folder


def _jsonl_with_two_tasks(work: Path) -> Path:
    folder = work / "jsonl_with_two_tasks"
    a, ya = _binary_rows(3000, seed=7)
    b, yb = _binary_rows(3000, seed=8)
    frame = pd.DataFrame({"score_a": a, "label_a": ya, "score_b": b ** 2, "label_b": yb})
    frame.loc[::50, "score_b"] = np.nan
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_json(folder / "tasks.jsonl", orient="records", lines=True)
    return folder


def _named_classes(work: Path) -> Path:
    folder = work / "named_classes"
    rng = np.random.default_rng(9)
    logits = rng.normal(0.0, 1.5, (3000, 3))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    tempered = np.exp(0.6 * logits) / np.exp(0.6 * logits).sum(axis=1, keepdims=True)
    labels = np.array(["cat", "dog", "emu"])[[rng.choice(3, p=p) for p in tempered]]
    frame = pd.DataFrame({f"p_{c}": probs[:, j] for j, c in enumerate(("cat", "dog", "emu"))})
    frame["species"] = labels
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / "classes.parquet", index=False)
    return folder


def _validation_rows(work: Path) -> Path:
    folder = work / "validation_rows"
    scores, labels = _binary_rows(2500, seed=10)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"prob_class_1": scores, "label": labels}).to_csv(folder / "validation.csv", index=False)
    return folder


FIXTURES: tuple[Case, ...] = (
    *(Case(f"fixture-csv-weights-{m}", "calibration", {"CALIBRATION_METHOD": m, "WEIGHT_FIELD": "w"},
           _csv_with_missing_values_and_weights) for m in ("isotonic", "platt", "gam", "beta", "auto")),
    Case("fixture-jsonl-multitask-auto", "training",
         {"CALIBRATION_METHOD": "auto", "SCORE_FIELDS": '["score_a", "score_b"]',
          "TASK_LABEL_NAMES": '["label_a", "label_b"]'}, _jsonl_with_two_tasks),
    *(Case(f"fixture-named-classes-{m}", "calibration",
           {"CALIBRATION_METHOD": m, "IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["cat", "dog", "emu"]',
            "SCORE_FIELD_PREFIX": "p_", "LABEL_FIELD": "species", "TEMPERATURE_BIAS": "true"}, _named_classes)
      for m in ("temperature", "isotonic", "auto")),
    Case("fixture-validation-applies-gam", "validation", {"CALIBRATION_METHOD": "gam"}, _validation_rows,
         model_from="fixture-csv-weights-gam"),
)
"""Inputs like the tests': every binary method on CSV shards with missing values and weights,
multi-task on JSON lines, named multi-class categories, and a validation job that applies the
base side's gam calibrator (both sides are given the same file)."""
