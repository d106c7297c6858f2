"""Run the calibration script's command line and SIGKILL it at one test-only hook point.

Usage: ``python -m tests.reliability.kill_runner STAGE [script arguments...]``; ``STAGE`` is one of
the script's hook stages (``before_staging``, ``during_staging``, ``after_staging``,
``during_publish``, ``before_final_move``, ``after_final_move``) or ``none`` to run to the end.
The environment variable ``KILL_SIGNAL`` (a name such as ``SIGTERM``) sends another signal.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import staging


STAGING_STAGES = ("before_staging", "during_staging", "after_staging")
"""Hook points before the first file is moved into place."""
PUBLISH_STAGES = ("during_publish", "before_final_move", "after_final_move")
"""Hook points of the publish: after the first move, before summary.json's, after it."""
STAGES = STAGING_STAGES + PUBLISH_STAGES


def killer(stage: str) -> Callable[[str], None]:
    """A ``TEST_HOOK`` that kills this process (no cleanup can run) on reaching ``stage``, or
    sends it ``KILL_SIGNAL``."""
    number = signal.Signals[os.environ.get("KILL_SIGNAL", "SIGKILL")]

    def hook(current: str) -> None:
        if current == stage:
            os.kill(os.getpid(), number)

    return hook


def main(argv: Sequence[str]) -> int:
    stage, *arguments = argv
    if stage != "none":
        if stage not in STAGES:
            raise SystemExit(f"unknown stage {stage!r}; use one of {', '.join(STAGES)} or none")
        staging.TEST_HOOK = killer(stage)
    return mc.run_cli(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
