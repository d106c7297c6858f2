"""``calibration-step demo``: the whole story offline; and the README's demo after a wheel install.

The install test builds a wheel from a copy of the sources with the running interpreter (``pip wheel
--no-deps --no-build-isolation``: the ``dev`` extra provides setuptools and wheel), installs it into
a fresh venv without system site packages (``--no-deps --no-index``: nothing is downloaded), makes
the running environment's dependencies visible to that venv through a ``.pth`` file (its own
``.pth`` files, an editable install of this repository among them, are not processed there), then
runs the demo from an empty folder with every AWS_* variable removed and every network connection
refused (a ``sitecustomize`` records and refuses ``socket.connect``). It works the same from a venv
or a base interpreter. It takes about half a minute; it is the one test of its kind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from calibration_step.cli import main
from calibration_step.commands.demo import CONFIG_FILE, DATA_FILE, DEFINITION_FILE, MODEL_ARCHIVE, S3_FOLDER
from calibration_step.commands._configs import dag_from_configs, load_configs
from calibration_step.script import model_calibration as mc
from tests.pipeline_example import REPO_ROOT, schema_errors

EXPECTED_FILES = sorted([
    "calibrated_data/" + DATA_FILE,
    CONFIG_FILE,
    "calibration_output/calibrator.json",
    "evaluation_data/" + DATA_FILE,
    "metrics_output/metrics.json",
    "metrics_output/reliability_diagram.png",
    "metrics_output/report.html",
    "metrics_output/summary.json",
    DEFINITION_FILE,
])
REFUSE_NETWORK = '''
import os, socket
_connect = socket.socket.connect
def _refuse(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    with open(os.environ["NETWORK_LOG"], "a") as log:
        log.write(repr(address) + "\\n")
    raise OSError("network refused in the demo test: %r" % (address,))
socket.socket.connect = _refuse
'''


STAGED_FILES = sorted([DATA_FILE, MODEL_ARCHIVE, "model_calibration.pyz", "requirements.txt",
                       "model_packaging.pyz"])
"""The objects staged in the demo's local S3 folder (their names)."""


def check_demo_folder(folder: Path, listed: list[str]) -> dict[str, object]:
    """Every listed file exists and is valid; returns metrics.json."""
    assert [name for name in listed if not name.startswith(S3_FOLDER + "/")] == EXPECTED_FILES
    assert sorted(name.rsplit("/", 1)[-1] for name in listed if name.startswith(S3_FOLDER + "/")) == STAGED_FILES
    for name in listed:
        path = folder / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".json"):
            json.loads(path.read_text())
    assert (folder / "metrics_output/reliability_diagram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = pd.read_parquet(folder / "calibrated_data" / DATA_FILE)
    assert {"label", "prob_class_1", "calibrated_prob_class_1"} <= set(data.columns)
    calibrator = mc.load_calibrator(str(folder / "calibration_output/calibrator.json"))
    assert len(mc.apply_calibrator(calibrator, data["prob_class_1"].to_numpy())) == len(data)
    definition = json.loads((folder / DEFINITION_FILE).read_text())
    assert schema_errors(definition) == []
    assert "threshold.passed" in json.dumps(definition)
    assert '"Get": "Steps.ModelCalibration-Calibration.ProcessingOutputConfig' in json.dumps(definition)
    assert '"Get": "Parameters.EvaluationData"' in json.dumps(definition)
    dag = dag_from_configs(load_configs(folder / CONFIG_FILE))
    assert dag.calibration.calibration_method == calibrator.method
    metrics: dict[str, object] = json.loads((folder / "metrics_output/metrics.json").read_text())
    return metrics


def _run_local_arguments(stdout: str) -> list[str]:
    """The arguments of the ``calibration-step pipeline run-local`` command the demo prints."""
    match = re.search(r"^  calibration-step (pipeline run-local .+)$", stdout, flags=re.MULTILINE)
    assert match is not None, stdout
    return match[1].split()


def _check_packaged(s3_root: Path) -> None:
    """One local execution wrote, in the local S3 folder ``s3_root``, the Package step's archive:
    the stand-in model with the calibrator and its metrics."""
    [archive] = list(s3_root.rglob("packaged_model/model.tar.gz"))
    with tarfile.open(archive, mode="r:gz") as packed:
        assert sorted(packed.getnames()) == ["calibration/calibrator.json", "calibration/metrics.json",
                                             "demo-model.txt"]


def _listed(stdout: str) -> tuple[Path, list[str]]:
    match = re.search(r"^wrote (.+):\n((?:  .+\n?)+)", stdout, flags=re.MULTILINE)
    assert match is not None, stdout
    return Path(match[1]), [line.strip() for line in match[2].splitlines()]


def test_demo_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["--quiet", "demo", "--output", str(out), "--rows", "3000", "--method", "platt"]) == 0
    stdout = capsys.readouterr().out
    folder, listed = _listed(stdout)
    assert folder == out.resolve()
    metrics = check_demo_folder(folder, listed)
    assert "calibration slope" in stdout and "mean |probability - true probability|" in stdout
    calibrated, uncalibrated = metrics["calibrated"], metrics["uncalibrated"]
    assert isinstance(calibrated, dict) and isinstance(uncalibrated, dict)
    assert calibrated["ece_equal_width"] < uncalibrated["ece_equal_width"]
    # the printed command runs the definition whole on what the demo staged
    arguments = _run_local_arguments(stdout)
    assert main(["--quiet", *arguments]) == 0
    _check_packaged(out / S3_FOLDER)


def test_demo_never_writes_into_a_non_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--output", str(tmp_path)]) == 2
    assert "error [CLI-DEMO-OUTPUT]" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["keep.txt"]


def _copy_sources(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for name in ("calibration_step", "script"):
        shutil.copytree(REPO_ROOT / name, target / name, ignore=ignore, symlinks=True)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, target / name)
    return target


def _see_running_dependencies(python: Path) -> None:
    """Append the running interpreter's site directories to the venv's ``sys.path``."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    directories = [*site.getsitepackages(), site.getusersitepackages()]
    (Path(purelib) / "running_dependencies.pth").write_text("\n".join(directories) + "\n")


def test_readme_demo_after_a_wheel_install_from_an_empty_folder(tmp_path: Path) -> None:
    source = _copy_sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--disable-pip-version-check", "-w", str(wheels), str(source)], check=True, cwd=tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, command = venv / "bin" / "python", venv / "bin" / "calibration-step"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--disable-pip-version-check", *map(str, wheels.glob("*.whl"))], check=True, cwd=tmp_path)
    _see_running_dependencies(python)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(REFUSE_NETWORK)
    network_log = tmp_path / "network.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("PYTHONPATH", "MYPYPATH")}
    env.update(PYTHONPATH=str(hooks), NETWORK_LOG=str(network_log))
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(python), "-c", "import calibration_step.script.model_calibration as m; print(m.__file__)"],
                           check=True, cwd=empty, env=env, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel's copy, not the repository's
    hook = subprocess.run([str(python), "-c", "import socket; print(socket.socket.connect.__name__)"],
                          check=True, cwd=empty, env=env, capture_output=True, text=True).stdout.strip()
    assert hook == "_refuse"  # connections are refused in the child processes
    done = subprocess.run([str(command), "demo"], cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    folder, listed = _listed(done.stdout)
    assert folder.parent == empty.resolve() and folder.name.startswith("calibration-demo-")
    metrics = check_demo_folder(folder, listed)
    assert isinstance(metrics["threshold"], dict) and metrics["threshold"]["passed"] is True
    assert "[3/4] building the pipeline definition" in done.stderr
    assert f"[4/4] staging the steps' code and inputs in {S3_FOLDER}/" in done.stderr
    # the command the demo prints, as a user pastes it: the definition runs whole, offline
    ran = subprocess.run([str(command), *_run_local_arguments(done.stdout)], cwd=empty, env=env,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    _check_packaged(folder / S3_FOLDER)
    assert not network_log.exists(), network_log.read_text()
