"""Separable calibration sets: beta's weakly informative prior keeps it finite and confident far
from the class boundary, every calibrator ``auto`` fits (but identity) is bounded by
``probability_floor``, and auto then ships a confident fit where the rows back it."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.interface import CALIBRATOR_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.artifact import (Calibrator, checksum,
                                                                required_schema_version)
from calibration_step.script.model_calibration.artifactreader import load_calibrator
from calibration_step.script.model_calibration.crossfit import miss_rate, select_method
from calibration_step.script.model_calibration.fitting import (class_floor, fit_calibrator,
                                                               probability_floor)
from calibration_step.script.model_calibration.mixture import fit_selection
from calibration_step.script.model_calibration.numerics import (beta_features, fit_logistic,
                                                                fit_logistic_prior)
from calibration_step.script.model_calibration.problems import BinaryProblem
from tests.script.real_data import MODELS, log_loss, real_split
from tests.script.synthetic import read_json, run_main, write_csv

AUTO = mc.read_settings({"CALIBRATION_METHOD": "auto"})


def _separable(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probability scores whose classes do not overlap: negatives in (0.01, 0.4), positives in
    (0.6, 0.99)."""
    rng = np.random.default_rng(seed)
    y = (np.arange(rows) % 2).astype(float)
    s = np.where(y == 1.0, rng.uniform(0.6, 0.99, rows), rng.uniform(0.01, 0.4, rows))
    return s, y


def _fit(method: str, s: np.ndarray, y: np.ndarray) -> Calibrator:
    return fit_calibrator(aggregate(s, y), mc.read_settings({"CALIBRATION_METHOD": method}))


def test_beta_stays_finite_on_separable_rows_and_is_confident_far_from_the_boundary() -> None:
    s, y = _separable(200, seed=1)
    cal = _fit("beta", s, y)
    assert cal.fit["converged"] is True and cal.fit["targets"] == "labels"
    assert "Cauchy(0, 2.5)" in str(cal.fit["prior"])
    floor = probability_floor(200.0)
    assert cal.extra_params == {"probability_floor": floor}
    far = mc.apply_calibrator(cal, np.array([0.0, 0.01, 0.5, 0.99, 1.0]))
    # far rows at the bound, the boundary undecided, and never an exact 0 or 1
    assert far[0] == far[1] == floor and far[3] == far[4] == 1.0 - floor
    assert 0.05 < far[2] < 0.95


def test_the_prior_vanishes_as_rows_grow() -> None:
    rng = np.random.default_rng(2)
    s = rng.uniform(0.01, 0.99, 200_000)
    y = (rng.uniform(size=s.size) < s).astype(float)
    agg = aggregate(s, y)
    ln_s, ln_1ms = beta_features(agg.values, "probability", 1e-15)
    x = np.column_stack([ln_s, -ln_1ms, np.ones_like(ln_s)])
    plain = fit_logistic(x, agg.n, agg.k).coef
    prior = fit_logistic_prior(x, agg.n, agg.k).coef
    change = np.abs(prior - plain)
    assert 0.0 < float(change.max()) < 1e-4, change


def test_probability_floor_and_miss_rate_are_the_krichevsky_trofimov_rate() -> None:
    assert probability_floor(45.0) == miss_rate(45.0) == pytest.approx(1.0 / 92.0)
    assert probability_floor(499_999.0) == pytest.approx(1e-6)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_auto_on_a_separable_real_task_is_confident_without_a_confident_miss(model: str) -> None:
    # iris setosa against the rest: separable by every model's scores. Measured (seeds 0-2):
    # auto 0.012-0.016 held out (logistic regression's compressed scores 0.028-0.041: on 45
    # rows auto leaves isotonic out, whose two steps were sharper there), scikit-learn's sigmoid
    # 0.041-0.071; before the bound and the prior auto kept every row near 1 - 1/(N + 2):
    # 0.015-0.052.
    logging.getLogger("model_calibration").setLevel(logging.ERROR)
    split = real_split("iris", model, 45, seed=0, positive=0)
    problem = BinaryProblem(split.cal_scores, split.y_cal, None, AUTO)
    selection = select_method(problem, AUTO, None, AUTO.seed, "test")
    cal = fit_selection(selection, lambda method: problem.fit(method, None, "test"),
                        problem.mixed)
    p = mc.apply_calibrator(cal, split.test_scores)
    floor = probability_floor(45.0)
    truth = np.where(split.y_test == 1.0, p, 1.0 - p)
    assert float(truth.min()) >= 1e-6  # no confident miss
    assert float(p.min()) >= floor and float(p.max()) <= 1.0 - floor  # no exact 0/1
    assert log_loss(p, split.y_test) < (0.045 if model.startswith("logistic") else 0.02)
    assert selection["label_smoothing"] == miss_rate(45.0)


def test_auto_ships_its_bound_and_the_file_reproduces_it(tmp_path: str,
                                                         no_plot: list[int]) -> None:
    s, y = _separable(120, seed=3)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "auto"})
    path = os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)
    content = read_json(path)
    loaded = load_calibrator(path)
    floor = probability_floor(120.0)
    if content["method"] == "mixture":  # every member bounded
        members = content["params"]["members"]  # type: ignore[index]  # JSON
        # a binary temperature member makes it version 4
        assert content["schema_version"] == (
            4 if any(m["method"] == "temperature" for m in members) else 3)
        assert [m["params"]["probability_floor"] for m in members] == [floor] * len(members)
    elif content["method"] != "identity":
        assert content["schema_version"] == 2
        assert content["params"]["probability_floor"] == floor  # type: ignore[index]  # JSON
    grid = np.linspace(0.0, 1.0, 101)
    p = mc.apply_calibrator(loaded, grid)
    assert float(p.min()) > 0.0 and float(p.max()) < 1.0


def test_a_beta_file_without_the_bound_applies_as_before() -> None:
    old = Calibrator("beta", "probability", 1e-15, coef=(30.0, 30.0, 0.0))
    assert required_schema_version(old.to_json_dict()) == 1
    p = mc.apply_calibrator(old, np.array([1e-3, 0.5]))
    assert p[0] < 1e-80 and p[1] == 0.5  # no bound: the coefficients as they are
    bounded = Calibrator("beta", "probability", 1e-15, coef=(30.0, 30.0, 0.0),
                         extra_params={"probability_floor": 0.01})
    assert required_schema_version(bounded.to_json_dict()) == 2
    assert mc.apply_calibrator(bounded, np.array([1e-3]))[0] == 0.01


@pytest.mark.parametrize("floor", [-0.1, 0.5, "x"])
def test_a_bound_outside_its_range_is_refused(floor: object) -> None:
    content = Calibrator("platt", "probability", 1e-15, coef=(1.0, 0.0)).to_json_dict()
    content["params"]["probability_floor"] = floor  # type: ignore[index]  # a JSON object
    content["schema_version"] = 2
    content["checksum"] = checksum(content)
    with pytest.raises(CalibrationScriptError, match="probability_floor"):
        load_calibrator(content)


def test_auto_bounds_identity_by_the_class_floor_of_two_classes() -> None:
    s, y = _separable(60, seed=4)
    problem = BinaryProblem(s, y, None, AUTO)
    identity = problem.fit("identity", None, "test")
    assert identity.extra_params["probability_floor"] == class_floor(60.0, 2)
    assert class_floor(60.0, 2) == probability_floor(60.0) / 4
    out = mc.apply_calibrator(identity, np.array([0.0, 1e-9, 0.5, 1.0]))
    assert out.tolist() == [class_floor(60.0, 2), class_floor(60.0, 2), 0.5,
                            1.0 - class_floor(60.0, 2)]
    named = BinaryProblem(s, y, None, mc.read_settings({"CALIBRATION_METHOD": "identity"}))
    assert "probability_floor" not in named.fit("identity", None, "test").extra_params
    bounded = problem.fit("isotonic", None, "test")
    assert bounded.extra_params["probability_floor"] == probability_floor(60.0)
    named = BinaryProblem(s, y, None, mc.read_settings({"CALIBRATION_METHOD": "isotonic"}))
    assert "probability_floor" not in named.fit("isotonic", None, "test").extra_params


# 28 calibration rows of an RBF SVM's probabilities (a 45-row synthetic set, one inner fold):
# ln s and -ln(1 - s) are nearly collinear there, so beta's coefficients sit on a ridge where
# the prior's curvature is negative; majorised Newton steps crawled along it for 200 steps.
RIDGE_SCORES = [0.30636763198583017, 0.6978709509528487, 0.6864279887535178, 0.7780163803549787,
                0.6371884551929958, 0.2284836646698674, 0.5659723289193888, 0.6621488202250697,
                0.5917934005428125, 0.21618258627010598, 0.6831705216314747, 0.4779384350496896,
                0.18779250726561958, 0.44012440360377175, 0.1805966188458744, 0.7425685408168213,
                0.282352778534047, 0.6812326944675751, 0.6828531302762418, 0.7760911525576476,
                0.2216718434589216, 0.18837943026583395, 0.18908735840383903, 0.24229550511359604,
                0.458081926623192, 0.1854811612281713, 0.652760462003872, 0.7046969426798789]
RIDGE_LABELS = [0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1]


def test_the_prior_fit_converges_along_a_ridge_of_near_collinear_features() -> None:
    s, y = np.array(RIDGE_SCORES), np.array(RIDGE_LABELS, dtype=float)
    ln_s, ln_1ms = beta_features(s, "probability", 1e-15)
    x = np.column_stack([ln_s, -ln_1ms, np.ones_like(s)])
    fit = fit_logistic_prior(x, np.ones_like(y), y)
    assert fit.converged and fit.iterations < 100
    cal = _fit("beta", s, y)
    assert cal.fit["converged"] is True


def test_the_prior_fit_settles_after_a_long_drift_along_a_ridge() -> None:
    # a 29-row inner fold of a 45-row set (a C = 0.005 logistic regression's probabilities):
    # the fit drifts 430 steps along a ridge before it converges, to a lower objective
    s = np.array([0.40607431239207875, 0.41492930469300965, 0.4206824110213298,
                  0.42271790734306136, 0.423173223398556, 0.42845879317526425,
                  0.4302553082502142, 0.4374344395993591, 0.4388468443343323, 0.4413353839676727,
                  0.4415337317748114, 0.444338349672184, 0.44764155795220306, 0.450767481328258,
                  0.458185167229811, 0.4652319803839224, 0.5134384588790872, 0.5311064469324679,
                  0.5364752138389051, 0.5422037686669465, 0.542479679525857, 0.5447117223003752,
                  0.5484414978425071, 0.5498019827938266, 0.5668619382140632, 0.5766816379959094,
                  0.5850432293284102, 0.5860815207140333, 0.6129743909276272])
    y = np.array([0.0] * 9 + [1.0] + [0.0] * 6 + [1.0] * 13)
    ln_s, ln_1ms = beta_features(s, "probability", 1e-15)
    x = np.column_stack([ln_s, -ln_1ms, np.ones_like(s)])
    fit = fit_logistic_prior(x, np.ones_like(y), y)
    assert fit.converged
    short = fit_logistic_prior(x, np.ones_like(y), y, max_iter=200)
    assert not short.converged and fit.neg_log_lik < short.neg_log_lik
