"""Extracting the data files of a ``.tar.gz`` input archive, within size limits.

Every member is checked before anything is written: an absolute path, ``..``, a drive letter, a
link or a special file is refused (``MC-E209``), and so is a name two members share (the second
would silently replace the first). Only the regular members that will be read (a data extension,
no hidden part) are extracted; each is copied in blocks and counted as it is written, so a
member whose header understates its size (or a sparse member) stops at the limit too
(``MC-E212``). The stream is read to its end, so gzip's checksum is verified. An OS error
while writing (a full scratch disk) is ``MC-E213``, not a read error.

The limits are module attributes, read when the extraction runs (a test or a caller may change
them): ``MAX_ARCHIVE_BYTES`` for the total written, ``MAX_MEMBER_BYTES`` per member, and
``MAX_EXPANSION_RATIO`` (extracted bytes per byte of the archive file, checked once at least
``RATIO_FREE_BYTES`` have been written) and ``MAX_MEMBERS``. The defaults leave room for a 1e8-row csv of scores
and labels (about 3 GB).
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable
from typing import IO

from ..errors import CalibrationScriptError, Code, quoted

MAX_ARCHIVE_BYTES = 64 << 30
"""Bytes an archive may extract in total (64 GiB)."""

MAX_MEMBER_BYTES = 32 << 30
"""Bytes one member may extract (32 GiB)."""

MAX_EXPANSION_RATIO = 200
"""Extracted bytes per byte of the archive (gzip of a csv of scores is about 3-10 to 1)."""

RATIO_FREE_BYTES = 64 << 20
"""Bytes extracted before the expansion ratio is checked (small archives compress freely)."""

MAX_MEMBERS = 100_000
"""Members an archive may hold (each is listed in memory before any is extracted)."""

_BLOCK = 1 << 20


def _escapes(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or os.path.isabs(name) or ".." in parts
            or (len(name) > 1 and name[1] == ":"))


def check_members(archive: str, members: list[tarfile.TarInfo]) -> None:
    """``MC-E209`` for a member that escapes, is a link or special file, or repeats a name."""
    label = os.path.basename(archive)
    seen: set[str] = set()
    for member in members:
        name = member.name
        if _escapes(name):
            raise CalibrationScriptError(
                Code.MC_E209_UNSAFE_ARCHIVE,
                f"{label}: member {quoted(name)} escapes the extraction folder",
                "rebuild the archive with relative paths")
        if not (member.isfile() or member.isdir()):
            raise CalibrationScriptError(
                Code.MC_E209_UNSAFE_ARCHIVE,
                f"{label}: member {quoted(name)} is a link or special file",
                "rebuild the archive with regular files only")
        key = "/".join(p for p in name.split("/") if p not in ("", "."))
        if member.isfile() and key in seen:
            raise CalibrationScriptError(
                Code.MC_E209_UNSAFE_ARCHIVE,
                f"{label}: two members are named {quoted(key)} (the second would replace the "
                "first)", "rebuild the archive with one member per name")
        seen.add(key)


class _Budget:
    """Bytes written so far against the limits, for one archive."""

    def __init__(self, archive: str) -> None:
        self.label = os.path.basename(archive)
        self.archive_bytes = max(os.path.getsize(archive), 1)
        self.total = 0

    def take(self, member: str, member_bytes: int, block: int) -> None:
        self.total += block
        problem = ""
        if member_bytes > MAX_MEMBER_BYTES:
            problem = f"member {quoted(member)} extracts to more than {MAX_MEMBER_BYTES} bytes"
        elif self.total > MAX_ARCHIVE_BYTES:
            problem = f"its members extract to more than {MAX_ARCHIVE_BYTES} bytes"
        elif self.total > RATIO_FREE_BYTES and self.total > MAX_EXPANSION_RATIO * self.archive_bytes:
            problem = (f"it expands more than {MAX_EXPANSION_RATIO} times its size "
                       f"({self.archive_bytes} bytes)")
        if problem:
            raise CalibrationScriptError(
                Code.MC_E212_ARCHIVE_TOO_LARGE, f"archive {self.label}: {problem}",
                "split the data into several archives or plain files (see the extraction "
                "limits in the reliability notes)")


def _copy(source: IO[bytes], target: str, member: str, budget: _Budget) -> None:
    written = 0
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            while block := source.read(_BLOCK):
                written += len(block)
                budget.take(member, written, len(block))
                handle.write(block)
    except OSError as exc:
        raise CalibrationScriptError(
            Code.MC_E213_SCRATCH_WRITE_FAILED,
            f"cannot extract {quoted(member)} of {budget.label}: {exc.strerror or exc}",
            "give the job more local disk (the processing volume), or pass plain files") \
            from exc


def _members(archive: str, tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members: list[tarfile.TarInfo] = []
    for member in tar:
        members.append(member)
        if len(members) > MAX_MEMBERS:
            raise CalibrationScriptError(
                Code.MC_E212_ARCHIVE_TOO_LARGE,
                f"archive {os.path.basename(archive)} holds more than {MAX_MEMBERS} members",
                "split the data into several archives or plain files")
    return members


def _read_to_the_end(tar: tarfile.TarFile) -> None:
    """Read the compressed stream to its end, where gzip checks its CRC: damage to stored
    (uncompressed) blocks is found only there."""
    stream = tar.fileobj
    if stream is not None:
        while stream.read(_BLOCK):
            pass


def safe_extract(archive: str, destination: str, wanted: Callable[[str], bool]) -> list[str]:
    """Extract the regular members whose name ``wanted`` accepts; their paths, in member order.

    Raises ``MC-E209`` (unsafe or repeated member), ``MC-E212`` (a size limit), ``MC-E213``
    (the scratch disk refused a write) or ``MC-E203`` (not a readable archive).
    """
    extracted: list[str] = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = _members(archive, tar)
            check_members(archive, members)
            budget = _Budget(archive)
            for member in members:
                if not member.isfile() or not wanted(member.name):
                    continue
                parts = [p for p in member.name.split("/") if p not in ("", ".")]
                target = os.path.join(destination, *parts)
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                with source:
                    _copy(source, target, member.name, budget)
                extracted.append(target)
            _read_to_the_end(tar)
    except CalibrationScriptError:
        raise
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise CalibrationScriptError(
            Code.MC_E203_READ_FAILED,
            f"cannot read archive {os.path.basename(archive)}: {quoted(str(exc))}",
            "provide a valid .tar.gz archive") from exc
    return extracted
