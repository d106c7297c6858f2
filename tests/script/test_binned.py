"""Many rows: cross-fitting and metrics on logit bins (``run_task_binned``) against the exact path.

The binned path starts at ``BINNED_MIN_ROWS`` rows; here it is lowered so that both paths run on
the same rows, with coarse bins (``ROW_BINS``) so that the approximation is visible at all.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import limits, rowbins
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.binned import select_method_binned
from calibration_step.script.model_calibration.crossfit import stratified_folds
from calibration_step.script.model_calibration.fitting import isotonic_knots, isotonic_rows
from calibration_step.script.model_calibration.knots import interpolate_knots
from calibration_step.script.interface import (
    BINARY_METHODS, CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationInput, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration.rowbins import bin_rows, group_predictions
from tests.script.synthetic import (
    TRUE_CHOICES,
    family_scenario,
    multiclass_scenario,
    read_json,
    run_main,
    scenario,
    sigmoid,
    write_multiclass,
)

ROWS = 120_000
COARSE_BINS = 2048  # about 60 rows a bin here; the default (65,536) is far finer

Metrics = dict[str, object]


def _write(folder: str, scores: np.ndarray, labels: np.ndarray,
           weights: np.ndarray | None = None) -> str:
    os.makedirs(folder, exist_ok=True)
    frame = pd.DataFrame({"prob_class_1": scores, "label": labels.astype(np.int64)})
    if weights is not None:
        frame["w"] = weights
    frame.to_parquet(os.path.join(folder, "part-0.parquet"), index=False)
    return folder


def _run(tmp_path: str, name: str, inp: str, env: dict[str, str], binned: bool,
         monkeypatch: pytest.MonkeyPatch, job_type: str = "calibration",
         model: str | None = None) -> tuple[Metrics, Metrics, dict[str, str]]:
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1 if binned else 1 << 40)
    monkeypatch.setattr(rowbins, "ROW_BINS", COARSE_BINS)
    monkeypatch.setattr(rowbins, "ROW_BIN_MAX_WIDTH", 0.05)  # coarse bins are the point here
    outputs = {n: os.path.join(tmp_path, name, n) for n in [o.value for o in ModelCalibrationOutput]}
    inputs = {ModelCalibrationInput.EVALUATION_DATA.value: inp}
    if model is not None:
        inputs[ModelCalibrationInput.CALIBRATION_MODEL.value] = model
    import argparse
    mc.main(inputs, outputs, env, argparse.Namespace(job_type=job_type))
    metrics = read_json(os.path.join(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    calibrator = read_json(os.path.join(outputs[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    return metrics, calibrator, outputs


def _block(metrics: Metrics, name: str) -> dict[str, object]:
    block = metrics[name]
    assert isinstance(block, dict)
    return block


def _close(exact: dict[str, object], binned: dict[str, object], key: str, tol: float) -> None:
    a, b = exact[key], binned[key]
    assert isinstance(a, float) and isinstance(b, float)
    assert abs(a - b) <= tol, f"{key}: exact {a}, binned {b}"


@pytest.fixture(scope="module")
def nonlinear() -> tuple[np.ndarray, np.ndarray]:
    s, y, _ = scenario("nonlinear", ROWS, seed=11)
    return s, y


@pytest.mark.parametrize("method", ["gam", "isotonic", "platt", "beta"])
def test_binned_metrics_agree_with_the_exact_path(
        tmp_path: str, nonlinear: tuple[np.ndarray, np.ndarray], method: str,
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    inp = _write(os.path.join(tmp_path, "in"), *nonlinear)
    env = {"CALIBRATION_METHOD": method}
    exact, exact_cal, _ = _run(tmp_path, "exact", inp, env, False, monkeypatch)
    binned, binned_cal, _ = _run(tmp_path, "binned", inp, env, True, monkeypatch)
    for name in ("uncalibrated", "calibrated"):
        e, b = _block(exact, name), _block(binned, name)
        assert e["row_bins"] is None
        bins = b["row_bins"]
        assert isinstance(bins, dict) and bins["bins"] == COARSE_BINS and bins["groups"] == 5
        assert e["n"] == b["n"] == ROWS and e["positives"] == b["positives"]
        for key, tol in (("ece_equal_width", 1e-3), ("ece_equal_mass", 1e-3),
                         ("brier", 1e-5), ("log_loss", 3e-5), ("auc", 2e-4),
                         ("calibration_slope", 2e-3), ("calibration_intercept", 2e-3)):
            _close(e, b, key, tol)
    # The same folds (one seed), so the per-fold figures match as closely.
    exact_folds, binned_folds = exact["folds"], binned["folds"]
    assert isinstance(exact_folds, list) and isinstance(binned_folds, list)
    for e_fold, b_fold in zip(exact_folds, binned_folds):
        assert {k: e_fold[k] for k in ("fold", "n_train", "n_test", "positives_test")} == \
            {k: b_fold[k] for k in ("fold", "n_train", "n_test", "positives_test")}
        _close(e_fold, b_fold, "log_loss", 2e-4)
        _close(e_fold, b_fold, "auc", 5e-4)
    # isotonic keeps its exact full fit (pooled by the script's own PAV: scikit-learn's values up
    # to rounding, the same knots), platt and beta are refitted on every row from their
    # fit on the bins (all three still equal their exact fits); gam's full fit runs on the bins,
    # which it would have binned more coarsely itself.
    if method == "gam":
        grid = np.linspace(0.01, 0.99, 99)
        cal_e = mc.load_calibrator(exact_cal)
        cal_b = mc.load_calibrator(binned_cal)
        diff = np.abs(mc.apply_calibrator(cal_e, grid) - mc.apply_calibrator(cal_b, grid))
        assert float(diff.max()) < 2e-3
        fit = binned_cal["fit"]
        assert isinstance(fit, dict) and "unique_scores" not in fit
        assert fit["row_bins"] == _block(binned, "calibrated")["row_bins"]
    elif method == "isotonic":
        exact_params, binned_params = exact_cal["params"], binned_cal["params"]
        assert isinstance(exact_params, dict) and isinstance(binned_params, dict)
        assert exact_params["x"] == binned_params["x"]
        np.testing.assert_allclose(binned_params["y"], exact_params["y"], rtol=1e-14, atol=0)
    else:
        exact_params, binned_params = exact_cal["params"], binned_cal["params"]
        assert isinstance(exact_params, dict) and isinstance(binned_params, dict)
        exact_coef = [exact_params[k] for k in ("a", "b", "c") if k in exact_params]
        binned_coef = [binned_params[k] for k in ("a", "b", "c") if k in binned_params]
        assert len(exact_coef) == len(binned_coef) == (2 if method == "platt" else 3)
        np.testing.assert_allclose(binned_coef, exact_coef, rtol=1e-9, atol=1e-12)
        fit = binned_cal["fit"]
        assert isinstance(fit, dict) and fit["fitted_on"] == "every row, from a fit on row bins"
        assert fit["converged"] is True


def test_binned_path_is_finer_with_more_bins(
        tmp_path: str, nonlinear: tuple[np.ndarray, np.ndarray],
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    """The approximation shrinks as the bins narrow: at 65,536 bins (the default) the metrics
    are within 5e-5 (ECE) and 1e-7 (Brier, log loss) of the exact ones on these rows (the ECE
    moves with a few rows crossing a bin's edge: over CALIBRATION_SEED 0-5 up to 3.7e-5, and
    2.3e-5 with the fold deal before the deal by blocks)."""
    inp = _write(os.path.join(tmp_path, "in"), *nonlinear)
    env = {"CALIBRATION_METHOD": "platt"}
    exact, _, _ = _run(tmp_path, "exact", inp, env, False, monkeypatch)
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1)
    monkeypatch.setattr(rowbins, "ROW_BINS", 1 << 16)
    out = run_main(inp, os.path.join(tmp_path, "fine"), env)
    fine = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    for key, tol in (("ece_equal_width", 5e-5), ("ece_equal_mass", 5e-5), ("brier", 1e-7),
                     ("log_loss", 1e-7), ("auc", 1e-6), ("calibration_slope", 1e-5)):
        _close(_block(exact, "calibrated"), _block(fine, "calibrated"), key, tol)


def test_weighted_binned_metrics_agree_with_the_exact_path(
        tmp_path: str, nonlinear: tuple[np.ndarray, np.ndarray],
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    s, y = nonlinear
    w = np.random.default_rng(3).uniform(0.2, 3.0, size=len(s))
    inp = _write(os.path.join(tmp_path, "in"), s, y, w)
    env = {"CALIBRATION_METHOD": "gam", "WEIGHT_FIELD": "w"}
    exact, _, _ = _run(tmp_path, "exact", inp, env, False, monkeypatch)
    binned, _, _ = _run(tmp_path, "binned", inp, env, True, monkeypatch)
    for name in ("uncalibrated", "calibrated"):
        e, b = _block(exact, name), _block(binned, name)
        assert e["weight_sum"] == pytest.approx(b["weight_sum"], rel=1e-12)
        for key, tol in (("ece_equal_width", 1e-3), ("brier", 1e-5), ("log_loss", 2e-5),
                         ("auc", 2e-4)):
            _close(e, b, key, tol)


def test_bin_rows_sums_equal_the_rows_and_means_lie_in_their_bins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rowbins, "ROW_BIN_MAX_WIDTH", 1.0)
    rng = np.random.default_rng(5)
    s = rng.beta(0.5, 0.5, 50_000)
    s[:3] = [0.0, 1.0, 1e-18]  # clipped to CLIP_EPSILON for the logit
    y = rng.uniform(size=len(s)) < s
    w = rng.uniform(0.0, 2.0, size=len(s))
    folds = stratified_folds(y.view(np.int8), 4, 0)
    rb = bin_rows(s, y, w, folds, 4, "probability", bins=256)
    assert rb is not None
    assert rb.n.shape == rb.k.shape == rb.sum_z.shape == (4, 256)
    assert rb.rows.tolist() == np.bincount(folds).tolist()
    assert rb.clipped_rows == 3
    for g in range(4):
        mask = folds == g
        assert rb.n[g].sum() == pytest.approx(w[mask].sum(), rel=1e-12)
        assert rb.k[g].sum() == pytest.approx(w[mask & y].sum(), rel=1e-12)
    edges = rb.lo + np.arange(257) * (rb.hi - rb.lo) / 256
    filled = rb.n.sum(axis=0) > 0
    mean_z = rb.sum_z.sum(axis=0)[filled] / rb.n.sum(axis=0)[filled]
    centre = np.flatnonzero(filled)
    assert np.all(mean_z >= edges[centre] - 1e-9) and np.all(mean_z <= edges[centre + 1] + 1e-9)
    agg = rb.aggregated(range(4), "probability")
    assert np.all(np.diff(agg.values) > 0)
    np.testing.assert_allclose(agg.values, sigmoid(mean_z), rtol=1e-12)


def test_wide_logit_scores_take_the_exact_path(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    """Margins spread so wide that the bins would be coarser than ROW_BIN_MAX_WIDTH."""
    rng = np.random.default_rng(2)
    z = rng.normal(0.0, 2.0, 4000)
    z[0] = 1e4
    y = rng.uniform(size=z.shape[0]) < sigmoid(np.clip(z, -50, 50))
    inp = _write(os.path.join(tmp_path, "in"), z, y)
    assert bin_rows(z, y, None, None, 1, "logit") is None
    metrics, _, _ = _run(tmp_path, "out", inp, {"CALIBRATION_METHOD": "platt",
                                                "SCORE_SPACE": "logit"}, True, monkeypatch)
    assert _block(metrics, "calibrated")["row_bins"] is None


def test_validation_job_on_bins_agrees_with_the_exact_path(
        tmp_path: str, nonlinear: tuple[np.ndarray, np.ndarray],
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    inp = _write(os.path.join(tmp_path, "in"), *nonlinear)
    _, _, fitted = _run(tmp_path, "fit", inp, {"CALIBRATION_METHOD": "isotonic"}, False,
                        monkeypatch)
    model = fitted[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]
    exact, _, _ = _run(tmp_path, "exact", inp, {}, False, monkeypatch, "validation", model)
    binned, _, _ = _run(tmp_path, "binned", inp, {}, True, monkeypatch, "validation", model)
    e, b = _block(exact, "calibrated"), _block(binned, "calibrated")
    bins = b["row_bins"]
    assert isinstance(bins, dict) and bins["groups"] == 1
    # an isotonic step inside a bin is smoothed over that bin's rows: the coarse bins show it
    for key, tol in (("ece_equal_width", 1e-3), ("brier", 1e-4), ("log_loss", 3e-4),
                     ("auc", 5e-4)):
        _close(e, b, key, tol)


def test_a_fold_without_positives_is_refused_on_bins(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    s, y, _ = scenario("linear", 3000, seed=4)
    y[:] = 0.0
    y[0] = 1.0  # one positive: four folds train without it
    inp = _write(os.path.join(tmp_path, "in"), s, y)
    with pytest.raises(mc.CalibrationScriptError,
                       match="too few rows for CALIBRATION_FOLDS=5") as info:
        _run(tmp_path, "out", inp, {"CALIBRATION_METHOD": "gam"}, True, monkeypatch)
    assert info.value.code == "MC-E301-SINGLE-CLASS"


def test_group_predictions_sorts_and_merges_equal_values() -> None:
    values = np.array([0.3, 0.1, 0.3, 0.2, 0.1])
    n = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    k = np.array([1.0, 0.0, 2.0, 1.0, 3.0])
    agg = group_predictions(values, n, k)
    assert agg.values.tolist() == [0.1, 0.2, 0.3]
    assert agg.n.tolist() == [7.0, 4.0, 4.0] and agg.k.tolist() == [3.0, 1.0, 3.0]


@pytest.mark.parametrize("family", ["platt", "beta", "gam", "isotonic"])
def test_auto_on_bins_picks_the_true_family(family: str) -> None:
    """The binned selection (inner folds = the cross-fitting folds) finds what the exact one
    finds on the scenarios of tests/script/test_auto.py, at the default bins."""
    s, y = family_scenario(family, {"isotonic": 10000}.get(family, 6000), seed=1)
    positive = y == 1.0
    settings = mc.read_settings({"CALIBRATION_METHOD": "auto"})
    folds = stratified_folds(positive.view(np.int8), settings.folds, settings.seed)
    rb = bin_rows(s, positive, None, folds, settings.folds, "probability")
    assert rb is not None
    choice = select_method_binned(rb, settings, range(settings.folds), "test")
    assert choice["selected"] in TRUE_CHOICES[family], choice["reason"]
    assert choice["inner_folds"] == settings.folds and choice["rows"] == s.shape[0]
    candidates = choice["candidates"]
    assert isinstance(candidates, dict) and list(candidates) == list(BINARY_METHODS)
    # one fold's selection uses only the other folds' rows
    inner = select_method_binned(rb, settings, [1, 2, 3, 4], "fold 0")
    assert inner["inner_folds"] == 4 and inner["rows"] == int((folds != 0).sum())


def test_auto_in_main_on_bins_records_the_selection(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    s, y = family_scenario("beta", 6000, seed=3)
    inp = _write(os.path.join(tmp_path, "in"), s, y)
    env = {"CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["platt", "beta"]',
           "CALIBRATION_FOLDS": "3"}
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1)
    metrics = read_json(os.path.join(
        run_main(inp, os.path.join(tmp_path, "out"), env)[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    assert metrics["selected_method"] == "beta"
    selection = metrics["selection"]
    assert isinstance(selection, dict) and selection["inner_folds"] == 3
    assert selection["inner_split"] == "the cross-fitting folds, on row bins"
    assert isinstance(_block(metrics, "calibrated")["row_bins"], dict)
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 3
    for fold in folds:
        assert fold["selected_method"] in ("platt", "beta")
        assert sorted(fold["candidate_log_loss"]) == ["beta", "platt"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pooled_isotonic_equals_scikit_learn_with_ties_and_weights(seed: int) -> None:
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(seed)
    x = np.round(rng.beta(2.0, 2.0, 3000), 2 if seed == 0 else 6)  # many ties, or none
    y = (rng.uniform(size=len(x)) < x).astype(np.float64)
    w = rng.uniform(0.1, 2.0, size=len(x)) if seed == 2 else None
    agg = aggregate(x, y, w)
    xs, ys = isotonic_knots(agg.values, agg.n, agg.k)
    grid = np.linspace(-0.1, 1.1, 2001)
    ours = interpolate_knots(grid, xs, ys)
    ref = IsotonicRegression(out_of_bounds="clip").fit(x, y, sample_weight=w).predict(grid)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    step = np.diff(ys)  # a block's two ends are equal; no block keeps an interior point
    assert np.all(step >= 0) and not np.any((step[1:] == 0) & (step[:-1] == 0))


def test_isotonic_rows_equals_the_aggregate_fit_and_declines_ties() -> None:
    s, y, _ = scenario("nonlinear", 20_000, seed=8)
    positive = y == 1.0
    knots = isotonic_rows(s, positive)
    assert knots is not None
    agg = aggregate(s, positive)
    xs, ys = isotonic_knots(agg.values, agg.n, agg.k, at_scale=True)
    assert knots[0].tolist() == xs.tolist() and knots[1].tolist() == ys.tolist()
    # scikit-learn's pooling (the exact path below BINNED_MIN_ROWS): the same knots, the same
    # values up to rounding
    sk_xs, sk_ys = isotonic_knots(agg.values, agg.n, agg.k)
    assert sk_xs.tolist() == xs.tolist()
    np.testing.assert_allclose(ys, sk_ys, rtol=1e-14, atol=0)
    tied = np.round(s, 3)
    assert isotonic_rows(tied, positive) is None


def test_binned_isotonic_with_tied_scores_equals_the_exact_path(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    s, y, _ = scenario("nonlinear", 40_000, seed=9)
    inp = _write(os.path.join(tmp_path, "in"), np.round(s, 4), y)
    env = {"CALIBRATION_METHOD": "isotonic"}
    _, exact_cal, _ = _run(tmp_path, "exact", inp, env, False, monkeypatch)
    binned, binned_cal, _ = _run(tmp_path, "binned", inp, env, True, monkeypatch)
    assert isinstance(_block(binned, "calibrated")["row_bins"], dict)
    assert exact_cal["params"] == binned_cal["params"]
    exact_fit, binned_fit = exact_cal["fit"], binned_cal["fit"]
    assert isinstance(exact_fit, dict) and isinstance(binned_fit, dict)
    assert exact_fit["unique_scores"] == binned_fit["unique_scores"] < 40_000


def _edge_frame(rows: int, seed: int) -> pd.DataFrame:
    s, y, _ = scenario("nonlinear", rows, seed=seed)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"prob_class_1": s, "label": y, "w": rng.uniform(0.0, 2.0, size=rows),
                          "margin": np.log(s) - np.log1p(-s)})
    frame.loc[rng.choice(rows, 300, replace=False), "label"] = np.nan
    frame.loc[rng.choice(rows, 200, replace=False), "prob_class_1"] = np.nan
    frame.loc[rng.choice(rows, 500, replace=False), "w"] = 0.0
    return frame


@pytest.mark.parametrize("env", [
    {"CALIBRATION_METHOD": "gam", "NEGATIVE_SAMPLING_RATE": "0.25"},
    {"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w"},
    {"CALIBRATION_METHOD": "isotonic", "WEIGHT_FIELD": "w"},
    {"CALIBRATION_METHOD": "beta", "SCORE_FIELD": "margin", "SCORE_SPACE": "logit"},
    {"CALIBRATION_METHOD": "gam", "SCORE_FIELD": "margin", "SCORE_SPACE": "logit"},
], ids=["negative-sampling", "weighted-platt", "weighted-isotonic", "logit-beta", "logit-gam"])
def test_binned_path_with_dropped_rows_and_options_agrees_with_the_exact_path(
        tmp_path: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        no_plot: list[int]) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    _edge_frame(60_000, 12).to_parquet(os.path.join(folder, "d.parquet"), index=False)
    exact, exact_cal, _ = _run(tmp_path, "exact", folder, env, False, monkeypatch)
    binned, binned_cal, _ = _run(tmp_path, "binned", folder, env, True, monkeypatch)
    assert exact["rows"] == binned["rows"]  # the same rows dropped and kept
    # an isotonic step inside a coarse bin is smoothed over that bin's rows (as in the
    # validation test above): its folds' figures move more than the smooth methods'
    loose = 5.0 if env["CALIBRATION_METHOD"] == "isotonic" else 1.0
    for name in ("uncalibrated", "calibrated"):
        e, b = _block(exact, name), _block(binned, name)
        assert isinstance(b["row_bins"], dict)
        assert b["weight_sum"] == pytest.approx(e["weight_sum"], rel=1e-12)
        for key, tol in (("ece_equal_width", 2e-3), ("brier", 2e-5), ("log_loss", 1e-4),
                         ("auc", 5e-4)):
            _close(e, b, key, tol * loose)
    if env["CALIBRATION_METHOD"] != "gam":  # the shipped fit is the exact one
        e_params, b_params = exact_cal["params"], binned_cal["params"]
        assert isinstance(e_params, dict) and isinstance(b_params, dict)
        for key, value in e_params.items():
            if isinstance(value, float):
                assert b_params[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
            else:
                assert b_params[key] == value, key


def test_every_task_of_a_multitask_run_is_binned(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    s_a, y_a, _ = scenario("linear", 20_000, seed=31)
    s_b, y_b, _ = scenario("nonlinear", 20_000, seed=32)
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    frame = pd.DataFrame({"score_a": s_a, "label_a": y_a, "score_b": s_b, "label_b": y_b})
    frame.loc[:99, "label_a"] = np.nan
    frame.to_parquet(os.path.join(folder, "d.parquet"), index=False)
    env = {"SCORE_FIELDS": '["score_a", "score_b"]', "TASK_LABEL_NAMES": '["label_a", "label_b"]',
           "CALIBRATION_METHOD": "platt"}
    metrics, _, _ = _run(tmp_path, "out", folder, env, True, monkeypatch)
    tasks = _block(metrics, "calibrated")["tasks"]
    assert isinstance(tasks, dict) and sorted(tasks) == ["score_a", "score_b"]
    assert tasks["score_a"]["n"] == 19_900 and tasks["score_b"]["n"] == 20_000
    assert all(isinstance(block["row_bins"], dict) for block in tasks.values())


def test_multiclass_metrics_of_many_rows_on_bins_agree_with_the_exact_ones(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    """Multi-class fits stay exact; from BINNED_MIN_ROWS rows its per-class and top-label
    blocks aggregate the predictions on logit bins."""
    scores, labels, _ = multiclass_scenario(40_000, seed=13)
    write_multiclass(os.path.join(tmp_path, "in", "d.parquet"), scores, labels)
    env = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "temperature"}
    exact, exact_cal, _ = _run(tmp_path, "exact", os.path.join(tmp_path, "in"), env, False,
                               monkeypatch)
    binned, binned_cal, _ = _run(tmp_path, "binned", os.path.join(tmp_path, "in"), env, True,
                                 monkeypatch)
    # temperature from two passes on many rows: the exact fit's scale to about 1e-12
    e_params, b_params = _block(exact_cal, "params"), _block(binned_cal, "params")
    assert e_params["bias"] == b_params["bias"]
    assert b_params["scale"] == pytest.approx(e_params["scale"], rel=1e-10)
    for name in ("uncalibrated", "calibrated"):
        e, b = _block(exact, name), _block(binned, name)
        for key in ("log_loss", "brier"):  # row by row still
            assert b[key] == pytest.approx(e[key], rel=1e-10)
        blocks = [("top_label", _block(e, "top_label"), _block(b, "top_label"))] + [
            (c, _block(e, "per_class")[c], _block(b, "per_class")[c]) for c in ("0", "1", "2")]
        for label, e_block, b_block in blocks:
            assert isinstance(e_block, dict) and isinstance(b_block, dict)
            assert e_block["row_bins"] is None and isinstance(b_block["row_bins"], dict), label
            for key, tol in (("ece_equal_width", 2e-3), ("brier", 2e-5), ("auc", 5e-4)):
                _close(e_block, b_block, key, tol)


def test_row_bins_from_a_kept_index_array_are_the_same_sums() -> None:
    rng = np.random.default_rng(3)
    grid = rowbins.BinGrid(64, -3.0, 3.0, "logit")
    fresh = rowbins.RowBinner(grid, 1, weighted=True)
    kept = rowbins.RowBinner(grid, 1, weighted=True)
    indices = np.full(1000, -1, dtype=np.intp)
    for m in (1000, 400):  # a longer chunk's indices left in the array, then a shorter one
        z = rng.uniform(-3.5, 3.5, m)  # some beyond the grid: the clip of the indices
        positive = rng.uniform(size=m) < 0.3
        weights = rng.uniform(0.5, 2.0, m)
        fresh.add_logits(z, 0, positive, weights, None)
        kept.add_logits(z, 0, positive, weights, None, np.empty(m), indices[:m])
    a, b = fresh.result(), kept.result()
    for name in ("n", "k", "sum_z", "sum_w2"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert b.rows.tolist() == [1400]
