"""Staging and publishing the outputs: nothing visible until every output is complete.

Every output is written into a hidden ``.staging-<random>`` folder inside its destination and
moved into place with ``os.replace`` when all are complete, summary.json last; on error the
staging folders are removed, leaving every output folder without visible entries. A hidden
journal lets the next run finish or undo a publish that a kill interrupted (:class:`Staging`).
A run uses these folders only while it holds their lock (:mod:`.locking`), so the leftovers
``prepare`` removes are never a live run's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from typing import Optional

from ..errors import CalibrationScriptError, Code
from .logs import logger

STAGING_PREFIX = ".staging-"

# Test-only hook: when set, called with a stage name ("before_staging", "during_staging",
# "after_staging", "during_publish") so tests can interrupt the run at that point.
TEST_HOOK: Optional[Callable[[str], None]] = None


def stage_reached(stage: str) -> None:
    """Call ``TEST_HOOK`` (when a test set it) with the stage the run has reached."""
    if TEST_HOOK is not None:
        TEST_HOOK(stage)


PUBLISH_JOURNAL = STAGING_PREFIX + "journal.json"
"""Hidden file written into every output folder before the first move of a publish: the files
that folder is about to receive (``targets``) and, for the folder receiving summary.json, that
``final`` file. Its name starts with STAGING_PREFIX, as every leftover of a run does."""


RUN_LOCK = STAGING_PREFIX + "lock"
"""Hidden file in every output folder that a running job holds an exclusive lock on
(:mod:`.locking`); ``prepare`` leaves it in place."""


def _remove_entry(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _journal_path(folder: str) -> str:
    return os.path.join(folder, PUBLISH_JOURNAL)


def _read_journal(folder: str) -> Optional[Mapping[str, object]]:
    """The folder's publish journal; ``{}`` if it cannot be read, None if there is none."""
    path = _journal_path(folder)
    if not os.path.lexists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            content: object = json.load(handle)
    except (OSError, ValueError):
        content = None
    if not isinstance(content, dict):
        logger.warning("ignoring an unreadable publish journal in %s", folder)
        return {}
    return content


def _inside(folder: str, relative: object) -> Optional[str]:
    """``folder/relative`` if ``relative`` is a plain relative path that stays inside ``folder``
    (a journal is never trusted to name another file), else None."""
    if not isinstance(relative, str) or not relative or relative.startswith(("/", "\\")):
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") or "\\" in part for part in parts):
        return None
    path = os.path.join(folder, *parts)
    root = os.path.realpath(folder)
    parent = os.path.realpath(os.path.dirname(path))
    if parent != root and not parent.startswith(root + os.sep):
        return None
    return path


class Staging:
    """Hidden staging folders inside each output folder, published with ``os.replace``.

    A publish writes a journal (``PUBLISH_JOURNAL``) into every output folder before its first
    move (the folder receiving summary.json first) and removes them after its last move (that
    folder's last), so a run killed while publishing leaves journals behind. ``prepare`` then
    finishes or undoes it: if the final file (summary.json) is in place the publish had
    completed and only the journals are removed; otherwise every file the journals list is
    removed (with the folders the publish created), leaving each output folder without visible
    entries, and the run goes on.
    """

    def __init__(self, outputs: Mapping[str, str]) -> None:
        self.outputs = dict(outputs)
        self.dirs: dict[str, str] = {}

    def prepare(self) -> None:
        for folder in self.outputs.values():
            os.makedirs(folder, exist_ok=True)
        self.recover()
        for name, folder in self.outputs.items():
            for entry in os.listdir(folder):
                if entry.startswith(STAGING_PREFIX) and entry != RUN_LOCK:
                    logger.warning("removing staging folder %s left by an earlier run in %s",
                                   entry, name)
                    _remove_entry(os.path.join(folder, entry))
        for name, folder in self.outputs.items():
            visible = [e for e in os.listdir(folder) if not e.startswith(".")]
            if visible:
                raise CalibrationScriptError(Code.MC_E501_OUTPUT_NOT_EMPTY,
                                             f"output {name} already holds {sorted(visible)[:5]}",
                                             "point the output at an empty folder")

    def recover(self) -> None:
        """Finish or undo a publish interrupted by a kill (see the class docstring)."""
        journals = {name: journal for name, folder in self.outputs.items()
                    if (journal := _read_journal(folder)) is not None}
        if not journals:
            return
        completed = any(
            (path := _inside(self.outputs[name], journal.get("final"))) is not None
            and os.path.lexists(path) for name, journal in journals.items())
        removed = 0
        if not completed:
            for name, journal in journals.items():
                folder = self.outputs[name]
                targets = journal.get("targets")
                for relative in targets if isinstance(targets, list) else []:
                    path = _inside(folder, relative)
                    if path is None or not (os.path.isfile(path) or os.path.islink(path)):
                        continue
                    os.remove(path)
                    removed += 1
                    parent = os.path.dirname(path)
                    while os.path.realpath(parent) != os.path.realpath(folder):
                        if os.listdir(parent):
                            break
                        os.rmdir(parent)
                        parent = os.path.dirname(parent)
        logger.warning("an earlier run was killed while publishing its outputs: %s",
                       "it had completed; removing its journals" if completed else
                       f"removed the {removed} files it had moved into place")
        for name in journals:
            os.remove(_journal_path(self.outputs[name]))

    def open(self) -> None:
        for name, folder in self.outputs.items():
            self.dirs[name] = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder)

    def path(self, name: str, relative: str) -> str:
        return os.path.join(self.dirs[name], *relative.split("/"))

    def publish(self, last: tuple[str, str]) -> None:
        """Move every staged file into place, ``last`` (summary.json) last, under journals."""
        moves: list[tuple[str, str]] = []
        targets: dict[str, list[str]] = {name: [] for name in self.dirs}
        for name, staging in self.dirs.items():
            for folder, _dirs, files in os.walk(staging):
                for file in sorted(files):
                    source = os.path.join(folder, file)
                    relative = os.path.relpath(source, staging)
                    targets[name].append(relative.replace(os.sep, "/"))
                    moves.append((source, os.path.join(self.outputs[name], relative)))
        final = (self.path(*last), os.path.join(self.outputs[last[0]], last[1]))
        moves.sort(key=lambda move: move == final)
        order = [last[0]] + [name for name in self.dirs if name != last[0]]
        for name in order:
            journal = _journal_path(self.outputs[name])
            with open(journal + ".tmp", "w", encoding="utf-8") as handle:
                json.dump({"targets": targets[name],
                           "final": last[1] if name == last[0] else None}, handle)
            os.replace(journal + ".tmp", journal)
        for i, (source, target) in enumerate(moves):
            if i == len(moves) - 1:
                stage_reached("before_final_move")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
            if i == 0:
                stage_reached("during_publish")
        stage_reached("after_final_move")
        for name in reversed(order):
            os.remove(_journal_path(self.outputs[name]))
        self.cleanup()

    def cleanup(self) -> None:
        for staging in self.dirs.values():
            shutil.rmtree(staging, ignore_errors=True)
        self.dirs.clear()

    def remove_published(self) -> None:
        """On error after a partial publish: remove every visible entry we may have written, and
        the journals."""
        for folder in self.outputs.values():
            for entry in os.listdir(folder):
                if not entry.startswith(".") or entry.startswith(PUBLISH_JOURNAL):
                    _remove_entry(os.path.join(folder, entry))
