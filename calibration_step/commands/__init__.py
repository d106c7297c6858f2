"""Subcommands of the ``calibration-step`` command line, one module each.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules import nothing heavy at import time (no sagemaker, pandas or scikit-learn), so
``calibration-step --help`` starts fast; heavy imports happen inside ``run``.
"""
