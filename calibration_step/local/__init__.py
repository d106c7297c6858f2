"""Execute a SageMaker pipeline definition JSON here: SageMaker's local mode without Docker.

The document that goes to SageMaker is itself executed: its parameters, expressions, condition,
fail and processing steps are interpreted, each processing job runs as local processes on a
local (or boto3) S3 store, by SageMaker's rules. See ``docs/local_execution.md``.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> result = run_pipeline_definition({"Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "no"}}]},
...                                  store=LocalS3Store(folder / "s3"), work_dir=folder / "work")
>>> result.status.value, result.failure_reason
('Failed', 'no')
"""

from calibration_step.errors import LocalExecutionError, StepFailure
from calibration_step.local.execution import run_pipeline_definition
from calibration_step.local.results import ExecutionResult, ExecutionStatus, StepResult, StepStatus
from calibration_step.local.store import Boto3S3Store, LocalS3Store, S3Store

__all__ = [
    "Boto3S3Store",
    "ExecutionResult",
    "ExecutionStatus",
    "LocalExecutionError",
    "LocalS3Store",
    "S3Store",
    "StepFailure",
    "StepResult",
    "StepStatus",
    "run_pipeline_definition",
]
