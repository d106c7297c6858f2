"""End-to-end outputs: layout, formats per shard, staging, empty outputs on error."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import modes, staging
from calibration_step.script.model_calibration import runner
from calibration_step.script.model_calibration.metrics import binary_metrics
from calibration_step.script.interface import (
    CALIBRATOR_FILE, METRICS_FILE, RELIABILITY_DIAGRAM_FILE, REPORT_FILE, SUMMARY_FILE, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration.staging import (PUBLISH_JOURNAL, STAGING_PREFIX,
                                                               Staging)
from calibration_step.script.model_calibration.writing import with_columns, write_json
from tests.script.synthetic import read_csv_exact, read_json, run_main, scenario, visible


def _input(tmp_path: str) -> str:
    s, y, _ = scenario("nonlinear", 6000, seed=51)
    folder = os.path.join(tmp_path, "in")
    os.makedirs(os.path.join(folder, "b"))
    frame = pd.DataFrame({"prob_class_1": s, "label": y.astype(int), "id": np.arange(s.size)})
    frame.iloc[:3000].to_csv(os.path.join(folder, "a.csv"), index=False)
    frame.iloc[3000:].to_parquet(os.path.join(folder, "b", "c.parquet"), index=False)
    return folder


def test_outputs_layout_and_calibrated_data_per_shard(tmp_path: str) -> None:
    out = run_main(_input(tmp_path), os.path.join(tmp_path, "out"), {"CALIBRATION_METHOD": "gam"})
    assert visible(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]) == [CALIBRATOR_FILE]
    assert visible(out[ModelCalibrationOutput.METRICS_OUTPUT.value]) == sorted(
        [METRICS_FILE, RELIABILITY_DIAGRAM_FILE, REPORT_FILE, SUMMARY_FILE])
    assert visible(out[ModelCalibrationOutput.CALIBRATED_DATA.value]) == ["a.csv", "b"]
    cal = mc.load_calibrator(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    part_a = read_csv_exact(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "a.csv"))
    part_b = pd.read_parquet(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "b", "c.parquet"))
    assert len(part_a) == 3000 and len(part_b) == 3000
    for part in (part_a, part_b):
        np.testing.assert_allclose(part["calibrated_prob_class_1"],
                                   mc.apply_calibrator(cal, part["prob_class_1"].to_numpy()),
                                   rtol=0, atol=1e-15)  # unrounded
    summary = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], SUMMARY_FILE))
    assert summary["status"] == "completed"
    content = read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    for key in ("schema_version", "checksum", "method", "params", "score_space", "clip_epsilon",
                "fit", "rows", "input_fingerprint", "producer"):
        assert key in content
    with open(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], RELIABILITY_DIAGRAM_FILE), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("stage", ["before_staging", "during_staging", "after_staging",
                                   "during_publish"])
def test_error_at_any_stage_leaves_every_output_empty(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    def hook(current: str) -> None:
        if current == stage:
            raise RuntimeError(f"injected at {stage}")

    monkeypatch.setattr(staging, "TEST_HOOK", hook)
    root = os.path.join(tmp_path, "out")
    with pytest.raises(RuntimeError, match="injected"):
        run_main(_input(tmp_path), root, {"CALIBRATION_METHOD": "platt"})
    for name in [o.value for o in ModelCalibrationOutput]:
        assert os.listdir(os.path.join(root, name)) == []


def test_leftover_staging_folder_is_removed_and_visible_outputs_refused(tmp_path: str) -> None:
    root = os.path.join(tmp_path, "out")
    leftover = os.path.join(root, ModelCalibrationOutput.METRICS_OUTPUT.value, STAGING_PREFIX + "old")
    os.makedirs(leftover)
    with open(os.path.join(leftover, METRICS_FILE), "w", encoding="utf-8") as handle:
        handle.write("{}")
    out = run_main(_input(tmp_path), root, {"CALIBRATION_METHOD": "isotonic"})
    assert not os.path.exists(leftover)
    assert sorted(os.listdir(out[ModelCalibrationOutput.METRICS_OUTPUT.value])) == visible(out[ModelCalibrationOutput.METRICS_OUTPUT.value])
    with pytest.raises(mc.CalibrationScriptError, match="MC-E501-OUTPUT-NOT-EMPTY"):
        run_main(_input(os.path.join(tmp_path, "again")), root)


@pytest.mark.parametrize("where", [CALIBRATOR_FILE, METRICS_FILE])
def test_a_value_that_is_not_finite_is_a_write_failure(tmp_path: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       where: str) -> None:
    if where == CALIBRATOR_FILE:
        monkeypatch.setattr(runner, "_producer", lambda: {"not_finite": float("nan")})
    else:
        metrics = binary_metrics
        monkeypatch.setattr(modes, "binary_metrics", lambda *args, **kwargs: {
            **metrics(*args, **kwargs), "brier": float("nan")})
    root = os.path.join(tmp_path, "out")
    with pytest.raises(mc.CalibrationScriptError,
                       match=rf"MC-E502-WRITE-FAILED: cannot write {where}: ValueError"):
        run_main(_input(tmp_path), root, {"CALIBRATION_METHOD": "platt"})
    for name in [o.value for o in ModelCalibrationOutput]:
        assert os.listdir(os.path.join(root, name)) == []


def test_write_json_refuses_nan_and_unwritable_paths(tmp_path: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match="MC-E502-WRITE-FAILED.*ValueError"):
        write_json(os.path.join(tmp_path, "m.json"), {"ece": float("inf")})
    with pytest.raises(mc.CalibrationScriptError, match="MC-E502-WRITE-FAILED.*m.json: "
                                                        "FileNotFoundError"):
        write_json(os.path.join(tmp_path, "absent", "m.json"), {"ece": 0.1})


def test_plot_failure_is_recorded_not_fatal(tmp_path: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise ValueError("no display")

    monkeypatch.setattr(runner, "plot_reliability", broken)
    out = run_main(_input(tmp_path), os.path.join(tmp_path, "out"), {"CALIBRATION_METHOD": "beta"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    assert metrics["plot"] == {"file": RELIABILITY_DIAGRAM_FILE, "written": False,
                               "error": "ValueError: no display", "panels": 1,
                               "bins": "equal_width"}
    assert RELIABILITY_DIAGRAM_FILE not in visible(out[ModelCalibrationOutput.METRICS_OUTPUT.value])


def test_json_inputs_are_written_back_in_their_own_layout(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 2000, seed=52)
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    frame = pd.DataFrame({"prob_class_1": s, "label": y.astype(int)})
    frame.iloc[:1000].to_json(os.path.join(folder, "a.json"), orient="records")
    frame.iloc[1000:].to_json(os.path.join(folder, "b.json"), orient="records", lines=True)
    out = run_main(folder, os.path.join(tmp_path, "out"), {"CALIBRATION_METHOD": "platt"})
    with open(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "a.json"), encoding="utf-8") as h:
        assert h.read(1) == "["
    with open(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "b.json"), encoding="utf-8") as h:
        assert h.read(1) == "{"
    back = pd.read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "b.json"), lines=True)
    assert len(back) == 1000 and "calibrated_prob_class_1" in back.columns


def _journal(folder: str, content: object) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, PUBLISH_JOURNAL), "w", encoding="utf-8") as handle:
        handle.write(content if isinstance(content, str) else json.dumps(content))


def test_an_interrupted_publish_is_undone_only_inside_its_folder(tmp_path: str) -> None:
    outside = os.path.join(tmp_path, "outside")
    os.makedirs(outside)
    for name in ("f.csv", "g.csv"):
        with open(os.path.join(outside, name), "w", encoding="utf-8") as handle:
            handle.write("keep")
    folder = os.path.join(tmp_path, "out", ModelCalibrationOutput.CALIBRATED_DATA.value)
    os.makedirs(os.path.join(folder, "b"))
    for relative in ("a.csv", "b/c.csv"):
        with open(os.path.join(folder, *relative.split("/")), "w", encoding="utf-8") as handle:
            handle.write("moved")
    os.symlink(outside, os.path.join(folder, "link"))
    _journal(folder, {"targets": ["a.csv", "b/c.csv", "../outside/f.csv", outside + "/g.csv",
                                  "link/f.csv", "b/../../outside/g.csv", 7], "final": None})
    staging = Staging({ModelCalibrationOutput.CALIBRATED_DATA.value: folder})
    with pytest.raises(mc.CalibrationScriptError, match="MC-E501.*'link'"):
        staging.prepare()  # the symlink was not the publish's: it stays, and is refused
    assert sorted(os.listdir(folder)) == ["link"]  # a.csv, b/c.csv and b/ removed; journal too
    assert sorted(os.listdir(outside)) == ["f.csv", "g.csv"]


def test_an_unreadable_journal_is_ignored_and_removed(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "out", ModelCalibrationOutput.METRICS_OUTPUT.value)
    _journal(folder, "\x00 not json")
    Staging({ModelCalibrationOutput.METRICS_OUTPUT.value: folder}).prepare()
    assert os.listdir(folder) == []


def test_calibrated_columns_of_many_classes_join_at_once_as_assign_would() -> None:
    """A column per class for 150 classes: ``assign`` inserts them one by one and pandas warns
    of a fragmented frame; joined at once, the same frame and no warning."""
    import warnings

    frame = pd.DataFrame({"label": np.arange(5), "prob_class_0": np.linspace(0.1, 0.5, 5)})
    columns = {f"calibrated_prob_class_{c}": np.full(5, c / 150.0) for c in range(150)}
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        joined = with_columns(frame, columns)
    with warnings.catch_warnings():  # the reference frame, built one column at a time
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        pd.testing.assert_frame_equal(joined, frame.assign(**columns))
    replaced = with_columns(frame, {"prob_class_0": np.zeros(5), "new": np.ones(5)})
    pd.testing.assert_frame_equal(replaced, frame.assign(prob_class_0=np.zeros(5),
                                                         new=np.ones(5)))
