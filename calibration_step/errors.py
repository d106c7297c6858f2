"""The package's errors: one base class, a few subclasses, each carrying a stable code and a hint.

Hierarchy::

    CalibrationStepError(Exception)          every error the package raises on purpose
    ├── SpecError(.., ValueError)            a contract, spec or step definition breaks an invariant
    ├── ConfigError(.., ValueError)          a config value is invalid
    ├── SerializationError(.., ValueError)   JSON that does not structure into our types
    ├── RegistryError(.., LookupError)       an unknown or duplicate step name
    ├── BuildError(.., ValueError)           a builder cannot make the SageMaker step
    └── ResolutionError(.., LookupError)     a dependency cannot be wired to an upstream output

Each error has ``code`` (stable, documented, safe to match on), ``message`` (what was wrong and
where) and ``hint`` (how to fix it). Errors built from several findings keep them in ``problems``.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "BuildError",
    "CalibrationStepError",
    "ConfigError",
    "Problem",
    "RegistryError",
    "ResolutionError",
    "SerializationError",
    "SpecError",
]


@attrs.frozen(kw_only=True)
class Problem:
    """One finding of a check: a stable code, what is wrong, where, and how to fix it.

    Examples
    --------
    >>> p = Problem(code="SPEC-DUPLICATE-DEPENDENCY", message="dependency 'x' is declared twice",
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
    """Base class of every error raised on purpose by ``calibration_step``.

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
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"[{self.code}] {self.message}{hint}"

    @classmethod
    def from_problems(cls, code: str, subject: str, problems: Iterable[Problem]) -> CalibrationStepError:
        """Build one error that lists every problem found in ``subject``."""
        found = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in found)
        return cls(
            code,
            f"{subject} has {len(found)} problem(s):\n{lines}",
            hint="fix every listed problem; each line names its own code and fix",
            problems=found,
        )


class SpecError(CalibrationStepError, ValueError):
    """A script contract, step specification or step definition breaks an invariant."""


class ConfigError(CalibrationStepError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


class SerializationError(CalibrationStepError, ValueError):
    """JSON that cannot be turned into one of our types; ``problems`` carry the field paths."""


class RegistryError(CalibrationStepError, LookupError):
    """A step name that is not registered, or registered twice."""


class BuildError(CalibrationStepError, ValueError):
    """The builder cannot produce the SageMaker step from what it was given."""


class ResolutionError(CalibrationStepError, LookupError):
    """A dependency that cannot be wired to an upstream output or external value."""
