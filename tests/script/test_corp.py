"""CORP reliability: the decomposition against model-diagnostics' ``decompose``, the band's
coverage of calibrated forecasts, the binned path's accuracy, and smooth ECE against relplot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.aggregation import Aggregated, aggregate
from calibration_step.script.model_calibration.corp import (BAND_RESAMPLING_MAX_ROWS,
                                                            CURVE_POINTS, corp_block, pav)
from calibration_step.script.model_calibration.metrics import binary_metrics_of
from calibration_step.script.model_calibration.multiclassmetrics import multiclass_metrics
from calibration_step.script.model_calibration.numerics import FloatArray
from calibration_step.script.model_calibration.smoothece import smooth_ece
from tests.script.real_data import real_split

Link = Callable[[FloatArray], FloatArray]


@pytest.mark.parametrize("rows, weighted", [(50, False), (70_000, False), (70_000, True)])
def test_own_pav_equals_scikit_learn(rows: int, weighted: bool) -> None:
    from sklearn.isotonic import isotonic_regression

    rng = np.random.default_rng(rows)
    p = rng.uniform(size=rows)  # the fit is in the order given
    n = rng.integers(1, 30, size=rows).astype(np.float64) if weighted else np.ones(rows)
    k = rng.binomial(n.astype(np.int64), p ** 1.3).astype(np.float64)
    expected = isotonic_regression(k / n, sample_weight=n)
    np.testing.assert_allclose(pav(n, k), expected, rtol=0, atol=1e-12)


def _scores(n: int, seed: int, truth: Link) -> tuple[FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, n)
    return p, (rng.uniform(size=n) < truth(p)).astype(np.float64)


def _reference(p: FloatArray, y: FloatArray, weights: FloatArray | None = None
               ) -> dict[str, dict[str, float]]:
    scoring: Any = pytest.importorskip("model_diagnostics.scoring")
    out: dict[str, dict[str, float]] = {}
    for name, function in (("brier", scoring.SquaredError()), ("log_loss", scoring.LogLoss())):
        row = scoring.decompose(y_obs=y, y_pred=p, weights=weights,
                                scoring_function=function).to_dicts()[0]
        out[name] = {"mcb": row["miscalibration"], "dsc": row["discrimination"],
                     "unc": row["uncertainty"], "score": row["score"]}
    return out


def _assert_matches(block: dict[str, Any], reference: dict[str, dict[str, float]]) -> None:
    for name, parts in reference.items():
        for key, value in parts.items():
            assert block[name][key] == pytest.approx(value, rel=0, abs=1e-9), (name, key)


@pytest.mark.parametrize("n, truth", [(300, lambda p: p), (4000, lambda p: p ** 2),
                                      (20000, lambda p: np.clip(1.3 * p - 0.1, 0.0, 1.0))])
def test_decomposition_equals_model_diagnostics(n: int, truth: Link) -> None:
    p, y = _scores(n, 3, truth)
    block: Any = binary_metrics_of(p, y == 1.0, None, 15)
    corp = block["corp"]
    _assert_matches(corp, _reference(p, y))
    for name in ("brier", "log_loss"):
        parts = corp[name]
        assert parts["score"] == pytest.approx(parts["mcb"] - parts["dsc"] + parts["unc"],
                                               abs=1e-12)
    assert corp["brier"]["score"] == pytest.approx(block["brier"], abs=1e-12)
    assert corp["log_loss"]["score"] == pytest.approx(block["log_loss"], abs=1e-12)


def test_weighted_decomposition_equals_model_diagnostics_with_ties() -> None:
    p, y = _scores(3000, 5, lambda q: q)
    p = np.round(p, 2)  # many rows per distinct prediction
    weights = np.asarray(np.random.default_rng(6).uniform(0.5, 3.0, p.shape[0]), dtype=np.float64)
    corp: Any = corp_block(aggregate(p, y == 1.0, weights))
    assert corp is not None
    _assert_matches(corp, _reference(p, y, weights))


def test_decomposition_on_a_real_model_equals_model_diagnostics() -> None:
    split = real_split("breast_cancer", "logistic_c0.005", 150, seed=0)
    p, y = split.test_scores, split.y_test
    corp: Any = corp_block(aggregate(p, y == 1.0, None))
    assert corp is not None
    _assert_matches(corp, _reference(p, y))


def test_multiclass_per_class_decomposition_equals_model_diagnostics() -> None:
    x, target = load_iris(return_X_y=True)
    probs = LogisticRegression(C=0.05, max_iter=2000).fit(x, target).predict_proba(x)
    metrics = multiclass_metrics(probs, target.astype(np.int64), np.ones(target.shape[0]),
                                 ["0", "1", "2"], 10)
    per_class: Any = metrics["per_class"]
    for j, name in enumerate(["0", "1", "2"]):
        _assert_matches(per_class[name]["corp"], _reference(probs[:, j],
                                                           (target == j).astype(np.float64)))


def test_log_loss_clip_keeps_a_saturated_prediction_finite() -> None:
    """A prediction of exactly 0 on a positive row: the score uses the log loss's 1e-15 clip,
    so MCB is finite (model-diagnostics would give an infinite score)."""
    p = np.array([0.0, 0.3, 0.6, 0.9])
    y = np.array([True, False, True, True])
    corp: Any = corp_block(aggregate(p, y, None))
    assert corp is not None
    assert corp["log_loss_clip_epsilon"] == 1e-15
    assert corp["log_loss"]["mcb"] == pytest.approx(-np.log(1e-15) / 4, rel=0.2)
    assert np.isfinite(corp["log_loss"]["mcb"])


def test_single_class_has_no_corp_block() -> None:
    agg = Aggregated(np.array([0.2, 0.4]), np.array([3.0, 1.0]), np.array([0.0, 0.0]))
    assert corp_block(agg) is None


def _coverage(n: int, reps: int, truth: Link, seed: int) -> float:
    """Share of the stored curve's points inside the band, averaged over ``reps`` data sets."""
    rng = np.random.default_rng(seed)
    inside = []
    for _ in range(reps):
        p = rng.uniform(size=n)
        corp: Any = corp_block(aggregate(p, rng.uniform(size=n) < truth(p), None))
        assert corp is not None
        curve = corp["curve"]
        r, lower, upper = (np.array(curve[key]) for key in
                           ("recalibrated", "band_lower", "band_upper"))
        inside.append(float(np.mean((r >= lower - 1e-12) & (r <= upper + 1e-12))))
    return float(np.mean(inside))


@pytest.mark.parametrize("n, method", [(400, "resampling"), (6000, "continuous_asymptotic")])
def test_band_covers_a_calibrated_forecast_at_the_nominal_rate(n: int, method: str) -> None:
    """Nominal 0.9 pointwise. 25 data sets of 101 curve points: the mean coverage's simulation
    standard error is about 0.01 (measured over 40 data sets: 0.87 to 0.90 at 300 to 50,000
    rows), so a 0.05 tolerance holds; a forecast whose truth is p**1.5 falls outside."""
    assert (n <= BAND_RESAMPLING_MAX_ROWS) == (method == "resampling")
    p = np.random.default_rng(0).uniform(size=n)
    corp: Any = corp_block(aggregate(p, p > 0.5, None))
    assert corp is not None and corp["band"]["method"] == method
    assert len(corp["curve"]["prediction"]) == CURVE_POINTS
    assert _coverage(n, 25, lambda q: q, seed=11) == pytest.approx(0.9, abs=0.05)
    assert _coverage(n, 5, lambda q: q ** 1.5, seed=12) < 0.6


def test_few_distinct_predictions_take_the_normal_band() -> None:
    rng = np.random.default_rng(2)
    p = rng.choice(np.array([0.1, 0.3, 0.5, 0.7, 0.9]), size=10_000)
    corp: Any = corp_block(aggregate(p, rng.uniform(size=p.shape[0]) < p, None))
    assert corp is not None
    assert corp["band"]["method"] == "discrete_asymptotic"
    assert corp["curve"]["prediction"] == [0.1, 0.3, 0.5, 0.7, 0.9]
    half = np.array(corp["curve"]["band_upper"]) - np.array(corp["curve"]["prediction"])
    assert half[2] == pytest.approx(1.6449 * np.sqrt(0.25 / 2000), rel=0.1)


def test_binned_path_corp_is_close_to_the_exact_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The accuracy docs/metrics.md states for the logit-bin statistics (2**16 bins)."""
    p, y = _scores(300_000, 8, lambda q: q ** 1.2)
    exact: Any = binary_metrics_of(p, y == 1.0, None, 15)
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    binned: Any = binary_metrics_of(p, y == 1.0, None, 15)
    assert binned["row_bins"] is not None
    for name in ("brier", "log_loss"):
        for key in ("mcb", "dsc", "unc", "score"):
            assert binned["corp"][name][key] == pytest.approx(exact["corp"][name][key],
                                                              abs=2e-5), (name, key)
    assert binned["smooth_ece"] == pytest.approx(exact["smooth_ece"], abs=1e-4)


@pytest.mark.parametrize("n, truth", [(300, lambda p: p), (5000, lambda p: p ** 2),
                                      (20000, lambda p: np.clip(1.3 * p - 0.1, 0.0, 1.0)),
                                      (1000, lambda p: 0.5 + 0.0 * p)])
def test_smooth_ece_equals_relplot(n: int, truth: Link) -> None:
    metrics: Any = pytest.importorskip("relplot.metrics")
    p, y = _scores(n, 4, truth)
    value, sigma = smooth_ece(aggregate(p, y == 1.0, None))
    reference, width = metrics.smECE(p, y, return_width=True)
    assert value == pytest.approx(reference, abs=1e-3)
    assert sigma == pytest.approx(width, abs=1e-9)


def test_smooth_ece_of_a_real_model_equals_relplot() -> None:
    metrics: Any = pytest.importorskip("relplot.metrics")
    split = real_split("breast_cancer", "naive_bayes", 150, seed=1)
    p, y = split.test_scores, split.y_test
    value, _ = smooth_ece(aggregate(p, y == 1.0, None))
    assert value == pytest.approx(metrics.smECE(p, y), abs=1e-3)
