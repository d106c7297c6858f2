"""The top-level packages a step's Python code imports, read from its source without running it.

Every ``import x.y`` and ``from x.y import z`` in a ``.py`` file (or in each ``.py`` file of a
``.pyz`` zip application) counts as importing ``x``, wherever it stands, except: relative imports,
``__future__``, the standard library (``sys.stdlib_module_names``), the code's own modules (files
and packages beside a script, or at the top of a zip application), imports under
``if TYPE_CHECKING:``, and imports inside a ``try`` whose handlers catch ``ImportError``,
``ModuleNotFoundError`` or ``Exception`` (the code copes with their absence).

The alignment checker's script analysis (:mod:`calibration_step.checker.script_analysis`) lists
imports too, for one script file and with every fact the checker needs; this reader is the
narrower question a running step asks: over a zip application, without its own modules and
without what only a type checker imports.

Examples
--------
>>> sorted(imported_modules('''
... import os, numpy as np
... from pandas import DataFrame
... from . import helpers
... try:
...     import ujson
... except ImportError:
...     ujson = None
... def plot():
...     import matplotlib.pyplot as plt
... '''))
['matplotlib', 'numpy', 'pandas']
"""

from __future__ import annotations

import ast
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from calibration_step.errors import Code, StepFailure

__all__ = ["code_imports", "imported_modules"]

_TOLERANT: Final = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _tolerates_import_errors(node: ast.Try) -> bool:
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if caught is None or any(isinstance(n, ast.Name) and n.id in _TOLERANT for n in names):
            return True
    return False


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name.split(".")[0] for alias in node.names)
        return
    if isinstance(node, ast.ImportFrom):
        if node.level == 0 and node.module:
            yield node.module.split(".")[0]
        return
    for name, value in ast.iter_fields(node):
        if isinstance(node, ast.Try) and name == "body" and _tolerates_import_errors(node):
            continue
        if isinstance(node, ast.If) and name == "body" and _is_type_checking(node):
            continue
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, ast.AST):
                yield from _imports(child)


def imported_modules(source: str, filename: str = "<code>") -> set[str]:
    """The top-level modules ``source`` imports (see the module docstring for what is left out).

    Raises
    ------
    StepFailure
        ``LOCAL-CODE-SYNTAX`` when the source does not parse.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as error:
        raise StepFailure(Code.LOCAL_CODE_SYNTAX, f"{filename} does not parse: {error.msg} (line {error.lineno}).",
                          hint="fix the code") from None
    return {name for name in _imports(tree) if name != "__future__" and name not in sys.stdlib_module_names}


def _sources(path: Path) -> tuple[list[tuple[str, str]], set[str]]:
    """``(file name, source)`` of the code at ``path`` and the names of its own modules."""
    if path.suffix == ".pyz" or zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.endswith(".py")]
            sources = [(f"{path.name}/{name}", archive.read(name).decode("utf-8")) for name in names]
        own = {name.split("/")[0].removesuffix(".py") for name in names}
        return sources, own
    own = {item.stem for item in path.parent.iterdir() if item.suffix == ".py" or item.is_dir()}
    return [(path.name, path.read_text(encoding="utf-8"))], own


def code_imports(path: Path) -> dict[str, str]:
    """Each third-party top-level module the code at ``path`` imports, with the file that imports it."""
    sources, own = _sources(path)
    found: dict[str, str] = {}
    for filename, source in sources:
        for module in sorted(imported_modules(source, filename) - own):
            found.setdefault(module, filename)
    return found
