"""The source files of a processing script: one file, or a package with the modules beside it.

A contract's entry point names what the job runs (``model_calibration.py``). Its source, in the
folder that ships the scripts, is that file when it exists; otherwise the package of the same
stem (``model_calibration/``, which has a ``__main__.py``): every module below that folder plus
the modules directly in the scripts' folder that the package imports relatively (``from ..x
import y``), directly or through one another, and the folder's ``__init__.py``; these ship with
it. Several script packages share the folder (the calibration script and Package's), each with
only the modules it imports. The checker analyses exactly these files, so what it checks is what
runs.

The folder is a :class:`~importlib.resources.abc.Traversable`: a :class:`pathlib.Path` in a
tree, or the installed package's files (:func:`importlib.resources.files`).

Examples
--------
>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "tool").mkdir()
>>> for name in ("__init__.py", "helpers.py", "names.py", "unused.py", "tool/__init__.py"):
...     _ = (root / name).write_text("")
>>> _ = (root / "tool" / "__main__.py").write_text("from ..helpers import run")
>>> _ = (root / "helpers.py").write_text("from .names import NAME")
>>> [name for name, _ in script_source_files(root, "tool.py")]
['__init__.py', 'helpers.py', 'names.py', 'tool/__init__.py', 'tool/__main__.py']
"""

from __future__ import annotations

import ast
import posixpath
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

__all__ = ["PACKAGE_MAIN", "script_package_name", "script_source_files"]

PACKAGE_MAIN = "__main__.py"
"""The module that makes a folder a runnable script package (``python -m <package>``)."""

_SUFFIXES = (".pyz", ".py")


def script_package_name(entry_point: str) -> str:
    """The stem of an entry point: the name of its package when the source is a package.

    Examples
    --------
    >>> script_package_name("model_calibration.pyz"), script_package_name("model_calibration.py")
    ('model_calibration', 'model_calibration')
    """
    for suffix in _SUFFIXES:
        if entry_point.endswith(suffix):
            return entry_point[: -len(suffix)]
    return entry_point


def _modules(folder: Traversable, prefix: str, recursive: bool) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        name = posixpath.join(prefix, entry.name) if prefix else entry.name
        if entry.is_file() and entry.name.endswith(".py"):
            found.append((name, entry.read_bytes()))
        elif recursive and entry.is_dir() and entry.name != "__pycache__":
            found += _modules(entry, name, recursive)
    return found


def _top_level_imports(name: str, content: bytes) -> set[str]:
    """The modules of the scripts' folder that the module ``name`` (a relative path) imports relatively."""
    level = name.count("/") + 1
    try:
        tree = ast.parse(content, filename=name)
    except SyntaxError:  # the checker reports it when it analyses the module; it imports nothing here
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == level:
            found.update([node.module.split(".")[0]] if node.module else [alias.name for alias in node.names])
    return found


def _imported_top_modules(folder: Traversable, package_files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    available = dict(_modules(folder, "", recursive=False))
    wanted = [module for name, content in package_files for module in _top_level_imports(name, content)]
    chosen: dict[str, bytes] = {name: available[name] for name in ("__init__.py",) if name in available}
    while wanted:
        file_name = f"{wanted.pop()}.py"
        if file_name in available and file_name not in chosen:
            chosen[file_name] = available[file_name]
            wanted += _top_level_imports(file_name, available[file_name])
    return list(chosen.items())


def script_source_files(folder: Traversable, entry_point: str) -> tuple[tuple[str, bytes], ...]:
    """``(path relative to folder, content)`` of every source file of the script ``entry_point``.

    The file ``folder/entry_point`` itself when it exists; else the package
    ``folder/<stem>/`` (every ``.py`` below it, ``__pycache__`` skipped), the ``.py`` modules
    directly in ``folder`` that it imports (relatively, directly or through one another) and
    ``folder/__init__.py``. Sorted by relative path (``/`` separated).

    Raises
    ------
    FileNotFoundError
        When there is neither the file nor a package with a ``__main__.py``.
    """
    single = folder / entry_point
    if single.is_file():
        return ((entry_point, single.read_bytes()),)
    package = script_package_name(entry_point)
    if not (folder / package / PACKAGE_MAIN).is_file():
        raise FileNotFoundError(f"no {entry_point} and no package {package}/ with a {PACKAGE_MAIN} in {folder}")
    package_files = _modules(folder / package, package, recursive=True)
    return tuple(sorted(_imported_top_modules(folder, package_files) + package_files))
