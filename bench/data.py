"""Deterministic benchmark data, written once as parquet into a cache folder.

Every comparison of the benchmark reads the same files: per scenario and size, a training set of
``n`` rows split into ``TRAIN_SHARDS`` parquet shards (score, label and three passthrough
columns, the input of the whole script) and a held-out test set of ``min(n, TEST_ROWS_MAX)``
rows (score and label) drawn from the same generator with another seed. ``prepare_csv`` writes
the same training shards once more as CSV (pandas ``to_csv``), beside the parquet ones, for the
whole-script runs with ``--script-format csv``; ``prepare_jsonl`` as JSON lines, for
``--script-format jsonl``; ``prepare_json`` as one JSON array of records a shard, for
``--script-format json``.

Scenarios (scores ~ Beta(2, 2), continuous float64, so almost every score is unique: the worst
case for aggregation by unique score):

- ``linear``: true probability ``sigmoid(0.5 logit(s) + 0.6)`` (logit-linear, platt is exact);
- ``nonlinear``: true logit ``0.5 logit(s) + 0.8 + 0.3 tanh(2 logit(s))`` (monotone, not
  logit-linear).

Opt-in (not in ``SCENARIOS``, the default; whole-script runs only):

- ``multiclass``: ``NUM_CLASSES`` = 3 score columns ``prob_class_0..2`` = softmax of logits
  ~ N(0, 1.5^2) (independent per class) and a label in 0..2 drawn from softmax(0.6 * logits):
  the scores are over-confident (temperature 1/0.6).
- ``multitask``: ``NUM_TASKS`` = 3 binary tasks, score columns ``score_task_0..2`` (each
  ~ Beta(2, 2), independent) against 0/1 labels ``label_task_0..2`` drawn from true logit
  ``(0.5 + 0.1 t) logit(s) + 0.2 t + 0.3 tanh(2 logit(s))`` for task ``t``; the script runs
  with ``SCORE_FIELDS`` / ``TASK_LABEL_NAMES`` naming them (``script_environment``).

Examples
--------
>>> scores, labels = generate("linear", 5, seed=1)
>>> scores.shape, sorted(set(labels.tolist())) <= [0, 1]
((5,), True)
>>> bool(np.array_equal(generate("linear", 5, seed=1)[0], scores))
True
>>> probs, classes = generate_multiclass(4, seed=1)
>>> probs.shape, bool(np.allclose(probs.sum(axis=1), 1.0)), set(classes.tolist()) <= {0, 1, 2}
((4, 3), True, True)
>>> task_scores, task_labels = generate_multitask(4, seed=1)
>>> task_scores.shape, task_labels.shape, set(task_labels.ravel().tolist()) <= {0, 1}
((4, 3), (4, 3), True)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.arrow import read_float_columns, write_parquet

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SCENARIOS = ("linear", "nonlinear")
MULTICLASS = "multiclass"
MULTITASK = "multitask"
WHOLE_SCRIPT_ONLY = (MULTICLASS, MULTITASK)
"""The opt-in scenarios: whole-script runs and their I/O floor only (the fitters are binary)."""
ALL_SCENARIOS = SCENARIOS + WHOLE_SCRIPT_ONLY
NUM_CLASSES = 3
NUM_TASKS = 3
MULTICLASS_LOGIT_SD = 1.5
MULTICLASS_TRUE_SCALE = 0.6
SCORE_FIELD = "prob_class_1"
MULTICLASS_SCORE_FIELDS = tuple(f"prob_class_{k}" for k in range(NUM_CLASSES))
LABEL_FIELD = "label"
MULTITASK_SCORE_FIELDS = tuple(f"score_task_{t}" for t in range(NUM_TASKS))
MULTITASK_LABEL_FIELDS = tuple(f"label_task_{t}" for t in range(NUM_TASKS))
PASSTHROUGH_FIELDS = ("row_id", "segment", "feature_a")
TRAIN_SHARDS = 10
TEST_ROWS_MAX = 1_000_000
FORMATS = ("parquet", "csv", "jsonl", "json")
# Bump when the generator changes: cached files of another version are not reused.
GENERATOR_VERSION = 1
# Bump when the CSV writing changes (it derives the CSV shards from the parquet ones).
CSV_VERSION = 1
# Bump when the JSON-lines writing changes (it derives those shards from the parquet ones).
JSONL_VERSION = 1
# Bump when the JSON-array writing changes (it derives those shards from the parquet ones).
JSON_VERSION = 1
_SEGMENTS = np.array(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"])
_SCENARIO_SEED = {"linear": 11, "nonlinear": 23, MULTICLASS: 37, MULTITASK: 41}


def _logit(p: FloatArray) -> FloatArray:
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def _sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return out


def true_logit(scenario: str, z: FloatArray) -> FloatArray:
    """The generating logit of the positive class at score logit ``z``."""
    if scenario == "linear":
        return 0.5 * z + 0.6
    if scenario == "nonlinear":
        out: FloatArray = 0.5 * z + 0.8 + 0.3 * np.tanh(2.0 * z)
        return out
    raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}; got {scenario!r}.")


def generate(scenario: str, n: int, seed: int) -> tuple[FloatArray, IntArray]:
    """``n`` scores in (0, 1) and 0/1 labels drawn from ``scenario`` (deterministic in seed)."""
    rng = np.random.default_rng([_SCENARIO_SEED[scenario], seed])
    scores = rng.beta(2.0, 2.0, n)
    z = _logit(np.clip(scores, 1e-12, 1.0 - 1e-12))
    labels = (rng.uniform(size=n) < _sigmoid(true_logit(scenario, z))).astype(np.int64)
    return scores, labels


def generate_multiclass(n: int, seed: int) -> tuple[FloatArray, IntArray]:
    """``n`` x ``NUM_CLASSES`` softmax scores and labels in ``0 .. NUM_CLASSES-1`` drawn from
    softmax(``MULTICLASS_TRUE_SCALE`` * logits) (deterministic in seed)."""
    rng = np.random.default_rng([_SCENARIO_SEED[MULTICLASS], seed])
    logits = rng.normal(0.0, MULTICLASS_LOGIT_SD, (n, NUM_CLASSES))
    probs = _softmax(logits)
    cumulative = np.cumsum(_softmax(MULTICLASS_TRUE_SCALE * logits), axis=1)
    draws = rng.uniform(size=(n, 1))
    labels = np.minimum((draws > cumulative[:, :-1]).sum(axis=1), NUM_CLASSES - 1)
    return probs, labels.astype(np.int64)


def generate_multitask(n: int, seed: int) -> tuple[FloatArray, IntArray]:
    """``n`` x ``NUM_TASKS`` independent scores and 0/1 labels (task ``t``'s true logit
    ``(0.5 + 0.1 t) z + 0.2 t + 0.3 tanh(2 z)`` at score logit ``z``; deterministic in seed)."""
    rng = np.random.default_rng([_SCENARIO_SEED[MULTITASK], seed])
    scores = rng.beta(2.0, 2.0, (n, NUM_TASKS))
    z = _logit(np.clip(scores, 1e-12, 1.0 - 1e-12))
    task = np.arange(NUM_TASKS)
    logit = (0.5 + 0.1 * task) * z + 0.2 * task + 0.3 * np.tanh(2.0 * z)
    labels = (rng.uniform(size=(n, NUM_TASKS)) < _sigmoid(logit)).astype(np.int64)
    return scores, labels


def _softmax(logits: FloatArray) -> FloatArray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def score_fields(scenario: str) -> tuple[str, ...]:
    """The score columns of ``scenario``'s files."""
    if scenario == MULTICLASS:
        return MULTICLASS_SCORE_FIELDS
    return MULTITASK_SCORE_FIELDS if scenario == MULTITASK else (SCORE_FIELD,)


def fitting_fields(scenario: str) -> list[str]:
    """The columns the script fits on: the score columns and the label(s)."""
    labels = MULTITASK_LABEL_FIELDS if scenario == MULTITASK else (LABEL_FIELD,)
    return list(score_fields(scenario)) + list(labels)


def script_environment(scenario: str) -> dict[str, str]:
    """The script's environment for ``scenario`` besides ``CALIBRATION_METHOD`` (none for the
    binary scenarios, whose columns are the script's defaults)."""
    if scenario == MULTICLASS:
        return {"IS_BINARY": "false", "NUM_CLASSES": str(NUM_CLASSES)}
    if scenario == MULTITASK:
        return {"SCORE_FIELDS": json.dumps(list(MULTITASK_SCORE_FIELDS)),
                "TASK_LABEL_NAMES": json.dumps(list(MULTITASK_LABEL_FIELDS))}
    return {}


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Where one (scenario, size) lives: the training shards' folder (in ``fmt``) and the test
    file (parquet)."""

    scenario: str
    rows: int
    train_dir: str
    test_path: str
    test_rows: int
    fmt: str = "parquet"

    def shard_paths(self) -> list[str]:
        return sorted(os.path.join(self.train_dir, f) for f in os.listdir(self.train_dir)
                      if f.endswith(f".{self.fmt}"))


def _score_columns(scenario: str, rows: int, seed: int) -> dict[str, npt.NDArray[np.generic]]:
    if scenario == MULTICLASS:
        probs, labels = generate_multiclass(rows, seed)
        columns: dict[str, npt.NDArray[np.generic]] = {
            name: np.ascontiguousarray(probs[:, k])
            for k, name in enumerate(MULTICLASS_SCORE_FIELDS)}
    elif scenario == MULTITASK:
        task_scores, task_labels = generate_multitask(rows, seed)
        columns = {name: np.ascontiguousarray(task_scores[:, t])
                   for t, name in enumerate(MULTITASK_SCORE_FIELDS)}
        columns.update({name: np.ascontiguousarray(task_labels[:, t])
                        for t, name in enumerate(MULTITASK_LABEL_FIELDS)})
        return columns
    else:
        scores, labels = generate(scenario, rows, seed)
        columns = {SCORE_FIELD: scores}
    columns[LABEL_FIELD] = labels
    return columns


def _write_train_shard(path: str, scenario: str, start: int, rows: int, shard: int) -> None:
    columns = _score_columns(scenario, rows, seed=1000 + shard)
    rng = np.random.default_rng([_SCENARIO_SEED[scenario], 5000 + shard])
    write_parquet(path, {
        **columns,
        "row_id": np.arange(start, start + rows, dtype=np.int64),
        "segment": _SEGMENTS[rng.integers(0, len(_SEGMENTS), rows)],
        "feature_a": rng.standard_normal(rows).astype(np.float32),
    })


def prepare(cache_dir: str, scenario: str, rows: int, shards: int = TRAIN_SHARDS) -> Dataset:
    """Write the dataset once (a ``_COMPLETE`` marker, written last, makes it reusable)."""
    root = os.path.join(cache_dir, f"v{GENERATOR_VERSION}", scenario, f"n{rows}")
    test_rows = min(rows, TEST_ROWS_MAX)
    dataset = Dataset(scenario, rows, os.path.join(root, "train"),
                      os.path.join(root, "test.parquet"), test_rows)
    marker = os.path.join(root, "_COMPLETE")
    if os.path.exists(marker):
        return dataset
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(dataset.train_dir)
    bounds = np.linspace(0, rows, min(shards, rows) + 1).astype(np.int64)
    for shard, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        _write_train_shard(os.path.join(dataset.train_dir, f"part-{shard:03d}.parquet"),
                           scenario, int(lo), int(hi - lo), shard)
    write_parquet(dataset.test_path, _score_columns(scenario, test_rows, seed=999_999))
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write("ok\n")
    return dataset


def prepare_csv(dataset: Dataset) -> Dataset:
    """The training shards of a parquet ``dataset`` as CSV, written once beside them.

    Each parquet shard is read with pandas and written with ``DataFrame.to_csv(index=False)``
    (float64 written by shortest round-trip repr, so the CSV parses back to the same float64;
    ``feature_a`` is float32 in parquet and written as its float32 repr). The folder is
    ``train-csv-v<CSV_VERSION>`` beside ``train``, reused when its ``_COMPLETE_CSV_v<version>``
    marker exists; the test file stays parquet (only the whole script reads CSV).
    """
    return _derived(dataset, "csv", CSV_VERSION,
                    lambda frame, path: frame.to_csv(path, index=False))


def prepare_jsonl(dataset: Dataset) -> Dataset:
    """The training shards of a parquet ``dataset`` as JSON lines, written once beside them.

    Each parquet shard is read with pandas and written with ``DataFrame.to_json(orient=
    "records", lines=True, double_precision=15)`` (15 significant digits, the most pandas
    writes: the script reads the values written, not the parquet ones). The folder is
    ``train-jsonl-v<JSONL_VERSION>`` beside ``train``, reused when its
    ``_COMPLETE_JSONL_v<version>`` marker exists.
    """
    return _derived(dataset, "jsonl", JSONL_VERSION,
                    lambda frame, path: frame.to_json(path, orient="records", lines=True,
                                                      double_precision=15))


def prepare_json(dataset: Dataset) -> Dataset:
    """The training shards of a parquet ``dataset`` as JSON arrays of records (``[{...},
    {...}]``, one line a shard), written once beside them by ``DataFrame.to_json(orient=
    "records", double_precision=15)``, into ``train-json-v<JSON_VERSION>``."""
    return _derived(dataset, "json", JSON_VERSION,
                    lambda frame, path: frame.to_json(path, orient="records",
                                                      double_precision=15))


def in_format(dataset: Dataset, fmt: str) -> Dataset:
    """The training shards of a parquet ``dataset`` in ``fmt`` (one of ``FORMATS``): the
    dataset itself for parquet, else :func:`prepare_csv`, :func:`prepare_jsonl` or
    :func:`prepare_json`'s copy."""
    if fmt == "parquet":
        return dataset
    writers = {"csv": prepare_csv, "jsonl": prepare_jsonl, "json": prepare_json}
    return writers[fmt](dataset)


def _derived(dataset: Dataset, fmt: str, version: int, write: Callable[[Any, str], None]
             ) -> Dataset:
    """The training shards of a parquet ``dataset`` in ``fmt``, each written by ``write``
    (pandas frame, path) into ``train-<fmt>-v<version>`` beside ``train`` once: reused when its
    ``_COMPLETE_<FMT>_v<version>`` marker exists."""
    import pandas as pd

    if dataset.fmt != "parquet":
        raise ValueError(f"prepare_{fmt} needs the parquet dataset; got {dataset.fmt!r}.")
    root = os.path.dirname(dataset.train_dir)
    derived = dataclasses.replace(
        dataset, train_dir=os.path.join(root, f"train-{fmt}-v{version}"), fmt=fmt)
    marker = os.path.join(root, f"_COMPLETE_{fmt.upper()}_v{version}")
    if os.path.exists(marker):
        return derived
    shutil.rmtree(derived.train_dir, ignore_errors=True)
    os.makedirs(derived.train_dir)
    for path in dataset.shard_paths():
        stem = os.path.splitext(os.path.basename(path))[0]
        write(pd.read_parquet(path), os.path.join(derived.train_dir, f"{stem}.{fmt}"))
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write(f"ok (pandas {pd.__version__})\n")
    return derived


def read_columns(paths: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """Scores and labels (as float64) of the given parquet files, reading only those columns."""
    parts = [read_float_columns(path, [SCORE_FIELD, LABEL_FIELD]) for path in paths]
    if len(parts) == 1:
        return parts[0][SCORE_FIELD], parts[0][LABEL_FIELD]
    return (np.concatenate([p[SCORE_FIELD] for p in parts]),
            np.concatenate([p[LABEL_FIELD] for p in parts]))


def read_train(dataset: Dataset) -> tuple[FloatArray, FloatArray]:
    return read_columns(dataset.shard_paths())


def read_test(dataset: Dataset) -> tuple[FloatArray, FloatArray]:
    return read_columns([dataset.test_path])
