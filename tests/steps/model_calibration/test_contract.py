"""The ModelCalibration contract: sound, complete, and equal to what the script reads and writes."""

from __future__ import annotations

import dataclasses

import pytest

from calibration_step.checker.script_analysis import analyse_sources
from calibration_step.invariants import contract_problems
from calibration_step.processing.script_source import script_source_files
from calibration_step.script import model_calibration as script
from calibration_step.script.model_calibration.cli import build_parser
from calibration_step.script.interface import (
    CALIBRATOR_FILE, JOB_TYPE_CHOICES, LOG_LEVEL_CHOICES, METRICS_FILE, RELIABILITY_DIAGRAM_FILE,
    SCORE_SPACE_CHOICES, SUMMARY_FILE, ModelCalibrationOutput,
)
from calibration_step.steps.model_calibration import MODEL_CALIBRATION_CONTRACT, ModelCalibrationEnv
from tests.checker.copies import REPO_ROOT

CONTRACT = MODEL_CALIBRATION_CONTRACT
SCRIPT_DIR = REPO_ROOT / "script"

# The names users already know (add new ones, never rename: docs/adding_a_parameter.md).
USER_ENV_VARS = {
    "CALIBRATION_METHOD", "LABEL_FIELD", "SCORE_FIELD", "IS_BINARY", "MONOTONIC_CONSTRAINT", "GAM_SPLINES",
    "ERROR_THRESHOLD", "NUM_CLASSES", "SCORE_FIELD_PREFIX", "MULTICLASS_CATEGORIES", "SCORE_FIELDS", "TASK_LABEL_NAMES",
}


def test_the_contract_breaks_no_invariant() -> None:
    assert contract_problems(CONTRACT) == ()


def test_container_paths() -> None:
    assert {name.value: path for name, path in CONTRACT.input_paths.items()} == {
        "evaluation_data": "/opt/ml/processing/input/eval_data",
        "calibration_model": "/opt/ml/processing/input/calibration_model",
    }
    assert {name.value: path for name, path in CONTRACT.output_paths.items()} == {
        "calibration_output": "/opt/ml/processing/output/calibration",
        "metrics_output": "/opt/ml/processing/output/metrics",
        "calibrated_data": "/opt/ml/processing/output/calibrated_data",
    }


def test_every_env_var_is_declared_once_and_users_names_are_kept() -> None:
    names = CONTRACT.env_var_names()
    assert sorted(names) == sorted(member.value for member in ModelCalibrationEnv)
    assert USER_ENV_VARS <= set(names)
    assert [e.value for e in CONTRACT.required_env_vars] == ["CALIBRATION_METHOD", "LABEL_FIELD", "IS_BINARY"]


def test_job_type_argument() -> None:
    job_type, phase = CONTRACT.arguments
    assert (job_type.flag, job_type.choices, job_type.default, job_type.required) == (
        "--job_type", JOB_TYPE_CHOICES, "calibration", False)
    # --phase is sent by the sharded steps only (no default: a whole run's arguments are as before)
    assert (phase.flag, phase.choices, phase.default, phase.required) == (
        "--phase", ("all", "statistics", "fit", "apply"), None, False)


def test_output_files() -> None:
    assert dict(CONTRACT.output_files) == {
        ModelCalibrationOutput.CALIBRATION_OUTPUT: ("calibrator.json",),
        ModelCalibrationOutput.METRICS_OUTPUT: ("metrics.json", "summary.json", "reliability_diagram.png",
                                                "report.html"),
    }


# --------------------------------------------------------------------------------------------
# Against the script itself: names, defaults, choices, flags and files.
# --------------------------------------------------------------------------------------------
def _script_env_names() -> frozenset[str]:
    """The env vars the script's source reads, as the checker resolves them."""
    files = script_source_files(SCRIPT_DIR, CONTRACT.entry_point)
    return analyse_sources({name: content.decode("utf-8") for name, content in files}).env_names()


def test_every_env_var_the_script_reads_is_declared() -> None:
    assert _script_env_names() == set(CONTRACT.env_var_names())


def test_optional_defaults_equal_the_scripts_defaults() -> None:
    defaults = script.read_settings({})
    by_env = {
        ModelCalibrationEnv.SCORE_FIELD: defaults.score_field,
        ModelCalibrationEnv.MONOTONIC_CONSTRAINT: str(defaults.monotonic).lower(),
        ModelCalibrationEnv.GAM_SPLINES: str(defaults.gam_splines),
        ModelCalibrationEnv.ERROR_THRESHOLD: repr(defaults.error_threshold),
        ModelCalibrationEnv.CALIBRATION_BINS: str(defaults.bins),
        ModelCalibrationEnv.CALIBRATION_FOLDS: str(defaults.folds),
        ModelCalibrationEnv.CALIBRATION_SEED: str(defaults.seed),
        ModelCalibrationEnv.SCORE_SPACE: defaults.score_space,
        ModelCalibrationEnv.LOG_LEVEL: defaults.log_level,
    }
    assert {env: CONTRACT.optional_env_vars[env] for env in by_env} == by_env
    assert len(dataclasses.fields(defaults)) >= len(by_env)


def test_choices_equal_the_scripts() -> None:
    (job_type,) = [action for action in build_parser()._actions if "--job_type" in action.option_strings]
    assert (tuple(job_type.choices or ()), job_type.default) == (JOB_TYPE_CHOICES, "calibration")
    assert [script.read_settings({"SCORE_SPACE": space}).score_space for space in SCORE_SPACE_CHOICES] == list(
        SCORE_SPACE_CHOICES)
    assert [script.read_settings({"LOG_LEVEL": level.lower()}).log_level for level in LOG_LEVEL_CHOICES] == list(
        LOG_LEVEL_CHOICES)


def test_arguments_and_output_files_equal_the_scripts() -> None:
    parser_flags = {flag for action in build_parser()._actions for flag in action.option_strings} - {"-h", "--help"}
    assert parser_flags == set(CONTRACT.argument_flags())
    assert (CALIBRATOR_FILE, METRICS_FILE, SUMMARY_FILE, RELIABILITY_DIAGRAM_FILE) == (
        "calibrator.json", "metrics.json", "summary.json", "reliability_diagram.png")


@pytest.mark.parametrize("name", list(ModelCalibrationOutput))
def test_script_output_names_are_the_logical_names(name: ModelCalibrationOutput) -> None:
    assert name.value in {action.dest for action in build_parser()._actions if action.required}
