"""``calibration-step report METRICS_DIR``: the HTML report of a finished run, from its
``metrics.json`` alone.

The page is the one the processing script writes as ``metrics_output/report.html`` (rendered by
the script's own ``report`` module): what was calibrated, the method and why, the threshold
verdict, the metrics before and after, the reliability diagram (redrawn from the curves and bins
stored in ``metrics.json``), the warnings and the rows dropped. It is written to
``METRICS_DIR/report.html`` or ``--output FILE``; an existing file is replaced only with
``--overwrite``. The diagram draws the bins the run drew (``RELIABILITY_BINS``, recorded as
``metrics.plot.bins``), or those of ``--bins equal_width|equal_mass``.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["run/metrics_output", "--output", "r.html"])
>>> str(args.metrics_dir), str(args.output), args.overwrite, args.bins
('run/metrics_output', 'r.html', False, None)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from calibration_step.errors import Code, ConfigError
from calibration_step.script.interface import METRICS_FILE, RELIABILITY_BINS_CHOICES, REPORT_FILE
from calibration_step.commands._files import read_json_object

__all__ = ["HELP", "add_arguments", "run"]

HELP = "render the HTML report of a finished run from its metrics_output folder (metrics.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``METRICS_DIR``, ``--output``, ``--overwrite`` and ``--bins``."""
    parser.add_argument("metrics_dir", type=Path, metavar="METRICS_DIR",
                        help="the metrics_output folder of a finished run (holds metrics.json)")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help=f"where to write the page (default METRICS_DIR/{REPORT_FILE})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing report")
    parser.add_argument("--bins", choices=RELIABILITY_BINS_CHOICES, default=None,
                        help="the bins the diagram draws (default: those the run drew)")


def _metrics(folder: Path) -> dict[str, object]:
    path = folder / METRICS_FILE
    try:
        loaded = read_json_object(path)
    except ValueError as exc:
        raise ConfigError(Code.CLI_REPORT_INPUT, f"cannot read {str(path)!r}: {exc}",
                          hint="give the metrics_output folder of a finished run (it holds metrics.json)") from exc
    if "uncalibrated" not in loaded or "calibrated" not in loaded:
        raise ConfigError(Code.CLI_REPORT_INPUT, f"{str(path)!r} is not the metrics.json of a calibration run",
                          hint="give the metrics_output folder of a finished run (it holds metrics.json)")
    return loaded


def run(args: argparse.Namespace) -> int:
    """Render the report, write it (atomically) and print its path."""
    from calibration_step.commands._files import write_new_file
    from calibration_step.script.model_calibration.report import redrawn_report

    folder: Path = args.metrics_dir
    metrics = _metrics(folder)
    target: Path = args.output if args.output is not None else folder / REPORT_FILE
    write_new_file(target, redrawn_report(metrics, args.bins), overwrite=bool(args.overwrite))
    print(f"wrote {target}")
    return 0
