"""A binary run streamed over its parquet files (``streaming.run_binary_streamed``) gives the
outputs of the binned run that holds its rows; isotonic ships its fit on the bins there.

The thresholds are lowered so that both run on a few thousand rows, with chunks of 1,000 rows
(files of other sizes, so that chunks span files) and coarse bins.
"""

from __future__ import annotations

import argparse
import glob
import os
from collections.abc import Mapping
from typing import Optional

import numpy as np
import pandas as pd
import pytest

from bench.sharded import without_timings
from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import (CALIBRATOR_FILE, METRICS_FILE,
                                               ModelCalibrationOutput)
from calibration_step.script.model_calibration import limits, reading, rowbins
from calibration_step.script.model_calibration.rowpasses import aligned_chunks
from tests.script.synthetic import assert_json_close, read_json, scenario
from tests.script.test_sharded_phases import (CAL_OUT, DATA_OUT, EVAL, METRICS_OUT, MODEL,
                                              _sharded)
SIZES = [("a.parquet", 2500), ("b/c.parquet", 3100), ("d.parquet", 1700), ("e.parquet", 2900)]


@pytest.fixture(autouse=True)
def _small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 1000)
    monkeypatch.setattr(rowbins, "ROW_BINS", 256)
    monkeypatch.setattr(rowbins, "ROW_BIN_MAX_WIDTH", 1.0)


def _files(folder: str, saturated: bool = False) -> str:
    """Parquet files with missing scores, labels and weights and a passthrough column."""
    rng = np.random.default_rng(5)
    for i, (name, rows) in enumerate(SIZES):
        s, y, _ = scenario("nonlinear", rows, seed=20 + i)
        if saturated:
            s[::50] = 1.0
            s[7::50] = 0.0
        frame = pd.DataFrame({"prob_class_1": s, "label": y, "w": rng.uniform(0.5, 2.0, rows),
                              "row_id": np.arange(rows)})
        _save(frame, os.path.join(folder, name), {"prob_class_1": 97, "label": 89, "w": 83})
    return folder


def _save(frame: pd.DataFrame, path: str, missing_every: Mapping[str, int]) -> None:
    """Write ``frame`` as parquet with every ``k``-th value of each column given missing."""
    for column, every in missing_every.items():
        frame.loc[frame.index[::every], column] = np.nan
    os.makedirs(os.path.dirname(path), exist_ok=True)
    frame.to_parquet(path, index=False)


def _run(inputs: Mapping[str, str], root: str, env: Mapping[str, str], streamed: bool,
         monkeypatch: pytest.MonkeyPatch, job_type: str = "calibration",
         expect_streamed: Optional[bool] = None) -> dict[str, str]:
    """The script's outputs, streamed from 1 row or never; the run streamed as ``streamed``
    says unless ``expect_streamed`` says otherwise."""
    monkeypatch.setattr(limits, "STREAM_MIN_ROWS", 1 if streamed else 1 << 40)
    outputs = {o.value: os.path.join(root, o.value) for o in ModelCalibrationOutput}
    mc.main(dict(inputs), outputs, dict(env), argparse.Namespace(job_type=job_type))
    metrics = read_json(os.path.join(outputs[METRICS_OUT], METRICS_FILE))
    timings = metrics["timings"]
    expected = streamed if expect_streamed is None else expect_streamed
    assert isinstance(timings, dict) and timings.get("streamed", False) is expected
    return outputs


def assert_same_json(ours: Mapping[str, str], theirs: Mapping[str, str]) -> None:
    """Equal calibrators and metrics; weight sums (``rows``) are summed chunk by chunk when
    streamed, so they may differ in the last bits (1e-12 relative), every fitted figure equal
    to the bit."""
    a, b = (without_timings(read_json(os.path.join(out[CAL_OUT], CALIBRATOR_FILE)))
            for out in (ours, theirs))
    assert isinstance(a, dict) and isinstance(b, dict)
    assert_json_close(a.pop("rows"), b.pop("rows"))
    assert a == b
    assert_json_close(without_timings(read_json(os.path.join(ours[METRICS_OUT], METRICS_FILE))),
                      without_timings(read_json(os.path.join(theirs[METRICS_OUT], METRICS_FILE))))


def _assert_same(ours: Mapping[str, str], theirs: Mapping[str, str]) -> None:
    """Equal outputs (:func:`assert_same_json`, and the calibrated files)."""
    assert_same_json(ours, theirs)
    for name, _ in SIZES:
        pd.testing.assert_frame_equal(pd.read_parquet(os.path.join(ours[DATA_OUT], name)),
                                      pd.read_parquet(os.path.join(theirs[DATA_OUT], name)))


def recorded_fields(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The ``fields`` of every ``read_frame`` call from now on."""
    asked: list[object] = []
    read_frame = reading.read_frame

    def recording(path: str, fmt: str, fields: object = None) -> object:
        asked.append(fields)
        return read_frame(path, fmt, fields)  # type: ignore[arg-type]

    monkeypatch.setattr(reading, "read_frame", recording)
    return asked


@pytest.mark.parametrize("env", [
    {"CALIBRATION_METHOD": "gam"},
    {"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w"},
    {"CALIBRATION_METHOD": "beta", "NEGATIVE_SAMPLING_RATE": "0.25"},
    {"CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["identity", "platt", "gam"]',
     "WEIGHT_FIELD": "w", "NEGATIVE_SAMPLING_RATE": "0.5"},
    {"CALIBRATION_METHOD": "platt", "SCORE_SPACE": "logit"},
], ids=["gam", "platt-weighted", "beta-sampled", "auto-weighted-sampled", "platt-logit"])
def test_the_streamed_run_equals_the_binned_run_holding_the_rows(
        tmp_path: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    held = _run({EVAL: data}, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run({EVAL: data}, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    _assert_same(streamed, held)


def test_saturated_scores_clip_as_when_the_rows_are_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"), saturated=True)
    env = {"CALIBRATION_METHOD": "platt"}
    held = _run({EVAL: data}, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run({EVAL: data}, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    calibrator = read_json(os.path.join(streamed[CAL_OUT], CALIBRATOR_FILE))
    epsilon = calibrator["clip_epsilon"]
    assert isinstance(epsilon, float) and epsilon > 1e-15  # set by the scores next to 0 and 1
    _assert_same(streamed, held)


def test_a_given_calibrator_is_evaluated_streamed_as_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    fitted = _run({EVAL: data}, os.path.join(tmp_path, "fit"), {"CALIBRATION_METHOD": "gam"},
                  False, monkeypatch)
    inputs = {EVAL: data, MODEL: fitted[CAL_OUT]}
    held = _run(inputs, os.path.join(tmp_path, "held"), {}, False, monkeypatch, "validation")
    streamed = _run(inputs, os.path.join(tmp_path, "streamed"), {}, True, monkeypatch,
                    "validation")
    _assert_same(streamed, held)


def test_streamed_isotonic_ships_its_fit_on_the_bins(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    env = {"CALIBRATION_METHOD": "isotonic"}
    held = _run({EVAL: data}, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run({EVAL: data}, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    ours = read_json(os.path.join(streamed[CAL_OUT], CALIBRATOR_FILE))
    exact = read_json(os.path.join(held[CAL_OUT], CALIBRATOR_FILE))
    assert ours["fit"]["row_bins"]["bins"] == 256  # type: ignore[index]
    assert "row_bins" not in exact["fit"]  # type: ignore[operator]
    # the cross-fitted metrics are the bins' in both runs
    assert read_json(os.path.join(streamed[METRICS_OUT], METRICS_FILE))["calibrated"] == \
        read_json(os.path.join(held[METRICS_OUT], METRICS_FILE))["calibrated"]
    name = SIZES[0][0]
    a = pd.read_parquet(os.path.join(streamed[DATA_OUT], name))["calibrated_prob_class_1"]
    b = pd.read_parquet(os.path.join(held[DATA_OUT], name))["calibrated_prob_class_1"]
    assert float(np.nanmax(np.abs(a - b))) < 0.15  # 256 coarse bins of ~35 rows
    assert float(np.nanmean(np.abs(a - b))) < 0.02


def test_the_streamed_run_never_reads_a_fitting_column_whole(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    asked = recorded_fields(monkeypatch)
    _run({EVAL: data}, os.path.join(tmp_path, "out"), {}, True, monkeypatch)
    assert asked == [[]] * len(SIZES)  # footers only; the columns come in batches


def test_too_few_kept_rows_are_read_and_fitted_as_usual(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1 << 40)
    outputs = {o.value: os.path.join(tmp_path, "out", o.value) for o in ModelCalibrationOutput}
    monkeypatch.setattr(limits, "STREAM_MIN_ROWS", 1)
    mc.main({EVAL: data}, outputs, {"CALIBRATION_METHOD": "isotonic"},
            argparse.Namespace(job_type="calibration"))
    metrics = read_json(os.path.join(outputs[METRICS_OUT], METRICS_FILE))
    assert "streamed" not in metrics["timings"]  # type: ignore[operator]
    assert metrics["calibrated"]["row_bins"] is None  # type: ignore[index]
    assert len(glob.glob(os.path.join(outputs[DATA_OUT], "**", "*.parquet"),
                         recursive=True)) == len(SIZES)


def test_aligned_chunks_cut_pieces_at_every_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 4)
    pieces = [(np.arange(a, b), None, np.arange(a, b) * 2.0)
              for a, b in [(0, 3), (3, 3), (3, 13), (13, 14)]]
    chunks = list(aligned_chunks(pieces))
    assert [c[0].tolist() for c in chunks if c[0] is not None] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13]]
    assert all(c[1] is None for c in chunks)
    doubled = chunks[1][2]
    assert doubled is not None and doubled.tolist() == [8.0, 10.0, 12.0, 14.0]


def test_parquet_shards_are_written_batch_by_batch_as_one_table_would_be(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs

    data = _files(os.path.join(tmp_path, "data"))
    indexed = pd.DataFrame({"prob_class_1": [0.2, 0.7], "label": [0, 1], "w": [1.0, 1.0],
                            "row_id": [1, 2]}, index=pd.Index([5, 9], name="key"))
    indexed.to_parquet(os.path.join(data, "f.parquet"))  # a pandas index column, dropped
    indexed.iloc[:0].to_parquet(os.path.join(data, "g.parquet"))  # no rows
    env = {"CALIBRATION_METHOD": "gam"}
    whole = _run({EVAL: data}, os.path.join(tmp_path, "whole"), env, True, monkeypatch)
    monkeypatch.setattr(limits, "WRITE_CHUNK_ROWS", 700)
    batched = _run({EVAL: data}, os.path.join(tmp_path, "batched"), env, True, monkeypatch)
    for name in [n for n, _ in SIZES] + ["f.parquet", "g.parquet"]:
        ours, theirs = (os.path.join(out[DATA_OUT], name) for out in (batched, whole))
        assert pq.read_schema(ours) == pq.read_schema(theirs)
        pd.testing.assert_frame_equal(pd.read_parquet(ours), pd.read_parquet(theirs))
        assert pq.read_table(ours).column_names == ["prob_class_1", "label", "w", "row_id",
                                                    "calibrated_prob_class_1"]
    assert pq.ParquetFile(os.path.join(batched[DATA_OUT], "a.parquet")).num_row_groups == 4
    # a dictionary only for the columns of few distinct values (dictionary_columns)
    group = pq.ParquetFile(os.path.join(batched[DATA_OUT], "a.parquet")).metadata.row_group(0)
    assert {group.column(j).path_in_schema: group.column(j).has_dictionary_page
            for j in range(group.num_columns)} == {
        "prob_class_1": False, "label": True, "w": False, "row_id": False,
        "calibrated_prob_class_1": False}
    # compressed only where snappy pays (column_compression): not the continuous floats
    assert {group.column(j).path_in_schema: group.column(j).compression
            for j in range(group.num_columns)} == {
        "prob_class_1": "UNCOMPRESSED", "label": "SNAPPY", "w": "UNCOMPRESSED",
        "row_id": "SNAPPY", "calibrated_prob_class_1": "UNCOMPRESSED"}


def _multitask_files(folder: str) -> str:
    """Two tasks with their own missing scores and labels, one label column shared."""
    rng = np.random.default_rng(8)
    for i, (name, rows) in enumerate(SIZES):
        s1, y1, _ = scenario("nonlinear", rows, seed=40 + i)
        s2, _, _ = scenario("linear", rows, seed=50 + i)
        frame = pd.DataFrame({"s1": s1, "s2": s2, "y1": y1, "w": rng.uniform(0.5, 2.0, rows)})
        _save(frame, os.path.join(folder, name), {"s1": 61, "s2": 53, "y1": 71})
    return folder


@pytest.mark.parametrize("method", ["gam", "platt"])
def test_a_multitask_run_streamed_equals_the_binned_run_holding_the_rows(
        tmp_path: str, method: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _multitask_files(os.path.join(tmp_path, "data"))
    env = {"CALIBRATION_METHOD": method, "SCORE_FIELDS": '["s1", "s2"]',
           "TASK_LABEL_NAMES": '["y1", "y1"]', "WEIGHT_FIELD": "w"}
    held = _run({EVAL: data}, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run({EVAL: data}, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    _assert_same(streamed, held)
    inputs = {EVAL: data, MODEL: held[CAL_OUT]}
    given_env = {k: v for k, v in env.items() if k != "CALIBRATION_METHOD"}
    applied_held = _run(inputs, os.path.join(tmp_path, "applied-held"), given_env, False,
                        monkeypatch, "testing")
    applied = _run(inputs, os.path.join(tmp_path, "applied"), given_env, True, monkeypatch,
                   "testing")
    _assert_same(applied, applied_held)


@pytest.mark.parametrize("instances", [1, 3])
def test_a_sharded_fit_phase_streams_its_statistics_as_the_single_run_streams_its_files(
        tmp_path: str, instances: int, monkeypatch: pytest.MonkeyPatch,
        no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    env = {"CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["platt", "gam"]',
           "WEIGHT_FIELD": "w"}
    single = _run({EVAL: data}, os.path.join(tmp_path, "single"), env, True, monkeypatch)
    sharded = _sharded(data, os.path.join(tmp_path, "sharded"), env, instances)
    metrics = read_json(os.path.join(sharded[METRICS_OUT], METRICS_FILE))
    assert metrics["timings"]["streamed"] is True  # type: ignore[index]
    _assert_same(sharded, single)
