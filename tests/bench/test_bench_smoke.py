"""Smoke test of the benchmark harness on ~1e3 rows (no timing assertions: targets live in
bench/, never in unit tests)."""

from __future__ import annotations

import json
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


# Opt-in variants: the multiclass scenario and CSV input of the whole script.


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory: pytest.TempPathFactory) -> data.Dataset:
    return data.prepare(str(tmp_path_factory.mktemp("cache-mc")), data.MULTICLASS, ROWS)


def test_multiclass_data(multiclass: data.Dataset) -> None:
    from bench.arrow import read_float_columns

    parts = [read_float_columns(p, data.fitting_fields(data.MULTICLASS))
             for p in multiclass.shard_paths()]
    assert len(parts) == data.TRAIN_SHARDS
    probs = np.column_stack([np.concatenate([p[f] for p in parts])
                             for f in data.MULTICLASS_SCORE_FIELDS])
    labels = np.concatenate([p[data.LABEL_FIELD] for p in parts])
    assert probs.shape == (ROWS, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert set(labels.tolist()) == {0.0, 1.0, 2.0}
    # over-confident: the top score's mean exceeds the accuracy of the top class
    top = probs.argmax(axis=1)
    assert probs.max(axis=1).mean() > np.mean(top == labels) + 0.03
    again, _ = data.generate_multiclass(5, seed=3)
    assert np.array_equal(again, data.generate_multiclass(5, seed=3)[0])


def test_multiclass_specs_skip_fits_and_run_script(
        multiclass: data.Dataset, tmp_path: Path) -> None:
    specs = run._specs(multiclass, fitters.OURS + fitters.PEERS, True, str(tmp_path),
                       str(tmp_path), ["temperature", "isotonic"])
    assert [s["label"] for s in specs] == ["script_temperature", "script_isotonic", "io_floor"]
    assert specs[0]["env"] == {"IS_BINARY": "false", "NUM_CLASSES": "3"}
    scalings = run._specs(multiclass, (), True, str(tmp_path), str(tmp_path),
                          ["vector", "dirichlet"])
    assert [s["method"] for s in scalings if s["kind"] == "script"] == ["vector", "dirichlet"]
    found = [{"scenario": data.MULTICLASS, "rows": ROWS, "kind": s["kind"], "label": s["label"],
              "format": s["format"], "status": "ok", "max_rss_bytes": 1,
              "result": tasks.run_task(s)} for s in specs]
    by_label = {str(m["label"]): m["result"] for m in found}
    floor = by_label["io_floor"]
    assert isinstance(floor, dict) and floor["rows"] == ROWS
    assert 32 * ROWS <= floor["fitting_columns_bytes"] <= 33 * ROWS  # 3 float64 + int64
    for method in ("temperature", "isotonic"):
        result = by_label[f"script_{method}"]
        assert isinstance(result, dict) and result["rows"] == ROWS and result["seconds"] > 0
    assert report.targets(found, [], [data.MULTICLASS], [ROWS], [ROWS]) == []
    rows = report.script_vs_floor(found)
    assert {r["run"] for r in rows} == {"script_temperature", "script_isotonic"}
    assert all(r["time_ratio"] is not None and r["memory_ratio"] is not None for r in rows)
    text = report.markdown({}, found, [], [])
    assert "## Opt-in whole-script runs vs their I/O floor" in text
    assert "| multiclass | 1e3 | parquet | script_temperature | ok |" in text


def test_multitask_scenario_runs_the_script_per_task(tmp_path: Path) -> None:
    dataset = data.prepare(str(tmp_path / "cache"), data.MULTITASK, ROWS)
    from bench.arrow import read_float_columns

    columns = read_float_columns(dataset.shard_paths()[0], data.fitting_fields(data.MULTITASK))
    assert set(columns) == set(data.MULTITASK_SCORE_FIELDS + data.MULTITASK_LABEL_FIELDS)
    for name in data.MULTITASK_LABEL_FIELDS:
        assert set(columns[name].tolist()) == {0.0, 1.0}
    scores, labels = data.generate_multitask(20_000, seed=4)
    rates = labels.mean(axis=0)  # task t's intercept 0.2 t: the positive rate grows with t
    assert rates[0] < rates[1] < rates[2]
    specs = run._specs(dataset, fitters.OURS, True, str(tmp_path), str(tmp_path),
                       ["gam", "temperature"])  # temperature: multi-class only, skipped
    assert [s["label"] for s in specs] == ["script_gam", "io_floor"]
    assert json.loads(str(specs[0]["env"]["SCORE_FIELDS"])) == list(  # type: ignore[index]
        data.MULTITASK_SCORE_FIELDS)
    found = [{"scenario": data.MULTITASK, "rows": ROWS, "kind": s["kind"], "label": s["label"],
              "format": s["format"], "status": "ok", "max_rss_bytes": 1,
              "result": tasks.run_task(s)} for s in specs]
    script = found[0]["result"]
    assert isinstance(script, dict) and script["rows"] == ROWS  # rows read (used: per task)
    floor = found[1]["result"]
    assert isinstance(floor, dict) and 48 * ROWS <= floor["fitting_columns_bytes"] <= 49 * ROWS
    assert report.targets(found, [], [data.MULTITASK], [ROWS], [ROWS]) == []
    assert "| multitask | 1e3 | parquet | script_gam | ok |" in report.markdown({}, found, [], [])


def test_csv_shards_and_floors(dataset: data.Dataset, tmp_path: Path) -> None:
    import pandas as pd

    csv = data.prepare_csv(dataset)
    assert csv.fmt == "csv" and len(csv.shard_paths()) == data.TRAIN_SHARDS
    assert data.prepare_csv(dataset) == csv  # reused
    assert data.in_format(dataset, "csv") == csv and data.in_format(dataset, "parquet") == dataset
    first = pd.read_csv(csv.shard_paths()[0])
    original = pd.read_parquet(dataset.shard_paths()[0])
    assert list(first.columns) == list(original.columns)
    assert np.array_equal(first[data.SCORE_FIELD].to_numpy(),
                          original[data.SCORE_FIELD].to_numpy())  # exact round trip
    specs = run._specs(dataset, [], True, str(tmp_path), str(tmp_path),
                       ["gam", "temperature"], csv)  # temperature: multi-class only, skipped
    assert [s["label"] for s in specs] == ["script_gam", "io_floor", "io_floor_pyarrow_csv"]
    assert all("-csv-" in str(s["name"]) for s in specs)
    found = [{"scenario": dataset.scenario, "rows": ROWS, "kind": s["kind"],
              "label": s["label"], "format": "csv", "status": "ok", "max_rss_bytes": 1,
              "result": tasks.run_task(s)} for s in specs]
    by_label = {str(m["label"]): m["result"] for m in found}
    for label in ("script_gam", "io_floor", "io_floor_pyarrow_csv"):
        result = by_label[label]
        assert isinstance(result, dict) and result["rows"] == ROWS, label
    checks = report.targets(found, [], [dataset.scenario], [ROWS], [ROWS])
    floor_check = [c for c in checks if c["target"] == "script gam time / I/O floor"]
    assert floor_check[0]["met"] is not None and "pandas" in str(floor_check[0]["note"])
    text = report.markdown({}, found, [], checks)
    assert "| nonlinear | 1e3 | csv | io_floor_pyarrow_csv | ok |" in text


def test_jsonl_shards_and_floor(dataset: data.Dataset, tmp_path: Path) -> None:
    import pandas as pd

    lines = data.prepare_jsonl(dataset)
    assert lines.fmt == "jsonl" and len(lines.shard_paths()) == data.TRAIN_SHARDS
    assert data.prepare_jsonl(dataset) == lines  # reused
    first = pd.read_json(lines.shard_paths()[0], lines=True, precise_float=True)
    original = pd.read_parquet(dataset.shard_paths()[0])
    assert list(first.columns) == list(original.columns)
    assert np.allclose(first[data.SCORE_FIELD], original[data.SCORE_FIELD], rtol=1e-14)
    specs = run._specs(dataset, [], True, str(tmp_path), str(tmp_path), ["gam"], lines)
    assert [s["label"] for s in specs] == ["script_gam", "io_floor"]
    found = [{"scenario": dataset.scenario, "rows": ROWS, "kind": s["kind"],
              "label": s["label"], "format": "jsonl", "status": "ok", "max_rss_bytes": 1,
              "result": tasks.run_task(s)} for s in specs]
    for m in found:
        result = m["result"]
        assert isinstance(result, dict) and result["rows"] == ROWS, m["label"]
    checks = report.targets(found, [], [dataset.scenario], [ROWS], [ROWS])
    floor_check = [c for c in checks if c["target"] == "script gam time / I/O floor"]
    assert "read_json" in str(floor_check[0]["note"])


def test_run_main_with_opt_in_flags(tmp_path: Path) -> None:
    """The whole runner (children included) on the multiclass scenario with CSV input."""
    out = tmp_path / "out"
    code = run.main(["--sizes", "1000", "--fitters", "ours_gam", "--script-sizes", "1000",
                     "--scenarios", "multiclass", "--script-methods", "temperature",
                     "--script-format", "csv", "--cache-dir", str(tmp_path / "cache"),
                     "--out", str(out), "--name", "smoke", "--timeout", "120",
                     "--script-repeats", "2"])
    assert code == 0
    payload = json.loads((out / "smoke.json").read_text(encoding="utf-8"))
    labels = {(m["label"], m["format"], m["status"]) for m in payload["measurements"]}
    for m in payload["measurements"]:  # best of 2 runs: the fastest one's seconds
        if m["kind"] in ("script", "io_floor"):
            runs = m["result"]["seconds_all"]
            assert len(runs) == 2 and m["result"]["seconds"] == min(runs)
    assert labels == {("script_temperature", "csv", "ok"), ("io_floor", "csv", "ok"),
                      ("io_floor_pyarrow_csv", "csv", "ok")}
    assert payload["meta"]["script_format"] == "csv" and payload["targets"] == []
    assert len(payload["script_vs_floor"]) == 2
    assert "script_temperature" in (out / "smoke.md").read_text(encoding="utf-8")
