"""The offline pipeline definition: schema-valid, deterministic, equal to the checked-in golden copy.

Schema validation sets the top-level ``PipelineExperimentConfig`` and ``MlflowConfig`` keys aside
(SDK 3.x emits them; the published schema does not define them); everything else,
``PropertyFiles``, ``Std:Join`` and ``Std:JsonGet`` included, is validated against
``calibration_step/schemas/sagemaker-pipeline-definition.extended.schema.json``.

Regenerate the golden copy with ``UPDATE_GOLDEN=1 python -m pytest tests/test_pipeline.py`` and
review the diff.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from calibration_step.config_json import dumps, loads
from calibration_step.errors import BuildError
from calibration_step.pipeline import pipeline_definition, pipeline_definition_json
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from tests.pipeline_example import (
    SCHEMA_PATH,
    calibration_pipeline_definition,
    calibration_pipeline_steps,
    example_config,
    offline,
    schema_errors,
)

__all__ = ["offline"]  # the fixture, used by name

GOLDEN = Path(__file__).parent / "golden" / "model_calibration_pipeline.json"


def _steps(definition: dict[str, object]) -> list[dict[str, object]]:
    steps = definition["Steps"]
    assert isinstance(steps, list)
    return steps


def test_schema_is_found_beside_the_repository() -> None:
    assert SCHEMA_PATH.is_file(), f"expected the vendored schema at {SCHEMA_PATH}"


def test_definition_validates_against_the_extended_schema(offline: list[object]) -> None:
    definition = calibration_pipeline_definition(example_config())
    assert schema_errors(definition) == []
    assert offline == []  # no connection was attempted


def test_schema_check_has_teeth(offline: list[object]) -> None:
    definition = calibration_pipeline_definition(example_config())
    broken = copy.deepcopy(definition)
    _steps(broken)[1]["Type"] = "Calibration"
    assert schema_errors(broken) != []
    unknown_function = copy.deepcopy(definition)
    step = _steps(unknown_function)[2]
    arguments = step["Arguments"]
    assert isinstance(arguments, dict)
    arguments["Conditions"][0]["LeftValue"] = {"Std:Unknown": {}}
    assert schema_errors(unknown_function) != []


def test_upstream_output_is_wired_as_get_and_condition_reads_the_property_file(offline: list[object]) -> None:
    steps = _steps(calibration_pipeline_definition(example_config()))
    assert [step["Name"] for step in steps] == [
        "PrepareScores",
        "ModelCalibration-Calibration",
        "ModelCalibration-Calibration-ThresholdPassed",
    ]
    calibration = steps[1]
    arguments = calibration["Arguments"]
    assert isinstance(arguments, dict)
    assert arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.PrepareScores.ProcessingOutputConfig.Outputs['scores'].S3Output.S3Uri"
    }
    assert calibration["PropertyFiles"] == [
        {"PropertyFileName": "CalibrationMetrics", "OutputName": "metrics_output", "FilePath": "metrics.json"}
    ]
    condition = steps[2]["Arguments"]
    assert isinstance(condition, dict)
    assert condition["Conditions"] == [
        {
            "Type": "Equals",
            "LeftValue": {
                "Std:JsonGet": {
                    "PropertyFile": {"Get": "Steps.ModelCalibration-Calibration.PropertyFiles.CalibrationMetrics"},
                    "Path": "threshold.passed",
                }
            },
            "RightValue": True,
        }
    ]


def test_definition_matches_the_golden_copy(offline: list[object]) -> None:
    steps, parameters = calibration_pipeline_steps(example_config())
    text = pipeline_definition_json(steps, parameters, example_config())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert GOLDEN.is_file(), "no golden copy: run UPDATE_GOLDEN=1 python -m pytest tests/test_pipeline.py"
    assert json.loads(text) == json.loads(GOLDEN.read_text()), "definition changed: review, then UPDATE_GOLDEN=1"
    assert text == GOLDEN.read_text()


def test_definition_is_deterministic(offline: list[object]) -> None:
    first = calibration_pipeline_definition(example_config())
    second = calibration_pipeline_definition(example_config())
    assert first == second
    text = json.dumps(first)
    assert "2020-12-01" in text  # the definition version, the only date in it
    for marker in ("-20", "timestamp"):
        assert marker not in text.replace("2020-12-01", "")


def test_step_from_a_config_loaded_from_json_validates(offline: list[object]) -> None:
    configs = {"calibrate": example_config(calibration_method="gam", gam_splines=12, job_type="training")}
    classes = {"ModelCalibrationConfig": ModelCalibrationConfig}
    loaded = loads(dumps(configs, classes=classes), classes=classes)
    config = loaded["calibrate"]
    assert isinstance(config, ModelCalibrationConfig)
    assert config == configs["calibrate"]
    definition = calibration_pipeline_definition(config)
    assert schema_errors(definition) == []
    calibration = _steps(definition)[1]
    assert calibration["Name"] == "ModelCalibration-Training"
    arguments = calibration["Arguments"]
    assert isinstance(arguments, dict)
    assert arguments["Environment"]["GAM_SPLINES"] == "12"


def test_building_changes_no_user_setting(offline: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_PROFILE", "user-profile")
    before = dict(os.environ)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    calibration_pipeline_definition(example_config())
    assert dict(os.environ) == before
    assert (root.level, root.handlers) == (level, handlers)


def test_duplicate_parameters_are_rejected(offline: list[object]) -> None:
    config = example_config()
    steps, parameters = calibration_pipeline_steps(config)
    with pytest.raises(BuildError, match=r"pipeline parameters \['ExecutionPrefix'\] are given more than once"):
        pipeline_definition(steps, parameters * 2, config)


def test_missing_upstream_step_is_a_build_error(offline: list[object]) -> None:
    config = example_config()
    steps, parameters = calibration_pipeline_steps(config)
    with pytest.raises(BuildError, match=r"could not serialise pipeline .*PrepareScores") as info:
        pipeline_definition(steps[1:], parameters, config)
    assert info.value.code == "BUILD-PIPELINE-DEFINITION"
