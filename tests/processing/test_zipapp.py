"""A script packed into one zipapp: deterministic bytes, fixed entries, runnable by python."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from calibration_step.processing.zipapp import ARCHIVE_PACKAGE, build_zipapp, script_zipapp

REPO_ROOT = Path(__file__).resolve().parents[2]


def _tool(root: Path) -> Path:
    package = root / "tool"
    package.mkdir(parents=True)
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "shared.py").write_text('GREETING = "hello"\n', encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "__main__.py").write_text(
        "import sys\nfrom ..shared import GREETING\nprint(GREETING, *sys.argv[1:])\n", encoding="utf-8")
    return root


def test_the_same_sources_give_the_same_bytes_in_any_order() -> None:
    files = [("pkg/__init__.py", b""), ("pkg/__main__.py", b"print(1)\n"), ("pkg/a.py", b"A = 1\n")]
    assert build_zipapp(files, run="pkg") == build_zipapp(list(reversed(files)), run="pkg")
    assert build_zipapp(files, run="pkg") != build_zipapp(files[:2], run="pkg")


def test_entries_are_sorted_stored_and_timeless(tmp_path: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(script_zipapp(_tool(tmp_path), "tool.pyz")))
    names = archive.namelist()
    assert names == ["__main__.py", f"{ARCHIVE_PACKAGE}/__init__.py", f"{ARCHIVE_PACKAGE}/shared.py",
                     f"{ARCHIVE_PACKAGE}/tool/__init__.py", f"{ARCHIVE_PACKAGE}/tool/__main__.py"]
    for info in archive.infolist():
        assert (info.date_time, info.compress_type, info.external_attr >> 16) == ((1980, 1, 1, 0, 0, 0), zipfile.ZIP_STORED, 0o644)
    assert f'runpy.run_module("{ARCHIVE_PACKAGE}.tool"' in archive.read("__main__.py").decode()


def test_the_zipapp_runs_its_package_with_the_arguments(tmp_path: Path) -> None:
    target = tmp_path / "tool.pyz"
    target.write_bytes(script_zipapp(_tool(tmp_path / "src"), "tool.pyz"))
    done = subprocess.run([sys.executable, str(target), "--job_type", "testing"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, check=True)
    assert done.stdout == "hello --job_type testing\n"


def test_a_single_file_script_is_not_packed(tmp_path: Path) -> None:
    (tmp_path / "tool.py").write_text("print(1)\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="tool.py is a single file"):
        script_zipapp(tmp_path, "tool.py")


def test_the_shipped_script_packs_the_same_bytes_twice() -> None:
    first = script_zipapp(REPO_ROOT / "script", "model_calibration.pyz")
    assert first == script_zipapp(REPO_ROOT / "script", "model_calibration.pyz")
    assert f"{ARCHIVE_PACKAGE}/model_calibration/runner.py" in zipfile.ZipFile(io.BytesIO(first)).namelist()
