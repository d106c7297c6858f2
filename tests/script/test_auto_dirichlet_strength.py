"""Multi-class ``auto`` fits dirichlet under a weaker ODIR off-diagonal prior
(``problems.AUTO_OFF_DIAGONAL_PENALTY``) than ``CALIBRATION_METHOD=dirichlet``: on 121
calibration rows of 8 classes its held-out log loss is lower."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bench.quality import ours
from bench.quality.datasets import prepare
from bench.quality.metrics import log_loss
from calibration_step.script.model_calibration import classscaling
from calibration_step.script.model_calibration.apply import apply_multiclass
from calibration_step.script.model_calibration.classscaling import fit_class_scaling
from calibration_step.script.model_calibration.jsonvalues import json_get
from calibration_step.script.model_calibration.problems import (AUTO_OFF_DIAGONAL_PENALTY,
                                                                MulticlassProblem)
from calibration_step.script.model_calibration.settings import read_settings


def _off_diagonal_strength(record: Mapping[str, object]) -> object:
    return json_get(record, "penalty")["off_diagonal"]


def _off_diagonal(matrix: np.ndarray) -> float:
    return float(np.sum(matrix ** 2) - np.sum(np.diag(matrix) ** 2))


def test_auto_fits_dirichlet_under_its_weaker_off_diagonal_prior() -> None:
    run = prepare("synthetic_8_classes_small", "naive_bayes", 0)
    cal, test = run.calibration, run.test
    fitted = {}
    for method in ("auto", "dirichlet"):
        settings = read_settings(ours.environment(method, cal.scores.shape[1]))
        problem = MulticlassProblem(np.asfortranarray(cal.scores), cal.labels.astype(np.int8),
                                    None, settings)
        fitted[method] = problem.fit("dirichlet", None, "test")
    assert AUTO_OFF_DIAGONAL_PENALTY == 50.0 and classscaling.OFF_DIAGONAL_PENALTY == 500.0
    assert _off_diagonal_strength(fitted["auto"].fit) == AUTO_OFF_DIAGONAL_PENALTY
    assert _off_diagonal_strength(fitted["dirichlet"].fit) == 500.0
    assert fitted["auto"].matrix is not None and fitted["dirichlet"].matrix is not None
    assert _off_diagonal(fitted["auto"].matrix) > 2.0 * _off_diagonal(fitted["dirichlet"].matrix)
    shipped = {m: apply_multiclass(model, test.scores) for m, model in fitted.items()}
    np.testing.assert_allclose(shipped["auto"].sum(axis=1), 1.0, atol=1e-12)
    # 1.314 against 1.366 nats a row (the quality benchmark's split, seed 0)
    assert log_loss(shipped["auto"], test.labels) < log_loss(shipped["dirichlet"],
                                                             test.labels) - 0.03


def test_the_strength_keyword_moves_dirichlet_only() -> None:
    rng = np.random.default_rng(3)
    features = np.log(rng.dirichlet(np.ones(4), size=60))
    labels = rng.integers(0, 4, size=60)
    weights = np.ones(60)
    default = fit_class_scaling(features, labels, weights, "dirichlet")
    explicit = fit_class_scaling(features, labels, weights, "dirichlet",
                                 off_diagonal_penalty=classscaling.OFF_DIAGONAL_PENALTY)
    np.testing.assert_array_equal(default[0], explicit[0])
    weak = fit_class_scaling(features, labels, weights, "dirichlet", off_diagonal_penalty=5.0)
    assert _off_diagonal_strength(weak[2]) == 5.0
    assert _off_diagonal(weak[0]) > _off_diagonal(default[0])
    vector = fit_class_scaling(features, labels, weights, "vector")
    vector_weak = fit_class_scaling(features, labels, weights, "vector", off_diagonal_penalty=5.0)
    np.testing.assert_array_equal(vector[0], vector_weak[0])
    assert "off_diagonal" not in json_get(vector_weak[2], "penalty")
