"""Binary temperature: scikit-learn's fit when named, a bounded candidate under ``auto``, its
file and its binned fit."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import sklearn

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import CALIBRATOR_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.binarytemperature import (
    NAMED_OUTPUT_BOUND, fit_binary_temperature, scale_bounds, temperature_logits)
from calibration_step.script.model_calibration import classscaling
from calibration_step.script.model_calibration.classscaling import COMMON_SCALE_PENALTY
from calibration_step.script.model_calibration.fitting import fit_calibrator, probability_floor
from calibration_step.script.model_calibration.problems import BinaryProblem
from tests.script.given_scores import GivenMargins
from tests.script.real_data import real_split
from tests.script.synthetic import logit, read_json, run_main, sigmoid, write_csv

FORCED = mc.read_settings({"CALIBRATION_METHOD": "temperature"})
AUTO = mc.read_settings({"CALIBRATION_METHOD": "auto"})
NEW_SKLEARN = tuple(int(v) for v in sklearn.__version__.split(".")[:2]) >= (1, 8)


def _temperature(scores: np.ndarray, labels: np.ndarray, space: str = "probability",
                 weights: np.ndarray | None = None) -> mc.Calibrator:
    settings = mc.read_settings({"CALIBRATION_METHOD": "temperature", "SCORE_SPACE": space})
    return fit_calibrator(aggregate(scores, labels, weights), settings)


def _assert_scikit_learns_within_the_bound(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Ours equal scikit-learn's to 1e-6 where scikit-learn's lie within the named fit's
    bound, and the bound where they lie beyond it."""
    inside = (theirs >= NAMED_OUTPUT_BOUND) & (theirs <= 1.0 - NAMED_OUTPUT_BOUND)
    np.testing.assert_allclose(ours[inside], theirs[inside], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ours[~inside], np.clip(theirs[~inside], NAMED_OUTPUT_BOUND,
                                                         1.0 - NAMED_OUTPUT_BOUND))


@pytest.mark.skipif(not NEW_SKLEARN, reason="scikit-learn has temperature scaling from 1.8")
# The frozen model takes no weights, which scikit-learn warns of; only the calibration's are
# compared here.
@pytest.mark.filterwarnings("ignore:Since FrozenEstimator does not appear to accept:UserWarning")
@pytest.mark.parametrize("dataset,model", [("breast_cancer", "naive_bayes"),
                                           ("breast_cancer", "random_forest"),
                                           ("digits", "logistic_c0.005"),
                                           ("iris", "naive_bayes")])
def test_named_temperature_equals_scikit_learns_on_probabilities(dataset: str,
                                                                 model: str) -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    split = real_split(dataset, model, 60, seed=0)
    weights = np.linspace(0.5, 2.0, split.y_cal.shape[0])[::-1].copy()
    for w in (None, weights):
        theirs = CalibratedClassifierCV(FrozenEstimator(split.model), method="temperature")
        theirs.fit(split.x_cal, split.y_cal, sample_weight=w)
        ours = _temperature(split.cal_scores, split.y_cal, weights=w)
        assert ours.fit["converged"] is True and ours.extra_params["scale_penalty"] == 0.0
        for x, scores in ((split.x_cal, split.cal_scores), (split.x_test, split.test_scores)):
            _assert_scikit_learns_within_the_bound(mc.apply_calibrator(ours, scores),
                                                   theirs.predict_proba(x)[:, 1])


@pytest.mark.skipif(not NEW_SKLEARN, reason="scikit-learn has temperature scaling from 1.8")
def test_named_temperature_equals_scikit_learns_on_margins() -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.svm import SVC

    split = real_split("breast_cancer", "naive_bayes", 90, seed=1)
    svm = SVC(kernel="rbf", gamma="scale").fit(split.x_test[:150], split.y_test[:150])
    theirs = CalibratedClassifierCV(FrozenEstimator(svm), method="temperature")
    theirs.fit(split.x_cal, split.y_cal)
    ours = _temperature(svm.decision_function(split.x_cal), split.y_cal, space="logit")
    assert "log_offset" not in ours.extra_params
    probe = split.x_test[150:]
    _assert_scikit_learns_within_the_bound(mc.apply_calibrator(ours, svm.decision_function(probe)),
                                           theirs.predict_proba(probe)[:, 1])


def test_separable_rows_stop_below_the_bound_when_named_and_stay_finite_under_auto() -> None:
    s = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    named = _temperature(s, y)
    # scikit-learn's search stops where its loss first rounds to 0, far below its bound
    assert 10.0 < named.coef[0] < scale_bounds("probability")[1] / 10.0
    assert named.fit["solver"] == "bounded search" and named.fit["converged"] is True
    bounded = mc.apply_calibrator(named, np.array([0.0, 0.1, 0.45, 0.55, 0.9, 1.0]))
    # no class below one in a million: no confident miss
    assert bounded.min() == NAMED_OUTPUT_BOUND and bounded.max() == 1.0 - NAMED_OUTPUT_BOUND
    problem = BinaryProblem(s, y, None, AUTO)
    candidate = problem.fit("temperature", None, "test")
    assert 1.0 < candidate.coef[0] < 100.0
    assert candidate.extra_params["scale_penalty"] == COMMON_SCALE_PENALTY
    floor = probability_floor(6.0)
    assert candidate.extra_params["probability_floor"] == floor
    out = mc.apply_calibrator(candidate, np.array([0.0, 1e-300, 0.5, 1.0]))
    assert out.min() >= floor and out.max() <= 1.0 - floor


def _separable_binary(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 300))
    y = rng.integers(0, 2, n).astype(float)
    margins = (rng.exponential(1.0, n) + rng.uniform(0.001, 0.5)) * rng.uniform(0.01, 3.0)
    return np.where(y == 1.0, margins, -margins), y


@pytest.mark.skipif(not NEW_SKLEARN, reason="scikit-learn has temperature scaling from 1.8")
@pytest.mark.parametrize("seed", range(6))
def test_named_temperature_on_separable_rows_is_scikit_learns(seed: int) -> None:
    """Every row on its own class's side: the likelihood has no maximum, and the named fit is
    where scikit-learn's bounded search stops (on probabilities and on margins)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from bench.quality.peers import GivenProbabilities

    def features(scores: np.ndarray, space: str) -> np.ndarray:
        return np.column_stack([1.0 - scores, scores]) if space == "probability" else \
            scores[:, None]

    margins, y = _separable_binary(seed)
    probe = np.random.default_rng(100 + seed).normal(0.0, 0.3, 500)
    for space, scores, probe_scores in (("probability", sigmoid(margins), sigmoid(probe)),
                                        ("logit", margins, probe)):
        model = GivenProbabilities(2) if space == "probability" else GivenMargins().fit(
            scores[:, None], y)
        theirs = CalibratedClassifierCV(FrozenEstimator(model), method="temperature")
        theirs.fit(features(scores, space), y)
        ours = _temperature(scores, y, space)
        assert ours.fit["solver"] == "bounded search"
        _assert_scikit_learns_within_the_bound(
            mc.apply_calibrator(ours, probe_scores),
            theirs.predict_proba(features(probe_scores, space))[:, 1])


def test_the_prior_vanishes_as_rows_grow() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(0.0, 2.0, 200_000)
    y = (rng.uniform(size=z.shape[0]) < sigmoid(0.6 * z)).astype(float)
    agg = aggregate(z, y)
    exact, info = fit_binary_temperature(agg.values, agg.n, agg.k, "logit")
    prior, _ = fit_binary_temperature(agg.values, agg.n, agg.k, "logit", prior_rows=2e5)
    assert info["converged"] is True and abs(exact - 0.6) < 0.02
    assert 0.0 < exact - prior < 1e-5


def test_auto_s_prior_is_in_the_unit_of_scores_squeezed_near_one_half(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A real model's probabilities squeezed toward 0.5 (log-odds times 0.001): the scale they
    need is above a thousand, which the prior in log-probability units held near 14; in the
    squeezed scores' unit (their spread taken as ``SQUEEZED_SPREAD``, as vector scaling takes
    it) the prior lets it reach hundreds."""
    split = real_split("breast_cancer", "logistic_c0.005", 100, seed=0)

    def squeezed(p: np.ndarray) -> np.ndarray:
        return np.asarray(sigmoid(0.001 * logit(p)))

    z, z_test = (temperature_logits(squeezed(p), "probability")
                 for p in (split.cal_scores, split.test_scores))
    agg = aggregate(z, split.y_cal)

    def held_out(scale: float) -> float:
        q = np.clip(sigmoid(scale * z_test), 1e-15, 1.0 - 1e-15)
        return float(-np.mean(np.where(split.y_test == 1.0, np.log(q), np.log1p(-q))))

    named, _ = fit_binary_temperature(agg.values, agg.n, agg.k, "logit")
    under_prior, info = fit_binary_temperature(agg.values, agg.n, agg.k, "logit", prior_rows=100.0)
    unit = info["log_score_unit"]
    assert isinstance(unit, float) and 0.0 < unit < 0.1
    assert info["scale_penalty"] == pytest.approx(COMMON_SCALE_PENALTY * unit * unit)
    monkeypatch.setattr(classscaling, "SQUEEZED_SPREAD", 0.0)  # the prior in log-probabilities
    as_before, _ = fit_binary_temperature(agg.values, agg.n, agg.k, "logit", prior_rows=100.0)
    assert named > 1000.0 > under_prior > 10.0 * as_before
    assert held_out(named) < held_out(under_prior) < held_out(as_before) - 0.3, (
        named, under_prior, as_before)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("prior_rows", [None, 200.0])
def test_margins_near_the_float_limit_fit_the_least_scale_without_overflow(
        prior_rows: float | None) -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(float)
    agree = rng.uniform(size=200) < 0.8  # a fifth of the rows on the wrong side, saturated
    z = np.where(agree, 2.0 * y - 1.0, 1.0 - 2.0 * y) * rng.uniform(0.1, 1.0, 200) * 1e308
    scale, info = fit_binary_temperature(z, np.ones(200), y, "logit", prior_rows=prior_rows)
    assert scale == scale_bounds("logit")[0] and info["converged"] is True
    nll = info["neg_log_likelihood"]
    assert isinstance(nll, float) and math.isfinite(nll)


def test_over_confident_scores_are_tempered() -> None:
    rng = np.random.default_rng(5)
    true = rng.uniform(0.02, 0.98, 40_000)
    y = (rng.uniform(size=true.shape[0]) < true).astype(float)
    scores = sigmoid(2.5 * logit(true))  # over-confident: the true scale is 1 / 2.5
    cal = _temperature(scores, y)
    assert abs(cal.coef[0] - 0.4) < 0.02
    before = float(np.mean(np.abs(scores - true)))
    after = float(np.mean(np.abs(mc.apply_calibrator(cal, scores) - true)))
    assert after * 5 <= before, (before, after)


def test_scores_of_exactly_0_and_1_take_scikit_learns_offset() -> None:
    z = temperature_logits(np.array([0.0, 1.0]), "probability")
    np.testing.assert_allclose(z, [np.log(1e-12) - np.log(1.0 + 1e-12),
                                   np.log(1.0 + 1e-12) - np.log(1e-12)], rtol=1e-15)


def test_the_file_is_version_4_and_reproduces_the_calibrator(tmp_path: str) -> None:
    s = np.random.default_rng(6).uniform(0.0, 1.0, 500)
    y = (np.random.default_rng(7).uniform(size=500) < s).astype(float)
    cal = _temperature(s, y)
    content = cal.to_json_dict()
    assert content["schema_version"] == 4
    params = content["params"]
    assert isinstance(params, dict) and params["temperature"] == 1.0 / params["scale"]
    assert params["log_offset"] == 1e-12
    loaded = mc.load_calibrator(content)
    probe = np.linspace(0.0, 1.0, 101)
    np.testing.assert_array_equal(mc.apply_calibrator(loaded, probe),
                                  mc.apply_calibrator(cal, probe))


def _resealed(content: dict[str, object], **params: object) -> dict[str, object]:
    body = dict(content)
    old = body["params"]
    assert isinstance(old, dict)
    body["params"] = {key: value for key, value in {**old, **params}.items()
                      if value is not None}
    body["checksum"] = checksum(body)
    return body


@pytest.mark.parametrize("params,match", [
    ({"scale": 0.0}, "temperature needs params.scale > 0"),
    ({"log_offset": None}, "params.log_offset"),
    ({"log_offset": 0.7}, "log_offset must lie strictly between 0 and 0.5"),
    ({"scale_penalty": -1.0}, "scale_penalty must be >= 0"),
])
def test_malformed_binary_temperature_files_are_refused(params: dict[str, object],
                                                        match: str) -> None:
    cal = _temperature(np.array([0.2, 0.4, 0.6, 0.8]), np.array([0.0, 1.0, 0.0, 1.0]))
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E401.*{match}"):
        mc.load_calibrator(_resealed(cal.to_json_dict(), **params))


def test_a_version_3_file_naming_binary_temperature_is_refused() -> None:
    cal = _temperature(np.array([0.2, 0.4, 0.6, 0.8]), np.array([0.0, 1.0, 0.0, 1.0]))
    content = dict(cal.to_json_dict(), schema_version=3)
    content["checksum"] = checksum(content)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E403.*schema_version 3"):
        mc.load_calibrator(content)


def test_named_temperature_end_to_end_binary_and_multitask(tmp_path: str,
                                                           no_plot: list[int]) -> None:
    split = real_split("breast_cancer", "random_forest", 120, seed=2)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), split.cal_scores, split.y_cal)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "temperature"})
    path = os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)
    written = mc.load_calibrator(path)
    direct = _temperature(split.cal_scores, split.y_cal)
    assert written.method == "temperature" and read_json(path)["schema_version"] == 4
    assert written.coef == pytest.approx(direct.coef, rel=1e-12)
    frame = {"p_a": split.cal_scores, "y_a": split.y_cal,
             "p_b": split.cal_scores[::-1].copy(), "y_b": split.y_cal[::-1].copy()}
    import pandas as pd
    os.makedirs(os.path.join(tmp_path, "multi"))
    pd.DataFrame(frame).to_csv(os.path.join(tmp_path, "multi", "d.csv"), index=False)
    out = run_main(os.path.join(tmp_path, "multi"), os.path.join(tmp_path, "out_multi"),
                   {"CALIBRATION_METHOD": "temperature", "SCORE_FIELDS": '["p_a", "p_b"]',
                    "TASK_LABEL_NAMES": '["y_a", "y_b"]'})
    path = os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)
    model = mc.load_calibration_model(path)
    assert isinstance(model, mc.MultiCalibrator) and read_json(path)["schema_version"] == 4
    assert [m.method for m in model.members] == ["temperature", "temperature"]
    assert model.members[0].coef == pytest.approx(direct.coef, rel=1e-12)


def test_weighted_aggregate_equals_repeated_rows() -> None:
    s = np.array([0.1, 0.3, 0.6, 0.9, 0.4])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    w = np.array([1.0, 2.0, 3.0, 1.0, 2.0])
    weighted = _temperature(s, y, weights=w)
    repeated = fit_calibrator(aggregate(np.repeat(s, w.astype(int)),
                                        np.repeat(y, w.astype(int))), FORCED)
    assert weighted.coef[0] == pytest.approx(repeated.coef[0], rel=1e-12)


@pytest.mark.parametrize("method", ["temperature", "auto"])
def test_the_binned_fit_is_close_to_the_exact_one(tmp_path: str, method: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  no_plot: list[int]) -> None:
    from calibration_step.script.model_calibration import limits, rowbins

    rng = np.random.default_rng(8)
    true = rng.uniform(0.01, 0.99, 30_000)
    y = (rng.uniform(size=true.shape[0]) < true).astype(float)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), sigmoid(1.8 * logit(true)), y)
    scales = []
    for name, binned in (("exact", False), ("binned", True)):
        monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1 if binned else 1 << 40)
        monkeypatch.setattr(rowbins, "ROW_BINS", 2048)
        monkeypatch.setattr(rowbins, "ROW_BIN_MAX_WIDTH", 0.05)  # coarse bins on purpose
        env = {"CALIBRATION_METHOD": method, "AUTO_CANDIDATES": '["temperature", "identity"]'} \
            if method == "auto" else {"CALIBRATION_METHOD": method}
        out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, name), env)
        content = read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value],
                                         CALIBRATOR_FILE))
        assert content["method"] == "temperature"
        fit = content["fit"]
        assert isinstance(fit, dict) and ("row_bins" in fit) == binned
        params = content["params"]
        assert isinstance(params, dict)
        assert params["scale_penalty"] == (COMMON_SCALE_PENALTY if method == "auto" else 0.0)
        scales.append(params["scale"])
    assert scales[0] == pytest.approx(1.0 / 1.8, rel=0.03)
    assert scales[1] == pytest.approx(scales[0], rel=1e-3)
