"""The one error system of calibration_step and its processing script: its error classes.

Standard library only (Python 3.10): this module ships with the processing script. It holds the
base error :class:`CalibrationStepError`, :class:`Problem` (one finding of a check), the script's
:class:`CalibrationScriptError` and :func:`warning_entry`, the one shape of a recorded warning.
Every code they carry is a row of the table in :mod:`calibration_step.script.error_codes`
(:class:`Code`, :data:`CODES`), which this module re-exports.

Examples
--------
>>> Code.SPEC_INVALID
'SPEC-INVALID'
>>> str(CalibrationScriptError(Code.MC_E101_INVALID_ENV, "GAM_SPLINES='x' is not an int", "use 4-200"))
"MC-E101-INVALID-ENV: GAM_SPLINES='x' is not an int (use 4-200)"
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from typing import TypedDict

from .error_codes import CODES, LIBRARY_CODE, SCRIPT_CODE, Code, CodeEntry, Raiser

__all__ = [
    "CODES",
    "CalibrationScriptError",
    "CalibrationStepError",
    "Code",
    "CodeEntry",
    "LIBRARY_CODE",
    "Problem",
    "Raiser",
    "SCRIPT_CODE",
    "QUOTE_LIMIT",
    "WarningEntry",
    "bounded",
    "quoted",
    "warning_entry",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Problem:
    """One finding of a check: a stable code, what is wrong, where, and how to fix it.

    Examples
    --------
    >>> p = Problem(code=Code.SPEC_DUPLICATE_DEPENDENCY, message="dependency 'x' is declared twice",
    ...             hint="declare each dependency once", location="ModelCalibration.dependencies")
    >>> str(p)
    "SPEC-DUPLICATE-DEPENDENCY at ModelCalibration.dependencies: dependency 'x' is declared twice (hint: declare each dependency once)"
    """

    code: str
    message: str
    hint: str
    location: str = ""

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"{self.code}{where}: {self.message} (hint: {self.hint})"


class CalibrationStepError(Exception):
    """Base class of every error raised on purpose by ``calibration_step`` and its script.

    Examples
    --------
    >>> err = CalibrationStepError("CS-EXAMPLE", "something is off", hint="do this instead")
    >>> err.code, str(err)
    ('CS-EXAMPLE', '[CS-EXAMPLE] something is off (hint: do this instead)')
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        hint: str = "",
        problems: Iterable[Problem] = (),
    ) -> None:
        self.code = code
        self.message = message
        self.hint = hint
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """``[CODE] message (hint: ...)``: the command line's error line, whatever ``str()`` is.

        >>> CalibrationScriptError("CS-EXAMPLE", "bad", "fix it").describe()
        '[CS-EXAMPLE] bad (hint: fix it)'
        """
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"[{self.code}] {self.message}{hint}"

    @classmethod
    def from_problems(
        cls, code: str, subject: str, problems: Iterable[Problem]
    ) -> CalibrationStepError:
        """Build one error that lists every problem found in ``subject``."""
        found = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in found)
        return cls(
            code,
            f"{subject} has {len(found)} problem(s):\n{lines}",
            hint="fix every listed problem; each line names its own code and fix",
            problems=found,
        )


class CalibrationScriptError(CalibrationStepError):
    """The processing script's error; ``str()`` is ``CODE: message (hint)``, as the script logs it.

    >>> str(CalibrationScriptError("MC-E101-INVALID-ENV", "bad", "fix it"))
    'MC-E101-INVALID-ENV: bad (fix it)'
    """

    def __init__(
        self, code: str, message: str, hint: str, *, problems: Iterable[Problem] = ()
    ) -> None:
        super().__init__(code, message, hint=hint, problems=problems)

    def __str__(self) -> str:
        return f"{self.code}: {self.message} ({self.hint})"


class WarningEntry(TypedDict):
    """One warning of ``metrics.json`` or ``summary.json``: a table code and what happened."""

    code: str
    message: str


def warning_entry(code: str, message: str) -> WarningEntry:
    """The one shape of a recorded warning: ``{"code": ..., "message": ...}``.

    Examples
    --------
    >>> warning_entry("CS-EXAMPLE", "the scores are in-sample")
    {'code': 'CS-EXAMPLE', 'message': 'the scores are in-sample'}
    """
    return {"code": code, "message": message}


QUOTE_LIMIT = 200
"""Characters of a user's value a message quotes (``bounded``); the rest is counted, not shown."""


def bounded(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` when it has at most ``limit`` characters, else its first ``limit`` characters and
    how long it was: the one way a message quotes a value the user gave (a cell, a name, a
    description), so that no message grows with the input.

    Examples
    --------
    >>> bounded("abc")
    'abc'
    >>> bounded("x" * 1000, limit=5)
    'xxxxx... (1000 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` through :func:`bounded` (a huge container is not formatted whole).

    Examples
    --------
    >>> quoted("label")
    "'label'"
    >>> quoted(["a"] * 1_000_000, limit=10)
    "['a', 'a',... (1000000 items)"
    >>> len(quoted("x" * 50_000_000))
    225
    """
    if isinstance(value, (list, tuple, set, frozenset, dict)) and len(value) > limit:
        items = value.items() if isinstance(value, dict) else value
        shown = repr(list(itertools.islice(items, limit)))
        return f"{shown[:limit]}... ({len(value)} items)"
    return bounded(repr(value), limit)
