"""Metrics: definitions, cross-fitting (not in-sample), threshold, single-class AUC."""

from __future__ import annotations

import decimal
import math
import os

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.crossfit import stratified_folds
from calibration_step.script.model_calibration.limits import METRICS_CHUNK_ROWS
from calibration_step.script.model_calibration.apply import renormalise
from calibration_step.script.model_calibration.metrics import (
    SLOPE_BINS, binary_metrics, binary_metrics_of,
)
from calibration_step.script.model_calibration.multiclassmetrics import (
    _select, multiclass_metrics, multiclass_metrics_of, renormalised_columns,
)
from calibration_step.script.model_calibration.rowfolds import FileRows, file_folds
from calibration_step.script.interface import METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.numerics import (CLIP_EPSILON, fit_logistic_line,
                                                                logit)
from tests.script.synthetic import read_json, run_main, scenario, write_csv


def test_equal_width_bins_are_half_open_with_the_last_closed() -> None:
    p = np.array([0.0, 0.5, 0.5, 1.0])
    y = np.array([0.0, 1.0, 0.0, 1.0])
    metrics = binary_metrics(aggregate(p, y), bins=2)
    bins = metrics["bins"]
    assert isinstance(bins, dict)
    width = bins["equal_width"]
    assert width["count"] == [1, 3]  # 0.5 opens bin 1; 1.0 falls in the last, closed bin
    assert width["mean_predicted"] == [0.0, pytest.approx(2.0 / 3.0)]
    assert width["observed_rate"] == [0.0, pytest.approx(2.0 / 3.0)]
    assert metrics["ece_equal_width"] == pytest.approx(0.0)
    assert metrics["brier"] == pytest.approx((0 + 0.25 + 0.25 + 0) / 4)


def test_metrics_agree_with_direct_formulas() -> None:
    s, y, _ = scenario("linear", 5000, seed=41)
    m = binary_metrics(aggregate(s, y), bins=10)
    idx = np.minimum((s * 10).astype(int), 9)
    ece = sum(abs(s[idx == b].mean() - y[idx == b].mean()) * (idx == b).mean()
              for b in range(10) if (idx == b).any())
    assert m["ece_equal_width"] == pytest.approx(ece, rel=1e-9)
    ll = -np.mean(y * np.log(s) + (1 - y) * np.log1p(-s))
    assert m["log_loss"] == pytest.approx(ll, rel=1e-12)
    pos, neg = s[y == 1], s[y == 0]
    auc = ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    assert m["auc"] == pytest.approx(auc, rel=1e-12)
    z = (np.sum((y - s) * (1 - 2 * s)) / math.sqrt(np.sum((1 - 2 * s) ** 2 * s * (1 - s))))
    assert m["spiegelhalter_z"] == pytest.approx(z, rel=1e-9)
    dec = m["brier_decomposition"]
    assert isinstance(dec, dict)
    assert dec["uncertainty"] == pytest.approx(y.mean() * (1 - y.mean()))
    slope = m["calibration_slope"]
    assert isinstance(slope, float) and slope == pytest.approx(0.5, abs=0.1)  # truth: 0.5


def test_single_class_auc_is_null_with_a_reason_not_a_crash() -> None:
    m = binary_metrics(aggregate(np.array([0.2, 0.4, 0.9]), np.ones(3)), bins=5)
    assert m["auc"] is None and m["auc_null_reason"] == "only one class present"
    assert m["calibration_slope"] is None


def test_fold_with_a_single_class_reports_null_auc(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 2000, seed=42)
    y[:] = 0.0
    y[:3] = 1.0  # 3 positives over 5 folds: two held-out folds have no positive
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "platt"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    folds = metrics["folds"]
    assert isinstance(folds, list)
    nulls = [f for f in folds if f["auc"] is None]
    assert len(nulls) == 2 and all(f["auc_null_reason"] == "only one class present"
                                   for f in nulls)


def test_calibrated_metrics_are_cross_fitted_not_in_sample(tmp_path: str) -> None:
    s, y, _ = scenario("nonlinear", 4000, seed=43)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "isotonic", "CALIBRATION_FOLDS": "4",
                    "CALIBRATION_SEED": "7"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    calibrated = metrics["calibrated"]
    assert isinstance(calibrated, dict)
    # in-sample isotonic is perfectly calibrated on its own bins; the reported value is not
    in_sample = IsotonicRegression(out_of_bounds="clip").fit(s, y).predict(s)
    in_sample_ll = binary_metrics(aggregate(in_sample, y), 15)["log_loss"]
    # recompute the held-out predictions independently
    folds = file_folds(y, FileRows(("d.csv",), (y.shape[0],)), 4, 7)  # the file's own deal
    held = np.empty_like(s)
    for f in range(4):
        train = folds != f
        held[~train] = IsotonicRegression(out_of_bounds="clip").fit(
            s[train], y[train]).predict(s[~train])
    expected = binary_metrics(aggregate(held, y), 15)
    assert calibrated["ece_equal_width"] == pytest.approx(expected["ece_equal_width"], abs=1e-9)
    assert calibrated["log_loss"] == pytest.approx(expected["log_loss"], rel=1e-9)
    assert isinstance(in_sample_ll, float) and calibrated["log_loss"] != pytest.approx(
        in_sample_ll, rel=1e-6)
    evaluation = metrics["evaluation"]
    assert isinstance(evaluation, dict) and evaluation["scheme"] == "stratified_kfold_crossfit"


def test_stratified_folds_are_seeded_and_balanced() -> None:
    y = np.array([1.0] * 50 + [0.0] * 150)
    a, b = stratified_folds(y, 5, 3), stratified_folds(y, 5, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, stratified_folds(y, 5, 4))
    for f in range(5):
        assert (y[a == f] == 1).sum() == 10 and (a == f).sum() == 40


@pytest.mark.parametrize("threshold,passed", [("0.5", True), ("0.0001", False)])
def test_error_threshold_is_enforced_at_the_fixed_paths(tmp_path: str, threshold: str,
                                                        passed: bool) -> None:
    s, y, _ = scenario("linear", 3000, seed=44)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "beta", "ERROR_THRESHOLD": threshold})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    calibrated = metrics["calibrated"]
    threshold_block = metrics["threshold"]
    assert isinstance(calibrated, dict) and isinstance(threshold_block, dict)
    ece = calibrated["ece_equal_width"]
    assert isinstance(ece, float)
    assert threshold_block["passed"] is passed
    assert (ece <= float(threshold)) is passed


def _miscalibrated(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Predictions whose true logit is 0.7 * logit(p) - 0.3 (logit-linear miscalibration)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, rows)
    p = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(0.7 * z - 0.3)))).astype(np.float64)
    return p, y


@pytest.mark.parametrize("weighted", [False, True])
def test_binned_slope_and_intercept_agree_with_the_exact_fit(weighted: bool) -> None:
    p, y = _miscalibrated(200_000, seed=91)
    draw = np.random.default_rng(92).uniform(0.2, 3.0, size=p.shape[0])
    weights = np.asarray(draw, dtype=np.float64) if weighted else None
    agg = aggregate(p, y, weights)
    assert agg.values.shape[0] > SLOPE_BINS  # the binned path
    m = binary_metrics(agg, bins=10, rows=p.shape[0])
    exact = fit_logistic_line(logit(agg.values, CLIP_EPSILON), agg.n, agg.k)
    assert m["calibration_slope_bins"] == SLOPE_BINS
    assert m["calibration_slope"] == pytest.approx(float(exact.coef[0]), abs=1e-4)
    assert m["calibration_intercept"] == pytest.approx(float(exact.coef[1]), abs=1e-4)
    assert m["calibration_slope"] == pytest.approx(0.7, abs=0.03)


def test_few_distinct_predictions_fit_the_slope_exactly() -> None:
    p, y = _miscalibrated(5000, seed=93)
    agg = aggregate(p, y)
    m = binary_metrics(agg, bins=10)
    exact = fit_logistic_line(logit(agg.values, CLIP_EPSILON), agg.n, agg.k)
    assert m["calibration_slope_bins"] is None
    assert m["calibration_slope"] == float(exact.coef[0])
    assert m["calibration_intercept"] == float(exact.coef[1])


def test_chunked_sums_equal_the_direct_formulas_across_chunks() -> None:
    p, y = _miscalibrated(3 * METRICS_CHUNK_ROWS + 17, seed=94)
    agg = aggregate(p, y)
    m = binary_metrics(agg, bins=10)
    pc = np.clip(p, CLIP_EPSILON, 1 - CLIP_EPSILON)
    assert m["log_loss"] == pytest.approx(-np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc)),
                                          rel=1e-12)
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    z = np.sum((y - p) * (1 - 2 * p)) / math.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    assert m["spiegelhalter_z"] == pytest.approx(z, rel=1e-9)
    order = np.argsort(p, kind="stable")
    ranks = np.empty(p.shape[0])
    ranks[order] = np.arange(1, p.shape[0] + 1)
    pos = y == 1
    n_pos, n_neg = float(pos.sum()), float((~pos).sum())
    auc = (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)  # no ties here
    assert m["auc"] == pytest.approx(auc, rel=1e-9)  # the rank sums' own rounding: ~1e-11


@pytest.mark.parametrize("weighted", [False, True])
def test_metrics_in_small_chunks_equal_metrics_in_one_chunk(weighted: bool,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    p, y = _miscalibrated(20_000, seed=95)
    draw = np.random.default_rng(96).uniform(0.2, 3.0, size=p.shape[0])
    agg = aggregate(p, y, np.asarray(draw, dtype=np.float64) if weighted else None)
    whole = binary_metrics(agg, bins=15)
    monkeypatch.setattr(limits, "METRICS_CHUNK_ROWS", 777)  # bins straddle chunk boundaries
    chunked = binary_metrics(agg, bins=15)
    for strategy in ("equal_width", "equal_mass"):
        a, b = chunked["bins"], whole["bins"]
        assert isinstance(a, dict) and isinstance(b, dict)
        assert a[strategy]["lower"] == b[strategy]["lower"]
        assert a[strategy]["upper"] == b[strategy]["upper"]
        assert a[strategy]["count"] == pytest.approx(b[strategy]["count"], rel=1e-12)
        for key in ("observed_rate", "mean_predicted"):
            assert a[strategy][key] == pytest.approx(b[strategy][key], rel=1e-12)
    for key in ("ece_equal_width", "ece_equal_mass", "mce_equal_mass", "brier", "log_loss",
                "auc", "spiegelhalter_z", "calibration_slope", "calibration_intercept"):
        assert chunked[key] == pytest.approx(whole[key], rel=1e-12), key


def _sub(block: dict[str, object], *keys: str) -> dict[str, object]:
    """The block nested in ``block`` under ``keys``."""
    for key in keys:
        inner = block[key]
        assert isinstance(inner, dict)
        block = inner
    return block


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_metrics_of_many_rows_bin_in_chunks_as_each_class_alone(
        monkeypatch: pytest.MonkeyPatch, weighted: bool) -> None:
    """From BINNED_MIN_ROWS rows every block comes from one chunked pass over the rows: each
    class's and the top label's blocks equal binary_metrics_of's of the whole column (the same
    chunks and bins), the row sums the exact path's up to the order of their additions."""
    rng = np.random.default_rng(8)
    n = 3000
    scores = rng.dirichlet(np.ones(3), n) * rng.uniform(0.9, 1.1, (n, 1))
    scores[11] = 0.0  # a row summing to 0: uniform
    labels = rng.integers(0, 3, n)
    weights = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    names = ("a", "b", "c")
    column, _, _, _ = renormalised_columns(scores)
    exact = multiclass_metrics_of(column, labels, weights, names, 10)
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)  # chunks with a shorter last one
    binned = multiclass_metrics_of(column, labels, weights, names, 10)
    matrix = renormalise(scores)[0]
    agg_weights = weights if weighted else None
    for j, name in enumerate(names):
        alone = binary_metrics_of(np.ascontiguousarray(matrix[:, j]), labels == j, agg_weights,
                                  10)
        assert _sub(binned, "per_class", name) == alone and alone["row_bins"] is not None
    top = matrix.max(axis=1)
    hit = matrix.argmax(axis=1) == labels
    assert binned["top_label"] == binary_metrics_of(top, hit, agg_weights, 10)
    assert _sub(exact, "top_label")["row_bins"] is None
    for key in ("brier", "log_loss", "accuracy", "weight_sum"):
        assert binned[key] == pytest.approx(exact[key], rel=1e-13), key
    for key in ("log_loss_clipped_rows", "class_counts", "n"):
        assert binned[key] == exact[key], key
    assert _sub(binned, "macro")["ece_equal_width"] == pytest.approx(float(np.mean(
        [float(str(_sub(binned, "per_class", c)["ece_equal_width"])) for c in names])),
        rel=1e-15)


def test_multiclass_metrics_of_unbinnable_classes_take_the_whole_columns(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A class whose probabilities are one value cannot be binned: the figures are those of the
    whole columns, each class binned where it can be (as binary_metrics_of does)."""
    rng = np.random.default_rng(9)
    n = 1500
    probs = np.column_stack([np.full(n, 0.2), rng.uniform(0.0, 0.8, n)])
    probs = np.column_stack([probs, 1.0 - probs.sum(axis=1)])
    labels = rng.integers(0, 3, n)
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 400)
    metrics = multiclass_metrics(probs, labels, np.ones(n), ("a", "b", "c"), 10)
    assert _sub(metrics, "per_class", "a")["row_bins"] is None  # every prediction 0.2: exact
    assert _sub(metrics, "per_class", "b")["row_bins"] is not None
    assert _sub(metrics, "per_class", "b") == binary_metrics_of(np.ascontiguousarray(probs[:, 1]),
                                                          labels == 1, None, 10)


@pytest.mark.parametrize("many", [False, True])
def test_multiclass_metrics_of_renormalised_columns_equal_those_of_the_matrix(
        monkeypatch: pytest.MonkeyPatch, many: bool) -> None:
    """The renormalised columns (each class's contiguous) and the matrix's (strided) give the
    same figures, on the whole columns and on row bins in chunks."""
    if many:
        monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 300)
        monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 120)  # chunks with a shorter last one
    rng = np.random.default_rng(4)
    scores = rng.dirichlet(np.ones(3), 500) * rng.uniform(0.9, 1.1, (500, 1))
    scores[7] = 0.0  # a row summing to 0: uniform in both
    labels = rng.integers(0, 3, 500)
    weights = rng.uniform(0.5, 2.0, 500)
    column, zero, _, extremes = renormalised_columns(scores)
    matrix, zero_matrix = renormalise(scores)
    assert zero == zero_matrix == 1
    before = scores.copy()
    names = ("a", "b", "c")
    found = multiclass_metrics_of(column, labels, weights, names, 10)
    assert found == multiclass_metrics(matrix, labels, weights, names, 10)
    assert found == multiclass_metrics_of(column, labels, weights, names, 10, extremes)
    assert (_sub(found, "top_label")["row_bins"] is not None) == many
    if extremes is None:
        assert not many
    else:  # the span of each class, then of the highest probability
        spans = [matrix[:, j] for j in range(3)] + [matrix.max(axis=1)]
        assert extremes.low.tolist() == [float(v.min()) for v in spans]
        assert extremes.high.tolist() == [float(v.max()) for v in spans]
    assert np.array_equal(scores, before)  # the columns are computed, not changed in place


@pytest.mark.parametrize("many", [False, True])
def test_multiclass_metrics_without_weights_equal_those_of_equal_weights(
        monkeypatch: pytest.MonkeyPatch, many: bool) -> None:
    """No weights (None) and weights of 1 give the same figures (one path: sums, no products);
    equal weights of 2 (the weighted path, dot products) give them to 1e-12, both on the whole
    columns and on row bins in chunks."""
    rng = np.random.default_rng(12)
    n = 2000
    probs = rng.dirichlet(np.ones(3), n)
    labels = rng.integers(0, 3, n)
    if many:
        monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
        monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    names = ("a", "b", "c")
    unit = multiclass_metrics(probs, labels, None, names, 10)
    assert unit == multiclass_metrics(probs, labels, np.ones(n), names, 10)
    assert (_sub(unit, "top_label")["row_bins"] is None) == (not many)
    doubled = multiclass_metrics(probs, labels, np.full(n, 2.0), names, 10)
    assert doubled["weight_sum"] == 2.0 * n and unit["weight_sum"] == n
    for key in ("brier", "log_loss", "accuracy", "ece_equal_width", "ece_equal_mass"):
        assert unit[key] == pytest.approx(doubled[key], rel=1e-12, abs=1e-15), key
    assert unit["class_counts"] == {name: int(np.count_nonzero(labels == j))
                                    for j, name in enumerate(names)}
    assert unit["accuracy"] == float(np.mean(probs.argmax(axis=1) == labels))


def test_select_takes_the_values_bit_for_bit_where_asked() -> None:
    """_select equals np.copyto with a mask to the bit, signed zeros, infinities and NaN
    included, and leaves the other rows as they were."""
    rng = np.random.default_rng(21)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1.5])
    into = np.concatenate([rng.normal(size=50), special, special[::-1]])
    values = np.concatenate([rng.normal(size=50), special[::-1], special])
    where = np.asarray(rng.uniform(size=into.shape[0]) < 0.5, dtype=np.bool_)
    expected = into.copy()
    np.copyto(expected, values, where=where)
    _select(into, values, where, np.empty(into.shape[0]))
    assert np.array_equal(into.view(np.uint64), expected.view(np.uint64))
    assert not np.array_equal(into.view(np.uint64), values.view(np.uint64))


def test_logits_in_given_arrays_equal_the_new_ones() -> None:
    scores = np.random.default_rng(22).uniform(size=1000)
    scores[:3] = [0.0, 1.0, 0.5]
    out, scratch = np.empty(1000), np.empty(1000)
    given = logit(scores, CLIP_EPSILON, out, scratch)
    assert given is out
    assert np.array_equal(given, logit(scores, CLIP_EPSILON))


def test_logits_are_within_an_ulp_and_2e_16_of_the_exact_ones() -> None:
    rng = np.random.default_rng(23)
    scores = np.concatenate([rng.uniform(size=300), 10.0 ** rng.uniform(-15, 0, 300),
                             1.0 - 10.0 ** rng.uniform(-15, 0, 300), [0.5, 1e-15, 1 - 1e-15]])
    scores = np.clip(scores, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    with decimal.localcontext() as context:
        context.prec = 50
        exact = np.array([float((decimal.Decimal(s) / (1 - decimal.Decimal(s))).ln())
                          for s in scores.tolist()])
    error = np.abs(logit(scores, CLIP_EPSILON) - exact)
    assert np.all(error <= np.spacing(np.abs(exact)) + 2e-16)
