"""The script's settings: every environment variable, read once, parsed and checked.

:func:`read_settings` is the only place the environment is read; each variable's name, default,
choices or range are those of the interface (``SETTING_SPECS``), and the rules between them its
``setting_conflicts``. All variables are optional (defaults in brackets):

- ``CALIBRATION_METHOD`` [gam]: isotonic | platt | gam | beta | temperature | vector
  | dirichlet (these three multi-class only) | auto; ``AUTO_CANDIDATES`` [[]]: the methods
  ``auto`` chooses among (``[]``: every method of the mode, but one-vs-rest isotonic and
  temperature for multi-class)
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

Booleans accept true/false/1/0 in any case, integers ASCII digits only, and the JSON arrays are
read strictly (:func:`~calibration_step.script.strict_json.strict_loads`: nesting at most 64 deep,
no repeated key). A bad value is ``MC-E101-INVALID-ENV``; variables that contradict each other
are ``MC-E105-MODE-CONFLICT`` (see docs/script.md for each rule). A variable that is not one of
these but within edit distance 2 of one (``CALIBRATON_METHOD``) is recorded as
``MC-W103-MISSPELT-ENV`` (:func:`misspelt_env_warnings`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Optional, Tuple, Type, TypeVar, Union

from ..errors import CalibrationScriptError, Code, WarningEntry, bounded, quoted, warning_entry
from ..interface import SETTING_DEFAULTS, SETTING_SPECS, CalibrationSettings, ModelCalibrationEnv, setting_field_name
from ..setting_rules import (auto_default_candidates, class_categories, setting_conflicts,
                             settings_mode)
from ..strict_json import strict_loads

Value = Union[bool, int, float, str, Tuple[str, ...], None]
"""A parsed setting; None for an unset env var whose interface default is None."""

T = TypeVar("T")

_FRACTION_MEANINGS = {ModelCalibrationEnv.NEGATIVE_SAMPLING_RATE: "the fraction of negatives kept, a number"}
"""What a fraction setting is, for its hint (default: a number)."""


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
    reliability_bins: str = "equal_width"

    @property
    def mode(self) -> str:
        """``binary`` (one score column), ``multitask`` (SCORE_FIELDS) or ``multiclass``."""
        if not self.is_binary:
            return "multiclass"
        return "multitask" if self.score_fields else "binary"


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise CalibrationScriptError(Code.MC_E101_INVALID_ENV, f"{name}={quoted(raw)} is not a boolean",
                                 f"set {name} to one of true, false, 1, 0")


def _parse_choice(name: str, raw: str, choices: Sequence[str], lower: bool = True) -> str:
    value = raw.strip().lower() if lower else raw.strip().upper()
    if value not in choices:
        raise CalibrationScriptError(Code.MC_E101_INVALID_ENV, f"{name}={quoted(raw)} is not accepted",
                                     f"set {name} to one of {', '.join(choices)}")
    return value


def _parse_int(name: str, raw: str, low: int, high: int) -> int:
    """An integer written in ASCII digits (``int`` also reads ``٣``, ``１`` and ``1_0``)."""
    text = raw.strip()
    value = int(text) if text.isascii() and text.isdigit() else low - 1
    if not low <= value <= high:
        raise CalibrationScriptError(Code.MC_E101_INVALID_ENV, f"{name}={quoted(raw)} is not accepted",
                                     f"set {name} to an integer from {low} to {high}")
    return value


def _parse_fraction(name: str, raw: str, meaning: str = "a number") -> float:
    """A number in (0, 1]: the error threshold, or the fraction of negatives kept."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise CalibrationScriptError(Code.MC_E101_INVALID_ENV, f"{name}={quoted(raw)} is not accepted",
                                     f"set {name} to {meaning} in (0, 1]")
    return value


def _parse_field(name: str, raw: str) -> str:
    if not raw.strip():
        raise CalibrationScriptError(
            Code.MC_E101_INVALID_ENV, f"{name} is empty", f"set {name} to a column name")
    return raw.strip()


def _parse_json_list(name: str, raw: str) -> list[object]:
    text = raw.strip() or "[]"
    why = ""
    try:
        value: object = strict_loads(text)
    except ValueError as exc:
        value, why = None, f" ({exc})"
    if not isinstance(value, list):
        raise CalibrationScriptError(
            Code.MC_E101_INVALID_ENV, f"{name}={quoted(raw)} is not a JSON array{bounded(why)}",
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
                Code.MC_E101_INVALID_ENV, f"{name} holds {quoted(item)}, not a non-empty name",
                f"list {'names or integers' if integers else 'column names'} in {name}")
    if unique and len(set(names)) != len(names):
        raise CalibrationScriptError(Code.MC_E101_INVALID_ENV, f"{name} repeats a name: {quoted(names)}",
                                     f"list each name once in {name}")
    return tuple(names)


_MAX_MISSPELLING = 2
"""An env var this many edits or fewer from a setting's name is taken as a misspelling of it."""


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it is known to exceed ``limit``.

    >>> _edit_distance("CALIBRATON_METHOD", "CALIBRATION_METHOD", 2), _edit_distance("A", "BCDE", 2)
    (1, 3)
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def misspelt_env_warnings(environ: Mapping[str, str]) -> list[WarningEntry]:
    """``MC-W103-MISSPELT-ENV`` for each env var that is no setting's name but within edit
    distance 2 of one (compared in upper case): the script would otherwise ignore it silently.

    >>> (found,) = misspelt_env_warnings({"CALIBRATON_METHOD": "platt", "PATH": "/"})
    >>> found["code"], found["message"].split("?")[0]
    ('MC-W103-MISSPELT-ENV', 'CALIBRATON_METHOD is not read: did you mean CALIBRATION_METHOD')
    """
    known = [env.value for env in ModelCalibrationEnv]
    found: list[WarningEntry] = []
    for name in sorted(environ):
        if name in known:
            continue
        near = [k for k in known if _edit_distance(name.upper(), k, _MAX_MISSPELLING) <= _MAX_MISSPELLING]
        if near:
            found.append(warning_entry(Code.MC_W103_MISSPELT_ENV, f"{name[:80]} is not read: did you mean "
                                       f"{' or '.join(near)}? (a setting that is not set keeps its default)"))
    return found


def _read(environ: Mapping[str, str], env: ModelCalibrationEnv) -> Value:
    """The env var ``env`` parsed by its interface spec (kind, default, choices, range).

    An env var that is unset takes the spec's default, except one whose interface default is
    None (NUM_CLASSES, WEIGHT_FIELD): it is None, as is a blank column name of that kind.
    """
    optional = getattr(SETTING_DEFAULTS, setting_field_name(env)) is None
    if optional and env.value not in environ:
        return None
    raw = environ.get(env.value, SETTING_SPECS[env].env_default)
    spec, name = SETTING_SPECS[env], env.value
    if spec.kind == "flag":
        return _parse_bool(name, raw)
    if spec.kind == "choice":
        return _parse_choice(name, raw, spec.choices, lower=spec.fold_case == "lower")
    if spec.kind == "integer":
        low, high = spec.low if spec.low is not None else 0, spec.high if spec.high is not None else 2**63
        return _parse_int(name, raw, low, high)
    if spec.kind == "fraction":
        return _parse_fraction(name, raw, _FRACTION_MEANINGS.get(env, "a number"))
    if spec.kind == "names":
        names = _parse_name_list(name, raw, integers=spec.integer_names, unique=spec.unique)
        return tuple(n.lower() for n in names) if spec.fold_case == "lower" else names
    if optional:  # a column that may be "none"
        return raw.strip() or None
    return _parse_field(name, raw)


def _typed(kind: Type[T], value: Value) -> T:
    """``value``, which its spec's kind parses to a ``kind``."""
    if not isinstance(value, kind):
        raise TypeError(f"a setting parsed to {value!r}, not a {kind.__name__}")
    return value


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate every environment variable (the only place env vars are read).

    >>> read_settings({"CALIBRATION_METHOD": "Platt", "IS_BINARY": "1"}).method
    'platt'
    >>> read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3"}).categories
    ('0', '1', '2')
    """
    is_binary = _typed(bool, _read(environ, ModelCalibrationEnv.IS_BINARY))
    method = _typed(str, _read(environ, ModelCalibrationEnv.CALIBRATION_METHOD))
    num_classes = _read(environ, ModelCalibrationEnv.NUM_CLASSES)
    categories = _typed(tuple, _read(environ, ModelCalibrationEnv.MULTICLASS_CATEGORIES))
    score_fields = _typed(tuple, _read(environ, ModelCalibrationEnv.SCORE_FIELDS))
    task_labels = _typed(tuple, _read(environ, ModelCalibrationEnv.TASK_LABEL_NAMES))
    candidates = _typed(tuple, _read(environ, ModelCalibrationEnv.AUTO_CANDIDATES))
    settings = Settings(
        method=method,
        label_field=_typed(str, _read(environ, ModelCalibrationEnv.LABEL_FIELD)),
        score_field=_typed(str, _read(environ, ModelCalibrationEnv.SCORE_FIELD)),
        is_binary=is_binary,
        monotonic=_typed(bool, _read(environ, ModelCalibrationEnv.MONOTONIC_CONSTRAINT)),
        gam_splines=_typed(int, _read(environ, ModelCalibrationEnv.GAM_SPLINES)),
        error_threshold=_typed(float, _read(environ, ModelCalibrationEnv.ERROR_THRESHOLD)),
        bins=_typed(int, _read(environ, ModelCalibrationEnv.CALIBRATION_BINS)),
        folds=_typed(int, _read(environ, ModelCalibrationEnv.CALIBRATION_FOLDS)),
        seed=_typed(int, _read(environ, ModelCalibrationEnv.CALIBRATION_SEED)),
        score_space=_typed(str, _read(environ, ModelCalibrationEnv.SCORE_SPACE)),
        log_level=_typed(str, _read(environ, ModelCalibrationEnv.LOG_LEVEL)),
        num_classes=Settings.num_classes if num_classes is None else _typed(int, num_classes),
        score_field_prefix=_typed(str, _read(environ, ModelCalibrationEnv.SCORE_FIELD_PREFIX)),
        categories=categories,
        score_fields=score_fields,
        task_label_names=task_labels,
        weight_field=str(_read(environ, ModelCalibrationEnv.WEIGHT_FIELD) or ""),
        auto_candidates=candidates,
        negative_sampling_rate=_typed(float, _read(environ, ModelCalibrationEnv.NEGATIVE_SAMPLING_RATE)),
        temperature_bias=_typed(bool, _read(environ, ModelCalibrationEnv.TEMPERATURE_BIAS)),
        reliability_bins=_typed(str, _read(environ, ModelCalibrationEnv.RELIABILITY_BINS)),
    )
    return _check_modes(settings, None if num_classes is None else settings.num_classes)


def _interface_settings(values: Settings, num_classes: Optional[int]) -> CalibrationSettings:
    """The interface's settings of ``values`` (``num_classes``: None when NUM_CLASSES is unset)."""
    return CalibrationSettings(
        calibration_method=values.method,  # type: ignore[arg-type]  # parsed among its choices
        label_field=values.label_field, score_field=values.score_field, is_binary=values.is_binary,
        monotonic_constraint=values.monotonic, gam_splines=values.gam_splines,
        error_threshold=values.error_threshold, calibration_bins=values.bins,
        calibration_folds=values.folds, calibration_seed=values.seed,
        score_space=values.score_space,  # type: ignore[arg-type]  # parsed among its choices
        log_level=values.log_level,  # type: ignore[arg-type]  # parsed among its choices
        num_classes=num_classes, score_field_prefix=values.score_field_prefix,
        multiclass_categories=values.categories, score_fields=values.score_fields,
        task_label_names=values.task_label_names, weight_field=values.weight_field or None,
        auto_candidates=values.auto_candidates, negative_sampling_rate=values.negative_sampling_rate,
        temperature_bias=values.temperature_bias,
        reliability_bins=values.reliability_bins)  # type: ignore[arg-type]  # parsed among its choices


def _check_modes(values: Settings, num_classes: Optional[int]) -> Settings:
    """The interface's rules between settings (the first conflict the script raises is
    ``MC-E105-MODE-CONFLICT`` or ``MC-E101-INVALID-ENV``); resolves categories and candidates."""
    settings = _interface_settings(values, num_classes)
    for conflict in setting_conflicts(settings):
        if conflict.script_code is not None:
            raise CalibrationScriptError(conflict.script_code, conflict.message, conflict.hint)
    categories = values.categories if values.is_binary else class_categories(settings)
    candidates = values.auto_candidates
    if values.method == "auto" and not candidates:
        candidates = auto_default_candidates(settings_mode(settings))
    return dataclasses.replace(values, categories=categories, auto_candidates=candidates)
