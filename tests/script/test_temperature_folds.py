"""Temperature scaling with many rows (``temperaturefolds``): the shipped scale and every fold's
from one or two passes over the rows, against the exact Newton fits on the same rows.

``BINNED_MIN_ROWS`` is lowered so that both paths run on the same rows (and ``ROW_BINS``, for
the binned metrics it brings, so that they take less time).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from calibration_step.script.interface import (
    CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration import (
    limits, problems, rowbins, temperaturefolds,
)
from calibration_step.script.model_calibration.apply import class_logits
from calibration_step.script.model_calibration.crossfit import stratified_folds
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, LOG_OFFSET
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings
from calibration_step.script.model_calibration.temperature import fit_temperature
from calibration_step.script.model_calibration.temperaturefolds import (
    fit_temperature_folds, fold_moments, taylor_minimum,
)
from tests.script.synthetic import multiclass_scenario, read_json, run_main, write_multiclass

Json = dict[str, object]


def _run(tmp_path: str, name: str, env: dict[str, str], many: bool,
         monkeypatch: pytest.MonkeyPatch) -> tuple[Json, Json]:
    """metrics.json and calibrator.json of a run on ``tmp_path/in`` (``many``: every row count
    takes the many-rows path)."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1 if many else 1 << 40)
    monkeypatch.setattr(rowbins, "ROW_BINS", 2048)  # the binned metrics' bins: fewer, faster
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, name), env)
    return (read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                   METRICS_FILE)),
            read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value],
                                   CALIBRATOR_FILE)))


def _dict(value: object) -> Json:
    assert isinstance(value, dict)
    return value


def _number(value: object) -> float:
    assert isinstance(value, (int, float))
    return float(value)


def _temperature_input(tmp_path: str, rows: int) -> dict[str, str]:
    """``rows`` synthetic 3-class rows written to ``tmp_path/in``; a temperature run's settings."""
    scores, labels, _ = multiclass_scenario(rows, seed=5)
    write_multiclass(os.path.join(tmp_path, "in", "d.parquet"), scores, labels)
    return {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "temperature"}


@pytest.mark.parametrize("folds_far", [False, True])
def test_two_pass_temperature_equals_the_exact_fits(
        tmp_path: str, folds_far: bool, monkeypatch: pytest.MonkeyPatch,
        no_plot: list[int]) -> None:
    env = _temperature_input(tmp_path, 40_000)
    solves: list[int] = []
    exact_fit, solve = fit_temperature, temperaturefolds._solve

    def counted(*args: object, **kwargs: object) -> object:
        solves.append(1)
        return exact_fit(*args, **kwargs)  # type: ignore[arg-type]  # the same arguments

    def refuse_folds(sums: np.ndarray, total: float, centre: float) -> object:
        return None if total < 40_000 else solve(sums, total, centre)

    exact, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    monkeypatch.setattr(temperaturefolds, "fit_temperature", counted)
    if folds_far:  # every fold's expansion refused: each refitted exactly from there
        monkeypatch.setattr(temperaturefolds, "_solve", refuse_folds)
    fast, fast_cal = _run(tmp_path, "fast", env, True, monkeypatch)
    scale = _number(_dict(exact_cal["params"])["scale"])
    assert _number(_dict(fast_cal["params"])["scale"]) == pytest.approx(scale, rel=1e-10)
    fit = _dict(fast_cal["fit"])
    assert fit["iterations"] == 2 and fit["converged"] is True
    assert _number(fit["expansion_error_bound"]) <= 1e-12
    exact_folds, fast_folds = exact["folds"], fast["folds"]
    assert isinstance(exact_folds, list) and isinstance(fast_folds, list)
    assert len(exact_folds) == len(fast_folds) == 5
    for e, f in zip(exact_folds, fast_folds):
        e, f = _dict(e), _dict(f)
        assert (e["fold"], e["n_train"], e["n_test"]) == (f["fold"], f["n_train"], f["n_test"])
        assert _number(f["log_loss"]) == pytest.approx(_number(e["log_loss"]), rel=1e-9)
        assert _number(f["accuracy"]) == pytest.approx(_number(e["accuracy"]), abs=1e-12)
    calibrated, exact_calibrated = _dict(fast["calibrated"]), _dict(exact["calibrated"])
    for key in ("log_loss", "brier", "accuracy"):
        assert _number(calibrated[key]) == pytest.approx(_number(exact_calibrated[key]),
                                                         rel=1e-9)
    # the start (every 64th row); the folds refused: each one's exact fit too
    assert len(solves) == (6 if folds_far else 1)


def test_a_start_close_to_every_fit_takes_one_pass(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    env = _temperature_input(tmp_path, 20_000)
    exact, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    scale = _number(_dict(exact_cal["params"])["scale"])
    passes: list[float] = []
    moments = temperaturefolds.fold_moments

    def counted(*args: object) -> np.ndarray:
        passes.append(float(args[-1]))  # type: ignore[arg-type]  # the scale, last
        return moments(*args)  # type: ignore[arg-type]  # the same arguments

    # the start (on many rows, the fit on every 64th row is this close): the full fit's scale
    monkeypatch.setattr(temperaturefolds, "fit_temperature",
                        lambda *args: (scale * (1.0 + 1e-4), (0.0,) * 3, {}))
    monkeypatch.setattr(temperaturefolds, "fold_moments", counted)
    fast, fast_cal = _run(tmp_path, "fast", env, True, monkeypatch)
    assert passes == [scale * (1.0 + 1e-4)]
    fit = _dict(fast_cal["fit"])
    assert fit["iterations"] == 1 and _number(fit["expansion_error_bound"]) <= 1e-12
    assert _number(_dict(fast_cal["params"])["scale"]) == pytest.approx(scale, rel=1e-10)
    exact_folds, fast_folds = exact["folds"], fast["folds"]
    assert isinstance(exact_folds, list) and isinstance(fast_folds, list)
    for e, f in zip(exact_folds, fast_folds):
        assert _number(_dict(f)["log_loss"]) == pytest.approx(_number(_dict(e)["log_loss"]),
                                                              rel=1e-9)


def test_few_rows_far_from_the_start_take_the_exact_fits(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    env = _temperature_input(tmp_path, 200)
    _, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    _, fast_cal = _run(tmp_path, "fast", env, True, monkeypatch)
    assert "expansion_error_bound" not in _dict(fast_cal["fit"])
    assert fast_cal["params"] == exact_cal["params"]


def test_fold_moments_are_the_derivatives_of_the_objective() -> None:
    scores, labels, _ = multiclass_scenario(3000, seed=2)
    logits = np.log(scores + 1e-12)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, 3000)
    fold = np.zeros(3000, dtype=np.int8)

    def loss(s: float) -> float:
        return float(fold_moments(logits, labels, weights, fold, 1, s)[0, 0])

    m = fold_moments(logits, labels, weights, fold, 1, 0.7)[:, 0]
    h = 1e-4
    assert m[1] == pytest.approx((loss(0.7 + h) - loss(0.7 - h)) / (2 * h), rel=1e-6)
    assert m[2] == pytest.approx((loss(0.7 + h) - 2 * loss(0.7) + loss(0.7 - h)) / h ** 2,
                                 rel=1e-5)
    first = fold_moments(logits, labels, weights, fold, 1, 0.7 + h)[:, 0]
    for order in (2, 3, 4, 5):  # each derivative's change is the next one
        assert first[order] - m[order] == pytest.approx(m[order + 1] * h, rel=1e-3)


def test_taylor_minimum_refuses_a_concave_expansion() -> None:
    assert taylor_minimum(np.array([0.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0])) is None


def test_two_pass_temperature_with_weights_equals_the_exact_fit(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(20_000, seed=8)
    frame = pd.DataFrame({f"prob_class_{c}": scores[:, c] for c in range(3)})
    frame["label"] = labels
    frame["w"] = np.random.default_rng(9).uniform(0.2, 3.0, 20_000)
    os.makedirs(os.path.join(tmp_path, "in"))
    frame.to_parquet(os.path.join(tmp_path, "in", "d.parquet"), index=False)
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "temperature",
           "WEIGHT_FIELD": "w"}
    exact, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    fast, fast_cal = _run(tmp_path, "fast", env, True, monkeypatch)
    assert "expansion_error_bound" in _dict(fast_cal["fit"])
    assert _number(_dict(fast_cal["params"])["scale"]) == pytest.approx(
        _number(_dict(exact_cal["params"])["scale"]), rel=1e-10)
    assert _number(_dict(fast_cal["fit"])["neg_log_likelihood"]) == pytest.approx(
        _number(_dict(exact_cal["fit"])["neg_log_likelihood"]), rel=1e-12)
    exact_folds, fast_folds = exact["folds"], fast["folds"]
    assert isinstance(exact_folds, list) and isinstance(fast_folds, list)
    for e, f in zip(exact_folds, fast_folds):
        assert _number(_dict(f)["log_loss"]) == pytest.approx(_number(_dict(e)["log_loss"]),
                                                              rel=1e-9)


def _temperature_problem(n: int, seed: int) -> tuple[MulticlassProblem, np.ndarray]:
    scores, labels, _ = multiclass_scenario(n, seed)
    settings = read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                              "CALIBRATION_METHOD": "temperature"})
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), None,
                                settings)
    return problem, stratified_folds(labels, 5, 0)


def test_stored_log_scores_give_the_same_fits_and_are_taken_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``store`` the first pass writes the class log-scores over the scores: the calibrator,
    the fold records and the held-out predictions are those of the run that computes them in
    every pass, and every row's log-scores are taken once (the start's every 64th row apart)."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1)
    scored_problem, fold = _temperature_problem(5000, 21)
    scored = fit_temperature_folds(scored_problem, scored_problem.settings, fold)
    assert scored is not None
    expected = scored[1].score(slice(None))
    rows_logged: list[int] = []

    def counted(scores: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        rows_logged.append(int(scores.shape[0]))
        return class_logits(scores, *args, **kwargs)  # type: ignore[arg-type]  # as given

    monkeypatch.setattr(problems, "class_logits", counted)
    problem, _ = _temperature_problem(5000, 21)
    stored = fit_temperature_folds(problem, problem.settings, fold, store=True)
    assert stored is not None
    assert sum(rows_logged) == 5000 + len(range(0, 5000, 64))
    assert (stored[0].scale, stored[0].bias) == (scored[0].scale, scored[0].bias)
    assert {**stored[0].fit, "seconds": 0} == {**scored[0].fit, "seconds": 0}
    np.testing.assert_array_equal(problem.scores, expected)  # the held-out predictions
    timeless = [{key: value for key, value in record.items() if key != "fit_seconds"}
                for record in (*stored[1].folds, *scored[1].folds)]
    assert timeless[:5] == timeless[5:]


def test_after_a_failed_expansion_the_exact_fits_read_the_stored_log_scores(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No expansion reaching a scale after the first pass stored the log-scores: the problem's
    log-scores are the stored ones (equal to those of the scores), the exact fit on them
    equals a fresh problem's, and the one-vs-rest members, whose scores are gone, are refused."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1)
    monkeypatch.setattr(temperaturefolds, "_solve", lambda *args: None)
    problem, fold = _temperature_problem(3000, 22)
    fresh, _ = _temperature_problem(3000, 22)
    assert fit_temperature_folds(problem, problem.settings, fold, store=True) is None
    assert np.shares_memory(problem.logits, problem.scores)
    np.testing.assert_array_equal(problem.logits, class_logits(
        fresh.scores, "probability", CLIP_EPSILON, LOG_OFFSET))
    mask = fold != 2
    assert problem.fit("temperature", None, "t").scale == fresh.fit("temperature", None,
                                                                        "t").scale
    model = problem.fit("temperature", mask, "t")
    assert model.scale == fresh.fit("temperature", mask, "t").scale
    np.testing.assert_array_equal(problem.predict(model, ~mask), fresh.predict(model, ~mask))
    with pytest.raises(RuntimeError, match="replaced by the class log-scores"):
        _ = problem.columns
    with pytest.raises(RuntimeError, match="replaced by the class log-scores"):
        problem.subset(np.arange(10))


def test_a_pass_stopped_part_way_leaves_the_rest_to_be_stored_when_read() -> None:
    """Log-scores stored over the first rows only: any later read stores the rest first, so
    the matrix never mixes scores and log-scores for a reader."""
    problem, _ = _temperature_problem(1000, 23)
    expected = class_logits(problem.scores, "probability", CLIP_EPSILON, LOG_OFFSET)
    first = problem.logit_rows(slice(0, 400), store=True)
    assert np.shares_memory(first, problem.scores)
    np.testing.assert_array_equal(problem.scores[:400], expected[:400])
    np.testing.assert_array_equal(problem.logit_rows(slice(0, 1000, 64)), expected[::64])
    np.testing.assert_array_equal(problem.scores, expected)
    # stored in full: a store read neither logs again nor moves anything
    np.testing.assert_array_equal(problem.logit_rows(slice(0, 10), store=True), expected[:10])


def test_the_script_falls_back_to_the_exact_fits_on_the_stored_log_scores(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    """No expansion reaching a scale in the script's run, whose first pass stored the
    log-scores over the scores: the exact fits (on them) give the exact path's calibrator and
    fold records."""
    env = _temperature_input(tmp_path, 3000)
    exact, exact_cal = _run(tmp_path, "exact", env, False, monkeypatch)
    monkeypatch.setattr(temperaturefolds, "_solve", lambda *args: None)
    fallen, fallen_cal = _run(tmp_path, "fallen", env, True, monkeypatch)
    assert fallen_cal["params"] == exact_cal["params"]
    exact_folds, fallen_folds = exact["folds"], fallen["folds"]
    assert isinstance(exact_folds, list) and isinstance(fallen_folds, list)
    timeless = [{key: value for key, value in _dict(record).items() if key != "fit_seconds"}
                for record in (*exact_folds, *fallen_folds)]
    assert len(timeless) == 10 and timeless[:5] == timeless[5:]
