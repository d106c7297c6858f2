"""The ModelCalibration step's interface, written once: names, paths, files, settings and rules.

Everything a user of the step can see: step type, entry point, logical names and their container
paths, artifact file names, each env var with its default, values and range, and the rules
between settings. The library builds its contract, specification and config from this module;
the script reads it in the container (standard library only, Python 3.10).

Each env var is one field of :class:`CalibrationSettings`, named like the env var in lower case
(also in the config); its default is the value a config starts from (None: "not sent"), and its
:class:`SettingSpec` (``SETTING_SPECS[env]``) says how it travels: kind, the default the script
applies when it is unset, choices or range, and whether the builder always sends it.
The rules between settings live beside it, in :mod:`setting_rules`.

Examples
--------
>>> ModelCalibrationEnv("GAM_SPLINES") is ModelCalibrationEnv.GAM_SPLINES
True
>>> spec = SETTING_SPECS[ModelCalibrationEnv.GAM_SPLINES]
>>> (spec.kind, spec.env_default, spec.low, spec.high)
('integer', '10', 4, 200)
>>> settings = CalibrationSettings(calibration_method="temperature")
>>> environment = settings_environment(settings)
>>> environment[ModelCalibrationEnv.CALIBRATION_METHOD], environment[ModelCalibrationEnv.IS_BINARY]
('temperature', 'true')
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
from collections.abc import Callable, Mapping
from typing import Final, Literal, TypeVar, get_args

from .errors import Code

__all__ = [
    "APPLY_JOB_TYPES", "AUTO_CANDIDATE_CHOICES", "BINARY_METHODS", "CALIBRATED_COLUMN_PREFIX",
    "CALIBRATION_METHOD_CHOICES", "CALIBRATOR_FILE", "DEFAULT_JOB_TYPE",
    "INPUT_PATHS", "JOB_TYPE_ARGUMENT", "JOB_TYPE_CHOICES", "LOG_LEVEL_CHOICES",
    "METRICS_FILE", "MODEL_CALIBRATION_SCRIPT", "PHASE_ARGUMENT", "PHASE_CHOICES", "DEFAULT_PHASE",
    "STATISTICS_FILE_PREFIX", "Phase", "MODEL_CALIBRATION_STEP_TYPE", "MODES",
    "MULTICLASS_METHODS", "NUM_CLASSES_WHEN_UNSET", "OUTPUT_FILES", "OUTPUT_PATHS",
    "RELIABILITY_DIAGRAM_FILE", "REPORT_FILE", "REQUIREMENTS_FILE", "SCORE_SPACE_CHOICES",
    "SETTING_DEFAULTS", "SETTING_SPECS", "SUMMARY_FILE", "BinaryMethod", "CalibrationMethod", "CalibrationSettings",
    "ConcreteMethod", "JobType", "LogLevel", "Mode", "ModelCalibrationEnv",
    "ModelCalibrationInput", "ModelCalibrationOutput", "ScoreSpace", "SettingKind", "SettingSpec",
    "env_value", "env_var_name",
    "setting_field_name", "settings_environment", "settings_of",
]

MODEL_CALIBRATION_STEP_TYPE: Final = "ModelCalibration"
"""The canonical step type (registry key, spec step type, config class prefix)."""

MODEL_CALIBRATION_SCRIPT: Final = "model_calibration.pyz"
"""The entry point of the processing script."""


# --- Logical inputs and outputs, their container paths and files -----------------------------
class ModelCalibrationInput(enum.Enum):
    """Logical inputs of the step (also the script's path arguments ``--<logical_name>``)."""

    EVALUATION_DATA = "evaluation_data"
    """Scored rows: a label column and one score column (binary), one per class, or several pairs."""
    CALIBRATION_MODEL = "calibration_model"
    """Optional: an existing ``calibrator.json`` applied (not fitted) by validation/testing jobs."""


class ModelCalibrationOutput(enum.Enum):
    """Logical outputs of the step (also the script's path arguments ``--<logical_name>``)."""

    CALIBRATION_OUTPUT = "calibration_output"
    """The calibrator artifact, ``calibrator.json``."""
    METRICS_OUTPUT = "metrics_output"
    """``metrics.json``, ``summary.json`` (completion marker), ``reliability_diagram.png`` and
    ``report.html``."""
    CALIBRATED_DATA = "calibrated_data"
    """The input rows plus ``calibrated_<score column>`` columns, one file per input shard."""


INPUT_PATHS: Final[Mapping[ModelCalibrationInput, str]] = types.MappingProxyType({
    ModelCalibrationInput.EVALUATION_DATA: "/opt/ml/processing/input/eval_data",
    ModelCalibrationInput.CALIBRATION_MODEL: "/opt/ml/processing/input/calibration_model",
})
"""The container path of each logical input (the builder passes it as ``--<logical_name>``)."""

OUTPUT_PATHS: Final[Mapping[ModelCalibrationOutput, str]] = types.MappingProxyType({
    ModelCalibrationOutput.CALIBRATION_OUTPUT: "/opt/ml/processing/output/calibration",
    ModelCalibrationOutput.METRICS_OUTPUT: "/opt/ml/processing/output/metrics",
    ModelCalibrationOutput.CALIBRATED_DATA: "/opt/ml/processing/output/calibrated_data",
})
"""The container path of each logical output (the builder passes it as ``--<logical_name>``)."""

CALIBRATOR_FILE: Final = "calibrator.json"
"""The calibrator artifact in ``calibration_output``."""
METRICS_FILE: Final = "metrics.json"
"""Metrics in ``metrics_output``; ``calibrated.ece_equal_width`` and ``threshold.passed`` are fixed paths."""
SUMMARY_FILE: Final = "summary.json"
"""Written last into ``metrics_output``: the completion marker."""
RELIABILITY_DIAGRAM_FILE: Final = "reliability_diagram.png"
"""The reliability diagram in ``metrics_output`` (its failure is recorded, never fatal)."""
REPORT_FILE: Final = "report.html"
"""The self-contained HTML report in ``metrics_output`` (its failure is recorded, never fatal)."""
REQUIREMENTS_FILE: Final = "requirements.txt"
"""The script's pip requirements, shipped beside it."""
CALIBRATED_COLUMN_PREFIX: Final = "calibrated_"
"""``calibrated_data`` adds the column ``calibrated_<score column>`` per task or class."""

OUTPUT_FILES: Final[Mapping[ModelCalibrationOutput, tuple[str, ...]]] = types.MappingProxyType({
    ModelCalibrationOutput.CALIBRATION_OUTPUT: (CALIBRATOR_FILE,),
    ModelCalibrationOutput.METRICS_OUTPUT: (METRICS_FILE, SUMMARY_FILE, RELIABILITY_DIAGRAM_FILE,
                                            REPORT_FILE),
})
"""The fixed file names the script writes into each output folder."""


# --- Choices ---------------------------------------------------------------------------------
JobType = Literal["training", "calibration", "validation", "testing"]
"""``--job_type``: ``training``/``calibration`` fit and evaluate; ``validation``/``testing`` apply
the calibrator given on ``calibration_model`` and only evaluate."""

BinaryMethod = Literal["isotonic", "platt", "gam", "beta", "venn_abers", "identity", "temperature"]
"""Methods that fit one binary calibrator (per task, or per class one-vs-rest; temperature is
one softmax over the class log-scores on multi-class data)."""

MulticlassOnlyMethod = Literal["vector", "dirichlet"]
"""Multi-class methods of one softmax over the class log-scores: vector scaling and Dirichlet
calibration."""

ConcreteMethod = Literal[BinaryMethod, MulticlassOnlyMethod]
"""Methods that fit one calibrator; :data:`MulticlassOnlyMethod` ones are multi-class only."""

CalibrationMethod = Literal[ConcreteMethod, "auto"]
"""``CALIBRATION_METHOD``: a :data:`ConcreteMethod`, or ``auto``, which chooses among
``AUTO_CANDIDATES`` by inner cross-validated log loss."""

ScoreSpace = Literal["probability", "logit"]
"""``SCORE_SPACE``: scores are probabilities in [0, 1], or raw margins (logits)."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
"""``LOG_LEVEL``: the levels the script accepts."""

ReliabilityBins = Literal["equal_width", "equal_mass"]
"""``RELIABILITY_BINS``: the bins the reliability diagram draws (``metrics.json`` holds both)."""

Mode = Literal["binary", "multitask", "multiclass"]
"""What the settings calibrate: one score column, several (score, label) pairs, or classes."""

JOB_TYPE_CHOICES: Final[tuple[str, ...]] = get_args(JobType)
BINARY_METHODS: Final[tuple[str, ...]] = get_args(BinaryMethod)
MULTICLASS_METHODS: Final[tuple[str, ...]] = get_args(ConcreteMethod)
AUTO_CANDIDATE_CHOICES: Final[tuple[str, ...]] = MULTICLASS_METHODS
CALIBRATION_METHOD_CHOICES: Final[tuple[str, ...]] = get_args(CalibrationMethod)
SCORE_SPACE_CHOICES: Final[tuple[str, ...]] = get_args(ScoreSpace)
LOG_LEVEL_CHOICES: Final[tuple[str, ...]] = get_args(LogLevel)
RELIABILITY_BINS_CHOICES: Final[tuple[str, ...]] = get_args(ReliabilityBins)
MODES: Final[tuple[str, ...]] = get_args(Mode)

JOB_TYPE_ARGUMENT: Final = "job_type"
"""The script's non-path argument ``--job_type`` (and ``--phase``, for sharded runs)."""
DEFAULT_JOB_TYPE: Final[JobType] = "calibration"
APPLY_JOB_TYPES: Final[tuple[JobType, ...]] = ("validation", "testing")
"""Job types that apply the calibrator given on ``calibration_model`` instead of fitting one."""

Phase = Literal["all", "statistics", "fit", "apply"]
"""``--phase``: ``all`` (one job does everything), or one phase of a run sharded over instances:
``statistics`` (each instance: its shards' fitting columns, parsed, into ``calibration_output``),
``fit`` (every instance's statistics on ``evaluation_data``: calibrator and metrics, no data
written), ``apply`` (each instance: its shards calibrated by ``calibration_model``)."""
PHASE_CHOICES: Final[tuple[str, ...]] = get_args(Phase)
PHASE_ARGUMENT: Final = "phase"
DEFAULT_PHASE: Final[Phase] = "all"
STATISTICS_FILE_PREFIX: Final = "statistics-"
"""A statistics phase writes ``statistics-<hash of its input files>.parquet``, so the instances
of one step never write the same name."""

NUM_CLASSES_WHEN_UNSET: Final = 2
"""Classes ``0 .. NUM_CLASSES-1`` the script assumes when neither NUM_CLASSES nor categories are given."""


# --- Env vars and settings -------------------------------------------------------------------
class ModelCalibrationEnv(enum.Enum):
    """Env vars the script reads; each value is the env var's name (users' interface: add, never rename)."""

    CALIBRATION_METHOD = "CALIBRATION_METHOD"
    LABEL_FIELD = "LABEL_FIELD"
    SCORE_FIELD = "SCORE_FIELD"
    IS_BINARY = "IS_BINARY"
    MONOTONIC_CONSTRAINT = "MONOTONIC_CONSTRAINT"
    GAM_SPLINES = "GAM_SPLINES"
    ERROR_THRESHOLD = "ERROR_THRESHOLD"
    CALIBRATION_BINS = "CALIBRATION_BINS"
    CALIBRATION_FOLDS = "CALIBRATION_FOLDS"
    CALIBRATION_SEED = "CALIBRATION_SEED"
    SCORE_SPACE = "SCORE_SPACE"
    LOG_LEVEL = "LOG_LEVEL"
    NUM_CLASSES = "NUM_CLASSES"
    SCORE_FIELD_PREFIX = "SCORE_FIELD_PREFIX"
    MULTICLASS_CATEGORIES = "MULTICLASS_CATEGORIES"
    SCORE_FIELDS = "SCORE_FIELDS"
    TASK_LABEL_NAMES = "TASK_LABEL_NAMES"
    WEIGHT_FIELD = "WEIGHT_FIELD"
    AUTO_CANDIDATES = "AUTO_CANDIDATES"
    NEGATIVE_SAMPLING_RATE = "NEGATIVE_SAMPLING_RATE"
    TEMPERATURE_BIAS = "TEMPERATURE_BIAS"
    RELIABILITY_BINS = "RELIABILITY_BINS"


SettingKind = Literal["choice", "column", "flag", "integer", "fraction", "names"]
"""How a setting travels as an env var: one of ``choices``; a column name (``""`` is "none" when
the default is None); ``true``/``false`` (the script also accepts ``1``/``0``, any case); an
integer from ``low`` to ``high``; a number in (0, 1]; a JSON array of names."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SettingSpec:
    """How one setting travels as an env var, and which values it accepts.

    Examples
    --------
    >>> SETTING_SPECS[ModelCalibrationEnv.LOG_LEVEL].choices
    ('DEBUG', 'INFO', 'WARNING', 'ERROR')
    """

    kind: SettingKind
    env_default: str
    """The value the script applies when the env var is unset."""
    required: bool = False
    """The builder always sends it (the script's default serves local runs only)."""
    choices: tuple[str, ...] = ()
    """``choice``: the accepted values; ``names``: the accepted items (empty: any name)."""
    fold_case: Literal["lower", "upper"] | None = None
    """The script folds the env value (or each item) to this case before comparing with ``choices``."""
    low: int | None = None
    high: int | None = None
    unique: bool = True
    """``names``: no item may repeat."""
    integer_names: bool = False
    """``names``: integral JSON numbers are accepted and become names (``2.0`` is ``"2"``)."""


T = TypeVar("T")
_SPEC: Final = "setting"


def _setting(default: T, spec: SettingSpec) -> T:
    """A :class:`CalibrationSettings` field with its default and, as metadata, its spec."""
    field: T = dataclasses.field(default=default, metadata={_SPEC: spec})
    return field


def _choice(default: T, choices: tuple[str, ...], fold_case: Literal["lower", "upper"] = "lower",
            required: bool = False) -> T:
    return _setting(default, SettingSpec(kind="choice", env_default=str(default), required=required,
                                         choices=choices, fold_case=fold_case))


def _column(default: T, required: bool = False) -> T:
    return _setting(default, SettingSpec(kind="column", env_default="" if default is None else str(default),
                                         required=required))


def _flag(default: bool, required: bool = False) -> bool:
    return _setting(default, SettingSpec(kind="flag", env_default="true" if default else "false", required=required))


def _integer(default: T, low: int, high: int, env_default: str | None = None) -> T:
    return _setting(default, SettingSpec(kind="integer", env_default=env_default or str(default), low=low, high=high))


def _fraction(default: float, env_default: str) -> float:
    return _setting(default, SettingSpec(kind="fraction", env_default=env_default))


def _names(choices: tuple[str, ...] = (), fold_case: Literal["lower", "upper"] | None = None,
           unique: bool = True, integer_names: bool = False) -> tuple[str, ...]:
    return _setting((), SettingSpec(kind="names", env_default="[]", choices=choices, fold_case=fold_case,
                                    unique=unique, integer_names=integer_names))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CalibrationSettings:
    """The value of every env var of the script, typed; None is "not sent" (the script's default applies).

    Field names are the env var names in lower case. The config holds the same fields; the
    script reads them from its environment.

    Examples
    --------
    >>> CalibrationSettings().gam_splines, CalibrationSettings().num_classes
    (10, None)
    """

    calibration_method: CalibrationMethod = _choice("gam", CALIBRATION_METHOD_CHOICES, required=True)
    label_field: str = _column("label", required=True)
    score_field: str = _column("prob_class_1")
    is_binary: bool = _flag(True, required=True)
    monotonic_constraint: bool = _flag(True)
    gam_splines: int = _integer(10, 4, 200)
    error_threshold: float = _fraction(0.05, "0.05")
    calibration_bins: int = _integer(15, 2, 1000)
    calibration_folds: int = _integer(5, 2, 100)
    calibration_seed: int = _integer(0, 0, 2**32 - 1)
    score_space: ScoreSpace = _choice("probability", SCORE_SPACE_CHOICES)
    log_level: LogLevel = _choice("INFO", LOG_LEVEL_CHOICES, fold_case="upper")
    num_classes: int | None = _integer(None, 2, 10000, env_default=str(NUM_CLASSES_WHEN_UNSET))
    score_field_prefix: str = _column("prob_class_")
    multiclass_categories: tuple[str, ...] = _names(integer_names=True)
    score_fields: tuple[str, ...] = _names()
    task_label_names: tuple[str, ...] = _names(unique=False)  # two tasks may share a label column
    weight_field: str | None = _column(None)
    auto_candidates: tuple[str, ...] = _names(choices=AUTO_CANDIDATE_CHOICES, fold_case="lower")
    negative_sampling_rate: float = _fraction(1.0, "1")
    temperature_bias: bool = _flag(False)
    reliability_bins: ReliabilityBins = _choice("equal_width", RELIABILITY_BINS_CHOICES)


def env_var_name(env: ModelCalibrationEnv) -> str:
    """The env var's name, as the script's messages spell a setting.

    Examples
    --------
    >>> env_var_name(ModelCalibrationEnv.GAM_SPLINES)
    'GAM_SPLINES'
    """
    return env.value


def setting_field_name(env: ModelCalibrationEnv) -> str:
    """The field of :class:`CalibrationSettings` (and of the config) that holds the env var's value.

    Examples
    --------
    >>> setting_field_name(ModelCalibrationEnv.GAM_SPLINES)
    'gam_splines'
    """
    return env.value.lower()


def _setting_specs(fields: tuple[dataclasses.Field[object], ...]) -> Mapping[ModelCalibrationEnv, SettingSpec]:
    """The spec of each env var, from the fields of :class:`CalibrationSettings` (one per env var)."""
    by_field = {field.name: field.metadata[_SPEC] for field in fields}
    unknown = sorted(set(by_field) - {setting_field_name(env) for env in ModelCalibrationEnv})
    missing = [env.value for env in ModelCalibrationEnv if setting_field_name(env) not in by_field]
    if unknown or missing:
        raise TypeError(f"CalibrationSettings must have one field per ModelCalibrationEnv member: fields "
                        f"without an env var {unknown}, env vars without a field {missing}")
    return types.MappingProxyType({env: by_field[setting_field_name(env)] for env in ModelCalibrationEnv})


SETTING_SPECS: Final[Mapping[ModelCalibrationEnv, SettingSpec]] = _setting_specs(
    dataclasses.fields(CalibrationSettings))
"""The spec of every env var, in the order of :class:`ModelCalibrationEnv`."""

SETTING_DEFAULTS: Final = CalibrationSettings()
"""Every setting at its default."""


def settings_of(source: object) -> CalibrationSettings:
    """The settings held by any object with one attribute per setting (a config, for one).

    Examples
    --------
    >>> settings_of(CalibrationSettings(gam_splines=12)).gam_splines
    12
    >>> settings_of(object())
    Traceback (most recent call last):
    ...
    TypeError: object has no field calibration_method, label_field, ...: it needs one field per setting ...
    """
    names = [field.name for field in dataclasses.fields(CalibrationSettings)]
    missing = [name for name in names if not hasattr(source, name)]
    if missing:
        raise TypeError(f"{type(source).__name__} has no field {', '.join(missing)}: it needs one field per "
                        "setting of the interface, named like the env var in lower case")
    return CalibrationSettings(**{name: getattr(source, name) for name in names})


def env_value(env: ModelCalibrationEnv, value: object) -> str | None:
    """The env var's text for a typed value; None for None (the env var is then not sent).

    Flags are ``true``/``false``, integers their digits, fractions their shortest ``repr``,
    names a JSON array.

    Examples
    --------
    >>> env_value(ModelCalibrationEnv.TASK_LABEL_NAMES, ("y", "y")), env_value(ModelCalibrationEnv.IS_BINARY, False)
    ('["y", "y"]', 'false')
    """
    if value is None:
        return None
    kind = SETTING_SPECS[env].kind
    if kind == "flag":
        return "true" if value else "false"
    if kind == "fraction":
        return repr(value)
    if kind == "names":
        return json.dumps(list(value)) if isinstance(value, (tuple, list)) else str(value)
    return str(value)


def settings_environment(settings: CalibrationSettings) -> dict[ModelCalibrationEnv, str]:
    """The env vars that send ``settings``: the required ones first, those that may be unset last.

    Examples
    --------
    >>> [env.value for env in settings_environment(CalibrationSettings())][:4]
    ['CALIBRATION_METHOD', 'LABEL_FIELD', 'IS_BINARY', 'SCORE_FIELD']
    """
    def position(env: ModelCalibrationEnv) -> tuple[bool, bool]:
        return not SETTING_SPECS[env].required, getattr(SETTING_DEFAULTS, setting_field_name(env)) is None

    environment: dict[ModelCalibrationEnv, str] = {}
    for env in sorted(ModelCalibrationEnv, key=position):
        text = env_value(env, getattr(settings, setting_field_name(env)))
        if text is not None:
            environment[env] = text
    return environment
