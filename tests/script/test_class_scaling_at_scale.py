"""The vector and dirichlet solver (Newton on the exact Hessian, folds started from the fit on
every row) and ``auto``'s choice on a stratified subsample of many rows."""

from __future__ import annotations

import os

import numpy as np
import pytest

from calibration_step.script.interface import METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration import classscaling, limits
from calibration_step.script.model_calibration.apply import class_logits
from calibration_step.script.model_calibration.classscaling import (fit_class_scaling,
                                                                    scaling_start)
from calibration_step.script.model_calibration.crossfit import selection_sample, select_method
from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, LOG_OFFSET
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings
from tests.script.synthetic import multiclass_scenario, read_json, run_main, write_multiclass

METHODS = ("vector", "dirichlet")


def _logits(n: int, seed: int, classes: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores, labels, _ = multiclass_scenario(n, seed, classes)
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, n)
    return class_logits(scores, "probability", CLIP_EPSILON, LOG_OFFSET), labels, weights


@pytest.mark.parametrize("method", METHODS)
def test_the_hessian_is_the_gradient_s_derivative(method: str) -> None:
    """Central differences of the gradient on weighted rows of a mask match the Hessian."""
    logits, labels, weights = _logits(400, 3)
    mask = np.random.default_rng(0).uniform(size=400) < 0.7
    k = logits.shape[1]
    size = 1 + (k * k if method == "dirichlet" else k) + k
    theta = np.random.default_rng(1).normal(size=size) * 0.3
    w = weights / weights[mask].sum()
    _, grad, hess = classscaling._scaling_sums(theta, logits, labels, w, method, mask, True)
    assert hess is not None
    step = 1e-6
    numeric = np.column_stack([
        (classscaling._scaling_sums(theta + step * e, logits, labels, w, method, mask)[1]
         - classscaling._scaling_sums(theta - step * e, logits, labels, w, method, mask)[1])
        / (2 * step) for e in np.eye(size)])
    np.testing.assert_allclose(hess, numeric, atol=1e-7, rtol=0)
    np.testing.assert_allclose(hess, hess.T, atol=1e-12, rtol=0)
    assert np.all(np.linalg.eigvalsh(hess) > -1e-12)  # convex


@pytest.mark.parametrize("method", METHODS)
def test_newton_reaches_the_quasi_newton_optimum(method: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Newton's fit and L-BFGS-B's (forced by a parameter limit of 0) agree on the optimum."""
    logits, labels, weights = _logits(3000, 4)
    params, bias, info = fit_class_scaling(logits, labels, weights, method)
    assert info["solver"] == "newton" and info["converged"] is True
    assert isinstance(info["iterations"], int) and info["iterations"] <= 12
    monkeypatch.setattr(classscaling, "NEWTON_MAX_PARAMETERS", 0)
    params_q, bias_q, info_q = fit_class_scaling(logits, labels, weights, method)
    assert info_q["solver"] == "L-BFGS-B" and info_q["converged"] is True
    np.testing.assert_allclose(params, params_q, atol=1e-6, rtol=0)
    np.testing.assert_allclose(bias, bias_q, atol=1e-6, rtol=0)
    assert info["neg_log_likelihood"] == pytest.approx(info_q["neg_log_likelihood"], rel=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_a_fold_started_from_the_full_fit_reaches_its_own_optimum(method: str) -> None:
    """A fold's fit from the full fit's parameters equals its fit from the identity map, in
    fewer steps."""
    logits, labels, weights = _logits(5000, 5)
    full = fit_class_scaling(logits, labels, weights, method)
    start = scaling_start(full[0], full[1], json_number(full[2]["common_scale"]))
    train = np.arange(5000) % 5 != 2
    warm = fit_class_scaling(logits, labels, weights, method, train, start)
    cold = fit_class_scaling(logits, labels, weights, method, train)
    np.testing.assert_allclose(warm[0], cold[0], atol=1e-8, rtol=0)
    np.testing.assert_allclose(warm[1], cold[1], atol=1e-8, rtol=0)
    assert warm[2]["converged"] is True
    assert json_number(warm[2]["iterations"]) < json_number(cold[2]["iterations"])


def test_scaling_start_round_trips_the_parameters() -> None:
    """The ``theta`` of a fit gives back its matrix and intercept."""
    logits, labels, weights = _logits(2000, 6)
    matrix, bias, info = fit_class_scaling(logits, labels, weights, "dirichlet")
    theta = scaling_start(matrix, bias, json_number(info["common_scale"]))
    again, again_bias = classscaling.unpack_theta(theta, 3, "dirichlet")
    np.testing.assert_allclose(again, matrix, atol=1e-15, rtol=0)
    np.testing.assert_allclose(again_bias, bias, atol=0, rtol=0)


def test_the_selection_sample_is_stratified_spread_and_seeded() -> None:
    labels = np.random.default_rng(0).choice(3, size=100_000, p=[0.7, 0.2, 0.1])
    picked = selection_sample(labels, 4096, 11)
    stride = -(-100_000 // 4096)
    counts = np.bincount(labels, minlength=3)
    assert np.bincount(labels[picked], minlength=3).tolist() == \
        [-(-int(c) // stride) for c in counts]
    assert picked.shape[0] <= 4096 + 3 and np.all(np.diff(picked) > 0)
    # each class's rows in blocks of stride: one pick per block
    for c in range(3):
        rows = np.flatnonzero(labels == c)
        place = np.searchsorted(rows, picked[labels[picked] == c])
        assert np.array_equal(place // stride, np.arange(place.shape[0]))
    np.testing.assert_array_equal(picked, selection_sample(labels, 4096, 11))
    assert not np.array_equal(picked, selection_sample(labels, 4096, 12))
    np.testing.assert_array_equal(selection_sample(labels[:10], 4096, 0), np.arange(10))


def test_auto_on_many_rows_chooses_on_the_subsample_and_records_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """From AUTO_SUBSAMPLE_MIN_ROWS rows the selection is the one on the subsample's rows."""
    monkeypatch.setattr(limits, "AUTO_SUBSAMPLE_MIN_ROWS", 3000)
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 1000)
    scores, labels, _ = multiclass_scenario(4000, 7)
    settings = read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                              "CALIBRATION_METHOD": "auto", "CALIBRATION_FOLDS": "3",
                              "AUTO_CANDIDATES": '["identity", "temperature", "vector", '
                                                 '"venn_abers"]'})
    problem = MulticlassProblem(np.asfortranarray(scores), labels, None, settings)
    mask = np.arange(4000) % 4 != 0
    choice = select_method(problem, settings, mask, 5, "test")
    picked = np.flatnonzero(mask)[selection_sample(labels[mask], 1000, 5)]
    subsample = json_get(choice, "subsample")
    assert subsample["rows"] == picked.shape[0] == choice["rows"]
    assert subsample["of_rows"] == 3000
    direct = select_method(problem.subset(picked), settings, None, 5, "test", sampled=True)
    assert choice["selected"] == direct["selected"]
    assert choice["candidates"] == direct["candidates"]
    # on the subsample of many rows venn_abers is skipped, not below them
    assert json_get(json_get(choice, "candidates"), "venn_abers")["status"] == "skipped"
    small = select_method(problem, settings, np.arange(4000) < 2999, 5, "test")
    assert "subsample" not in small and small["rows"] == 2999
    assert json_get(json_get(small, "candidates"), "venn_abers")["status"] == "ok"


def _auto_metrics(tmp_path: str, rows: int, seed: int, classes: int, candidates: str
                  ) -> dict[str, object]:
    """metrics.json of a 3-fold ``auto`` run on ``rows`` synthetic rows of ``classes`` classes
    with the ``candidates`` (a JSON list)."""
    scores, labels, _ = multiclass_scenario(rows, seed, classes=classes)
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": str(classes), "CALIBRATION_FOLDS": "3",
                    "CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": candidates})
    return read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                  METRICS_FILE))


def test_auto_at_scale_end_to_end_records_the_subsample(
        tmp_path: str, no_plot: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """The script's selection record and every fold's name the subsample; the shipped
    calibrator is fitted on every row."""
    monkeypatch.setattr(limits, "AUTO_SUBSAMPLE_MIN_ROWS", 1900)
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 800)
    metrics = _auto_metrics(tmp_path, 3000, 8, 3, '["identity", "temperature", "vector", '
                                                  '"dirichlet"]')
    text = str(metrics)
    assert "'subsample'" in text and "'of_rows': 3000" in text
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 3
    for fold in folds:  # each outer fold chose on a subsample of its training rows
        assert 600 <= fold["selection_rows"] <= 700 < fold["n_train"]


def test_auto_skips_dirichlet_beside_vector_above_32_classes_in_every_selection(
        tmp_path: str, no_plot: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """40 classes: the shipped selection records dirichlet as skipped, vector as fitted, and
    no outer fold's selection (on the shared subsample) scores dirichlet."""
    monkeypatch.setattr(limits, "AUTO_SUBSAMPLE_MIN_ROWS", 1500)
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 1000)
    metrics = _auto_metrics(tmp_path, 2000, 9, 40, '["identity", "vector", "dirichlet"]')
    candidates = json_get(json_get(metrics, "selection"), "candidates")
    assert json_get(candidates, "dirichlet")["status"] == "skipped"
    assert "40 classes > 32" in str(json_get(candidates, "dirichlet")["reason"])
    assert json_get(candidates, "vector")["status"] == "ok"
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 3
    for fold in folds:
        scored = json_get(fold, "candidate_log_loss")
        assert scored["dirichlet"] is None and isinstance(scored["vector"], float)
