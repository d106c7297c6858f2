"""``calibration-step check``: exit codes, formats, --root and --levels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration_step.cli import COMMANDS, main
from calibration_step.steps import default_registry
from tests.checker.copies import RENAMED_LABEL_FIELD, copy_tree, replace


def test_check_is_a_command() -> None:
    assert "check" in COMMANDS


def test_the_installed_package_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("calibration-step check: PASSED (0 errors, 0 warnings, ")
    assert "ModelCalibration" in out


def test_json_report_of_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "check", "--format", "json", "--levels", "1,2,3"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is True
    assert document["steps"] == list(default_registry().names())
    assert {f["level"] for f in document["findings"]} <= {1, 2, 3}


def test_a_broken_tree_fails_with_exit_status_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_tree(tmp_path)
    replace(root / "script" / "model_calibration" / "settings.py", *RENAMED_LABEL_FIELD)
    assert main(["--quiet", "check", "--root", str(root), "--format", "json", "--levels", "1"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is False
    assert document["root"] == str(root.resolve())
    errors = {f["code"] for f in document["findings"] if f["severity"] == "error"}
    assert errors == {"SCRIPT-ENV-UNDECLARED", "SCRIPT-ENV-REQUIRED-UNREAD"}
    assert all(f["fix"] for f in document["findings"])


def test_a_folder_that_is_not_a_project_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "check", "--root", str(tmp_path)]) == 1
    assert "error   CHECK-ROOT" in capsys.readouterr().out


@pytest.mark.parametrize("levels", ["0", "1,5", "x"])
def test_levels_must_be_1_to_4(levels: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--levels", levels]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error [CLI-USAGE] calibration-step check: argument --levels: ")
    assert "levels must be comma-separated numbers from 1 to 4" in line and line.endswith(
        "(hint: see calibration-step check --help)")
