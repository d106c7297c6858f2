"""auto on 45 calibration rows of real models' scores: never worse than the uncalibrated scores
in its own estimate, better than scikit-learn's sigmoid and isotonic on held-out rows on average,
and its cross-fitted log loss an honest estimate of the held-out one."""

from __future__ import annotations

import dataclasses
import logging
from typing import Literal

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV

pytest.importorskip("sklearn.frozen", reason="the comparison needs FrozenEstimator (scikit-learn >= 1.6; the image has 1.4)")
from sklearn.frozen import FrozenEstimator  # noqa: E402  (after the skip: the image's scikit-learn lacks it)

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.crossfit import (auto_repeats, cross_fit,
                                                                miss_rate, select_method)
from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
from calibration_step.script.model_calibration.mixture import fit_selection
from calibration_step.script.model_calibration.rowfolds import FileRows, file_folds
from calibration_step.script.model_calibration.problems import BinaryProblem
from tests.script.real_data import DATASETS, MODELS, RealSplit, log_loss, real_split

CAL_ROWS = 45
AUTO = mc.read_settings({"CALIBRATION_METHOD": "auto"})


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Held-out log losses of one split, and auto's selection record."""

    raw: float
    sigmoid: float
    isotonic: float
    auto: float
    selection: dict[str, object]


def _sklearn(split: RealSplit, method: Literal["sigmoid", "isotonic"]) -> float:
    calibrated = CalibratedClassifierCV(FrozenEstimator(split.model), method=method)
    calibrated.fit(split.x_cal, split.y_cal)
    return log_loss(calibrated.predict_proba(split.x_test)[:, 1], split.y_test)


def _outcome(split: RealSplit) -> Outcome:
    problem = BinaryProblem(split.cal_scores, split.y_cal, None, AUTO)
    selection = select_method(problem, AUTO, None, AUTO.seed, "test")
    calibrator = fit_selection(selection, lambda method: problem.fit(method, None, "test"),
                               problem.mixed)
    return Outcome(raw=log_loss(split.test_scores, split.y_test),
                   sigmoid=_sklearn(split, "sigmoid"), isotonic=_sklearn(split, "isotonic"),
                   auto=log_loss(mc.apply_calibrator(calibrator, split.test_scores),
                                 split.y_test),
                   selection=selection)


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, str, int], Outcome]:
    logging.getLogger("model_calibration").setLevel(logging.ERROR)  # the non-converged fits
    return {(data, model, seed): _outcome(real_split(data, model, CAL_ROWS, seed))
            for data in DATASETS for model in MODELS for seed in (0, 1)}


def test_auto_is_never_worse_than_the_scores_in_its_own_estimate(
        outcomes: dict[tuple[str, str, int], Outcome]) -> None:
    for case, outcome in outcomes.items():
        record = outcome.selection
        candidates = record["candidates"]
        assert isinstance(candidates, dict)
        shipped = json_get(record, "mixture") if record["selected"] == "mixture" \
            else candidates[str(record["selected"])]
        chosen = json_number(shipped["log_loss"])
        assert chosen <= json_number(candidates["identity"]["log_loss"]), case
        assert record["inner_repeats"] == auto_repeats(CAL_ROWS, binary=True) == 23
        assert record["label_smoothing"] == miss_rate(CAL_ROWS)
        assert "no worse than identity" in str(record["reason"])


def test_auto_beats_sklearn_sigmoid_and_isotonic_on_held_out_rows_on_average(
        outcomes: dict[tuple[str, str, int], Outcome]) -> None:
    # measured on these 24 splits: auto 0.21, sigmoid 0.22, isotonic 0.78, the scores 0.80
    mean = {name: float(np.mean([getattr(o, name) for o in outcomes.values()]))
            for name in ("raw", "sigmoid", "isotonic", "auto")}
    assert mean["auto"] <= mean["sigmoid"], mean
    assert mean["auto"] <= 0.5 * mean["isotonic"], mean
    assert mean["auto"] <= 0.5 * mean["raw"], mean


def test_auto_is_never_far_behind_the_best_of_the_scores_and_sigmoid(
        outcomes: dict[tuple[str, str, int], Outcome]) -> None:
    # without the label smoothing, auto picks fits that separate 45 rows: up to 1.2 here
    for case in {(data, model) for data, model, _ in outcomes}:
        runs = [outcome for key, outcome in outcomes.items() if key[:2] == case]
        auto = float(np.mean([o.auto for o in runs]))
        best = min(float(np.mean([o.raw for o in runs])), float(np.mean([o.sigmoid for o in runs])))
        assert auto <= best + 0.1, (case, auto, best)


@pytest.mark.parametrize("model", ["naive_bayes", "random_forest"])
def test_the_cross_fitted_log_loss_of_auto_estimates_the_held_out_one(model: str) -> None:
    # measured over all 12 (data set, model) pairs and 3 seeds: cross-fitted 0.205, held out 0.210
    estimates, held_out = [], []
    for data in DATASETS:
        split = real_split(data, model, CAL_ROWS, seed=3)
        problem = BinaryProblem(split.cal_scores, split.y_cal, None, AUTO)
        fold = file_folds(problem.strata, FileRows((data,), (split.y_cal.shape[0],)), AUTO.folds,
                          AUTO.seed)
        estimates.append(log_loss(cross_fit(problem, AUTO, fold).predictions, split.y_cal))
        held_out.append(_outcome(split).auto)
    ratio = float(np.mean(estimates)) / float(np.mean(held_out))
    assert 0.6 <= ratio <= 1.5, (estimates, held_out)
