"""Each method: quality on known-truth data and agreement with its reference implementation."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.fitting import fit_calibrator
from calibration_step.script.model_calibration import gam
from calibration_step.script.model_calibration.gam import fit_gam, gam_predict_logit
from calibration_step.script.interface import BINARY_METHODS
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON
from tests.script.synthetic import logit, scenario


def _fit(method: str, s: np.ndarray, y: np.ndarray, **env: str) -> mc.Calibrator:
    settings = mc.read_settings({"CALIBRATION_METHOD": method, **env})
    return fit_calibrator(aggregate(s, y), settings)


@pytest.mark.parametrize("kind", ["linear", "nonlinear"])
# identity is the baseline; temperature (one scale, no intercept) cannot remove these scenarios'
# shift (tests/script/test_binary_temperature.py checks it on over-confident scores)
@pytest.mark.parametrize("method", [m for m in BINARY_METHODS if m not in ("identity", "temperature")])
def test_each_method_cuts_true_calibration_error_5x(method: str, kind: str) -> None:
    s, y, true = scenario(kind, 40000, seed=1)
    cal = _fit(method, s, y)
    s_test, _, true_test = scenario(kind, 20000, seed=2)
    before = float(np.mean(np.abs(s_test - true_test)))
    after = float(np.mean(np.abs(mc.apply_calibrator(cal, s_test) - true_test)))
    assert before > 0.05
    assert after * 5 <= before, (before, after)


def test_isotonic_matches_sklearn_clip_to_1e9() -> None:
    rng = np.random.default_rng(3)
    s = np.round(rng.uniform(0.05, 0.95, 30000), 3)  # many ties: exact aggregation needed
    y = (rng.uniform(size=s.size) < s**2).astype(np.float64)
    cal = _fit("isotonic", s, y)
    ref = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    probe = np.r_[np.linspace(0.0, 1.0, 2001), s[:2000]]
    np.testing.assert_allclose(mc.apply_calibrator(cal, probe), ref.predict(probe), atol=1e-9,
                               rtol=0)
    assert not np.isnan(mc.apply_calibrator(cal, np.array([0.0, 1.0]))).any()


def _sklearn_unpenalised() -> LogisticRegression:
    import sklearn

    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    if (major, minor) >= (1, 8):  # penalty=None is deprecated there; C=inf is the same model
        return LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000)
    return LogisticRegression(penalty=None, tol=1e-12, max_iter=10000)


def _smoothed_rows(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row twice, as a positive weighing its Platt target and a negative weighing the rest:
    an unpenalised logistic fit of these is the fit of the smoothed targets."""
    positives = float(y.sum())
    t = np.where(y > 0.5, (positives + 1) / (positives + 2), 1 / (y.size - positives + 2))
    return np.r_[z, z], np.r_[np.ones(y.size), np.zeros(y.size)], np.r_[t, 1 - t]


def test_platt_is_fitted_on_the_logit_and_matches_sklearn_to_1e9() -> None:
    s, y, _ = scenario("linear", 30000, seed=4)
    cal = _fit("platt", s, y)
    assert cal.fit["targets"] == "platt_smoothed"
    z = logit(np.clip(s, CLIP_EPSILON, 1 - CLIP_EPSILON))
    zz, yy, ww = _smoothed_rows(z, y)
    ref = _sklearn_unpenalised().fit(zz.reshape(-1, 1), yy, sample_weight=ww)
    probe = np.linspace(0.001, 0.999, 999)
    expected = ref.predict_proba(logit(probe).reshape(-1, 1))[:, 1]
    np.testing.assert_allclose(mc.apply_calibrator(cal, probe), expected, atol=1e-9, rtol=0)
    # the true map is sigmoid(0.5 logit(s) + 0.6): a fit on the raw probability could not find it
    assert cal.coef[0] == pytest.approx(0.5, abs=0.05)
    assert cal.coef[1] == pytest.approx(0.6, abs=0.05)


def test_platt_in_logit_space_takes_raw_margins() -> None:
    s, y, _ = scenario("linear", 20000, seed=5)
    margins = logit(s)
    prob_cal = _fit("platt", s, y)
    logit_cal = _fit("platt", margins, y, SCORE_SPACE="logit")
    np.testing.assert_allclose(logit_cal.coef, prob_cal.coef, atol=1e-8)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E404-INVALID-SCORES"):
        mc.apply_calibrator(prob_cal, margins)


def test_beta_keeps_a_and_b_non_negative_and_is_monotone() -> None:
    rng = np.random.default_rng(6)
    s = rng.uniform(0.01, 0.99, 20000)
    true = 1.0 / (1.0 + np.exp(-(1.5 * np.log(s) + 0.8 * np.log1p(-s) + 1.0)))  # b = -0.8
    y = (rng.uniform(size=s.size) < true).astype(np.float64)
    cal = _fit("beta", s, y)
    a, b, _ = cal.coef
    assert a > 0.0 and b == 0.0
    out = mc.apply_calibrator(cal, np.linspace(0, 1, 1001))
    assert np.all(np.diff(out) >= -1e-15)


def test_beta_on_anti_correlated_scores_is_a_degenerate_constant_and_refused() -> None:
    rng = np.random.default_rng(6)
    s = rng.uniform(0.01, 0.99, 20000)
    y = (rng.uniform(size=s.size) < 1.0 - s).astype(np.float64)  # no monotone map helps
    with pytest.raises(mc.CalibrationScriptError, match="MC-E305-FIT-DEGENERATE.*constant.*rank against the labels"):
        _fit("beta", s, y)


@pytest.mark.parametrize("monotonic", ["true", "false"])
def test_gam_monotonicity_switch(monotonic: str) -> None:
    rng = np.random.default_rng(7)
    s = rng.uniform(0.01, 0.99, 20000)
    true = 0.5 + 0.4 * np.sin(6 * s)  # not monotone in s
    y = (rng.uniform(size=s.size) < true).astype(np.float64)
    cal = _fit("gam", s, y, MONOTONIC_CONSTRAINT=monotonic)
    out = mc.apply_calibrator(cal, np.linspace(0.01, 0.99, 500))
    if monotonic == "true":
        assert np.all(np.diff(out) >= 0.0)
    else:
        assert np.any(np.diff(out) < -1e-3)


def test_gam_held_out_log_loss_within_0p1_percent_of_pygam() -> None:
    pygam = pytest.importorskip("pygam")
    s, y, _ = scenario("nonlinear", 30000, seed=8)
    s_test, y_test, _ = scenario("nonlinear", 30000, seed=9)
    z, z_test = logit(np.clip(s, CLIP_EPSILON, 1 - CLIP_EPSILON)), logit(s_test)
    ref = pygam.LogisticGAM(pygam.s(0, n_splines=10, constraints="monotonic_inc")).fit(
        z.reshape(-1, 1), y)
    cal = _fit("gam", s, y)

    def log_loss(p: np.ndarray) -> float:
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return float(-np.mean(y_test * np.log(p) + (1 - y_test) * np.log1p(-p)))

    ours = log_loss(mc.apply_calibrator(cal, s_test))
    theirs = log_loss(ref.predict_proba(z_test.reshape(-1, 1)))
    assert abs(ours - theirs) <= 1e-3 * theirs, (ours, theirs)


def test_gam_binned_fit_for_many_unique_scores_matches_exact_fit() -> None:
    s, y, _ = scenario("nonlinear", 60000, seed=10)  # > GAM_MAX_EXACT_POINTS unique scores
    agg = aggregate(s, y)
    z = logit(agg.values)
    binned = fit_gam(z, agg.n, agg.k, 10, True)
    assert binned.binned
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gam, "GAM_MAX_EXACT_POINTS", 10**9)  # read by gam's own aggregation
        exact = fit_gam(z, agg.n, agg.k, 10, True)
    assert not exact.binned
    grid = np.linspace(z.min(), z.max(), 200)
    diff = np.abs(gam_predict_logit(binned, grid) - gam_predict_logit(exact, grid))
    assert float(diff.max()) < 1e-3


def test_single_class_fit_is_refused_with_its_code() -> None:
    s = np.linspace(0.1, 0.9, 100)
    for method in BINARY_METHODS:
        with pytest.raises(mc.CalibrationScriptError, match="MC-E301-SINGLE-CLASS"):
            _fit(method, s, np.ones_like(s))


def test_missing_scikit_learn_fails_clearly_without_fallback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.isotonic", None)
    s, y, _ = scenario("linear", 2000, seed=11)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E302-MISSING-LIBRARY"):
        _fit("isotonic", s, y)


def test_gam_does_not_need_pygam_and_reports_gam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygam", None)  # importing pygam would now fail
    s, y, _ = scenario("linear", 5000, seed=12)
    cal = _fit("gam", s, y)
    assert cal.method == "gam"
    assert cal.to_json_dict()["method"] == "gam"
    assert cal.knots_x is not None and cal.knots_x.size > 100  # a spline table, not Platt's 2 numbers
