"""Offline pipeline definitions: SageMaker steps and our parameters in, the definition JSON out.

No AWS request is made and no AWS setting of the user is changed (see
:mod:`calibration_step.sagemaker_adapter`). The definition is deterministic for a given config and
set of steps: job names are kept as prefixes without timestamps and nothing random is added, so
it can be checked in and compared (``tests/golden/model_calibration_pipeline.json``).

Examples
--------
>>> from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
>>> from calibration_step.steps.model_calibration.builder import (
...     build_model_calibration_step, default_execution_prefix)
>>> from calibration_step.script.interface import ModelCalibrationInput
>>> config = ModelCalibrationConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0")
>>> built = build_model_calibration_step(
...     config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket/scores"})
>>> definition = pipeline_definition([built.step], [default_execution_prefix(config)], config)
>>> [step["Name"] for step in definition["Steps"]]
['ModelCalibration-Calibration']
>>> definition["Parameters"][0]["Name"]
'ExecutionPrefix'
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from calibration_step import sagemaker_adapter
from calibration_step.processing.values import StringParameter
from calibration_step.config.base import BasePipelineConfig
from calibration_step.errors import BuildError, Code

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import Step

__all__ = ["pipeline_definition", "pipeline_definition_json"]


def _check_parameters(parameters: Sequence[StringParameter]) -> None:
    names = [parameter.name for parameter in parameters]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise BuildError(
            Code.BUILD_PIPELINE_PARAMETER,
            f"pipeline parameters {twice} are given more than once.",
            hint="pass each parameter once (steps sharing a parameter share the same value)",
        )


def _referenced_parameters(value: object) -> Iterator[str]:
    """Names of every ``{"Get": "Parameters.<name>"}`` inside ``value``."""
    if isinstance(value, dict):
        reference = value.get("Get")
        if isinstance(reference, str) and reference.startswith("Parameters."):
            yield reference.removeprefix("Parameters.")
        for item in value.values():
            yield from _referenced_parameters(item)
    elif isinstance(value, list):
        for item in value:
            yield from _referenced_parameters(item)


def _check_declared(definition: Mapping[str, object], parameters: Sequence[StringParameter]) -> None:
    declared = {parameter.name for parameter in parameters}
    missing = sorted(set(_referenced_parameters(definition.get("Steps"))) - declared)
    if missing:
        raise BuildError(
            Code.BUILD_PIPELINE_PARAMETER_UNDECLARED,
            f"the steps read the pipeline parameters {missing}, which are not among the pipeline's "
            f"parameters {sorted(declared)}.",
            hint="pass every parameter the steps use, e.g. default_execution_prefix(config) for ExecutionPrefix",
        )


def pipeline_definition_json(
    steps: Sequence[Step], parameters: Sequence[StringParameter], config: BasePipelineConfig
) -> str:
    """The pipeline definition as indented JSON text (keys in SageMaker's order), built offline.

    The pipeline is named ``config.pipeline_name``; ``steps`` are SageMaker step objects (steps
    inside a condition step's branches must not be listed again).

    Raises
    ------
    BuildError
        ``BUILD-PIPELINE-PARAMETER`` for a parameter given twice, ``BUILD-PIPELINE-PARAMETER-UNDECLARED``
        for a parameter a step reads but ``parameters`` lacks; ``BUILD-PIPELINE-DEFINITION``
        when the SDK cannot serialise the steps (its message is included).
    """
    return json.dumps(pipeline_definition(steps, parameters, config), indent=2) + "\n"


def pipeline_definition(
    steps: Sequence[Step], parameters: Sequence[StringParameter], config: BasePipelineConfig
) -> dict[str, object]:
    """The pipeline definition as a dict (see :func:`pipeline_definition_json`)."""
    _check_parameters(parameters)
    built = sagemaker_adapter.pipeline(
        config.pipeline_name,
        steps=steps,
        parameters=parameters,
        region=config.region,
        default_bucket=config.bucket,
    )
    try:
        text = sagemaker_adapter.pipeline_definition_text(built, region=config.region)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BuildError(
            Code.BUILD_PIPELINE_DEFINITION,
            f"SageMaker could not serialise pipeline {config.pipeline_name!r}: {exc}",
            hint="check that every referenced step is in the pipeline and every input is an S3 URI or pipeline value",
        ) from exc
    loaded: dict[str, object] = json.loads(text)
    _check_declared(loaded, parameters)
    return loaded
