"""The local executor's errors: a tool error (exit 2) and a step failure (the step fails, exit 1).

:class:`LocalExecutionError` is raised for what the executor cannot run at all: a definition of a
shape it does not know, an undeclared parameter, a feature it does not implement. A
:class:`StepFailure` is what SageMaker would report as a failed step (a missing requirement, an
import the image lacks, a non-zero exit, no object under an input prefix): the executor catches
it, marks the step Failed with the message as its reason and fails the execution.

Examples
--------
>>> error = LocalExecutionError("LOCAL-EXAMPLE", "something is off", hint="do this")
>>> str(error)
'[LOCAL-EXAMPLE] something is off (hint: do this)'
>>> isinstance(StepFailure("LOCAL-EXAMPLE", "failed"), LocalExecutionError)
True
"""

from __future__ import annotations

from calibration_step.errors import CalibrationStepError

__all__ = ["LocalExecutionError", "StepFailure"]


class LocalExecutionError(CalibrationStepError, ValueError):
    """The definition cannot be executed locally; codes start with ``LOCAL-``."""


class StepFailure(LocalExecutionError):
    """One step fails as it would on SageMaker; the execution goes on to report it as Failed.

    ``log_tail`` holds the last lines of the step's output, when it ran.
    """

    def __init__(self, code: str, message: str, *, hint: str = "", log_tail: tuple[str, ...] = ()) -> None:
        super().__init__(code, message, hint=hint)
        self.log_tail = log_tail
