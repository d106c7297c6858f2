"""Findings of the alignment checker and the report that collects them.

A :class:`Finding` names the level that found it (1 script <-> contract, 2 contract <-> spec,
3 spec <-> dependencies, 4 config/builder <-> contract; 0 for the checker's own set-up), a
severity (``error`` fails the check, ``warning`` and ``info`` do not), a stable code, a message
written as a set difference ("script reads X, which the contract does not declare") and a fix.

A :class:`Report` passes exactly when no finding is an error. Reports render as text
(:func:`render_text`) and as JSON (:func:`render_json`, through :mod:`calibration_step.converter`);
:func:`report_from_json` reads the JSON back (``check --root`` runs the analysis in a subprocess
and reads its report this way).

Examples
--------
>>> finding = Finding(level=1, severity="error", code=Code.SCRIPT_ENV_UNDECLARED, step_type="Demo",
...                   message="script reads LABEL_FIELDZ, which the contract does not declare",
...                   fix="declare LABEL_FIELDZ in the contract or read LABEL_FIELD")
>>> report = Report(steps=("Demo",), findings=(finding,))
>>> report.passed, report.counts()
(False, {'error': 1, 'warning': 0, 'info': 0})
>>> report_from_json(render_json(report)) == report
True
>>> print(render_text(report))
calibration-step check: FAILED (1 error, 0 warnings, 0 infos) for 1 step: Demo
<BLANKLINE>
Demo
  level 1 (script <-> contract)
    error   SCRIPT-ENV-UNDECLARED: script reads LABEL_FIELDZ, which the contract does not declare
            fix: declare LABEL_FIELDZ in the contract or read LABEL_FIELD
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final, Literal

import attrs

from calibration_step.converter import structure, unstructure
from calibration_step.errors import Code, Problem, SerializationError

__all__ = [
    "Finding",
    "Report",
    "Severity",
    "finding_from_problem",
    "render_json",
    "render_text",
    "report_from_json",
]

Severity = Literal["error", "warning", "info"]
"""``error`` fails the check; ``warning`` and ``info`` are reported only."""

_LEVEL_TITLES: Final[dict[int, str]] = {
    0: "checker set-up",
    1: "script <-> contract",
    2: "contract <-> spec",
    3: "spec <-> dependencies",
    4: "config/builder <-> contract",
}
"""What each level compares."""

_SEVERITY_ORDER: Final[dict[str, int]] = {"error": 0, "warning": 1, "info": 2}


def _check_level(_instance: object, _attribute: object, value: int) -> None:
    if value not in _LEVEL_TITLES:
        raise ValueError(f"Finding.level must be one of {sorted(_LEVEL_TITLES)}; got {value!r}.")


@attrs.frozen(kw_only=True)
class Finding:
    """One result of the checker: level, severity, stable code, message and fix."""

    level: int = attrs.field(validator=_check_level)
    severity: Severity
    code: str
    message: str
    fix: str
    step_type: str = ""
    location: str = ""


def finding_from_problem(problem: Problem, *, level: int, step_type: str, severity: Severity = "error") -> Finding:
    """A core :class:`~calibration_step.errors.Problem` as a finding, keeping its code.

    Examples
    --------
    >>> p = Problem(code=Code.ALIGN_OUTPUTS, message="m", hint="h", location="Demo / demo.py")
    >>> finding_from_problem(p, level=2, step_type="Demo").fix
    'h'
    """
    return Finding(level=level, severity=severity, code=problem.code, message=problem.message, fix=problem.hint,
                   step_type=step_type, location=problem.location)


def _sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    return (finding.step_type, finding.level, _SEVERITY_ORDER[finding.severity], finding.code, finding.message)


def _sorted_findings(found: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(found, key=_sort_key))


@attrs.frozen(kw_only=True)
class Report:
    """Every finding of one run, over the step types it checked; passes when no finding is an error."""

    steps: tuple[str, ...]
    findings: tuple[Finding, ...] = attrs.field(default=(), converter=_sorted_findings)
    root: str = ""
    """The project tree that was checked (empty: the installed package)."""

    @property
    def passed(self) -> bool:
        """True when no finding is an error."""
        return not any(finding.severity == "error" for finding in self.findings)

    def counts(self) -> dict[str, int]:
        """The number of findings per severity."""
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def codes(self, severity: Severity | None = None) -> frozenset[str]:
        """The codes found, optionally only those of one severity."""
        return frozenset(f.code for f in self.findings if severity is None or f.severity == severity)

    def merged(self, findings: Iterable[Finding]) -> Report:
        """This report with more findings."""
        return attrs.evolve(self, findings=(*self.findings, *findings))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def render_text(report: Report) -> str:
    """The report as text: a verdict line, then findings grouped by step and level."""
    counts = report.counts()
    verdict = "PASSED" if report.passed else "FAILED"
    where = f" in {report.root}" if report.root else ""
    steps = ", ".join(report.steps) if report.steps else "no step"
    lines = [
        f"calibration-step check: {verdict} ({_plural(counts['error'], 'error')}, "
        f"{_plural(counts['warning'], 'warning')}, {_plural(counts['info'], 'info')}) "
        f"for {_plural(len(report.steps), 'step')}{where}: {steps}"
    ]
    step: str | None = None
    level: int | None = None
    for finding in report.findings:
        if finding.step_type != step:
            step, level = finding.step_type, None
            lines += ["", step or "(all steps)"]
        if finding.level != level:
            level = finding.level
            lines.append(f"  level {level} ({_LEVEL_TITLES[level]})")
        where_found = f" [{finding.location}]" if finding.location else ""
        lines.append(f"    {finding.severity:<7} {finding.code}: {finding.message}{where_found}")
        lines.append(f"            fix: {finding.fix}")
    return "\n".join(lines)


def render_json(report: Report) -> str:
    """The report as JSON: ``passed``, ``counts`` and every field of the report (sorted keys)."""
    document = {"passed": report.passed, "counts": report.counts(), **_as_dict(unstructure(report))}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _as_dict(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict, got {type(value).__name__}")
    return {str(key): item for key, item in value.items()}


def report_from_json(text: str) -> Report:
    """Read a report written by :func:`render_json`.

    Raises
    ------
    SerializationError
        ``SERIALIZATION-JSON`` / ``SERIALIZATION-INVALID`` when the text is not such a report.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SerializationError(Code.SERIALIZATION_JSON, f"not a JSON report: {exc}",
                                 hint="pass the output of render_json") from exc
    if not isinstance(document, dict):
        raise SerializationError(Code.SERIALIZATION_INVALID, "a report must be a JSON object",
                                 hint="pass the output of render_json")
    document.pop("passed", None)
    document.pop("counts", None)
    return structure(document, Report)
