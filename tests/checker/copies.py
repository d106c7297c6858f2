"""Copies of the project tree (``calibration_step/`` and ``script/``) to break in tests."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

RENAMED_LABEL_FIELD = ("_read(environ, ModelCalibrationEnv.LABEL_FIELD)", 'environ.get("LABEL_FIELDZ", "label")')
"""An edit of ``script/model_calibration/settings.py`` (old, new): the script reads LABEL_FIELD under another name."""

def copy_tree(destination: Path) -> Path:
    """Copy the repository's ``calibration_step/`` and ``script/`` into ``destination``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("calibration_step", "script"):
        shutil.copytree(REPO_ROOT / folder, destination / folder, ignore=ignore, symlinks=True)
    return destination


def replace(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path}; the test's edit no longer applies"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    """Append ``text`` to ``path``."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
