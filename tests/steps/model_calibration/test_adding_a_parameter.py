"""docs/adding_a_parameter.md, worked: a new env var touches three places of code and nothing else.

A copy of the tree gets the example's edits (the interface, the config field, the script code that
reads it): its contract declares the env var with its default, its config sends, defaults and
validates it, and its alignment checker finds nothing wrong. Copies that leave one place out get
the finding that names the gap.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from calibration_step.checker.findings import Report
from calibration_step.checker.runner import check_tree
from tests.checker.copies import REPO_ROOT, copy_tree, replace

GUIDE = REPO_ROOT / "docs" / "adding_a_parameter.md"
INTERFACE = Path("script/interface.py")
CONFIG = Path("calibration_step/steps/model_calibration/config.py")
SCRIPT = Path("script/model_calibration/settings.py")

ENV_MEMBER = '    PLOT_DIAGRAM = "PLOT_DIAGRAM"\n'
SETTINGS_FIELD = "    plot_diagram: bool = _flag(True)\n"
CONFIG_FIELD = "    plot_diagram: bool = _setting(_Env.PLOT_DIAGRAM)\n"
SCRIPT_FIELD = "    plot_diagram: bool = True\n"
SCRIPT_READ = "        plot_diagram=_typed(bool, _read(environ, ModelCalibrationEnv.PLOT_DIAGRAM)),\n"
ANOTHER_DEFAULT = '''

def plot_diagram_requested(environ: dict[str, str]) -> bool:
    """Whether PLOT_DIAGRAM asks for the reliability diagram."""
    return environ.get("PLOT_DIAGRAM", "false").strip().lower() in ("true", "1")
'''


def _after(path: Path, anchor: str, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        replace(root / path, anchor, anchor + text)
    return edit


def _append(path: Path, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        with (root / path).open("a", encoding="utf-8") as handle:
            handle.write(text)
    return edit


SHARED_DEFINITION = (_after(INTERFACE, '    TEMPERATURE_BIAS = "TEMPERATURE_BIAS"\n', ENV_MEMBER),
                     _after(INTERFACE, "    temperature_bias: bool = _flag(False)\n", SETTINGS_FIELD))
CONFIG_EDIT = _after(CONFIG, "    log_level: LogLevel = _setting(_Env.LOG_LEVEL)\n", CONFIG_FIELD)
SCRIPT_EDITS = (_after(SCRIPT, "    temperature_bias: bool = False\n", SCRIPT_FIELD),
                _after(SCRIPT, "        temperature_bias=_typed(bool, _read(environ, ModelCalibrationEnv.TEMPERATURE_BIAS)),\n",
                       SCRIPT_READ))

COPIES: dict[str, tuple[Callable[[Path], None], ...]] = {
    "complete": (*SHARED_DEFINITION, CONFIG_EDIT, *SCRIPT_EDITS),
    "no script code": (*SHARED_DEFINITION, CONFIG_EDIT),
    "another default in the script": (*SHARED_DEFINITION, CONFIG_EDIT, _append(SCRIPT, ANOTHER_DEFAULT)),
    "no config field": (*SHARED_DEFINITION, *SCRIPT_EDITS),
    "no settings field": (SHARED_DEFINITION[0], CONFIG_EDIT, *SCRIPT_EDITS),
}

_READ_BACK = """
import json, attrs
import calibration_step
from calibration_step.errors import ConfigError
from calibration_step.script.interface import ModelCalibrationEnv as Env
from calibration_step.steps.model_calibration import MODEL_CALIBRATION_CONTRACT, model_calibration_environment
from calibration_step.steps.model_calibration.config import example_config
config = example_config()
try:
    attrs.evolve(config, plot_diagram="yes")
    refused = None
except ConfigError as error:
    refused = [error.code, error.problems[0].location]
print(json.dumps({
    "package": calibration_step.__file__,
    "contract default": MODEL_CALIBRATION_CONTRACT.optional_env_vars[Env.PLOT_DIAGRAM],
    "sent": model_calibration_environment(config)[Env.PLOT_DIAGRAM],
    "sent when off": model_calibration_environment(attrs.evolve(config, plot_diagram=False))[Env.PLOT_DIAGRAM],
    "refused": refused,
}))
"""
"""Run in the complete copy, with the copy first on ``sys.path``."""


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Report]]:
    roots: dict[str, Path] = {}
    for index, (name, edits) in enumerate(COPIES.items()):
        root = copy_tree(tmp_path_factory.mktemp(f"parameter{index}"))
        for edit in edits:
            edit(root)
        roots[name] = root
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(roots, pool.map(check_tree, roots.values()), strict=True))
    return {name: (roots[name], reports[name]) for name in roots}


def _changed_files(root: Path) -> list[str]:
    """Files of the copy that differ from the repository's (or are new); the script link is not followed."""
    changed: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            relative = (Path(folder) / name).relative_to(root)
            original = REPO_ROOT / relative
            if not original.is_file() or not filecmp.cmp(root / relative, original, shallow=False):
                changed.append(str(relative))
    return sorted(changed)


def test_the_guide_shows_every_edit() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for snippet in (ENV_MEMBER, SETTINGS_FIELD, CONFIG_FIELD, SCRIPT_FIELD, SCRIPT_READ, ANOTHER_DEFAULT.strip()):
        assert snippet.rstrip() in guide, f"docs/adding_a_parameter.md does not show {snippet!r}"


def test_a_new_env_var_touches_three_files(copies: dict[str, tuple[Path, Report]]) -> None:
    root, _ = copies["complete"]
    assert _changed_files(root) == [str(CONFIG), str(INTERFACE), str(SCRIPT)]


def test_contract_and_config_pick_it_up(copies: dict[str, tuple[Path, Report]]) -> None:
    root, _ = copies["complete"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    out = subprocess.run([sys.executable, "-c", _READ_BACK], cwd=root, env=env, capture_output=True, text=True,
                         check=True).stdout
    read = json.loads(out)
    assert Path(read.pop("package")).resolve().is_relative_to(root.resolve())
    assert read == {"contract default": "true", "sent": "true", "sent when off": "false",
                    "refused": ["CONFIG-TYPE", "plot_diagram"]}


def test_the_checker_finds_nothing_wrong_with_the_complete_edit(copies: dict[str, tuple[Path, Report]]) -> None:
    _, report = copies["complete"]
    assert [f.code for f in report.findings if f.severity != "info"] == []
    assert report.passed


@pytest.mark.parametrize(("copy", "code", "words"), [
    ("no script code", "SCRIPT-ENV-OPTIONAL-UNREAD", "optional PLOT_DIAGRAM, which the script never reads"),
    ("another default in the script", "SCRIPT-ENV-DEFAULT", "script defaults PLOT_DIAGRAM to 'false', the contract to 'true'"),
    ("no config field", "BUILDER-FAILED", "ModelCalibrationConfig has no field plot_diagram"),
    ("no settings field", "CHECK-IMPORT", "env vars without a field ['PLOT_DIAGRAM']"),
])
def test_a_place_left_out_is_a_finding(copies: dict[str, tuple[Path, Report]], copy: str, code: str,
                                       words: str) -> None:
    _, report = copies[copy]
    assert [f.message for f in report.findings if f.code == code and words in f.message], report.findings
