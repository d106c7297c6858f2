"""Deterministic benchmark data, written once as parquet into a cache folder.

Every comparison of the benchmark reads the same files: per scenario and size, a training set of
``n`` rows split into ``TRAIN_SHARDS`` parquet shards (score, label and three passthrough
columns, the input of the whole script) and a held-out test set of ``min(n, TEST_ROWS_MAX)``
rows (score and label) drawn from the same generator with another seed.

Scenarios (scores ~ Beta(2, 2), continuous float64, so almost every score is unique: the worst
case for aggregation by unique score):

- ``linear``: true probability ``sigmoid(0.5 logit(s) + 0.6)`` (logit-linear, platt is exact);
- ``nonlinear``: true logit ``0.5 logit(s) + 0.8 + 0.3 tanh(2 logit(s))`` (monotone, not
  logit-linear).

Examples
--------
>>> scores, labels = generate("linear", 5, seed=1)
>>> scores.shape, sorted(set(labels.tolist())) <= [0, 1]
((5,), True)
>>> bool(np.array_equal(generate("linear", 5, seed=1)[0], scores))
True
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bench.arrow import read_float_columns, write_parquet

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SCENARIOS = ("linear", "nonlinear")
SCORE_FIELD = "prob_class_1"
LABEL_FIELD = "label"
PASSTHROUGH_FIELDS = ("row_id", "segment", "feature_a")
TRAIN_SHARDS = 10
TEST_ROWS_MAX = 1_000_000
# Bump when the generator changes: cached files of another version are not reused.
GENERATOR_VERSION = 1
_SEGMENTS = np.array(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"])
_SCENARIO_SEED = {"linear": 11, "nonlinear": 23}


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


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Where one (scenario, size) lives: the training shards' folder and the test file."""

    scenario: str
    rows: int
    train_dir: str
    test_path: str
    test_rows: int

    def shard_paths(self) -> list[str]:
        return sorted(os.path.join(self.train_dir, f) for f in os.listdir(self.train_dir)
                      if f.endswith(".parquet"))


def _write_train_shard(path: str, scenario: str, start: int, rows: int, shard: int) -> None:
    scores, labels = generate(scenario, rows, seed=1000 + shard)
    rng = np.random.default_rng([_SCENARIO_SEED[scenario], 5000 + shard])
    write_parquet(path, {
        SCORE_FIELD: scores,
        LABEL_FIELD: labels,
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
    scores, labels = generate(scenario, test_rows, seed=999_999)
    write_parquet(dataset.test_path, {SCORE_FIELD: scores, LABEL_FIELD: labels})
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write("ok\n")
    return dataset


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
