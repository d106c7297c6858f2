"""The ``calibration-step`` command line: a thin edge over the library.

Parse, call the library, print. Errors of the package (and of the processing script) print one
line with their code and hint and return a non-zero exit code; ``--debug`` shows the traceback.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
calibration-step ...
0
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import metadata
from types import ModuleType
from typing import NoReturn, cast

from calibration_step.errors import CalibrationStepError, Code, ConfigError

__all__ = ["COMMANDS", "main", "main_entry"]

COMMANDS: tuple[str, ...] = ("demo", "run", "apply", "report", "definition", "pipeline", "config", "check")
"""Subcommand names, in help order; each is the module ``calibration_step.commands.<name>``."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_ERROR = 2


def _version() -> str:
    try:
        return metadata.version("calibration_step")
    except metadata.PackageNotFoundError:
        return "unknown"


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"calibration_step.commands.{name}")


class _ArgumentParser(argparse.ArgumentParser):
    """A parser whose errors are ``ConfigError`` (``CLI-USAGE``): printed in the one-line form, exit 2.

    Its subparsers are of the same class, so every command's argument errors are too.
    """

    def error(self, message: str) -> NoReturn:
        raise ConfigError(Code.CLI_USAGE, f"{self.prog}: {message}.", hint=f"see {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered.

    Examples
    --------
    >>> build_parser().parse_args(["run", "--env", "score_field=x"])
    Traceback (most recent call last):
    ...
    calibration_step.errors.ConfigError: [CLI-USAGE] calibration-step run: argument --env: 'score_field' is not an env var of the script; ...
    """
    parser = _ArgumentParser(
        prog="calibration-step",
        description="Calibrate classifier scores in SageMaker Pipelines, and run, check and inspect the step offline.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--quiet", action="store_true", help="log warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _command_module(name)
        sub = subparsers.add_parser(name, help=str(module.HELP), description=str(module.HELP))
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def _configure_logging(*, quiet: bool, debug: bool) -> None:
    """Our loggers (and the script's) at INFO, WARNING with ``--quiet``; other libraries at WARNING.

    The SDK and botocore log at INFO about the offline dummy session (``Found credentials in
    environment variables``, ``Not applying SDK defaults``), which would mislead: their INFO lines
    show only with ``--debug``.
    """
    logging.basicConfig(level=logging.INFO if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ours = logging.WARNING if quiet else logging.INFO
    for name in ("calibration_step", "model_calibration"):
        logging.getLogger(name).setLevel(ours)
    if not debug:  # the SDK sets this logger to INFO only when it has no level yet
        logging.getLogger("sagemaker.config").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ConfigError as exc:
        print(f"error {exc.describe()}", file=sys.stderr)
        return EXIT_ERROR
    if args.version:
        print(f"calibration-step {_version()}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    _configure_logging(quiet=args.quiet, debug=args.debug)
    handler = cast(Callable[[argparse.Namespace], int], args.handler)
    try:
        return handler(args)
    except CalibrationStepError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error {exc.describe()}", file=sys.stderr)
        return EXIT_ERROR


def main_entry() -> None:
    """Console-script entry point (a closed pipe, as in ``calibration-step ... | head``, ends quietly)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's documented recipe: point stdout at devnull so the interpreter's final flush is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_FAILURE
    sys.exit(code)
