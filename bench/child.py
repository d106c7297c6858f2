"""Run one measurement in a child process with an address-space limit and a wall-clock timeout.

The parent starts ``python -m bench.worker SPEC RESULT`` with:

- ``RLIMIT_AS`` set in the child before it runs (``preexec_fn``), so a peer that needs more
  memory fails with ``MemoryError`` instead of taking the machine down;
- one thread for every numerical pool (``OMP_NUM_THREADS=1`` and friends; Arrow's CPU pool
  reads ``OMP_NUM_THREADS`` too), so figures are per core;
- a wall-clock timeout after which the child's process group is killed.

The child's peak resident set size is its ``VmHWM``, watched from the parent while it runs
(:class:`PeakWatch`), so it is known even when the child was killed (``wait4``'s ``ru_maxrss``
would count the parent's resident memory too: the forked child's before ``exec``); the worker
also reports per-phase peaks read from ``/proc/self/status`` (``VmHWM``, reset between phases
through ``/proc/self/clear_refs``, which the watch can miss), so the child's peak is the larger
of the watched one and the worker's ``peak_rss_bytes`` (the largest phase peak).

Examples
--------
>>> env = pinned_environment({"PATH": "/bin"})
>>> env["OMP_NUM_THREADS"], env["PATH"]
('1', '/bin')
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")
JsonDict = dict[str, object]


def pinned_environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with every thread-count variable set to 1."""
    env = dict(base)
    for name in THREAD_VARIABLES:
        env[name] = "1"
    return env


def _status_kib(field: str, pid: int | str = "self") -> int:
    """A ``/proc/<pid>/status`` field in KiB; 0 where it is absent (a process that has exited)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        match = re.search(rf"^{field}:\s+(\d+) kB", handle.read(), re.MULTILINE)
    return int(match.group(1)) if match else 0


class PeakWatch:
    """The peak resident memory of another process: its ``VmHWM`` read every ``interval``
    seconds on a thread until it exits or :meth:`stop` is called. ``wait4``'s ``ru_maxrss`` of a
    child that ``subprocess`` starts by ``vfork`` counts the parent's memory before ``exec``;
    ``VmHWM`` is the child's own (a peak in its last ``interval`` can be missed).

    >>> import subprocess, sys
    >>> child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    >>> watch = PeakWatch(child.pid)
    >>> _ = child.wait()
    >>> 0 < watch.stop() < peak_rss_bytes()
    True
    """

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self._pid = pid
        self._interval = interval
        self._peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"peak-{pid}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            try:
                self._peak_kib = max(self._peak_kib, _status_kib("VmHWM", self._pid))
            except OSError:  # the process has exited and been reaped
                return
            self._done.wait(self._interval)

    def stop(self) -> int:
        """Stop watching; the largest ``VmHWM`` seen, in bytes."""
        self._done.set()
        self._thread.join()
        return self._peak_kib * 1024


def rss_bytes() -> int:
    """Current resident set size of this process."""
    return _status_kib("VmRSS") * 1024


def peak_rss_bytes() -> int:
    """Peak resident set size of this process since start or the last ``reset_peak``."""
    return _status_kib("VmHWM") * 1024


def reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ``clear_refs`` 5); False if not supported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class ChildOutcome:
    """What the parent knows about one child: status, its result and its peak memory."""

    status: str  # ok | timeout | memory_limit | failed
    seconds: float
    max_rss_bytes: int
    result: JsonDict
    error: str


def _limit(memory_bytes: int) -> None:
    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def run_child(spec: Mapping[str, object], workdir: str, timeout_seconds: float,
              memory_bytes: int, extra_env: Mapping[str, str] | None = None) -> ChildOutcome:
    """Run ``bench.worker`` on ``spec`` in a limited child; never raises for child failures.

    ``extra_env`` is added to the child's environment (e.g. ``BENCH_SCRIPT_FILE``).
    """
    os.makedirs(workdir, exist_ok=True)
    name = str(spec["name"])
    spec_path = os.path.join(workdir, f"{name}.spec.json")
    result_path = os.path.join(workdir, f"{name}.result.json")
    log_path = os.path.join(workdir, f"{name}.log")
    with open(spec_path, "w", encoding="utf-8") as handle:
        json.dump(dict(spec), handle)
    if os.path.exists(result_path):
        os.remove(result_path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = pinned_environment({**os.environ, **(extra_env or {})})
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bench.worker", spec_path, result_path],
                                cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=lambda: _limit(memory_bytes))
        watch = PeakWatch(proc.pid, interval=0.02)
        timed_out = False
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.perf_counter() - started > timeout_seconds:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, _ = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    seconds = time.perf_counter() - started
    max_rss = watch.stop()
    result: JsonDict = {}
    if os.path.exists(result_path):
        with open(result_path, encoding="utf-8") as handle:
            loaded = json.load(handle)
        result = loaded if isinstance(loaded, dict) else {}
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        tail = handle.read()[-2000:]
    reported = result.get("peak_rss_bytes")
    if isinstance(reported, int):
        # The worker resets VmHWM between phases, between two reads of the watch.
        max_rss = max(max_rss, reported)
    if timed_out:
        return ChildOutcome("timeout", seconds, max_rss, result,
                            f"killed after {timeout_seconds:.0f} s")
    if result.get("status") == "ok":
        return ChildOutcome("ok", seconds, max_rss, result, "")
    error = str(result.get("error") or f"exit code {proc.returncode}: {tail[-600:]}")
    status_name = "memory_limit" if "MemoryError" in error or "MemoryError" in tail or (
        "bad_alloc" in tail) else "failed"
    return ChildOutcome(status_name, seconds, max_rss, result, error)
