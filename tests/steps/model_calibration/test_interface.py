"""The step's interface: shippable (Python 3.10, standard library), and what the script does.

Until the processing script reads the interface itself, these tests hold the two statements
together: the script's defaults, accepted values and ranges are the interface's, and the first
conflict the interface reports with a script code is the one the script raises.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration_step.script import interface
from calibration_step.script.errors import Code
from calibration_step.script import model_calibration as script
from calibration_step.script.interface import (
    CALIBRATION_METHOD_CHOICES,
    MULTICLASS_METHODS,
    SETTING_DEFAULTS,
    SETTING_SPECS,
    CalibrationSettings,
    ModelCalibrationEnv,
    setting_field_name,
    settings_environment,
)
from calibration_step.script.setting_rules import setting_conflicts

_Env = ModelCalibrationEnv
MULTICLASS = {_Env.IS_BINARY.value: "false"}
"""Env of a multi-class job: every choice and range of the script is accepted in it."""


def test_the_interface_parses_as_python_3_10_and_imports_the_standard_library_only() -> None:
    tree = ast.parse(Path(interface.__file__).read_text(encoding="utf-8"), feature_version=(3, 10))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0}
    siblings = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported - set(sys.stdlib_module_names)
    assert siblings <= {"errors"}  # the table of codes, itself standard library only


def test_one_spec_per_env_var_and_three_required() -> None:
    assert list(SETTING_SPECS) == list(ModelCalibrationEnv)
    assert [env for env, spec in SETTING_SPECS.items() if spec.required] == [
        _Env.CALIBRATION_METHOD, _Env.LABEL_FIELD, _Env.IS_BINARY]


@pytest.mark.parametrize("env", list(ModelCalibrationEnv), ids=lambda env: env.value)
def test_the_env_default_is_what_the_script_applies_when_unset(env: ModelCalibrationEnv) -> None:
    assert script.read_settings({env.value: SETTING_SPECS[env].env_default}) == script.read_settings({})


def test_the_typed_defaults_sent_as_env_vars_are_the_scripts_defaults() -> None:
    environ = {env.value: text for env, text in settings_environment(SETTING_DEFAULTS).items()}
    assert script.read_settings(environ) == script.read_settings({})


def _refused(environ: dict[str, str]) -> None:
    with pytest.raises(script.CalibrationScriptError) as info:
        script.read_settings(environ)
    assert info.value.code == Code.MC_E101_INVALID_ENV


@pytest.mark.parametrize("env", [env for env, spec in SETTING_SPECS.items() if spec.kind == "integer"],
                         ids=lambda env: env.value)
def test_integer_ranges_are_the_scripts(env: ModelCalibrationEnv) -> None:
    spec = SETTING_SPECS[env]
    assert spec.low is not None and spec.high is not None
    for accepted in (spec.low, spec.high):
        script.read_settings({**MULTICLASS, env.value: str(accepted)})
    for refused in (spec.low - 1, spec.high + 1):
        _refused({**MULTICLASS, env.value: str(refused)})


@pytest.mark.parametrize("env", [env for env, spec in SETTING_SPECS.items() if spec.kind == "choice"],
                         ids=lambda env: env.value)
def test_choices_are_the_scripts(env: ModelCalibrationEnv) -> None:
    for choice in SETTING_SPECS[env].choices:
        script.read_settings({**MULTICLASS, env.value: choice})
    _refused({**MULTICLASS, env.value: "none-of-them"})


@pytest.mark.parametrize("env", [env for env, spec in SETTING_SPECS.items() if spec.kind in ("flag", "fraction")],
                         ids=lambda env: env.value)
def test_flags_and_fractions_are_the_scripts(env: ModelCalibrationEnv) -> None:
    kind = SETTING_SPECS[env].kind
    for accepted in ("true", "false") if kind == "flag" else ("1", "0.5"):
        script.read_settings({env.value: accepted})
    for refused in ("maybe",) if kind == "flag" else ("0", "1.5", "x"):
        _refused({env.value: refused})


_COLUMNS = st.sampled_from(["label", "score", "p_a", "y_a", "prob_class_0", "prob_class_a"])


@st.composite
def _settings(draw: st.DrawFn) -> CalibrationSettings:
    """Settings each valid alone (type, choice, range), often conflicting with each other."""
    return CalibrationSettings(
        calibration_method=draw(st.sampled_from(CALIBRATION_METHOD_CHOICES)),
        label_field=draw(_COLUMNS),
        score_field=draw(_COLUMNS),
        is_binary=draw(st.booleans()),
        num_classes=draw(st.one_of(st.none(), st.integers(2, 3))),
        multiclass_categories=tuple(draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3))),
        score_fields=tuple(draw(st.lists(st.sampled_from(["p_a", "p_b", "label"]), unique=True, max_size=2))),
        task_label_names=tuple(draw(st.lists(st.sampled_from(["y_a", "y_b", "p_a"]), max_size=2))),
        weight_field=draw(st.one_of(st.none(), _COLUMNS)),
        auto_candidates=tuple(draw(st.lists(st.sampled_from([*MULTICLASS_METHODS, "auto", "sigmoid"]),
                                            unique=True, max_size=2))),
        negative_sampling_rate=draw(st.sampled_from([1.0, 0.5])),
        temperature_bias=draw(st.booleans()),
    )


@settings(max_examples=400, deadline=None)
@given(_settings())
def test_the_script_raises_the_first_conflict_that_has_a_script_code(values: CalibrationSettings) -> None:
    environ = {env.value: text for env, text in settings_environment(values).items()}
    expected = next((c.script_code for c in setting_conflicts(values) if c.script_code is not None), None)
    try:
        script.read_settings(environ)
    except script.CalibrationScriptError as error:
        assert error.code == expected, (error, setting_conflicts(values))
    else:
        assert expected is None, setting_conflicts(values)


def test_conflicts_name_settings_the_readers_way() -> None:
    values = CalibrationSettings(is_binary=False, num_classes=3, multiclass_categories=("a", "b"))
    (by_env,) = setting_conflicts(values)
    (by_field,) = setting_conflicts(values, spell=setting_field_name)
    assert by_env.message == "MULTICLASS_CATEGORIES must hold NUM_CLASSES=3 categories; got 2."
    assert by_field.message == "multiclass_categories must hold num_classes=3 categories; got 2."
    assert (by_env.setting, by_env.script_code, by_env.config_code) == (
        _Env.MULTICLASS_CATEGORIES, "MC-E105-MODE-CONFLICT", "CONFIG-CONFLICT")


def test_config_only_policies_have_no_script_code() -> None:
    unset_classes = setting_conflicts(CalibrationSettings(is_binary=False))
    binary_bias = setting_conflicts(CalibrationSettings(temperature_bias=True))
    assert [(c.setting, c.script_code) for c in unset_classes + binary_bias] == [
        (_Env.NUM_CLASSES, None), (_Env.TEMPERATURE_BIAS, None)]


def test_settings_fields_out_of_step_with_the_env_vars_are_refused_at_import() -> None:
    fields = dataclasses.fields(CalibrationSettings)
    last = fields[-1].name.upper()
    with pytest.raises(TypeError, match=rf"without an env var \[\], env vars without a field \['{last}'\]"):
        interface._setting_specs(fields[:-1])
    extra = dataclasses.make_dataclass("Extra", [("temperature_biases", bool, dataclasses.field(
        default=False, metadata=fields[-1].metadata))])
    with pytest.raises(TypeError, match=r"without an env var \['temperature_biases'\], env vars without a field \[\]"):
        interface._setting_specs((*fields, *dataclasses.fields(extra)))
