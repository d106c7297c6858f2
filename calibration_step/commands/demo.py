"""``calibration-step demo``: the whole story on generated data, offline, in a few seconds.

1. Scored rows with a known miscalibration (over-confident and too high; see
   :mod:`calibration_step.commands._demo_data`) are written to ``<output>/evaluation_data/``.
2. The shipped processing script runs locally: each logical name of the script contract maps to
   ``<output>/<logical_name>`` in place of its container path, and the env vars are exactly those
   the pipeline step would send for the demo's ``ModelCalibrationConfig``.
3. The pipeline definition of ``ModelCalibration -> gate -> Package`` for that same config is
   built offline (assembled by the resolver: the calibration reads the ``EvaluationData``
   parameter, the Package step runs under the condition on ``threshold.passed`` and a Fail step
   on its else branch), with the config file beside it. Every step of it runs code that
   ``upload_script`` uploads.
4. A local S3 folder ``<output>/s3/`` is staged for ``calibration-step pipeline run-local``: the
   objects ``upload_script`` would upload (``code_objects``), the scores at ``EvaluationData``'s
   default and a stand-in model archive at ``ModelArtifacts``' default (the demo trains no model;
   the Package step packs it with the calibrator), so the printed command runs the definition
   whole.

The metrics table (uncalibrated vs calibrated), every file written and the path of the HTML report
are printed. The output folder (``--output``, default ``./calibration-demo-<timestamp>``) must be
new or empty: nothing is ever overwritten. No AWS account, credentials or network are used.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--method", "platt", "--rows", "5000"])
>>> args.method, args.rows, args.output
('platt', 5000, None)
>>> _new_folder_name("20260101-120000", existing=set())
'calibration-demo-20260101-120000'
>>> _new_folder_name("20260101-120000", existing={"calibration-demo-20260101-120000"})
'calibration-demo-20260101-120000-2'
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Set
from pathlib import Path
from typing import TYPE_CHECKING, Final

from calibration_step.errors import Code, ConfigError
from calibration_step.script.interface import (
    BINARY_METHODS,
    METRICS_FILE,
    REPORT_FILE,
    ModelCalibrationEnv,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)

if TYPE_CHECKING:
    from calibration_step.steps.model_calibration.config import ModelCalibrationConfig

__all__ = ["CONFIG_FILE", "DATA_FILE", "DEFINITION_FILE", "HELP", "add_arguments", "run"]

HELP = "run the whole story offline on generated data: fit, metrics, artifacts, pipeline definition"

DATA_FILE: Final = "scores.parquet"
"""The generated scored rows, in ``<output>/evaluation_data/``."""
DEFINITION_FILE: Final = "pipeline_definition.json"
"""The calibration DAG's pipeline definition, in ``<output>/``."""
CONFIG_FILE: Final = "calibration-config.json"
"""The demo's config file (``calibration-step definition`` turns it into the definition again)."""
S3_FOLDER: Final = "s3"
"""The local S3 folder staged for ``calibration-step pipeline run-local``, in ``<output>/``."""
MODEL_ARCHIVE: Final = "model.tar.gz"
"""The stand-in model archive under ``ModelArtifacts``' default URI."""
STAND_IN_MODEL: Final = {"demo-model.txt": b"The demo trains no model: this file stands in for one.\n"}
"""The stand-in model archive's members."""
LOCAL_RUNS: Final = "pipeline-local"
"""The ``--work-dir`` the printed ``pipeline run-local`` command names, in ``<output>/``."""
_PREFIX: Final = "calibration-demo-"


def _rows(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 500 <= value <= 5_000_000:
        raise argparse.ArgumentTypeError(f"must be an integer from 500 to 5000000; got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``[--output DIR] [--method M] [--rows N] [--seed S]``."""
    parser.add_argument("--output", type=Path, default=None, metavar="DIR",
                        help=f"a new or empty folder for everything written (default ./{_PREFIX}<timestamp>)")
    parser.add_argument("--method", choices=(*BINARY_METHODS, "auto"), default="gam",
                        help="calibration method (default gam)")
    parser.add_argument("--rows", type=_rows, default=20_000, metavar="N", help="rows to generate (default 20000)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the data and the folds (default 0)")


def _new_folder_name(stamp: str, *, existing: Set[str]) -> str:
    """``calibration-demo-<stamp>``, with ``-2``, ``-3`` ... appended while the name is taken."""
    name, number = f"{_PREFIX}{stamp}", 1
    while name in existing:
        number += 1
        name = f"{_PREFIX}{stamp}-{number}"
    return name


def _output_folder(chosen: Path | None) -> Path:
    if chosen is None:
        here = Path.cwd()
        chosen = here / _new_folder_name(time.strftime("%Y%m%d-%H%M%S"), existing=set(os.listdir(here)))
    elif chosen.exists() and (not chosen.is_dir() or any(chosen.iterdir())):
        raise ConfigError(Code.CLI_DEMO_OUTPUT, f"the demo output {str(chosen)!r} exists and is not an empty folder.",
                          hint="give a new or empty folder with --output, or leave it out for a new one")
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen.resolve()


def _truth_line(calibrated_data: Path) -> str:
    import pandas as pd

    frame = pd.read_parquet(calibrated_data / DATA_FILE)
    truth = frame["true_probability"]
    before = (frame["prob_class_1"] - truth).abs().mean()
    after = (frame["calibrated_prob_class_1"] - truth).abs().mean()
    return f"mean |probability - true probability|: scores {before:.4f}, calibrated {after:.4f}"


def _stage_local_s3(root: Path, definition: Mapping[str, object], config: ModelCalibrationConfig,
                    scores: Path) -> None:
    """Put into the local S3 folder ``root`` what the steps of ``definition`` read: the shipped
    code, the ``scores`` file at ``EvaluationData``'s default and the stand-in model archive at
    ``ModelArtifacts``' default."""
    from calibration_step.assembly import EVALUATION_DATA_PARAMETER, MODEL_ARTIFACTS_PARAMETER
    from calibration_step.local import LocalS3Store
    from calibration_step.script.model_packaging.packing import archive_bytes
    from calibration_step.steps.model_calibration.upload import code_objects

    parameters = definition["Parameters"]
    assert isinstance(parameters, list)
    defaults = {p["Name"]: str(p["DefaultValue"]) for p in parameters}
    store = LocalS3Store(root)
    for uri, body in code_objects(config):
        store.put_bytes(uri, body)
    store.put_bytes(defaults[EVALUATION_DATA_PARAMETER].rstrip("/") + "/" + DATA_FILE, scores.read_bytes())
    store.put_bytes(defaults[MODEL_ARTIFACTS_PARAMETER].rstrip("/") + "/" + MODEL_ARCHIVE,
                    archive_bytes(STAND_IN_MODEL))


def run(args: argparse.Namespace) -> int:
    """Generate, calibrate locally, build the definition; print the table and the files."""
    import attrs

    from calibration_step.commands._configs import config_classes, dag_from_configs, default_configs
    from calibration_step.commands._demo_data import DESCRIPTION, miscalibrated_scores
    from calibration_step.commands._files import write_new_file
    from calibration_step.commands._progress import Progress
    from calibration_step.commands._report import file_listing, metrics_table
    from calibration_step.commands.definition import definition_text
    from calibration_step.commands.run import LOCAL_SCRIPT, run_script
    from calibration_step.config_json import dumps
    from calibration_step.steps.model_calibration.config import example_config, model_calibration_environment

    output = _output_folder(args.output)
    config = attrs.evolve(example_config(), calibration_method=args.method, calibration_seed=args.seed)
    progress = Progress(total=4, quiet=bool(getattr(args, "quiet", False)))
    data_folder = output / ModelCalibrationInput.EVALUATION_DATA.value
    with progress.stage(f"generating {args.rows} scored rows with a known miscalibration"):
        data_folder.mkdir()
        miscalibrated_scores(rows=args.rows, seed=args.seed).to_parquet(data_folder / DATA_FILE, index=False)
    outputs = {name.value: os.fspath(output / name.value) for name in ModelCalibrationOutput}
    environ: Mapping[str, str] = {key.value: value for key, value in model_calibration_environment(config).items()}
    with progress.stage(f"running {LOCAL_SCRIPT} locally ({args.method}, cross-fitted metrics)"):
        run_script({ModelCalibrationInput.EVALUATION_DATA.value: os.fspath(data_folder)}, outputs,
                   {**environ, ModelCalibrationEnv.LOG_LEVEL.value: "WARNING"}, config.job_type)
    configs = default_configs(config)
    with progress.stage("building the pipeline definition ModelCalibration -> gate -> Package offline"):
        write_new_file(output / CONFIG_FILE, dumps(configs, classes=config_classes()), overwrite=False)
        write_new_file(output / DEFINITION_FILE, definition_text(dag_from_configs(configs)), overwrite=False)
    with progress.stage(f"staging the steps' code and inputs in {S3_FOLDER}/ for pipeline run-local"):
        _stage_local_s3(output / S3_FOLDER, json.loads((output / DEFINITION_FILE).read_text()), config,
                        data_folder / DATA_FILE)
    metrics = json.loads((Path(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value]) / METRICS_FILE).read_text())
    print(f"data: {DESCRIPTION}")
    print(f"method: {metrics.get('selected_method', args.method)}; calibrated metrics are cross-fitted "
          f"({metrics['evaluation']['folds']} folds), each row scored by a calibrator fitted without it\n")
    print(metrics_table(metrics))
    print(_truth_line(Path(outputs[ModelCalibrationOutput.CALIBRATED_DATA.value])))
    print(f"\nwrote {output}:")
    for file in file_listing(output):
        print(f"  {file}")
    report = Path(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value]) / REPORT_FILE
    print(f"\nreport (open it in a browser): {report}")
    print("run the pipeline definition locally (its code, the scores and a stand-in model are staged in "
          f"{S3_FOLDER}/):\n  calibration-step pipeline run-local {output / DEFINITION_FILE} "
          f"--s3-root {output / S3_FOLDER} --work-dir {output / LOCAL_RUNS}")
    return 0
