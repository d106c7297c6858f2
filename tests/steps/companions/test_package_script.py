"""The Package step's shipped script: one model archive from the model, its calibrator and its metrics."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from calibration_step.errors import CalibrationScriptError
from calibration_step.script.model_packaging.cli import run_cli
from calibration_step.script.model_packaging.packing import archive_bytes, package_model
from calibration_step.script.package_interface import PACKAGE_INPUT_PATHS, PackageInput, PackageOutput
from calibration_step.steps.model_calibration.upload import package_files
from calibration_step.steps.package import PACKAGE

CALIBRATOR = {"schema_version": 2, "checksum": "sha256:abc", "method": "platt"}
METRICS = {"threshold": {"passed": True, "value": 0.01}}


def _inputs(root: Path, model: dict[str, bytes] | None = None, *, archive: bool = True) -> dict[PackageInput, str]:
    folders = {name: root / name.value for name in PackageInput}
    for folder in folders.values():
        folder.mkdir(parents=True)
    members = model if model is not None else {"xgboost-model": b"trees", "code/inference.py": b"print(1)\n"}
    if archive:
        (folders[PackageInput.MODEL_INPUT] / "model.tar.gz").write_bytes(archive_bytes(members))
    else:
        for name, body in members.items():
            (folders[PackageInput.MODEL_INPUT] / name).parent.mkdir(parents=True, exist_ok=True)
            (folders[PackageInput.MODEL_INPUT] / name).write_bytes(body)
    (folders[PackageInput.CALIBRATION_MODEL] / "calibrator.json").write_text(json.dumps(CALIBRATOR))
    (folders[PackageInput.CALIBRATION_METRICS] / "metrics.json").write_text(json.dumps(METRICS))
    return {name: str(folder) for name, folder in folders.items()}


def _members(path: str | Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        return {member.name: archive.extractfile(member).read() for member in archive.getmembers()}  # type: ignore[union-attr]  # regular files only


@pytest.mark.parametrize("archive", [True, False])
def test_the_model_calibrator_and_metrics_land_in_one_archive(tmp_path: Path, archive: bool) -> None:
    inputs = _inputs(tmp_path / "in", archive=archive)
    written = package_model(inputs, {PackageOutput.PACKAGED_MODEL: str(tmp_path / "out")}, {})
    assert written == str(tmp_path / "out" / "model.tar.gz")
    members = _members(written)
    assert sorted(members) == ["calibration/calibrator.json", "calibration/metrics.json", "code/inference.py", "xgboost-model"]
    assert json.loads(members["calibration/calibrator.json"]) == CALIBRATOR
    assert json.loads(members["calibration/metrics.json"]) == METRICS
    assert members["xgboost-model"] == b"trees"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.tar.gz"]  # no partial file left


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    first = package_model(_inputs(tmp_path / "a"), {PackageOutput.PACKAGED_MODEL: str(tmp_path / "o1")}, {})
    second = package_model(_inputs(tmp_path / "b"), {PackageOutput.PACKAGED_MODEL: str(tmp_path / "o2")}, {})
    assert Path(first).read_bytes() == Path(second).read_bytes()


def test_the_calibrator_file_name_comes_from_the_env(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in")
    (Path(inputs[PackageInput.CALIBRATION_MODEL]) / "calibrator.json").rename(
        Path(inputs[PackageInput.CALIBRATION_MODEL]) / "risk.json")
    written = package_model(inputs, {PackageOutput.PACKAGED_MODEL: str(tmp_path / "out")}, {"CALIBRATOR_FILE": "risk.json"})
    assert "calibration/risk.json" in _members(written)
    with pytest.raises(CalibrationScriptError, match=r"MC-E601-PACKAGE-INPUT: calibration_model has no readable JSON file 'calibrator.json'"):
        package_model(inputs, {PackageOutput.PACKAGED_MODEL: str(tmp_path / "out2")}, {})


def test_bad_inputs_are_coded_errors(tmp_path: Path) -> None:
    out = {PackageOutput.PACKAGED_MODEL: str(tmp_path / "out")}
    empty = _inputs(tmp_path / "empty", model={}, archive=False)
    with pytest.raises(CalibrationScriptError, match=r"MC-E601-PACKAGE-INPUT: model_input .* holds no file"):
        package_model(empty, out, {})
    clash = _inputs(tmp_path / "clash", model={"calibration/old.json": b"{}"})
    with pytest.raises(CalibrationScriptError, match=r"MC-E602-PACKAGE-MEMBER: the model already holds \['calibration/old.json'\]"):
        package_model(clash, out, {})
    not_calibrator = _inputs(tmp_path / "notcal")
    (Path(not_calibrator[PackageInput.CALIBRATION_MODEL]) / "calibrator.json").write_text("{}")
    with pytest.raises(CalibrationScriptError, match=r"MC-E601-PACKAGE-INPUT: calibration_model/calibrator.json is not a calibrator"):
        package_model(not_calibrator, out, {})
    broken = _inputs(tmp_path / "broken")
    (Path(broken[PackageInput.MODEL_INPUT]) / "model.tar.gz").write_bytes(b"not gzip")
    with pytest.raises(CalibrationScriptError, match=r"MC-E601-PACKAGE-INPUT: the model archive .* cannot be read"):
        package_model(broken, out, {})
    escaping = _inputs(tmp_path / "escaping", model={})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("../evil")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    (Path(escaping[PackageInput.MODEL_INPUT]) / "model.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(CalibrationScriptError, match=r"MC-E602-PACKAGE-MEMBER: .* holds a member outside the archive: '\.\./evil'"):
        package_model(escaping, out, {})
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_the_command_line_exits_2_with_the_coded_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = _inputs(tmp_path / "in")
    (Path(inputs[PackageInput.CALIBRATION_METRICS]) / "metrics.json").unlink()
    argv = [arg for name, folder in inputs.items() for arg in (f"--{name.value}", folder)]
    assert run_cli([*argv, "--packaged_model", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith("MC-E601-PACKAGE-INPUT: calibration_metrics has no readable JSON file 'metrics.json'")


def test_the_uploaded_zipapp_runs_with_the_standard_library_alone(tmp_path: Path) -> None:
    [(name, body)] = package_files()
    script = tmp_path / name
    script.write_bytes(body)
    inputs = _inputs(tmp_path / "in")
    argv = [arg for key, folder in inputs.items() for arg in (f"--{key.value}", folder)]
    done = subprocess.run([sys.executable, "-I", "-S", str(script), *argv, "--packaged_model", str(tmp_path / "out")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "calibration/calibrator.json" in _members(tmp_path / "out" / "model.tar.gz")


def test_the_contract_takes_its_paths_from_the_scripts_interface() -> None:
    assert {name.value: path for name, path in PACKAGE.contract.input_paths.items()} == {
        name.value: path for name, path in PACKAGE_INPUT_PATHS.items()}
