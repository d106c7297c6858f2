"""The source files of a processing script: the file itself, or its package and the modules beside it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from calibration_step.processing.script_source import script_package_name, script_source_files

REPO_ROOT = Path(__file__).resolve().parents[2]


def _write(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"# {name}\n", encoding="utf-8")


def test_a_file_entry_point_is_its_only_source(tmp_path: Path) -> None:
    _write(tmp_path, "tool.py", "tool/__main__.py", "helpers.py")
    assert script_source_files(tmp_path, "tool.py") == (("tool.py", b"# tool.py\n"),)


def test_a_package_brings_its_modules_below_it_and_the_modules_beside_it_it_imports(tmp_path: Path) -> None:
    _write(tmp_path, "__init__.py", "helpers.py", "names.py", "unused.py", "notes.txt", "other/__init__.py",
           "tool/__init__.py", "tool/__main__.py", "tool/inner/deep.py", "tool/__pycache__/cached.py", "tool/data.json")
    (tmp_path / "tool" / "inner" / "deep.py").write_text("from ...helpers import run\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("from .names import NAME\n", encoding="utf-8")
    files = dict(script_source_files(tmp_path, "tool.pyz"))
    assert list(files) == ["__init__.py", "helpers.py", "names.py", "tool/__init__.py", "tool/__main__.py",
                           "tool/inner/deep.py"]
    assert files["tool/inner/deep.py"] == b"from ...helpers import run\n"


def test_the_two_shipped_scripts_take_only_the_modules_they_import() -> None:
    calibration = [name for name, _ in script_source_files(REPO_ROOT / "script", "model_calibration.pyz")]
    packaging = [name for name, _ in script_source_files(REPO_ROOT / "script", "model_packaging.pyz")]
    assert "interface.py" in calibration and "package_interface.py" not in calibration
    assert "package_interface.py" in packaging and "interface.py" not in packaging
    assert {"__init__.py", "errors.py", "error_codes.py"} <= set(calibration) & set(packaging)


def test_a_folder_without_main_is_not_a_script(tmp_path: Path) -> None:
    _write(tmp_path, "tool/__init__.py")
    with pytest.raises(FileNotFoundError, match=r"no tool.py and no package tool/ with a __main__.py"):
        script_source_files(tmp_path, "tool.py")


def test_the_shipped_script_is_the_package_in_the_tree_and_installed() -> None:
    in_tree = script_source_files(REPO_ROOT / "script", "model_calibration.pyz")
    installed = script_source_files(resources.files("calibration_step.script"), "model_calibration.pyz")
    assert in_tree == installed
    names = [name for name, _ in in_tree]
    assert {"__init__.py", "model_calibration/__main__.py", "model_calibration/runner.py"} <= set(names)
    assert all(name.endswith(".py") for name in names) and names == sorted(names)


@pytest.mark.parametrize(("entry_point", "stem"), [("a.pyz", "a"), ("a.py", "a"), ("a", "a")])
def test_the_package_name_is_the_entry_points_stem(entry_point: str, stem: str) -> None:
    assert script_package_name(entry_point) == stem
