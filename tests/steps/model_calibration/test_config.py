"""ModelCalibrationConfig: invalid values cannot be built, and the env vars it sends are the contract's."""

from __future__ import annotations

import json
import typing

import attrs
import pytest
from hypothesis import given, settings

from calibration_step.errors import ConfigError
from calibration_step.steps.model_calibration import (
    MODEL_CALIBRATION_CONTRACT,
    ModelCalibrationConfig,
    ModelCalibrationEnv,
    model_calibration_arguments,
    model_calibration_environment,
)
from calibration_step.script import model_calibration as script
from calibration_step.script.interface import (
    DEFAULT_JOB_TYPE,
    SETTING_DEFAULTS,
    CalibrationSettings,
    setting_field_name,
)
from tests.config.strategies import calibration_config, calibration_configs

CONTRACT = MODEL_CALIBRATION_CONTRACT


# --------------------------------------------------------------------------------------------
# Config -> env vars and arguments
# --------------------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(calibration_configs())
def test_env_vars_are_contract_names_with_every_required_one(config: ModelCalibrationConfig) -> None:
    sent = {name.value for name in model_calibration_environment(config)}
    declared = set(CONTRACT.env_var_names())
    required = {name.value for name in CONTRACT.required_env_vars}
    assert sent <= declared, f"sends {sorted(sent - declared)}, which the contract does not declare"
    assert required <= sent, f"the contract requires {sorted(required - sent)}, which the config does not send"
    assert set(model_calibration_arguments(config)) == {argument.name for argument in CONTRACT.arguments
                                                         if argument.default is not None}


def test_every_setting_is_a_field_with_the_interfaces_default_and_type() -> None:
    fields = attrs.fields_dict(ModelCalibrationConfig)
    config_types = typing.get_type_hints(ModelCalibrationConfig)
    interface_types = typing.get_type_hints(CalibrationSettings)
    for env in ModelCalibrationEnv:
        name = setting_field_name(env)
        assert fields[name].default == getattr(SETTING_DEFAULTS, name), name
        if env is not ModelCalibrationEnv.AUTO_CANDIDATES:  # the config narrows the items to the methods
            assert config_types[name] == interface_types[name], name
    assert fields["job_type"].default == DEFAULT_JOB_TYPE


def test_two_tasks_may_share_a_label_column() -> None:
    config = calibration_config(score_fields=("p_model_a", "p_model_b"), task_label_names=("y", "y"))
    assert config.task_label_names == ("y", "y")


def test_the_default_config_sends_every_env_var_but_the_unset_ones() -> None:
    sent = {name.value for name in model_calibration_environment(calibration_config())}
    assert set(CONTRACT.env_var_names()) - sent == {"NUM_CLASSES", "WEIGHT_FIELD"}


def test_the_script_reads_back_what_a_binary_config_sends() -> None:
    config = calibration_config(calibration_method="beta", label_field="y", score_field="p", monotonic_constraint=False,
                                gam_splines=12, error_threshold=0.1, calibration_bins=20, calibration_folds=3,
                                calibration_seed=7, score_space="logit", log_level="DEBUG")
    environ = {name.value: value for name, value in model_calibration_environment(config).items()}
    read = script.read_settings(environ)
    assert (read.method, read.label_field, read.score_field, read.is_binary, read.monotonic, read.gam_splines,
            read.error_threshold, read.bins, read.folds, read.seed, read.score_space, read.log_level) == (
        "beta", "y", "p", True, False, 12, 0.1, 20, 3, 7, "logit", "DEBUG")


def test_list_values_are_json_arrays_and_optional_ones_appear_when_set() -> None:
    config = calibration_config(score_fields=("p_a", "p_b"), task_label_names=("y_a", "y_b"), weight_field="w",
                                calibration_method="auto", auto_candidates=("platt", "isotonic"))
    env = model_calibration_environment(config)
    assert json.loads(env[ModelCalibrationEnv.SCORE_FIELDS]) == ["p_a", "p_b"]
    assert json.loads(env[ModelCalibrationEnv.TASK_LABEL_NAMES]) == ["y_a", "y_b"]
    assert json.loads(env[ModelCalibrationEnv.AUTO_CANDIDATES]) == ["platt", "isotonic"]
    assert env[ModelCalibrationEnv.WEIGHT_FIELD] == "w"
    multiclass = calibration_config(is_binary=False, num_classes=3, calibration_method="temperature")
    assert model_calibration_environment(multiclass)[ModelCalibrationEnv.NUM_CLASSES] == "3"
    assert model_calibration_environment(multiclass)[ModelCalibrationEnv.IS_BINARY] == "false"


def test_arguments_follow_job_type() -> None:
    assert dict(model_calibration_arguments(calibration_config(job_type="validation"))) == {"job_type": "validation"}


# --------------------------------------------------------------------------------------------
# Invalid values cannot be built; the error names the field
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("calibration_method", "Gam", "CONFIG-VALUE", r"calibration_method must be one of 'isotonic', .*; got 'Gam'"),
        ("calibration_method", 1, "CONFIG-TYPE", r"calibration_method must be one of"),
        ("label_field", "", "CONFIG-VALUE", r"label_field must be a non-empty string"),
        ("label_field", None, "CONFIG-TYPE", r"label_field must be a string; got None"),
        ("score_field", " p", "CONFIG-VALUE", r"score_field must be a non-empty string without surrounding"),
        ("is_binary", "true", "CONFIG-TYPE", r"is_binary must be a bool; got 'true'"),
        ("monotonic_constraint", 1, "CONFIG-TYPE", r"monotonic_constraint must be a bool; got 1"),
        ("gam_splines", 3, "CONFIG-VALUE", r"ModelCalibrationConfig.gam_splines must be an int from 4 to 200; got 3\."),
        ("gam_splines", 201, "CONFIG-VALUE", r"gam_splines must be an int from 4 to 200; got 201"),
        ("gam_splines", 10.0, "CONFIG-TYPE", r"gam_splines must be an int from 4 to 200; got 10.0"),
        ("gam_splines", True, "CONFIG-TYPE", r"gam_splines must be an int from 4 to 200; got True"),
        ("error_threshold", 0.0, "CONFIG-VALUE", r"error_threshold must be a number in \(0, 1\]; got 0.0"),
        ("error_threshold", 1.5, "CONFIG-VALUE", r"error_threshold must be a number in \(0, 1\]; got 1.5"),
        ("error_threshold", float("nan"), "CONFIG-VALUE", r"error_threshold must be a number in \(0, 1\]; got nan"),
        ("error_threshold", "0.05", "CONFIG-TYPE", r"error_threshold must be a number; got '0.05'"),
        ("calibration_bins", 1, "CONFIG-VALUE", r"calibration_bins must be an int from 2 to 1000; got 1"),
        ("calibration_folds", 1, "CONFIG-VALUE", r"calibration_folds must be an int from 2 to 100; got 1"),
        ("calibration_seed", -1, "CONFIG-VALUE", r"calibration_seed must be an int from 0 to 4294967295; got -1"),
        ("score_space", "logits", "CONFIG-VALUE", r"score_space must be one of 'probability', 'logit'; got 'logits'"),
        ("job_type", "train", "CONFIG-VALUE", r"job_type must be one of 'training', .*; got 'train'"),
        ("num_classes", 1, "CONFIG-VALUE", r"num_classes must be an int from 2 to 10000 or None; got 1"),
        ("multiclass_categories", "abc", "CONFIG-TYPE", r"multiclass_categories must be a list of non-empty strings"),
        ("multiclass_categories", ("a", "a"), "CONFIG-VALUE", r"without repeats; got \('a', 'a'\)"),
        ("score_fields", ("a", 1), "CONFIG-TYPE", r"score_fields must be a list of non-empty strings"),
        ("weight_field", "", "CONFIG-VALUE", r"weight_field must be a non-empty string"),
        ("negative_sampling_rate", 0.0, "CONFIG-VALUE", r"negative_sampling_rate must be a number in \(0, 1\]"),
        ("temperature_bias", "yes", "CONFIG-TYPE", r"temperature_bias must be a bool; got 'yes'"),
        ("auto_candidates", ("auto",), "CONFIG-VALUE", r"auto_candidates must be a list of values from 'isotonic'"),
        ("log_level", "info", "CONFIG-VALUE", r"log_level must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR'; got 'info'"),
    ],
)
def test_an_invalid_field_is_refused_with_its_name(field: str, value: object, code: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        calibration_config(**{field: value})
    assert exc.value.code == code
    assert [problem.location for problem in exc.value.problems] == [field]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"score_field": "label"}, "score_field", r"score_field must differ from label_field; both are 'label'"),
        ({"num_classes": 3}, "num_classes", r"num_classes must be unset or 2 when is_binary is true; got 3"),
        ({"multiclass_categories": ("a", "b")}, "multiclass_categories", r"must be empty when is_binary is true"),
        ({"is_binary": False}, "num_classes", r"num_classes must be set \(or at least two multiclass_categories"),
        ({"is_binary": False, "num_classes": 3, "multiclass_categories": ("a", "b")}, "multiclass_categories",
         r"must hold num_classes=3 categories; got 2"),
        ({"is_binary": False, "num_classes": 3, "score_fields": ("a",), "task_label_names": ("b",)}, "score_fields",
         r"score_fields must be empty when is_binary is false"),
        ({"score_fields": ("a", "b"), "task_label_names": ("c",)}, "task_label_names",
         r"must have one label per score field; got 1 labels for 2 score fields"),
        ({"score_fields": ("a",), "task_label_names": ("a",)}, "task_label_names", r"must not name a score column"),
        ({"is_binary": False, "num_classes": 3, "negative_sampling_rate": 0.5}, "negative_sampling_rate",
         r"negative_sampling_rate applies to binary labels only"),
        ({"temperature_bias": True}, "temperature_bias", r"temperature_bias applies to multi-class"),
        ({"is_binary": False, "num_classes": 2, "weight_field": "prob_class_1"}, "weight_field",
         r"weight_field must not be a label or score column"),
        ({"calibration_method": "vector"}, "calibration_method", r"calibration_method may be 'vector' only when is_binary is false"),
        ({"auto_candidates": ("platt",)}, "auto_candidates", r"must be empty unless calibration_method is 'auto'"),
        ({"calibration_method": "auto", "auto_candidates": ("dirichlet",)}, "auto_candidates",
         r"auto_candidates may name only methods of binary calibration; got \['dirichlet'\]"),
        ({"is_binary": False, "multiclass_categories": ("a",)}, "multiclass_categories",
         r"multiclass_categories holds fewer than two categories: \['a'\]"),
        ({"weight_field": "label"}, "weight_field", r"weight_field must not be a label or score column"),
    ],
)
def test_contradicting_fields_are_refused(changes: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        calibration_config(**changes)
    assert exc.value.code == "CONFIG-CONFLICT"
    assert field in [problem.location for problem in exc.value.problems]


def test_every_conflict_is_listed_at_once() -> None:
    with pytest.raises(ConfigError, match=r"has 2 conflicting settings") as exc:
        calibration_config(score_field="label", calibration_method="vector")
    assert sorted(problem.location for problem in exc.value.problems) == ["calibration_method", "score_field"]


def test_evolve_validates_the_variant() -> None:
    config = calibration_config()
    assert attrs.evolve(config, calibration_method="isotonic").calibration_method == "isotonic"
    with pytest.raises(ConfigError, match=r"gam_splines"):
        attrs.evolve(config, gam_splines=0)


def test_converters_normalise_lists_and_ints() -> None:
    config = calibration_config(score_fields=["a", "b"], task_label_names=["c", "d"], error_threshold=1)
    assert config.score_fields == ("a", "b") and config.task_label_names == ("c", "d")
    assert config.error_threshold == 1.0 and isinstance(config.error_threshold, float)
    assert config.is_multi_task


def test_multiclass_modes_build() -> None:
    by_count = calibration_config(is_binary=False, num_classes=4)
    by_categories = calibration_config(is_binary=False, multiclass_categories=("low", "mid", "high"))
    both = calibration_config(is_binary=False, num_classes=2, multiclass_categories=("no", "yes"),
                              calibration_method="temperature")
    assert (by_count.num_classes, by_categories.multiclass_categories, both.calibration_method) == (
        4, ("low", "mid", "high"), "temperature")

