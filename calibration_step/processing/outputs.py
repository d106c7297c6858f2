"""Processing outputs: each contract output path uploaded under the execution prefix.

The destination of output ``<logical_name>`` of a step is
``<execution prefix>/<step folder>/<job type>/<logical_name>``, where the execution prefix is a
pipeline parameter (so each execution can write elsewhere), the step folder is the snake_case step
type (``model_calibration``) and the job type separates training/calibration/... runs of one step.
With a parameter prefix the destination is a :class:`~calibration_step.processing.values.Join`; with a
plain ``s3://`` prefix it is a normalised string.

Examples
--------
>>> prefix = StringParameter(name="ExecutionPrefix", default_value="s3://bucket/runs")
>>> output_destination(prefix, step_folder="model_calibration", job_type="calibration",
...                    logical_name="metrics_output").to_expr()["Std:Join"]["Values"]
[{'Get': 'Parameters.ExecutionPrefix'}, 'model_calibration', 'calibration', 'metrics_output']
>>> output_destination("s3://bucket/runs/", step_folder="model_calibration", job_type="calibration",
...                    logical_name="metrics_output")
's3://bucket/runs/model_calibration/calibration/metrics_output'
"""

from __future__ import annotations

from typing import Literal

import attrs

from calibration_step._typevars import EnvNameT, InputNameT, OutputNameT
from calibration_step.processing.names import snake_case
from calibration_step.processing.s3 import s3_join
from calibration_step.processing.values import Join, PipelineValue, StringParameter
from calibration_step.contract import ScriptContract
from calibration_step.errors import BuildError, Code
from calibration_step.naming import is_snake_case
from calibration_step.spec import StepSpecification

__all__ = [
    "EXECUTION_PREFIX_PARAMETER",
    "ProcessingOutputDefinition",
    "execution_prefix_parameter",
    "output_destination",
    "processing_outputs",
]

EXECUTION_PREFIX_PARAMETER = "ExecutionPrefix"
"""The name of the pipeline parameter that holds the S3 prefix of an execution's outputs."""

OutputDestination = str | Join


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
) -> OutputDestination:
    """``<execution prefix>/<step folder>/<job type>/<logical name>``.

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
    if isinstance(execution_prefix, str):
        return s3_join(execution_prefix, step_folder, job_type, logical_name)
    return Join(on="/", values=(execution_prefix, step_folder, job_type, logical_name))


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
