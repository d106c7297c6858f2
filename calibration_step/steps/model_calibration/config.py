"""Tier 3: ``ModelCalibrationConfig``, every parameter of the script, and what it sends to it.

Each script parameter is one field, named like its env var in lower case, with the default,
accepted values and range of the step's interface (:mod:`calibration_step.script.interface`), so
a config that builds is a config the script accepts; the rules between fields are the
rules of :func:`~calibration_step.script.setting_rules.setting_conflicts`.
:func:`model_calibration_environment` turns a config into the env vars of the contract,
:func:`model_calibration_arguments` into the script's non-path arguments (``job_type``); the
builder adds the path arguments from the contract.

Modes
-----
- binary (``is_binary=True``, no ``score_fields``): ``label_field`` against ``score_field``;
- multi-class (``is_binary=False``): score columns ``score_field_prefix + category`` for the
  categories in ``multiclass_categories`` or ``0 .. num_classes-1`` (give one or both; when both,
  ``len(multiclass_categories) == num_classes``);
- multi-task binary (``score_fields`` and ``task_label_names``, equal length): one binary
  calibrator per (score, label) pair; ``label_field``/``score_field`` are then unused.

``gam_splines`` is at least 4: a cubic spline basis needs more splines than its order (pygam
refuses ``n_splines=3``); the script accepts 4-200.

Examples
--------
>>> config = ModelCalibrationConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0", calibration_method="platt")
>>> env = model_calibration_environment(config)
>>> env[ModelCalibrationEnv.CALIBRATION_METHOD], env[ModelCalibrationEnv.IS_BINARY]
('platt', 'true')
>>> dict(model_calibration_arguments(config))
{'job_type': 'calibration'}
>>> import attrs
>>> attrs.evolve(config, gam_splines=3)
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CONFIG-VALUE] ModelCalibrationConfig.gam_splines must be an int from 4 to 200; got 3. ...
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import attrs

from calibration_step.config.base import EXAMPLE_ESSENTIALS
from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import (
    float_in_unit_interval,
    int_between,
    is_bool,
    is_float,
    is_optional_str,
    is_str,
    non_empty,
    one_of,
    str_tuple,
    to_float,
    to_tuple,
)
from calibration_step.errors import Problem
from calibration_step.script.interface import (
    DEFAULT_JOB_TYPE,
    JOB_TYPE_ARGUMENT,
    JOB_TYPE_CHOICES,
    SETTING_DEFAULTS,
    SETTING_SPECS,
    CalibrationMethod,
    JobType,
    LogLevel,
    ModelCalibrationEnv,
    ReliabilityBins,
    ScoreSpace,
    setting_field_name,
    settings_environment,
    settings_of,
)
from calibration_step.script.setting_rules import setting_conflicts

__all__ = ["ModelCalibrationConfig", "ShardingConfig", "example_config", "model_calibration_arguments", "model_calibration_environment"]

_Env = ModelCalibrationEnv


@attrs.frozen(kw_only=True)
class ShardingConfig:
    """A run sharded over ``instance_count`` instances: the statistics and apply steps' count.

    Examples
    --------
    >>> ShardingConfig(instance_count=4).instance_count
    4
    >>> ShardingConfig(instance_count=0)
    Traceback (most recent call last):
    ...
    calibration_step.errors.ConfigError: [CONFIG-VALUE] ShardingConfig.instance_count must be an int from 1 to 100; got 0. ...
    """

    instance_count: int = attrs.field(validator=int_between(1, 100))


def _setting(env: ModelCalibrationEnv) -> Any:
    """The attrs field of the setting ``env``: the interface's default, checked against its spec.

    Returns ``Any`` as ``attrs.field`` does for a default of unknown type; the field's annotation
    in the class states the type, and the tests compare it with the interface's.
    """
    spec = SETTING_SPECS[env]
    default = getattr(SETTING_DEFAULTS, setting_field_name(env))
    if spec.kind == "choice":
        return attrs.field(default=default, validator=one_of(spec.choices))
    if spec.kind == "column":
        return attrs.field(default=default, validator=[is_str if default is not None else is_optional_str, non_empty])
    if spec.kind == "flag":
        return attrs.field(default=default, validator=is_bool)
    if spec.kind == "integer" and spec.low is not None:
        return attrs.field(default=default, validator=int_between(spec.low, spec.high, optional=default is None))
    if spec.kind == "fraction":
        return attrs.field(default=default, converter=to_float, validator=[is_float, float_in_unit_interval])
    if spec.kind == "names":
        return attrs.field(default=default, converter=to_tuple,
                           validator=str_tuple(choices=spec.choices, unique=spec.unique))
    raise TypeError(f"the interface's spec of {env.value} has no config field: {spec}")


@attrs.frozen(kw_only=True)
class ModelCalibrationConfig(ProcessingConfig):
    """Config of the ModelCalibration step: processing settings plus every script parameter.

    Parameters
    ----------
    calibration_method : {"gam", "isotonic", "platt", "beta", "temperature", "vector", "dirichlet", "auto"}, default "gam"
        ``temperature``, ``vector`` and ``dirichlet`` are multi-class only; ``auto`` chooses
        among ``auto_candidates``.
    label_field : str, default "label"
        The label column (binary and multi-class).
    score_field : str, default "prob_class_1"
        The score column (binary).
    is_binary : bool, default True
        False for multi-class.
    monotonic_constraint : bool, default True
        Whether ``gam`` is constrained monotone increasing.
    gam_splines : int, default 10
        Number of splines of ``gam``, 4 to 200.
    error_threshold : float, default 0.05
        The calibrated ECE at or below which ``threshold.passed`` is true, in (0, 1].
    calibration_bins : int, default 15
        Bins of the binned metrics, 2 to 1000.
    calibration_folds : int, default 5
        Folds of the cross-fitted metrics, 2 to 100.
    calibration_seed : int, default 0
        Seed of the fold assignment, 0 to 2**32 - 1.
    score_space : {"probability", "logit"}, default "probability"
        Whether scores are probabilities in [0, 1] or raw margins.
    job_type : {"calibration", "training", "validation", "testing"}, default "calibration"
        ``validation``/``testing`` apply the calibrator on ``calibration_model`` without fitting.
    num_classes : int or None, default None
        Number of classes (multi-class), 2 to 10000.
    score_field_prefix : str, default "prob_class_"
        Prefix of the per-class score columns (multi-class).
    multiclass_categories : tuple of str, default ()
        Class labels (multi-class); their score columns are ``score_field_prefix + category``.
    score_fields, task_label_names : tuple of str, default ()
        Score and label columns of each task (multi-task binary); equal length. Score columns
        are unique; two tasks may share a label column (two models of one target).
    weight_field : str or None, default None
        Column of sample weights used in every fit and metric.
    auto_candidates : tuple of str, default ()
        Methods ``auto`` chooses among; ``()`` means every method that fits the mode (for
        multi-class every one but one-vs-rest isotonic and unpenalised temperature).
    negative_sampling_rate : float, default 1.0
        Fraction of negatives kept when the data were down-sampled, in (0, 1]; the script
        re-weights negatives by its inverse (binary and multi-task only).
    temperature_bias : bool, default False
        Whether ``temperature`` also fits a per-class bias (multi-class only).
    reliability_bins : {"equal_width", "equal_mass"}, default "equal_width"
        The bins the reliability diagram draws (``metrics.json`` holds both).
    log_level : {"INFO", "DEBUG", "WARNING", "ERROR"}, default "INFO"
        The script's log level.
    sharding : ShardingConfig or None, default None
        Set: the step becomes three (statistics and apply on ``sharding.instance_count``
        instances over ``ShardedByS3Key`` input, fit on one); see
        :mod:`calibration_step.steps.model_calibration.sharded`. ``instance_count`` alone keeps
        SageMaker's meaning (every instance runs the whole script on every file).
    """

    calibration_method: CalibrationMethod = _setting(_Env.CALIBRATION_METHOD)
    label_field: str = _setting(_Env.LABEL_FIELD)
    score_field: str = _setting(_Env.SCORE_FIELD)
    is_binary: bool = _setting(_Env.IS_BINARY)
    monotonic_constraint: bool = _setting(_Env.MONOTONIC_CONSTRAINT)
    gam_splines: int = _setting(_Env.GAM_SPLINES)
    error_threshold: float = _setting(_Env.ERROR_THRESHOLD)
    calibration_bins: int = _setting(_Env.CALIBRATION_BINS)
    calibration_folds: int = _setting(_Env.CALIBRATION_FOLDS)
    calibration_seed: int = _setting(_Env.CALIBRATION_SEED)
    score_space: ScoreSpace = _setting(_Env.SCORE_SPACE)
    job_type: JobType = attrs.field(default=DEFAULT_JOB_TYPE, validator=one_of(JOB_TYPE_CHOICES))
    num_classes: int | None = _setting(_Env.NUM_CLASSES)
    score_field_prefix: str = _setting(_Env.SCORE_FIELD_PREFIX)
    multiclass_categories: tuple[str, ...] = _setting(_Env.MULTICLASS_CATEGORIES)
    score_fields: tuple[str, ...] = _setting(_Env.SCORE_FIELDS)
    task_label_names: tuple[str, ...] = _setting(_Env.TASK_LABEL_NAMES)
    weight_field: str | None = _setting(_Env.WEIGHT_FIELD)
    auto_candidates: tuple[CalibrationMethod, ...] = _setting(_Env.AUTO_CANDIDATES)
    negative_sampling_rate: float = _setting(_Env.NEGATIVE_SAMPLING_RATE)
    temperature_bias: bool = _setting(_Env.TEMPERATURE_BIAS)
    reliability_bins: ReliabilityBins = _setting(_Env.RELIABILITY_BINS)
    log_level: LogLevel = _setting(_Env.LOG_LEVEL)
    sharding: ShardingConfig | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(ShardingConfig)))

    @property
    def is_multi_task(self) -> bool:
        """True when ``score_fields`` name several binary tasks (derived)."""
        return bool(self.score_fields or self.task_label_names)

    def _conflicts(self) -> list[Problem]:
        problems = super()._conflicts()
        subject = type(self).__name__
        for conflict in setting_conflicts(settings_of(self), spell=setting_field_name):
            problems.append(Problem(code=conflict.config_code, message=f"{subject}.{conflict.message}",
                                    hint=conflict.hint, location=setting_field_name(conflict.setting)))
        return problems


def example_config() -> ModelCalibrationConfig:
    """A complete, valid example: binary GAM calibration with the script's defaults.

    Its essential fields are placeholders (``example-bucket``, account ``123456789012``); the
    alignment checker builds the step from it, and users can start from it with ``attrs.evolve``.

    Examples
    --------
    >>> example_config().pipeline_name
    'data-scientist-calibration-demo-us-east-1'
    """
    return ModelCalibrationConfig(**EXAMPLE_ESSENTIALS)


def model_calibration_environment(config: ModelCalibrationConfig) -> Mapping[ModelCalibrationEnv, str]:
    """The env vars of the processing job, keyed by the contract's env var names.

    Every parameter is sent explicitly (a step never depends on the script's defaults);
    ``NUM_CLASSES`` and ``WEIGHT_FIELD`` are left out when they are None. Booleans are
    ``true``/``false``, lists JSON arrays, floats their shortest ``repr``.

    Examples
    --------
    >>> config = ModelCalibrationConfig(author="jane", bucket="my-ml-bucket",
    ...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
    ...     service_name="risk", pipeline_version="1.0", is_binary=False,
    ...     multiclass_categories=("a", "b", "c"), calibration_method="temperature")
    >>> env = model_calibration_environment(config)
    >>> env[ModelCalibrationEnv.MULTICLASS_CATEGORIES], ModelCalibrationEnv.NUM_CLASSES in env
    ('["a", "b", "c"]', False)
    """
    return types.MappingProxyType(settings_environment(settings_of(config)))


def model_calibration_arguments(config: ModelCalibrationConfig) -> Mapping[str, str]:
    """The script's non-path arguments, keyed by the contract's argument names (``--<name> <value>``).

    Examples
    --------
    >>> import attrs
    >>> config = ModelCalibrationConfig(author="jane", bucket="my-ml-bucket",
    ...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
    ...     service_name="risk", pipeline_version="1.0")
    >>> dict(model_calibration_arguments(attrs.evolve(config, job_type="testing")))
    {'job_type': 'testing'}
    """
    return types.MappingProxyType({JOB_TYPE_ARGUMENT: config.job_type})
