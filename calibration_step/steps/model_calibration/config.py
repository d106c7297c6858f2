"""Tier 3: ``ModelCalibrationConfig``, every parameter of the script, and what it sends to it.

Each script parameter is one field, with the script's default and range (so a config that builds
is a config the script accepts). :func:`model_calibration_environment` turns a config into the
env vars of the contract, :func:`model_calibration_arguments` into the script's non-path
arguments (``job_type``); the builder adds the path arguments from the contract.

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

import json
import types
from collections.abc import Mapping

import attrs

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
from calibration_step.config.base import EXAMPLE_ESSENTIALS
from calibration_step.errors import Problem
from calibration_step.script.interface import (
    CALIBRATION_METHOD_CHOICES,
    JOB_TYPE_CHOICES,
    LOG_LEVEL_CHOICES,
    SCORE_SPACE_CHOICES,
    CalibrationMethod,
    JobType,
    LogLevel,
    ModelCalibrationEnv,
    ScoreSpace,
)

__all__ = ["ModelCalibrationConfig", "example_config", "model_calibration_arguments", "model_calibration_environment"]

_CANDIDATE_CHOICES = tuple(m for m in CALIBRATION_METHOD_CHOICES if m != "auto")


def _problem(config: object, field: str, message: str, hint: str) -> Problem:
    return Problem(code="CONFIG-CONFLICT", message=f"{type(config).__name__}.{field} {message}", hint=hint,
                   location=field)


@attrs.frozen(kw_only=True)
class ModelCalibrationConfig(ProcessingConfig):
    """Config of the ModelCalibration step: processing settings plus every script parameter.

    Parameters
    ----------
    calibration_method : {"gam", "isotonic", "platt", "beta", "temperature", "auto"}, default "gam"
        ``temperature`` is multi-class only; ``auto`` chooses among ``auto_candidates``.
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
        Methods ``auto`` chooses among; ``()`` means every method that fits the mode.
    negative_sampling_rate : float, default 1.0
        Fraction of negatives kept when the data were down-sampled, in (0, 1]; the script
        re-weights negatives by its inverse (binary and multi-task only).
    temperature_bias : bool, default False
        Whether ``temperature`` also fits a per-class bias (multi-class only).
    log_level : {"INFO", "DEBUG", "WARNING", "ERROR"}, default "INFO"
        The script's log level.
    """

    calibration_method: CalibrationMethod = attrs.field(default="gam", validator=one_of(CALIBRATION_METHOD_CHOICES))
    label_field: str = attrs.field(default="label", validator=[is_str, non_empty])
    score_field: str = attrs.field(default="prob_class_1", validator=[is_str, non_empty])
    is_binary: bool = attrs.field(default=True, validator=is_bool)
    monotonic_constraint: bool = attrs.field(default=True, validator=is_bool)
    gam_splines: int = attrs.field(default=10, validator=int_between(4, 200))
    error_threshold: float = attrs.field(default=0.05, converter=to_float, validator=[is_float, float_in_unit_interval])
    calibration_bins: int = attrs.field(default=15, validator=int_between(2, 1000))
    calibration_folds: int = attrs.field(default=5, validator=int_between(2, 100))
    calibration_seed: int = attrs.field(default=0, validator=int_between(0, 2**32 - 1))
    score_space: ScoreSpace = attrs.field(default="probability", validator=one_of(SCORE_SPACE_CHOICES))
    job_type: JobType = attrs.field(default="calibration", validator=one_of(JOB_TYPE_CHOICES))
    num_classes: int | None = attrs.field(default=None, validator=int_between(2, 10000, optional=True))
    score_field_prefix: str = attrs.field(default="prob_class_", validator=[is_str, non_empty])
    multiclass_categories: tuple[str, ...] = attrs.field(default=(), converter=to_tuple, validator=str_tuple())
    score_fields: tuple[str, ...] = attrs.field(default=(), converter=to_tuple, validator=str_tuple())
    task_label_names: tuple[str, ...] = attrs.field(default=(), converter=to_tuple, validator=str_tuple(unique=False))
    weight_field: str | None = attrs.field(default=None, validator=[is_optional_str, non_empty])
    auto_candidates: tuple[CalibrationMethod, ...] = attrs.field(
        default=(), converter=to_tuple, validator=str_tuple(choices=_CANDIDATE_CHOICES)
    )
    negative_sampling_rate: float = attrs.field(
        default=1.0, converter=to_float, validator=[is_float, float_in_unit_interval]
    )
    temperature_bias: bool = attrs.field(default=False, validator=is_bool)
    log_level: LogLevel = attrs.field(default="INFO", validator=one_of(LOG_LEVEL_CHOICES))

    @property
    def is_multi_task(self) -> bool:
        """True when ``score_fields`` name several binary tasks (derived)."""
        return bool(self.score_fields or self.task_label_names)

    def _conflicts(self) -> list[Problem]:
        problems = super()._conflicts()
        problems += self._mode_conflicts()
        problems += self._method_conflicts()
        return problems

    def _mode_conflicts(self) -> list[Problem]:
        problems: list[Problem] = []
        if len(self.score_fields) != len(self.task_label_names):
            problems.append(_problem(self, "task_label_names", f"must have one label per score field; got "
                                     f"{len(self.task_label_names)} labels for {len(self.score_fields)} score fields.",
                                     "give score_fields and task_label_names of equal length"))
        if set(self.score_fields) & set(self.task_label_names):
            problems.append(_problem(self, "task_label_names", f"must not name a score column; got "
                                     f"{sorted(set(self.score_fields) & set(self.task_label_names))} in both lists.",
                                     "a column is a task's score or its label, not both"))
        if self.is_binary:
            if self.num_classes not in (None, 2):
                problems.append(_problem(self, "num_classes", f"must be None or 2 when is_binary is true; got "
                                         f"{self.num_classes}.", "set is_binary=False for multi-class"))
            if self.multiclass_categories:
                problems.append(_problem(self, "multiclass_categories", "must be empty when is_binary is true; got "
                                         f"{list(self.multiclass_categories)}.", "set is_binary=False for multi-class"))
            if not self.is_multi_task and self.label_field == self.score_field:
                problems.append(_problem(self, "score_field", f"must differ from label_field; both are "
                                         f"{self.label_field!r}.", "name two different columns"))
        else:
            if self.is_multi_task:
                problems.append(_problem(self, "score_fields", "must be empty when is_binary is false; multi-task "
                                         f"calibration is binary; got {list(self.score_fields)}.",
                                         "set is_binary=True for multi-task, or drop score_fields"))
            if self.num_classes is None and len(self.multiclass_categories) < 2:
                problems.append(_problem(self, "num_classes", "must be set (or at least two multiclass_categories "
                                         f"given) when is_binary is false; got num_classes=None and "
                                         f"multiclass_categories={list(self.multiclass_categories)}.",
                                         "give num_classes or multiclass_categories"))
            if self.negative_sampling_rate != 1.0:
                problems.append(_problem(self, "negative_sampling_rate", "applies to binary labels only; got "
                                         f"{self.negative_sampling_rate} with is_binary=False.",
                                         "leave it 1.0, or express the sampling in weight_field"))
            if self.multiclass_categories and self.num_classes is not None \
                    and len(self.multiclass_categories) != self.num_classes:
                problems.append(_problem(self, "multiclass_categories", f"must hold num_classes={self.num_classes} "
                                         f"categories; got {len(self.multiclass_categories)}.",
                                         "make num_classes the number of categories, or leave it None"))
        if self.weight_field is not None and self.weight_field in self._label_and_score_columns():
            problems.append(_problem(self, "weight_field", f"must not be a label or score column; got "
                                     f"{self.weight_field!r}.", "name the column of sample weights"))
        return problems

    def _method_conflicts(self) -> list[Problem]:
        problems: list[Problem] = []
        if self.calibration_method == "temperature" and self.is_binary:
            problems.append(_problem(self, "calibration_method", "'temperature' needs is_binary=False; got "
                                     "is_binary=True.", "use a binary method (isotonic, platt, gam, beta) or auto"))
        if self.auto_candidates and self.calibration_method != "auto":
            problems.append(_problem(self, "auto_candidates", "must be empty unless calibration_method is 'auto'; "
                                     f"got {list(self.auto_candidates)} with {self.calibration_method!r}.",
                                     "drop auto_candidates or set calibration_method='auto'"))
        if self.temperature_bias and self.is_binary:
            problems.append(_problem(self, "temperature_bias", "applies to multi-class temperature scaling only; "
                                     "got True with is_binary=True.", "leave temperature_bias False"))
        if "temperature" in self.auto_candidates and self.is_binary:
            problems.append(_problem(self, "auto_candidates", "may name 'temperature' only when is_binary is false; "
                                     f"got {list(self.auto_candidates)}.", "drop 'temperature' from the candidates"))
        return problems

    def _label_and_score_columns(self) -> set[str]:
        if self.is_multi_task:
            return set(self.score_fields) | set(self.task_label_names)
        if self.is_binary:
            return {self.label_field, self.score_field}
        categories = self.multiclass_categories or tuple(str(i) for i in range(self.num_classes or 0))
        return {self.label_field} | {self.score_field_prefix + category for category in categories}


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


def _flag(value: bool) -> str:
    return "true" if value else "false"


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
    env = ModelCalibrationEnv
    values: dict[ModelCalibrationEnv, str] = {
        env.CALIBRATION_METHOD: config.calibration_method,
        env.LABEL_FIELD: config.label_field,
        env.IS_BINARY: _flag(config.is_binary),
        env.SCORE_FIELD: config.score_field,
        env.MONOTONIC_CONSTRAINT: _flag(config.monotonic_constraint),
        env.GAM_SPLINES: str(config.gam_splines),
        env.ERROR_THRESHOLD: repr(config.error_threshold),
        env.CALIBRATION_BINS: str(config.calibration_bins),
        env.CALIBRATION_FOLDS: str(config.calibration_folds),
        env.CALIBRATION_SEED: str(config.calibration_seed),
        env.SCORE_SPACE: config.score_space,
        env.LOG_LEVEL: config.log_level,
        env.SCORE_FIELD_PREFIX: config.score_field_prefix,
        env.MULTICLASS_CATEGORIES: json.dumps(list(config.multiclass_categories)),
        env.SCORE_FIELDS: json.dumps(list(config.score_fields)),
        env.TASK_LABEL_NAMES: json.dumps(list(config.task_label_names)),
        env.AUTO_CANDIDATES: json.dumps(list(config.auto_candidates)),
        env.NEGATIVE_SAMPLING_RATE: repr(config.negative_sampling_rate),
        env.TEMPERATURE_BIAS: _flag(config.temperature_bias),
    }
    if config.num_classes is not None:
        values[env.NUM_CLASSES] = str(config.num_classes)
    if config.weight_field is not None:
        values[env.WEIGHT_FIELD] = config.weight_field
    return types.MappingProxyType(values)


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
    return types.MappingProxyType({"job_type": config.job_type})
