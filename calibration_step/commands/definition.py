"""``calibration-step definition``: the pipeline definition JSON of a config file, built offline.

The file's ``ModelCalibrationConfig`` (with its ``PackageConfig``, derived from it when absent)
becomes ``ModelCalibration -> gate -> Package``, wired by the resolver
(:mod:`calibration_step.assembly`): the calibration reads the ``EvaluationData`` parameter, or the
output of the user's own ``XGBoostModelEval`` step when the file holds its config (with
``script_uri``); Package runs inside the condition step on ``threshold.passed``, a Fail step on
its else branch. No AWS account, credentials or network are used: the scripts are referenced by
their S3 URIs (upload them with
:func:`calibration_step.steps.model_calibration.upload.upload_script` before running the
pipeline).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["config.json", "--output", "pipeline.json"])
>>> str(args.config), str(args.output)
('config.json', 'pipeline.json')
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calibration_step.assembly import CalibrationDag

__all__ = ["HELP", "add_arguments", "definition_text", "run"]

HELP = "print or write the pipeline definition JSON ([XGBoostModelEval ->] ModelCalibration -> gate -> Package) of a config file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``CONFIG [--output FILE] [--overwrite]``."""
    parser.add_argument("config", type=Path, metavar="CONFIG",
                        help="a config JSON (write one with: calibration-step config init FILE)")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="write the definition to FILE instead of printing it")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def definition_text(dag: CalibrationDag) -> str:
    """The DAG's pipeline definition as indented JSON text (imports sagemaker; offline)."""
    import json

    from calibration_step.assembly import calibration_dag_definition

    return json.dumps(calibration_dag_definition(dag), indent=2) + "\n"


def run(args: argparse.Namespace) -> int:
    """Load the config file, build the definition, print it or write it."""
    from calibration_step.commands._configs import dag_from_configs, load_configs
    from calibration_step.commands._files import write_new_file
    from calibration_step.commands._progress import Progress

    dag = dag_from_configs(load_configs(args.config))
    with Progress(total=1, quiet=bool(getattr(args, "quiet", False))).stage("building the pipeline definition offline"):
        text = definition_text(dag)
    output: Path | None = args.output
    if output is None:
        sys.stdout.write(text)
    else:
        write_new_file(output, text, overwrite=args.overwrite)
        print(f"wrote the definition of pipeline {dag.calibration.pipeline_name!r} to {output}")
    return 0
