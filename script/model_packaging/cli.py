"""The command line: one ``--<logical name> DIR`` per input and output.

Exits with status 0, or 2 after printing a ``CalibrationScriptError`` as ``code: message (hint)``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Optional

from ..errors import CalibrationScriptError
from ..package_interface import PackageInput, PackageOutput
from .packing import package_model


def build_parser() -> argparse.ArgumentParser:
    """The parser of the script's arguments: every argument is a logical name and its folder."""
    parser = argparse.ArgumentParser(description="Pack a trained model, its calibrator and its metrics "
                                                 "into one model archive.")
    for name in PackageInput:  # every input is a required folder
        parser.add_argument(f"--{name.value}", required=True, metavar="DIR")
    for output in PackageOutput:
        parser.add_argument(f"--{output.value}", required=True, metavar="DIR")
    return parser


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry: returns 0 on success, 2 on a ``CalibrationScriptError``."""
    folders = vars(build_parser().parse_args(argv))
    inputs = {name: folders[name.value] for name in PackageInput}
    outputs = {name: folders[name.value] for name in PackageOutput}
    try:
        print(f"wrote {package_model(inputs, outputs, os.environ)}")
    except CalibrationScriptError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0
