"""isotonic equals scikit-learn's ``IsotonicRegression(out_of_bounds='clip')`` to 1e-9, near-ties
included: scores closer than ``np.finfo(float).resolution`` are merged as its ``_make_unique``
merges them."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn._isotonic import _make_unique
from sklearn.isotonic import IsotonicRegression

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import Aggregated, aggregate
from calibration_step.script.model_calibration.fitting import fit_calibrator, fit_isotonic_rows
from calibration_step.script.model_calibration.numerics import FloatArray
from calibration_step.script.model_calibration.ties import (TIE_RESOLUTION, merge_near_ties,
                                                            near_tie_starts)
from tests.script.real_data import real_split

ISOTONIC = mc.read_settings({"CALIBRATION_METHOD": "isotonic"})


def _max_difference(s: FloatArray, y: FloatArray, w: Optional[FloatArray],
                    probe: FloatArray) -> float:
    ours = mc.apply_calibrator(fit_calibrator(aggregate(s, y, w), ISOTONIC), probe)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(s, y, sample_weight=w).predict(probe)
    return float(np.abs(ours - theirs).max())


@pytest.mark.parametrize("cal_rows", [45, 120, 300])
@pytest.mark.parametrize("dataset,positive", [("breast_cancer", 1), ("digits", 3),
                                              ("digits", 8), ("wine", 1)])
def test_isotonic_equals_sklearn_on_naive_bayes_scores_of_real_data(
        dataset: str, positive: int, cal_rows: int) -> None:
    if dataset == "wine" and cal_rows > 45:
        pytest.skip("wine has 178 rows")
    split = real_split(dataset, "naive_bayes", cal_rows, seed=cal_rows, positive=positive)
    s, probe = split.cal_scores, split.test_scores
    if dataset == "digits":  # naive Bayes on digits: many scores are near-ties below 1e-15
        assert np.count_nonzero((s > 0.0) & (s < 1e-15)) >= 5
        assert np.unique(s).size > near_tie_starts(np.unique(s)).size
    probe = np.r_[probe, s, s + 5e-16, np.nextafter(s, 0.0), 0.0, 1.0]
    assert _max_difference(s, split.y_cal, None, np.clip(probe, 0.0, 1.0)) <= 1e-9


_near_tied = st.lists(
    st.tuples(st.sampled_from([0.0, 1e-300, 3e-16, 0.25, 0.5, 0.75]), st.integers(0, 40),
              st.booleans(), st.floats(0.1, 5.0)),
    min_size=2, max_size=60)


@settings(max_examples=150, deadline=None)
@given(rows=_near_tied, weighted=st.booleans())
def test_isotonic_equals_sklearn_on_near_tied_scores(
        rows: list[tuple[float, int, bool, float]], weighted: bool) -> None:
    # each score a base plus a multiple of 1e-17 (a chain of near-ties spanning up to 4e-16) or,
    # for multiples above 30, of 1e-16 (chains longer than the resolution)
    s = np.array([base + steps * (1e-17 if steps <= 30 else 1e-16) for base, steps, _, _ in rows])
    y = np.array([float(label) for _, _, label, _ in rows])
    if y.min() == y.max():
        y[0] = 1.0 - y[0]
    w = np.array([weight for *_, weight in rows]) if weighted else None
    probe = np.r_[s, s + 7e-16, s - 7e-16, np.linspace(0.0, 1.0, 11)]
    assert _max_difference(s, y, w, np.clip(probe, 0.0, 1.0)) <= 1e-9


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.sampled_from([0.0, 1e-300, 2e-16, 0.5]), min_size=1, max_size=30),
       steps=st.lists(st.integers(0, 25), min_size=30, max_size=30))
def test_merged_groups_are_those_of_sklearn_make_unique(values: list[float],
                                                        steps: list[int]) -> None:
    x = np.unique(np.array([v + k * 1e-16 for v, k in zip(values, steps)]))
    n = np.arange(1.0, x.size + 1.0)
    k = n / 2.0
    merged = merge_near_ties(Aggregated(x, n, k))
    ux, uy, uw = _make_unique(x, k / n, n)
    np.testing.assert_array_equal(merged.values, ux)
    np.testing.assert_allclose(merged.n, uw, rtol=1e-15)
    np.testing.assert_allclose(merged.k / merged.n, uy, rtol=1e-12)


def test_a_chain_of_near_ties_starts_a_group_at_each_resolution_from_its_first_score() -> None:
    # 0, 6e-16 and 9e-16 are within 1e-15 of 0; 1.1e-15 is not, and starts the next group,
    # which 1.7e-15 joins although it is only 6e-16 above 1.1e-15
    x = np.array([0.0, 6e-16, 9e-16, 1.1e-15, 1.7e-15, 2.2e-15])
    assert near_tie_starts(x).tolist() == [0, 3, 5]
    assert TIE_RESOLUTION == 1e-15


def test_the_sorted_rows_path_leaves_near_tied_scores_to_the_aggregate() -> None:
    s = np.array([0.2, 0.2 + 2e-16, 0.7, 0.9])
    y = np.array([True, False, False, True])
    assert fit_isotonic_rows(s, y, ISOTONIC) is None
    assert fit_isotonic_rows(np.array([0.2, 0.3, 0.7, 0.9]), y, ISOTONIC) is not None
