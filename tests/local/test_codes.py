"""The executor's codes: rows of the one table, raised by the class their row names, documented there."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from calibration_step.errors import CODES, LocalExecutionError, Raiser, StepFailure

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGE = REPO_ROOT / "docs" / "local_execution.md"
LOCAL_RAISERS = {Raiser.LOCAL_EXECUTION_ERROR: LocalExecutionError, Raiser.STEP_FAILURE: StepFailure}
LOCAL_ROWS = {entry.code: entry for entry in CODES if entry.code.startswith("LOCAL-")}


def _raised_by() -> dict[str, set[str]]:
    """Each ``Code.<NAME>`` passed first to a call of the executor's error classes, and the class called."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in (REPO_ROOT / "calibration_step").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {cls.__name__ for cls in LOCAL_RAISERS.values()}
                    and node.args and isinstance(node.args[0], ast.Attribute)
                    and isinstance(node.args[0].value, ast.Name) and node.args[0].value.id == "Code"):
                found[node.args[0].attr.replace("_", "-")].add(node.func.id)
    return found


def test_the_local_codes_are_the_rows_of_the_executor_classes() -> None:
    assert LOCAL_ROWS
    assert {code for code, entry in LOCAL_ROWS.items() if entry.raised_by not in LOCAL_RAISERS} == set()
    assert {entry.code for entry in CODES if entry.raised_by in LOCAL_RAISERS} == set(LOCAL_ROWS)


def test_each_code_is_raised_by_the_class_its_row_names() -> None:
    raised = _raised_by()
    assert set(raised) == set(LOCAL_ROWS)
    wrong = {code: classes for code, classes in raised.items() if classes != {LOCAL_RAISERS[LOCAL_ROWS[code].raised_by].__name__}}
    assert wrong == {}


def test_the_documentation_links_to_the_table_and_names_only_its_codes() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "](errors.md)" in page
    assert "| `LOCAL-" not in page, "the codes are listed once, in docs/errors.md"
    named = set(re.findall(r"LOCAL(?:-[A-Z0-9]+)+", page))
    assert named and named - set(LOCAL_ROWS) == set()
