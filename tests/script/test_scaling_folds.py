"""vector and dirichlet with their folds from shared passes over many rows (``scalingfolds``):
the per-fold sums, the shipped fit, each fold's one Newton step and the held-out predictions,
against the exact path (each fold fitted to convergence)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional

import numpy as np
import pytest

from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.interface import (CALIBRATOR_FILE, METRICS_FILE,
                                               ModelCalibrationOutput)
from calibration_step.script.model_calibration import (classscaling, limits, problems,
                                                       scalingfolds)
from calibration_step.script.model_calibration.apply import (class_logits,
                                                             class_scaling_probabilities)
from calibration_step.script.model_calibration.artifact import MultiCalibrator
from calibration_step.script.model_calibration.artifactreader import load_calibration_model
from calibration_step.script.model_calibration.classscaling import (fit_class_scaling,
                                                                    scaling_start)
from calibration_step.script.model_calibration.crossfit import cross_fit, stratified_folds
from calibration_step.script.model_calibration.jsonvalues import json_number
from calibration_step.script.model_calibration.numerics import NewtonResult
from calibration_step.script.model_calibration.scratch import Scratch
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.scalingfolds import (fit_scaling_folds,
                                                                    fit_with_folds, fold_sums,
                                                                    settle)
from calibration_step.script.model_calibration.settings import read_settings
from calibration_step.script.model_calibration.sharedfolds import SharedFoldFits
from calibration_step.script.model_calibration.temperaturefolds import ChunkedLogScores
from tests.script.synthetic import multiclass_scenario, read_json, run_main, write_multiclass

METHODS = ("vector", "dirichlet")


def _problem(n: int, seed: int, method: str, weighted: bool = True
             ) -> tuple[MulticlassProblem, np.ndarray]:
    scores, labels, _ = multiclass_scenario(n, seed)
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, n) if weighted else None
    settings = read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                              "CALIBRATION_METHOD": method})
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), weights,
                                settings)
    return problem, stratified_folds(labels, 5, 0)


@pytest.fixture
def small_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared passes from 1,000 rows, started from a subsample of 2,000."""
    monkeypatch.setattr(limits, "SCALING_FOLDS_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "SCALING_START_ROWS", 2000)


@pytest.mark.parametrize("method", METHODS)
def test_each_fold_s_sums_are_the_exact_sums_on_its_rows(method: str) -> None:
    """A fold's value, gradient and Hessian are ``_scaling_sums`` on its rows; its weights'
    sums too."""
    problem, fold = _problem(3000, 1, method)
    k = 3
    theta = np.random.default_rng(2).normal(size=1 + (k * k if method == "dirichlet" else k)
                                            + k) * 0.3
    sums = fold_sums(ChunkedLogScores(problem), problem.labels, problem.weights, fold, 5, theta,
                     method)
    for f in range(5):
        rows = fold == f
        loss, grad, hess = classscaling._scaling_sums(theta, problem.logits, problem.labels,
                                                      problem.weights, method, rows, True)
        assert hess is not None
        assert sums.loss[f] == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(sums.gradient[f], grad, rtol=1e-11, atol=1e-9)
        np.testing.assert_allclose(sums.hessian[f], hess, rtol=1e-11, atol=1e-9)
        assert sums.weight[f] == pytest.approx(float(problem.weights[rows].sum()), rel=1e-12)
        assert sums.squared_weight[f] == pytest.approx(
            float(np.dot(problem.weights[rows], problem.weights[rows])), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_shipped_and_fold_fits_match_the_exact_fits(method: str, small_bound: None) -> None:
    """The shipped fit is the exact one; each fold's one Newton step lands within the square
    of its length of the fold's converged fit, and closer with four times the rows."""
    errors = []
    for n in (20_000, 80_000):
        problem, fold = _problem(n, 3, method)
        found = fit_with_folds(problem, method, fold, 5, 0)
        assert found is not None
        params, bias, info = fit_class_scaling(problem.logits, problem.labels, problem.weights,
                                               method)
        exact = scaling_start(params, bias, json_number(info["common_scale"]))
        shipped = settle(problem, method, fold, found, None)
        assert shipped is not None
        np.testing.assert_allclose(shipped.theta, exact, atol=1e-8, rtol=0)
        assert shipped.iterations <= 5 and shipped.iterations == found.shipped.iterations + 1
        # before it is settled: the last step taken unconfirmed, about its square from there
        np.testing.assert_allclose(found.shipped.theta, exact, atol=1e-6, rtol=0)
        worst = 0.0
        for f, fit in enumerate(found.folds):
            assert fit is not None
            params, bias, info = fit_class_scaling(problem.logits, problem.labels,
                                                   problem.weights, method, fold != f, exact)
            converged = scaling_start(params, bias, json_number(info["common_scale"]))
            step = float(np.max(np.abs(fit.theta - found.shipped.theta)))
            error = float(np.max(np.abs(fit.theta - converged)))
            assert error <= 10.0 * step ** 2 + 1e-9
            worst = max(worst, error)
        errors.append(worst)
    assert errors[1] < errors[0] / 2.0


@pytest.mark.parametrize("method", METHODS)
def test_the_cross_fit_matches_the_exact_cross_fit(method: str, small_bound: None) -> None:
    """The held-out predictions and fold records of the shared passes equal those of
    ``cross_fit`` (each fold fitted to convergence) to the one step's error."""
    problem, fold = _problem(40_000, 4, method)
    settings = problem.settings
    found = fit_scaling_folds(problem, settings, fold)
    assert found is not None
    calibrator, crossed = found
    shipped = problem.fit(method, None, "shipped")
    exact = cross_fit(problem, settings, fold)
    predictions = crossed.score(slice(None))
    np.testing.assert_allclose(predictions, exact.predictions, atol=5e-4, rtol=0)
    assert predictions.flags.f_contiguous
    assert calibrator.uniform_share == shipped.uniform_share
    assert calibrator.fit["converged"] is True and calibrator.fit["solver"] == "newton"
    assert calibrator.fit["fold_fits"] == "one Newton step each from the full fit's last pass"
    if method == "vector":
        np.testing.assert_allclose(calibrator.class_scales, shipped.class_scales, atol=1e-8)
    else:
        assert calibrator.matrix is not None and shipped.matrix is not None
        np.testing.assert_allclose(calibrator.matrix, shipped.matrix, atol=1e-8)
    np.testing.assert_allclose(calibrator.bias, shipped.bias, atol=1e-8)
    assert len(crossed.folds) == len(exact.folds) == 5
    for ours, theirs in zip(crossed.folds, exact.folds):
        assert (ours["fold"], ours["n_train"], ours["n_test"]) == \
            (theirs["fold"], theirs["n_train"], theirs["n_test"])
        assert ours["log_loss"] == pytest.approx(theirs["log_loss"], abs=1e-5)
        assert ours["accuracy"] == pytest.approx(theirs["accuracy"], abs=1e-3)


def test_below_the_bound_or_for_other_methods_the_exact_path_fits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem, fold = _problem(3000, 5, "vector", weighted=False)
    assert fit_scaling_folds(problem, problem.settings, fold) is None  # below 2**21 rows
    monkeypatch.setattr(limits, "SCALING_FOLDS_MIN_ROWS", 1000)
    assert fit_scaling_folds(problem, problem.settings, fold) is not None
    other, _ = _problem(3000, 5, "temperature", weighted=False)
    assert fit_scaling_folds(other, other.settings, fold) is None
    # more natural parameters than Newton's bound: the exact fit (L-BFGS-B) instead
    monkeypatch.setattr(classscaling, "NEWTON_MAX_PARAMETERS", 6)
    monkeypatch.setattr(scalingfolds, "NEWTON_MAX_PARAMETERS", 6)
    assert fit_scaling_folds(problem, problem.settings, fold) is not None  # vector: 6
    dirichlet, _ = _problem(3000, 5, "dirichlet", weighted=False)
    assert fit_scaling_folds(dirichlet, dirichlet.settings, fold) is None  # 12
    assert SharedFoldFits(dirichlet, fold, 5, 0, None).shipped("dirichlet") is None


def _stalled(evaluate: object, start: np.ndarray, *args: object, **kwargs: object
             ) -> NewtonResult:
    """Stands in for ``newton_minimize``: Newton's steps that do not converge."""
    return NewtonResult(start, 0.0, np.zeros_like(start), 50, False)


def test_newton_steps_that_do_not_converge_leave_it_to_the_exact_path(
        small_bound: None, monkeypatch: pytest.MonkeyPatch) -> None:
    problem, fold = _problem(3000, 6, "dirichlet")

    monkeypatch.setattr(scalingfolds, "newton_minimize", _stalled)
    assert fit_with_folds(problem, "dirichlet", fold, 5, 0) is None
    assert fit_scaling_folds(problem, problem.settings, fold) is None


def test_a_fold_without_rows_is_skipped(small_bound: None) -> None:
    """Folds beyond the rows' deal hold no row: no fit, no record; every row still scored."""
    problem, fold = _problem(3000, 7, "vector")
    fold = np.where(fold == 4, 3, fold).astype(np.int8)
    found = fit_scaling_folds(problem, problem.settings, fold)
    assert found is not None
    assert [r["fold"] for r in found[1].folds] == [0, 1, 2, 3]
    assert np.all(np.isfinite(found[1].score(slice(None))))


def _script_outputs(root: str, seed: int, env: dict[str, str]
                    ) -> tuple[dict[str, object], dict[str, object]]:
    """The calibrator and metrics of the script on 3,000 multi-class rows (parquet)."""
    scores, labels, _ = multiclass_scenario(3000, seed)
    write_multiclass(os.path.join(root, "in", "d.parquet"), scores, labels)
    out = run_main(os.path.join(root, "in"), os.path.join(root, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", **env})
    return (read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value],
                                   CALIBRATOR_FILE)),
            read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                   METRICS_FILE)))


def test_the_script_takes_the_shared_passes_from_the_bound(
        tmp_path: str, no_plot: list[int], small_bound: None) -> None:
    """End to end: the shipped fit records its fold fits, every fold its held-out figures."""
    calibrator, metrics = _script_outputs(tmp_path, 8, {"CALIBRATION_METHOD": "vector"})
    assert scalingfolds.FOLD_FITS in str(calibrator)
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 5
    assert sum(f["n_test"] for f in folds) == 3000
    assert all(0.0 < f["log_loss"] < 1.5 for f in folds)


def test_cross_fit_takes_the_fold_models_it_is_given(small_bound: None) -> None:
    """``cross_fit`` scores each fold's rows with the model ``fold_model`` gives (here the
    shared passes'), fitting only what it does not give."""
    problem, fold = _problem(4000, 9, "vector")
    shared = SharedFoldFits(problem, fold, 5, 0, None)
    asked: list[tuple[str, int]] = []

    def fold_model(method: str, f: int) -> Optional[MultiCalibrator]:
        asked.append((method, f))
        return shared.fold_model(method, f)

    crossed = cross_fit(problem, problem.settings, fold, fold_model)
    assert asked == [("vector", f) for f in range(5)]
    for f in range(5):
        model = shared.fold_model("vector", f)
        assert model is not None
        np.testing.assert_array_equal(crossed.predictions[fold == f],
                                      problem.predict(model, fold == f))
    shipped = shared.shipped("vector")
    assert shipped is not None and shipped.fit["fold_fits"] == scalingfolds.FOLD_FITS
    assert shared.shipped("temperature") is None
    # no held-out pass of the shared passes: settling the shipped fit takes a pass of its own
    settled = shared.settled(dataclasses.replace(shipped, fit={**shipped.fit, "auto": {}}))
    exact = problem.fit("vector", None, "exact")
    np.testing.assert_allclose(settled.class_scales, exact.class_scales, atol=1e-8)
    np.testing.assert_allclose(settled.bias, exact.bias, atol=1e-8)
    assert settled.fit["converged"] is True and settled.fit["auto"] == {}
    assert settled.fit["fold_fits"] == scalingfolds.FOLD_FITS
    other = problem.fit("identity", None, "identity")  # no shared passes of its own
    assert shared.settled(other) is other


def _vector_choices() -> dict[int, dict[str, object]]:
    """Every fold's selection record naming vector."""
    return {f: {"selected": "vector", "candidates": {"vector": {"status": "ok",
                                                                "log_loss": 0.5}}}
            for f in range(5)}


def test_auto_s_one_pass_stores_the_held_out_predictions_once_the_scores_are_done_with(
        small_bound: None) -> None:
    """The shipped calibrator and every fold vector's: the held-out pass writes the held-out
    predictions over the scores (those of a pass that does not store, to the bit) and the
    shipped fit is settled from its sums; with dirichlet's shipped fit still to settle (a
    pass over the scores) the scores are kept."""
    problem, fold = _problem(4000, 9, "auto")
    scores = problem.scores.copy()
    shared = SharedFoldFits(problem, fold, 5, 0, None)
    shipped = shared.shipped("vector")
    assert shipped is not None
    held = shared.cross_fit(_vector_choices())
    assert held is not None
    assert not np.array_equal(problem.scores, scores)  # the predictions in their place
    kept, kept_fold = _problem(4000, 9, "auto")
    other = SharedFoldFits(kept, kept_fold, 5, 0, None)
    dirichlet = other.shipped("dirichlet")
    assert other.shipped("vector") is not None and dirichlet is not None
    scored = other.cross_fit(_vector_choices())
    assert scored is not None
    np.testing.assert_array_equal(kept.scores, scores)  # dirichlet's settling reads them
    np.testing.assert_array_equal(held.score(slice(0, 4000)), scored.score(slice(0, 4000)))
    assert held.folds == scored.folds
    settled = shared.settled(shipped)
    again = other.settled(shipped)
    np.testing.assert_array_equal(settled.class_scales, again.class_scales)
    np.testing.assert_array_equal(settled.bias, again.bias)
    assert other.settled(dirichlet).method == "dirichlet"


def test_a_unanimous_choice_s_passes_read_the_stored_log_scores(
        small_bound: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every selection chose vector: its first pass stores the class log-scores over the
    scores, the later passes read them there (each row's taken once, where each pass took
    them again), and the calibrator, fold records and held-out predictions are those of
    passes that do not store, to the bit."""
    logged: list[int] = []
    own = class_logits  # the function problems calls

    def counted(scores: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        logged.append(int(scores.shape[0]))
        return own(scores, *args, **kwargs)

    monkeypatch.setattr(problems, "class_logits", counted)
    outcomes = []
    for unanimous in (None, "vector"):
        problem, fold = _problem(4000, 9, "auto")
        shared = SharedFoldFits(problem, fold, 5, 0, unanimous)
        shipped = shared.shipped("vector")
        assert shipped is not None
        held = shared.cross_fit(_vector_choices())
        assert held is not None
        outcomes.append((shared.settled(shipped), held.folds, held.score(slice(0, 4000))))
        assert sum(logged) == 4000 if unanimous else sum(logged) >= 3 * 4000  # 3+ passes
        logged.clear()
    (plain, plain_folds, plain_held), (stored, stored_folds, stored_held) = outcomes
    np.testing.assert_array_equal(plain.class_scales, stored.class_scales)
    np.testing.assert_array_equal(plain.bias, stored.bias)
    assert plain_folds == stored_folds
    np.testing.assert_array_equal(plain_held, stored_held)


def test_auto_at_scale_fits_its_class_scaling_choice_from_shared_passes(
        tmp_path: str, no_plot: list[int], small_bound: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """auto chooses on the subsample, then its vector fits (shipped and folds) come from the
    shared passes: the shipped calibrator records them."""
    monkeypatch.setattr(limits, "AUTO_SUBSAMPLE_MIN_ROWS", 1900)
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 800)
    calibrator, metrics = _script_outputs(tmp_path, 10, {
        "CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["identity", "vector"]'})
    # the subsample's 800 rows are few enough for the stacked mixture: vector ships alone or
    # as the mixture's member beside identity, its fits from the shared passes either way
    loaded = load_calibration_model(calibrator)
    assert isinstance(loaded, MultiCalibrator)
    shipped = [c for c in (loaded.components or (loaded,)) if c.method == "vector"]
    assert len(shipped) == 1 and scalingfolds.FOLD_FITS in str(shipped[0].fit)
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 5
    assert all(fold["selected_method"] in ("vector", "mixture") for fold in folds)


@pytest.mark.parametrize("method", METHODS)
def test_a_step_too_long_to_take_unconfirmed_resumes_newton_s_passes(
        method: str, small_bound: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step taken without its pass: the held-out pass's check finds the shipped fit
    short of the optimum and Newton's passes resume from there to the exact fit."""
    monkeypatch.setattr(scalingfolds, "UNCONFIRMED_STEP", 10.0)
    problem, fold = _problem(20_000, 11, method)
    found = fit_with_folds(problem, method, fold, 5, 0)
    # the first step's pass (no Hessian) and the pass after it, whose step is not confirmed
    assert found is not None and found.shipped.iterations == 2
    found_again = scalingfolds.fit_scaling_folds(problem, problem.settings, fold)
    assert found_again is not None
    calibrator = found_again[0]
    exact = problem.fit(method, None, "exact")
    np.testing.assert_allclose(calibrator.bias, exact.bias, atol=1e-8)
    assert calibrator.fit["converged"] is True
    assert int(json_number(calibrator.fit["iterations"])) > 2  # resumed


def test_the_held_out_scorer_gives_the_pass_s_values_for_any_slices(
        small_bound: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The metrics' slices, whatever their bounds, get the held-out pass's probabilities to
    the bit (chunks of 1,000 rows here): its extremes are theirs, its sums those of the
    predictions."""
    monkeypatch.setattr(limits, "CLASS_CHUNK_VALUES", 600)
    problem, fold = _problem(5000, 12, "dirichlet")
    found = fit_scaling_folds(problem, problem.settings, fold)
    assert found is not None
    held = found[1]
    every = held.score(slice(None))
    pieces = np.concatenate([held.score(slice(s, min(s + 777, 5000)))
                             for s in range(0, 5000, 777)])
    np.testing.assert_array_equal(pieces, every)
    top = every.max(axis=1)
    assert held.extremes.low.tolist() == [*every.min(axis=0), top.min()]
    assert held.extremes.high.tolist() == [*every.max(axis=0), top.max()]
    for record in held.folds:
        rows = fold == record["fold"]
        truth = every[rows, problem.labels[rows]]
        w = problem.weights[rows]
        assert record["log_loss"] == pytest.approx(float(np.dot(w, -np.log(truth)) / w.sum()),
                                                   rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_stored_held_out_predictions_are_the_scored_ones(method: str, small_bound: None) -> None:
    """Stored over the score matrix in the held-out pass, the held-out predictions, their
    extremes and fold records and the shipped calibrator are those scored chunk by chunk."""
    problem, fold = _problem(6000, 13, method)
    scored = fit_scaling_folds(problem, problem.settings, fold)
    assert scored is not None
    expected = scored[1].score(slice(None))
    stored = fit_scaling_folds(problem, problem.settings, fold, store=True)
    assert stored is not None
    np.testing.assert_array_equal(problem.scores, expected)  # the scores are gone
    np.testing.assert_array_equal(stored[1].score(slice(1000, 2500)), expected[1000:2500])
    timeless = [{key: value for key, value in record.items() if key != "fit_seconds"}
                for record in (*stored[1].folds, *scored[1].folds)]
    assert timeless[:5] == timeless[5:]
    assert stored[1].extremes.low.tolist() == scored[1].extremes.low.tolist()
    assert stored[1].extremes.high.tolist() == scored[1].extremes.high.tolist()
    assert stored[0].bias == scored[0].bias


@pytest.mark.parametrize("method", METHODS)
def test_without_the_scores_a_step_too_long_is_taken_or_raises(
        method: str, small_bound: None, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """With the scores gone Newton's passes cannot resume: the check's step is taken (with a
    warning) within ``UNCONFIRMED_STEP``, beyond it the fit fails."""
    problem, fold = _problem(20_000, 11, method)
    monkeypatch.setattr(scalingfolds, "UNCONFIRMED_STEP", 10.0)
    found = fit_with_folds(problem, method, fold, 5, 0)
    assert found is not None
    settled = settle(problem, method, fold, found, None)  # resumes: the exact fit
    assert settled is not None and settled.iterations > found.shipped.iterations + 1
    taken = settle(problem, method, fold, found, None, resume=False)
    assert taken is not None and taken.iterations == found.shipped.iterations + 1
    assert "taken without another pass" in caplog.text
    # one Newton step on the last pass's Hessian: nearer the exact fit than before it
    before = float(np.max(np.abs(found.shipped.theta - settled.theta)))
    assert float(np.max(np.abs(taken.theta - settled.theta))) < before / 10.0
    monkeypatch.setattr(scalingfolds, "UNCONFIRMED_STEP", 1e-12)
    with pytest.raises(CalibrationScriptError, match="did not settle"):
        settle(problem, method, fold, found, None, resume=False)


def _parameters(model: MultiCalibrator) -> tuple[object, ...]:
    """A vector's or dirichlet's fitted parameters, comparable by ``==``."""
    matrix = None if model.matrix is None else model.matrix.tolist()
    return model.class_scales, model.bias, model.uniform_share, matrix


@pytest.mark.parametrize("method", METHODS)
def test_the_first_pass_stores_the_log_scores_the_later_passes_read(
        method: str, small_bound: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``store`` every row's class log-scores are taken once, by the first pass (the
    start's subsample apart), for the same calibrator as the run that takes them in every
    pass."""
    problem, fold = _problem(6000, 14, method)
    scored = fit_scaling_folds(problem, problem.settings, fold)
    assert scored is not None
    rows_logged: list[int] = []

    def counted(scores: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        rows_logged.append(int(scores.shape[0]))
        return class_logits(scores, *args, **kwargs)  # type: ignore[arg-type]  # as given

    monkeypatch.setattr(problems, "class_logits", counted)
    again, _ = _problem(6000, 14, method)
    stored = fit_scaling_folds(again, again.settings, fold, store=True)
    assert stored is not None
    assert sum(rows_logged) == 6000
    assert _parameters(stored[0]) == _parameters(scored[0])


@pytest.mark.parametrize("method", METHODS)
def test_after_stored_passes_fail_the_exact_fit_reads_the_log_scores(
        method: str, small_bound: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Newton's passes not converging after the first stored the log-scores over the scores:
    the exact fit and its predictions equal a fresh problem's."""
    problem, fold = _problem(3000, 15, method)
    fresh, _ = _problem(3000, 15, method)

    monkeypatch.setattr(scalingfolds, "newton_minimize", _stalled)
    assert fit_scaling_folds(problem, problem.settings, fold, store=True) is None
    assert np.shares_memory(problem.logits, problem.scores)
    model, expected = problem.fit(method, fold != 1, "s"), fresh.fit(method, fold != 1, "s")
    assert _parameters(model) == _parameters(expected)
    np.testing.assert_array_equal(problem.predict(model, fold == 1),
                                  fresh.predict(expected, fold == 1))


@pytest.mark.parametrize("method", ["vector", "dirichlet"])
def test_the_script_falls_back_to_the_exact_fits_on_the_stored_log_scores(
        method: str, tmp_path: str, no_plot: list[int], small_bound: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: Newton's shared passes not converging after the first stored the
    log-scores over the scores, the script's exact fits (on them) give the calibrator and fold
    records of a run that took the exact path from the start."""
    env = {"CALIBRATION_METHOD": method}
    with monkeypatch.context() as exact_path:
        exact_path.setattr(limits, "SCALING_FOLDS_MIN_ROWS", 1 << 40)
        exact_cal, exact = _script_outputs(os.path.join(tmp_path, "exact"), 16, env)

    monkeypatch.setattr(scalingfolds, "newton_minimize", _stalled)
    fallen_cal, fallen = _script_outputs(os.path.join(tmp_path, "fallen"), 16, env)
    assert scalingfolds.FOLD_FITS not in str(fallen_cal)
    assert fallen_cal["params"] == exact_cal["params"]
    timeless = [{k: v for k, v in record.items() if k != "fit_seconds"}
                for folds in (exact["folds"], fallen["folds"]) if isinstance(folds, list)
                for record in folds if isinstance(record, dict)]
    assert len(timeless) == 10 and timeless[:5] == timeless[5:]


def _chunk_sums_written_out(x: np.ndarray, y: np.ndarray, wi: np.ndarray, matrix: np.ndarray,
                            bias: np.ndarray, method: str
                            ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The chunk's sums as they were computed before the kept arrays, each a new array."""
    m = x.shape[1]
    labelled = y.astype(np.intp) * m + np.arange(m)
    eta = np.ascontiguousarray(matrix @ x if method == "dirichlet" else matrix[:, None] * x)
    eta += bias[:, None]
    eta -= eta.max(axis=0)
    p = np.exp(eta)
    sums = p.sum(axis=0)
    loss = float(np.dot(wi, np.log(sums) - eta.reshape(-1).take(labelled)))
    p /= sums
    layout = classscaling._pair_layout(x.shape[0], method)
    assert layout is not None
    coefficients = p[layout.first] * p[layout.second]
    np.negative(coefficients, out=coefficients)
    coefficients[layout.first == layout.second] += p
    coefficients *= wi
    features = np.vstack([x[layout.left] * x[layout.right], x, np.ones((1, m))])
    hessian = (coefficients @ features.T)[layout.pair, layout.product]
    p *= wi
    p.reshape(-1)[labelled] -= wi
    grad_matrix = p @ x.T if method == "dirichlet" else (p * x).sum(axis=1)
    return loss, grad_matrix, p.sum(axis=1), hessian


@pytest.mark.parametrize("method", METHODS)
def test_chunk_sums_in_kept_arrays_are_the_sums_written_out_to_the_bit(method: str) -> None:
    rng = np.random.default_rng(7)
    k = 3
    theta = np.concatenate([[1.2], rng.normal(0.0, 0.2, k * k if method == "dirichlet" else k),
                            rng.normal(0.0, 0.3, k)])
    matrix, bias = classscaling.unpack_theta(theta, k, method)
    scratch = Scratch()
    for m in (5000, 5461, 137, 4999):  # the kept arrays grow, then serve shorter chunks
        x = np.ascontiguousarray(np.log(rng.dirichlet(np.ones(k), m) + 1e-12).T)
        y = rng.integers(0, k, m)
        for wi, unit in ((np.ones(m), True), (rng.uniform(0.5, 2.0, m), False)):
            expected = _chunk_sums_written_out(x, y, wi, matrix, bias, method)
            kept = classscaling.chunk_sums(x, y, wi, matrix, bias, method, True, True, scratch,
                                           unit)
            assert kept[0] == expected[0]
            for got, want in zip(kept[1:], expected[1:]):
                assert got is not None and np.array_equal(got, want)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("share", [None, 0.01])
def test_class_major_scoring_gives_the_apply_s_probabilities_to_the_bit(
        method: str, share: Optional[float]) -> None:
    rng = np.random.default_rng(8)
    k = 3
    scores = rng.dirichlet(np.ones(k), 4000)
    logits = class_logits(scores, "probability", 1e-15, 1e-12)
    fold = rng.integers(0, 5, 4000).astype(np.int8)
    models: list[Optional[MultiCalibrator]] = []
    for _ in range(5):
        if method == "dirichlet":
            parameters: dict[str, Any] = {"matrix": np.eye(k) + rng.normal(0.0, 0.3, (k, k))}
        else:
            parameters = {"class_scales": tuple(rng.uniform(0.5, 2.0, k))}
        models.append(MultiCalibrator(mode="multiclass", method=method,
                                      score_space="probability", clip_epsilon=1e-15,
                                      names=("a", "b", "c"), score_fields=("a", "b", "c"),
                                      label_fields=("y",), bias=tuple(rng.normal(0.0, 1.0, k)),
                                      uniform_share=share, **parameters))
    x = np.ascontiguousarray(logits.T)
    expected = np.empty_like(logits)
    for f, model in enumerate(models):
        rows = fold == f
        assert model is not None
        expected[rows] = class_scaling_probabilities(model, logits[rows])
    scratch = Scratch()
    for kept in (None, scratch, scratch):
        assert np.array_equal(scalingfolds._scored(x, fold, models, kept).T, expected)
