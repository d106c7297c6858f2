"""The facts that :mod:`.script_analysis` finds in a script, as frozen values.

Examples
--------
>>> ScriptFacts(env_reads=(EnvRead(name="BINS", line=3, has_default=True, default="15"),)).env_names()
frozenset({'BINS'})
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping

import attrs

__all__ = [
    "ArgumentRead",
    "ContainerPathLiteral",
    "EnvRead",
    "FileWrite",
    "ImportedModule",
    "LogicalNameConstant",
    "STDLIB_MODULES",
    "ScriptFacts",
    "is_file_name",
]

STDLIB_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names)
"""Modules of the standard library (never framework requirements)."""

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.[A-Za-z][A-Za-z0-9]{0,7}")


def is_file_name(value: str) -> bool:
    """A bare file name with an extension, e.g. ``metrics.json`` (no folder part).

    Examples
    --------
    >>> is_file_name("metrics.json"), is_file_name("output/metrics.json"), is_file_name("json")
    (True, False, False)
    """
    return _FILE_NAME.fullmatch(value) is not None


@attrs.frozen(kw_only=True)
class EnvRead:
    """One read of an environment variable."""

    name: str
    line: int
    has_default: bool
    default: str | None = None
    """The default when it is a resolvable string constant."""


@attrs.frozen(kw_only=True)
class ArgumentRead:
    """One ``add_argument`` flag, with what could be read of its options."""

    flag: str
    line: int
    required: bool | None = None
    choices: tuple[str, ...] | None = None
    default: str | None = None


@attrs.frozen(kw_only=True)
class LogicalNameConstant:
    """A module constant ``INPUT_<X>`` / ``OUTPUT_<X>`` holding a logical name."""

    constant: str
    value: str
    kind: str  # "input" | "output"
    line: int


@attrs.frozen(kw_only=True)
class FileWrite:
    """A file name written into an output folder."""

    output: str
    file: str
    line: int


@attrs.frozen(kw_only=True)
class ImportedModule:
    """The top-level module of an import statement."""

    module: str
    line: int
    optional: bool = False


@attrs.frozen(kw_only=True)
class ContainerPathLiteral:
    """A string constant (or constant join) that spells a container path."""

    value: str
    line: int


@attrs.frozen(kw_only=True)
class ScriptFacts:
    """Everything :func:`analyse_source` found in one script."""

    env_reads: tuple[EnvRead, ...] = ()
    dynamic_env_reads: tuple[int, ...] = ()
    arguments: tuple[ArgumentRead, ...] = ()
    dynamic_arguments: tuple[int, ...] = ()
    logical_names: tuple[LogicalNameConstant, ...] = ()
    file_writes: tuple[FileWrite, ...] = ()
    file_constants: Mapping[str, str] = attrs.field(factory=dict)
    """Module constants whose name ends in ``_FILE``: name -> value."""
    imports: tuple[ImportedModule, ...] = ()
    container_paths: tuple[ContainerPathLiteral, ...] = ()
    string_constants: frozenset[str] = frozenset()
    """Every string constant of the script, docstrings included."""
    attribute_calls: frozenset[str] = frozenset()
    """The attribute names of every method call (``frame.to_parquet(...)`` -> ``to_parquet``)."""

    def env_names(self) -> frozenset[str]:
        """The names of every resolved env read."""
        return frozenset(read.name for read in self.env_reads)

    def flags(self) -> frozenset[str]:
        """Every resolved ``add_argument`` flag."""
        return frozenset(argument.flag for argument in self.arguments)
