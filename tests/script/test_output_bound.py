"""Named platt, beta and gam bound their outputs by ``probability_floor`` of their rows: a test
score beyond every calibration score extrapolates no further, so it is no confident miss."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.fitting import fit_calibrator, probability_floor
from tests.script.real_data import real_split

BEYOND = np.array([0.0, 5e-324, 1e-300, 1e-12, 0.5, 1.0 - 1e-12, 1.0])


@pytest.mark.parametrize("method", ["platt", "beta", "gam"])
def test_scores_beyond_the_fitted_ones_stay_within_the_bound(method: str) -> None:
    # naive Bayes on 60 breast-cancer rows: calibration scores from 7e-110 upward, 11 test
    # scores below (down to 4e-259): new rows more extreme than any calibration row
    split = real_split("breast_cancer", "naive_bayes", 60, seed=1)
    scores, test = split.cal_scores, split.test_scores
    assert np.sum(test < scores.min()) >= 5
    cal = fit_calibrator(aggregate(scores, split.y_cal),
                         mc.read_settings({"CALIBRATION_METHOD": method}))
    floor = probability_floor(60.0)
    assert cal.extra_params["probability_floor"] == floor
    loaded = mc.load_calibrator(json.loads(json.dumps(cal.to_json_dict())))
    for probe in (BEYOND, test):
        out = mc.apply_calibrator(loaded, probe)
        np.testing.assert_array_equal(out, mc.apply_calibrator(cal, probe))
        assert out.min() >= floor and out.max() <= 1.0 - floor, (out.min(), out.max())
    positive = mc.apply_calibrator(cal, test)
    true_class = np.where(split.y_test == 1.0, positive, 1.0 - positive)
    assert true_class.min() >= floor > 1e-6
