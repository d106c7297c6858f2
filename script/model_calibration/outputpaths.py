"""Checking the output paths before anything is read: each output a folder of its own that the
job can create and write, outside the input folders.

``MC-E505-OUTPUTS-OVERLAP`` when two outputs are one folder or one lies inside another (a publish
would move files over each other and its cleanup would remove the other output's files), or when
an output lies inside an input folder (a later run would read the outputs as input).
``MC-E503-OUTPUT-PATH-INVALID`` when an output path is a file, lies under a file, cannot be
created or is not writable (read-only, immutable, no permission). Paths are compared after
resolving links (``os.path.realpath``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ..errors import CalibrationScriptError, Code, quoted


def _within(inner: str, outer: str) -> bool:
    """Whether the resolved path ``inner`` is ``outer`` or lies inside it."""
    return os.path.commonpath([inner, outer]) == outer


def _invalid(name: str, path: str, problem: str) -> CalibrationScriptError:
    return CalibrationScriptError(
        Code.MC_E503_OUTPUT_PATH_INVALID, f"output {name} ({quoted(path)}) {problem}",
        "point each output at a folder the job can create and write")


def _file_on_the_way(path: str) -> str:
    """The path itself or the nearest existing ancestor, if it exists and is not a folder."""
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:
            return ""
        current = parent
    return "" if os.path.isdir(current) else current


def check_output_paths(outputs: Mapping[str, str], inputs: Sequence[str]) -> None:
    """Refuse overlapping outputs and outputs inside an input folder (``MC-E505``), then create
    each output folder and check it is writable (``MC-E503``).

    >>> check_output_paths({"a": "/tmp/x/out", "b": "/tmp/x/out/b"}, [])
    Traceback (most recent call last):
    ...
    calibration_step.script.errors.CalibrationScriptError: MC-E505-OUTPUTS-OVERLAP: output b ('/tmp/x/out/b') lies inside output a ('/tmp/x/out') (give every output its own folder, outside the input folders)
    """
    resolved = {name: os.path.realpath(path) for name, path in outputs.items()}
    names = list(resolved)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            a, b = resolved[first], resolved[second]
            if a == b or _within(a, b) or _within(b, a):
                inner, outer = (first, second) if _within(a, b) else (second, first)
                relation = "is the same folder as" if a == b else "lies inside"
                raise CalibrationScriptError(
                    Code.MC_E505_OUTPUTS_OVERLAP,
                    f"output {inner} ({quoted(outputs[inner])}) {relation} output {outer} "
                    f"({quoted(outputs[outer])})",
                    "give every output its own folder, outside the input folders")
    for source in inputs:
        if not os.path.isdir(source):
            continue
        root = os.path.realpath(source)
        for name in names:
            if _within(resolved[name], root):
                raise CalibrationScriptError(
                    Code.MC_E505_OUTPUTS_OVERLAP,
                    f"output {name} ({quoted(outputs[name])}) lies inside the input folder "
                    f"{quoted(source)}: a later run would read it as input",
                    "give every output its own folder, outside the input folders")
    for name, path in outputs.items():
        blocking = _file_on_the_way(path)
        if blocking:
            where = "is a file" if blocking == os.path.abspath(path) else \
                f"lies under the file {quoted(blocking)}"
            raise _invalid(name, path, where)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise _invalid(name, path, f"cannot be created: {exc.strerror}") from exc
        if not os.access(path, os.W_OK | os.X_OK):
            raise _invalid(name, path, "is not writable (read-only, immutable or no permission)")
