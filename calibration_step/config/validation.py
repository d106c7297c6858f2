"""Validators and converters shared by the config classes.

Validators are attrs validators (``validator(instance, attribute, value)``). Each raises a
:class:`~calibration_step.errors.ConfigError` whose message names the class and the field, says
what was expected and what was got, and whose single problem's ``location`` is the field name
(the config JSON loader turns it into a path such as ``$.configuration.specific.calibrate.gam_splines``).

Codes
-----
CONFIG-TYPE      a field holds a value of the wrong type
CONFIG-VALUE     a field's value is out of range or malformed
CONFIG-CONFLICT  fields that contradict each other (raised by the classes' cross-field checks)

Converters only normalise (a list becomes a tuple, an int a float, a dict a read-only mapping);
anything they cannot normalise is passed on unchanged for the validators to reject.

Examples
--------
>>> import attrs
>>> @attrs.frozen(kw_only=True)
... class Example:
...     folds: int = attrs.field(default=5, validator=[is_int, int_between(2, 100)])
>>> Example(folds=1)
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CONFIG-VALUE] Example.folds must be an int from 2 to 100; got 1. ...
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import NoReturn, Protocol, TypeVar

from calibration_step.processing.s3 import bucket_problem, normalise_s3_uri, split_s3_uri
from calibration_step.config.processing_instance_types import PROCESSING_INSTANCE_TYPES
from calibration_step.errors import BuildError, Code, ConfigError, Problem
from calibration_step.script.errors import quoted

__all__ = [
    "AttributeLike",
    "Validator",
    "aws_region",
    "fail_validation",
    "float_in_unit_interval",
    "iam_role_arn",
    "instance_type",
    "int_between",
    "is_bool",
    "is_float",
    "is_int",
    "is_optional_str",
    "is_str",
    "matches",
    "non_empty",
    "one_of",
    "raise_conflicts",
    "s3_bucket_name",
    "s3_script_uri",
    "str_tuple",
    "to_float",
    "to_read_only_str_mapping",
    "to_s3_uri",
    "to_tuple",
]


class AttributeLike(Protocol):
    """What a validator reads of an ``attrs.Attribute``: its name."""

    @property
    def name(self) -> str: ...


V = TypeVar("V")


class Validator(Protocol):
    """An attrs validator. Generic in the value, so a field's type comes from its annotation."""

    def __call__(self, instance: object, attribute: AttributeLike, value: V, /) -> None: ...


def fail_validation(instance: object, attribute: AttributeLike, requirement: str, value: object, *,
                    code: str = Code.CONFIG_VALUE, hint: str = "") -> NoReturn:
    """Raise the ``ConfigError`` of a validator: "<Class>.<field> must be <requirement>; got <value>."."""
    where = f"{type(instance).__name__}.{attribute.name}"
    message = f"{where} must be {requirement}; got {quoted(value)}."
    hint = hint or f"set {attribute.name} to {requirement}"
    raise ConfigError(code, message, hint=hint,
                      problems=(Problem(code=code, message=message, hint=hint, location=attribute.name),))


# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------
def is_str(instance: object, attribute: AttributeLike, value: V) -> None:
    """The value is a string."""
    if not isinstance(value, str):
        fail_validation(instance, attribute, "a string", value, code=Code.CONFIG_TYPE)


def is_optional_str(instance: object, attribute: AttributeLike, value: V) -> None:
    """The value is a string or None."""
    if value is not None and not isinstance(value, str):
        fail_validation(instance, attribute, "a string or None", value, code=Code.CONFIG_TYPE)


def is_bool(instance: object, attribute: AttributeLike, value: V) -> None:
    """The value is ``True`` or ``False`` (not 0/1, not "true")."""
    if not isinstance(value, bool):
        fail_validation(instance, attribute, "a bool", value, code=Code.CONFIG_TYPE)


def is_int(instance: object, attribute: AttributeLike, value: V) -> None:
    """The value is an int (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, int):
        fail_validation(instance, attribute, "an int", value, code=Code.CONFIG_TYPE)


def is_float(instance: object, attribute: AttributeLike, value: V) -> None:
    """The value is a float (ints are converted by :func:`to_float` first)."""
    if not isinstance(value, float):
        fail_validation(instance, attribute, "a number", value, code=Code.CONFIG_TYPE)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------
def int_between(low: int, high: int | None = None, *, optional: bool = False) -> Validator:
    """An int from ``low`` to ``high`` inclusive (no upper bound when ``high`` is None).

    With ``optional=True`` the value may also be None; the type is checked here too.
    """
    requirement = f"an int from {low} to {high}" if high is not None else f"an int >= {low}"
    if optional:
        requirement += " or None"

    def check(instance: object, attribute: AttributeLike, value: V) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            fail_validation(instance, attribute, requirement, value, code=Code.CONFIG_TYPE)
        if value < low or (high is not None and value > high):
            fail_validation(instance, attribute, requirement, value)

    return check


def float_in_unit_interval(instance: object, attribute: AttributeLike, value: V) -> None:
    """A finite float in (0, 1]."""
    if isinstance(value, float) and not 0.0 < value <= 1.0:
        fail_validation(instance, attribute, "a number in (0, 1]", value)


def one_of(choices: Collection[str]) -> Validator:
    """One of ``choices`` (used for ``Literal`` fields; the type is checked here too)."""
    requirement = f"one of {', '.join(repr(c) for c in choices)}"

    def check(instance: object, attribute: AttributeLike, value: V) -> None:
        if not isinstance(value, str) or value not in choices:
            fail_validation(instance, attribute, requirement, value, code=Code.CONFIG_VALUE if isinstance(value, str) else Code.CONFIG_TYPE)

    return check


def matches(pattern: str, description: str, *, optional: bool = False) -> Validator:
    """A string that fully matches ``pattern``; ``description`` says what that means to a user."""
    compiled = re.compile(pattern)

    def check(instance: object, attribute: AttributeLike, value: V) -> None:
        if value is None and optional:
            return
        if isinstance(value, str) and compiled.fullmatch(value) is None:
            fail_validation(instance, attribute, description, value)

    return check


def non_empty(instance: object, attribute: AttributeLike, value: V) -> None:
    """A string with visible characters and no surrounding whitespace (or None, when allowed)."""
    if isinstance(value, str) and (not value.strip() or value != value.strip()):
        fail_validation(instance, attribute, "a non-empty string without surrounding whitespace", value)


def str_tuple(*, choices: Collection[str] = (), unique: bool = True, max_items: int | None = None) -> Validator:
    """A tuple of non-empty strings, unique by default, each one of ``choices`` when given."""
    what = "a list of " + (f"values from {', '.join(repr(c) for c in choices)}" if choices else "non-empty strings")
    if unique:
        what += " without repeats"
    if max_items is not None:
        what += f" ({max_items} at most)"

    def check(instance: object, attribute: AttributeLike, value: V) -> None:
        if not isinstance(value, tuple) or not all(isinstance(item, str) for item in value):
            fail_validation(instance, attribute, what, value, code=Code.CONFIG_TYPE)
        if any(not item.strip() or item != item.strip() for item in value):
            fail_validation(instance, attribute, what, value)
        if choices and any(item not in choices for item in value):
            fail_validation(instance, attribute, what, value)
        if unique and len(set(value)) != len(value):
            fail_validation(instance, attribute, what, value)
        if max_items is not None and len(value) > max_items:
            fail_validation(instance, attribute, what, value)

    return check


# ---------------------------------------------------------------------------------------------
# AWS names
# ---------------------------------------------------------------------------------------------
def s3_bucket_name(instance: object, attribute: AttributeLike, value: V) -> None:
    """An S3 bucket name under the general-purpose bucket rules (3-63 characters, lowercase ...)."""
    if isinstance(value, str) and bucket_problem(value) is not None:
        fail_validation(instance, attribute, f"an S3 bucket name ({bucket_problem(value)})", value)


def s3_script_uri(instance: object, attribute: AttributeLike, value: V) -> None:
    """None, or ``s3://<bucket>/<key>.py`` (or ``.pyz``, a zipapp) with a valid bucket (see :func:`to_s3_uri`)."""
    if not isinstance(value, str):
        return
    expected = "an S3 URI of a Python file or zipapp, s3://<bucket>/<key>.py or .pyz"
    try:
        _, key = split_s3_uri(value, what=attribute.name)
    except BuildError as exc:
        fail_validation(instance, attribute, expected, value, hint=exc.message)
    if not key.endswith((".py", ".pyz")) or value != normalise_s3_uri(value, what=attribute.name):
        fail_validation(instance, attribute, expected, value)


iam_role_arn = matches(
    r"arn:aws[a-z-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-/]+",
    "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>",
)
"""An IAM role ARN (SageMaker's ``RoleArn`` pattern)."""

aws_region = matches(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}", "an AWS region name such as 'us-east-1'")
"""An AWS region name."""

def instance_type(instance: object, attribute: AttributeLike, value: V) -> None:
    """A SageMaker instance type that processing jobs accept (``PROCESSING_INSTANCE_TYPES``, the
    SageMaker API model's list); the hint names the closest ones."""
    if isinstance(value, str) and value not in PROCESSING_INSTANCE_TYPES:
        close = difflib.get_close_matches(value[:100], sorted(PROCESSING_INSTANCE_TYPES), n=3)
        fail_validation(instance, attribute, "a SageMaker instance type for processing jobs, such as 'ml.m5.xlarge'",
                        value, hint=f"use a processing instance type{' such as ' + ', '.join(close) if close else ''} "
                        "(the SageMaker API's ProcessingInstanceType list)")


def raise_conflicts(subject: str, problems: Iterable[Problem]) -> None:
    """Raise one ``CONFIG-CONFLICT`` error listing every cross-field problem, if there are any.

    Examples
    --------
    >>> raise_conflicts("Example", ())
    """
    found = tuple(problems)
    if not found:
        return
    if len(found) == 1:
        raise ConfigError(Code.CONFIG_CONFLICT, found[0].message, hint=found[0].hint, problems=found)
    lines = "\n".join(f"  - {p}" for p in found)
    raise ConfigError(Code.CONFIG_CONFLICT, f"{subject} has {len(found)} conflicting settings:\n{lines}",
                      hint="fix every listed setting", problems=found)


# ---------------------------------------------------------------------------------------------
# Converters
# ---------------------------------------------------------------------------------------------
def to_tuple(value: Iterable[str]) -> tuple[str, ...]:
    """Lists and tuples become tuples; anything else (a bare string included) is left to the validator."""
    raw: object = value  # at run time any object may arrive here
    if isinstance(raw, (list, tuple)):
        return tuple(raw)
    return value  # type: ignore[return-value]  # not a sequence: the validator rejects it with the field name


def to_float(value: float) -> float:
    """Ints (not bools) become floats; anything else is left to the validator."""
    raw: object = value  # at run time any object may arrive here
    if isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    return value


def to_s3_uri(value: str | None) -> str | None:
    """A valid S3 URI without doubled or trailing slashes; anything else is left to the validator.

    Examples
    --------
    >>> to_s3_uri("s3://my-bucket//code/script.py")
    's3://my-bucket/code/script.py'
    """
    if isinstance(value, str):
        try:
            return normalise_s3_uri(value, what="S3 URI")
        except BuildError:
            return value
    return value


def to_read_only_str_mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    """A dict (or any mapping) becomes a read-only copy; anything else is left to the validator."""
    raw: object = value  # at run time any object may arrive here
    if isinstance(raw, Mapping):
        return types.MappingProxyType(dict(raw))
    return value
