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
from calibration_step.script.model_calibration import limits, rowbins, temperaturefolds
from calibration_step.script.model_calibration.temperature import fit_temperature
from calibration_step.script.model_calibration.temperaturefolds import (
    fold_moments, taylor_minimum,
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
