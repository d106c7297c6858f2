"""The script's settings: every environment variable, read once, parsed and checked.

:func:`read_settings` is the only place the environment is read. All variables are optional
(defaults in brackets):

- ``CALIBRATION_METHOD`` [gam]: isotonic | platt | gam | beta | temperature (multi-class only)
  | auto; ``AUTO_CANDIDATES`` [[]]: the methods ``auto`` chooses among (``[]``: every method of
  the mode)
- ``LABEL_FIELD`` [label], ``SCORE_FIELD`` [prob_class_1]: the binary columns
- ``IS_BINARY`` [true]: false selects multi-class, whose score columns are
  ``SCORE_FIELD_PREFIX`` [prob_class_] + category, for the categories of
  ``MULTICLASS_CATEGORIES`` [[]] or, when that is ``[]``, ``0 .. NUM_CLASSES-1`` [2]
- ``SCORE_FIELDS``, ``TASK_LABEL_NAMES`` [[]]: multi-task score and label columns, paired
- ``WEIGHT_FIELD`` [""]: a column of row weights; ``NEGATIVE_SAMPLING_RATE`` [1]: the fraction
  of negatives kept when the data was down-sampled (binary labels only)
- ``MONOTONIC_CONSTRAINT`` [true] (gam), ``GAM_SPLINES`` [10] (4..200), ``TEMPERATURE_BIAS``
  [false] (one bias per class)
- ``ERROR_THRESHOLD`` [0.05] (0 < t <= 1), ``CALIBRATION_BINS`` [15] (2..1000),
  ``CALIBRATION_FOLDS`` [5] (2..100), ``CALIBRATION_SEED`` [0]
- ``SCORE_SPACE`` [probability]: probability | logit; ``LOG_LEVEL`` [INFO]

Booleans accept true/false/1/0 in any case. A bad value is ``MC-E101-INVALID-ENV``; variables
that contradict each other are ``MC-E105-MODE-CONFLICT`` (see docs/script.md for each rule).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence

from ..errors import CalibrationScriptError
from .names import BINARY_METHODS, LOG_LEVELS, METHODS, SCORE_SPACES

# Environment variable names.
ENV_CALIBRATION_METHOD = "CALIBRATION_METHOD"
ENV_LABEL_FIELD = "LABEL_FIELD"
ENV_SCORE_FIELD = "SCORE_FIELD"
ENV_IS_BINARY = "IS_BINARY"
ENV_MONOTONIC_CONSTRAINT = "MONOTONIC_CONSTRAINT"
ENV_GAM_SPLINES = "GAM_SPLINES"
ENV_ERROR_THRESHOLD = "ERROR_THRESHOLD"
ENV_CALIBRATION_BINS = "CALIBRATION_BINS"
ENV_CALIBRATION_FOLDS = "CALIBRATION_FOLDS"
ENV_CALIBRATION_SEED = "CALIBRATION_SEED"
ENV_SCORE_SPACE = "SCORE_SPACE"
ENV_LOG_LEVEL = "LOG_LEVEL"
ENV_NUM_CLASSES = "NUM_CLASSES"
ENV_SCORE_FIELD_PREFIX = "SCORE_FIELD_PREFIX"
ENV_MULTICLASS_CATEGORIES = "MULTICLASS_CATEGORIES"
ENV_SCORE_FIELDS = "SCORE_FIELDS"
ENV_TASK_LABEL_NAMES = "TASK_LABEL_NAMES"
ENV_WEIGHT_FIELD = "WEIGHT_FIELD"
ENV_AUTO_CANDIDATES = "AUTO_CANDIDATES"
ENV_NEGATIVE_SAMPLING_RATE = "NEGATIVE_SAMPLING_RATE"
ENV_TEMPERATURE_BIAS = "TEMPERATURE_BIAS"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every environment variable the script reads, parsed and validated."""

    method: str = "gam"
    label_field: str = "label"
    score_field: str = "prob_class_1"
    is_binary: bool = True
    monotonic: bool = True
    gam_splines: int = 10
    error_threshold: float = 0.05
    bins: int = 15
    folds: int = 5
    seed: int = 0
    score_space: str = "probability"
    log_level: str = "INFO"
    num_classes: int = 2
    score_field_prefix: str = "prob_class_"
    categories: tuple[str, ...] = ()
    score_fields: tuple[str, ...] = ()
    task_label_names: tuple[str, ...] = ()
    weight_field: str = ""
    auto_candidates: tuple[str, ...] = ()
    negative_sampling_rate: float = 1.0
    temperature_bias: bool = False

    @property
    def mode(self) -> str:
        """``binary`` (one score column), ``multitask`` (SCORE_FIELDS) or ``multiclass``."""
        if not self.is_binary:
            return "multiclass"
        return "multitask" if self.score_fields else "binary"

    def mode_methods(self) -> tuple[str, ...]:
        """The concrete methods that fit this mode (``temperature`` is multi-class only)."""
        return METHODS[:-1] if self.mode == "multiclass" else BINARY_METHODS


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise CalibrationScriptError("MC-E101-INVALID-ENV", f"{name}={raw!r} is not a boolean",
                                 f"set {name} to one of true, false, 1, 0")


def _parse_choice(name: str, raw: str, choices: Sequence[str], lower: bool = True) -> str:
    value = raw.strip().lower() if lower else raw.strip().upper()
    if value not in choices:
        raise CalibrationScriptError("MC-E101-INVALID-ENV", f"{name}={raw!r} is not accepted",
                                     f"set {name} to one of {', '.join(choices)}")
    return value


def _parse_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise CalibrationScriptError("MC-E101-INVALID-ENV", f"{name}={raw!r} is not accepted",
                                     f"set {name} to an integer from {low} to {high}")
    return value


def _parse_fraction(name: str, raw: str, meaning: str = "a number") -> float:
    """A number in (0, 1]: the error threshold, or the fraction of negatives kept."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise CalibrationScriptError("MC-E101-INVALID-ENV", f"{name}={raw!r} is not accepted",
                                     f"set {name} to {meaning} in (0, 1]")
    return value


def _parse_field(name: str, raw: str) -> str:
    if not raw.strip():
        raise CalibrationScriptError(
            "MC-E101-INVALID-ENV", f"{name} is empty", f"set {name} to a column name")
    return raw.strip()


def _parse_json_list(name: str, raw: str) -> list[object]:
    text = raw.strip() or "[]"
    try:
        value: object = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise CalibrationScriptError(
            "MC-E101-INVALID-ENV", f"{name}={raw!r} is not a JSON array",
            f'set {name} to a JSON array such as ["a", "b"] (or [] for none)')
    return value


def _parse_name_list(name: str, raw: str, integers: bool = False,
                     unique: bool = True) -> tuple[str, ...]:
    """A JSON array of non-empty names; with ``integers``, integral numbers become names."""
    names: list[str] = []
    for item in _parse_json_list(name, raw):
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
        elif integers and isinstance(item, (int, float)) and not isinstance(item, bool) \
                and math.isfinite(item) and float(item).is_integer():
            names.append(str(int(item)))
        else:
            raise CalibrationScriptError(
                "MC-E101-INVALID-ENV", f"{name} holds {item!r}, not a non-empty name",
                f"list {'names or integers' if integers else 'column names'} in {name}")
    if unique and len(set(names)) != len(names):
        raise CalibrationScriptError("MC-E101-INVALID-ENV", f"{name} repeats a name: {names}",
                                     f"list each name once in {name}")
    return tuple(names)


def _conflict(message: str, hint: str) -> CalibrationScriptError:
    return CalibrationScriptError("MC-E105-MODE-CONFLICT", message, hint)


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate every environment variable (the only place env vars are read).

    >>> read_settings({"CALIBRATION_METHOD": "Platt", "IS_BINARY": "1"}).method
    'platt'
    >>> read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3"}).categories
    ('0', '1', '2')
    """
    is_binary = _parse_bool(ENV_IS_BINARY, environ.get(ENV_IS_BINARY, "true"))
    method = _parse_choice(ENV_CALIBRATION_METHOD, environ.get(ENV_CALIBRATION_METHOD, "gam"),
                           METHODS)
    num_classes = _parse_int(ENV_NUM_CLASSES, environ.get(ENV_NUM_CLASSES, "2"), 2, 10000)
    categories = _parse_name_list(ENV_MULTICLASS_CATEGORIES,
                                  environ.get(ENV_MULTICLASS_CATEGORIES, "[]"), integers=True)
    score_fields = _parse_name_list(ENV_SCORE_FIELDS, environ.get(ENV_SCORE_FIELDS, "[]"))
    # Two tasks may share a label column (two models of one target).
    task_labels = _parse_name_list(ENV_TASK_LABEL_NAMES, environ.get(ENV_TASK_LABEL_NAMES, "[]"),
                                   unique=False)
    candidates = _parse_name_list(ENV_AUTO_CANDIDATES, environ.get(ENV_AUTO_CANDIDATES, "[]"))
    settings = Settings(
        method=method,
        label_field=_parse_field(ENV_LABEL_FIELD, environ.get(ENV_LABEL_FIELD, "label")),
        score_field=_parse_field(ENV_SCORE_FIELD, environ.get(ENV_SCORE_FIELD, "prob_class_1")),
        is_binary=is_binary,
        monotonic=_parse_bool(ENV_MONOTONIC_CONSTRAINT,
                              environ.get(ENV_MONOTONIC_CONSTRAINT, "true")),
        gam_splines=_parse_int(ENV_GAM_SPLINES, environ.get(ENV_GAM_SPLINES, "10"), 4, 200),
        error_threshold=_parse_fraction(ENV_ERROR_THRESHOLD,
                                        environ.get(ENV_ERROR_THRESHOLD, "0.05")),
        bins=_parse_int(ENV_CALIBRATION_BINS, environ.get(ENV_CALIBRATION_BINS, "15"), 2, 1000),
        folds=_parse_int(ENV_CALIBRATION_FOLDS, environ.get(ENV_CALIBRATION_FOLDS, "5"), 2, 100),
        seed=_parse_int(ENV_CALIBRATION_SEED, environ.get(ENV_CALIBRATION_SEED, "0"), 0,
                        2**32 - 1),
        score_space=_parse_choice(ENV_SCORE_SPACE, environ.get(ENV_SCORE_SPACE, "probability"),
                                  SCORE_SPACES),
        log_level=_parse_choice(ENV_LOG_LEVEL, environ.get(ENV_LOG_LEVEL, "INFO"), LOG_LEVELS,
                                lower=False),
        num_classes=num_classes,
        score_field_prefix=_parse_field(ENV_SCORE_FIELD_PREFIX,
                                        environ.get(ENV_SCORE_FIELD_PREFIX, "prob_class_")),
        categories=categories,
        score_fields=score_fields,
        task_label_names=task_labels,
        weight_field=environ.get(ENV_WEIGHT_FIELD, "").strip(),
        auto_candidates=tuple(c.lower() for c in candidates),
        negative_sampling_rate=_parse_fraction(ENV_NEGATIVE_SAMPLING_RATE,
                                               environ.get(ENV_NEGATIVE_SAMPLING_RATE, "1"),
                                               "the fraction of negatives kept, a number"),
        temperature_bias=_parse_bool(ENV_TEMPERATURE_BIAS,
                                     environ.get(ENV_TEMPERATURE_BIAS, "false")),
    )
    num_classes_given = ENV_NUM_CLASSES in environ
    return _check_modes(settings, num_classes_given)


def _check_modes(settings: Settings, num_classes_given: bool) -> Settings:
    """Cross-variable checks (``MC-E105-MODE-CONFLICT``); resolves categories and candidates."""
    if len(settings.score_fields) != len(settings.task_label_names):
        raise _conflict(f"SCORE_FIELDS has {len(settings.score_fields)} columns and "
                        f"TASK_LABEL_NAMES {len(settings.task_label_names)}",
                        "give one label column per score column (JSON arrays of equal length)")
    if set(settings.score_fields) & set(settings.task_label_names):
        raise _conflict(f"{sorted(set(settings.score_fields) & set(settings.task_label_names))} "
                        "is both a task score and a task label", "a column is one or the other")
    categories = settings.categories
    if settings.is_binary:
        if settings.num_classes != 2:
            raise _conflict(f"NUM_CLASSES={settings.num_classes} with IS_BINARY=true",
                            "set IS_BINARY=false for multi-class, or NUM_CLASSES=2")
        if categories:
            raise _conflict(f"MULTICLASS_CATEGORIES={list(categories)} with IS_BINARY=true",
                            "set IS_BINARY=false for multi-class, or MULTICLASS_CATEGORIES=[]")
        if settings.method == "temperature":
            raise _conflict("CALIBRATION_METHOD=temperature needs IS_BINARY=false",
                            "use a binary method (isotonic, platt, gam, beta) or auto")
        if not settings.score_fields and settings.label_field == settings.score_field:
            raise CalibrationScriptError(
                "MC-E101-INVALID-ENV", "LABEL_FIELD and SCORE_FIELD name the same column",
                "set LABEL_FIELD and SCORE_FIELD to two different columns")
    else:
        if settings.score_fields:
            raise _conflict("SCORE_FIELDS is set with IS_BINARY=false; multi-task calibration "
                            "is binary", "set IS_BINARY=true for multi-task, or SCORE_FIELDS=[]")
        if not categories:
            categories = tuple(str(i) for i in range(settings.num_classes))
        elif len(categories) < 2:
            raise _conflict(f"MULTICLASS_CATEGORIES={list(categories)} holds fewer than two "
                            "categories", "list every category (at least two)")
        elif num_classes_given and len(categories) != settings.num_classes:
            raise _conflict(f"MULTICLASS_CATEGORIES holds {len(categories)} categories, "
                            f"NUM_CLASSES={settings.num_classes}",
                            "make NUM_CLASSES the number of categories, or leave it unset")
        if settings.negative_sampling_rate != 1.0:
            raise _conflict("NEGATIVE_SAMPLING_RATE applies to binary labels only",
                            "unset NEGATIVE_SAMPLING_RATE, or express the sampling in WEIGHT_FIELD")
    candidates = settings.auto_candidates
    allowed = settings.mode_methods()
    if candidates and settings.method != "auto":
        raise _conflict(f"AUTO_CANDIDATES={list(candidates)} with CALIBRATION_METHOD="
                        f"{settings.method}", "set CALIBRATION_METHOD=auto or AUTO_CANDIDATES=[]")
    unknown = [c for c in candidates if c not in allowed]
    if unknown:
        raise _conflict(f"AUTO_CANDIDATES names {unknown}, not a method of {settings.mode} "
                        "calibration", f"choose among {', '.join(allowed)}")
    if settings.method == "auto" and not candidates:
        candidates = allowed
    columns = set(settings.score_fields) | set(settings.task_label_names) if settings.score_fields \
        else {settings.label_field, settings.score_field} if settings.is_binary \
        else {settings.label_field} | {settings.score_field_prefix + c for c in categories}
    if settings.weight_field and settings.weight_field in columns:
        raise _conflict(f"WEIGHT_FIELD={settings.weight_field!r} is a label or score column",
                        "name the column of sample weights")
    return dataclasses.replace(settings, categories=categories, auto_candidates=candidates)
