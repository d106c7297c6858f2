"""The command line: ``--job_type``, ``--phase`` and one ``--<logical name> DIR`` per input and output.

Exits with status 0, or 2 after logging a ``CalibrationScriptError`` as ``code: message (hint)``.
SIGTERM (what SageMaker sends to stop a job) raises ``MC-E106-STOPPED`` where the run is, so it
cleans up as on any error: staging and temporary folders removed, nothing published.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Optional

from ..errors import CalibrationScriptError, Code
from .logs import logger
from ..interface import (DEFAULT_JOB_TYPE, DEFAULT_PHASE, JOB_TYPE_ARGUMENT, JOB_TYPE_CHOICES,
                         PHASE_ARGUMENT, PHASE_CHOICES, ModelCalibrationInput,
                         ModelCalibrationOutput)
from .runner import main


def build_parser() -> argparse.ArgumentParser:
    """The parser of the script's arguments: every path argument is a logical name."""
    parser = argparse.ArgumentParser(description="Fit and evaluate a score calibrator, or apply "
                                                 "a given one.")
    parser.add_argument(f"--{JOB_TYPE_ARGUMENT}", default=DEFAULT_JOB_TYPE, choices=JOB_TYPE_CHOICES)
    parser.add_argument(f"--{PHASE_ARGUMENT}", default=DEFAULT_PHASE, choices=PHASE_CHOICES)
    parser.add_argument(f"--{ModelCalibrationInput.EVALUATION_DATA.value}", required=True)
    parser.add_argument(f"--{ModelCalibrationInput.CALIBRATION_MODEL.value}", default=None)
    for output in ModelCalibrationOutput:
        parser.add_argument(f"--{output.value}", required=True)
    return parser


def _stopped(signum: int, frame: Optional[FrameType]) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise CalibrationScriptError(
        Code.MC_E106_STOPPED, "the job received SIGTERM and stopped before completing; its "
        "staging and temporary folders are removed", "run the job again; nothing was published")


@contextmanager
def sigterm_stops_the_run() -> Iterator[None]:
    """While inside, SIGTERM raises ``MC-E106-STOPPED`` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry: returns 0 on success, 2 on a ``CalibrationScriptError``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    inputs = {name.value: getattr(args, name.value) for name in ModelCalibrationInput
              if getattr(args, name.value)}
    try:
        with sigterm_stops_the_run():
            main(inputs, {name.value: getattr(args, name.value) for name in ModelCalibrationOutput},
                 os.environ, args)
    except CalibrationScriptError as exc:
        logger.error("%s: %s (%s)", exc.code, exc.message, exc.hint)
        return 2
    return 0
