"""The ``calibration-step`` command line: subcommands, error lines, --debug, and fast start (no sagemaker).

The start-up tests run the command line in a subprocess and list the top-level packages it
imported: commands that do not build pipelines must not import sagemaker (about 3 s to import),
and ``--help`` imports no data library at all.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from calibration_step.cli import COMMANDS, main
from calibration_step.commands._demo_data import miscalibrated_scores
from calibration_step.errors import CalibrationScriptError, ConfigError

HEAVY = ("sagemaker", "boto3", "botocore", "pandas", "numpy", "scipy", "sklearn", "matplotlib", "pyarrow")
PROBE = """
import json, sys
from calibration_step.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = {heavy!r}
print(json.dumps({{"code": code, "imported": sorted(m for m in heavy if m in sys.modules)}}))
""".format(heavy=HEAVY)


def _probe(cwd: Path, *argv: str) -> tuple[object, list[str]]:
    """The exit code of ``calibration-step *argv`` and the heavy packages it imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], [str(name) for name in result["imported"]]


def test_every_command_module_has_the_interface() -> None:
    assert set(COMMANDS) == {"demo", "run", "apply", "report", "definition", "pipeline", "config", "check"}
    for name in COMMANDS:
        module = importlib.import_module(f"calibration_step.commands.{name}")
        assert isinstance(module.HELP, str) and module.HELP
        assert callable(module.add_arguments) and callable(module.run)


def test_version_and_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("calibration-step ")
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def _failing(_args: argparse.Namespace) -> int:
    raise ConfigError("CLI-TEST", "something is off", hint="do this")


def _crashing(_args: argparse.Namespace) -> int:
    raise RuntimeError("a bug")


def _script_failing(_args: argparse.Namespace) -> int:
    raise CalibrationScriptError("MC-E101-INVALID-ENV", "GAM_SPLINES='x' is not an int", "set it to 4-200")


@pytest.fixture
def command(monkeypatch: pytest.MonkeyPatch) -> None:
    """``calibration-step config ...`` runs the handler the test puts in place."""
    from calibration_step.commands import config

    monkeypatch.setattr(config, "run", _failing)


def test_a_package_error_is_one_line_with_code_and_hint(command: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "describe"]) == 2
    assert capsys.readouterr().err == "error [CLI-TEST] something is off (hint: do this)\n"


def test_debug_adds_the_traceback(command: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "config", "describe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith("error [CLI-TEST] something is off (hint: do this)\n")


def test_a_script_error_is_one_line_with_code_and_hint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from calibration_step.commands import config

    monkeypatch.setattr(config, "run", _script_failing)
    assert main(["config", "describe"]) == 2
    assert capsys.readouterr().err == "error [MC-E101-INVALID-ENV] GAM_SPLINES='x' is not an int (hint: set it to 4-200)\n"


def test_a_bug_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    from calibration_step.commands import config

    monkeypatch.setattr(config, "run", _crashing)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["config", "describe"])


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    assert _probe(tmp_path, "--help") == (0, [])


def test_config_commands_do_not_import_sagemaker(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    for argv in (["config", "init", str(path)], ["config", "describe"], ["config", "validate", str(path)]):
        code, imported = _probe(tmp_path, "--quiet", *argv)
        assert code == 0, argv
        assert not {"sagemaker", "boto3", "botocore"} & set(imported), argv


def test_run_and_apply_do_not_import_sagemaker(tmp_path: Path) -> None:
    data = tmp_path / "scores.csv"
    miscalibrated_scores(rows=1000, seed=0).to_csv(data, index=False)
    code, imported = _probe(tmp_path, "--quiet", "run", "--evaluation_data", str(data), "--output",
                            str(tmp_path / "out"), "--env", "CALIBRATION_METHOD=platt")
    assert code == 0
    assert not {"sagemaker", "boto3", "botocore"} & set(imported)
    calibrator = tmp_path / "out" / "calibration_output" / "calibrator.json"
    code, imported = _probe(tmp_path, "--quiet", "apply", str(calibrator), str(data))
    assert code == 0
    assert not {"sagemaker", "boto3", "botocore"} & set(imported)
