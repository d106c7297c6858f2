"""The command-line entry: arguments, exit codes, one error line; no path literals; lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys

from calibration_step.script import model_calibration as mc
from tests.script.synthetic import scenario, write_csv

SCRIPT = mc.__file__


def _run(tmp_path: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, SCRIPT, "--job_type", "calibration",
            "--evaluation_data", os.path.join(tmp_path, "in")]
    for name in mc.OUTPUT_NAMES:
        args += [f"--{name}", os.path.join(tmp_path, name)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_cli_success_exits_zero(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 3000, seed=61)
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    done = _run(tmp_path, {"CALIBRATION_METHOD": "platt"})
    assert done.returncode == 0, done.stderr
    assert os.path.exists(os.path.join(tmp_path, mc.OUTPUT_METRICS, mc.SUMMARY_FILE))


def test_cli_error_logs_one_line_with_code_and_exits_2(tmp_path: str) -> None:
    s, y, _ = scenario("linear", 300, seed=62)
    s[5] = 1.7
    write_csv(os.path.join(tmp_path, "in", "d.csv"), s, y)
    done = _run(tmp_path, {})
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "MC-E207-SCORE-OUT-OF-RANGE: " in errors[0]
    assert "Traceback" not in done.stderr
    for name in mc.OUTPUT_NAMES:
        assert os.listdir(os.path.join(tmp_path, name)) == []


def test_cli_bad_env_exits_2(tmp_path: str) -> None:
    write_csv(os.path.join(tmp_path, "in", "d.csv"), *scenario("linear", 300, seed=63)[:2])
    done = _run(tmp_path, {"CALIBRATION_METHOD": "sigmoid"})
    assert done.returncode == 2 and "MC-E101-INVALID-ENV" in done.stderr


def test_no_container_path_literals_in_the_script() -> None:
    with open(SCRIPT, encoding="utf-8") as handle:
        source = handle.read()
    assert "/opt/ml" not in source


def test_import_is_cheap_heavy_libraries_are_lazy() -> None:
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('mc', {SCRIPT!r})\n"
            "module = importlib.util.module_from_spec(spec); sys.modules['mc'] = module\n"
            "spec.loader.exec_module(module)\n"
            "print(sorted(m for m in ('sklearn', 'scipy', 'pygam', 'matplotlib') "
            "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"
