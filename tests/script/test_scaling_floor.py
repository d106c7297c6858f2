"""Vector and dirichlet on many classes: no class below one in a million, as named temperature."""

from __future__ import annotations

import dataclasses
import functools
import json

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.artifactreader import load_calibration_model
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings

FLOOR = 1e-6


@functools.lru_cache(maxsize=1)
def _thirty_classes() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random forest's votes on 30 classes: 900 calibration and 900 test rows, where the true
    class of a few rows got no vote."""
    x, y = make_classification(3000, 30, n_informative=15, n_classes=30, n_clusters_per_class=1,
                               class_sep=1.5, random_state=112)
    forest = RandomForestClassifier(random_state=0).fit(x[:1200], y[:1200])
    p = forest.predict_proba(x[1200:])
    return p[:900], y[1200:2100], p[900:], y[2100:]


def _named(method: str, scores: np.ndarray, labels: np.ndarray) -> mc.MultiCalibrator:
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int64), None,
                                read_settings({"IS_BINARY": "false",
                                               "NUM_CLASSES": str(scores.shape[1]),
                                               "CALIBRATION_METHOD": method}))
    return problem.fit(method, None, "test")


@pytest.mark.parametrize("method", ["vector", "dirichlet"])
def test_thirty_classes_of_forest_votes_give_no_class_less_than_one_in_a_million(
        method: str) -> None:
    p_cal, y_cal, p_test, y_test = _thirty_classes()
    cal = _named(method, p_cal, y_cal)
    assert cal.uniform_share is not None and cal.uniform_share / 30 < FLOOR
    assert cal.probability_floor == FLOOR
    q = mc.apply_multiclass(cal, p_test)
    assert float(q.min()) >= FLOOR and np.allclose(q.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    unlifted = mc.apply_multiclass(dataclasses.replace(cal, probability_floor=None), p_test)
    rows = np.arange(y_test.shape[0])
    assert int(np.count_nonzero(unlifted[rows, y_test] < FLOOR)) > 0  # confident misses
    moved = (unlifted < FLOOR).any(axis=1)
    np.testing.assert_array_equal(q[~moved], unlifted[~moved])  # other rows as they were
    content = cal.to_json_dict()
    assert content["schema_version"] == 5
    loaded = load_calibration_model(json.loads(json.dumps(content)))
    assert isinstance(loaded, mc.MultiCalibrator)
    np.testing.assert_array_equal(mc.apply_multiclass(loaded, p_test), q)


def test_a_few_classes_keep_the_uniform_share_alone_and_their_file_version() -> None:
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(3), 45)
    labels = np.argmax(p + rng.normal(0.0, 0.2, p.shape), axis=1)
    for method in ("vector", "dirichlet"):
        cal = _named(method, p, labels)
        assert cal.probability_floor is None and cal.uniform_share is not None
        assert cal.uniform_share / 3 > FLOOR
        assert cal.to_json_dict()["schema_version"] == 3


def test_auto_s_identity_on_thirty_classes_keeps_every_class_above_one_in_a_million() -> None:
    p_cal, y_cal, p_test, y_test = _thirty_classes()
    problem = MulticlassProblem(np.asfortranarray(p_cal), y_cal.astype(np.int64), None,
                                read_settings({"IS_BINARY": "false", "NUM_CLASSES": "30",
                                               "CALIBRATION_METHOD": "auto"}))
    identity = problem.fit("identity", None, "test")
    q = mc.apply_multiclass(identity, p_test)
    rows = np.arange(y_test.shape[0])
    assert float(np.min(p_test[rows, y_test])) == 0.0  # the forest gave some true classes nothing
    assert float(q.min()) >= FLOOR and np.allclose(q.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    voted = p_test > 1e-3  # the scores as they are, renormalised by under 1e-4
    assert int(np.count_nonzero(voted)) > 900
    np.testing.assert_allclose(q[voted], p_test[voted], rtol=1e-4)
