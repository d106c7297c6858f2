"""Running a definition on SageMaker from Python: create or update the pipeline, start, wait, read the metrics.

The definition is the JSON document this package builds (:func:`calibration_step.calibration_dag_definition`),
sent as it is with boto3's SageMaker client (``create_pipeline`` / ``update_pipeline``,
``start_pipeline_execution``, ``describe_pipeline_execution``), so what runs is what was built,
checked and run locally. Every function takes the user's ``boto3.Session`` (default: a new one in
the config's region); nothing here is called when a definition is built.

The calibration's outputs of an execution are under
``<execution prefix>/<execution id>/model_calibration/<job type>/``:
:func:`execution_metrics` reads its ``metrics.json``.

Examples
--------
>>> execution_id("arn:aws:sagemaker:us-east-1:123456789012:pipeline/jane-risk-us-east-1/execution/a1b2c3d4e5f6")
'a1b2c3d4e5f6'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

import attrs

from calibration_step.config.base import BasePipelineConfig
from calibration_step.errors import BuildError, Code
from calibration_step.processing.names import snake_case
from calibration_step.processing.outputs import executed_output_uri
from calibration_step.processing.s3 import s3_join, split_s3_uri
from calibration_step.script.interface import METRICS_FILE, MODEL_CALIBRATION_STEP_TYPE, ModelCalibrationOutput
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig

if TYPE_CHECKING:
    import boto3

__all__ = ["ExecutionOutcome", "execution_id", "execution_metrics", "start_execution", "upsert_pipeline",
           "wait_for_execution"]

_RUNNING: Final = frozenset({"Executing", "Stopping"})
_PIPELINE_EXISTS: Final = "Pipeline names must be unique"


def _session(session: boto3.Session | None, region: str) -> boto3.Session:
    if session is not None:
        return session
    import boto3

    return boto3.Session(region_name=region)


def upsert_pipeline(definition: Mapping[str, object], config: BasePipelineConfig, *,
                    session: boto3.Session | None = None) -> str:
    """Create the pipeline ``config.pipeline_name`` with ``definition``, or update it; return its ARN.

    SageMaker assumes ``config.role`` to run the pipeline's steps.
    """
    from botocore.exceptions import ClientError

    client = _session(session, config.region).client("sagemaker")
    request = {"PipelineName": config.pipeline_name, "PipelineDefinition": json.dumps(definition),
               "RoleArn": config.role}
    try:
        return client.create_pipeline(**request)["PipelineArn"]
    except ClientError as exc:
        if _PIPELINE_EXISTS not in exc.response.get("Error", {}).get("Message", ""):
            raise
    return client.update_pipeline(**request)["PipelineArn"]


def start_execution(config: BasePipelineConfig, parameters: Mapping[str, str] | None = None, *,
                    session: boto3.Session | None = None) -> str:
    """Start an execution of the pipeline ``config.pipeline_name`` with ``parameters``; return its ARN."""
    client = _session(session, config.region).client("sagemaker")
    values = [{"Name": name, "Value": value} for name, value in sorted((parameters or {}).items())]
    return client.start_pipeline_execution(PipelineName=config.pipeline_name, PipelineParameters=values)[
        "PipelineExecutionArn"]


def _arn_parts(execution_arn: str) -> tuple[str, str]:
    parts = execution_arn.split(":")
    tail = parts[-1].split("/") if len(parts) == 6 else []
    if len(tail) != 4 or parts[2] != "sagemaker" or tail[0] != "pipeline" or tail[2] != "execution":
        raise BuildError(Code.BUILD_EXECUTION_ARN, f"{execution_arn!r} is not the ARN of a pipeline execution.",
                         hint="pass the PipelineExecutionArn that start_execution returned")
    return parts[3], tail[3]


def execution_id(execution_arn: str) -> str:
    """The id of an execution (the ``Execution.PipelineExecutionId`` in its output URIs), from its ARN.

    Raises
    ------
    BuildError
        ``BUILD-EXECUTION-ARN`` when ``execution_arn`` is not an execution's ARN.
    """
    return _arn_parts(execution_arn)[1]


@attrs.frozen(kw_only=True)
class ExecutionOutcome:
    """How an execution ended: ``Succeeded``, ``Failed`` or ``Stopped``, and SageMaker's failure reason."""

    status: str
    failure_reason: str = ""

    @property
    def succeeded(self) -> bool:
        """Whether the execution succeeded."""
        return self.status == "Succeeded"


def wait_for_execution(execution_arn: str, *, session: boto3.Session | None = None, poll_seconds: float = 30.0,
                       timeout_seconds: float = 86_400.0,
                       sleep: Callable[[float], None] = time.sleep) -> ExecutionOutcome:
    """Poll the execution until it ends; its status and failure reason.

    A failing calibration gate ends the execution ``Failed``, its reason the gate's verdict
    (``calibrated.ece_equal_width = ... is above the error threshold ...``).

    Raises
    ------
    BuildError
        ``BUILD-EXECUTION-TIMEOUT`` when it still runs after ``timeout_seconds``;
        ``BUILD-EXECUTION-ARN`` for a value that is not an execution's ARN.
    """
    region, _id = _arn_parts(execution_arn)
    client = _session(session, region).client("sagemaker")
    waited = 0.0
    while True:
        described = client.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        status = described["PipelineExecutionStatus"]
        if status not in _RUNNING:
            return ExecutionOutcome(status=status, failure_reason=described.get("FailureReason", ""))
        if waited >= timeout_seconds:
            raise BuildError(Code.BUILD_EXECUTION_TIMEOUT,
                             f"the execution {execution_arn} is still {status} after {waited:.0f} s.",
                             hint="wait longer (timeout_seconds), or look at the execution in SageMaker Studio")
        sleep(poll_seconds)
        waited += poll_seconds


def execution_metrics(config: ModelCalibrationConfig, execution_arn: str, *, session: boto3.Session | None = None,
                      execution_prefix: str | None = None) -> dict[str, object]:
    """The calibration's ``metrics.json`` of an execution (started with ``execution_prefix``, default the config's).

    Raises
    ------
    BuildError
        ``BUILD-EXECUTION-METRICS`` when the file is missing or not a JSON object (the calibration
        step did not finish, or ran with another execution prefix).
    """
    folder = executed_output_uri(
        execution_prefix or config.pipeline_s3_location, execution_id(execution_arn),
        step_folder=snake_case(MODEL_CALIBRATION_STEP_TYPE), job_type=config.job_type,
        logical_name=ModelCalibrationOutput.METRICS_OUTPUT.value)
    uri = s3_join(folder, METRICS_FILE)
    bucket, key = split_s3_uri(uri, what="metrics URI")
    from botocore.exceptions import ClientError

    try:
        loaded: object = json.loads(_session(session, config.region).client("s3").get_object(
            Bucket=bucket, Key=key)["Body"].read())
    except (ClientError, ValueError) as exc:
        raise BuildError(Code.BUILD_EXECUTION_METRICS, f"cannot read the metrics {uri}: {exc}",
                         hint="check that the calibration step succeeded and the execution prefix is the one it ran with") from exc
    if not isinstance(loaded, dict):
        raise BuildError(Code.BUILD_EXECUTION_METRICS, f"the metrics {uri} are not a JSON object.",
                         hint="check that the calibration step succeeded")
    return loaded
