"""Multi-class ``auto`` where a class has no calibration row, or too few for every fold: the
one-vs-rest candidates cannot fit that class, the class scalings and the identity can; ``auto``
drops the former (recorded) and ships from the latter, where it used to fail the job."""

from __future__ import annotations

import os

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.error_codes import Code
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.fitchecks import dropped_under_auto
from tests.script.synthetic import (multiclass_log_loss, multiclass_scenario, read_json,
                                    run_main, write_multiclass)

ONE_VS_REST = {"platt", "gam", "beta", "venn_abers", "isotonic"}


def _run(tmp_path: str, labels: np.ndarray, scores: np.ndarray, method: str = "auto"
         ) -> tuple[dict[str, str], dict[str, object]]:
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": str(scores.shape[1]),
                    "CALIBRATION_METHOD": method})
    return out, read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                       METRICS_FILE))


def _without_class(n: int, seed: int, absent: int) -> tuple[np.ndarray, np.ndarray]:
    """Four-class scores of the scenario whose rows of class ``absent`` are left out."""
    scores, labels, _ = multiclass_scenario(n, seed, classes=4)
    keep = labels != absent
    return scores[keep], labels[keep]


def _dropped(metrics: dict[str, object]) -> dict[str, str]:
    selection = metrics["selection"]
    assert isinstance(selection, dict)
    candidates = selection["candidates"]
    assert isinstance(candidates, dict)
    return {m: c["code"] for m, c in candidates.items() if c.get("status") == "failed"}


def test_auto_ships_a_class_scaling_when_a_class_has_no_row(tmp_path: str,
                                                            no_plot: list[int]) -> None:
    scores, labels = _without_class(400, seed=3, absent=3)
    out, metrics = _run(tmp_path, labels, scores)
    dropped = _dropped(metrics)
    assert dropped and set(dropped) <= ONE_VS_REST  # identity and the class scalings fit
    assert "MC-E301-SINGLE-CLASS" in dropped.values()
    warnings = metrics["warnings"]
    assert isinstance(warnings, list) and warnings
    assert {w["code"] for w in warnings if isinstance(w, dict)} >= {"MC-W302-CANDIDATE-DROPPED"}
    cal = mc.load_calibration_model(
        os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    assert isinstance(cal, mc.MultiCalibrator)
    test_scores, test_labels = _without_class(4000, seed=4, absent=3)
    calibrated = mc.apply_multiclass(cal, test_scores)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert float(calibrated[:, 3].mean()) < 0.5 * float(test_scores[:, 3].mean())  # pushed down
    assert multiclass_log_loss(calibrated, test_labels) < \
        multiclass_log_loss(test_scores, test_labels)


def test_a_named_one_vs_rest_method_still_fails_on_a_class_without_rows(tmp_path: str) -> None:
    scores, labels = _without_class(200, seed=5, absent=2)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E301-SINGLE-CLASS.*class '2'"):
        _run(tmp_path, labels, scores, method="platt")


def test_auto_drops_one_vs_rest_where_a_fold_trains_on_no_row_of_a_class(
        tmp_path: str, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(120, seed=6)
    labels = np.where(labels == 2, 0, labels)
    labels[:2] = 2  # two rows of class 2: some fold's training rows hold none
    _, metrics = _run(tmp_path, labels, scores)
    calibrated = metrics["calibrated"]
    assert isinstance(calibrated, dict) and np.isfinite(float(calibrated["log_loss"]))


def test_only_multiclass_auto_drops_a_single_class_member() -> None:
    single = mc.CalibrationScriptError(Code.MC_E301_SINGLE_CLASS, "class '3': all negative",
                                       "add rows")
    other = mc.CalibrationScriptError(Code.MC_E210_NO_ROWS, "no rows", "add rows")
    assert dropped_under_auto(single, multiclass=True)
    assert not dropped_under_auto(single, multiclass=False)
    assert not dropped_under_auto(other, multiclass=True)
