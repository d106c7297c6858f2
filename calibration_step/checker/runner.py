"""Run the four levels over a registry, the installed package, or a project tree on disk.

- :func:`check_registry` checks every step of a registry; scripts are read from ``root/script``
  or, without a root, from the installed ``calibration_step.script`` package.
- :func:`check_installed` checks :func:`~calibration_step.steps.default_registry`; a step that
  breaks its construction invariants while the registry is built becomes findings.
- :func:`check_tree` checks the project tree at ``root`` without installing it: a subprocess
  imports ``root/calibration_step`` (and ``root/script`` as ``calibration_step.script``) in
  isolation, runs that tree's checker and hands its report back as JSON.

A level that crashes is reported as ``CHECK-CRASHED``; nothing here raises for a broken step.

Codes of the set-up (level 0): ``CHECK-NO-STEPS`` (warning), ``CHECK-IMPORT`` (the steps cannot
be imported), ``CHECK-ROOT`` (the tree is not a project tree, or its checker failed).

Examples
--------
>>> report = check_registry(build_registry(()))
>>> report.passed, sorted(report.codes())
(True, ['CHECK-NO-STEPS'])
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Final

from calibration_step.checker.findings import Finding, Report, report_from_json
from calibration_step.checker.level1_script_contract import check_script_contract
from calibration_step.checker.level2_contract_spec import check_contract_spec, construction_findings
from calibration_step.checker.level3_spec_dependencies import check_spec_dependencies
from calibration_step.checker.level4_builder_config import check_builder_config
from calibration_step.errors import CalibrationStepError, Code, SerializationError
from calibration_step.registry import AnyStepRegistration, StepRegistry, build_registry  # build_registry: doctest

__all__ = ["check_installed", "check_registry", "check_tree"]

_ALL_LEVELS: Final[tuple[int, ...]] = (1, 2, 3, 4)
_TIMEOUT_SECONDS: Final = 600


def _installed_script_dir() -> Path | None:
    """The folder of the installed ``calibration_step.script`` package (the processing scripts)."""
    spec = importlib.util.find_spec("calibration_step.script")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _setup(severity: str, code: str, message: str, fix: str, step_type: str = "") -> Finding:
    return Finding(level=0, severity="error" if severity == "error" else "warning", code=code, message=message,
                   fix=fix, step_type=step_type)


def _guarded(level: int, step_type: str, run: Callable[[], Iterable[Finding]]) -> list[Finding]:
    try:
        return list(run())
    except Exception as exc:  # a crashing level is a finding, never a traceback
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return [Finding(level=level, severity="error", code=Code.CHECK_CRASHED, step_type=step_type,
                        message=f"level {level} crashed: {type(exc).__name__}: {exc} "
                                f"({Path(frame.filename).name}:{frame.lineno})",
                        fix="report this: the checker should turn every problem into a finding")]


def _check_one(registration: AnyStepRegistration, registry: StepRegistry, script_dir: Path | None,
               levels: Collection[int]) -> list[Finding]:
    step = registration.step_type
    found: list[Finding] = []
    if 1 in levels:
        if script_dir is None:
            found.append(Finding(level=1, severity="info", code=Code.CHECK_NOT_CHECKED, step_type=step,
                                 message="not checked: script <-> contract, because the scripts' folder was not found",
                                 fix="install calibration_step with its script package, or pass --root"))
        else:
            found += _guarded(1, step, lambda: check_script_contract(registration, script_dir))
    if 2 in levels:
        found += _guarded(2, step, lambda: check_contract_spec(registration))
    if 3 in levels:
        found += _guarded(3, step, lambda: check_spec_dependencies(registration, registry))
    if 4 in levels:
        found += _guarded(4, step, lambda: check_builder_config(registration))
    return found


def check_registry(registry: StepRegistry, root: Path | None = None, *, levels: Collection[int] = _ALL_LEVELS) -> Report:
    """Check every step of ``registry`` at the given levels.

    Parameters
    ----------
    registry : StepRegistry
        The steps to check (level 3 scores dependencies against every step in it).
    root : Path, optional
        A project tree whose ``script/`` folder holds the scripts; default: the installed scripts.
    levels : collection of int, default (1, 2, 3, 4)
        Which levels to run.
    """
    script_dir = root / "script" if root is not None else _installed_script_dir()
    found: list[Finding] = []
    if len(registry) == 0:
        found.append(_setup("warning", Code.CHECK_NO_STEPS, "the registry holds no step, so nothing was checked",
                            "register the package's steps in calibration_step.steps.default_registry()"))
    for registration in registry:
        found += _check_one(registration, registry, script_dir, levels)
    return Report(steps=registry.names(), findings=tuple(found), root=str(root) if root is not None else "")


def _step_of(error: CalibrationStepError) -> str:
    for problem in error.problems:
        head = problem.location.split(".", 1)[0].split(" ", 1)[0]
        if head[:1].isupper() and head.isidentifier():
            return head
    return ""


def check_installed(root: Path | None = None, *, levels: Collection[int] = _ALL_LEVELS) -> Report:
    """Check :func:`~calibration_step.steps.default_registry` of the imported package.

    A step whose spec, contract or registration cannot be built is reported with the codes of
    its problems (level 2); an import error of the steps is ``CHECK-IMPORT``.
    """
    where = str(root) if root is not None else ""
    try:
        from calibration_step.steps import default_registry

        registry = default_registry()
    except CalibrationStepError as exc:
        step = _step_of(exc)
        return Report(steps=(step,) if step else (), root=where,
                      findings=construction_findings(exc, step_type=step))
    except Exception as exc:  # an import error of a broken tree is a finding, never a traceback
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return Report(steps=(), root=where, findings=(_setup(
            "error", Code.CHECK_IMPORT, f"the steps cannot be imported: {type(exc).__name__}: {exc} "
            f"({frame.filename}:{frame.lineno})", "fix the import error"),))
    return check_registry(registry, root, levels=levels)


_BOOTSTRAP: Final = """
import sys
from pathlib import Path
root = Path.cwd().resolve()
import calibration_step
if Path(calibration_step.__file__).resolve().parent != root / "calibration_step":
    sys.exit(f"imported calibration_step from {calibration_step.__file__}, not from {root}")
from calibration_step.checker.findings import render_json
from calibration_step.checker.runner import check_installed
report = check_installed(root, levels=[int(level) for level in sys.argv[2].split(",")])
Path(sys.argv[1]).write_text(render_json(report), encoding="utf-8")
"""
"""Run with the tree as the working directory: ``python -c`` puts it first on ``sys.path``, before
any installed (or editable) copy of the package."""


def _isolated_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_tree(root: Path, *, levels: Collection[int] = _ALL_LEVELS, python: str = sys.executable) -> Report:
    """Check the project tree at ``root`` (its ``calibration_step/`` and ``script/``) without installing it.

    The tree's own package (and checker) runs in a subprocess with ``root`` first on ``sys.path``;
    the installed package is not imported there.
    """
    root = Path(root).resolve()
    if not (root / "calibration_step" / "__init__.py").is_file():
        return Report(steps=(), root=str(root), findings=(_setup(
            "error", Code.CHECK_ROOT, f"{root} has no calibration_step/__init__.py",
            "pass the root of a calibration_step project tree (the folder holding setup.cfg)"),))
    with tempfile.TemporaryDirectory(prefix="calibration-step-check-") as scratch:
        out = Path(scratch) / "report.json"
        completed = subprocess.run(
            [python, "-c", _BOOTSTRAP, str(out), ",".join(str(level) for level in sorted(levels))],
            cwd=root, env=_isolated_env(), capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False,
        )
        text = out.read_text(encoding="utf-8") if out.is_file() else ""
    if completed.returncode != 0 or not text:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        return Report(steps=(), root=str(root), findings=(_setup(
            "error", Code.CHECK_ROOT, f"the checker of {root} failed (exit {completed.returncode}): " + " | ".join(tail),
            "run `calibration-step --debug check` inside that tree to see the traceback"),))
    try:
        return report_from_json(text)
    except SerializationError as exc:
        return Report(steps=(), root=str(root), findings=(_setup(
            "error", Code.CHECK_ROOT, f"the checker of {root} wrote a report this version cannot read: {exc.message}",
            "check the tree with its own calibration-step command"),))

