"""The README is executable: its commands are the real ones, its Python runs and type-checks.

``python`` blocks are concatenated in order into one module: it is run in a subprocess (one
namespace, dummy AWS settings, no network needed) and checked with ``mypy --strict``. A block
whose first line is ``# needs an AWS account`` is type-checked but not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Final

from calibration_step.cli import COMMANDS
from tests.typecheck import REPO_ROOT, check_snippets

README: Final = REPO_ROOT / "README.md"
TEST_COMMAND: Final = "python -m pip install -e '.[dev]' && python -m mypy && python -m pytest -q"
NOT_RUN: Final = "# needs an AWS account"
_FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", flags=re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    """The README's fenced blocks of ``language``, dedented by their fence's indentation."""
    found = []
    for match in _FENCE.finditer(README.read_text(encoding="utf-8")):
        if match[2] == language:
            indent = len(match[1])
            found.append("".join(line[indent:] if line.strip() else line for line in match[3].splitlines(True)))
    return found


def _module(*, runnable_only: bool) -> str:
    chosen = [b for b in blocks("python") if not (runnable_only and b.startswith(NOT_RUN))]
    return "\n".join(chosen)


def test_the_demo_is_one_shell_line() -> None:
    demos = [b for b in blocks("sh") if "calibration-step demo" in b]
    assert len(demos) == 1
    (line,) = demos[0].splitlines()
    assert line == "python -m pip install . && calibration-step demo"
    assert re.search(r"calibration-step demo( \S+)*$", line)


def test_the_test_command_is_what_ci_runs() -> None:
    assert [TEST_COMMAND] in [b.splitlines() for b in blocks("sh")]
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert TEST_COMMAND in ci_lines  # run as written; the processing-image stage comes after it


def test_every_command_mentioned_exists() -> None:
    mentioned = set(re.findall(r"calibration-step (\w+)", README.read_text(encoding="utf-8")))
    assert mentioned and mentioned <= set(COMMANDS), mentioned - set(COMMANDS)


def test_python_blocks_run_in_order(tmp_path: Path) -> None:
    source = tmp_path / "readme_tour.py"
    source.write_text(_module(runnable_only=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, str(source)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "[CONFIG-VALUE] ModelCalibrationConfig.gam_splines must be an int from 4 to 200; got 3." in done.stdout
    assert "XGBoostModelEval-Calibration.eval_output -> ModelCalibration-Calibration.evaluation_data" in done.stdout


def test_python_blocks_type_check(tmp_path: Path) -> None:
    assert any(b.startswith(NOT_RUN) for b in blocks("python"))
    errors = check_snippets({"readme": _module(runnable_only=False)}, tmp_path)
    assert errors == {"readme": []}


def test_the_reference_documents_exist() -> None:
    for link in re.findall(r"\]\((docs/[\w.]+)\)", README.read_text(encoding="utf-8")):
        assert (REPO_ROOT / link).is_file(), link
