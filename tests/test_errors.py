"""The one error system: the table of codes cannot drift from the code, and docs/errors.md is its rendering.

Regenerate the checked-in page with ``UPDATE_GOLDEN=1 python -m pytest tests/test_errors.py`` and
review the diff.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from calibration_step import errors
from calibration_step.errors import (
    CODES,
    CalibrationScriptError,
    CalibrationStepError,
    Code,
    ConfigError,
    Problem,
    Raiser,
    errors_markdown,
)
from calibration_step.script.errors import LIBRARY_CODE, SCRIPT_CODE, warning_entry

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "errors.md"
ERRORS_MODULE = REPO_ROOT / "script" / "errors.py"
TABLE_MODULE = REPO_ROOT / "script" / "error_codes.py"
TABLE = {entry.code: entry for entry in CODES}


@functools.cache
def _sources() -> tuple[tuple[Path, ast.Module], ...]:
    """Every module of the library and of the script (the library's ``script`` link read once)."""
    package = REPO_ROOT / "calibration_step"
    library = [p for p in package.rglob("*.py") if p.relative_to(package).parts[0] != "script"]
    paths = sorted(library) + sorted((REPO_ROOT / "script").rglob("*.py"))
    return tuple((path, ast.parse(path.read_text(encoding="utf-8"))) for path in paths)


def _looks_like_a_code(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if LIBRARY_CODE.fullmatch(node.value) or SCRIPT_CODE.fullmatch(node.value):
            return node.value
    return None


def _literals() -> dict[Path, list[str]]:
    """The string constants that look like codes, per module (docstrings never look like one)."""
    return {path: found for path, tree in _sources() if (found := [c for n in ast.walk(tree) if (c := _looks_like_a_code(n))])}


def _constants_used() -> set[str]:
    """The ``Code.<NAME>`` attributes referenced in code outside the table module."""
    used = set()
    for path, tree in _sources():
        if path != TABLE_MODULE:
            used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "Code"}
    return used


def test_docs_errors_md_is_the_rendering_of_the_table() -> None:
    text = errors_markdown()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "the table changed: UPDATE_GOLDEN=1 python -m pytest tests/test_errors.py"


def test_the_page_lists_every_code_once_and_the_warning_shape() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(text.count(f"| `{code}` |") == 1 for code in TABLE)
    assert '{"code": "<a code of this table>", "message": "<what happened>"}' in text
    assert "retired, never raised: " in text


def test_codes_are_unique_and_have_the_shape_of_their_part() -> None:
    assert [code for code, count in Counter(e.code for e in CODES).items() if count > 1] == []
    for entry in CODES:
        pattern = SCRIPT_CODE if entry.part == "script" else LIBRARY_CODE
        assert pattern.fullmatch(entry.code), entry.code
        assert entry.meaning and entry.hint, entry.code


def test_each_constant_is_named_after_its_code() -> None:
    constants = {name: value for name, value in vars(Code).items() if not name.startswith("_")}
    assert constants == {code.replace("-", "_"): code for code in TABLE}


def test_every_error_class_of_the_table_is_a_class_of_the_package() -> None:
    for raiser in Raiser:
        if raiser not in (Raiser.CHECKER, Raiser.SCRIPT_WARNING):
            assert issubclass(getattr(errors, raiser.value), CalibrationStepError), raiser


def test_every_code_literal_is_in_the_table_and_the_library_types_none() -> None:
    literals = _literals()
    unknown = {f"{path.relative_to(REPO_ROOT)}: {code}" for path, found in literals.items() for code in found if code not in TABLE}
    assert unknown == set()
    typed = {str(path.relative_to(REPO_ROOT)) for path in literals if path != TABLE_MODULE}
    assert typed == set(), "name codes by constant (Code.<NAME>) at every raise site, in the library and the script"
    assert Counter(literals[TABLE_MODULE]) == Counter(list(TABLE)), "each code is typed once, in its table row"


def test_every_code_of_the_table_is_used_and_no_retired_one() -> None:
    constants = _constants_used()
    used = {code for code in TABLE if code.replace("-", "_") in constants}
    assert sorted(e.code for e in CODES if not e.retired and e.code not in used) == []
    assert sorted(e.code for e in CODES if e.retired and e.code in used) == []


def test_a_script_error_is_a_package_error_with_the_script_format() -> None:
    error = CalibrationScriptError(Code.MC_E101_INVALID_ENV, "GAM_SPLINES='x' is not an int", "set it to 4-200")
    with pytest.raises(CalibrationStepError, match=r"^MC-E101-INVALID-ENV: GAM_SPLINES='x' is not an int \(set it to 4-200\)$"):
        raise error
    assert error.describe() == "[MC-E101-INVALID-ENV] GAM_SPLINES='x' is not an int (hint: set it to 4-200)"
    assert (error.code, error.message, error.hint, error.problems) == (Code.MC_E101_INVALID_ENV, "GAM_SPLINES='x' is not an int", "set it to 4-200", ())


def test_package_errors_keep_their_bases_and_format() -> None:
    with pytest.raises(ValueError, match=r"^\[CONFIG-VALUE\] bad \(hint: fix it\)$"):
        raise ConfigError(Code.CONFIG_VALUE, "bad", hint="fix it")
    listed = ConfigError.from_problems(Code.CONFIG_CONFLICT, "Example", [Problem(code=Code.CONFIG_CONFLICT, message="m", hint="h")])
    assert isinstance(listed, ConfigError) and str(listed).startswith("[CONFIG-CONFLICT] Example has 1 problem(s):\n  - CONFIG-CONFLICT: m")


def test_a_problem_is_a_frozen_value() -> None:
    problem = Problem(code=Code.SPEC_NODE_TYPE, message="m", hint="h", location="Demo")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.code = Code.SPEC_INVALID  # type: ignore[misc]  # the assignment is the behaviour under test
    assert problem == Problem(code="SPEC-NODE-TYPE", message="m", hint="h", location="Demo")
    assert str(dataclasses.replace(problem, location="")) == "SPEC-NODE-TYPE: m (hint: h)"


def test_a_warning_entry_has_the_recorded_shape() -> None:
    assert warning_entry(Code.MC_E303_FIT_FAILED, "a candidate failed") == {"code": "MC-E303-FIT-FAILED", "message": "a candidate failed"}


@pytest.mark.parametrize("module", [ERRORS_MODULE, TABLE_MODULE], ids=lambda path: path.name)
def test_the_error_modules_are_python_3_10_standard_library_only(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"), feature_version=(3, 10))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    siblings = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
    assert siblings <= {"error_codes"}


def test_the_error_modules_export_the_table() -> None:
    from calibration_step.script import error_codes
    from calibration_step.script import errors as script_errors

    assert set(error_codes.__all__) <= set(script_errors.__all__)
    assert all(getattr(script_errors, name) is getattr(error_codes, name) for name in error_codes.__all__)
