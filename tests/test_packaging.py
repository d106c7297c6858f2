"""Packaging: every sub-package is listed in setup.cfg, and a built wheel carries the script."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _listed_packages() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "setup.cfg")
    return {line.strip() for line in parser["options"]["packages"].splitlines() if line.strip()}


def test_every_package_folder_is_listed_in_setup_cfg() -> None:
    found = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for init in (REPO_ROOT / "calibration_step").rglob("__init__.py")
    }
    # calibration_step/script is a link to script/, which rglob does not follow
    script = {
        ".".join(("calibration_step", *init.parent.relative_to(REPO_ROOT).parts))
        for init in (REPO_ROOT / "script").rglob("__init__.py")
    }
    assert "calibration_step.script.model_calibration" in script
    assert found | script == _listed_packages()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("calibration_step-*.whl"))


def test_wheel_carries_the_script_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "calibration_step/py.typed" in names
    assert "calibration_step/schemas/sagemaker-pipeline-definition.extended.schema.json" in names
    assert "calibration_step/script/__init__.py" in names
    for listed in _listed_packages():
        assert f"{listed.replace('.', '/')}/__init__.py" in names
