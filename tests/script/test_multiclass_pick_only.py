"""Multi-class ``auto`` scores bounded one-vs-rest isotonic as a candidate for its single pick
only: on wine's RBF SVM scores (54 calibration rows) it wins and ships alone, bounded."""

from __future__ import annotations

import json

import numpy as np

from bench.quality import ours
from bench.quality.datasets import prepare
from bench.quality.metrics import log_loss
from calibration_step.script.model_calibration.apply import apply_multiclass
from calibration_step.script.model_calibration.crossfit import (AUTO_MULTICLASS_PICK_ONLY,
                                                                select_method)
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings
from calibration_step.script.setting_rules import auto_default_candidates


def test_isotonic_wins_the_pick_on_wine_svm_and_ships_alone_and_bounded() -> None:
    run = prepare("wine", "svm", 0)
    cal, test = run.calibration, run.test
    settings = read_settings(ours.environment("auto", cal.scores.shape[1]))
    problem = MulticlassProblem(np.asfortranarray(cal.scores), cal.labels.astype(np.int8), None,
                                settings)
    selection = select_method(problem, settings, None, settings.seed, "test")
    assert AUTO_MULTICLASS_PICK_ONLY == ("isotonic",)
    assert selection["pick_only"] == ["isotonic"] and selection["selected"] == "isotonic"
    assert "mixture" not in selection  # never a member: the pick ships alone
    candidates = selection["candidates"]
    assert isinstance(candidates, dict)
    assert candidates["isotonic"]["log_loss"] < 0.5 * candidates["dirichlet"]["log_loss"]
    shipped = apply_multiclass(problem.fit("isotonic", None, "test"), test.scores)
    np.testing.assert_allclose(shipped.sum(axis=1), 1.0, atol=1e-12)
    assert shipped.min() > 1e-6  # bounded under auto: no confident miss possible
    dirichlet = apply_multiclass(problem.fit("dirichlet", None, "test"), test.scores)
    assert log_loss(shipped, test.labels) < log_loss(dirichlet, test.labels) - 0.005


def test_named_candidates_get_no_pick_only_isotonic() -> None:
    run = prepare("wine", "svm", 0)
    env = ours.environment("auto", run.calibration.scores.shape[1])
    env["AUTO_CANDIDATES"] = json.dumps(["identity", "vector", "dirichlet"])
    settings = read_settings(env)
    assert settings.auto_candidates != auto_default_candidates("multiclass")
    problem = MulticlassProblem(np.asfortranarray(run.calibration.scores),
                                run.calibration.labels.astype(np.int8), None, settings)
    selection = select_method(problem, settings, None, settings.seed, "test")
    candidates = selection["candidates"]
    assert isinstance(candidates, dict)
    assert "pick_only" not in selection and "isotonic" not in candidates
    assert selection["selected"] in ("identity", "vector", "dirichlet", "mixture")
