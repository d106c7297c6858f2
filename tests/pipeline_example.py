"""A calibration pipeline built offline for the builder, adapter and pipeline tests.

An upstream processing step (built with the generic pieces of ``calibration_step.processing``) writes
scores; the ModelCalibration step reads them through a :class:`PropertyReference` (serialised as
``{"Get": ...}``); a condition step checks ``threshold.passed`` in ``metrics.json``.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import jsonschema
import pytest

from calibration_step import sagemaker_adapter
from calibration_step.pipeline import pipeline_definition
from calibration_step.processing import (
    ProcessingInputDefinition,
    ProcessingOutputDefinition,
    ProcessingStepDefinition,
    ProcessorSettings,
    ScriptCode,
    StringParameter,
    output_destination,
)
from calibration_step.properties import PropertyReference
from calibration_step.script.interface import ModelCalibrationInput
from calibration_step.steps.model_calibration.builder import (
    build_model_calibration_step,
    calibration_condition_step,
    default_execution_prefix,
)
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import Step

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
SCHEMA_PATH: Final = REPO_ROOT / "calibration_step" / "schemas" / "sagemaker-pipeline-definition.extended.schema.json"
"""The published pipeline-definition schema plus the SDK 3.x constructs (its ``$comment`` lists them)."""
SET_ASIDE_KEYS: Final = ("PipelineExperimentConfig", "MlflowConfig")
"""Top-level keys SDK 3.x emits that the published schema predates."""

UPSTREAM_STEP: Final = "PrepareScores"
UPSTREAM_OUTPUT: Final = "scores"
AWS_VARIABLES: Final = (
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_EC2_METADATA_DISABLED",
)


def example_config(**changes: object) -> ModelCalibrationConfig:
    values: dict[str, object] = {
        "author": "jane",
        "bucket": "my-ml-bucket",
        "role": "arn:aws:iam::123456789012:role/SageMakerRole",
        "region": "eu-west-1",
        "service_name": "risk",
        "pipeline_version": "1.0",
        "calibration_method": "isotonic",
        "enable_caching": True,
        "tags": {"team": "risk"},
    }
    values.update(changes)
    return ModelCalibrationConfig(**values)  # type: ignore[arg-type]  # test helper builds from a dict


def upstream_definition(config: ModelCalibrationConfig, prefix: StringParameter) -> ProcessingStepDefinition:
    """A stand-in for an evaluation step: one input, one ``scores`` output."""
    return ProcessingStepDefinition(
        name=UPSTREAM_STEP,
        job_name_prefix=UPSTREAM_STEP,
        processor=ProcessorSettings(
            role=config.role,
            image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/prepare-scores:1",
            instance_type="ml.m5.large",
        ),
        code=ScriptCode(script_uri="s3://my-ml-bucket/code/prepare_scores.py"),
        environment={},
        arguments=(),
        inputs=(
            ProcessingInputDefinition(
                input_name="raw", source="s3://my-ml-bucket/raw/", destination="/opt/ml/processing/input/raw"
            ),
        ),
        outputs=(
            ProcessingOutputDefinition(
                output_name=UPSTREAM_OUTPUT,
                source="/opt/ml/processing/output/scores",
                destination=output_destination(
                    prefix, step_folder="prepare_scores", job_type="calibration", logical_name=UPSTREAM_OUTPUT
                ),
            ),
        ),
    )


def upstream_scores() -> PropertyReference:
    return PropertyReference(
        step_name=UPSTREAM_STEP,
        property_path=f"properties.ProcessingOutputConfig.Outputs['{UPSTREAM_OUTPUT}'].S3Output.S3Uri",
    )


def calibration_pipeline_steps(config: ModelCalibrationConfig) -> tuple[list[Step], list[StringParameter]]:
    prefix = default_execution_prefix(config)
    upstream, _files = sagemaker_adapter.processing_step(
        upstream_definition(config, prefix), region=config.region, default_bucket=config.bucket
    )
    built = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: upstream_scores()})
    condition = calibration_condition_step(built)
    return [upstream, built.step, condition], [prefix]


def calibration_pipeline_definition(config: ModelCalibrationConfig) -> dict[str, object]:
    steps, parameters = calibration_pipeline_steps(config)
    return pipeline_definition(steps, parameters, config)


def schema_errors(definition: dict[str, object]) -> list[str]:
    """Schema errors of ``definition`` once the SDK-3.x-only top-level keys are set aside."""
    schema = json.loads(SCHEMA_PATH.read_text())
    checked = {key: value for key, value in definition.items() if key not in SET_ASIDE_KEYS}
    validator = jsonschema.Draft7Validator(schema)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(checked)]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """No AWS variable set and every socket connection refused; yields the refused addresses."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    refused: list[object] = []

    def refuse(_self: socket.socket, address: object) -> None:
        refused.append(address)
        raise OSError(f"network access in an offline test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield refused
