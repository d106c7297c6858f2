"""Multi-task binary calibration: one calibrator per (score, label) pair, each on its own rows."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.artifact import MULTITASK_KIND, checksum
from calibration_step.script.model_calibration.fitting import fit_calibrator
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput
from tests.script.synthetic import read_json, run_main, scenario

TASKS = {"SCORE_FIELDS": '["score_a", "score_b"]', "TASK_LABEL_NAMES": '["label_a", "label_b"]',
         "CALIBRATION_FOLDS": "3"}


def _frame(n: int = 4000) -> pd.DataFrame:
    s_a, y_a, _ = scenario("linear", n, seed=71)
    s_b, y_b, _ = scenario("nonlinear", n, seed=72)
    frame = pd.DataFrame({"score_a": s_a, "label_a": y_a, "score_b": s_b, "label_b": y_b})
    frame.loc[:99, "label_a"] = np.nan  # task a loses rows 0-99 ...
    frame.loc[100:349, "label_b"] = np.nan  # ... task b rows 100-349
    frame.loc[500, "score_b"] = np.nan
    return frame


def _run(tmp_path: str, env: dict[str, str]) -> tuple[dict[str, str], dict[str, object]]:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    _frame().to_parquet(os.path.join(folder, "d.parquet"), index=False)
    out = run_main(folder, os.path.join(tmp_path, "out"), {**TASKS, **env})
    return out, read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))


def test_tasks_with_nan_labels_in_different_rows_keep_their_own_rows(
        tmp_path: str, no_plot: list[int]) -> None:
    out, metrics = _run(tmp_path, {"CALIBRATION_METHOD": "platt"})
    rows = metrics["rows"]
    assert isinstance(rows, dict)
    tasks = rows["tasks"]
    assert tasks["score_a"]["used"] == 3900 and tasks["score_b"]["used"] == 3749
    assert tasks["score_a"]["dropped"] == {"missing_score": 0, "missing_label": 100}
    assert tasks["score_b"]["dropped"] == {"missing_score": 1, "missing_label": 250}
    frame = _frame()
    cal = mc.load_calibration_model(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    assert isinstance(cal, mc.MultiCalibrator) and cal.mode == "multitask"
    assert cal.names == ("score_a", "score_b") and cal.label_fields == ("label_a", "label_b")
    # each task's calibrator equals a binary fit on exactly that task's rows
    for name, label, member in zip(cal.names, cal.label_fields, cal.members):
        keep = frame[name].notna() & frame[label].notna()
        alone = fit_calibrator(aggregate(frame.loc[keep, name].to_numpy(),
                                         frame.loc[keep, label].to_numpy()),
                               mc.read_settings({"CALIBRATION_METHOD": "platt"}))
        np.testing.assert_allclose(member.coef, alone.coef, rtol=1e-10)
    written = pd.read_parquet(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.parquet"))
    # rows without a label are still calibrated; only the missing score stays empty
    assert written["calibrated_score_a"].notna().all()
    assert written["calibrated_score_b"].isna().tolist() == [i == 500 for i in range(4000)]
    np.testing.assert_allclose(written["calibrated_score_a"],
                               mc.apply_calibrator(cal.members[0], frame["score_a"].to_numpy()))
    assert no_plot == [2]


def test_gate_is_the_worst_task_and_metrics_aggregate(tmp_path: str, no_plot: list[int]) -> None:
    _out, metrics = _run(tmp_path, {"CALIBRATION_METHOD": "gam", "ERROR_THRESHOLD": "0.2"})
    cal = metrics["calibrated"]
    threshold = metrics["threshold"]
    assert isinstance(cal, dict) and isinstance(threshold, dict)
    per_task = {name: block["ece_equal_width"] for name, block in cal["tasks"].items()}
    worst = max(per_task, key=lambda name: per_task[name])
    assert cal["worst_task"] == worst
    assert cal["ece_equal_width"] == threshold["value"] == per_task[worst]
    assert threshold["passed"] is (per_task[worst] <= 0.2)
    aggregate = cal["aggregate"]
    assert aggregate["mean_log_loss"] == pytest.approx(
        np.mean([block["log_loss"] for block in cal["tasks"].values()]))
    uncal = metrics["uncalibrated"]
    assert isinstance(uncal, dict) and uncal["ece_equal_width"] > cal["ece_equal_width"]
    folds = metrics["folds"]
    assert isinstance(folds, dict) and sorted(folds) == ["score_a", "score_b"]


def test_one_calibrator_json_holds_every_task(tmp_path: str, no_plot: list[int]) -> None:
    out, _metrics = _run(tmp_path, {"CALIBRATION_METHOD": "isotonic"})
    with open(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE),
              encoding="utf-8") as handle:
        content = json.load(handle)
    assert content["kind"] == MULTITASK_KIND and content["mode"] == "multitask"
    assert [m["name"] for m in content["members"]] == ["score_a", "score_b"]
    assert all(m["method"] == "isotonic" and "x" in m["params"] for m in content["members"])
    assert content["checksum"] == checksum(content)


@pytest.mark.parametrize("env,match", [
    ({"TASK_LABEL_NAMES": '["label_a"]'}, "MC-E105-MODE-CONFLICT.*equal length"),
    ({"TASK_LABEL_NAMES": '["label_a", "score_a"]'}, "MC-E105-MODE-CONFLICT.*score_a"),
    ({"IS_BINARY": "false"}, "MC-E105-MODE-CONFLICT.*multi-task calibration is binary"),
    ({"SCORE_FIELDS": '"score_a"'}, "MC-E101-INVALID-ENV.*JSON array"),
    ({"SCORE_FIELDS": '["score_a", "score_a"]', "TASK_LABEL_NAMES": '["a", "b"]'},
     "MC-E101-INVALID-ENV.*repeats"),
])
def test_task_settings_conflicts_are_refused(env: dict[str, str], match: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match=match):
        mc.read_settings({**TASKS, **env})


def test_missing_task_column_is_named(tmp_path: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match="MC-E205-MISSING-COLUMN.*'label_c'"):
        _run(tmp_path, {"SCORE_FIELDS": '["score_a", "score_b"]',
                        "TASK_LABEL_NAMES": '["label_a", "label_c"]'})
