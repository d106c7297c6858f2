"""Environment variables: defaults, accepted spellings, and one code per bad value."""

from __future__ import annotations

import pytest

from calibration_step.script import model_calibration as mc


def test_defaults_match_the_documented_interface() -> None:
    s = mc.read_settings({})
    assert (s.method, s.label_field, s.score_field, s.is_binary, s.monotonic) == (
        "gam", "label", "prob_class_1", True, True)
    assert (s.gam_splines, s.error_threshold, s.bins, s.folds, s.seed) == (10, 0.05, 15, 5, 0)
    assert (s.score_space, s.log_level) == ("probability", "INFO")
    assert (s.mode, s.num_classes, s.score_field_prefix, s.categories) == ("binary", 2,
                                                                          "prob_class_", ())
    assert (s.score_fields, s.task_label_names, s.weight_field, s.auto_candidates) == (
        (), (), "", ())
    assert (s.negative_sampling_rate, s.temperature_bias) == (1.0, False)
    assert s.reliability_bins == "equal_width"


@pytest.mark.parametrize("raw,expected", [("TRUE", True), ("1", True), ("False", False),
                                          ("0", False)])
def test_booleans_accept_true_false_1_0_any_case(raw: str, expected: bool) -> None:
    assert mc.read_settings({"MONOTONIC_CONSTRAINT": raw}).monotonic is expected


@pytest.mark.parametrize("name,value,accepted", [
    ("CALIBRATION_METHOD", "sigmoid", "isotonic, platt, gam, beta"),
    ("MONOTONIC_CONSTRAINT", "yes", "true, false, 1, 0"),
    ("GAM_SPLINES", "3", "from 4 to 200"),
    ("ERROR_THRESHOLD", "abc", "(0, 1]"),
    ("ERROR_THRESHOLD", "0", "(0, 1]"),
    ("CALIBRATION_BINS", "1", "from 2 to 1000"),
    ("CALIBRATION_FOLDS", "x", "from 2 to 100"),
    ("CALIBRATION_SEED", "-1", "from 0"),
    ("SCORE_SPACE", "margin", "probability, logit"),
    ("LOG_LEVEL", "loud", "DEBUG, INFO, WARNING, ERROR"),
    ("RELIABILITY_BINS", "quantile", "equal_width, equal_mass"),
])
def test_bad_values_name_the_variable_and_accepted_values(name: str, value: str,
                                                          accepted: str) -> None:
    with pytest.raises(mc.CalibrationScriptError) as info:
        mc.read_settings({name: value})
    assert info.value.code == "MC-E101-INVALID-ENV"
    assert name in info.value.message
    assert accepted in info.value.hint


def test_vector_needs_multiclass_mode_conflict_code() -> None:
    with pytest.raises(mc.CalibrationScriptError, match="MC-E105-MODE-CONFLICT.*vector"):
        mc.read_settings({"CALIBRATION_METHOD": "vector"})
    assert mc.read_settings({"CALIBRATION_METHOD": "vector", "IS_BINARY": "false"}).mode \
        == "multiclass"
    # temperature fits either mode
    assert mc.read_settings({"CALIBRATION_METHOD": "temperature"}).mode == "binary"


def test_settings_are_frozen() -> None:
    s = mc.read_settings({})
    with pytest.raises(AttributeError):
        s.method = "platt"  # type: ignore[misc]  # proving the dataclass is frozen


def test_mode_and_method_variables_are_parsed() -> None:
    s = mc.read_settings({"IS_BINARY": "False", "MULTICLASS_CATEGORIES": '["cat", 2, 3.0]',
                          "SCORE_FIELD_PREFIX": "p_", "CALIBRATION_METHOD": "auto",
                          "AUTO_CANDIDATES": '["Temperature", "platt"]', "WEIGHT_FIELD": " w ",
                          "TEMPERATURE_BIAS": "1"})
    assert (s.mode, s.categories, s.score_field_prefix) == ("multiclass", ("cat", "2", "3"), "p_")
    assert (s.auto_candidates, s.weight_field, s.temperature_bias) == (
        ("temperature", "platt"), "w", True)
    assert mc.read_settings({"RELIABILITY_BINS": " Equal_Mass "}).reliability_bins == "equal_mass"
    assert mc.read_settings({"IS_BINARY": "false", "NUM_CLASSES": "4"}).categories == (
        "0", "1", "2", "3")
    tasks = mc.read_settings({"SCORE_FIELDS": '["a", "b"]', "TASK_LABEL_NAMES": '["y", "y"]',
                              "NEGATIVE_SAMPLING_RATE": "0.25"})
    assert (tasks.mode, tasks.task_label_names, tasks.negative_sampling_rate) == (
        "multitask", ("y", "y"), 0.25)


@pytest.mark.parametrize("env,code,words", [
    ({"MULTICLASS_CATEGORIES": "cat"}, "MC-E101-INVALID-ENV", "JSON array"),
    ({"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["a", 1.5]'}, "MC-E101-INVALID-ENV",
     "1.5"),
    ({"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["a", "a"]'}, "MC-E101-INVALID-ENV",
     "repeats"),
    ({"NUM_CLASSES": "1"}, "MC-E101-INVALID-ENV", "NUM_CLASSES"),
    ({"NUM_CLASSES": "3"}, "MC-E105-MODE-CONFLICT", "IS_BINARY is true"),
    ({"MULTICLASS_CATEGORIES": '["a", "b"]'}, "MC-E105-MODE-CONFLICT", "IS_BINARY is true"),
    ({"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["a"]'}, "MC-E105-MODE-CONFLICT",
     "fewer than two"),
    ({"IS_BINARY": "false", "NUM_CLASSES": "3", "MULTICLASS_CATEGORIES": '["a", "b"]'},
     "MC-E105-MODE-CONFLICT", "NUM_CLASSES=3"),
    ({"TEMPERATURE_BIAS": "maybe"}, "MC-E101-INVALID-ENV", "TEMPERATURE_BIAS"),
    ({"NEGATIVE_SAMPLING_RATE": "1.5"}, "MC-E101-INVALID-ENV", "NEGATIVE_SAMPLING_RATE"),
])
def test_bad_mode_and_method_values_have_codes(env: dict[str, str], code: str, words: str) -> None:
    with pytest.raises(mc.CalibrationScriptError) as info:
        mc.read_settings(env)
    assert info.value.code == code
    assert words in info.value.message


@pytest.mark.parametrize(("env", "huge"), [
    ("IS_BINARY", "y" * 5_000_000),
    ("CALIBRATION_METHOD", "x" * 5_000_000),
    ("MULTICLASS_CATEGORIES", "[" + "1," * 2_000_000),
    ("SCORE_FIELDS", '["' + "a" * 5_000_000 + '", 3]'),
    ("AUTO_CANDIDATES", '["platt", "platt", ' + '"x", ' * 500_000 + '"y"]'),
])
def test_a_huge_env_value_is_quoted_bounded_in_the_error(env: str, huge: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match="MC-E101-INVALID-ENV") as info:
        mc.read_settings({env: huge})
    assert len(str(info.value)) < 2_000
