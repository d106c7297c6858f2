"""A processing step's container command, made runnable on this machine.

- ``python3``/``python`` (any ``pythonX.Y``) run as this interpreter: as the entrypoint's first
  word they are replaced by it; inside a ``/bin/sh -c`` command string they are found first on
  the ``PATH`` the step runs with (a folder of small ``exec`` scripts, see :func:`python_shims`).
- ``pip install`` inside a ``/bin/sh -c`` string installs nothing: each such segment (up to the
  next ``;``, ``&&``, ``||``, ``|`` or line end) is replaced by ``:`` (the shell's no-op), and the
  requirements it names (``-r FILE`` and plain requirement arguments) are returned so that they
  can be checked against what is installed here before the step runs.
- The ``.py`` and ``.pyz`` files the command names are returned for the import check.

Examples
--------
>>> command = prepare_command(
...     ["/bin/sh", "-c", "set -e; python3 -m pip install --quiet -r /opt/ml/processing/input/r/requirements.txt; "
...      'exec python3 /opt/ml/processing/input/code/run.py "$@"', "run.py"], ["--rows", "10"], python="/venv/bin/python")
>>> command.argv[2]
'set -e; : ; exec python3 /opt/ml/processing/input/code/run.py "$@"'
>>> command.requirement_files, command.python_files
(('/opt/ml/processing/input/r/requirements.txt',), ('/opt/ml/processing/input/code/run.py',))
>>> prepare_command(["python3", "/opt/ml/code/run.py"], [], python="/venv/bin/python").argv
('/venv/bin/python', '/opt/ml/code/run.py')
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import attrs

from calibration_step.errors import Code, LocalExecutionError, StepFailure

__all__ = ["PreparedCommand", "prepare_command", "python_shims"]

_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
_SHELLS: Final = ("sh", "bash", "dash")
_PIP_SEGMENT = re.compile(r"(?:[\w./-]*python[\d.]*\s+-m\s+)?(?<![\w.-])pip[\d.]*\s+install\b[^;&|\n]*")
_PYTHON_FILE = re.compile(r"/opt/ml/[^\s\"';&|]+?\.pyz?(?![\w.])")
_VALUE_OPTIONS: Final = frozenset({"-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                                   "-t", "--target", "--prefix", "--root", "--trusted-host", "--progress-bar",
                                   "--cache-dir", "--src", "--upgrade-strategy", "--platform", "--python-version",
                                   "--implementation", "--abi", "--only-binary", "--no-binary", "--log"})


@attrs.frozen(kw_only=True)
class PreparedCommand:
    """The argv to run (container paths still in it) and what the command asks to be installed or run."""

    argv: tuple[str, ...]
    requirement_files: tuple[str, ...] = ()
    requirement_specs: tuple[str, ...] = ()
    python_files: tuple[str, ...] = ()


def _pip_requirements(segment: str) -> tuple[list[str], list[str]]:
    """The ``-r`` files and the plain requirement arguments of one ``pip install`` segment."""
    words = shlex.split(segment)
    words = words[words.index("install") + 1:]
    files: list[str] = []
    specs: list[str] = []
    position = 0
    while position < len(words):
        word = words[position]
        if word in ("-r", "--requirement"):
            files.append(words[position + 1] if position + 1 < len(words) else "")
            position += 1
        elif word.startswith("--requirement="):
            files.append(word.partition("=")[2])
        elif word.startswith("-r") and not word.startswith("--"):
            files.append(word[2:])
        elif word in ("-e", "--editable"):
            raise LocalExecutionError(Code.LOCAL_REQUIREMENT_UNSUPPORTED, f"'pip install {word}' cannot be checked locally.",
                                      hint="install from requirement lines (name and version range)")
        elif word in _VALUE_OPTIONS:
            position += 1
        elif not word.startswith("-"):
            specs.append(word)
        position += 1
    return files, specs


def _shell_command(entrypoint: Sequence[str], arguments: Sequence[str]) -> PreparedCommand:
    files: list[str] = []
    specs: list[str] = []

    def replace(match: re.Match[str]) -> str:
        found_files, found_specs = _pip_requirements(match[0])
        files.extend(found_files)
        specs.extend(found_specs)
        return ": "

    script = _PIP_SEGMENT.sub(replace, entrypoint[2])
    return PreparedCommand(argv=(entrypoint[0], "-c", script, *entrypoint[3:], *arguments),
                           requirement_files=tuple(files), requirement_specs=tuple(specs))


def prepare_command(entrypoint: Sequence[str], arguments: Sequence[str], *, python: str) -> PreparedCommand:
    """The step's ``ContainerEntrypoint`` + ``ContainerArguments`` made runnable here (see the module docstring).

    Raises
    ------
    StepFailure
        ``LOCAL-ENTRYPOINT`` when the step has no entrypoint (the image's own is unknown here).
    """
    if not entrypoint:
        raise StepFailure(Code.LOCAL_ENTRYPOINT, "the step has no AppSpecification.ContainerEntrypoint; the image's own "
                          "entrypoint is not known locally.", hint="give the step an explicit ContainerEntrypoint")
    program = os.path.basename(entrypoint[0])
    if program in _SHELLS and len(entrypoint) >= 3 and entrypoint[1] == "-c":
        command = _shell_command(entrypoint, arguments)
    elif _PYTHON.fullmatch(program):
        command = PreparedCommand(argv=(python, *entrypoint[1:], *arguments))
    else:
        command = PreparedCommand(argv=(*entrypoint, *arguments))
    named = tuple(dict.fromkeys(m[0] for word in command.argv for m in _PYTHON_FILE.finditer(word)))
    return attrs.evolve(command, python_files=named)


def python_shims(folder: Path, python: str) -> Path:
    """A folder with ``python``, ``python3`` and ``python3.X`` scripts that ``exec`` ``python``; returns it.

    A script rather than a link: a virtual environment's interpreter finds its packages from the
    path it is started by, which a link in another folder would lose. A shim already in place is
    left alone, and a new one appears whole (written aside, then renamed): the instances of a job
    are started one after the other, each making the shims, and an instance already running
    must never find one half-written (its shell would then run another ``python3`` on ``PATH``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = ("python", "python3", f"python3.{sys.version_info.minor}", "python3.10")
    text = f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n'
    for name in names:
        shim = folder / name
        if shim.is_file() and shim.read_text(encoding="utf-8") == text:
            continue
        partial = folder / f".{name}.partial"
        partial.write_text(text, encoding="utf-8")
        partial.chmod(0o755)
        os.replace(partial, shim)
    return folder
