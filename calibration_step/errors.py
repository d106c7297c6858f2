"""The package's errors: one base class, a few subclasses, each carrying a stable code and a hint.

Hierarchy::

    CalibrationStepError(Exception)          every error the package or its script raises on purpose
    ├── SpecError(.., ValueError)            a contract, spec or step definition breaks an invariant
    ├── ConfigError(.., ValueError)          a config value is invalid
    ├── SerializationError(.., ValueError)   JSON that does not structure into our types
    ├── RegistryError(.., LookupError)       an unknown or duplicate step name
    ├── BuildError(.., ValueError)           a builder cannot make the SageMaker step
    ├── ResolutionError(.., LookupError)     a dependency cannot be wired to an upstream output
    ├── LocalExecutionError(.., ValueError)  a pipeline definition cannot be executed locally
    │   └── StepFailure                      a step fails locally as it would on SageMaker
    └── CalibrationScriptError               the processing script refuses its settings, data or outputs

Each error has ``code`` (stable, documented, safe to match on), ``message`` (what was wrong and
where) and ``hint`` (how to fix it). Errors built from several findings keep them in ``problems``.
The base class, :class:`Problem` and :class:`CalibrationScriptError` live in
:mod:`calibration_step.script.errors`, the table of every code (:class:`Code`, :data:`CODES`) in
:mod:`calibration_step.script.error_codes`; both ship with the processing script.
``docs/errors.md`` is :func:`errors_markdown` of that table.

Examples
--------
>>> issubclass(CalibrationScriptError, CalibrationStepError), Code.CONFIG_VALUE
(True, 'CONFIG-VALUE')
"""

from __future__ import annotations

from calibration_step.script.errors import (
    CODES,
    CalibrationScriptError,
    CalibrationStepError,
    Code,
    CodeEntry,
    Problem,
    Raiser,
)

__all__ = [
    "BuildError",
    "CODES",
    "CalibrationScriptError",
    "CalibrationStepError",
    "Code",
    "CodeEntry",
    "ConfigError",
    "LocalExecutionError",
    "Problem",
    "Raiser",
    "RegistryError",
    "ResolutionError",
    "SerializationError",
    "SpecError",
    "StepFailure",
    "errors_markdown",
]


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


class LocalExecutionError(CalibrationStepError, ValueError):
    """A pipeline definition the local executor cannot run; the run stops (exit 2).

    Raised for a definition of a shape the executor does not know, an undeclared parameter or a
    feature it does not implement; its codes start with ``LOCAL-``.

    Examples
    --------
    >>> str(LocalExecutionError(Code.LOCAL_CYCLE, "steps ['A', 'B'] depend on each other in a cycle."))
    "[LOCAL-CYCLE] steps ['A', 'B'] depend on each other in a cycle."
    """


class StepFailure(LocalExecutionError):
    """A step that fails locally as it would on SageMaker; it fails the execution (exit 1).

    The executor catches it and marks the step Failed with the message as its reason (a missing
    requirement, an import the image lacks, a non-zero exit, no object under an input prefix).
    ``log_tail`` holds the last lines of the step's output, when it ran.

    Examples
    --------
    >>> failure = StepFailure(Code.LOCAL_JOB_FAILED, "AlgorithmError: exit code 1.", log_tail=("Traceback ...",))
    >>> isinstance(failure, LocalExecutionError), failure.log_tail
    (True, ('Traceback ...',))
    """

    def __init__(self, code: str, message: str, *, hint: str = "", log_tail: tuple[str, ...] = ()) -> None:
        super().__init__(code, message, hint=hint)
        self.log_tail = log_tail


_PREAMBLE = """\
# Error codes

Every error the package and its processing script raise on purpose carries a stable `code` (safe
to match on), a `message` (what was wrong and where) and a `hint` (how to fix it); the alignment
checker's findings carry codes from the same table. The command line prints an error as one line,
`error [CODE] message (hint: ...)`, and exits with status 2; the processing script logs
`CODE: message (hint)`. The hints below are the usual fix; an error's own hint is more precise.

Every error class derives from `CalibrationStepError` (`calibration_step.errors`). Library codes
look like `AREA-WHAT`; script codes like `MC-E<stage><nn>-WHAT` (errors) and
`MC-W<stage><nn>-WHAT` (warnings a completed job records), the stage being 1 settings and job,
2 input data, 3 fitting, 4 calibrator files, 5 outputs, 6 the Package step's script. A retired code is never raised again and
never reused.

## Warnings in `metrics.json` and `summary.json`

Each warning the processing script records in the `warnings` list of `metrics.json` and
`summary.json` has one shape, built by `calibration_step.script.errors.warning_entry`:

```json
{"code": "<a code of this table>", "message": "<what happened>"}
```

This file is generated from the table `Code` in `calibration_step/script/error_codes.py`; regenerate it
with `UPDATE_GOLDEN=1 python -m pytest tests/test_errors.py`.
"""


def _heading(raiser: Raiser) -> str:
    """``Class``: the first line of its docstring; the checker's findings and recorded warnings have no class."""
    if raiser is Raiser.CHECKER:
        return "Checker findings: what `calibration-step check` reports (severity first)"
    if raiser is Raiser.SCRIPT_WARNING:
        return "Recorded warnings: the `warnings` of `metrics.json` and `summary.json` (the job completes)"
    summary = (globals()[raiser.value].__doc__ or "").strip().splitlines()[0]
    return f"`{raiser.value}`: {summary.replace('``', '`').rstrip('.')}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def errors_markdown(entries: tuple[CodeEntry, ...] = CODES) -> str:
    """``docs/errors.md``: the table of codes as Markdown, one section per raising class.

    Examples
    --------
    >>> entry = CodeEntry("CS-EXAMPLE", Raiser.CONFIG_ERROR, "a | b", "do this")
    >>> errors_markdown((entry,)).splitlines()[-1]
    '| `CS-EXAMPLE` | a \\\\| b | do this |'
    """
    parts = [_PREAMBLE]
    for raiser in Raiser:
        rows = [e for e in entries if e.raised_by is raiser]
        if not rows:
            continue
        parts.append(f"\n## {_heading(raiser)}\n\n| Code | Meaning | Usual fix |\n| --- | --- | --- |\n")
        for row in rows:
            retired = "retired, never raised: " if row.retired else ""
            parts.append(f"| `{row.code}` | {retired}{_cell(row.meaning)} | {_cell(row.hint)} |\n")
    return "".join(parts)
