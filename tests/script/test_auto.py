"""``auto``: inner cross-validation nested in the outer folds picks the true model family."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import crossfit, modes
from calibration_step.script.model_calibration.crossfit import choose_by_log_loss, select_method
from calibration_step.script.model_calibration.jsonvalues import json_get
from calibration_step.script.interface import (
    BINARY_METHODS, CALIBRATOR_FILE, METRICS_FILE, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration.problems import BinaryProblem, MulticlassProblem
from calibration_step.script.model_calibration.rowfolds import FileRows, file_folds
from tests.script.synthetic import (
    TRUE_CHOICES,
    family_scenario,
    multiclass_scenario,
    read_json,
    run_main,
    write_csv,
    write_multiclass,
)

SIZES = {"platt": 6000, "beta": 6000, "gam": 6000, "isotonic": 10000}


@pytest.mark.parametrize("family", ["platt", "beta", "gam", "isotonic"])
def test_auto_picks_the_true_family(family: str) -> None:
    s, y = family_scenario(family, SIZES[family], seed=1)
    settings = mc.read_settings({"CALIBRATION_METHOD": "auto"})
    problem = BinaryProblem(s, y, np.ones(s.shape[0]), settings)
    choice = select_method(problem, settings, None, seed=0, context="test")
    # the rule's own pick (the shipped calibrator may be the stacked mixture of the candidates)
    assert choice.get("rule_selected", choice["selected"]) in TRUE_CHOICES[family], \
        choice["reason"]
    candidates = choice["candidates"]
    assert isinstance(candidates, dict) and sorted(candidates) == sorted(BINARY_METHODS)
    assert all(isinstance(c, dict) and c["status"] == "ok" and isinstance(c["log_loss"], float)
               for c in candidates.values())
    assert str(choice["selected"]) in str(choice["reason"])


def test_auto_picks_temperature_for_a_temperature_miscalibration() -> None:
    scores, labels, _ = multiclass_scenario(3000, seed=11)
    settings = mc.read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                                 "CALIBRATION_METHOD": "auto", "TEMPERATURE_BIAS": "true",
                                 "AUTO_CANDIDATES": '["temperature", "platt", "isotonic"]'})
    problem = MulticlassProblem(scores, labels, np.ones(labels.shape[0]), settings)
    choice = select_method(problem, settings, None, seed=0, context="test")
    assert choice.get("rule_selected", choice["selected"]) == "temperature", choice["reason"]
    assert sorted(choice["candidates"]) == ["isotonic", "platt", "temperature"]  # type: ignore[call-overload]  # a JSON object


def test_simplest_within_one_standard_error_wins_over_a_noisy_best() -> None:
    # logit-linear truth: beta and gam nest platt and may edge it out by noise; platt is kept
    s, y = family_scenario("platt", 4000, seed=2)
    settings = mc.read_settings({"CALIBRATION_METHOD": "auto",
                                 "AUTO_CANDIDATES": '["gam", "beta", "platt"]'})
    choice = select_method(BinaryProblem(s, y, np.ones(4000), settings), settings, None, 0,
                           "test")
    record = choice["candidates"]
    assert isinstance(record, dict)
    assert choice.get("rule_selected", choice["selected"]) == "platt"  # the rule's own pick
    assert record["platt"]["within_one_se"] is True
    assert record["platt"]["difference_to_best"] <= record["platt"]["standard_error"]


def test_auto_in_main_is_nested_and_records_every_candidate(tmp_path: str,
                                                            no_plot: list[int]) -> None:
    s, y = family_scenario("beta", 5000, seed=3)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["platt", "beta"]',
                    "CALIBRATION_FOLDS": "3"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    # 5000 rows: the stacked mixture of platt and beta, beta the rule's own pick
    assert metrics["method"] == "auto" and metrics["selected_method"] == "mixture"
    selection = metrics["selection"]
    assert isinstance(selection, dict) and selection["selected"] == "mixture"
    assert selection["rule_selected"] == "beta"
    assert sorted(selection["mixture"]["weights"]) == ["beta", "platt"]
    assert sorted(selection["candidates"]) == ["beta", "platt"]
    assert "reason" in selection and selection["inner_folds"] == 3
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 3
    for fold in folds:  # each outer fold chose on its own training rows
        assert fold["selected_method"] in ("platt", "beta", "mixture")
        assert sorted(fold["candidate_log_loss"]) == ["beta", "platt"]
    cal = read_json(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    assert cal["method"] == "mixture" and cal["schema_version"] == 3
    params = cal["params"]
    assert isinstance(params, dict)
    shipped = dict(zip([m["method"] for m in params["members"]], params["weights"]))
    assert shipped == selection["mixture"]["weights"]
    fit = cal["fit"]
    assert isinstance(fit, dict) and fit["auto"]["selected"] == "mixture"
    assert fit["auto"]["mixture"]["weights"] == selection["mixture"]["weights"]


def test_each_outer_fold_chooses_on_its_training_rows_only(
        tmp_path: str, no_plot: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested: the method scoring an outer fold was chosen without that fold's rows, so the
    reported calibrated figures include the cost of choosing."""
    s, y = family_scenario("gam", 3000, seed=4)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    seen: list[tuple[str, int]] = []
    original = select_method

    def spy(problem: BinaryProblem, settings: mc.Settings,
            mask: npt.NDArray[np.bool_] | None, seed: int, context: str) -> dict[str, object]:
        seen.append((context, -1 if mask is None else int(mask.sum())))
        if mask is not None:
            folds = file_folds(y, FileRows(("d.csv",), (y.shape[0],)), 3, 0)
            held = int(context.split()[-1])
            assert np.array_equal(mask, folds != held)
        return original(problem, settings, mask, seed, context)

    monkeypatch.setattr(modes, "select_method", spy)  # the shipped calibrator's choice
    monkeypatch.setattr(crossfit, "select_method", spy)  # each outer fold's
    run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
             {"CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["platt", "gam"]',
              "CALIBRATION_FOLDS": "3"})
    assert [context for context, _ in seen] == ["binary task", "fold 0", "fold 1", "fold 2"]
    assert seen[0][1] == -1 and all(0 < rows < 3000 for _, rows in seen[1:])


@pytest.mark.parametrize("env,match", [
    ({"AUTO_CANDIDATES": '["platt"]', "CALIBRATION_METHOD": "gam"}, "CALIBRATION_METHOD=auto"),
    ({"AUTO_CANDIDATES": '["vector"]', "CALIBRATION_METHOD": "auto"}, "vector"),
    ({"AUTO_CANDIDATES": '["sigmoid"]', "CALIBRATION_METHOD": "auto"}, "sigmoid"),
])
def test_auto_candidates_are_checked(env: dict[str, str], match: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E105-MODE-CONFLICT.*{match}"):
        mc.read_settings(env)


def test_auto_candidates_default_to_every_method_of_the_mode() -> None:
    assert mc.read_settings({"CALIBRATION_METHOD": "auto"}).auto_candidates == BINARY_METHODS
    multi = mc.read_settings({"CALIBRATION_METHOD": "auto", "IS_BINARY": "false"})
    # but one-vs-rest isotonic (exact 0/1 outputs) and unpenalised temperature, unless named
    assert multi.auto_candidates == tuple(m for m in BINARY_METHODS
                                          if m not in ("isotonic", "temperature")) + (
        "vector", "dirichlet")
    named = mc.read_settings({"CALIBRATION_METHOD": "auto", "IS_BINARY": "false",
                              "AUTO_CANDIDATES": '["isotonic", "temperature"]'})
    assert named.auto_candidates == ("isotonic", "temperature")


def test_multiclass_auto_end_to_end(tmp_path: str, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(2400, seed=12)
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "auto",
                    "AUTO_CANDIDATES": '["temperature", "platt"]', "CALIBRATION_FOLDS": "2",
                    "TEMPERATURE_BIAS": "true"})
    cal = mc.load_calibration_model(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    # without identity among the candidates nothing bounds the mixture's honest loss (as the
    # binary mixture): it ships where both members keep weight, the rule's pick recorded
    selection = json_get(metrics, "selection")
    mixture = json_get(selection, "mixture")
    assert isinstance(cal, mc.MultiCalibrator) and cal.method == "mixture"
    assert sorted(c.method for c in cal.components) == sorted(json_get(mixture, "weights"))
    assert len(cal.components) == 2 and mixture["shipped"] is True
    assert (selection["selected"], selection["rule_selected"]) == ("mixture", "temperature")


def test_no_candidate_worse_than_identity_wins_though_simpler() -> None:
    # platt is within one (large) standard error of gam, the best; identity is not (its
    # difference is constant), yet has a lower mean than platt: gam wins, not platt
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, 200)
    losses = {"gam": base, "identity": base + 0.012,
              "platt": base + 0.015 + rng.normal(0.0, 0.5, 200)}
    losses["platt"] += 0.015 - float(np.mean(losses["platt"] - base))
    record: dict[str, dict[str, object]] = {}
    out = choose_by_log_loss(losses, np.ones(200), 200.0, record,
                             ["gam", "identity", "platt"], "test")
    assert record["platt"]["within_one_se"] is True and record["identity"]["within_one_se"] is False
    assert out["selected"] == "gam" and "no worse than identity" in str(out["reason"])


def test_venn_abers_is_skipped_beside_isotonic_on_many_rows_and_the_split_is_not_repeated() -> None:
    s, y = family_scenario("isotonic", 25_000, seed=3)
    both = mc.read_settings({"CALIBRATION_METHOD": "auto",
                             "AUTO_CANDIDATES": '["identity", "isotonic", "venn_abers"]'})
    choice = select_method(BinaryProblem(s, y, None, both), both, None, 0, "test")
    candidates = choice["candidates"]
    assert isinstance(candidates, dict) and candidates["venn_abers"]["status"] == "skipped"
    assert "25000 rows > 20000" in candidates["venn_abers"]["reason"]
    assert choice["inner_repeats"] == 1 and choice["label_smoothing"] == 0.5 / 25_001
    alone = mc.read_settings({"CALIBRATION_METHOD": "auto",
                              "AUTO_CANDIDATES": '["identity", "venn_abers"]'})
    choice = select_method(BinaryProblem(s, y, None, alone), alone, None, 0, "test")
    assert choice["selected"] == "venn_abers"


def test_isotonic_is_skipped_beside_venn_abers_on_few_binary_rows_only() -> None:
    s, y = family_scenario("isotonic", 45, seed=4)
    both = mc.read_settings({"CALIBRATION_METHOD": "auto",
                             "AUTO_CANDIDATES": '["identity", "isotonic", "venn_abers"]'})
    choice = select_method(BinaryProblem(s, y, None, both), both, None, 0, "test")
    candidates = json_get(choice, "candidates")
    assert json_get(candidates, "isotonic")["status"] == "skipped"
    assert "45 rows < 100" in str(json_get(candidates, "isotonic")["reason"])
    assert json_get(candidates, "venn_abers")["status"] == "ok"
    assert "isotonic" not in json_get(choice, "mixture", "fitted_weights")
    alone = mc.read_settings({"CALIBRATION_METHOD": "auto",
                              "AUTO_CANDIDATES": '["identity", "isotonic"]'})
    choice = select_method(BinaryProblem(s, y, None, alone), alone, None, 0, "test")
    assert json_get(choice, "candidates", "isotonic")["status"] == "ok"
    s, y = family_scenario("isotonic", 120, seed=4)
    choice = select_method(BinaryProblem(s, y, None, both), both, None, 0, "test")
    assert json_get(choice, "candidates", "isotonic")["status"] == "ok"


def test_a_multiclass_auto_keeps_isotonic_on_few_rows() -> None:
    scores, labels, _ = multiclass_scenario(45, seed=5)
    settings = mc.read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                                 "CALIBRATION_METHOD": "auto",
                                 "AUTO_CANDIDATES": '["identity", "isotonic", "venn_abers"]'})
    problem = MulticlassProblem(scores, labels, None, settings)
    choice = select_method(problem, settings, None, seed=0, context="test")
    assert json_get(choice, "candidates", "isotonic")["status"] == "ok"
