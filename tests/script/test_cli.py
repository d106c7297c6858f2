"""The command-line entry: arguments, exit codes, one error line; no path literals; lazy imports.

The script runs as ``python -m script.model_calibration`` from the repository root: under a
top-level name of its own, without the library's package, as it runs from the zipapp.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from calibration_step.script.interface import SUMMARY_FILE, ModelCalibrationOutput
from tests.script.synthetic import scenario, write_csv

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "script.model_calibration"


def _run(tmp_path: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", PACKAGE, "--job_type", "calibration",
            "--evaluation_data", os.path.join(tmp_path, "in")]
    for name in [o.value for o in ModelCalibrationOutput]:
        args += [f"--{name}", os.path.join(tmp_path, name)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **env})


def test_cli_success_exits_zero(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 3000, seed=61)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    done = _run(tmp_path, {"CALIBRATION_METHOD": "platt"})
    assert done.returncode == 0, done.stderr
    assert os.path.exists(os.path.join(tmp_path, ModelCalibrationOutput.METRICS_OUTPUT.value, SUMMARY_FILE))


def test_cli_error_logs_one_line_with_code_and_exits_2(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 300, seed=62)
    s[5] = 1.7
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    done = _run(tmp_path, {})
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "MC-E207-SCORE-OUT-OF-RANGE: " in errors[0]
    assert "Traceback" not in done.stderr
    for name in [o.value for o in ModelCalibrationOutput]:
        assert os.listdir(os.path.join(tmp_path, name)) == []


def test_cli_bad_env_exits_2(tmp_path: str) -> None:
    write_csv(os.path.join(tmp_path, "in", "d.csv"), *scenario("linear", 300, seed=63)[:2])
    done = _run(tmp_path, {"CALIBRATION_METHOD": "sigmoid"})
    assert done.returncode == 2 and "MC-E101-INVALID-ENV" in done.stderr


def test_no_container_path_literals_in_the_script() -> None:
    interfaces = [ROOT / "script" / "interface.py", ROOT / "script" / "package_interface.py"]
    modules = sorted((ROOT / "script").rglob("*.py"))
    assert len(modules) > 20 and set(interfaces) <= set(modules)
    spelled = [module for module in modules if "/opt/ml" in module.read_text(encoding="utf-8")]
    assert spelled == interfaces, "container paths are spelled in the steps' interfaces only"


def test_import_is_cheap_heavy_libraries_are_lazy() -> None:
    code = (f"import sys, {PACKAGE}\n"
            "print(sorted(m for m in ('sklearn', 'scipy', 'pygam', 'matplotlib', "
            "'calibration_step') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
