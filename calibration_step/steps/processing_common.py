"""A processing step from any step's spec, contract and :class:`ProcessingConfig`: the generic builder.

Every step of the package is a processing job: ModelCalibration and the companion steps
(:class:`~calibration_step.steps.companion.CompanionStep`) decide their name, script code, env vars
and arguments and call :func:`processing_step_definition`, which makes the step's
:class:`~calibration_step.processing.step.ProcessingStepDefinition`. Generic over the step's name
enums, so the inputs mapping and the environment are checked by mypy against the step's own enums.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

from calibration_step import sagemaker_adapter
from calibration_step._typevars import EnvNameT, InputNameT, OutputNameT
from calibration_step.processing.arguments import checked_environment, job_arguments
from calibration_step.processing.inputs import processing_inputs
from calibration_step.processing.names import job_name_prefix
from calibration_step.processing.outputs import execution_prefix_parameter, processing_outputs
from calibration_step.processing.step import (
    CacheSettings,
    ProcessingStepDefinition,
    ProcessorSettings,
    PropertyFileDefinition,
    ScriptCode,
)
from calibration_step.processing.values import InputSource, PipelineValue, StringParameter
from calibration_step.config.processing import ProcessingConfig
from calibration_step.contract import ScriptContract
from calibration_step.spec import StepSpecification

__all__ = [
    "default_execution_prefix",
    "image_uri_for",
    "processing_output_path",
    "processing_step_definition",
    "processor_settings_for",
]


def processing_output_path(name: enum.Enum) -> str:
    """The property path of a processing output's S3 URI (lowercase ``properties.``).

    Examples
    --------
    >>> import enum
    >>> class Out(enum.Enum):
    ...     EVAL_OUTPUT = "eval_output"
    >>> processing_output_path(Out.EVAL_OUTPUT)
    "properties.ProcessingOutputConfig.Outputs['eval_output'].S3Output.S3Uri"
    """
    return f"properties.ProcessingOutputConfig.Outputs['{name.value}'].S3Output.S3Uri"


def image_uri_for(config: ProcessingConfig) -> str:
    """``config.image_uri``, or the stock scikit-learn image of ``config.framework_version`` (offline lookup)."""
    if config.image_uri is not None:
        return config.image_uri
    return sagemaker_adapter.sklearn_image_uri(
        config.region, config.framework_version or "", config.instance_type, config.py_version
    )


def processor_settings_for(config: ProcessingConfig, *, image: str) -> ProcessorSettings:
    """Compute, image, encryption, network and tag settings of the job."""
    return ProcessorSettings(
        role=config.role,
        image_uri=image,
        instance_type=config.instance_type,
        instance_count=config.instance_count,
        volume_size_gb=config.volume_size_gb,
        max_runtime_seconds=config.max_runtime_seconds,
        volume_kms_key=config.volume_kms_key,
        output_kms_key=config.output_kms_key,
        subnets=config.subnets,
        security_group_ids=config.security_group_ids,
        enable_network_isolation=config.enable_network_isolation,
        encrypt_inter_container_traffic=config.encrypt_inter_container_traffic,
        tags=tuple(sorted(config.tags.items())),
    )


def default_execution_prefix(config: ProcessingConfig) -> StringParameter:
    """The execution-prefix parameter, named by the config, defaulting to the pipeline's S3 location.

    Examples
    --------
    >>> from calibration_step.config.base import EXAMPLE_ESSENTIALS
    >>> default_execution_prefix(ProcessingConfig(**EXAMPLE_ESSENTIALS)).to_expr()
    {'Get': 'Parameters.ExecutionPrefix'}
    """
    return execution_prefix_parameter(config.pipeline_s3_location, name=config.execution_prefix_parameter_name)


def processing_step_definition(
    spec: StepSpecification[InputNameT, OutputNameT],
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT],
    config: ProcessingConfig,
    inputs: Mapping[InputNameT, InputSource],
    *,
    name: str,
    job_type: str,
    code: ScriptCode,
    environment: Mapping[EnvNameT, str],
    argument_values: Mapping[str, str],
    image_uri: str,
    execution_prefix: str | PipelineValue | None = None,
    depends_on: Sequence[str] = (),
    property_files: Sequence[PropertyFileDefinition] = (),
) -> ProcessingStepDefinition:
    """One processing step as a value: inputs, outputs, env vars and arguments from the spec and contract.

    The caller decides the step's ``name`` and its script ``code``. Outputs go to
    ``<execution prefix>/<snake_case step type>/<job_type>/<logical name>``; the default prefix is
    :func:`default_execution_prefix`.

    Raises
    ------
    BuildError
        A missing required input or a bad S3 URI (named), env vars or arguments the contract does
        not declare, a clash of channels.
    """
    prefix = default_execution_prefix(config) if execution_prefix is None else execution_prefix
    channels = processing_inputs(spec, contract, inputs)
    present = [dependency.logical_name for dependency in spec.dependencies if dependency.logical_name in inputs]
    return ProcessingStepDefinition(
        name=name,
        job_name_prefix=job_name_prefix(name),
        processor=processor_settings_for(config, image=image_uri),
        code=code,
        environment=checked_environment(contract, environment),
        arguments=job_arguments(contract, inputs=present, values=argument_values),
        inputs=channels,
        outputs=processing_outputs(spec, contract, execution_prefix=prefix, job_type=job_type),
        property_files=tuple(property_files),
        cache=CacheSettings(enabled=config.enable_caching, expire_after=config.cache_expire_after),
        depends_on=tuple(depends_on),
        description=spec.description or None,
    )
