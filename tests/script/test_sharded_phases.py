"""A run sharded over instances (statistics, fit, apply phases) gives the single run's outputs."""

from __future__ import annotations

import argparse
import glob
import os
import shutil
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from bench.sharded import without_timings
from calibration_step.script import model_calibration as mc
from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.interface import (CALIBRATOR_FILE, METRICS_FILE, SUMMARY_FILE,
                                               ModelCalibrationInput, ModelCalibrationOutput)
from calibration_step.script.model_calibration import limits, rowbins
from tests.script.synthetic import assert_json_close, multiclass_scenario, read_json, scenario

EVAL = ModelCalibrationInput.EVALUATION_DATA.value
MODEL = ModelCalibrationInput.CALIBRATION_MODEL.value
CAL_OUT = ModelCalibrationOutput.CALIBRATION_OUTPUT.value
METRICS_OUT = ModelCalibrationOutput.METRICS_OUTPUT.value
DATA_OUT = ModelCalibrationOutput.CALIBRATED_DATA.value


def _run(inputs: Mapping[str, str], root: str, env: Mapping[str, str], phase: str = "all"
         ) -> dict[str, str]:
    outputs = {o.value: os.path.join(root, o.value) for o in ModelCalibrationOutput}
    mc.main(dict(inputs), outputs, dict(env), argparse.Namespace(job_type="calibration",
                                                                 phase=phase))
    return outputs


def _binary_files(folder: str) -> None:
    """Five shards, csv and parquet, with missing scores, labels and weights."""
    rng = np.random.default_rng(3)
    for i, (name, rows) in enumerate([("a.csv", 700), ("b/c.parquet", 1200), ("b/d.csv", 300),
                                      ("e.parquet", 900), ("f.csv", 450)]):
        s, y, _ = scenario("nonlinear", rows, seed=10 + i)
        frame = pd.DataFrame({"prob_class_1": s, "label": y, "w": rng.uniform(0.5, 2.0, rows),
                              "row_id": np.arange(rows)})
        frame.loc[frame.index[::97], "prob_class_1"] = np.nan
        frame.loc[frame.index[::89], "label"] = np.nan
        frame.loc[frame.index[::83], "w"] = np.nan
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if name.endswith(".csv"):
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)


def _multiclass_files(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for i, rows in enumerate([800, 500, 1100]):
        scores, labels, _ = multiclass_scenario(rows, seed=20 + i)
        frame = pd.DataFrame({f"p_{c}": scores[:, k] for k, c in enumerate(["cat", "dog", "owl"])})
        frame["label"] = np.array(["cat", "dog", "owl"])[labels]
        frame.to_parquet(os.path.join(folder, f"part-{i}.parquet"), index=False)


def _multitask_files(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for i, rows in enumerate([900, 1300]):
        s1, y1, _ = scenario("linear", rows, seed=30 + i)
        s2, y2, _ = scenario("nonlinear", rows, seed=40 + i)
        pd.DataFrame({"s1": s1, "y1": y1, "s2": s2, "y2": y2}).to_csv(
            os.path.join(folder, f"part-{i}.csv"), index=False)


def _sharded(data: str, root: str, env: Mapping[str, str], instances: int) -> dict[str, str]:
    """The three phases over ``instances`` instances (files dealt round-robin by sorted name, as
    ShardedByS3Key does); the fit's outputs plus ``calibrated_data``, every instance's."""
    files = sorted(os.path.relpath(p, data) for p in glob.glob(os.path.join(data, "**", "*.*"),
                                                              recursive=True))
    statistics = os.path.join(root, "statistics")
    calibrated = os.path.join(root, "calibrated")
    os.makedirs(statistics)
    for i in range(instances):
        own = os.path.join(root, f"input-{i}")
        os.makedirs(own)
        for relative in files[i::instances]:
            os.makedirs(os.path.dirname(os.path.join(own, relative)), exist_ok=True)
            shutil.copy(os.path.join(data, relative), os.path.join(own, relative))
        out = _run({EVAL: own}, os.path.join(root, f"statistics-{i}"), env, "statistics")
        for name in os.listdir(out[CAL_OUT]):  # the upload of every instance to one prefix
            shutil.copy(os.path.join(out[CAL_OUT], name), statistics)
    fit = _run({EVAL: statistics}, os.path.join(root, "fit"), env, "fit")
    for i in range(instances):
        out = _run({EVAL: os.path.join(root, f"input-{i}"), MODEL: fit[CAL_OUT]},
                   os.path.join(root, f"apply-{i}"), env, "apply")
        shutil.copytree(out[DATA_OUT], calibrated, dirs_exist_ok=True)
    return {**fit, DATA_OUT: calibrated}


def _assert_same_as_single(data: str, root: str, env: Mapping[str, str], instances: int
                           ) -> None:
    single = _run({EVAL: data}, os.path.join(root, "single"), env)
    sharded = _sharded(data, os.path.join(root, f"sharded-{instances}"), env, instances)
    # equal but for the fit's own timing (and so the checksum over it)
    assert without_timings(read_json(os.path.join(sharded[CAL_OUT], CALIBRATOR_FILE))) == \
        without_timings(read_json(os.path.join(single[CAL_OUT], CALIBRATOR_FILE)))
    assert_json_close(without_timings(read_json(os.path.join(sharded[METRICS_OUT], METRICS_FILE))),
                  without_timings(read_json(os.path.join(single[METRICS_OUT], METRICS_FILE))))
    summary = read_json(os.path.join(sharded[METRICS_OUT], SUMMARY_FILE))
    assert summary["rows_written"] == 0 and summary["files"][DATA_OUT] == []  # type: ignore[index]
    written = sorted(os.path.relpath(p, single[DATA_OUT]) for p in glob.glob(
        os.path.join(single[DATA_OUT], "**", "*.*"), recursive=True))
    for relative in written:
        ours, theirs = (os.path.join(folder, relative) for folder in (sharded[DATA_OUT],
                                                                      single[DATA_OUT]))
        read = pd.read_parquet if relative.endswith(".parquet") else pd.read_csv
        pd.testing.assert_frame_equal(read(ours), read(theirs))


@pytest.mark.parametrize("instances", [1, 2, 4])
def test_binary_weighted_auto_sharded_equals_the_single_run(tmp_path: str, instances: int,
                                                            no_plot: list[int]) -> None:
    data = os.path.join(tmp_path, "data")
    _binary_files(data)
    env = {"CALIBRATION_METHOD": "auto", "WEIGHT_FIELD": "w",
           "AUTO_CANDIDATES": '["platt", "isotonic", "gam"]'}
    _assert_same_as_single(data, str(tmp_path), env, instances)


def test_binary_on_row_bins_sharded_equals_the_single_run(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1)
    monkeypatch.setattr(rowbins, "ROW_BINS", 256)
    monkeypatch.setattr(rowbins, "ROW_BIN_MAX_WIDTH", 1.0)
    data = os.path.join(tmp_path, "data")
    _binary_files(data)
    _assert_same_as_single(data, str(tmp_path), {"CALIBRATION_METHOD": "gam"}, 3)


def test_multiclass_with_named_classes_sharded_equals_the_single_run(
        tmp_path: str, no_plot: list[int]) -> None:
    data = os.path.join(tmp_path, "data")
    _multiclass_files(data)
    env = {"IS_BINARY": "false", "CALIBRATION_METHOD": "temperature", "SCORE_FIELD_PREFIX": "p_",
           "MULTICLASS_CATEGORIES": '["cat", "dog", "owl"]'}
    _assert_same_as_single(data, str(tmp_path), env, 2)


def test_multitask_sharded_equals_the_single_run(tmp_path: str, no_plot: list[int]) -> None:
    data = os.path.join(tmp_path, "data")
    _multitask_files(data)
    env = {"CALIBRATION_METHOD": "isotonic", "SCORE_FIELDS": '["s1", "s2"]',
           "TASK_LABEL_NAMES": '["y1", "y2"]'}
    _assert_same_as_single(data, str(tmp_path), env, 2)


def test_an_instance_without_files_writes_only_its_record(tmp_path: str) -> None:
    empty = os.path.join(tmp_path, "empty")
    os.makedirs(empty)
    out = _run({EVAL: empty}, os.path.join(tmp_path, "out"), {}, "statistics")
    assert os.listdir(out[CAL_OUT]) == []
    [record] = os.listdir(out[METRICS_OUT])
    assert record.startswith("statistics-") and read_json(
        os.path.join(out[METRICS_OUT], record))["files"] == []


def test_the_fit_phase_refuses_missing_repeated_or_foreign_statistics(tmp_path: str) -> None:
    data = os.path.join(tmp_path, "data")
    _binary_files(data)
    stats = _run({EVAL: data}, os.path.join(tmp_path, "stats"), {}, "statistics")[CAL_OUT]
    empty = os.path.join(tmp_path, "empty")
    os.makedirs(empty)
    with pytest.raises(CalibrationScriptError, match="no statistics-\\*.parquet file") as info:
        _run({EVAL: empty}, os.path.join(tmp_path, "fit-empty"), {}, "fit")
    assert info.value.code == "MC-E217-STATISTICS-INVALID"
    [name] = os.listdir(stats)
    shutil.copy(os.path.join(stats, name), os.path.join(stats, "statistics-copy.parquet"))
    with pytest.raises(CalibrationScriptError, match="5 data files are in two statistics files"):
        _run({EVAL: stats}, os.path.join(tmp_path, "fit-twice"), {}, "fit")
    os.remove(os.path.join(stats, "statistics-copy.parquet"))
    with pytest.raises(CalibrationScriptError, match="holds the columns .*this job fits on"):
        _run({EVAL: stats}, os.path.join(tmp_path, "fit-other"), {"WEIGHT_FIELD": "w"}, "fit")


def test_a_bad_phase_and_an_apply_phase_without_a_calibrator_are_refused(tmp_path: str) -> None:
    data = os.path.join(tmp_path, "data")
    _multitask_files(data)
    with pytest.raises(CalibrationScriptError, match="phase 'map' is not accepted") as info:
        _run({EVAL: data}, os.path.join(tmp_path, "a"), {}, "map")
    assert info.value.code == "MC-E107-INVALID-PHASE"
    with pytest.raises(CalibrationScriptError, match="missing input path calibration_model"):
        _run({EVAL: data}, os.path.join(tmp_path, "b"), {}, "apply")


def test_the_apply_phase_refuses_files_without_the_score_column(tmp_path: str) -> None:
    data = os.path.join(tmp_path, "data")
    _multitask_files(data)
    env = {"SCORE_FIELDS": '["s1", "s2"]', "TASK_LABEL_NAMES": '["y1", "y2"]'}
    fitted = _run({EVAL: data}, os.path.join(tmp_path, "whole"), env)
    other = os.path.join(tmp_path, "other")
    os.makedirs(other)
    pd.read_csv(os.path.join(data, "part-0.csv")).drop(columns=["s2"]).to_csv(
        os.path.join(other, "part-0.csv"), index=False)
    with pytest.raises(CalibrationScriptError, match="s2") as info:
        _run({EVAL: other, MODEL: fitted[CAL_OUT]}, os.path.join(tmp_path, "apply"), env, "apply")
    assert info.value.code == "MC-E205-MISSING-COLUMN"
    assert all(os.listdir(os.path.join(tmp_path, "apply", o.value)) == []
               for o in ModelCalibrationOutput)


def test_a_column_that_is_a_score_and_a_label_is_refused_by_the_statistics_phase(
        tmp_path: str) -> None:
    data = os.path.join(tmp_path, "data")
    _multiclass_files(data)
    env = {"IS_BINARY": "false", "SCORE_FIELD_PREFIX": "p_", "LABEL_FIELD": "p_cat",
           "MULTICLASS_CATEGORIES": '["cat", "dog", "owl"]'}
    with pytest.raises(CalibrationScriptError, match="'p_cat' is both a score and a label"):
        _run({EVAL: data}, os.path.join(tmp_path, "out"), env, "statistics")


@pytest.mark.parametrize("phase", ["statistics", "all"])
def test_a_phase_into_outputs_another_run_holds_fails_early_and_changes_nothing(tmp_path: str,
                                                                              phase: str) -> None:
    from calibration_step.script.model_calibration.locking import OutputLock

    data = os.path.join(tmp_path, "data")
    _binary_files(data)
    root = os.path.join(tmp_path, "out")
    outputs = {o.value: os.path.join(root, o.value) for o in ModelCalibrationOutput}
    for folder in outputs.values():
        os.makedirs(folder)
    with OutputLock(outputs):
        before = {name: sorted(os.listdir(folder)) for name, folder in outputs.items()}
        with pytest.raises(CalibrationScriptError, match="MC-E504-OUTPUT-IN-USE"):
            _run({EVAL: data}, root, {"WEIGHT_FIELD": "w"}, phase)
        assert {name: sorted(os.listdir(folder)) for name, folder in outputs.items()} == before
    assert all(os.listdir(folder) == [] for folder in outputs.values())  # the lock files go with it
