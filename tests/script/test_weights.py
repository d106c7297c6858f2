"""WEIGHT_FIELD and NEGATIVE_SAMPLING_RATE: weights in every fit and every metric."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import Aggregated, aggregate
from calibration_step.script.model_calibration.columns import rescale_weights
from calibration_step.script.model_calibration.fitting import fit_calibrator
from calibration_step.script.model_calibration.metrics import auc_aggregated, binary_metrics
from calibration_step.script.model_calibration.multiclassmetrics import multiclass_metrics
from calibration_step.script.interface import (
    BINARY_METHODS, CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput,
)
from tests.script.synthetic import (
    logit,
    multiclass_scenario,
    read_csv_exact,
    read_json,
    run_main,
    scenario,
    sigmoid,
    write_multiclass,
)


def _run(tmp_path: str, frame: pd.DataFrame, env: dict[str, str], tag: str
         ) -> tuple[dict[str, object], dict[str, object]]:
    folder = os.path.join(tmp_path, tag, "in")
    os.makedirs(folder)
    frame.to_csv(os.path.join(folder, "d.csv"), index=False)
    out = run_main(folder, os.path.join(tmp_path, tag, "out"), env)
    return (read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE)),
            read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)))


@pytest.mark.parametrize("method", BINARY_METHODS)
def test_unit_weights_agree_with_no_weights(tmp_path: str, no_plot: list[int],
                                            method: str) -> None:
    s, y, _ = scenario("nonlinear", 3000, seed=91)
    frame = pd.DataFrame({"prob_class_1": s, "label": y.astype(int), "w": 1.0})
    env = {"CALIBRATION_METHOD": method, "CALIBRATION_FOLDS": "3"}
    plain, plain_cal = _run(tmp_path, frame, env, "plain")
    weighted, weighted_cal = _run(tmp_path, frame, {**env, "WEIGHT_FIELD": "w"}, "weighted")
    assert weighted_cal["params"] == plain_cal["params"]
    for block in ("uncalibrated", "calibrated"):
        assert weighted[block] == plain[block], block
    strip = ("fit_seconds",)
    folds_w, folds_p = weighted["folds"], plain["folds"]
    assert isinstance(folds_w, list) and isinstance(folds_p, list)
    assert [{k: v for k, v in f.items() if k not in strip} for f in folds_w] == \
        [{k: v for k, v in f.items() if k not in strip} for f in folds_p]
    evaluation = weighted["evaluation"]
    assert isinstance(evaluation, dict) and evaluation["weighted"] is True


@pytest.mark.parametrize("method", ["temperature", "platt"])
def test_unit_weights_agree_with_no_weights_multiclass(tmp_path: str, no_plot: list[int],
                                                       method: str) -> None:
    scores, labels, _ = multiclass_scenario(1500, seed=92)
    frame = pd.DataFrame({f"prob_class_{c}": scores[:, c] for c in range(3)})
    frame["label"] = labels
    frame["w"] = 1
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": method,
           "CALIBRATION_FOLDS": "2", "TEMPERATURE_BIAS": "true"}
    plain, plain_cal = _run(tmp_path, frame, env, "plain")
    weighted, weighted_cal = _run(tmp_path, frame, {**env, "WEIGHT_FIELD": "w"}, "weighted")
    assert weighted_cal["params"] == plain_cal["params"]
    members_w, members_p = weighted_cal["members"], plain_cal["members"]
    assert isinstance(members_w, list) and isinstance(members_p, list)
    assert [m["params"] for m in members_w] == [m["params"] for m in members_p]
    assert weighted["calibrated"] == plain["calibrated"]


def test_integer_weights_equal_repeated_rows() -> None:
    s, y, _ = scenario("nonlinear", 2000, seed=93)
    w = np.random.default_rng(0).integers(1, 4, 2000).astype(np.float64)
    s_rep, y_rep = np.repeat(s, w.astype(int)), np.repeat(y, w.astype(int))
    weighted_agg, repeated_agg = aggregate(s, y, w), aggregate(s_rep, y_rep)
    for method in BINARY_METHODS:
        settings = mc.read_settings({"CALIBRATION_METHOD": method})
        a = fit_calibrator(weighted_agg, settings)
        b = fit_calibrator(repeated_agg, settings)
        probe = np.linspace(0.01, 0.99, 50)
        np.testing.assert_allclose(mc.apply_calibrator(a, probe), mc.apply_calibrator(b, probe),
                                   rtol=0, atol=1e-9, err_msg=method)
    weighted = binary_metrics(weighted_agg, 10, rows=2000)
    repeated = binary_metrics(repeated_agg, 10)
    for key in ("ece_equal_width", "ece_equal_mass", "brier", "log_loss", "auc",
                "calibration_slope", "spiegelhalter_z"):
        assert weighted[key] == pytest.approx(repeated[key], rel=1e-9), key
    assert weighted["n"] == 2000 and weighted["weight_sum"] == repeated["n"]


def test_weighted_multiclass_metrics_equal_repeated_rows() -> None:
    scores, labels, _ = multiclass_scenario(800, seed=94)
    w = np.random.default_rng(1).integers(1, 4, 800)
    weighted = multiclass_metrics(scores, labels, w.astype(np.float64), ("0", "1", "2"), 10)
    repeated = multiclass_metrics(np.repeat(scores, w, axis=0), np.repeat(labels, w),
                                  np.ones(int(w.sum())), ("0", "1", "2"), 10)
    for key in ("ece_equal_width", "brier", "log_loss", "accuracy"):
        assert weighted[key] == pytest.approx(repeated[key], rel=1e-9), key


def test_negative_sampling_rate_restores_the_population_rates(tmp_path: str,
                                                             no_plot: list[int]) -> None:
    rng = np.random.default_rng(95)
    n = 60000
    s = rng.beta(2.0, 2.0, n)
    true = sigmoid(logit(s) - 2.5)  # rare positives (about 10%)
    y = (rng.uniform(size=n) < true).astype(np.float64)
    kept = (y == 1.0) | (rng.uniform(size=n) < 0.2)  # keep 20% of the negatives
    frame = pd.DataFrame({"prob_class_1": s[kept], "label": y[kept].astype(int)})
    env = {"CALIBRATION_METHOD": "platt", "CALIBRATION_FOLDS": "2"}
    _m, naive = _run(tmp_path, frame, env, "naive")
    metrics, corrected = _run(tmp_path, frame, {**env, "NEGATIVE_SAMPLING_RATE": "0.2"}, "fixed")
    population = float(y.mean())
    for content, close in ((corrected, True), (naive, False)):
        cal = mc.load_calibrator(content)
        mean = float(mc.apply_calibrator(cal, s).mean())
        assert (abs(mean - population) < 0.01) is close, (mean, population)
    params = corrected["params"]
    assert isinstance(params, dict)
    assert params["a"] == pytest.approx(1.0, abs=0.1) and params["b"] == pytest.approx(-2.5,
                                                                                       abs=0.1)
    rows = metrics["rows"]
    assert isinstance(rows, dict)
    negatives = int((~(y[kept] == 1.0)).sum())
    assert rows["weight_sum"] == pytest.approx(y[kept].sum() + negatives / 0.2)


def test_missing_weights_are_dropped_and_bad_weights_refused(tmp_path: str,
                                                             no_plot: list[int]) -> None:
    s, y, _ = scenario("linear", 1000, seed=96)
    frame = pd.DataFrame({"prob_class_1": s, "label": y.astype(int), "w": 2.0})
    frame.loc[[3, 4], "w"] = np.nan
    metrics, _cal = _run(tmp_path, frame, {"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w",
                                           "CALIBRATION_FOLDS": "2"}, "missing")
    rows = metrics["rows"]
    assert isinstance(rows, dict) and rows["used"] == 998
    assert rows["dropped"] == {"missing_score": 0, "missing_label": 0, "missing_weight": 2}
    assert rows["weight_sum"] == 1996.0
    frame.loc[5, "w"] = -1.0
    with pytest.raises(mc.CalibrationScriptError, match="MC-E211-INVALID-WEIGHT.*negative"):
        _run(tmp_path, frame, {"WEIGHT_FIELD": "w"}, "negative")
    frame["w"] = "heavy"
    with pytest.raises(mc.CalibrationScriptError, match="MC-E211-INVALID-WEIGHT.*non-numeric"):
        _run(tmp_path, frame, {"WEIGHT_FIELD": "w"}, "text")
    with pytest.raises(mc.CalibrationScriptError, match="MC-E205-MISSING-COLUMN.*'weight'"):
        _run(tmp_path, frame, {"WEIGHT_FIELD": "weight"}, "absent")
    frame["w"] = 0.0
    with pytest.raises(mc.CalibrationScriptError, match="MC-E210-NO-ROWS.*weigh 0"):
        _run(tmp_path, frame, {"WEIGHT_FIELD": "w"}, "zero")


@pytest.mark.parametrize("env,match", [
    ({"WEIGHT_FIELD": "label"}, "MC-E105-MODE-CONFLICT.*WEIGHT_FIELD"),
    ({"NEGATIVE_SAMPLING_RATE": "0"}, "MC-E101-INVALID-ENV.*NEGATIVE_SAMPLING_RATE"),
    ({"NEGATIVE_SAMPLING_RATE": "0.5", "IS_BINARY": "false"}, "MC-E105.*binary labels only"),
])
def test_weight_settings_are_checked(env: dict[str, str], match: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match=match):
        mc.read_settings(env)


def test_multiclass_weights_write_rows(tmp_path: str, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(900, seed=97)
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    frame = read_csv_exact(os.path.join(tmp_path, "in", "d.csv"))
    frame["w"] = np.where(labels == 0, 2.0, 1.0)
    frame.to_csv(os.path.join(tmp_path, "in", "d.csv"), index=False)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "temperature",
                    "WEIGHT_FIELD": "w", "CALIBRATION_FOLDS": "2"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    calibrated = metrics["calibrated"]
    assert isinstance(calibrated, dict)
    assert calibrated["weight_sum"] == pytest.approx(900 + float((labels == 0).sum()))
    assert calibrated["class_counts"]["0"] == 2 * int((labels == 0).sum())


@pytest.mark.parametrize("weight", [1e308, 1e300, 5e-324, 1e-320])
@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_extreme_uniform_weights_give_the_unit_weight_calibrator(tmp_path: str, no_plot: list[int],
                                                                 weight: float, method: str) -> None:
    # Found by the reliability suite: 1e308 overflowed np.bincount, 1e300 gave a NaN metric,
    # 5e-324 and 1e-320 divided by zero in the AUC.
    s, y, _ = scenario("linear", 400, seed=98)
    frame = pd.DataFrame({"prob_class_1": s, "label": y.astype(int), "w": weight})
    env = {"CALIBRATION_METHOD": method, "CALIBRATION_FOLDS": "2"}
    plain, plain_cal = _run(tmp_path, frame, env, "plain")
    weighted, weighted_cal = _run(tmp_path, frame, {**env, "WEIGHT_FIELD": "w"}, "weighted")
    for key, value in _floats(plain_cal["params"]).items():
        np.testing.assert_allclose(_floats(weighted_cal["params"])[key], value, rtol=1e-9, atol=1e-12)
    # Isotonic's step predictions (ratios such as 2/10) may round to the other side of a bin
    # edge, or stop tying across folds, with other weights: its ECE and AUC are left out.
    for key in ("brier", "log_loss") + (("ece_equal_width", "auc") if method == "platt" else ()):
        assert _floats(weighted["calibrated"])[key] == pytest.approx(
            _floats(plain["calibrated"])[key], rel=1e-9), key
    rows = weighted["rows"]
    assert isinstance(rows, dict) and 400 <= float(rows["weight_sum"]) < 800  # the rescaled unit


def _floats(block: object) -> dict[str, float | list[float]]:
    assert isinstance(block, dict)
    return {k: v for k, v in block.items() if isinstance(v, (float, list))}


def test_weights_spanning_the_float_range_complete(tmp_path: str, no_plot: list[int]) -> None:
    s, y, _ = scenario("linear", 400, seed=99)
    w = np.where(np.arange(400) % 2 == 0, 1e308, 5e-324)
    metrics, _cal = _run(tmp_path, pd.DataFrame({"prob_class_1": s, "label": y.astype(int), "w": w}),
                         {"CALIBRATION_METHOD": "beta", "WEIGHT_FIELD": "w", "CALIBRATION_FOLDS": "2"},
                         "span")
    calibrated = metrics["calibrated"]
    assert isinstance(calibrated, dict) and 0.0 <= float(calibrated["auc"]) <= 1.0


def test_rescale_weights_only_outside_the_safe_range() -> None:
    keep = np.array([True, True, False])
    rescaled = rescale_weights(np.array([5e-324, 5e-324, 1.0]), keep)
    assert rescaled is not None and rescaled.tolist() == [1.0, 1.0, np.inf]  # row 3 is dropped
    unchanged = np.array([2.0 ** 64, 1.0, 7.0])
    assert rescale_weights(unchanged, keep) is unchanged
    assert rescale_weights(None, keep) is None
    zero = np.zeros(3)
    assert rescale_weights(zero, keep) is zero


def test_auc_of_tiny_weights_is_finite() -> None:
    agg = Aggregated(np.array([0.2, 0.8]), np.array([1e-323, 1e-323]), np.array([0.0, 1e-323]))
    assert auc_aggregated(agg) == (1.0, None)
