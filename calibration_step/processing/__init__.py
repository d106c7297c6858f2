"""Step-agnostic builder pieces: values, S3 URIs, names, inputs, outputs, arguments, step values.

Every function here is pure and generic over a step's logical-name enums; none imports sagemaker.
Step builders (e.g. :mod:`calibration_step.steps.model_calibration.builder`) compose them into a
:class:`ProcessingStepDefinition`, which :mod:`calibration_step.sagemaker_adapter` turns into
SageMaker objects.
"""

from __future__ import annotations

from calibration_step.processing.arguments import checked_environment, declared_arguments, job_arguments, path_arguments
from calibration_step.processing.inputs import ProcessingInputDefinition, normalise_source, processing_inputs
from calibration_step.processing.names import JOB_NAME_PREFIX_MAX_LENGTH, MAX_NAME_LENGTH, job_name_prefix, sanitize_name, snake_case, step_name
from calibration_step.processing.outputs import (
    EXECUTION_PREFIX_PARAMETER,
    ProcessingOutputDefinition,
    execution_prefix_parameter,
    executed_output_uri,
    output_destination,
    processing_outputs,
)
from calibration_step.processing.s3 import bucket_problem, normalise_s3_uri, s3_join, split_s3_uri
from calibration_step.processing.step import (
    CacheSettings,
    ProcessingStepDefinition,
    ProcessorSettings,
    PropertyFileDefinition,
    ScriptCode,
    code_inputs,
    container_entrypoint,
)
from calibration_step.processing.values import (
    EXECUTION_ID,
    ExecutionVariable,
    InputSource,
    Join,
    JoinValue,
    PipelineValue,
    PipelineVariableLike,
    StringParameter,
    is_pipeline_value,
    value_expr,
)

__all__ = [
    "CacheSettings",
    "EXECUTION_ID",
    "EXECUTION_PREFIX_PARAMETER",
    "ExecutionVariable",
    "InputSource",
    "JOB_NAME_PREFIX_MAX_LENGTH",
    "Join",
    "JoinValue",
    "MAX_NAME_LENGTH",
    "PipelineValue",
    "PipelineVariableLike",
    "ProcessingInputDefinition",
    "ProcessingOutputDefinition",
    "ProcessingStepDefinition",
    "ProcessorSettings",
    "PropertyFileDefinition",
    "ScriptCode",
    "StringParameter",
    "bucket_problem",
    "checked_environment",
    "code_inputs",
    "container_entrypoint",
    "declared_arguments",
    "executed_output_uri",
    "execution_prefix_parameter",
    "is_pipeline_value",
    "job_arguments",
    "job_name_prefix",
    "normalise_s3_uri",
    "normalise_source",
    "output_destination",
    "path_arguments",
    "processing_inputs",
    "processing_outputs",
    "s3_join",
    "sanitize_name",
    "snake_case",
    "split_s3_uri",
    "step_name",
]
