"""``calibration-step config``: write, describe and validate config files.

- ``config init [FILE]`` writes a complete config file (default ``calibration-config.json``): the
  ``ModelCalibrationConfig`` of :func:`~calibration_step.steps.model_calibration.config.example_config`
  and its Package config (the calibration DAG whose code ships), in the :mod:`calibration_step.config_json` layout.
  Replace the placeholders (``author``, ``bucket``, ``role``, ``region``, ...) before use.
- ``config describe [CLASS]`` prints each field's JSON type, default, env var and meaning (from the
  class docstrings), or all of it as JSON with ``--format json``.
- ``config validate FILE`` prints every problem of the file with its JSON path (also what only
  building the steps finds) and a warning per ``config init`` placeholder left unchanged, and exits 1 if
  there is one, 0 if the file is valid and describes the calibration DAG.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["describe", "PackageConfig", "--format", "json"])
>>> args.action, args.config_class, args.format
('describe', 'PackageConfig', 'json')
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Final

__all__ = ["HELP", "add_arguments", "run"]

HELP = "write a default config file (init), describe its fields (describe), check one (validate)"

_DEFAULT_CONFIG_FILE: Final = "calibration-config.json"
_DEFAULT_CLASS: Final = "ModelCalibrationConfig"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``init``, ``describe`` and ``validate`` actions and their arguments."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="write a default config file", description="write a default config file "
                              "(the calibration DAG's three configs, placeholders to replace)")
    init.add_argument("file", type=Path, nargs="?", default=Path(_DEFAULT_CONFIG_FILE), metavar="FILE",
                      help=f"where to write (default {_DEFAULT_CONFIG_FILE})")
    init.add_argument("--overwrite", action="store_true", help="replace an existing file")
    describe = actions.add_parser("describe", help="print each field's type, default and meaning",
                                  description="print each field's JSON type, default and meaning")
    describe.add_argument("config_class", nargs="?", default=_DEFAULT_CLASS, metavar="CLASS",
                          help=f"the config class (default {_DEFAULT_CLASS}; the file's __model_type__ values)")
    describe.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    validate = actions.add_parser("validate", help="print every problem of a config file (exit 1 if any)",
                                  description="print every problem of a config file with its JSON path")
    validate.add_argument("file", type=Path, metavar="FILE", help="the config file")


def _init(args: argparse.Namespace) -> int:
    from calibration_step.commands._configs import config_classes, default_configs
    from calibration_step.commands._files import write_new_file
    from calibration_step.config_json import dumps

    path: Path = args.file
    configs = default_configs()
    write_new_file(path, dumps(configs, classes=config_classes()), overwrite=args.overwrite)
    steps = ", ".join(f"{step} ({type(config).__name__})" for step, config in configs.items())
    print(f"wrote {path}: {steps}")
    print("replace the placeholders (author, bucket, role, region, service_name, pipeline_version), then run:")
    print(f"  calibration-step config validate {path}\n  calibration-step definition {path}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    from calibration_step.commands._configs import config_classes
    from calibration_step.commands._field_docs import contract_env_vars, field_docs
    from calibration_step.errors import Code, ConfigError

    classes = config_classes()
    cls = classes.get(args.config_class)
    if cls is None:
        raise ConfigError(Code.CLI_CONFIG_CLASS, f"{args.config_class!r} is not a config class.",
                          hint=f"use one of {sorted(classes)}")
    docs = field_docs(cls, contract_env_vars(cls))
    if args.format == "json":
        rows = [{"name": d.name, "type": d.json_type, "default": d.default, "env_var": d.env_var,
                 "meaning": d.meaning, "declared_in": d.declared_in} for d in docs]
        print(json.dumps({"class": cls.__name__, "fields": rows}, indent=2))
        return 0
    print(f"{cls.__name__}: {len(docs)} fields (JSON type, default, env var of the job, meaning)")
    for doc in docs:
        env = f"; env var {doc.env_var}" if doc.env_var else ""
        print(f"\n{doc.name}: {doc.json_type}; default {doc.default}{env}")
        print(f"    {doc.meaning}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from calibration_step.commands._configs import dag_from_configs, load_configs
    from calibration_step.commands._validate import build_problems, document_problems, placeholder_warnings
    from calibration_step.converter import parse_json
    from calibration_step.errors import CalibrationStepError, Code, ConfigError, Problem, SerializationError

    path: Path = args.file
    if not path.is_file():
        raise ConfigError(Code.CLI_CONFIG_FILE, f"config file {str(path)!r} does not exist.",
                          hint="write one with: calibration-step config init FILE")
    warnings: list[Problem] = []
    try:
        document: object = parse_json(path.read_bytes())
    except SerializationError as exc:
        problems = list(exc.problems)
    else:
        problems = document_problems(document)
    if not problems:
        try:
            configs = load_configs(path)
            dag = dag_from_configs(configs)
        except CalibrationStepError as exc:
            problems = [Problem(code=exc.code, location="$.configuration.specific", message=exc.message, hint=exc.hint)]
        else:
            problems = build_problems(configs, document)
            warnings = placeholder_warnings(configs, document)
    for warning in warnings:
        print(f"warning {warning.location}: [{warning.code}] {warning.message} (hint: {warning.hint})")
    if problems:
        print(f"{path}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem.location}: [{problem.code}] {problem.message} (hint: {problem.hint})")
        return 1
    print(f"{path}: valid{f' ({len(warnings)} warning(s))' if warnings else ''}; pipeline "
          f"{dag.calibration.pipeline_name!r}, calibration method {dag.calibration.calibration_method!r}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch to the action."""
    handlers = {"init": _init, "describe": _describe, "validate": _validate}
    return handlers[str(args.action)](args)
