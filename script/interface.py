"""The ModelCalibration step's interface, written once: names, paths, files, settings and rules.

Everything a user of the step can see: step type, entry point, logical names and their container
paths, artifact file names, each env var with its default, values and range, and the rules
between settings. The library builds its contract, specification and config from this module;
the script reads it in the container (standard library only, Python 3.10).

Each env var is one field of :class:`CalibrationSettings`, named like the env var in lower case
(also in the config); its default is the value a config starts from (None: "not sent"), and its
:class:`SettingSpec` (``SETTING_SPECS[env]``) says how it travels: kind, the default the script
applies when it is unset, choices or range, and whether the builder always sends it.
:func:`setting_conflicts` is the one statement of the rules between settings; each
:class:`Conflict` carries the script's code (None: a policy of the config only) and the config's.

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
>>> [(c.script_code, c.message) for c in setting_conflicts(settings)]
[('MC-E105-MODE-CONFLICT', "CALIBRATION_METHOD may be 'temperature' only when IS_BINARY is false.")]
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
    "METRICS_FILE", "MODEL_CALIBRATION_SCRIPT", "MODEL_CALIBRATION_STEP_TYPE", "MODES",
    "MULTICLASS_METHODS", "NUM_CLASSES_WHEN_UNSET", "OUTPUT_FILES", "OUTPUT_PATHS",
    "RELIABILITY_DIAGRAM_FILE", "REQUIREMENTS_FILE", "SCORE_SPACE_CHOICES", "SETTING_DEFAULTS",
    "SETTING_SPECS", "SUMMARY_FILE", "BinaryMethod", "CalibrationMethod", "CalibrationSettings",
    "ConcreteMethod", "Conflict", "JobType", "LogLevel", "Mode", "ModelCalibrationEnv",
    "ModelCalibrationInput", "ModelCalibrationOutput", "ScoreSpace", "SettingKind", "SettingSpec",
    "class_categories", "env_value", "env_var_name", "label_and_score_columns", "mode_methods",
    "setting_conflicts", "setting_field_name", "settings_environment", "settings_mode", "settings_of",
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
    """``metrics.json``, ``summary.json`` (completion marker) and ``reliability_diagram.png``."""
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
REQUIREMENTS_FILE: Final = "requirements.txt"
"""The script's pip requirements, shipped beside it."""
CALIBRATED_COLUMN_PREFIX: Final = "calibrated_"
"""``calibrated_data`` adds the column ``calibrated_<score column>`` per task or class."""

OUTPUT_FILES: Final[Mapping[ModelCalibrationOutput, tuple[str, ...]]] = types.MappingProxyType({
    ModelCalibrationOutput.CALIBRATION_OUTPUT: (CALIBRATOR_FILE,),
    ModelCalibrationOutput.METRICS_OUTPUT: (METRICS_FILE, SUMMARY_FILE, RELIABILITY_DIAGRAM_FILE),
})
"""The fixed file names the script writes into each output folder."""


# --- Choices ---------------------------------------------------------------------------------
JobType = Literal["training", "calibration", "validation", "testing"]
"""``--job_type``: ``training``/``calibration`` fit and evaluate; ``validation``/``testing`` apply
the calibrator given on ``calibration_model`` and only evaluate."""

BinaryMethod = Literal["isotonic", "platt", "gam", "beta", "venn_abers", "identity"]
"""Methods that fit one binary calibrator (per task, or per class one-vs-rest)."""

MulticlassOnlyMethod = Literal["temperature", "vector", "dirichlet"]
"""Multi-class methods of one softmax over the class log-scores: temperature, vector scaling and
Dirichlet calibration."""

ConcreteMethod = Literal[BinaryMethod, MulticlassOnlyMethod]
"""Methods that fit one calibrator; :data:`MulticlassOnlyMethod` ones are multi-class only."""

CalibrationMethod = Literal[ConcreteMethod, "auto"]
"""``CALIBRATION_METHOD``: a :data:`ConcreteMethod`, or ``auto``, which chooses among
``AUTO_CANDIDATES`` by inner cross-validated log loss."""

ScoreSpace = Literal["probability", "logit"]
"""``SCORE_SPACE``: scores are probabilities in [0, 1], or raw margins (logits)."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
"""``LOG_LEVEL``: the levels the script accepts."""

Mode = Literal["binary", "multitask", "multiclass"]
"""What the settings calibrate: one score column, several (score, label) pairs, or classes."""

JOB_TYPE_CHOICES: Final[tuple[str, ...]] = get_args(JobType)
BINARY_METHODS: Final[tuple[str, ...]] = get_args(BinaryMethod)
MULTICLASS_METHODS: Final[tuple[str, ...]] = get_args(ConcreteMethod)
AUTO_CANDIDATE_CHOICES: Final[tuple[str, ...]] = MULTICLASS_METHODS
CALIBRATION_METHOD_CHOICES: Final[tuple[str, ...]] = get_args(CalibrationMethod)
SCORE_SPACE_CHOICES: Final[tuple[str, ...]] = get_args(ScoreSpace)
LOG_LEVEL_CHOICES: Final[tuple[str, ...]] = get_args(LogLevel)
MODES: Final[tuple[str, ...]] = get_args(Mode)

JOB_TYPE_ARGUMENT: Final = "job_type"
"""The script's one non-path argument, ``--job_type``."""
DEFAULT_JOB_TYPE: Final[JobType] = "calibration"
APPLY_JOB_TYPES: Final[tuple[JobType, ...]] = ("validation", "testing")
"""Job types that apply the calibrator given on ``calibration_model`` instead of fitting one."""

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


# --- Modes and the rules between settings ----------------------------------------------------
def settings_mode(settings: CalibrationSettings) -> Mode:
    """``multiclass`` (IS_BINARY false), ``multitask`` (task columns given) or ``binary``.

    Examples
    --------
    >>> settings_mode(CalibrationSettings(score_fields=("p_a",), task_label_names=("y_a",)))
    'multitask'
    """
    if not settings.is_binary:
        return "multiclass"
    return "multitask" if settings.score_fields or settings.task_label_names else "binary"


def mode_methods(mode: Mode) -> tuple[str, ...]:
    """The methods that fit ``mode``: what ``auto`` may choose among, and chooses among by default.

    Examples
    --------
    >>> mode_methods("multiclass")
    ('isotonic', 'platt', 'gam', 'beta', 'venn_abers', 'identity', 'temperature', 'vector', 'dirichlet')
    """
    return MULTICLASS_METHODS if mode == "multiclass" else BINARY_METHODS


def class_categories(settings: CalibrationSettings) -> tuple[str, ...]:
    """The classes of multi-class calibration: MULTICLASS_CATEGORIES, else ``0 .. NUM_CLASSES-1``.

    Examples
    --------
    >>> class_categories(CalibrationSettings(is_binary=False, num_classes=3))
    ('0', '1', '2')
    """
    if settings.multiclass_categories:
        return settings.multiclass_categories
    count = settings.num_classes if settings.num_classes is not None else NUM_CLASSES_WHEN_UNSET
    return tuple(str(index) for index in range(count))


def label_and_score_columns(settings: CalibrationSettings) -> frozenset[str]:
    """The columns the settings read as labels or scores (the weight column must be another one).

    Examples
    --------
    >>> sorted(label_and_score_columns(CalibrationSettings(is_binary=False, multiclass_categories=("a", "b"))))
    ['label', 'prob_class_a', 'prob_class_b']
    """
    mode = settings_mode(settings)
    if mode == "multitask":
        return frozenset(settings.score_fields) | frozenset(settings.task_label_names)
    if mode == "binary":
        return frozenset({settings.label_field, settings.score_field})
    return frozenset({settings.label_field}) | {settings.score_field_prefix + c for c in class_categories(settings)}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Conflict:
    """Settings that contradict each other, reported on one of them.

    Examples
    --------
    >>> (conflict,) = setting_conflicts(CalibrationSettings(auto_candidates=("platt",)))
    >>> conflict.setting, conflict.hint
    (<ModelCalibrationEnv.AUTO_CANDIDATES: 'AUTO_CANDIDATES'>, 'set CALIBRATION_METHOD=auto, or AUTO_CANDIDATES=[]')
    """

    setting: ModelCalibrationEnv
    """The setting the conflict is reported on (the config's problem location)."""
    message: str
    """What is wrong; it starts with the setting's spelled name."""
    hint: str
    """How to fix it."""
    script_code: str | None
    """The code the script raises; None when only the config refuses it (the script applies its
    default, or ignores the setting)."""
    config_code: str = Code.CONFIG_CONFLICT
    """The code the config raises."""


class _Found:
    """The conflicts found so far; settings are spelled the reader's way."""

    def __init__(self, spell: Callable[[ModelCalibrationEnv], str]) -> None:
        self.name = spell
        self.conflicts: list[Conflict] = []

    def add(self, setting: ModelCalibrationEnv, rest: str, hint: str,
            script_code: str | None = Code.MC_E105_MODE_CONFLICT) -> None:
        self.conflicts.append(Conflict(setting=setting, message=f"{self.name(setting)} {rest}", hint=hint,
                                       script_code=script_code))


_E = ModelCalibrationEnv


def _task_rules(settings: CalibrationSettings, found: _Found) -> None:
    scores, labels = settings.score_fields, settings.task_label_names
    if len(scores) != len(labels):
        found.add(_E.TASK_LABEL_NAMES, f"must have one label per score field; got {len(labels)} labels for "
                  f"{len(scores)} score fields.",
                  f"give {found.name(_E.SCORE_FIELDS)} and {found.name(_E.TASK_LABEL_NAMES)} of equal length")
    both = sorted(set(scores) & set(labels))
    if both:
        found.add(_E.TASK_LABEL_NAMES, f"must not name a score column; got {both} in both lists.",
                  "a column is a task's score or its label, not both")


def _binary_rules(settings: CalibrationSettings, found: _Found) -> None:
    binary = found.name(_E.IS_BINARY)
    if settings.num_classes not in (None, 2):
        found.add(_E.NUM_CLASSES, f"must be unset or 2 when {binary} is true; got {settings.num_classes}.",
                  f"set {binary}=false for multi-class, or leave {found.name(_E.NUM_CLASSES)} unset")
    if settings.multiclass_categories:
        found.add(_E.MULTICLASS_CATEGORIES, f"must be empty when {binary} is true; got "
                  f"{list(settings.multiclass_categories)}.",
                  f"set {binary}=false for multi-class, or {found.name(_E.MULTICLASS_CATEGORIES)}=[]")
    if settings.calibration_method in get_args(MulticlassOnlyMethod):
        found.add(_E.CALIBRATION_METHOD, f"may be {settings.calibration_method!r} only when {binary} is false.",
                  f"use auto or a binary method: {', '.join(BINARY_METHODS)}")
    if settings_mode(settings) == "binary" and settings.label_field == settings.score_field:
        found.add(_E.SCORE_FIELD, f"must differ from {found.name(_E.LABEL_FIELD)}; both are {settings.label_field!r}.",
                  "name two different columns", Code.MC_E101_INVALID_ENV)
    if settings.temperature_bias:
        found.add(_E.TEMPERATURE_BIAS, f"applies to multi-class temperature scaling only; got true when {binary} "
                  "is true.", f"leave {found.name(_E.TEMPERATURE_BIAS)}=false", None)


def _multiclass_rules(settings: CalibrationSettings, found: _Found) -> None:
    binary, count = found.name(_E.IS_BINARY), found.name(_E.NUM_CLASSES)
    categories, given = found.name(_E.MULTICLASS_CATEGORIES), settings.multiclass_categories
    if settings.score_fields or settings.task_label_names:
        found.add(_E.SCORE_FIELDS, f"must be empty when {binary} is false; multi-task calibration is binary; got "
                  f"{list(settings.score_fields)}.",
                  f"set {binary}=true for multi-task, or {found.name(_E.SCORE_FIELDS)}=[]")
    if settings.num_classes is None and not given:
        found.add(_E.NUM_CLASSES, f"must be set (or at least two {categories} given) when {binary} is false; "
                  "got neither.", f"give {count} or {categories}", None)
    if len(given) == 1:
        found.add(_E.MULTICLASS_CATEGORIES, f"holds fewer than two categories: {list(given)}.",
                  "list every category, at least two")
    if given and settings.num_classes is not None and len(given) != settings.num_classes:
        found.add(_E.MULTICLASS_CATEGORIES, f"must hold {count}={settings.num_classes} categories; got {len(given)}.",
                  f"make {count} the number of categories, or leave it unset")
    if settings.negative_sampling_rate != 1.0:
        found.add(_E.NEGATIVE_SAMPLING_RATE, f"applies to binary labels only; got {settings.negative_sampling_rate} "
                  f"when {binary} is false.", f"leave {found.name(_E.NEGATIVE_SAMPLING_RATE)}=1, or express the "
                  f"sampling in {found.name(_E.WEIGHT_FIELD)}")


def _candidate_rules(settings: CalibrationSettings, found: _Found) -> None:
    method, candidates = found.name(_E.CALIBRATION_METHOD), found.name(_E.AUTO_CANDIDATES)
    if settings.auto_candidates and settings.calibration_method != "auto":
        found.add(_E.AUTO_CANDIDATES, f"must be empty unless {method} is 'auto'; got "
                  f"{list(settings.auto_candidates)} with {settings.calibration_method!r}.",
                  f"set {method}=auto, or {candidates}=[]")
    mode = settings_mode(settings)
    allowed = mode_methods(mode)
    unknown = [candidate for candidate in settings.auto_candidates if candidate not in allowed]
    if unknown:
        found.add(_E.AUTO_CANDIDATES, f"may name only methods of {mode} calibration; got {unknown}.",
                  f"choose among {', '.join(allowed)}")


def setting_conflicts(settings: CalibrationSettings, *,
                      spell: Callable[[ModelCalibrationEnv], str] = env_var_name) -> tuple[Conflict, ...]:
    """Every conflict between ``settings``, in the order the script checks them.

    Parameters
    ----------
    settings : CalibrationSettings
        The values; each one alone is valid (type, choice, range).
    spell : callable, default :func:`env_var_name`
        How messages and hints name a setting: the script names env vars, the config its fields
        (:func:`setting_field_name`). The wording is otherwise one.

    Returns
    -------
    tuple of Conflict
        Empty when the settings agree. The script raises the first one that has a
        ``script_code``; the config raises every one.

    Examples
    --------
    >>> settings = CalibrationSettings(score_field="label", weight_field="label")
    >>> for conflict in setting_conflicts(settings, spell=setting_field_name):
    ...     print(conflict.script_code, conflict.config_code, conflict.message)
    MC-E101-INVALID-ENV CONFIG-CONFLICT score_field must differ from label_field; both are 'label'.
    MC-E105-MODE-CONFLICT CONFIG-CONFLICT weight_field must not be a label or score column; got 'label'.
    """
    found = _Found(spell)
    _task_rules(settings, found)
    if settings.is_binary:
        _binary_rules(settings, found)
    else:
        _multiclass_rules(settings, found)
    _candidate_rules(settings, found)
    if settings.weight_field and settings.weight_field in label_and_score_columns(settings):
        found.add(_E.WEIGHT_FIELD, f"must not be a label or score column; got {settings.weight_field!r}.",
                  "name the column of sample weights")
    return tuple(found.conflicts)
