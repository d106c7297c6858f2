"""Multi-class auto's stacked mixture: the EM weights on class probabilities, the mixture's JSON
(schema version 3) and apply, the uniform share of vector and dirichlet, identity as the
uncalibrated scores, and the mixture a multi-class auto ships on a small real set."""

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
from calibration_step.script.model_calibration.artifact import (MULTICLASS_KIND, MultiCalibrator,
                                                                checksum)
from calibration_step.script.model_calibration.artifactreader import load_calibration_model
from calibration_step.script.model_calibration.crossfit import select_method
from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
from calibration_step.script.model_calibration.mixture import HONEST_MAX_ITERATIONS, fit_selection
from calibration_step.script.model_calibration.multiclassmixture import (
    class_honest_log_loss, class_mixture_calibrator, class_mixture_log_loss,
    class_stacking_weights, stack_classes)
from calibration_step.script.model_calibration.problems import MulticlassProblem
from tests.script.synthetic import multiclass_scenario, read_csv_exact, read_json, run_main, \
    write_multiclass

FloatArray = npt.NDArray[np.float64]
NAMES = ("0", "1", "2")
AUTO = mc.read_settings({"CALIBRATION_METHOD": "auto", "IS_BINARY": "false",
                         "NUM_CLASSES": "3"})


def _base(method: str) -> MultiCalibrator:
    return MultiCalibrator(mode="multiclass", method=method, score_space="probability",
                           clip_epsilon=1e-15, names=NAMES,
                           score_fields=tuple(f"prob_class_{n}" for n in NAMES),
                           label_fields=("label",), log_offset=1e-12)


TEMPERATURE = dataclasses.replace(_base("temperature"), scale=0.7, bias=(0.1, 0.0, -0.1))
VECTOR = dataclasses.replace(_base("vector"), class_scales=(0.9, 1.1, 0.8),
                             bias=(0.0, 0.2, -0.2), uniform_share=0.01)
DIRICHLET = dataclasses.replace(_base("dirichlet"), matrix=np.array(
    [[0.9, 0.1, 0.0], [0.0, 1.1, -0.1], [0.05, 0.0, 0.8]]), bias=(0.0, 0.1, 0.0))
IDENTITY = dataclasses.replace(_base("identity"), log_offset=None, members=tuple(
    mc.Calibrator("identity", "probability", 1e-15) for _ in NAMES))


def _resigned(content: dict[str, object]) -> dict[str, object]:
    return {**content, "checksum": checksum(content)}


def _scores(n: int, seed: int) -> FloatArray:
    return multiclass_scenario(n, seed)[0]


def test_em_weights_maximise_the_smoothed_held_out_likelihood() -> None:
    rng = np.random.default_rng(0)
    scores, labels, truth = multiclass_scenario(300, seed=1)
    noisy = truth * np.exp(rng.normal(0, 0.3, truth.shape))
    held = np.stack([noisy / noisy.sum(axis=1, keepdims=True), np.full_like(truth, 1 / 3)])
    weights, loss = class_stacking_weights(held, labels, np.ones(300), 0.02, prior_rows=0.0)

    def mixed(w0: float) -> float:
        return class_mixture_log_loss(held, labels, np.ones(300), 0.02,
                                      np.array([w0, 1.0 - w0]))
    best = minimize_scalar(mixed, bounds=(0.0, 1.0), method="bounded",
                           options={"xatol": 1e-10})
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] == pytest.approx(best.x, abs=1e-4)
    assert loss == pytest.approx(best.fun, abs=1e-9)


def test_smoothing_takes_weight_from_a_candidate_that_gives_other_classes_nothing() -> None:
    labels = np.array([0, 1, 2, 0, 1, 2])
    sure = np.eye(3)[labels]  # right on every row, with exact zeros elsewhere
    soft = 0.8 * sure + 0.2 / 3
    held = np.stack([sure, soft])
    plain, _ = class_stacking_weights(held, labels, np.ones(6), 0.0, prior_rows=0.0)
    smoothed, _ = class_stacking_weights(held, labels, np.ones(6), 0.05, prior_rows=0.0)
    assert plain[0] > 0.99 and smoothed[1] > 0.3


def _record(held: dict[str, FloatArray], labels: npt.NDArray[np.int64]) -> dict[str, object]:
    """A rule's record of ``held``'s candidates: each one's held-out log loss."""
    return {"reason": "the rule", "candidates": {
        m: {"log_loss": class_mixture_log_loss(p, labels, np.ones(labels.shape[0]), 0.0,
                                               np.ones(1))} for m, p in held.items()}}


def test_the_mixture_ships_on_its_honest_loss_in_place_of_any_pick() -> None:
    scores, labels, truth = multiclass_scenario(120, seed=2)
    folds = (np.arange(120) % 5)[None, :].astype(np.int8)
    held = {"identity": scores[None], "vector": truth[None],
            "dirichlet": (0.5 * truth + 0.5 * scores)[None]}
    for rule in ("dirichlet", "identity"):  # a pick the mixture beats, identity included
        shipped = stack_classes({**_record(held, labels), "selected": rule}, held, labels,
                                np.ones(120), folds)
        mixture = json_get(shipped, "mixture")
        assert shipped["selected"] == "mixture" and shipped["rule_selected"] == rule
        assert len(json_get(mixture, "weights")) >= 2 and mixture["shipped"] is True
        honest = json_number(mixture["honest_log_loss"])
        assert honest <= json_number(json_get(shipped, "candidates", "identity")["log_loss"])
        assert honest <= json_number(json_get(shipped, "candidates", rule)["log_loss"])
        assert mixture["label_smoothing"] == 0.0
        assert f"in place of the rule's pick {rule}" in str(shipped["reason"])


def test_the_mixture_is_not_held_to_the_picks_own_held_out_loss() -> None:
    # a pick's recorded loss is the lowest of several noisy estimates: only identity's bounds
    # the mixture's honest loss
    scores, labels, truth = multiclass_scenario(120, seed=2)
    folds = (np.arange(120) % 5)[None, :].astype(np.int8)
    held = {"identity": scores[None], "vector": truth[None],
            "dirichlet": (0.5 * truth + 0.5 * scores)[None]}
    record = _record(held, labels)
    candidates = {**json_get(record, "candidates"), "vector": {"log_loss": 0.01}}
    out = stack_classes({**record, "candidates": candidates, "selected": "vector"}, held, labels,
                        np.ones(120), folds)
    mixture = json_get(out, "mixture")
    assert json_number(mixture["honest_log_loss"]) > 0.01
    assert (out["selected"], out["rule_selected"], mixture["shipped"]) == ("mixture", "vector",
                                                                           True)


def test_the_honest_loss_keeps_out_a_mixture_that_only_fits_its_own_weights() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 45)
    folds = (np.arange(45) % 5)[None, :].astype(np.int8)
    # identity is right (uniform); two candidates are noise that their weights fit by luck
    held = {"identity": np.full((1, 45, 3), 1.0 / 3),
            "vector": rng.dirichlet(np.ones(3), (1, 45)),
            "dirichlet": rng.dirichlet(np.ones(3), (1, 45))}
    out = stack_classes({**_record(held, labels), "selected": "identity"}, held, labels,
                        np.ones(45), folds)
    flattered, honest, identity = (json_number(json_get(out, "mixture")["log_loss"]),
                                   json_number(json_get(out, "mixture")["honest_log_loss"]),
                                   json_number(json_get(out, "candidates", "identity")["log_loss"]))
    assert (out["selected"], json_get(out, "mixture")["shipped"]) == ("identity", False)
    assert "rule_selected" not in out and flattered <= honest and honest > identity


def test_the_honest_loss_fits_each_folds_weights_without_it() -> None:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, 40)
    held = rng.dirichlet(np.ones(3), (2, 2, 40))  # 2 candidates, 2 repeats
    folds = np.stack([np.arange(40) % 4, (np.arange(40) // 10) % 4]).astype(np.int8)
    mixed = np.empty((2, 40, 3))
    for r in range(2):
        for g in range(4):
            test = folds[r] == g
            weights, _ = class_stacking_weights(held[:, r, ~test], labels[~test], np.ones(30),
                                                0.0, max_iterations=HONEST_MAX_ITERATIONS)
            mixed[r, test] = np.einsum("k,kic->ic", weights, held[:, r, test])
    expected = class_mixture_log_loss(mixed.reshape(1, 80, 3), np.tile(labels, 2), np.ones(80),
                                      0.0, np.ones(1))
    assert class_honest_log_loss(held, labels, np.ones(40), folds, ["a", "b"]) == \
        pytest.approx(expected, rel=1e-12)


def test_a_mixture_applies_as_the_weighted_sum_of_its_components_and_round_trips() -> None:
    parts, weights = (TEMPERATURE, VECTOR, DIRICHLET, IDENTITY), (0.4, 0.3, 0.2, 0.1)
    mix = class_mixture_calibrator(parts, weights)
    s = _scores(200, 3)
    s[0] = (1.0, 0.0, 0.0)  # saturated scores too
    out = mc.apply_multiclass(mix, s)
    expected = sum(w * mc.apply_multiclass(p, s) for p, w in zip(parts, weights))
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    content = mix.to_json_dict()
    assert content["schema_version"] == 3 and content["kind"] == MULTICLASS_KIND
    assert content["members"] == []
    loaded = load_calibration_model(json.loads(json.dumps(content)))
    assert isinstance(loaded, MultiCalibrator) and loaded.to_json_dict() == content
    assert [c.method for c in loaded.components] == [p.method for p in parts]
    assert np.array_equal(mc.apply_multiclass(loaded, s), out)


def test_vector_with_a_uniform_share_is_version_3_and_bounded() -> None:
    content = VECTOR.to_json_dict()
    params = json_get(content, "params")
    assert content["schema_version"] == 3 and params["uniform_share"] == 0.01
    sharp = dataclasses.replace(VECTOR, class_scales=(50.0, 50.0, 50.0))
    out = mc.apply_multiclass(sharp, np.array([[1.0, 0.0, 0.0]]))
    assert out.min() == pytest.approx(0.01 / 3) and out.sum() == pytest.approx(1.0)
    older = dataclasses.replace(VECTOR, uniform_share=None).to_json_dict()
    assert older["schema_version"] == 2  # files written before it: as they were
    with pytest.raises(mc.CalibrationScriptError, match="MC-E403.*schema_version 2"):
        load_calibration_model(_resigned({**content, "schema_version": 2}))
    bad = {**content, "params": {**params, "uniform_share": 1.0}}
    with pytest.raises(mc.CalibrationScriptError, match="MC-E401.*uniform_share must lie"):
        load_calibration_model(_resigned(bad))


def _mixture_params(change: object) -> dict[str, object]:
    content = class_mixture_calibrator((TEMPERATURE, VECTOR), (0.5, 0.5)).to_json_dict()
    params = content["params"]
    assert callable(change) and isinstance(params, dict)
    return _resigned({**content, "params": change(params)})


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: {**p, "weights": [0.5, 0.6]}, "one weight per component, each in"),
    (lambda p: {**p, "weights": [1.0]}, "one weight per component"),
    (lambda p: {**p, "components": p["components"][:1], "weights": [1.0]}, "two or more"),
    (lambda p: {**p, "components": [p["components"][0], {**p["components"][1],
                                                          "score_space": "logit"}]},
     "in the mixture's score space"),
    (lambda p: {**p, "components": [p["components"][0], {**p["components"][1],
                                                          "method": "mixture"}]},
     "not a mixture"),
    (lambda p: {**p, "components": [p["components"][0], {**p["components"][1],
                                                          "method": "gam", "members": []}]},
     "one calibrator per name"),
])
def test_a_malformed_multiclass_mixture_is_refused(change: object, message: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E401.*{message}"):
        load_calibration_model(_mixture_params(change))


def test_multiclass_identity_is_the_uncalibrated_class_probabilities() -> None:
    scores = _scores(60, 4)
    scores[:5] = np.eye(3)[[0, 1, 2, 0, 1]]  # saturated: exact zeros and ones
    labels = scores.argmax(axis=1)
    settings = dataclasses.replace(AUTO, method="identity")
    problem = MulticlassProblem(np.asfortranarray(scores), labels, None, settings)
    fitted = problem.fit("identity", None, "test")
    assert all(m.clip_epsilon == 1e-15 for m in fitted.members)
    out = mc.apply_multiclass(fitted, scores)
    np.testing.assert_allclose(out, scores / scores.sum(axis=1, keepdims=True), atol=3e-15)


def test_vector_and_dirichlet_ship_a_uniform_share_of_the_miss_rate_over_the_classes() -> None:
    scores, labels, _ = multiclass_scenario(90, seed=5)
    for method in ("vector", "dirichlet"):
        settings = dataclasses.replace(AUTO, method=method)
        problem = MulticlassProblem(np.asfortranarray(scores), labels, None, settings)
        fitted = problem.fit(method, None, "test")
        assert fitted.uniform_share == pytest.approx(0.5 / 91 / 3)
        out = problem.predict(fitted)
        assert out.min() >= 0.5 / 91 / 9 * (1 - 1e-12)
        assert fitted.to_json_dict()["schema_version"] == 3


SMALL_AUTO = {"CALIBRATION_METHOD": "auto", "IS_BINARY": "false", "NUM_CLASSES": "3",
              "CALIBRATION_FOLDS": "3",
              "AUTO_CANDIDATES": '["identity", "temperature", "vector", "dirichlet", "platt"]'}


@pytest.fixture(scope="module")
def small_auto(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A multi-class auto on 1,000 rows of over-confident, skewed scores with some saturated
    rows (exact zeros): a mixture shipped."""
    scores, labels, _ = multiclass_scenario(1000, seed=8)
    scores[:20] = np.eye(3)[labels[:20]]
    root = tmp_path_factory.mktemp("mcmixture")
    write_multiclass(os.path.join(root, "in", "d.csv"), scores, labels)
    return root, run_main(os.path.join(root, "in"), os.path.join(root, "out"), SMALL_AUTO)


def test_multiclass_auto_ships_a_mixture_it_records(
        small_auto: tuple[Path, dict[str, str]]) -> None:
    _, out = small_auto
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    calibrator = read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value],
                                        CALIBRATOR_FILE))
    mixture = json_get(metrics, "selection", "mixture")
    weights = json_get(mixture, "weights")
    assert metrics["selected_method"] == "mixture" and mixture["shipped"] is True
    components = json_get(calibrator, "params")["components"]
    assert isinstance(components, list)
    shipped = json_get(calibrator, "params")["weights"]
    assert isinstance(shipped, list)
    assert dict(zip([c["method"] for c in components], shipped)) == weights
    assert json_number(mixture["log_loss"]) <= json_number(
        json_get(metrics, "selection", "candidates", "identity")["log_loss"])


def test_the_written_multiclass_mixture_reproduces_the_fit_and_the_apply_command(
        small_auto: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, out = small_auto
    path = os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE)
    written = load_calibration_model(path)
    assert isinstance(written, MultiCalibrator) and written.method == "mixture"
    methods = [c.method for c in written.components]
    # a mixture is version 3; a temperature component's class floor makes it 5
    assert read_json(path)["schema_version"] == (5 if "temperature" in methods else 3)
    data = read_csv_exact(os.path.join(root, "in", "d.csv"))
    columns = [f"prob_class_{n}" for n in NAMES]
    scores = np.asfortranarray(data[columns].to_numpy())
    settings = mc.read_settings(SMALL_AUTO)
    problem = MulticlassProblem(scores, data["label"].to_numpy().astype(np.int64), None,
                                settings)
    choice = select_method(problem, settings, None, settings.seed, "test")
    in_memory = fit_selection(choice, lambda m: problem.fit(m, None, "test"), problem.mixed)
    assert in_memory.weights == written.weights
    expected = mc.apply_multiclass(in_memory, scores)
    np.testing.assert_allclose(mc.apply_multiclass(written, scores), expected, rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(problem.predict(in_memory), expected, rtol=1e-12, atol=1e-15)
    target = tmp_path / "applied.csv"
    assert main(["--quiet", "apply", path, os.path.join(root, "in", "d.csv"),
                 "--output", str(target)]) == 0
    applied = read_csv_exact(str(target))[[f"calibrated_{c}" for c in columns]].to_numpy()
    np.testing.assert_allclose(applied, expected, rtol=1e-12, atol=1e-15)


@pytest.fixture(scope="module")
def digits_svm_scores() -> tuple[FloatArray, npt.NDArray[np.int64], FloatArray,
                                 npt.NDArray[np.int64]]:
    """digits scored by a standardised RBF SVM's margins through a softmax, split 40 / 30 / 30
    (539 calibration rows): without its bound, one-vs-rest platt gives two test rows below
    1e-6 for their own class."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    x, y = load_digits(return_X_y=True)
    rows = np.arange(y.shape[0])
    rest, test = train_test_split(rows, test_size=0.3, stratify=y, random_state=0)
    train, cal = train_test_split(rest, test_size=0.3 / 0.7, stratify=y[rest], random_state=0)
    model = make_pipeline(StandardScaler(), SVC(kernel="rbf")).fit(x[train], y[train])

    def softmax(rows_: npt.NDArray[np.intp]) -> FloatArray:
        d = model.decision_function(x[rows_])
        e = np.exp(d - d.max(axis=1, keepdims=True))
        out: FloatArray = e / e.sum(axis=1, keepdims=True)
        return out

    return softmax(cal), y[cal].astype(np.int64), softmax(test), y[test].astype(np.int64)


@pytest.mark.parametrize("method", ["platt", "gam"])
def test_one_vs_rest_platt_and_gam_members_are_bounded_no_confident_miss_on_digits(
        digits_svm_scores: tuple[FloatArray, npt.NDArray[np.int64], FloatArray,
                                 npt.NDArray[np.int64]], method: str) -> None:
    cal, y_cal, test, y_test = digits_svm_scores
    settings = mc.read_settings({"CALIBRATION_METHOD": method, "IS_BINARY": "false",
                                 "NUM_CLASSES": "10"})
    problem = MulticlassProblem(np.asfortranarray(cal), y_cal, None, settings)
    fitted = problem.fit(method, None, "test")
    floor = 0.5 / (cal.shape[0] + 1)
    assert all(m.extra_params["probability_floor"] == pytest.approx(floor)
               for m in fitted.members)
    out = mc.apply_multiclass(fitted, test)
    own = out[np.arange(y_test.shape[0]), y_test]
    assert own.min() >= floor / 10 * (1 - 1e-9) > 1e-6  # the floor over 10 members' sum
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-12)
