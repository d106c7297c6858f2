"""What a local execution returns: each step's status, reason and properties, and the whole.

Examples
--------
>>> step = StepResult(name="Fit", step_type="Processing", status=StepStatus.SUCCEEDED)
>>> result = ExecutionResult(execution_id="abc", pipeline_name="p", status=ExecutionStatus.SUCCEEDED,
...                          steps=(step,))
>>> result.step("Fit").status.value, result.succeeded
('Succeeded', True)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

__all__ = ["ExecutionResult", "ExecutionStatus", "StepResult", "StepStatus"]


class StepStatus(enum.Enum):
    """A step's end state: SageMaker's Succeeded and Failed, and two for steps that did not run."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    """Not on a taken branch of a condition step, or downstream of such a step (SageMaker runs neither)."""
    NOT_STARTED = "NotStarted"
    """Not started because the execution had already failed."""


class ExecutionStatus(enum.Enum):
    """The execution's end state."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@attrs.frozen(kw_only=True)
class StepResult:
    """One step of an execution.

    ``properties`` is what a ``{"Get": "Steps.<name>...."}`` reads (a ``DescribeProcessingJob``-shaped
    mapping for a processing step, ``Outcome`` for a condition step); ``log_tail`` holds the last
    lines of the failing instances' output; ``work_dir`` the step's local folder, if it has one.
    """

    name: str
    step_type: str
    status: StepStatus
    reason: str = ""
    properties: Mapping[str, object] = attrs.field(factory=dict)
    log_tail: tuple[str, ...] = ()
    seconds: float = 0.0
    work_dir: str = ""


@attrs.frozen(kw_only=True)
class ExecutionResult:
    """One local execution of a pipeline definition."""

    execution_id: str
    pipeline_name: str
    status: ExecutionStatus
    steps: tuple[StepResult, ...]
    failure_reason: str = ""
    parameters: Mapping[str, object] = attrs.field(factory=dict)

    @property
    def succeeded(self) -> bool:
        """Whether the execution's status is Succeeded."""
        return self.status is ExecutionStatus.SUCCEEDED

    def step(self, name: str) -> StepResult:
        """The result of the step called ``name`` (``KeyError`` if the definition has none)."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)
