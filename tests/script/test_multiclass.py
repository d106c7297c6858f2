"""Multi-class calibration: one-vs-rest and temperature, categories, renormalisation, metrics."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
import sklearn

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.apply import class_logits, renormalise
from calibration_step.script.model_calibration.artifact import MULTICLASS_KIND, checksum
from calibration_step.script.model_calibration.columns import parse_class_labels
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.multiclassmetrics import multiclass_metrics
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, LOG_OFFSET
from calibration_step.script.model_calibration.temperature import (_temperature_lbfgs,
                                                                   fit_temperature)
from tests.script.synthetic import (
    multiclass_log_loss,
    multiclass_scenario,
    read_csv_exact,
    read_json,
    run_main,
    write_multiclass,
)

MULTICLASS = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_FOLDS": "3"}


def _fit(tmp_path: str, env: dict[str, str], n: int = 6000, seed: int = 1
         ) -> tuple[dict[str, str], dict[str, object]]:
    scores, labels, _ = multiclass_scenario(n, seed)
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {**MULTICLASS, **env})
    return out, read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))


@pytest.mark.parametrize("method,bias", [("platt", "false"), ("temperature", "false"),
                                         ("temperature", "true"), ("isotonic", "false"),
                                         ("vector", "false"), ("dirichlet", "false")])
def test_held_out_log_loss_improves_and_rows_sum_to_one(tmp_path: str, no_plot: list[int],
                                                        method: str, bias: str) -> None:
    out, metrics = _fit(tmp_path, {"CALIBRATION_METHOD": method, "TEMPERATURE_BIAS": bias})
    cal = mc.load_calibration_model(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    assert isinstance(cal, mc.MultiCalibrator) and cal.method == method
    test_scores, test_labels, truth = multiclass_scenario(20000, seed=99)
    calibrated = mc.apply_multiclass(cal, test_scores)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    before = multiclass_log_loss(test_scores, test_labels)
    after = multiclass_log_loss(calibrated, test_labels)
    best = multiclass_log_loss(truth, test_labels)
    assert after < before - 0.1  # 1.04 -> about 0.80 on this scenario
    assert after < best + 0.03
    # the written rows sum to 1 too, and equal apply on the calibrator JSON
    written = read_csv_exact(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.csv"))
    columns = [f"calibrated_prob_class_{c}" for c in range(3)]
    np.testing.assert_allclose(written[columns].to_numpy().sum(axis=1), 1.0, atol=1e-12)
    raw = written[[f"prob_class_{c}" for c in range(3)]].to_numpy()
    np.testing.assert_allclose(written[columns].to_numpy(), mc.apply_multiclass(cal, raw),
                               atol=1e-15, rtol=0)
    uncal, calm = metrics["uncalibrated"], metrics["calibrated"]
    assert isinstance(uncal, dict) and isinstance(calm, dict)
    assert calm["log_loss"] < uncal["log_loss"]  # cross-fitted figures agree
    assert no_plot == [4]  # top label + one panel per class


def test_temperature_recovers_the_known_scale_and_bias() -> None:
    scores, labels, _ = multiclass_scenario(30000, seed=3, sharpen=2.5, shift=0.5)
    logits = class_logits(scores, "probability", CLIP_EPSILON)
    scale, bias, info = fit_temperature(logits, labels, np.ones(labels.shape[0]), bias=True)
    assert info["converged"] is True
    assert scale == pytest.approx(0.4, abs=0.02)
    # scores' logits are 2.5 z + (0.5, 0, -0.5): the exact inverse bias is 0.4 * (0.5, 0, -0.5)
    # relative to class 0, i.e. (0, 0.2, 0.4)
    np.testing.assert_allclose(bias, [0.0, 0.2, 0.4], atol=0.06)
    scale_only, no_bias, _ = fit_temperature(logits, labels, np.ones(labels.shape[0]), False)
    assert no_bias == (0.0, 0.0, 0.0) and scale_only == pytest.approx(0.4, abs=0.03)


def test_renormalisation_never_divides_by_zero() -> None:
    out, zero = renormalise(np.array([[0.0, 0.0, 0.0], [0.2, 0.2, 0.0], [1.0, 1.0, 2.0]]))
    assert zero == 1
    np.testing.assert_allclose(out, [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]])
    assert not np.isnan(out).any()


def test_isotonic_one_vs_rest_rows_of_zeros_become_uniform() -> None:
    members = tuple(mc.Calibrator("isotonic", "probability", CLIP_EPSILON,
                                  knots_x=np.array([0.0, 0.5, 1.0]),
                                  knots_y=np.array([0.0, 0.0, 1.0])) for _ in range(2))
    cal = mc.MultiCalibrator(mode="multiclass", method="isotonic", score_space="probability",
                             clip_epsilon=CLIP_EPSILON, names=("a", "b"),
                             score_fields=("p_a", "p_b"), label_fields=("y",), members=members)
    loaded = mc.load_calibration_model(cal.to_json_dict())
    assert isinstance(loaded, mc.MultiCalibrator)
    out = mc.apply_multiclass(loaded, np.array([[0.3, 0.4], [1.0, 0.5]]))
    np.testing.assert_allclose(out, [[0.5, 0.5], [1.0, 0.0]])


def test_categories_compare_as_strings_and_integral_floats_read_as_integers(
        tmp_path: str, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(3000, seed=5)
    names = ["cat", "dog", "7"]
    as_text: list[object] = [names[c] if names[c] != "7" else 7.0 for c in labels]
    as_text[0] = None  # a missing label is dropped and counted
    write_multiclass(os.path.join(tmp_path, "in", "d.parquet"), scores,
                     pd.Series(as_text, dtype=object).astype(str).where(
                         pd.Series(as_text).notna(), None), prefix="p_", names=names)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["cat", "dog", 7]',
                    "SCORE_FIELD_PREFIX": "p_", "CALIBRATION_METHOD": "temperature",
                    "CALIBRATION_FOLDS": "2"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    rows = metrics["rows"]
    assert isinstance(rows, dict) and rows["used"] == 2999
    assert rows["dropped"] == {"missing_score": 0, "missing_label": 1}
    calibrated = metrics["calibrated"]
    assert isinstance(calibrated, dict) and calibrated["classes"] == names
    parsed = parse_class_labels(pd.Series([7.0, "7", 7, "dog", " cat "]), "label", names)
    assert parsed.tolist() == [2, 2, 2, 1, 0]


@pytest.mark.parametrize("values", [[2, 0, 1, 0], ["2", None, "0", "1"]])
def test_class_indices_are_one_byte_with_missing_labels_minus_one(values: list[object]) -> None:
    parsed = parse_class_labels(pd.Series(values), "y", ["0", "1", "2"])
    assert parsed.dtype == np.int8
    assert parsed.tolist() == ([2, 0, 1, 0] if None not in values else [2, -1, 0, 1])
    many = [str(c) for c in range(200)]
    wide = parse_class_labels(pd.Series([199, 3]), "y", many)
    assert wide.dtype == np.int64 and wide.tolist() == [199, 3]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "uint64"])
def test_integer_labels_by_table_equal_the_hashed_labels(
        dtype: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from calibration_step.script.model_calibration import columns

    values = np.random.default_rng(4).integers(0, 3, 5000).astype(dtype)
    values[7] = 100  # a value far from the others: the table spans it, absent values between
    names = ["0", "1", "2", "100"]
    by_table = parse_class_labels(pd.Series(values), "y", names)
    monkeypatch.setattr(columns, "INTEGER_LABEL_SPAN", 0)  # every column hashed
    assert np.array_equal(by_table, parse_class_labels(pd.Series(values), "y", names))
    assert by_table[7] == 3


def test_integer_labels_out_of_the_categories_are_an_error_by_table_too(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from calibration_step.script.model_calibration import columns

    series = pd.Series(np.array([-3, 5, 9, 5], dtype=np.int64))
    messages = []
    for span in (columns.INTEGER_LABEL_SPAN, 0):
        monkeypatch.setattr(columns, "INTEGER_LABEL_SPAN", span)
        with pytest.raises(mc.CalibrationScriptError,
                           match=r"MC-E208-INVALID-LABEL.*not categories: 9;") as raised:
            parse_class_labels(series, "y", ["-3", "5"])
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert parse_class_labels(series[series != 9], "y", ["5", "-3"]).tolist() == [1, 0, 0]


def test_labels_beyond_num_classes_get_the_num_classes_they_need() -> None:
    def hint(labels: Sequence[object], categories: list[str]) -> str:
        with pytest.raises(mc.CalibrationScriptError, match="MC-E208-INVALID-LABEL") as raised:
            parse_class_labels(pd.Series(labels), "label", categories)
        return raised.value.hint

    assert hint([0, 1, 2, 3, 4, 5, 6, 6], ["0", "1"]).startswith("set NUM_CLASSES=7 ")
    assert hint([0.0, 1.0, 2.0], ["0", "1"]).startswith("set NUM_CLASSES=3 ")  # as a csv reads them
    for labels, categories in (([0, 1, 9], ["0", "1"]), ([0, 1, 2], ["1", "0"]),
                               ([-1, 0, 1], ["0", "1"]), ([0, 1, "²"], ["0", "1"])):
        assert hint(labels, categories).startswith("set MULTICLASS_CATEGORIES"), labels


def test_unknown_label_is_an_error_that_names_it(tmp_path: str) -> None:
    scores, labels, _ = multiclass_scenario(300, seed=6)
    values: list[object] = [int(c) for c in labels]
    values[10] = "horse"
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, values)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E208-INVALID-LABEL.*'horse'"):
        run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                 {**MULTICLASS, "CALIBRATION_METHOD": "temperature"})
    for name in [o.value for o in ModelCalibrationOutput]:
        assert os.listdir(os.path.join(tmp_path, "out", name)) == []


def test_metrics_top_label_gate_per_class_macro_and_null_auc_with_reason(
        tmp_path: str, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(4000, seed=7, classes=4)
    labels[labels == 3] = 0  # class 3 never occurs: its one-vs-rest AUC is undefined
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "4", "CALIBRATION_METHOD": "temperature",
                    "CALIBRATION_FOLDS": "3", "ERROR_THRESHOLD": "0.5"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    cal = metrics["calibrated"]
    threshold = metrics["threshold"]
    assert isinstance(cal, dict) and isinstance(threshold, dict)
    top = cal["top_label"]
    assert isinstance(top, dict)
    assert cal["ece_equal_width"] == top["ece_equal_width"] == threshold["value"]
    assert threshold["passed"] is True and metrics["mode"] == "multiclass"
    per_class = cal["per_class"]
    assert isinstance(per_class, dict) and sorted(per_class) == ["0", "1", "2", "3"]
    macro = cal["macro"]
    assert isinstance(macro, dict)
    assert macro["ece_equal_width"] == pytest.approx(
        np.mean([block["ece_equal_width"] for block in per_class.values()]))
    auc = cal["auc_ovr"]
    assert isinstance(auc, dict)
    assert auc["per_class"]["3"] is None and "absent" in auc["null_reasons"]["3"]
    assert auc["macro_over_classes"] == 3 and 0.5 < auc["macro"] < 1.0
    # multi-class Brier and log loss from their definitions, on the written calibrated rows
    written = read_csv_exact(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.csv"))
    onehot = np.eye(4)[labels]
    brier_all = np.mean(np.sum((written.filter(like="calibrated_").to_numpy() - onehot) ** 2,
                               axis=1))
    uncal = metrics["uncalibrated"]
    assert isinstance(uncal, dict)
    assert uncal["brier"] == pytest.approx(np.mean(np.sum((scores - onehot) ** 2, axis=1)))
    assert uncal["log_loss"] == pytest.approx(multiclass_log_loss(scores, labels))
    assert cal["brier"] > brier_all - 0.01  # cross-fitted is not better than in-sample by much


def test_logit_space_margins_are_softmaxed(tmp_path: str, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(3000, seed=8)
    margins = np.log(scores)
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), margins, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {**MULTICLASS, "CALIBRATION_METHOD": "temperature", "SCORE_SPACE": "logit"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    uncal = metrics["uncalibrated"]
    assert isinstance(uncal, dict)
    assert uncal["log_loss"] == pytest.approx(multiclass_log_loss(scores, labels), rel=1e-9)
    cal = mc.load_calibration_model(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    assert isinstance(cal, mc.MultiCalibrator) and cal.score_space == "logit"
    assert 1.0 / cal.scale == pytest.approx(2.5, rel=0.15)


def test_missing_class_score_leaves_the_row_uncalibrated(tmp_path: str,
                                                         no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(2000, seed=9)
    scores[5, 1] = np.nan
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {**MULTICLASS, "CALIBRATION_METHOD": "platt"})
    written = read_csv_exact(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.csv"))
    calibrated = written.filter(like="calibrated_")
    assert calibrated.iloc[5].isna().all() and calibrated.drop(index=5).notna().all().all()
    rows = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))["rows"]
    assert isinstance(rows, dict) and rows["dropped"]["missing_score"] == 1


def test_multiclass_calibrator_json_is_checksummed_and_validated() -> None:
    cal = mc.MultiCalibrator(mode="multiclass", method="temperature", score_space="probability",
                             clip_epsilon=CLIP_EPSILON, names=("a", "b", "c"),
                             score_fields=("p_a", "p_b", "p_c"), label_fields=("y",), scale=0.5,
                             bias=(0.0, 0.1, 0.2))
    content = cal.to_json_dict()
    assert content["kind"] == MULTICLASS_KIND and content["params"] == {
        "scale": 0.5, "temperature": 2.0, "bias": [0.0, 0.1, 0.2]}
    with pytest.raises(mc.CalibrationScriptError, match="MC-E402-CHECKSUM-MISMATCH"):
        mc.load_calibration_model({**content, "params": {"scale": 1.0, "temperature": 1.0,
                                                         "bias": [0.0, 0.1, 0.2]}})
    broken = {**content, "names": ["a", "b"]}
    broken["checksum"] = checksum(broken)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E401-CALIBRATOR-INVALID"):
        mc.load_calibration_model(broken)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E401.*load_calibration_model"):
        mc.load_calibrator(content)
    loaded = mc.load_calibration_model(content)
    assert isinstance(loaded, mc.MultiCalibrator) and loaded.bias == (0.0, 0.1, 0.2)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E404-INVALID-SCORES"):
        mc.apply_multiclass(loaded, np.array([[0.5, 0.5]]))


@pytest.mark.parametrize("bias", [True, False])
def test_temperature_newton_reaches_the_bounded_quasi_newton_optimum(bias: bool) -> None:
    """The Newton fit (warm-started from every 64th row above 200,000 rows) and scipy's
    L-BFGS-B with the scale bound agree on the optimum."""
    scores, labels, _ = multiclass_scenario(210_000, seed=5, sharpen=2.0, shift=0.3)
    logits = class_logits(scores, "probability", CLIP_EPSILON)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(labels))
    scale, offsets, info = fit_temperature(logits, labels, w, bias)
    assert info["solver"] == "newton" and info["converged"] is True
    assert isinstance(info["iterations"], int) and info["iterations"] <= 6
    start = np.zeros(3 if bias else 1)
    start[0] = 1.0
    theta, _ = _temperature_lbfgs(logits, labels, w / w.sum(), bias, start)
    assert scale == pytest.approx(float(theta[0]), rel=1e-6)
    if bias:
        np.testing.assert_allclose(offsets[1:], theta[1:], atol=1e-6)


def test_temperature_at_the_scale_bound_hands_over_to_the_bounded_fit() -> None:
    """Scores ranked against the labels: the likelihood wants a negative scale, so with biases
    the scale sits at its bound and the biases are fitted given it (their gradient vanishes);
    without them the scale is scikit-learn's lower bound ``exp(-10)``, where its bounded
    search ends."""
    scores, labels, _ = multiclass_scenario(3000, seed=6)
    logits = -class_logits(scores, "probability", CLIP_EPSILON)
    scale, _, info = fit_temperature(logits, labels, np.ones(len(labels)), True)
    assert scale == 1e-6
    assert info["solver"] == "L-BFGS-B" and info["converged"] is True
    assert isinstance(info["max_abs_gradient"], float) and info["max_abs_gradient"] <= 1e-6
    scale, bias, info = fit_temperature(logits, labels, np.ones(len(labels)), False)
    assert info["solver"] == "bounded search" and info["converged"] is True
    assert scale == pytest.approx(np.exp(-10.0), rel=1e-6) and bias == (0.0, 0.0, 0.0)


@pytest.mark.skipif(tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 8),
                    reason="scikit-learn has temperature scaling from 1.8")
@pytest.mark.parametrize("seed", range(4))
def test_named_temperature_on_separable_rows_is_scikit_learns(seed: int) -> None:
    """Every row's own class ranked first (all but one of these sets): the likelihood has no
    maximum, and the fit is where scikit-learn's bounded search stops, on the same mean loss
    to the last digit."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 300))
    labels = rng.integers(0, 3, n)
    margins = rng.normal(0.0, 1.0, (n, 3))
    margins[np.arange(n), labels] += rng.uniform(3.0, 10.0)
    scores = np.exp(margins * rng.uniform(0.01, 2.0))
    scores /= scores.sum(axis=1, keepdims=True)
    from bench.quality.peers import GivenProbabilities

    theirs = CalibratedClassifierCV(FrozenEstimator(GivenProbabilities(3)),
                                    method="temperature").fit(scores, labels)
    logits = np.log(scores + LOG_OFFSET)
    scale, _, info = fit_temperature(logits, labels, np.ones(n), False)
    separable = bool(np.all(np.argmax(scores, axis=1) == labels))
    assert (info["solver"] == "bounded search") == separable
    probe = rng.dirichlet([1.0, 1.0, 1.0], 500)
    cal = mc.MultiCalibrator(mode="multiclass", method="temperature", score_space="probability",
                             clip_epsilon=CLIP_EPSILON, names=("a", "b", "c"),
                             score_fields=("p_a", "p_b", "p_c"), label_fields=("y",),
                             scale=scale, bias=(0.0, 0.0, 0.0))
    ours = mc.apply_multiclass(cal, probe)
    np.testing.assert_allclose(ours, theirs.predict_proba(probe), rtol=0, atol=1e-6)


@pytest.mark.parametrize("bias", [True, False])
def test_temperature_on_a_row_mask_equals_the_fit_on_those_rows(
        bias: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 3000)  # several chunks, each masked
    scores, labels, _ = multiclass_scenario(20_000, seed=7, sharpen=2.0, shift=0.3)
    logits = class_logits(scores, "probability", CLIP_EPSILON)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=len(labels))
    mask = np.random.default_rng(5).uniform(size=len(labels)) < 0.7
    masked = fit_temperature(logits, labels, w, bias, mask)
    copied = fit_temperature(logits[mask], labels[mask], w[mask], bias)
    assert masked[0] == pytest.approx(copied[0], rel=1e-8)  # Newton stops at a 1e-10 step
    np.testing.assert_allclose(masked[1], copied[1], atol=1e-8)
    assert masked[2]["neg_log_likelihood"] == pytest.approx(copied[2]["neg_log_likelihood"],
                                                            rel=1e-12)


def test_scores_off_one_are_counted_and_renormalised_over_several_shards(
        tmp_path: str, no_plot: list[int], caplog: pytest.LogCaptureFixture) -> None:
    scores, labels, _ = multiclass_scenario(3000, seed=4)
    scores[:700] *= 0.5  # 700 rows sum to 0.5
    for i, part in enumerate(np.array_split(np.arange(3000), 3)):  # three shards
        write_multiclass(os.path.join(tmp_path, "in", f"d{i}.parquet"), scores[part],
                         labels[part])
    with caplog.at_level("WARNING", logger="model_calibration"):
        out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                       {**MULTICLASS, "CALIBRATION_METHOD": "temperature"})
    assert "700 rows' class probabilities do not sum to 1" in caplog.text
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    uncal = metrics["uncalibrated"]
    assert isinstance(uncal, dict) and uncal["n"] == 3000
    # the figures are those of the renormalised scores, read across the shards in order
    expected = multiclass_metrics(renormalise(scores)[0], labels, np.ones(3000), ["0", "1", "2"],
                                     15)
    assert uncal["log_loss"] == pytest.approx(expected["log_loss"], rel=1e-12)
    assert uncal["ece_equal_width"] == pytest.approx(expected["ece_equal_width"], rel=1e-12)
