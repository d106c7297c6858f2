"""Multi-class ``auto`` keeping the scores (its identity) bounds them as it bounds every other
candidate: a class the scores give exactly 0 (a random forest's) keeps the class floor, so the
shipped calibrator gives no confident miss; a named identity keeps the scores as they are."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.fitting import class_floor
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings
from tests.script.synthetic import read_json, run_main, write_multiclass

ZERO_SCORES = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.8, 0.0]])
"""Rows whose scores give some class exactly 0."""


def _forest_like(n: int, seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Calibrated three-class scores that give exactly 0 to the classes a row is far from, and
    labels drawn from them."""
    rng = np.random.default_rng(seed)
    scores = rng.dirichlet([0.3, 0.3, 0.3], size=n)
    scores[scores < 0.05] = 0.0
    scores /= scores.sum(axis=1, keepdims=True)
    labels = (rng.uniform(size=n)[:, None] > np.cumsum(scores, axis=1)).sum(axis=1)
    return scores, np.minimum(labels, 2).astype(np.int64)


def _problem(method: str, n: int) -> MulticlassProblem:
    scores, labels = _forest_like(n, seed=4)
    return MulticlassProblem(scores, labels, None, read_settings(
        {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": method}))


def test_auto_bounds_its_identity_by_the_class_floor() -> None:
    model = _problem("auto", 60).fit("identity", None, "test")
    floors = {m.extra_params.get("probability_floor") for m in model.members}
    assert floors == {class_floor(60.0, 3)}
    out = mc.apply_multiclass(model, ZERO_SCORES)
    assert float(out.min()) >= class_floor(60.0, 3) / (1.0 + 2.0 * class_floor(60.0, 3))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-15)
    # a row the scores get right costs about (k - 1) / k of the uniform share, no more
    assert -np.log(out[0, 0]) < 2.0 * class_floor(60.0, 3) * 1.01


def test_a_named_identity_keeps_the_scores() -> None:
    model = _problem("identity", 60).fit("identity", None, "test")
    assert all("probability_floor" not in m.extra_params for m in model.members)
    out = mc.apply_multiclass(model, ZERO_SCORES)
    assert float(out.min()) < 1e-14


def test_auto_keeping_saturated_scores_ships_no_confident_miss(tmp_path: str,
                                                               no_plot: list[int]) -> None:
    scores, labels = _forest_like(60, seed=4)  # calibrated scores: auto keeps them here
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "auto"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    cal = mc.load_calibration_model(
        os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    assert isinstance(cal, mc.MultiCalibrator)
    assert float(mc.apply_multiclass(cal, ZERO_SCORES).min()) > 1e-6
    selection = metrics["selection"]
    assert isinstance(selection, dict)
    if selection["selected"] == "identity":
        assert {m.extra_params.get("probability_floor") for m in cal.members} == {
            class_floor(60.0, 3)}
