"""Requirement lines checked against what is installed here, instead of installed.

A step whose command runs ``pip install -r FILE`` would install on SageMaker; locally nothing is
installed: each requirement must already be installed in this environment, in its version range,
or the step fails naming the requirement. Lines are ``name[extras] <specifiers>`` with the
specifiers ``==`` (with ``.*``), ``!=``, ``>=``, ``<=``, ``>``, ``<``, ``~=`` and ``===``
(https://packaging.python.org/en/latest/specifications/version-specifiers/); comments, blank lines
and pip options are skipped, ``-r OTHER`` is followed. Versions compare by release numbers, then
pre-release (``a``, ``b``, ``rc``), post-release and dev-release, which covers the versions
packages publish; environment markers, URLs and local paths are refused.

Examples
--------
>>> unmet_requirement(parse_requirement("numpy>=1.24,<3", where="r.txt"), lambda name: "2.1.0") is None
True
>>> unmet_requirement(parse_requirement("pyarrow>=14,<17", where="r.txt"), lambda name: "17.0.0")
'pyarrow>=14,<17 (r.txt): installed pyarrow 17.0.0 is outside <17'
>>> unmet_requirement(parse_requirement("xgboost~=1.7", where="r.txt"), lambda name: None)
'xgboost~=1.7 (r.txt): xgboost is not installed'
>>> version_key("1.0rc1") < version_key("1.0") < version_key("1.0.post1")
True
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Final

import attrs

from calibration_step.errors import Code, LocalExecutionError

__all__ = ["Requirement", "installed_version", "parse_requirement", "requirement_file_lines", "unmet_requirement",
           "version_key"]

_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_SPECIFIER = re.compile(r"^\s*(===|==|!=|>=|<=|~=|>|<)\s*([A-Za-z0-9_.*+!-]+)\s*$")
_VERSION = re.compile(r"^v?(?:\d+!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|rc|c|alpha|beta|pre|preview)[-_.]?(\d*))?"
                      r"(?:[-_.]?(post|rev|r)[-_.]?(\d*)|-(\d+))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[A-Za-z0-9.]+)?$", re.I)
_PHASES: Final = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
VersionKey = tuple[tuple[int, ...], tuple[int, ...], int, tuple[int, ...]]
_COMPARISONS: Final[dict[str, Callable[[VersionKey, VersionKey], bool]]] = {
    "==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}


@attrs.frozen(kw_only=True)
class Requirement:
    """A requirement line: a distribution name and its ``(operator, version)`` specifiers."""

    name: str
    specifiers: tuple[tuple[str, str], ...]
    line: str
    where: str


def _refuse(line: str, where: str, why: str) -> LocalExecutionError:
    return LocalExecutionError(Code.LOCAL_REQUIREMENT_UNSUPPORTED, f"requirement {line!r} ({where}) {why}; the local "
                               "executor checks name and version-range lines only.",
                               hint="write the requirement as name and version range, e.g. pyarrow>=14,<28")


def parse_requirement(line: str, *, where: str) -> Requirement:
    """One requirement line as a :class:`Requirement`.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-REQUIREMENT-UNSUPPORTED`` for a marker, URL, path or malformed specifier.
    """
    text = line.split(" #", 1)[0].strip()
    if ";" in text or "@" in text or "/" in text:
        raise _refuse(line, where, "has an environment marker, a URL or a path")
    match = _LINE.match(text)
    if match is None:
        raise _refuse(line, where, "is not a requirement")
    specifiers = []
    for part in (p for p in match[3].split(",") if p.strip()):
        found = _SPECIFIER.match(part)
        if found is None:
            raise _refuse(line, where, f"has the specifier {part.strip()!r}, which cannot be read")
        specifiers.append((found[1], found[2]))
    return Requirement(name=match[1], specifiers=tuple(specifiers), line=text, where=where)


def requirement_file_lines(path: Path, *, shown_as: str) -> Iterator[Requirement]:
    """The requirements of a requirements file (``-r`` files beside it followed; options skipped)."""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{shown_as}:{number}"
        if line.startswith(("-r ", "--requirement")):
            nested = line.split(None, 1)[1] if " " in line else line.partition("=")[2]
            yield from requirement_file_lines(path.parent / nested, shown_as=nested)
        elif line and not line.startswith(("#", "-")):
            yield parse_requirement(line, where=where)


def version_key(text: str) -> VersionKey:
    """An ordering key of a version (release, pre-release, post-release, dev-release; local part ignored)."""
    match = _VERSION.match(text.strip())
    if match is None:
        return ((), (1,), -1, (1,))
    release = [int(part) for part in match[1].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    phase, pre_number, post_word, post_number, post_implicit, dev = match.group(2, 3, 4, 5, 6, 7)
    post = int(post_number or 0) if post_word else int(post_implicit) if post_implicit else -1
    is_dev = "dev" in text.lower()
    if phase:
        pre: tuple[int, ...] = (0, _PHASES[phase.lower()], int(pre_number or 0))
    else:
        pre = (-1,) if is_dev and post < 0 else (1,)
    dev_key = (0, int(dev or 0)) if is_dev else (1,)
    return (tuple(release), pre, post, dev_key)


def _release_prefix(candidate: str, pattern: str) -> bool:
    wanted = [part for part in pattern.rstrip("*").rstrip(".").split(".") if part]
    have = _VERSION.match(candidate)
    parts = have[1].split(".") if have else candidate.split(".")
    parts += ["0"] * max(0, len(wanted) - len(parts))
    return [p.lstrip("0") or "0" for p in parts[: len(wanted)]] == [w.lstrip("0") or "0" for w in wanted]


def _satisfies(version: str, op: str, wanted: str) -> bool:
    if op == "===":
        return version == wanted
    if op in ("==", "!=") and wanted.endswith("*"):
        return _release_prefix(version, wanted) == (op == "==")
    mine, theirs = version_key(version), version_key(wanted)
    if op == "~=":
        return mine >= theirs and _release_prefix(version, ".".join(wanted.split(".")[:-1]))
    same_release = mine[0] == theirs[0]
    if op == "<" and same_release and mine[1] != (1,) and theirs[1] == (1,):
        return False  # <V excludes V's pre-releases
    if op == ">" and same_release and mine[2] >= 0 and theirs[2] < 0:
        return False  # >V excludes V's post-releases
    return _COMPARISONS[op](mine, theirs)


def installed_version(name: str) -> str | None:
    """The installed version of the distribution ``name`` here, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def unmet_requirement(requirement: Requirement, version_of: Callable[[str], str | None] = installed_version) -> str | None:
    """Why ``requirement`` is not met by the installed distributions (None when it is)."""
    shown = f"{requirement.line} ({requirement.where})"
    version = version_of(requirement.name)
    if version is None:
        return f"{shown}: {requirement.name} is not installed"
    outside = [f"{op}{wanted}" for op, wanted in requirement.specifiers if not _satisfies(version, op, wanted)]
    if outside:
        return f"{shown}: installed {requirement.name} {version} is outside {','.join(outside)}"
    return None
