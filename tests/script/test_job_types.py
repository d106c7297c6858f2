"""Job types: training/calibration fit; validation/testing apply a given calibrator."""

from __future__ import annotations

import json
import logging
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import binned, problems
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.metrics import binary_metrics
from calibration_step.script.model_calibration.multiclassmetrics import multiclass_metrics
from calibration_step.script.interface import (
    CALIBRATOR_FILE, METRICS_FILE, SUMMARY_FILE, ModelCalibrationInput, ModelCalibrationOutput,
)
from tests.script.synthetic import (
    multiclass_scenario,
    read_csv_exact,
    read_json,
    run_main,
    scenario,
    write_csv,
    write_multiclass,
)


def _fit_binary(tmp_path: str, method: str = "gam") -> str:
    s, y, _ = scenario("nonlinear", 4000, seed=81)
    write_csv(os.path.join(tmp_path, "fit_in", "d.csv"), s, y)
    out = run_main(os.path.join(tmp_path, "fit_in"), os.path.join(tmp_path, "fit_out"),
                   {"CALIBRATION_METHOD": method, "CALIBRATION_FOLDS": "3"})
    return out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]


def _apply_job(tmp_path: str, model: str | None, env: dict[str, str], job_type: str,
               data: str) -> dict[str, str]:
    outputs = {name: os.path.join(tmp_path, job_type, name) for name in [o.value for o in ModelCalibrationOutput]}
    inputs = {ModelCalibrationInput.EVALUATION_DATA.value: data}
    if model is not None:
        inputs[ModelCalibrationInput.CALIBRATION_MODEL.value] = model
    import argparse

    mc.main(inputs, outputs, env, argparse.Namespace(job_type=job_type))
    return outputs


@pytest.mark.parametrize("job_type", ["validation", "testing"])
def test_validation_figures_equal_applying_the_given_calibrator(
        tmp_path: str, no_plot: list[int], job_type: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = _fit_binary(tmp_path)
    s, y, _ = scenario("nonlinear", 3000, seed=82)
    s[7] = np.nan
    write_csv(os.path.join(tmp_path, "val_in", "d.csv"), s, y)

    def no_fit(*args: object, **kwargs: object) -> mc.Calibrator:
        raise AssertionError("a validation job must not fit")

    monkeypatch.setattr(problems, "fit_calibrator", no_fit)

    monkeypatch.setattr(binned, "fit_calibrator", no_fit)
    out = _apply_job(tmp_path, model_dir, {"CALIBRATION_METHOD": "isotonic"}, job_type,
                     os.path.join(tmp_path, "val_in"))
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    cal = mc.load_calibrator(os.path.join(model_dir, CALIBRATOR_FILE))
    keep = ~np.isnan(s)
    expected = binary_metrics(aggregate(mc.apply_calibrator(cal, s[keep]), y[keep]), 15)
    calibrated = metrics["calibrated"]
    assert isinstance(calibrated, dict)
    for key in ("ece_equal_width", "ece_equal_mass", "brier", "log_loss", "auc",
                "calibration_slope", "spiegelhalter_z"):
        assert calibrated[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-15), key
    assert metrics["job_type"] == job_type and metrics["method"] == "gam"
    evaluation = metrics["evaluation"]
    assert isinstance(evaluation, dict) and evaluation["scheme"] == "applied_given_calibrator"
    ece = expected["ece_equal_width"]
    assert isinstance(ece, float)
    assert metrics["folds"] == [] and metrics["threshold"] == {
        "metric": "calibrated.ece_equal_width", "value": ece, "threshold": 0.05,
        "passed": ece <= 0.05,
        "message": f"calibrated.ece_equal_width = {ece:.6g} is {'within' if ece <= 0.05 else 'above'} the error threshold 0.05"}
    # the given calibrator is passed on unchanged, and the rows are calibrated with it
    with open(os.path.join(model_dir, CALIBRATOR_FILE), encoding="utf-8") as a, \
            open(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE),
                 encoding="utf-8") as b:
        assert json.load(a) == json.load(b)
    written = read_csv_exact(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.csv"))
    np.testing.assert_allclose(written["calibrated_prob_class_1"][keep],
                               mc.apply_calibrator(cal, s[keep]), atol=1e-15, rtol=0)


def test_validation_of_a_multiclass_calibrator(tmp_path: str, no_plot: list[int]) -> None:
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "temperature",
           "CALIBRATION_FOLDS": "2"}
    scores, labels, _ = multiclass_scenario(2000, seed=83)
    write_multiclass(os.path.join(tmp_path, "fit_in", "d.csv"), scores, labels)
    fitted = run_main(os.path.join(tmp_path, "fit_in"), os.path.join(tmp_path, "fit_out"), env)
    model_file = os.path.join(fitted[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)
    val_scores, val_labels, _ = multiclass_scenario(1500, seed=84)
    write_multiclass(os.path.join(tmp_path, "val_in", "d.csv"), val_scores, val_labels)
    out = _apply_job(tmp_path, model_file, env, "validation", os.path.join(tmp_path, "val_in"))
    cal = mc.load_calibration_model(model_file)
    assert isinstance(cal, mc.MultiCalibrator)
    expected = multiclass_metrics(mc.apply_multiclass(cal, val_scores), val_labels,
                                  np.ones(1500), ("0", "1", "2"), 15)
    calibrated = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))["calibrated"]
    assert isinstance(calibrated, dict)
    for key in ("ece_equal_width", "brier", "log_loss", "accuracy"):
        assert calibrated[key] == pytest.approx(expected[key], rel=1e-12), key


def test_validation_without_a_calibrator_is_refused(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 500, seed=85)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E103-MISSING-PATH.*calibration_model"):
        _apply_job(tmp_path, None, {}, "validation", os.path.join(tmp_path, "in"))
    os.makedirs(os.path.join(tmp_path, "empty_model"))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E406-NO-CALIBRATOR-FILE"):
        _apply_job(tmp_path, os.path.join(tmp_path, "empty_model"), {}, "testing",
                   os.path.join(tmp_path, "in"))


def test_tampered_or_mismatched_calibrator_is_refused(tmp_path: str) -> None:
    model_dir = _fit_binary(tmp_path, "platt")
    s, y, _ = scenario("linear", 500, seed=86)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    tampered = os.path.join(tmp_path, "tampered")
    os.makedirs(tampered)
    content = read_json(os.path.join(model_dir, CALIBRATOR_FILE))
    params = content["params"]
    assert isinstance(params, dict)
    params["a"] = 0.0
    with open(os.path.join(tampered, CALIBRATOR_FILE), "w", encoding="utf-8") as handle:
        json.dump(content, handle)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E402-CHECKSUM-MISMATCH"):
        _apply_job(tmp_path, tampered, {}, "validation", os.path.join(tmp_path, "in"))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E405-CALIBRATOR-MISMATCH"):
        _apply_job(tmp_path, model_dir, {"SCORE_SPACE": "logit"}, "validation",
                   os.path.join(tmp_path, "in"))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E405-CALIBRATOR-MISMATCH.*binary"):
        _apply_job(tmp_path, model_dir, {"IS_BINARY": "false", "NUM_CLASSES": "2",
                                         "CALIBRATION_METHOD": "temperature"}, "validation",
                   os.path.join(tmp_path, "in"))


def test_training_job_warns_that_scores_are_in_sample(tmp_path: str, no_plot: list[int],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    s, y, _ = scenario("linear", 1500, seed=87)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    with caplog.at_level(logging.WARNING, logger="model_calibration"):
        out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                       {"CALIBRATION_METHOD": "platt"}, job_type="training")
    assert any("in-sample" in r.getMessage() for r in caplog.records)
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    summary = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], SUMMARY_FILE))
    warnings = metrics["warnings"]
    assert isinstance(warnings, list) and [w["code"] for w in warnings] == ["MC-W102-IN-SAMPLE-SCORES"]
    assert "in-sample" in warnings[0]["message"]
    assert summary["warnings"] == metrics["warnings"]
    assert (metrics["schema_version"], summary["schema_version"]) == (2, 2)
    evaluation = metrics["evaluation"]
    assert isinstance(evaluation, dict) and evaluation["scheme"] == "stratified_kfold_crossfit"


def test_a_fitting_job_records_that_it_ignores_a_given_calibrator(tmp_path: str, no_plot: list[int]) -> None:
    model_dir = _fit_binary(tmp_path, "platt")
    s, y, _ = scenario("linear", 800, seed=89)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    out = _apply_job(tmp_path, model_dir, {"CALIBRATION_METHOD": "platt"}, "calibration",
                     os.path.join(tmp_path, "in"))
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    assert metrics["warnings"] == [{"code": "MC-W101-MODEL-IGNORED", "message": "the calibration_model input "
                                    "is ignored: a calibration job fits its own calibrator"}]
    calibrator = metrics["calibrator"]
    assert isinstance(calibrator, dict) and calibrator["source"] == "fitted"


def test_cli_passes_calibration_model(tmp_path: str) -> None:
    model_dir = _fit_binary(tmp_path, "platt")
    model_copy = os.path.join(tmp_path, "model")
    shutil.copytree(model_dir, model_copy)
    s, y, _ = scenario("linear", 500, seed=88)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    args = ["--job_type", "validation", "--evaluation_data", os.path.join(tmp_path, "in"),
            "--calibration_model", model_copy]
    for name in [o.value for o in ModelCalibrationOutput]:
        args += [f"--{name}", os.path.join(tmp_path, "cli", name)]
    assert mc.run_cli(args) == 0
    metrics = read_json(os.path.join(tmp_path, "cli", ModelCalibrationOutput.METRICS_OUTPUT.value, METRICS_FILE))
    calibrator = metrics["calibrator"]
    assert isinstance(calibrator, dict) and calibrator["source"] == "given"


def test_validation_of_a_multitask_calibrator_and_task_mismatch(tmp_path: str,
                                                                no_plot: list[int]) -> None:
    env = {"SCORE_FIELDS": '["a", "b"]', "TASK_LABEL_NAMES": '["ya", "yb"]',
           "CALIBRATION_METHOD": "beta", "CALIBRATION_FOLDS": "2"}

    def frame(seed: int) -> pd.DataFrame:
        s_a, y_a, _ = scenario("linear", 1500, seed=seed)
        s_b, y_b, _ = scenario("nonlinear", 1500, seed=seed + 1)
        out = pd.DataFrame({"a": s_a, "ya": y_a, "b": s_b, "yb": y_b})
        out.loc[:9, "yb"] = np.nan
        return out

    for name, seed in (("fit_in", 89), ("val_in", 90)):
        os.makedirs(os.path.join(tmp_path, name))
        frame(seed).to_csv(os.path.join(tmp_path, name, "d.csv"), index=False)
    fitted = run_main(os.path.join(tmp_path, "fit_in"), os.path.join(tmp_path, "fit_out"), env)
    model = fitted[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]
    out = _apply_job(tmp_path, model, env, "testing", os.path.join(tmp_path, "val_in"))
    cal = mc.load_calibration_model(os.path.join(model, CALIBRATOR_FILE))
    assert isinstance(cal, mc.MultiCalibrator)
    val = frame(90)
    calibrated = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))["calibrated"]
    assert isinstance(calibrated, dict)
    for member, score, label in zip(cal.members, ("a", "b"), ("ya", "yb")):
        keep = val[label].notna()
        expected = binary_metrics(aggregate(
            mc.apply_calibrator(member, val.loc[keep, score].to_numpy()),
            val.loc[keep, label].to_numpy()), 15)
        assert calibrated["tasks"][score]["log_loss"] == pytest.approx(expected["log_loss"],
                                                                       rel=1e-12)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E405-CALIBRATOR-MISMATCH.*tasks"):
        _apply_job(tmp_path, model, {**env, "TASK_LABEL_NAMES": '["yb", "ya"]'}, "validation",
                   os.path.join(tmp_path, "val_in"))
