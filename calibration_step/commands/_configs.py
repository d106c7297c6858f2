"""Config files of the command line: which classes they may hold, and the calibration DAG they describe.

A config file (the :mod:`calibration_step.config_json` layout) for the commands holds one
``ModelCalibrationConfig`` and, optionally, one ``XGBoostModelEvalConfig`` and one
``PackageConfig``: the three steps of ``XGBoostModelEval -> ModelCalibration -> Package``. A
missing companion config is derived from the calibration config (same pipeline and processing
settings, same label column). ``calibration-step config init`` writes all three under the step
names ``evaluation``, :data:`CALIBRATION` and :data:`PACKAGE`.

Nothing here imports sagemaker: the DAG's configs are plain values; only building its definition
(:func:`calibration_step.assembly.calibration_dag_definition`) does.

Examples
--------
>>> configs = default_configs()
>>> sorted(configs)
['calibration', 'evaluation', 'package']
>>> dag = dag_from_configs(configs)
>>> dag.evaluation.bucket == dag.calibration.bucket == dag.package.bucket
True
>>> calibration_config({})
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CLI-CONFIG-STEPS] the config file holds no ModelCalibrationConfig; ...
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from calibration_step.config.base import BasePipelineConfig
from calibration_step.config.processing import ProcessingConfig
from calibration_step.config_json import ConfigClasses, default_config_classes, load
from calibration_step.errors import Code, ConfigError
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig, example_config
from calibration_step.steps.model_evaluation import XGBoostModelEvalConfig
from calibration_step.steps.package import PackageConfig

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

_EVALUATION: Final = "evaluation"
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
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(Code.CLI_CONFIG_ENCODING, f"cannot read the config file {str(path)!r}: {exc}.",
                          hint="save the config file as UTF-8 (calibration-step config init writes one)") from exc


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


def _processing_fields(config: ProcessingConfig) -> dict[str, object]:
    names = [field.name for field in attrs.fields(ProcessingConfig) if field.init]
    return {name: getattr(config, name) for name in names}


def _companions(calibration: ModelCalibrationConfig) -> tuple[XGBoostModelEvalConfig, PackageConfig]:
    common = _processing_fields(calibration)
    evaluation = XGBoostModelEvalConfig(**common, label_field=calibration.label_field)  # type: ignore[arg-type]  # fields copied by name from the same attrs base class
    package = PackageConfig(**common)  # type: ignore[arg-type]  # fields copied by name from the same attrs base class
    return evaluation, package


def dag_from_configs(configs: Mapping[str, BasePipelineConfig]) -> CalibrationDag:
    """The calibration DAG's configs: the file's, with missing companions derived from the calibration config."""
    from calibration_step.assembly import CalibrationDag

    calibration = calibration_config(configs)
    derived_evaluation, derived_package = _companions(calibration)
    evaluation = _one(configs, XGBoostModelEvalConfig, required=False)
    package = _one(configs, PackageConfig, required=False)
    return CalibrationDag(
        evaluation=evaluation if evaluation is not None else derived_evaluation,
        calibration=calibration,
        package=package if package is not None else derived_package,
    )


def default_configs(calibration: ModelCalibrationConfig | None = None) -> dict[str, BasePipelineConfig]:
    """The three configs ``config init`` writes: ``calibration`` (default :func:`example_config`) and its companions."""
    chosen = example_config() if calibration is None else calibration
    evaluation, package = _companions(chosen)
    return {_EVALUATION: evaluation, CALIBRATION: chosen, PACKAGE: package}
