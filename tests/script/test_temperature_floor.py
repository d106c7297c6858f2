"""The named multi-class temperature's class floor: no class below ``1e-6`` (no confident miss),
scikit-learn's probabilities elsewhere, in the fit, the file and the held-out predictions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import sklearn

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.apply import lift_to_class_floor
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.artifactreader import load_calibration_model
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings
from calibration_step.script.model_calibration.temperature import named_class_floor
from tests.script.test_class_scaling import _real_split

FLOOR = 1e-6
SETTINGS = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "temperature"}


def _sharp_rows(rows: int, classes: int, seed: int) -> np.ndarray:
    """Softmax rows, many with classes far below ``FLOOR``, some with none."""
    rng = np.random.default_rng(seed)
    eta = rng.normal(0.0, 1.0, (rows, classes)) * rng.uniform(0.1, 12.0, (rows, 1))
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    return np.asarray(p / p.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("classes", [2, 3, 10])
def test_lifted_rows_keep_their_sum_and_move_only_where_a_class_is_below_the_floor(
        classes: int) -> None:
    p = _sharp_rows(4000, classes, classes)
    low = (p < FLOOR).any(axis=1)
    assert 0 < low.sum() < p.shape[0]
    q = lift_to_class_floor(p.copy(), FLOOR, 1)
    assert float(q.min()) >= FLOOR
    np.testing.assert_allclose(q.sum(axis=1), p.sum(axis=1), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(q[~low], p[~low])
    moved = np.abs(q - p)
    top = np.argmax(p, axis=1)
    others = np.ones_like(p, dtype=bool)
    others[np.arange(p.shape[0]), top] = False
    assert float(moved[others].max()) <= FLOOR  # each lifted class by at most the floor
    lifted = (p < FLOOR).sum(axis=1)
    assert np.all(moved[np.arange(p.shape[0]), top] <= lifted * FLOOR + 1e-15)
    np.testing.assert_array_equal(np.argmax(q, axis=1), top)
    # the class-major layout gives the same bits
    np.testing.assert_array_equal(lift_to_class_floor(p.T.copy(), FLOOR, 0).T, q)


def test_the_floor_leaves_the_top_class_at_least_as_much_for_many_classes() -> None:
    classes = 2000
    floor = named_class_floor(classes)
    assert floor == 1.0 / classes ** 2 < FLOOR
    p = np.full((1, classes), 1e-12)
    p[0, 7] = 1.0 - (classes - 1) * 1e-12
    q = lift_to_class_floor(p, floor, 1)
    assert float(q.min()) >= floor and int(np.argmax(q)) == 7


def _named_temperature(scores: np.ndarray, labels: np.ndarray) -> mc.MultiCalibrator:
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int64), None,
                                read_settings(SETTINGS))
    return problem.fit("temperature", None, "test")


@pytest.mark.skipif(tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 8),
                    reason="scikit-learn has temperature scaling from 1.8")
def test_named_temperature_is_scikit_learns_with_its_classes_lifted_to_the_floor() -> None:
    """Wine scored by a strongly regularised logistic regression, 30 calibration rows (no exact
    zero): scikit-learn's temperature gives some classes less than ``1e-6``."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from bench.quality.peers import GivenProbabilities

    p_cal, y_cal, p_test, _ = _real_split("wine", "logistic_c0.005", 30)
    assert not (np.any(p_cal == 0.0) or np.any(p_test == 0.0))
    theirs = CalibratedClassifierCV(FrozenEstimator(GivenProbabilities(3)),
                                    method="temperature").fit(p_cal, y_cal).predict_proba(p_test)
    assert float(theirs.min()) < FLOOR
    ours = mc.apply_multiclass(_named_temperature(p_cal, y_cal), p_test)
    assert float(ours.min()) >= FLOOR
    np.testing.assert_allclose(ours, lift_to_class_floor(theirs.copy(), FLOOR, 1), rtol=0,
                               atol=1e-6)
    untouched = ~(theirs < FLOOR).any(axis=1)
    np.testing.assert_allclose(ours[untouched], theirs[untouched], rtol=0, atol=1e-6)
    assert float(np.max(np.abs(ours - theirs))) <= 2 * FLOOR + 1e-6


def test_a_named_temperature_file_is_version_5_and_applies_its_floor() -> None:
    p = _sharp_rows(300, 3, 11)
    labels = np.argmax(p, axis=1)
    labels[:30] = (labels[:30] + 1) % 3  # misses: the fit stays finite
    cal = _named_temperature(p, labels)
    assert cal.probability_floor == FLOOR
    content = cal.to_json_dict()
    assert content["schema_version"] == 5
    assert json.loads(json.dumps(content))["params"]["probability_floor"] == FLOOR
    loaded = load_calibration_model(json.loads(json.dumps(content)))
    assert isinstance(loaded, mc.MultiCalibrator)
    probe = _sharp_rows(2000, 3, 12)
    np.testing.assert_array_equal(mc.apply_multiclass(loaded, probe),
                                  mc.apply_multiclass(cal, probe))
    sharp = dataclasses.replace(loaded, scale=5.0)  # many classes below the floor
    assert float(mc.apply_multiclass(sharp, probe).min()) >= FLOOR
    unfloored = dataclasses.replace(sharp, probability_floor=None)
    assert unfloored.to_json_dict()["schema_version"] == 2  # files written before it: as they were
    assert float(mc.apply_multiclass(unfloored, probe).min()) < FLOOR


def test_a_class_floor_the_top_class_cannot_pay_or_an_older_version_is_refused() -> None:
    cal = _named_temperature(_sharp_rows(200, 3, 13), np.arange(200) % 3)
    content = cal.to_json_dict()
    params = content["params"]
    assert isinstance(params, dict)
    too_high = {**content, "params": {**params, "probability_floor": 0.2}}
    too_high["checksum"] = checksum(too_high)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E401.*probability_floor must lie"):
        load_calibration_model(too_high)
    older = {**content, "schema_version": 4}
    older["checksum"] = checksum(older)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E403"):
        load_calibration_model(older)


def test_the_many_rows_held_out_predictions_are_lifted_as_the_fold_calibrators_apply() -> None:
    """The cross-fitted predictions of temperature on many rows (``temperaturefolds``) are the
    fold calibrators' outputs, floor included."""
    from calibration_step.script.model_calibration.temperaturefolds import held_out_scorer

    scores = _sharp_rows(3000, 3, 14)
    labels = np.argmax(scores, axis=1)
    problem = MulticlassProblem(np.asfortranarray(scores), labels, None, read_settings(SETTINGS))
    fold = (np.arange(3000) % 3).astype(np.int8)
    scales = np.array([0.8, 2.0, 4.0])
    held = held_out_scorer(problem, fold, scales)(slice(0, 3000))
    assert float(held.min()) >= FLOOR
    for f, scale in enumerate(scales):
        model = dataclasses.replace(problem.unfitted("temperature"), scale=float(scale),
                                    bias=(0.0, 0.0, 0.0))
        np.testing.assert_allclose(held[fold == f], mc.apply_multiclass(model, scores[fold == f]),
                                   rtol=0, atol=1e-15)
