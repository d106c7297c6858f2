"""Progress lines for long commands: one line per stage on stderr, with its duration.

Examples
--------
>>> import io
>>> stream = io.StringIO()
>>> progress = Progress(total=2, stream=stream, clock=iter([0.0, 1.25, 2.0, 2.5]).__next__)
>>> with progress.stage("generating data"):
...     pass
>>> with progress.stage("fitting"):
...     pass
>>> print(stream.getvalue(), end="")
[1/2] generating data ...
[1/2] generating data: done in 1.2 s
[2/2] fitting ...
[2/2] fitting: done in 0.5 s
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Numbered stage lines (``[i/n] what ...`` then ``[i/n] what: done in s``) on a text stream.

    Holds state (the stage counter), so it is a plain mutable class. ``quiet`` prints nothing.
    """

    def __init__(
        self,
        *,
        total: int,
        stream: TextIO | None = None,
        quiet: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._total = total
        self._stream = stream
        self._quiet = quiet
        self._clock = clock
        self._done = 0

    def _print(self, line: str) -> None:
        if not self._quiet:
            stream = self._stream if self._stream is not None else sys.stderr
            print(line, file=stream, flush=True)

    @contextlib.contextmanager
    def stage(self, what: str) -> Iterator[None]:
        """Announce ``what``, run the block, then report its duration (nothing more if it raises)."""
        self._done += 1
        label = f"[{self._done}/{self._total}] {what}"
        self._print(f"{label} ...")
        start = self._clock()
        yield
        self._print(f"{label}: done in {self._clock() - start:.1f} s")
