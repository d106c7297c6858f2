"""gam and beta converge on the one-vs-rest members of real multi-class scores: the monotone
PIRLS descends one fixed objective, and beta on scores piled within the clip of 0 and 1 fits
the two parameters those two values determine."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.ensemble import RandomForestClassifier

from bench.quality.datasets import prepare
from tests.script.synthetic import multiclass_scenario
from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import gam
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.crossfit import stratified_folds
from calibration_step.script.model_calibration.fitting import fit_calibrator, probability_floor
from calibration_step.script.model_calibration.jsonvalues import json_number
from calibration_step.script.model_calibration.numerics import (adaptive_clip_epsilon,
                                                                beta_features,
                                                                fit_logistic_prior, logit,
                                                                smoothed_positives)


def _digits_scores(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """digits' class probabilities on a stratified 30% calibration split, the model trained on
    40% (the quality benchmark's split shape): naive Bayes (most scores below 1e-15) or a
    random forest (tied scores, many exactly 0)."""
    x, y = load_digits(return_X_y=True)
    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, train_size=0.4, random_state=seed,
                                                  stratify=y)
    x_cal, _, y_cal, _ = train_test_split(x_rest, y_rest, train_size=0.5, random_state=seed,
                                          stratify=y_rest)
    if kind == "naive_bayes":
        return GaussianNB().fit(x_tr, y_tr).predict_proba(x_cal), y_cal
    forest = RandomForestClassifier(n_estimators=50, random_state=seed).fit(x_tr, y_tr)
    return forest.predict_proba(x_cal), y_cal


@pytest.mark.parametrize("kind", ["naive_bayes", "random_forest"])
def test_gam_converges_on_every_one_vs_rest_member_of_real_folds(kind: str) -> None:
    # Before the fixed objective, PIRLS judged a step by the penalty of the previous iterate's
    # decreasing pairs; on these members it swapped active sets and ran to coefficients near
    # 1e9 (MC-E304 in 34 of 1200 inner-fold members of the benchmark's digits runs).
    scores, labels = _digits_scores(kind, seed=0)
    settings = mc.read_settings({"CALIBRATION_METHOD": "gam"})
    folds = stratified_folds(labels, 5, 0)
    iterations = []
    for c in range(scores.shape[1]):
        for f in range(5):
            train = folds != f
            cal = fit_calibrator(aggregate(scores[train, c], labels[train] == c), settings,
                                 f"class {c}, fold {f}")  # raises MC-E304 unless converged
            assert cal.fit["converged"] is True
            iterations.append(int(json_number(cal.fit["iterations"])))
    assert max(iterations) < 60, iterations


def test_each_damped_gam_step_lowers_the_one_objective(monkeypatch: pytest.MonkeyPatch) -> None:
    scores, labels = _digits_scores("naive_bayes", seed=0)
    values, inverse = np.unique(scores[:, 2], return_inverse=True)
    n = np.bincount(inverse).astype(float)
    positives = np.bincount(inverse, weights=(labels == 2).astype(float)).astype(np.float64)
    k, _ = smoothed_positives(n, positives)
    z = logit(values, adaptive_clip_epsilon(values))
    seen: list[float] = []
    halve = gam._halve_until_no_rise

    def recording(objective: gam._Objective, beta: np.ndarray, proposal: np.ndarray
                  ) -> tuple[np.ndarray, int, bool]:
        out = halve(objective, beta, proposal)
        seen.append(objective(out[0]))
        return out

    monkeypatch.setattr(gam, "_halve_until_no_rise", recording)
    fit = gam.fit_gam(z, n, k, 10, True)
    assert fit.converged and len(seen) == fit.iterations
    assert all(b <= a * (1 + 1e-12) for a, b in zip(seen, seen[1:])), seen
    assert np.all(np.diff(fit.spline_coef) > -1e-6)  # monotone up to the constraint's rounding
    assert np.max(np.abs(fit.spline_coef)) < 100.0


def test_beta_on_scores_piled_within_the_clip_fits_what_two_values_determine() -> None:
    # The shape of digits' naive Bayes scores of class 0 in an inner fold: 358 exactly 0, 36
    # below 1e-20, 42 exactly 1. Clipped, two values, on which the three-parameter fit is
    # singular (it ran 100 iterations and failed with MC-E304).
    rng = np.random.default_rng(5)
    s = np.r_[np.zeros(358), 10.0 ** -rng.uniform(20, 317, 36), np.ones(42)]
    y = np.r_[np.arange(358) == 0, np.zeros(36, dtype=bool), np.ones(42, dtype=bool)]
    agg = aggregate(s, y)
    cal = fit_calibrator(agg, mc.read_settings({"CALIBRATION_METHOD": "beta"}))
    assert cal.fit["converged"] is True
    a, b, c = cal.coef
    # a one-feature sub-model (the two values fit either exactly; the prior takes the one with
    # the smaller slope), the labels under beta's prior
    assert min(a, b) == 0.0 and max(a, b) > 0.0
    ln_s, ln_1ms = beta_features(agg.values, "probability", cal.clip_epsilon)
    feature = ln_s if a > 0.0 else -ln_1ms
    alone = fit_logistic_prior(np.column_stack([feature, np.ones_like(feature)]), agg.n, agg.k)
    assert np.allclose([max(a, b), c], alone.coef, rtol=1e-9)
    low, high = mc.apply_calibrator(cal, np.array([0.0, 1.0]))
    # the two clipped groups get their rates (1 positive of 394; 42 of 42, at the bound)
    assert low == pytest.approx(1 / 394, rel=0.1)
    assert high == 1.0 - probability_floor(436.0)


def test_gam_converges_on_the_inner_folds_of_a_tiny_set() -> None:
    # The quality benchmark's synthetic_tiny set scored by naive Bayes (seed 1): 45 calibration
    # rows, inner folds of 36. At the minimum the 1e9 constraint penalty's rounding moves the
    # objective by about 1e-10 of it; judging a Newton step flat only below 1e-12 of it left
    # some of these 200 fits unconverged.
    run = prepare("synthetic_tiny", "naive_bayes", 1)
    s, y = run.calibration.scores[:, 1], run.calibration.labels == 1
    assert s.shape[0] == 45
    settings = mc.read_settings({"CALIBRATION_METHOD": "gam"})
    for repeat in range(40):
        folds = stratified_folds(y, 5, repeat)
        for f in range(5):
            train = folds != f
            cal = fit_calibrator(aggregate(s[train], y[train]), settings,
                                 f"repeat {repeat}, fold {f}")
            assert cal.fit["converged"] is True


def test_platt_on_a_narrow_column_converges() -> None:
    """Margins spanning 6e-5 with no signal: Newton's 2x2 system on the column itself rounded
    the slope by more than the stopping rule allows (MC-E304 after 100 steps); on the stretched
    column it stops, at a constant output (degenerate, MC-E305)."""
    scores = np.array([2.0 ** -14, 0.0, 0.0, 0.0, 2.73076007e-177, 2.0 ** -14])
    labels = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    settings = mc.read_settings({"CALIBRATION_METHOD": "platt", "SCORE_SPACE": "logit"})
    with pytest.raises(mc.CalibrationScriptError, match="MC-E305-FIT-DEGENERATE"):
        fit_calibrator(aggregate(scores, labels), settings)


@pytest.mark.parametrize("method", ["beta", "gam"])
def test_a_fit_from_a_nearby_fit_is_the_fit_in_fewer_steps(method: str) -> None:
    """beta and gam on each fold's training rows, started from the fit on every row: the same
    calibrator as from their usual start, to the fit's tolerance, in fewer steps."""
    scores, labels, _ = multiclass_scenario(3000, 5)
    s, y = scores[:, 0], labels == 0
    settings = mc.read_settings({"CALIBRATION_METHOD": method})
    every = fit_calibrator(aggregate(s, y), settings)
    folds = stratified_folds(y, 5, 0)
    steps = {"usual": 0, "nearby": 0}
    for f in range(5):
        agg = aggregate(s[folds != f], y[folds != f])
        usual = fit_calibrator(agg, settings, f"fold {f}")
        nearby = fit_calibrator(agg, settings, f"fold {f}", nearby_fit=every)
        assert nearby.fit["converged"] is True
        steps["usual"] += int(json_number(usual.fit["iterations"]))
        steps["nearby"] += int(json_number(nearby.fit["iterations"]))
        grid = np.linspace(0.001, 0.999, 999)
        np.testing.assert_allclose(mc.apply_calibrator(nearby, grid),
                                   mc.apply_calibrator(usual, grid), rtol=1e-7)
    assert steps["nearby"] < steps["usual"], steps
