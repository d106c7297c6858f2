"""The command line: ``--job_type``, ``--phase`` and one ``--<logical name> DIR`` per input and output.

Exits with status 0, or 2 after logging a ``CalibrationScriptError`` as ``code: message (hint)``.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from typing import Optional

from ..errors import CalibrationScriptError
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


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry: returns 0 on success, 2 on a ``CalibrationScriptError``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    inputs = {name.value: getattr(args, name.value) for name in ModelCalibrationInput
              if getattr(args, name.value)}
    try:
        main(inputs, {name.value: getattr(args, name.value) for name in ModelCalibrationOutput},
             os.environ, args)
    except CalibrationScriptError as exc:
        logger.error("%s: %s (%s)", exc.code, exc.message, exc.hint)
        return 2
    return 0
