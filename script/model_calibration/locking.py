"""The exclusive claim of a run on its output folders.

A run takes, before it touches an output folder, an exclusive ``flock`` on a hidden lock file
(``RUN_LOCK``) in each of them, without waiting: a second run into any of the same folders fails
at once with ``MC-E504-OUTPUT-IN-USE`` and changes nothing (it never removes the first run's
staging folders). The lock is held until the run has published or cleaned up, then the lock file
is removed. The operating system drops a lock when its process dies, so a killed run leaves at
most the lock file, which the next run takes over. Just before publishing, ``verify`` checks that
every lock file is still the one locked and that no visible entry appeared in an output folder
meanwhile (``MC-E504``): nothing is published over another writer's files.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Mapping

from ..errors import CalibrationScriptError, Code, bounded, quoted
from .staging import RUN_LOCK

_ATTEMPTS = 5


def _in_use(name: str, detail: str) -> CalibrationScriptError:
    return CalibrationScriptError(
        Code.MC_E504_OUTPUT_IN_USE, f"output {name} is in use by another run{detail}",
        "wait for the other run to finish, or give this run other output folders")


class OutputLock:
    """Exclusive locks on the output folders (``acquire``, ``verify``, ``release``); as a context
    manager, held from entry to exit."""

    def __init__(self, outputs: Mapping[str, str]) -> None:
        self.outputs = dict(outputs)
        self._held: list[tuple[str, int, int]] = []  # (lock path, descriptor, inode)

    def acquire(self) -> None:
        """Lock every output folder, in a fixed order; ``MC-E504`` if another run holds one."""
        try:
            for name, folder in sorted(self.outputs.items(), key=lambda item: item[1]):
                self._held.append(self._lock(name, os.path.join(folder, RUN_LOCK)))
        except BaseException:
            self.release()
            raise

    def _lock(self, name: str, path: str) -> tuple[str, int, int]:
        for _ in range(_ATTEMPTS):
            try:
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise CalibrationScriptError(
                    Code.MC_E503_OUTPUT_PATH_INVALID,
                    f"output {name}: cannot create its lock file in {quoted(os.path.dirname(path))}"
                    f": {exc.strerror}",
                    "point each output at a folder the job can create and write") from exc
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _holder(descriptor)
                os.close(descriptor)
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    raise _in_use(name, holder) from exc
                raise CalibrationScriptError(
                    Code.MC_E503_OUTPUT_PATH_INVALID,
                    f"output {name}: cannot lock {quoted(path)}: {exc.strerror}",
                    "put the outputs on a local file system that supports locks") from exc
            inode = os.fstat(descriptor).st_ino
            if _inode(path) == inode:  # not removed by a run releasing it meanwhile
                os.ftruncate(descriptor, 0)
                os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
                return path, descriptor, inode
            os.close(descriptor)
        raise _in_use(name, " (its lock file keeps changing)")

    def verify(self) -> None:
        """``MC-E504`` unless every lock is still this run's and no visible entry appeared in
        an output folder (called just before publishing)."""
        for path, _descriptor, inode in self._held:
            if _inode(path) != inode:
                raise _in_use(os.path.dirname(path), ": its lock file was replaced")
        for name, folder in self.outputs.items():
            visible = sorted(e for e in os.listdir(folder) if not e.startswith("."))
            if visible:
                raise _in_use(name, f": {quoted(visible[:5])} appeared in it during this run")

    def __enter__(self) -> "OutputLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Remove the lock files this run holds, then unlock them."""
        for path, descriptor, inode in reversed(self._held):
            try:
                if _inode(path) == inode:
                    os.remove(path)
            except OSError:
                pass  # the folder became unwritable: the lock file stays, the lock goes
            os.close(descriptor)
        self._held.clear()


def _inode(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


def _holder(descriptor: int) -> str:
    """`` (process N)`` from the lock file a run wrote its id into, or nothing."""
    try:
        text = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (process {bounded(text, 20)})" if text.isdigit() else ""
