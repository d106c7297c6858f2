"""Environment variables: defaults, accepted spellings, and one code per bad value."""

from __future__ import annotations

import pytest

from script import model_calibration as mc


def test_defaults_match_the_documented_interface() -> None:
    s = mc.read_settings({})
    assert (s.method, s.label_field, s.score_field, s.is_binary, s.monotonic) == (
        "gam", "label", "prob_class_1", True, True)
    assert (s.gam_splines, s.error_threshold, s.bins, s.folds, s.seed) == (10, 0.05, 15, 5, 0)
    assert (s.score_space, s.log_level) == ("probability", "INFO")


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
])
def test_bad_values_name_the_variable_and_accepted_values(name: str, value: str,
                                                          accepted: str) -> None:
    with pytest.raises(mc.CalibrationScriptError) as info:
        mc.read_settings({name: value})
    assert info.value.code == "MC-E101-INVALID-ENV"
    assert name in info.value.message
    assert accepted in info.value.hint


def test_temperature_needs_multiclass_mode_conflict_code() -> None:
    with pytest.raises(mc.CalibrationScriptError, match="MC-E105-MODE-CONFLICT.*temperature"):
        mc.read_settings({"CALIBRATION_METHOD": "temperature"})
    assert mc.read_settings({"CALIBRATION_METHOD": "temperature", "IS_BINARY": "false"}).mode \
        == "multiclass"


def test_settings_are_frozen() -> None:
    s = mc.read_settings({})
    with pytest.raises(AttributeError):
        s.method = "platt"  # type: ignore[misc]  # proving the dataclass is frozen
