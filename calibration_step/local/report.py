"""The lines a local execution prints as it goes, in the words SageMaker Studio shows.

Examples
--------
>>> from calibration_step.local.results import StepResult, StepStatus
>>> for line in step_lines(StepResult(name="Fit", step_type="Processing", status=StepStatus.FAILED,
...                                   reason="[LOCAL-JOB-FAILED] AlgorithmError", log_tail=("Traceback ...",))):
...     print(line)
[Fit] Failed: [LOCAL-JOB-FAILED] AlgorithmError
    | Traceback ...
"""

from __future__ import annotations

from calibration_step.local.results import ExecutionResult, StepResult, StepStatus

__all__ = ["executing_line", "execution_line", "step_lines"]


def executing_line(name: str, detail: str) -> str:
    """The line of a step that starts."""
    return f"[{name}] Executing ({detail})"


def step_lines(result: StepResult) -> list[str]:
    """The lines of a step that ended: its status, and its reason and log tail when it failed."""
    if result.status is StepStatus.SUCCEEDED:
        extra = f": {result.reason}" if result.reason else ""
        return [f"[{result.name}] Succeeded in {result.seconds:.1f} s{extra}"]
    if result.status is StepStatus.SKIPPED:
        return [f"[{result.name}] skipped: {result.reason}"]
    if result.status is StepStatus.NOT_STARTED:
        return [f"[{result.name}] not started: {result.reason}"]
    return [f"[{result.name}] Failed: {result.reason}", *(f"    | {line}" for line in result.log_tail)]


def execution_line(result: ExecutionResult) -> str:
    """The execution's last line: its status, and its failure reason when it failed."""
    if result.succeeded:
        return f"Execution {result.execution_id}: Succeeded"
    reason = f": {result.failure_reason}" if result.failure_reason else ""
    return f"Execution {result.execution_id}: Failed{reason}"
