"""The command line: ``--job_type`` and one ``--<logical name> DIR`` per input and output.

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
from .names import INPUT_CALIBRATION_MODEL, INPUT_EVALUATION_DATA, JOB_TYPES, OUTPUT_NAMES
from .runner import main


def build_parser() -> argparse.ArgumentParser:
    """The parser of the script's arguments: every path argument is a logical name."""
    parser = argparse.ArgumentParser(description="Fit and evaluate a score calibrator, or apply "
                                                 "a given one.")
    parser.add_argument("--job_type", default="calibration", choices=JOB_TYPES)
    parser.add_argument("--evaluation_data", required=True)
    parser.add_argument("--calibration_model", default=None)
    parser.add_argument("--calibration_output", required=True)
    parser.add_argument("--metrics_output", required=True)
    parser.add_argument("--calibrated_data", required=True)
    return parser


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry: returns 0 on success, 2 on a ``CalibrationScriptError``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    inputs = {INPUT_EVALUATION_DATA: args.evaluation_data}
    if args.calibration_model:
        inputs[INPUT_CALIBRATION_MODEL] = args.calibration_model
    try:
        main(inputs, {name: getattr(args, name) for name in OUTPUT_NAMES}, os.environ, args)
    except CalibrationScriptError as exc:
        logger.error("%s: %s (%s)", exc.code, exc.message, exc.hint)
        return 2
    return 0
