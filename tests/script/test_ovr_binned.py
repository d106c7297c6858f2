"""One-vs-rest multi-class with many rows: each class fitted and cross-fitted on its row bins
(``ovrbinned``), against the exact path on the same rows.

``BINNED_MIN_ROWS`` is lowered so that both paths run on the same rows, with coarse bins
(``ROW_BINS``) so that the approximation is visible at all.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import (
    CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationInput, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration import limits, rowbins
from tests.script.synthetic import multiclass_scenario, read_json, write_multiclass

ROWS = 30_000
COARSE_BINS = 2048

Json = dict[str, object]


def _run(tmp_path: str, name: str, env: dict[str, str], binned: bool,
         monkeypatch: pytest.MonkeyPatch) -> tuple[Json, Json]:
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1 if binned else 1 << 40)
    monkeypatch.setattr(rowbins, "ROW_BINS", COARSE_BINS)
    monkeypatch.setattr(rowbins, "ROW_BIN_MAX_WIDTH", 0.05)
    outputs = {o.value: os.path.join(tmp_path, name, o.value) for o in ModelCalibrationOutput}
    mc.main({ModelCalibrationInput.EVALUATION_DATA.value: os.path.join(tmp_path, "in")},
            outputs, env, argparse.Namespace(job_type="calibration"))
    metrics = read_json(os.path.join(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    calibrator = read_json(os.path.join(outputs[ModelCalibrationOutput.CALIBRATION_OUTPUT.value],
                                        CALIBRATOR_FILE))
    return metrics, calibrator


def _dict(value: object) -> Json:
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray]:
    scores, labels, _ = multiclass_scenario(ROWS, seed=21)
    return scores, labels


@pytest.mark.parametrize("method", ["isotonic", "platt", "gam"])
def test_one_vs_rest_on_row_bins_agrees_with_the_exact_path(
        tmp_path: str, rows: tuple[np.ndarray, np.ndarray], method: str,
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    write_multiclass(os.path.join(tmp_path, "in", "d.parquet"), *rows)
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": method}
    exact, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    binned, binned_cal = _run(tmp_path, "binned", env, True, monkeypatch)
    exact_members = exact_cal["members"]
    binned_members = binned_cal["members"]
    assert isinstance(exact_members, list) and isinstance(binned_members, list)
    assert len(exact_members) == len(binned_members) == 3
    # The shipped members: platt exact (refitted on every row), isotonic and gam fitted on the
    # bins (they record them), isotonic close to its exact fit.
    for e_member, b_member in zip(exact_members, binned_members):
        e_params, b_params = _dict(_dict(e_member)["params"]), _dict(_dict(b_member)["params"])
        if method == "isotonic":
            assert isinstance(_dict(_dict(b_member)["fit"])["row_bins"], dict)
            grid = np.linspace(0.0, 1.0, 1001)
            exact_curve = np.interp(grid, np.asarray(e_params["x"], dtype=float),
                                    np.asarray(e_params["y"], dtype=float))
            binned_curve = np.interp(grid, np.asarray(b_params["x"], dtype=float),
                                     np.asarray(b_params["y"], dtype=float))
            assert float(np.mean(np.abs(exact_curve - binned_curve))) < 0.02
        elif method == "platt":
            np.testing.assert_allclose([float(str(b_params[k])) for k in ("a", "b")],
                                       [float(str(e_params[k])) for k in ("a", "b")],
                                       rtol=1e-9, atol=1e-12)
        else:
            assert isinstance(_dict(_dict(b_member)["fit"])["row_bins"], dict)
    # The same folds; each fold's members fitted on the other folds' bins, so the held-out
    # figures are close to the exact ones, not equal.
    e_folds, b_folds = exact["folds"], binned["folds"]
    assert isinstance(e_folds, list) and isinstance(b_folds, list) and len(b_folds) == 5
    for e_fold, b_fold in zip(e_folds, b_folds):
        assert {k: e_fold[k] for k in ("fold", "n_train", "n_test")} == \
            {k: b_fold[k] for k in ("fold", "n_train", "n_test")}
        assert abs(e_fold["log_loss"] - b_fold["log_loss"]) < 2e-3
        assert abs(e_fold["accuracy"] - b_fold["accuracy"]) < 2e-3
    e_cal, b_cal = _dict(exact["calibrated"]), _dict(binned["calibrated"])
    for key, tol in (("log_loss", 2e-3), ("brier", 1e-3), ("ece_equal_width", 3e-3)):
        a, b = e_cal[key], b_cal[key]
        assert isinstance(a, float) and isinstance(b, float)
        assert abs(a - b) <= tol, f"{key}: exact {a}, binned {b}"
    assert _dict(exact["rows"]) == _dict(binned["rows"])
    assert _dict(exact["uncalibrated"])["log_loss"] == _dict(binned["uncalibrated"])["log_loss"]


def _without_seconds(folds: object) -> list[Json]:
    assert isinstance(folds, list)
    return [{k: v for k, v in _dict(f).items() if k != "fit_seconds"} for f in folds]


def test_vector_keeps_its_exact_fit(
        tmp_path: str, rows: tuple[np.ndarray, np.ndarray],
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    """The class scalings have no per-class bins: vector and dirichlet fit row by row at any
    size (as does ``auto``, which chooses one method for every class jointly); temperature's
    two passes on many rows are tested in ``test_temperature_folds``."""
    write_multiclass(os.path.join(tmp_path, "in", "d.parquet"), *rows)
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "vector"}
    exact, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    binned, binned_cal = _run(tmp_path, "binned", env, True, monkeypatch)
    assert exact_cal["params"] == binned_cal["params"]
    assert _without_seconds(exact["folds"]) == _without_seconds(binned["folds"])


def test_held_out_sums_in_chunks_equal_each_folds_figures(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The folds' held-out log loss and accuracy from one chunked pass over every row equal
    each fold's own figures (its rows' clipped log loss and argmax hits, weighted)."""
    from calibration_step.script.model_calibration.numerics import CLIP_EPSILON
    from calibration_step.script.model_calibration.ovrbinned import held_out_sums

    rng = np.random.default_rng(5)
    n, folds = 2500, 4
    predictions = np.asfortranarray(rng.dirichlet(np.ones(3), n))
    predictions[3] = [0.0, 0.5, 0.5]  # a label probability clipped; a tie for the top label
    labels = rng.integers(0, 3, n)
    labels[3] = 0
    weights = rng.uniform(0.5, 2.0, n)
    fold = rng.integers(0, folds, n).astype(np.int8)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 600)
    sums = held_out_sums(predictions, labels, weights, fold, folds)
    loss = -np.log(np.clip(predictions[np.arange(n), labels], CLIP_EPSILON, 1.0))
    hit = predictions.argmax(axis=1) == labels
    for f in range(folds):
        held = fold == f
        w = weights[held]
        assert sums[0, f] / sums[2, f] == pytest.approx(np.dot(w, loss[held]) / w.sum(),
                                                        rel=1e-12)
        assert sums[1, f] / sums[2, f] == pytest.approx(np.dot(w, hit[held]) / w.sum(),
                                                        rel=1e-12)
        assert sums[2, f] == pytest.approx(w.sum(), rel=1e-12)


@pytest.mark.parametrize("method", ["platt", "isotonic", "gam"])
def test_held_out_predictions_in_chunks_equal_each_folds_members_on_its_rows(
        monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """The chunked scorer scores each row by its own fold's members and renormalises it: the
    same values as each fold's members applied to all of its rows at once, whatever the rows
    asked for; the pass's sums count each fold's rows and its extremes are the predictions'."""
    from calibration_step.script.model_calibration.apply import renormalise
    from calibration_step.script.model_calibration.ovrbinned import (held_out_pass,
                                                                     held_out_scorer)
    from calibration_step.script.model_calibration.problems import MulticlassProblem

    scores, labels, _ = multiclass_scenario(3000, seed=22)
    settings = mc.read_settings({"CALIBRATION_METHOD": method, "IS_BINARY": "false",
                                 "NUM_CLASSES": "3"})
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), None,
                                settings)
    fold = (np.arange(3000) % 3).astype(np.int8)
    fold[fold == 2] = 3  # fold 2 holds no row
    models = [problem.fit(method, fold != f, f"fold {f}").members for f in range(3)]
    fold_models = [models[0], models[1], None, models[2]]
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)  # chunks with a shorter last one
    score = held_out_scorer(problem, fold, fold_models)
    sums, extremes = held_out_pass(problem, fold, score, len(fold_models))
    predictions = score(slice(None))
    np.testing.assert_array_equal(np.vstack([score(slice(s, s + 700))
                                             for s in range(0, 3000, 700)]), predictions)
    top = predictions.max(axis=1)
    assert extremes.low.tolist() == [*predictions.min(axis=0), top.min()]
    assert extremes.high.tolist() == [*predictions.max(axis=0), top.max()]
    for f, members in enumerate(fold_models):
        held = fold == f
        if members is None:
            assert not held.any() and sums[2, f] == 0.0
            continue
        q = np.column_stack([mc.apply_calibrator(m, scores[held, j])
                             for j, m in enumerate(members)])
        np.testing.assert_array_equal(predictions[held], renormalise(q)[0])
        assert sums[2, f] == float(np.count_nonzero(held))


def _uncalibrated(tmp_path: str, name: str, method: str,
                  monkeypatch: pytest.MonkeyPatch) -> Json:
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": method}
    return _dict(_run(tmp_path, name, env, True, monkeypatch)[0]["uncalibrated"])


@pytest.mark.parametrize("off", [False, True])
def test_uncalibrated_class_blocks_come_from_the_fits_bins_where_rows_sum_to_one(
        tmp_path: str, rows: tuple[np.ndarray, np.ndarray], off: bool,
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    scores, labels = rows
    # rows off 1 by more than 1e-6 are renormalised: the scores' own bins no longer apply
    write_multiclass(os.path.join(tmp_path, "in", "d.parquet"), scores * (0.99 if off else 1.0),
                     labels)
    ovr = _uncalibrated(tmp_path, "gam", "gam", monkeypatch)
    own = _uncalibrated(tmp_path, "temperature", "temperature", monkeypatch)  # bins its own
    assert ovr["top_label"] == own["top_label"]
    for key in ("log_loss", "brier", "accuracy"):
        assert ovr[key] == own[key]
    for name, block in _dict(ovr["per_class"]).items():
        theirs = _dict(_dict(own["per_class"])[name])
        block = _dict(block)
        # the fit's bins are by fold (5 groups), the metrics' own in one
        assert _dict(block["row_bins"])["groups"] == (1 if off else 5)
        assert _dict(theirs["row_bins"])["groups"] == 1
        for key in ("ece_equal_width", "ece_equal_mass", "brier", "log_loss", "auc"):
            a, b = block[key], theirs[key]
            assert isinstance(a, float) and isinstance(b, float)
            if off:
                assert a == b
            else:  # the scores as read against their renormalised copies: the last digits
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"{name} {key}: {a} {b}"
