"""``calibration-step check``: the alignment checker (script, contract, spec, dependencies, builder).

Exit codes: 0 when no level reports an error, 1 when one does (the report says which), 2 for a
usage error of the package.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--root", ".", "--format", "json", "--levels", "1,2"])
>>> args.format, args.levels
('json', (1, 2))
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["HELP", "add_arguments", "run"]

HELP = "check that script, contract, spec, dependencies and builder agree (exit 1 on any error)"


def _levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"levels must be comma-separated numbers from 1 to 4; got {text!r}") from None
    if not levels or any(level not in (1, 2, 3, 4) for level in levels):
        raise argparse.ArgumentTypeError(f"levels must be comma-separated numbers from 1 to 4; got {text!r}")
    return levels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--root``, ``--format`` and ``--levels``."""
    parser.add_argument("--root", type=Path, default=None, metavar="DIR",
                        help="check the project tree at DIR (its script/ and calibration_step/) without installing "
                             "it; default: the installed package")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format (default text)")
    parser.add_argument("--levels", type=_levels, default=(1, 2, 3, 4), metavar="N[,N...]",
                        help="levels to run: 1 script<->contract, 2 contract<->spec, 3 spec<->dependencies, "
                             "4 builder/config<->contract (default all)")


def run(args: argparse.Namespace) -> int:
    """Check, print the report, return 0 (passed) or 1 (an error was found)."""
    from calibration_step.checker.findings import render_json, render_text
    from calibration_step.checker.runner import check_installed, check_tree

    levels: tuple[int, ...] = args.levels
    root: Path | None = args.root
    report = check_installed(levels=levels) if root is None else check_tree(root, levels=levels)
    print(render_json(report) if args.format == "json" else render_text(report), end="" if args.format == "json" else "\n")
    return 0 if report.passed else 1
