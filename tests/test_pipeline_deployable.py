"""What a definition must be to run on SageMaker: outputs per execution, S3 prefixes that keep their
meaning, no empty argument list, every parameter declared, the user's own steps as the SDK writes
them, and a Fail step when the calibrated error is above the threshold."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from calibration_step import sagemaker_adapter
from calibration_step.errors import BuildError
from calibration_step.pipeline import pipeline_definition
from calibration_step.script.interface import ModelCalibrationInput
from calibration_step.steps.model_calibration.builder import build_model_calibration_step, calibration_condition_step
from tests.pipeline_example import UPSTREAM_STEP, calibration_pipeline_definition, example_config, offline

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import ProcessingStep

__all__ = ["offline"]


def _steps(definition: dict[str, object]) -> dict[str, Any]:
    steps = definition["Steps"]
    assert isinstance(steps, list)
    found: dict[str, Any] = {}
    for step in steps:
        found[step["Name"]] = step
        for branch in ("IfSteps", "ElseSteps"):
            for nested in step["Arguments"].get(branch, []):
                found[nested["Name"]] = nested
    return found


def test_every_output_uri_carries_the_execution_id(offline: list[object]) -> None:
    steps = _steps(calibration_pipeline_definition(example_config()))
    uris = [output["S3Output"]["S3Uri"] for step in steps.values() if step["Type"] == "Processing"
            for output in step["Arguments"]["ProcessingOutputConfig"]["Outputs"]]
    assert len(uris) == 4
    for uri in uris:
        assert uri["Std:Join"]["Values"][:2] == [{"Get": "Parameters.ExecutionPrefix"},
                                                 {"Get": "Execution.PipelineExecutionId"}]


def test_a_trailing_slash_of_an_input_prefix_is_kept(offline: list[object]) -> None:
    config = example_config()
    built = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket//scores/"})
    inputs = built.definition.inputs
    assert [item.source for item in inputs] == ["s3://my-ml-bucket/scores/"]
    without = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket/scores"})
    assert [item.source for item in without.definition.inputs] == ["s3://my-ml-bucket/scores"]


def test_a_step_without_arguments_has_no_container_arguments(offline: list[object]) -> None:
    steps = _steps(calibration_pipeline_definition(example_config()))
    assert "ContainerArguments" not in steps[UPSTREAM_STEP]["Arguments"]["AppSpecification"]
    assert steps["ModelCalibration-Calibration"]["Arguments"]["AppSpecification"]["ContainerArguments"][:2] == [
        "--job_type", "calibration"]


def test_a_parameter_the_steps_read_must_be_declared(offline: list[object]) -> None:
    config = example_config()
    built = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket/scores/"})
    with pytest.raises(BuildError, match=r"\[BUILD-PIPELINE-PARAMETER-UNDECLARED\] the steps read the pipeline "
                                         r"parameters \['ExecutionPrefix'\], which are not among"):
        pipeline_definition([built.step], [], config)


def _users_own_step() -> ProcessingStep:
    """A step built with the plain SDK, as a user writes it (its job name is the SDK's business)."""
    from sagemaker.core.processing import Processor
    from sagemaker.mlops.workflow import ProcessingStep

    config = example_config()
    with sagemaker_adapter.offline_aws_environment(config.region):
        processor = Processor(
            role=config.role, image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1", instance_count=1,
            instance_type="ml.m5.large", base_job_name="my-own-job",
            sagemaker_session=sagemaker_adapter.pipeline_session(config.region, config.bucket),
            entrypoint=["python3", "/opt/ml/processing/input/code/mine.py"],
        )
        return ProcessingStep(name="MyOwnStep", step_args=processor.run(arguments=["--x", "1"]))


@pytest.mark.filterwarnings("ignore:Running within a PipelineSession")
def test_the_users_own_steps_stay_as_the_sdk_writes_them(offline: list[object]) -> None:
    config = example_config()
    built = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket/scores/"})
    from calibration_step.steps.model_calibration.builder import default_execution_prefix

    definition = pipeline_definition([_users_own_step(), built.step], [default_execution_prefix(config)], config)
    steps = _steps(definition)
    assert "ProcessingJobName" not in steps["MyOwnStep"]["Arguments"]
    assert steps["ModelCalibration-Calibration"]["Arguments"]["ProcessingJobName"] == "ModelCalibration-Calibration"
    assert list(steps["ModelCalibration-Calibration"]["Arguments"])[0] == "ProcessingJobName"


def test_the_gate_fails_the_execution_with_the_gate_verdict_on_its_else_branch(offline: list[object]) -> None:
    steps = _steps(calibration_pipeline_definition(example_config()))
    gate = steps["ModelCalibration-Calibration-ThresholdPassed"]
    assert [step["Name"] for step in gate["Arguments"]["ElseSteps"]] == ["ModelCalibration-Calibration-ThresholdFailed"]
    fail = steps["ModelCalibration-Calibration-ThresholdFailed"]
    assert fail["Type"] == "Fail"
    assert fail["Arguments"]["ErrorMessage"] == {"Std:JsonGet": {
        "PropertyFile": {"Get": "Steps.ModelCalibration-Calibration.PropertyFiles.CalibrationMetrics"},
        "Path": "threshold.message"}}


def test_an_empty_else_branch_can_still_be_asked_for(offline: list[object]) -> None:
    config = example_config()
    built = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket/scores/"})
    from calibration_step.steps.model_calibration.builder import default_execution_prefix

    gate = calibration_condition_step(built, else_steps=())
    definition = pipeline_definition([built.step, gate], [default_execution_prefix(config)], config)
    assert json.dumps(definition).count('"Type": "Fail"') == 0
