"""Config files of the command line: which classes they may hold, and the calibration DAG they describe.

A config file (the :mod:`calibration_step.config_json` layout) for the commands holds one
``ModelCalibrationConfig`` and, optionally, one ``PackageConfig`` and one
``XGBoostModelEvalConfig``: the steps of ``[XGBoostModelEval ->] ModelCalibration -> gate ->
Package``. A missing ``PackageConfig`` is derived from the calibration config (same pipeline and
processing settings). The evaluation step runs the user's own script, so it is in the DAG only
when the file has its config (with ``script_uri``); without it the calibration reads the
``EvaluationData`` pipeline parameter. ``calibration-step config init`` writes the two configs
whose code ships, under the step names :data:`CALIBRATION` and :data:`PACKAGE`.

Nothing here imports sagemaker: the DAG's configs are plain values; only building its definition
(:func:`calibration_step.assembly.calibration_dag_definition`) does.

Examples
--------
>>> configs = default_configs()
>>> sorted(configs)
['calibration', 'package']
>>> dag = dag_from_configs(configs)
>>> dag.evaluation is None, dag.calibration.bucket == dag.package.bucket
(True, True)
>>> calibration_config({})
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CLI-CONFIG-STEPS] the config file holds no ModelCalibrationConfig; ...
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar


from calibration_step.config.base import BasePipelineConfig
from calibration_step.config_json import ConfigClasses, default_config_classes, load
from calibration_step.errors import CalibrationStepError, Code, ConfigError, SerializationError
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig, example_config
from calibration_step.steps.model_evaluation import XGBoostModelEvalConfig
from calibration_step.steps.package import PackageConfig, package_config_for

if TYPE_CHECKING:
    from calibration_step.assembly import CalibrationDag

__all__ = [
    "CALIBRATION",
    "PACKAGE",
    "calibration_config",
    "config_classes",
    "dag_from_configs",
    "default_configs",
    "load_configs",
]

CALIBRATION: Final = "calibration"
PACKAGE: Final = "package"

C = TypeVar("C", bound=BasePipelineConfig)


def config_classes() -> ConfigClasses:
    """The classes a config file of the command line may hold (the registry's plus the DAG's companions).

    Examples
    --------
    >>> {"ModelCalibrationConfig", "PackageConfig", "XGBoostModelEvalConfig"} <= set(config_classes())
    True
    """
    classes = dict(default_config_classes())
    classes.update({cls.__name__: cls for cls in (XGBoostModelEvalConfig, PackageConfig)})
    return classes


def load_configs(path: Path) -> dict[str, BasePipelineConfig]:
    """Every config in the file at ``path``, strictly validated (``SerializationError`` lists every problem)."""
    if not path.is_file():
        raise ConfigError(Code.CLI_CONFIG_FILE, f"config file {str(path)!r} does not exist.",
                          hint="write one with: calibration-step config init FILE")
    try:
        return load(path, classes=config_classes())
    except SerializationError as exc:
        raise _every_problem(path, exc) from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(Code.CLI_CONFIG_ENCODING, f"cannot read the config file {str(path)!r}: {exc}.",
                          hint="save the config file as UTF-8 (calibration-step config init writes one)") from exc


def _every_problem(path: Path, error: SerializationError) -> CalibrationStepError:
    """The load error with every problem of the file, each once at its JSON path (as ``config validate``)."""
    from calibration_step.commands._validate import document_problems
    from calibration_step.converter import parse_json

    try:
        problems = document_problems(parse_json(path.read_bytes()))
    except SerializationError:
        return error
    if not problems:
        return error
    return SerializationError.from_problems(error.code, f"the config file {str(path)!r}", problems)


def _one(configs: Mapping[str, BasePipelineConfig], cls: type[C], *, required: bool) -> C | None:
    found = [config for config in configs.values() if type(config) is cls]
    if len(found) > 1 or (required and not found):
        steps = sorted(step for step, config in configs.items() if type(config) is cls)
        raise ConfigError(
            Code.CLI_CONFIG_STEPS,
            f"the config file holds {len(found) or 'no'} {cls.__name__}{'' if not found else f' ({steps})'}; "
            f"the commands need exactly one.",
            hint=f"keep one {cls.__name__} (calibration-step config init writes a complete file)",
        )
    return found[0] if found else None


def calibration_config(configs: Mapping[str, BasePipelineConfig]) -> ModelCalibrationConfig:
    """The one ``ModelCalibrationConfig`` of ``configs`` (``ConfigError`` ``CLI-CONFIG-STEPS`` otherwise)."""
    config = _one(configs, ModelCalibrationConfig, required=True)
    assert config is not None  # required=True raised otherwise
    return config


def dag_from_configs(configs: Mapping[str, BasePipelineConfig]) -> CalibrationDag:
    """The calibration DAG's configs: the file's, a missing ``PackageConfig`` derived from the calibration config."""
    from calibration_step.assembly import CalibrationDag

    calibration = calibration_config(configs)
    package = _one(configs, PackageConfig, required=False)
    return CalibrationDag(
        evaluation=_one(configs, XGBoostModelEvalConfig, required=False),
        calibration=calibration,
        package=package if package is not None else package_config_for(calibration),
    )


def default_configs(calibration: ModelCalibrationConfig | None = None) -> dict[str, BasePipelineConfig]:
    """The configs ``config init`` writes: ``calibration`` (default :func:`example_config`) and its ``package``."""
    chosen = example_config() if calibration is None else calibration
    return {CALIBRATION: chosen, PACKAGE: package_config_for(chosen)}
