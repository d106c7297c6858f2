"""A processing script packed into one file: a deterministic zipapp of its source files.

Why one file. The job downloads one object and runs it with ``python3 <file>`` on the stock
image (``zipimport`` is part of the standard library, so nothing needs installing): a zip archive
holding a ``__main__.py`` runs like a script. Uploading it is one ``put_object``, so the job never
sees half of a new version next to half of the old one. A user's own single ``.py`` file runs
with the same entrypoint, ``python3 <file>``.

What is inside. The script's source files (:func:`~calibration_step.processing.script_source.script_source_files`)
under one top-level package, :data:`ARCHIVE_PACKAGE` (the script's package uses relative imports
only, so it runs under any top-level name), and a generated ``__main__.py`` that runs the
package's own ``__main__`` module.

Deterministic. Entries are sorted, stored uncompressed (no dependence on the zlib build) with a
fixed timestamp (1980-01-01, the first date a zip holds) and fixed permissions, so the same
sources give the same bytes, wherever they are built.

Examples
--------
>>> import io, zipfile
>>> archive = build_zipapp([("pkg/__init__.py", b""), ("pkg/__main__.py", b"print('hi')\\n")], run="pkg")
>>> zipfile.ZipFile(io.BytesIO(archive)).namelist()
['__main__.py', 'pkg/__init__.py', 'pkg/__main__.py']
>>> archive == build_zipapp([("pkg/__main__.py", b"print('hi')\\n"), ("pkg/__init__.py", b"")], run="pkg")
True
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from calibration_step.processing.script_source import PACKAGE_MAIN, script_package_name, script_source_files

if TYPE_CHECKING:  # annotations only
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

__all__ = ["ARCHIVE_PACKAGE", "build_zipapp", "script_zipapp"]

ARCHIVE_PACKAGE: Final = "calibration_script"
"""The top-level package the script's files sit under inside the archive."""

_TIMESTAMP: Final = (1980, 1, 1, 0, 0, 0)
_MODE: Final = 0o644
_UNIX: Final = 3
_MAIN: Final = '''"""Runs {run} (generated): python3 <this archive> <arguments>."""
import runpy

runpy.run_module("{run}", run_name="__main__", alter_sys=True)
'''


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_TIMESTAMP)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = _UNIX
    info.external_attr = _MODE << 16
    return info


def build_zipapp(files: Iterable[tuple[str, bytes]], *, run: str) -> bytes:
    """The bytes of a zipapp holding ``files`` (``/``-separated paths) and a ``__main__.py`` that
    runs the package ``run`` (its ``__main__`` module) with the archive's arguments."""
    entries = {name: content for name, content in files}
    entries["__main__.py"] = _MAIN.format(run=run).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            archive.writestr(_entry(name), entries[name])
    return buffer.getvalue()


def script_zipapp(folder: Traversable, entry_point: str) -> bytes:
    """The zipapp of the script ``entry_point`` whose source is the package of that stem in
    ``folder`` (see :func:`script_source_files`), its files under :data:`ARCHIVE_PACKAGE`.

    Raises
    ------
    FileNotFoundError
        When ``folder`` holds no such package (or only a single file of that name).
    """
    files = script_source_files(folder, entry_point)
    stem = script_package_name(entry_point)
    if f"{stem}/{PACKAGE_MAIN}" not in {name for name, _ in files}:
        raise FileNotFoundError(f"{entry_point} is a single file in {folder}, not a package {stem}/ to pack")
    package = f"{ARCHIVE_PACKAGE}.{stem}"
    return build_zipapp([(f"{ARCHIVE_PACKAGE}/{name}", content) for name, content in files], run=package)
