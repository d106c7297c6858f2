"""Smoke test of the benchmark harness on ~1e3 rows (no timing assertions: targets live in
bench/, never in unit tests)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from bench import data, fitters, report, run, tasks
from bench.child import run_child

ROWS = 1_000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> data.Dataset:
    return data.prepare(str(tmp_path_factory.mktemp("cache")), "nonlinear", ROWS)


def test_data_is_deterministic_and_cached(dataset: data.Dataset, tmp_path: Path) -> None:
    again = data.prepare(str(tmp_path), "nonlinear", ROWS)
    first, second = data.read_train(dataset), data.read_train(again)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert len(dataset.shard_paths()) == data.TRAIN_SHARDS
    assert first[0].shape == (ROWS,) and data.read_test(dataset)[0].shape == (ROWS,)
    assert data.prepare(str(tmp_path), "nonlinear", ROWS) == again  # reused, not rewritten


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="scenario must be one of linear, nonlinear; got 'x'"):
        data.true_logit("x", np.zeros(1))


@pytest.fixture(scope="module")
def measurements(dataset: data.Dataset, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[list[dict[str, object]], str]:
    preds = str(tmp_path_factory.mktemp("preds"))
    scratch = str(tmp_path_factory.mktemp("scratch"))
    out: list[dict[str, object]] = []
    for spec in run._specs(dataset, fitters.OURS + fitters.PEERS, True, preds, scratch):
        out.append({"scenario": dataset.scenario, "rows": ROWS, "kind": spec["kind"],
                    "label": spec["label"], "status": "ok", "max_rss_bytes": 1,
                    "result": tasks.run_task(spec)})
    return out, preds


def test_fit_tasks_report_times_and_log_loss(
        measurements: tuple[list[dict[str, object]], str]) -> None:
    fits = {str(m["label"]): m["result"] for m in measurements[0] if m["kind"] == "fit"}
    assert set(fits) == set(fitters.FITTERS)
    for label, result in fits.items():
        assert isinstance(result, dict)
        assert 0.4 < result["test_log_loss"] < 0.8, label
        assert result["fit_seconds"] > 0 and result["apply_rows_per_second"] > 0
        assert ("interp_rows_per_second" in result) == (label in fitters.OURS)


def test_agreement_targets_and_markdown(
        measurements: tuple[list[dict[str, object]], str]) -> None:
    found, preds = measurements
    agreement = run.agreement_rows(found, preds)
    pairs = {(row["ours"], row["peer"]): row["max_abs_diff"] for row in agreement}
    assert float(str(pairs[("ours_isotonic", "sklearn_isotonic")])) <= 1e-9
    assert float(str(pairs[("ours_platt", "sklearn_logistic_newton")])) <= 1e-6
    checks = report.targets(found, agreement, ["nonlinear"], [ROWS], [ROWS])
    names = {str(c["target"]) for c in checks}
    assert "script gam time / I/O floor" in names
    assert all(c["met"] is not None for c in checks)
    text = report.markdown({"sizes": ["1e3"]}, found, agreement, checks)
    assert "| nonlinear | 1e3 | pygam_gam | ok |" in text and "## Targets" in text


def test_script_and_io_floor_tasks(measurements: tuple[list[dict[str, object]], str]) -> None:
    by_label = {str(m["label"]): m["result"] for m in measurements[0]}
    script, floor = by_label["script_gam"], by_label["io_floor"]
    assert isinstance(script, dict) and isinstance(floor, dict)
    assert script["rows"] == ROWS and floor["rows"] == ROWS
    assert 16 * ROWS <= floor["fitting_columns_bytes"] <= 17 * ROWS  # float64 + int64 (+ buffers)
    assert math.isfinite(script["seconds"]) and script["peak_rss_bytes"] > 0
    assert script["timings"] and all(isinstance(t, float) for t in script["timings"].values())


def test_child_runs_a_task_under_limits(dataset: data.Dataset, tmp_path: Path) -> None:
    spec = {"name": "io", "kind": "io_floor", "train": dataset.shard_paths(),
            "scratch": str(tmp_path)}
    outcome = run_child(spec, str(tmp_path / "work"), timeout_seconds=120,
                        memory_bytes=8 * 1024**3)
    assert outcome.status == "ok", outcome.error
    assert outcome.result["rows"] == ROWS and outcome.max_rss_bytes > 0
    failing = run_child({"name": "bad", "kind": "io_floor", "train": ["/nonexistent.parquet"],
                         "scratch": str(tmp_path)}, str(tmp_path / "work"), 120, 8 * 1024**3)
    assert failing.status == "failed" and "nonexistent" in failing.error
    assert os.path.exists(tmp_path / "work" / "bad.log")
