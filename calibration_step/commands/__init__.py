"""Subcommands of the ``calibration-step`` command line, one module each; internal to the package.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``;
:mod:`calibration_step.cli` runs them, and the command line is their only interface. Modules import
nothing heavy at import time (no sagemaker, pandas or scikit-learn), so ``calibration-step --help``
starts fast; heavy imports happen inside ``run``.
"""

__all__: list[str] = []
