"""venn_abers: inductive Venn-ABERS equals its definition (two isotonic fits with the test row
added, by scikit-learn) and the venn-abers package, never gives a confident miss on small real
calibration sets, and is stored as a schema-2 calibrator applied without per-row Python."""

from __future__ import annotations

import json
from typing import Optional

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.artifact import CALIBRATOR_SCHEMA_VERSION, checksum
from calibration_step.script.model_calibration.fitting import fit_calibrator
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, FloatArray
from calibration_step.script.model_calibration.venn_abers import venn_abers_positions
from tests.script.real_data import real_split

VENN_ABERS = mc.read_settings({"CALIBRATION_METHOD": "venn_abers"})


def _reference(s: FloatArray, y: FloatArray, w: Optional[FloatArray], t: float
               ) -> tuple[float, float]:
    """p0 and p1 by definition: scikit-learn's isotonic fit with the test row added as 0, 1."""
    fits = []
    for label in (0.0, 1.0):
        weights = None if w is None else np.r_[w, 1.0]
        iso = IsotonicRegression(out_of_bounds="clip").fit(np.r_[s, t], np.r_[y, label],
                                                           sample_weight=weights)
        fits.append(float(iso.predict([t])[0]))
    return fits[0], fits[1]


def _steps(cal: mc.Calibrator, probe: FloatArray) -> tuple[FloatArray, FloatArray]:
    assert cal.knots_x is not None and cal.p0_p1 is not None
    at = venn_abers_positions(probe, cal.knots_x)
    return cal.p0_p1[0][at], cal.p0_p1[1][at]


@pytest.mark.parametrize("dataset,model", [("breast_cancer", "naive_bayes"),
                                           ("digits", "naive_bayes"),
                                           ("digits", "random_forest"),
                                           ("wine", "logistic_c0.005")])
def test_p0_and_p1_are_their_definition_on_real_data(dataset: str, model: str) -> None:
    split = real_split(dataset, model, 45, seed=4)
    s, y = split.cal_scores, split.y_cal
    cal = fit_calibrator(aggregate(s, y), VENN_ABERS)
    probe = np.r_[split.test_scores[:60], s[:20], 0.0, 1.0]  # calibration scores: ties
    p0, p1 = _steps(cal, probe)
    reference = np.array([_reference(s, y, None, float(t)) for t in probe])
    np.testing.assert_allclose(p0, reference[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p1, reference[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(mc.apply_calibrator(cal, probe), p1 / (1.0 - p0 + p1), rtol=1e-15)


def test_weights_count_as_repeated_rows_and_the_test_row_weighs_one() -> None:
    split = real_split("breast_cancer", "random_forest", 60, seed=5)
    s, y = split.cal_scores, split.y_cal
    w = np.random.default_rng(0).integers(1, 4, s.size).astype(np.float64)
    weighted = fit_calibrator(aggregate(s, y, w), VENN_ABERS)
    repeated = fit_calibrator(aggregate(np.repeat(s, w.astype(int)), np.repeat(y, w.astype(int))),
                              VENN_ABERS)
    probe = np.r_[split.test_scores, s]
    np.testing.assert_allclose(mc.apply_calibrator(weighted, probe),
                               mc.apply_calibrator(repeated, probe), rtol=1e-14)
    p0, p1 = _steps(weighted, probe[:25])
    reference = np.array([_reference(s, y, w, float(t)) for t in probe[:25]])
    np.testing.assert_allclose(np.c_[p0, p1], reference, rtol=0, atol=1e-12)


def test_equals_the_venn_abers_package_away_from_calibration_scores() -> None:
    venn_abers = pytest.importorskip("venn_abers")
    split = real_split("breast_cancer", "logistic_c0.005", 80, seed=6)
    s, y = split.cal_scores, split.y_cal
    assert bool((np.diff(np.unique(s)) >= 1e-15).all())  # the package merges no near-ties
    probe = split.test_scores
    probe = probe[np.abs(probe[:, None] - s[None, :]).min(axis=1) >= 1e-15]
    assert probe.size > 100
    package = venn_abers.VennAbers().fit(np.c_[1.0 - s, s], y)
    p_prime, p0_p1 = package.predict_proba(np.c_[1.0 - probe, probe])
    cal = fit_calibrator(aggregate(s, y), VENN_ABERS)
    np.testing.assert_allclose(np.c_[_steps(cal, probe)], p0_p1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mc.apply_calibrator(cal, probe), p_prime[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits", "wine", "iris"])
def test_no_confident_miss_on_small_real_calibration_sets_where_isotonic_has_them(
        dataset: str) -> None:
    worst_venn_abers, worst_isotonic = 1.0, 1.0
    for seed in range(3):
        for model in ("naive_bayes", "random_forest", "logistic_c0.005"):
            split = real_split(dataset, model, 45, seed=seed)
            s, y = split.cal_scores, split.y_cal
            truth = split.y_test == 1.0
            for method in ("venn_abers", "isotonic"):
                cal = fit_calibrator(aggregate(s, y), mc.read_settings(
                    {"CALIBRATION_METHOD": method}))
                p = mc.apply_calibrator(cal, split.test_scores)
                p_true = float(np.where(truth, p, 1.0 - p).min())
                if method == "venn_abers":
                    worst_venn_abers = min(worst_venn_abers, p_true)
                else:
                    worst_isotonic = min(worst_isotonic, p_true)
    # p1 >= 1 / (rows + 1) and p0 <= rows / (rows + 1): p >= 1 / (2 rows + 3)
    assert worst_venn_abers >= 1.0 / (2 * 45 + 3) > 1e-6
    assert worst_isotonic < 1e-6  # the miss venn_abers avoids


def test_stored_as_schema_2_and_applied_from_json_exactly() -> None:
    split = real_split("digits", "naive_bayes", 45, seed=7)
    cal = fit_calibrator(aggregate(split.cal_scores, split.y_cal), VENN_ABERS)
    content = json.loads(json.dumps(cal.to_json_dict()))
    assert content["schema_version"] == 2 and content["method"] == "venn_abers"
    params = content["params"]
    assert len(params["p0"]) == len(params["p1"]) == 2 * len(params["x"]) + 1
    loaded = mc.load_calibrator(content)
    probe = np.r_[split.test_scores, split.cal_scores]
    np.testing.assert_array_equal(mc.apply_calibrator(loaded, probe),
                                  mc.apply_calibrator(cal, probe))
    old = {**content, "schema_version": CALIBRATOR_SCHEMA_VERSION}
    old["checksum"] = checksum(old)
    with pytest.raises(mc.CalibrationScriptError,
                       match="MC-E403-SCHEMA-VERSION.*schema_version 1 is not supported for "
                             "methods venn_abers"):
        mc.load_calibrator(old)


@pytest.mark.parametrize("change,match", [
    (lambda p: p.update(p0=p["p0"][:-1]), "2 len"),
    (lambda p: p.update(x=p["x"][::-1]), "strictly increasing"),
    (lambda p: p.update(p0=p["p1"], p1=p["p0"]), "below params.p1"),
    (lambda p: p.update(p1=[0.0] * len(p["p1"])), "p1 above 0"),
])
def test_a_broken_venn_abers_calibrator_is_refused(change: object, match: str) -> None:
    cal = fit_calibrator(aggregate(np.array([0.1, 0.3, 0.6, 0.8]),
                                   np.array([0.0, 1.0, 0.0, 1.0])), VENN_ABERS)
    content = cal.to_json_dict()
    params = dict(content["params"])  # type: ignore[call-overload]  # a JSON object
    assert callable(change)
    change(params)
    broken = {**content, "params": params}
    broken["checksum"] = checksum(broken)
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E401-CALIBRATOR-INVALID.*{match}"):
        mc.load_calibrator(broken)


def test_identity_keeps_the_scores_clipped_and_is_schema_2() -> None:
    s = np.array([0.0, 1e-20, 0.3, 1.0])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    for space, probe, expected in (
            ("probability", s, [CLIP_EPSILON, CLIP_EPSILON, 0.3, 1.0 - CLIP_EPSILON]),
            ("logit", np.array([-2.0, 0.0, 3.0]), 1.0 / (1.0 + np.exp([2.0, 0.0, -3.0])))):
        cal = fit_calibrator(aggregate(probe, y[:probe.size]), mc.read_settings(
            {"CALIBRATION_METHOD": "identity", "SCORE_SPACE": space}))
        content = cal.to_json_dict()
        assert content["schema_version"] == 2 and content["params"] == {}
        np.testing.assert_allclose(mc.apply_calibrator(mc.load_calibrator(content), probe),
                                   expected, rtol=1e-15)
