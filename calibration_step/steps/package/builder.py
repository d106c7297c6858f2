"""The Package builder: a config and input sources to a ``ProcessingStep`` (pure until the adapter).

Examples
--------
>>> from calibration_step.steps.package.config import PackageConfig
>>> config = PackageConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0")
>>> definition = package_step_definition(config, {
...     PackageInput.MODEL_INPUT: "s3://my-ml-bucket/model/",
...     PackageInput.CALIBRATION_MODEL: "s3://my-ml-bucket/calibration/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1", execution_prefix="s3://my-ml-bucket/run")
>>> definition.name, definition.outputs[0].destination
('Package', 's3://my-ml-bucket/run/package/packaging/packaged_model')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from calibration_step.processing.names import step_name as default_step_name
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource, PipelineValue
from calibration_step.steps.package.config import PackageConfig, package_environment
from calibration_step.steps.package.contract import PACKAGE_CONTRACT
from calibration_step.steps.package.names import PACKAGE_JOB_FOLDER, PACKAGE_STEP_TYPE, PackageInput
from calibration_step.steps.package.spec import PACKAGE_SPEC
from calibration_step.steps.processing_common import (
    build_processing_step,
    image_uri_for,
    processing_step_definition,
    script_code_for,
)

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import ProcessingStep, Step

__all__ = ["build_package_step", "package_step_definition"]


def package_step_definition(
    config: PackageConfig,
    inputs: Mapping[PackageInput, InputSource],
    *,
    image_uri: str,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str] = (),
) -> ProcessingStepDefinition:
    """The step as a value; both inputs are required; the step is named ``Package`` by default.

    Raises
    ------
    BuildError
        A missing input or a bad S3 URI (named).
    """
    return processing_step_definition(
        PACKAGE_SPEC,
        PACKAGE_CONTRACT,
        config,
        inputs,
        name=default_step_name(PACKAGE_STEP_TYPE) if step_name is None else step_name,
        job_type=PACKAGE_JOB_FOLDER,
        code=script_code_for(config, PACKAGE_CONTRACT.entry_point),
        environment=package_environment(config),
        argument_values={},
        image_uri=image_uri,
        execution_prefix=execution_prefix,
        depends_on=depends_on,
    )


def build_package_step(
    config: PackageConfig,
    inputs: Mapping[PackageInput, InputSource],
    *,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str | Step] = (),
) -> ProcessingStep:
    """The SageMaker ``ProcessingStep`` of the config, built offline."""
    definition = package_step_definition(
        config, inputs, image_uri=image_uri_for(config), execution_prefix=execution_prefix, step_name=step_name
    )
    return build_processing_step(definition, config, depends_on=depends_on)
