"""Findings and reports: pass/fail, counts, text and JSON."""

from __future__ import annotations

import json

import pytest

from calibration_step.checker.findings import Finding, Report, render_json, render_text, report_from_json
from calibration_step.errors import SerializationError


def finding(severity: str, code: str = "X-CODE", level: int = 1, step: str = "Demo") -> Finding:
    return Finding(level=level, severity=severity, code=code, message=f"{severity} message", fix="do this",  # type: ignore[arg-type]  # parametrised severity
                   step_type=step)


@pytest.mark.parametrize(("severities", "passed"), [((), True), (("info", "warning"), True), (("info", "error"), False)])
def test_a_report_fails_exactly_when_a_finding_is_an_error(severities: tuple[str, ...], passed: bool) -> None:
    assert Report(steps=("Demo",), findings=tuple(finding(s) for s in severities)).passed is passed


def test_findings_are_sorted_by_step_level_and_severity() -> None:
    report = Report(steps=("A", "B"), findings=(finding("info", step="B"), finding("warning", level=2, step="A"),
                                                  finding("error", level=2, step="A"), finding("info", level=1, step="A")))
    assert [(f.step_type, f.level, f.severity) for f in report.findings] == [
        ("A", 1, "info"), ("A", 2, "error"), ("A", 2, "warning"), ("B", 1, "info")]


def test_a_level_outside_0_to_4_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Finding.level must be one of \[0, 1, 2, 3, 4\]; got 7"):
        finding("error", level=7)


def test_json_carries_the_verdict_and_round_trips() -> None:
    report = Report(steps=("Demo",), findings=(finding("error"), finding("warning")), root="/tmp/tree")
    document = json.loads(render_json(report))
    assert document["passed"] is False
    assert document["counts"] == {"error": 1, "warning": 1, "info": 0}
    assert document["findings"][0] == {"level": 1, "severity": "error", "code": "X-CODE", "message": "error message",
                                       "fix": "do this", "step_type": "Demo", "location": ""}
    assert report_from_json(render_json(report)) == report


def test_reading_something_else_than_a_report() -> None:
    with pytest.raises(SerializationError, match="SERIALIZATION-JSON"):
        report_from_json("not json")
    with pytest.raises(SerializationError, match="SERIALIZATION-INVALID"):
        report_from_json('{"steps": [], "findings": [{"level": 1}]}')


def test_text_groups_by_step_and_level() -> None:
    text = render_text(Report(steps=("Demo",), findings=(finding("warning", level=3),), root="/tmp/tree"))
    assert text.splitlines() == [
        "calibration-step check: PASSED (0 errors, 1 warning, 0 infos) for 1 step in /tmp/tree: Demo",
        "",
        "Demo",
        "  level 3 (spec <-> dependencies)",
        "    warning X-CODE: warning message",
        "            fix: do this",
    ]
