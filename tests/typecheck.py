"""Run mypy (strict, the repo's settings) over small snippets and collect errors per snippet."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from pathlib import Path

from mypy import api

REPO_ROOT = Path(__file__).resolve().parents[1]


def check_snippets(snippets: Mapping[str, str], workdir: Path) -> dict[str, list[str]]:
    """Type-check each snippet as its own module in one mypy run; return error lines by snippet name."""
    package = workdir / "snippets"
    package.mkdir(parents=True, exist_ok=True)
    files = []
    for name, source in snippets.items():
        path = package / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        files.append(str(path))
    env_path = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "typing_stubs")])
    previous = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = env_path
    try:
        stdout, stderr, _status = api.run(
            [
                "--strict",
                "--no-error-summary",
                "--show-error-codes",
                "--cache-dir",
                str(workdir / ".mypy_cache"),
                "--config-file",
                str(REPO_ROOT / "mypy.ini"),
                *files,
            ]
        )
    finally:
        if previous is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = previous
    errors: dict[str, list[str]] = {name: [] for name in snippets}
    for line in (stdout + stderr).splitlines():
        for name in snippets:
            if f"snippets{os.sep}{name}.py:" in line and ": error:" in line:
                errors[name].append(line.split(": error: ", 1)[1])
    return errors
