"""Step and job names that SageMaker accepts, derived deterministically from their parts.

SageMaker pipeline step names and processing job names allow ``[a-zA-Z0-9-]`` (a job name must
also start and end with a letter or digit) and at most 63 characters. Names are built from the
step type and job type, never from a clock or random source, so a definition is reproducible.
A name that has to be cut is shortened and given a short hash of the full name, so two long names
that differ only at the end stay different.

Examples
--------
>>> sanitize_name("ModelCalibration_calibration")
'ModelCalibration-calibration'
>>> step_name("ModelCalibration", "calibration")
'ModelCalibration-Calibration'
>>> snake_case("ModelCalibration")
'model_calibration'
>>> len(sanitize_name("x" * 100))
63
"""

from __future__ import annotations

import hashlib
import re

from calibration_step.errors import BuildError, Code

__all__ = ["JOB_NAME_PREFIX_MAX_LENGTH", "MAX_NAME_LENGTH", "job_name_prefix", "sanitize_name", "snake_case", "step_name"]

MAX_NAME_LENGTH = 63
"""The longest step or processing job name SageMaker accepts."""

JOB_NAME_PREFIX_MAX_LENGTH = 39
"""The longest job name prefix the SDK keeps: 63 minus a ``-YYYY-mm-dd-HH-MM-SS-mmm`` timestamp."""

_INVALID = re.compile(r"[^a-zA-Z0-9-]+")
_HYPHENS = re.compile(r"-{2,}")
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_HASH_LENGTH = 8


def sanitize_name(text: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """``text`` with every run of other characters replaced by one hyphen, trimmed, at most ``max_length`` long.

    Raises
    ------
    BuildError
        ``BUILD-NAME`` when nothing usable is left (e.g. ``"__"``).

    Examples
    --------
    >>> sanitize_name("  my step / v2 ")
    'my-step-v2'
    >>> a, b = sanitize_name("p" * 70 + "a"), sanitize_name("p" * 70 + "b")
    >>> len(a), a != b
    (63, True)
    """
    cleaned = _HYPHENS.sub("-", _INVALID.sub("-", text)).strip("-")
    if not cleaned:
        raise BuildError(
            Code.BUILD_NAME,
            f"name {text!r} has no letter or digit left after sanitising.",
            hint="use letters, digits and hyphens",
        )
    if len(cleaned) <= max_length:
        return cleaned
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    head = cleaned[: max_length - _HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def snake_case(step_type: str) -> str:
    """The snake_case folder name of a PascalCase step type.

    A run of capitals is one word when followed by a digit or the end, and gives its last capital
    to the next word otherwise (as ``inflection.underscore`` does).

    Examples
    --------
    >>> snake_case("CrossValidation"), snake_case("XGBoostModelEval")
    ('cross_validation', 'xg_boost_model_eval')
    """
    return "_".join(word.lower() for word in _WORD.findall(step_type))


def step_name(step_type: str, job_type: str | None = None) -> str:
    """The default pipeline step name: the step type, plus the capitalised job type if given."""
    text = step_type if job_type is None else f"{step_type}-{job_type[:1].upper()}{job_type[1:]}"
    return sanitize_name(text)


def job_name_prefix(name: str) -> str:
    """The processing job name prefix of a step (a timestamp is appended at run time).

    Examples
    --------
    >>> job_name_prefix("ModelCalibration-Calibration")
    'ModelCalibration-Calibration'
    >>> len(job_name_prefix("ModelCalibration-" + "x" * 40))
    39
    """
    return sanitize_name(name, max_length=JOB_NAME_PREFIX_MAX_LENGTH)
