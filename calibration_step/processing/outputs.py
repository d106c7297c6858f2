"""Processing outputs: each contract output path uploaded under the execution prefix.

The destination of output ``<logical_name>`` of a step is
``<execution prefix>/<execution id>/<step folder>/<job type>/<logical_name>``, a
:class:`~calibration_step.processing.values.Join` evaluated when the step runs: the execution prefix
is a pipeline parameter (or a fixed ``s3://`` prefix), the execution id is
``Execution.PipelineExecutionId`` (as SageMaker's own default output URIs carry it), so two
executions, run one after the other or at once, never write to, or read, each other's outputs;
the step folder is the snake_case step type (``model_calibration``) and the job type separates
training/calibration/... runs of one step.

Step caching: SageMaker's cache key of a processing step is its ``AppSpecification``,
``Environment`` and ``ProcessingInputs``, not its output URIs, so a step with caching on is still
reused by a later execution; the reused step's properties then name the outputs of the execution
that ran it, and downstream steps read those.

Examples
--------
>>> prefix = StringParameter(name="ExecutionPrefix", default_value="s3://bucket/runs")
>>> output_destination(prefix, step_folder="model_calibration", job_type="calibration",
...                    logical_name="metrics_output").to_expr()["Std:Join"]["Values"]
[{'Get': 'Parameters.ExecutionPrefix'}, {'Get': 'Execution.PipelineExecutionId'}, 'model_calibration', 'calibration', 'metrics_output']
>>> output_destination("s3://bucket/runs/", step_folder="model_calibration", job_type="calibration",
...                    logical_name="metrics_output").to_expr()["Std:Join"]["Values"][:2]
['s3://bucket/runs', {'Get': 'Execution.PipelineExecutionId'}]
"""

from __future__ import annotations

from typing import Literal

import attrs

from calibration_step._typevars import EnvNameT, InputNameT, OutputNameT
from calibration_step.processing.names import snake_case
from calibration_step.processing.s3 import s3_join
from calibration_step.processing.values import EXECUTION_ID, Join, PipelineValue, StringParameter
from calibration_step.contract import ScriptContract
from calibration_step.errors import BuildError, Code
from calibration_step.naming import is_snake_case
from calibration_step.spec import StepSpecification

__all__ = [
    "EXECUTION_PREFIX_PARAMETER",
    "ProcessingOutputDefinition",
    "executed_output_uri",
    "execution_prefix_parameter",
    "output_destination",
    "processing_outputs",
]

EXECUTION_PREFIX_PARAMETER = "ExecutionPrefix"
"""The name of the pipeline parameter that holds the S3 prefix of an execution's outputs."""

OutputDestination = str | Join
"""A fixed ``s3://`` URI, or a :class:`Join` evaluated when the step runs (what the builders make)."""


@attrs.frozen(kw_only=True)
class ProcessingOutputDefinition:
    """One output channel of a processing job: the container folder and its S3 destination."""

    output_name: str
    source: str
    destination: OutputDestination
    s3_upload_mode: Literal["EndOfJob", "Continuous"] = "EndOfJob"


def execution_prefix_parameter(default_value: str, *, name: str = EXECUTION_PREFIX_PARAMETER) -> StringParameter:
    """The execution-prefix pipeline parameter, its default an ``s3://`` prefix (validated, normalised).

    Raises
    ------
    BuildError
        ``BUILD-S3-URI`` when ``default_value`` is not a valid S3 URI.

    Examples
    --------
    >>> execution_prefix_parameter("s3://bucket/pipe/")
    StringParameter(name='ExecutionPrefix', default_value='s3://bucket/pipe')
    """
    return StringParameter(name=name, default_value=s3_join(default_value))


def output_destination(
    execution_prefix: str | PipelineValue, *, step_folder: str, job_type: str, logical_name: str
) -> Join:
    """``<execution prefix>/<execution id>/<step folder>/<job type>/<logical name>``, joined when the step runs.

    Raises
    ------
    BuildError
        ``BUILD-OUTPUT-PATH`` when a path part is not snake_case, ``BUILD-S3-URI`` for a bad prefix.
    """
    for label, part in (("step folder", step_folder), ("job type", job_type), ("output name", logical_name)):
        if not is_snake_case(part):
            raise BuildError(
                Code.BUILD_OUTPUT_PATH,
                f"the {label} of an output destination must be snake_case; got {part!r}.",
                hint="use lowercase letters, digits and underscores",
            )
    prefix = s3_join(execution_prefix) if isinstance(execution_prefix, str) else execution_prefix
    return Join(on="/", values=(prefix, EXECUTION_ID, step_folder, job_type, logical_name))


def executed_output_uri(
    execution_prefix: str, execution_id: str, *, step_folder: str, job_type: str, logical_name: str
) -> str:
    """The URI :func:`output_destination` becomes in the execution ``execution_id`` with the prefix's value.

    Examples
    --------
    >>> executed_output_uri("s3://bucket/runs/", "a1b2c3", step_folder="model_calibration", job_type="calibration",
    ...                     logical_name="metrics_output")
    's3://bucket/runs/a1b2c3/model_calibration/calibration/metrics_output'
    """
    joined = output_destination(execution_prefix, step_folder=step_folder, job_type=job_type, logical_name=logical_name)
    return s3_join(*(execution_id if value == EXECUTION_ID else str(value) for value in joined.values))


def processing_outputs(
    spec: StepSpecification[InputNameT, OutputNameT],
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT],
    *,
    execution_prefix: str | PipelineValue,
    job_type: str,
    step_folder: str | None = None,
) -> tuple[ProcessingOutputDefinition, ...]:
    """One processing output per spec output, in spec order, from the contract's container paths.

    ``step_folder`` defaults to the snake_case step type.

    Raises
    ------
    BuildError
        As :func:`output_destination`.
    """
    folder = snake_case(spec.step_type) if step_folder is None else step_folder
    return tuple(
        ProcessingOutputDefinition(
            output_name=output.name,
            source=contract.output_paths[output.logical_name],
            destination=output_destination(
                execution_prefix, step_folder=folder, job_type=job_type, logical_name=output.name
            ),
        )
        for output in spec.outputs
    )
