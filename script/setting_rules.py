"""The rules between the ModelCalibration step's settings: modes, classes and conflicts.

:func:`setting_conflicts` is the one statement of the rules between settings; each
:class:`Conflict` carries the script's code (None: a policy of the config only) and the config's.
The script raises the first conflict it finds; the config reports every one (standard library
only, Python 3.10, like the interface it reads).

Examples
--------
>>> settings = CalibrationSettings(calibration_method="vector")
>>> [(c.script_code, c.message) for c in setting_conflicts(settings)]
[('MC-E105-MODE-CONFLICT', "CALIBRATION_METHOD may be 'vector' only when IS_BINARY is false.")]
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Callable
from typing import Final, get_args

from .errors import Code
from .interface import (BINARY_METHODS, MULTICLASS_METHODS, NUM_CLASSES_WHEN_UNSET, CalibrationSettings, Mode,
                        ModelCalibrationEnv, MulticlassOnlyMethod, env_var_name, setting_field_name)

__all__ = ["AUTO_MULTICLASS_LEFT_OUT", "Conflict", "MIN_NEGATIVE_SAMPLING_RATE", "auto_default_candidates", "class_categories",
           "label_and_score_columns", "label_key", "mode_methods", "setting_conflicts", "settings_mode"]

MIN_NEGATIVE_SAMPLING_RATE: Final = 1e-300
"""The smallest NEGATIVE_SAMPLING_RATE: a kept negative stands for ``1 / rate`` rows, a finite weight."""


def label_key(text: str) -> str:
    """What a label or category compares as: an integral number as its integer digits (``"7.0"``
    is ``"7"``, as a label read as the number 7.0 is), any other text unchanged.

    Examples
    --------
    >>> label_key("1.0"), label_key("1e3"), label_key("a"), label_key("0.5")
    ('1', '1000', 'a', '0.5')
    """
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


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
    >>> mode_methods("binary")[-1]
    'temperature'
    """
    return MULTICLASS_METHODS if mode == "multiclass" else BINARY_METHODS


AUTO_MULTICLASS_LEFT_OUT: Final = ("isotonic", "temperature")
"""Multi-class methods ``auto`` leaves out unless AUTO_CANDIDATES names them (docs/methods.md)."""


def auto_default_candidates(mode: Mode) -> tuple[str, ...]:
    """What ``auto`` chooses among when AUTO_CANDIDATES is empty: every method of ``mode``, but
    for multi-class not those of ``AUTO_MULTICLASS_LEFT_OUT``, which lack the small-sample
    guarantees. One-vs-rest isotonic's class probabilities are exactly 0 wherever a class's
    step holds none of that class's rows, so a held-out row there is a confident miss, which an
    inner cross-validation on a few rows cannot see (venn_abers, isotonic's bounded kin, stays a
    candidate). Temperature is scikit-learn's, unpenalised: on a few separable rows its scale
    grows with the separation; vector scaling holds it as its common scale, under a prior.

    Examples
    --------
    >>> auto_default_candidates("multiclass")[-2:], auto_default_candidates("binary")[0]
    (('vector', 'dirichlet'), 'isotonic')
    """
    methods = mode_methods(mode)
    if mode != "multiclass":
        return methods
    return tuple(m for m in methods if m not in AUTO_MULTICLASS_LEFT_OUT)


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
    rate = settings.negative_sampling_rate
    if rate < MIN_NEGATIVE_SAMPLING_RATE:
        found.add(_E.NEGATIVE_SAMPLING_RATE, f"must be at least {MIN_NEGATIVE_SAMPLING_RATE:g}: a kept negative "
                  f"stands for 1 / rate rows, which must be a finite weight; got {rate!r}.",
                  f"give the fraction of negatives kept, from {MIN_NEGATIVE_SAMPLING_RATE:g} to 1",
                  Code.MC_E101_INVALID_ENV)
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
    keys = collections.Counter(label_key(category) for category in given)
    alike = [category for category in given if keys[label_key(category)] > 1]
    if alike:
        found.add(_E.MULTICLASS_CATEGORIES, f"holds categories that name one label value: {alike[:10]} (labels "
                  "compare as numbers where they are numbers: 1.0 is 1).",
                  "list each label value once, e.g. [\"0\", \"1\", \"2\"]", Code.MC_E101_INVALID_ENV)
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
