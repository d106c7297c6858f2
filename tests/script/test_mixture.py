"""auto's stacked mixture: the EM weights, the mixture calibrator's JSON (schema version 3) and
apply, and the mixture shipped by a binary auto on a small real calibration set."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy.optimize import minimize_scalar

from calibration_step.cli import main
from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.artifact import (CALIBRATOR_KIND, MULTITASK_KIND,
                                                                Calibrator, MultiCalibrator,
                                                                checksum)
from calibration_step.script.model_calibration.artifactreader import load_calibration_model
from calibration_step.script.model_calibration.crossfit import select_method
from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
from calibration_step.script.model_calibration.mixture import (HONEST_MAX_ITERATIONS,
                                                               MIXTURE_MAX_ROWS, fit_selection,
                                                               honest_log_loss,
                                                               mixture_calibrator,
                                                               mixture_log_loss, stack,
                                                               stacking_weights)
from calibration_step.script.model_calibration.problems import BinaryProblem
from tests.script.real_data import real_split
from tests.script.synthetic import family_scenario, read_csv_exact, read_json, run_main, write_csv

AUTO = mc.read_settings({"CALIBRATION_METHOD": "auto"})
PLATT = Calibrator("platt", "probability", 1e-15, coef=(1.5, -0.2))
BETA = Calibrator("beta", "probability", 1e-15, coef=(0.8, 1.2, 0.1))
IDENTITY = Calibrator("identity", "probability", 1e-15)


def _resigned(content: dict[str, object]) -> dict[str, object]:
    return {**content, "checksum": checksum(content)}


def test_em_weights_maximise_the_held_out_likelihood() -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.05, 0.95, 400)
    labels = rng.uniform(size=400) < truth
    held = np.vstack([np.clip(truth + rng.normal(0, 0.1, 400), 0.01, 0.99),
                      np.full(400, labels.mean())])
    weights, loss = stacking_weights(held, labels, np.ones(400), 0.0, prior_rows=0.0)

    def mixed(w0: float) -> float:
        return mixture_log_loss(held, labels, np.ones(400), 0.0, np.array([w0, 1.0 - w0]))
    best = minimize_scalar(mixed, bounds=(0.0, 1.0), method="bounded",
                           options={"xatol": 1e-10})
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] == pytest.approx(best.x, abs=1e-4)
    assert loss == pytest.approx(best.fun, abs=1e-9)


def test_the_prior_keeps_a_few_rows_from_putting_every_weight_on_one_candidate() -> None:
    labels = np.array([True, False, True, False, True])
    lucky = np.where(labels, 0.99, 0.01)  # perfect on these rows by chance
    held = np.vstack([lucky, np.full(5, 0.6)])
    few, _ = stacking_weights(held, labels, np.ones(5), 0.0, prior_rows=1.0)
    free, _ = stacking_weights(held, labels, np.ones(5), 0.0, prior_rows=0.0)
    assert free[0] > 0.99 and 0.1 < few[1] < 0.5
    many, _ = stacking_weights(np.tile(held, 200), np.tile(labels, 200), np.ones(1000), 0.0,
                               prior_rows=1.0)
    assert many[0] > 0.99  # the prior's share vanishes as rows grow


def test_repeats_of_the_inner_split_weigh_as_the_rows_they_repeat() -> None:
    rng = np.random.default_rng(2)
    labels = rng.uniform(size=40) < 0.5
    held = rng.uniform(0.05, 0.95, (2, 40))
    once, loss_once = stacking_weights(held, labels, np.ones(40), 0.02, prior_rows=1.0)
    tiled, loss_tiled = stacking_weights(np.tile(held, 5), np.tile(labels, 5), np.ones(200),
                                         0.02, prior_rows=1.0, repeats=5)
    np.testing.assert_allclose(once, tiled, rtol=1e-9)
    assert loss_once == pytest.approx(loss_tiled)


def _choice(selected: str, held: dict[str, npt.NDArray[np.float64]],
            labels: npt.NDArray[np.bool_]) -> dict[str, object]:
    """A selection record of ``held``'s candidates, their own held-out log losses in it."""
    return {"selected": selected, "reason": "the rule", "candidates": {
        m: {"log_loss": mixture_log_loss(p, labels, np.ones(labels.shape[0]), 0.01,
                                         np.ones(1))} for m, p in held.items()}}


def test_the_mixture_ships_when_its_honest_loss_is_at_most_identitys() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.1, 0.9, 80)
    labels = rng.uniform(size=80) < truth
    folds = (np.arange(80) % 5)[None, :].astype(np.int8)
    held = {"identity": np.full((1, 80), 0.5),
            "platt": np.clip(truth + rng.normal(0, 0.15, 80), 0.02, 0.98)[None, :],
            "beta": np.clip(truth + rng.normal(0, 0.15, 80), 0.02, 0.98)[None, :]}
    for rule in ("platt", "identity"):  # the rule's pick, identity included, gives way
        shipped = stack(_choice(rule, held, labels), held, labels, np.ones(80), 0.01, folds)
        record = json_get(shipped, "mixture")
        assert shipped["selected"] == "mixture" and shipped["rule_selected"] == rule
        assert len(json_get(record, "weights")) >= 2
        assert json_number(record["honest_log_loss"]) <= json_number(
            json_get(shipped, "candidates", "identity")["log_loss"])
        assert f"in place of the rule's pick {rule}" in str(shipped["reason"])


def test_the_honest_loss_keeps_out_a_mixture_that_only_fits_its_own_weights() -> None:
    rng = np.random.default_rng(4)
    labels = rng.uniform(size=60) < 0.5
    folds = (np.arange(60) % 5)[None, :].astype(np.int8)
    # identity is right (0.5); two candidates are noise that their weights fit by luck
    held = {"identity": np.full((1, 60), 0.5),
            "platt": rng.uniform(0.05, 0.95, (1, 60)),
            "isotonic": rng.uniform(0.05, 0.95, (1, 60))}
    kept = stack(_choice("identity", held, labels), held, labels, np.ones(60), 0.01, folds)
    record = json_get(kept, "mixture")
    assert kept["selected"] == "identity" and record["shipped"] is False
    assert "rule_selected" not in kept
    assert json_number(record["log_loss"]) <= json_number(record["honest_log_loss"])
    assert json_number(record["honest_log_loss"]) > json_number(
        json_get(kept, "candidates", "identity")["log_loss"])


def test_the_honest_loss_fits_each_folds_weights_without_it() -> None:
    rng = np.random.default_rng(5)
    labels = rng.uniform(size=40) < 0.5
    held = rng.uniform(0.05, 0.95, (2, 1, 40))
    folds = (np.arange(40) % 4)[None, :].astype(np.int8)
    mixed = np.empty(40)
    for g in range(4):
        test = folds[0] == g
        weights, _ = stacking_weights(held[:, 0, ~test], labels[~test], np.ones(30), 0.02,
                                      max_iterations=HONEST_MAX_ITERATIONS)
        mixed[test] = weights @ held[:, 0, test]
    expected = mixture_log_loss(mixed[None, :], labels, np.ones(40), 0.02, np.ones(1))
    assert honest_log_loss(held, labels, np.ones(40), 0.02, folds,
                           ["a", "b"]) == pytest.approx(expected, rel=1e-12)


def test_the_weights_do_not_depend_on_the_unit_of_the_row_weights() -> None:
    rng = np.random.default_rng(1)
    labels = rng.uniform(size=60) < 0.4
    held = rng.uniform(0.05, 0.95, (3, 60))
    w = rng.uniform(0.5, 2.0, 60)
    small, _ = stacking_weights(held, labels, w, 0.02)
    large, _ = stacking_weights(held, labels, 1e6 * w, 0.02)
    np.testing.assert_allclose(small, large, rtol=1e-9)


def test_a_mixture_applies_as_the_weighted_sum_of_its_members_and_round_trips() -> None:
    mix = mixture_calibrator([PLATT, BETA, IDENTITY], [0.5, 0.3, 0.2])
    s = np.linspace(0.0, 1.0, 101)
    expected = sum(w * mc.apply_calibrator(m, s) for m, w in
                   zip((PLATT, BETA, IDENTITY), (0.5, 0.3, 0.2)))
    np.testing.assert_allclose(mc.apply_calibrator(mix, s), expected, rtol=1e-15, atol=1e-16)
    content = mix.to_json_dict()
    assert content["schema_version"] == 3 and content["kind"] == CALIBRATOR_KIND
    loaded = load_calibration_model(json.loads(json.dumps(content)))
    assert isinstance(loaded, Calibrator) and loaded.to_json_dict() == content
    assert np.array_equal(mc.apply_calibrator(loaded, s), mc.apply_calibrator(mix, s))


def test_a_multitask_calibrator_with_a_mixture_member_is_version_3() -> None:
    mix = mixture_calibrator([PLATT, IDENTITY], [0.75, 0.25])
    multi = MultiCalibrator(mode="multitask", method="auto", score_space="probability",
                            clip_epsilon=1e-15, names=("a", "b"), score_fields=("a", "b"),
                            label_fields=("ya", "yb"), members=(mix, PLATT))
    content = multi.to_json_dict()
    assert content["kind"] == MULTITASK_KIND and content["schema_version"] == 3
    loaded = load_calibration_model(content)
    assert isinstance(loaded, MultiCalibrator) and loaded.members[0].weights == (0.75, 0.25)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E403.*schema_version 2"):
        load_calibration_model(_resigned({**content, "schema_version": 2}))


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: {**p, "weights": [0.5, 0.6]}, "must each lie in \\(0, 1\\] and sum to 1"),
    (lambda p: {**p, "weights": [1.0, 0.0]}, "must each lie in \\(0, 1\\] and sum to 1"),
    (lambda p: {**p, "weights": [1.0]}, "one weight per member"),
    (lambda p: {**p, "members": p["members"][:1], "weights": [1.0]}, "two or more"),
    (lambda p: {**p, "members": [p["members"][0], {**p["members"][1],
                                                    "score_space": "logit"}]},
     "every member in its score_space"),
    (lambda p: {**p, "members": [p["members"][0], {**p["members"][1], "method": "mixture"}]},
     "unknown method 'mixture'"),
])
def test_a_malformed_mixture_is_refused(change: object, message: str) -> None:
    content = mixture_calibrator([PLATT, IDENTITY], [0.5, 0.5]).to_json_dict()
    params = content["params"]
    assert callable(change) and isinstance(params, dict)
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E401.*{message}"):
        load_calibration_model(_resigned({**content, "params": change(params)}))


def test_a_selection_that_ships_one_method_fits_it_alone() -> None:
    fitted: list[str] = []

    def fit_one(method: str) -> str:
        fitted.append(method)
        return method
    assert fit_selection({"selected": "beta"}, fit_one, lambda ms, ws: "mixed") == "beta"
    assert fitted == ["beta"]


def test_above_the_row_bound_auto_ships_its_single_selection() -> None:
    s, y = family_scenario("platt", MIXTURE_MAX_ROWS + 1, seed=2)
    settings = dataclasses.replace(AUTO, auto_candidates=("identity", "platt", "beta"))
    choice = select_method(BinaryProblem(s, y, None, settings), settings, None, 0, "test")
    assert "mixture" not in choice and choice["selected"] in ("platt", "beta")


@pytest.fixture(scope="module")
def small_real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """150 calibration rows of naive Bayes scores on breast_cancer (a 45-600-row set)."""
    split = real_split("breast_cancer", "naive_bayes", 150, seed=0)
    root = tmp_path_factory.mktemp("mixture")
    write_csv(os.path.join(root, "in", "d.csv"), split.cal_scores, split.y_cal)
    return root, run_main(os.path.join(root, "in"), os.path.join(root, "out"),
                          {"CALIBRATION_METHOD": "auto"})


def test_auto_on_a_small_real_set_ships_a_mixture_it_records(
        small_real: tuple[Path, dict[str, str]]) -> None:
    _, out = small_real
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    selection = metrics["selection"]
    assert metrics["selected_method"] == "mixture" and isinstance(selection, dict)
    weights = selection["mixture"]["weights"]
    assert len(weights) >= 2 and sum(weights.values()) == pytest.approx(1.0)
    assert selection["rule_selected"] in selection["candidates"]
    assert "stacked mixture" in selection["reason"]
    folds = metrics["folds"]
    assert isinstance(folds, list)
    for fold in folds:  # every outer fold fitted its own weights on its training rows
        if fold["selected_method"] == "mixture":
            assert sum(fold["mixture_weights"].values()) == pytest.approx(1.0)


def test_the_written_mixture_reproduces_the_fit_and_the_apply_command(
        small_real: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, out = small_real
    path = os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)
    written = mc.load_calibrator(path)
    temperature = any(m.method == "temperature" for m in written.members)
    assert written.method == "mixture" and read_json(path)["schema_version"] == (
        4 if temperature else 3)
    data = read_csv_exact(os.path.join(root, "in", "d.csv"))
    scores = data["prob_class_1"].to_numpy()
    problem = BinaryProblem(scores, data["label"].to_numpy(), None, AUTO)
    choice = select_method(problem, AUTO, None, AUTO.seed, "test")
    in_memory = fit_selection(choice, lambda m: problem.fit(m, None, "test"), problem.mixed)
    assert in_memory.weights == written.weights
    np.testing.assert_allclose(mc.apply_calibrator(written, scores),
                               mc.apply_calibrator(in_memory, scores), rtol=1e-12, atol=1e-15)
    target = tmp_path / "applied.csv"
    assert main(["--quiet", "apply", path, os.path.join(root, "in", "d.csv"),
                 "--output", str(target)]) == 0
    applied = read_csv_exact(str(target))["calibrated_prob_class_1"].to_numpy()
    np.testing.assert_allclose(applied, mc.apply_calibrator(written, scores), rtol=1e-12)


@pytest.mark.parametrize("positive, separable", [(0, True), (1, False)])
def test_auto_fits_the_weights_on_the_labels_as_they_are_where_a_candidate_separates_them(
        positive: int, separable: bool) -> None:
    # iris setosa vs rest: the scores separate the calibration rows; versicolor: they do not
    split = real_split("iris", "logistic_c0.005", 45, 0, positive=positive)
    choice = select_method(BinaryProblem(split.cal_scores, split.y_cal == 1.0, None, AUTO),
                           AUTO, None, 0, "test")
    record = json_get(choice, "mixture")
    eps = json_number(choice["label_smoothing"])
    assert eps > 0.0
    assert json_number(record["weight_label_smoothing"]) == (0.0 if separable else eps)
    assert "as they are where a candidate's held-out predictions separate" in str(record["rule"])
