"""``calibration-step run``: run the shipped processing script locally, on a folder or a file.

Local folders stand in for the container paths: each logical name of the script contract is a
flag (``--evaluation_data PATH``, ``--calibration_model PATH``, ``--calibration_output DIR``,
``--metrics_output DIR``, ``--calibrated_data DIR``), and ``--output DIR`` maps every output not
given explicitly to ``DIR/<logical_name>``. The script's env vars come, lowest precedence first,
from the environment (only the names the contract declares), the ``ModelCalibrationConfig`` of
``--config FILE`` (exactly what the pipeline step would send) and ``--env KEY=VALUE``; ``--quiet``
sets ``LOG_LEVEL=WARNING`` unless ``--env`` sets it.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--evaluation_data", "scores.csv", "--output", "out",
...                           "--env", "CALIBRATION_METHOD=platt"])
>>> sorted(output_paths(args).items())  # doctest: +NORMALIZE_WHITESPACE
[('calibrated_data', 'out/calibrated_data'), ('calibration_output', 'out/calibration_output'),
 ('metrics_output', 'out/metrics_output')]
>>> script_environment(args, ambient={"LABEL_FIELD": "y", "HOME": "/root"})
{'LABEL_FIELD': 'y', 'CALIBRATION_METHOD': 'platt'}
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from calibration_step.errors import Code, ConfigError
from calibration_step.processing.script_source import script_package_name
from calibration_step.script.interface import (
    JOB_TYPE_CHOICES,
    METRICS_FILE,
    MODEL_CALIBRATION_SCRIPT,
    ModelCalibrationEnv,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT

if TYPE_CHECKING:
    from calibration_step.steps.model_calibration.config import ModelCalibrationConfig

__all__ = ["HELP", "LOCAL_SCRIPT", "add_arguments", "output_paths", "run", "run_script", "script_environment"]

HELP = "run the processing script locally on a folder or file (local folders stand in for the container paths)"

LOCAL_SCRIPT = f"the script package {script_package_name(MODEL_CALIBRATION_SCRIPT)}/ (shipped as {MODEL_CALIBRATION_SCRIPT})"
"""What :func:`run_script` runs, as the local commands name it: the zipapp's source, in this process."""

_ENV_NAMES = tuple(member.value for member in ModelCalibrationEnv)


def _env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--env takes KEY=VALUE; got {text!r}")
    if key not in _ENV_NAMES:
        raise argparse.ArgumentTypeError(f"{key!r} is not an env var of the script; the contract declares {list(_ENV_NAMES)}")
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per logical input/output of the contract, plus ``--output``, ``--config``, ``--env``, ``--job_type``."""
    for name in ModelCalibrationInput:
        required = name is ModelCalibrationInput.EVALUATION_DATA
        parser.add_argument(f"--{name.value}", type=Path, required=required, metavar="PATH",
                            help=f"local stand-in for {MODEL_CALIBRATION_CONTRACT.input_paths[name]} (a folder or one file)"
                            + ("" if required else "; optional"))
    parser.add_argument("--output", type=Path, default=None, metavar="DIR",
                        help="put each output not given explicitly in DIR/<logical_name>")
    for output in ModelCalibrationOutput:
        parser.add_argument(f"--{output.value}", type=Path, default=None, metavar="DIR",
                            help=f"local stand-in for {MODEL_CALIBRATION_CONTRACT.output_paths[output]}")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="a config JSON: its ModelCalibrationConfig sets the script's env vars and job type")
    parser.add_argument("--env", type=_env_pair, action="append", default=[], metavar="KEY=VALUE",
                        help="set one of the script's env vars (repeatable; overrides --config)")
    parser.add_argument("--job_type", choices=JOB_TYPE_CHOICES, default=None,
                        help="the script's --job_type (default: the config's, else calibration)")


def output_paths(args: argparse.Namespace) -> dict[str, str]:
    """Each output's local folder: given explicitly, else ``--output``/<logical_name>.

    Raises
    ------
    ConfigError
        ``CLI-RUN-OUTPUT`` when an output has neither.
    """
    output: Path | None = args.output
    paths: dict[str, str] = {}
    for name in ModelCalibrationOutput:
        given: Path | None = getattr(args, name.value)
        if given is None and output is None:
            raise ConfigError(Code.CLI_RUN_OUTPUT, f"no folder for the output {name.value!r}.",
                              hint=f"give --output DIR (outputs go to DIR/<logical_name>) or --{name.value} DIR")
        paths[name.value] = os.fspath(given if given is not None else output / name.value)  # type: ignore[operator]  # output is not None here
    return paths


def _load_calibration_config(path: Path | None) -> ModelCalibrationConfig | None:
    """The ``ModelCalibrationConfig`` of the config file at ``path`` (None when no file is given)."""
    if path is None:
        return None
    from calibration_step.commands._configs import calibration_config, load_configs

    return calibration_config(load_configs(path))


def script_environment(
    args: argparse.Namespace, *, ambient: Mapping[str, str], config: ModelCalibrationConfig | None = None
) -> dict[str, str]:
    """The env vars passed to the script: ``ambient`` (contract names only) < ``config`` < ``--env``."""
    environ = {name: ambient[name] for name in _ENV_NAMES if name in ambient}
    if config is not None:
        from calibration_step.steps.model_calibration.config import model_calibration_environment

        environ.update({key.value: value for key, value in model_calibration_environment(config).items()})
    pairs: Sequence[tuple[str, str]] = args.env
    environ.update(dict(pairs))
    return environ


def run_script(inputs: Mapping[str, str], outputs: Mapping[str, str], environ: Mapping[str, str], job_type: str) -> None:
    """Call the shipped script's ``main`` with local paths (raises ``CalibrationScriptError``)."""
    from calibration_step.script import model_calibration

    model_calibration.main(inputs, outputs, environ, argparse.Namespace(job_type=job_type))


def run(args: argparse.Namespace) -> int:
    """Run the script, then print the metrics table and where the outputs are."""
    from calibration_step.commands._progress import Progress
    from calibration_step.commands._report import file_listing, metrics_table

    inputs = {name.value: os.fspath(getattr(args, name.value)) for name in ModelCalibrationInput
              if getattr(args, name.value) is not None}
    outputs = output_paths(args)
    config = _load_calibration_config(args.config)
    environ = script_environment(args, ambient=os.environ, config=config)
    if getattr(args, "quiet", False) and not any(key == ModelCalibrationEnv.LOG_LEVEL.value for key, _ in args.env):
        environ[ModelCalibrationEnv.LOG_LEVEL.value] = "WARNING"
    job_type: str = args.job_type or (config.job_type if config is not None else "calibration")
    progress = Progress(total=1, quiet=bool(getattr(args, "quiet", False)))
    with progress.stage(f"running {LOCAL_SCRIPT} (job_type {job_type})"):
        run_script(inputs, outputs, environ, job_type)
    metrics_path = Path(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value]) / METRICS_FILE
    print(metrics_table(json.loads(metrics_path.read_text(encoding="utf-8"))))
    for name, folder in outputs.items():
        print(f"{name}: {folder}")
        for file in file_listing(Path(folder)):
            print(f"  {file}")
    return 0
