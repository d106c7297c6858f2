"""Each env var name of the ModelCalibration step is spelt in one module: the step's interface.

A name counts where a string constant of a module equals it (docstrings aside) in the package
(``calibration_step/``, without its link to the script and without the other steps, whose own
contracts may name a variable alike) or in the processing script (``script/``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from calibration_step.steps import model_evaluation, package, xgboost_training
from calibration_step.steps.model_calibration import MODEL_CALIBRATION_CONTRACT
from tests.checker.copies import REPO_ROOT

INTERFACE = Path("script/interface.py")
SCRIPT_LINK = Path("calibration_step/script")
ENV_NAMES = frozenset(MODEL_CALIBRATION_CONTRACT.env_var_names())

Place = tuple[str, str, int]
"""(env var name, module path relative to the repository, line)."""


OTHER_STEPS = frozenset(Path(module.__file__ or "").resolve().relative_to(REPO_ROOT)
                        for module in (xgboost_training, model_evaluation, package))
"""The companion steps' modules: their own contracts name their own env vars."""


def _other_step(relative: Path) -> bool:
    return relative in OTHER_STEPS


def _modules() -> Iterator[Path]:
    for root in ("calibration_step", "script"):
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT)
            if SCRIPT_LINK not in relative.parents and not _other_step(relative):
                yield relative


def _string_constants(tree: ast.AST) -> Iterator[ast.Constant]:
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def places() -> list[Place]:
    """Every string constant equal to an env var name of the contract, in every counted module."""
    found: list[Place] = []
    for module in _modules():
        tree = ast.parse((REPO_ROOT / module).read_text(encoding="utf-8"))
        found += [(node.value, str(module), node.lineno) for node in _string_constants(tree) if node.value in ENV_NAMES]
    return sorted(found)


def _is_script(module: str) -> bool:
    return Path(module).parts[0] == "script" and Path(module) != INTERFACE


def test_the_counted_modules_are_the_package_the_script_and_this_step() -> None:
    modules = {str(module) for module in _modules()}
    assert {str(INTERFACE), "script/model_calibration/settings.py", "script/model_calibration/runner.py",
            "script/errors.py", "calibration_step/steps/__init__.py",
            "calibration_step/steps/model_calibration/config.py", "calibration_step/checker/runner.py"} <= modules
    assert not [module for module in modules
                if module.startswith("calibration_step/script/") or Path(module) in OTHER_STEPS]


def test_the_package_spells_each_env_var_name_in_the_interface_only() -> None:
    outside = [place for place in places() if not _is_script(place[1]) and place[1] != str(INTERFACE)]
    in_interface = {name for name, module, _ in places() if module == str(INTERFACE)}
    assert outside == [], f"env var names spelt outside {INTERFACE}: {outside}"
    assert in_interface == ENV_NAMES
    assert len([place for place in places() if place[1] == str(INTERFACE)]) == len(ENV_NAMES)


def test_the_script_spells_no_env_var_name() -> None:
    in_script = [place for place in places() if _is_script(place[1])]
    assert in_script == [], "env var names spelt in the script (name, module, line):\n" + "\n".join(
        f"  {name} {module}:{line}" for name, module, line in in_script)
