"""The executor's codes: typed once in their table, each used, each documented."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

from calibration_step.local.codes import LOCAL_CODES, LocalCode

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((REPO_ROOT / "calibration_step" / "local").glob("*.py")) + [
    REPO_ROOT / "calibration_step" / "commands" / "pipeline.py"]
TABLE = REPO_ROOT / "calibration_step" / "local" / "codes.py"
_CODE = re.compile(r"LOCAL(?:-[A-Z0-9]+)+")


def _literals(path: Path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CODE.fullmatch(node.value)]


def test_each_code_is_typed_once_in_the_table_and_nowhere_else() -> None:
    assert Counter(_literals(TABLE)) == Counter(list(LOCAL_CODES))
    elsewhere = {f"{path.name}: {code}" for path in MODULES if path != TABLE for code in _literals(path)}
    assert elsewhere == set()


def test_each_constant_is_named_after_its_code_and_used() -> None:
    constants = {name: value for name, value in vars(LocalCode).items() if name.isupper()}
    assert sorted(constants.values()) == sorted(LOCAL_CODES)
    assert all(value == "LOCAL-" + name.replace("_", "-") for name, value in constants.items())
    sources = "\n".join(path.read_text(encoding="utf-8") for path in MODULES if path != TABLE)
    assert {name for name in constants if f"LocalCode.{name}" not in sources} == set()


def test_the_documentation_lists_every_code_with_its_meaning() -> None:
    page = (REPO_ROOT / "docs" / "local_execution.md").read_text(encoding="utf-8")
    assert {code for code, meaning in LOCAL_CODES.items() if f"| `{code}` | {meaning} |" not in page} == set()
