"""Where the whole script spends its time and memory: one run of ``main`` on benchmark data.

Runs the script package ``script/model_calibration/`` (the working tree's) once on the cached
benchmark shards of a scenario and size, one thread, and prints the wall time, the script's own
stage timings, the peak resident memory above the interpreter (sampled every 2 ms by a thread
that also notes the main thread's innermost frames at the peak), and optionally a cProfile table
or a memory timeline. For the comparisons that the targets are judged by, use ``bench.run`` and
``bench.ab`` (each measurement in its own child process); this is the tool for finding the next
hot spot.

    python -m bench.profile_script --size 1e7 --method gam
    python -m bench.profile_script --size 1e7 --method isotonic --profile 30
    python -m bench.profile_script --size 1e6 --timeline 150
    python -m bench.profile_script --size 1e7 --format csv --timeline 250
    python -m bench.profile_script --scenario multiclass --size 1e7 --method temperature

Examples
--------
>>> build_parser().parse_args(["--size", "1e5"]).method
'gam'
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Optional

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
if __name__ == "__main__":  # one thread: set before numpy is imported (below, by bench.data),
    for _name in THREAD_VARIABLES:  # whose BLAS reads these once, when it loads
        os.environ[_name] = "1"

from bench import data  # noqa: E402  # after the thread variables
from bench.run import _size  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_script", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=_size, default=10_000_000, help="rows (default 1e7)")
    parser.add_argument("--scenario", choices=data.ALL_SCENARIOS, default="nonlinear")
    parser.add_argument("--method", default="gam", help="CALIBRATION_METHOD (default gam)")
    parser.add_argument("--format", choices=data.FORMATS, default="parquet",
                        help="the training shards' format (csv: data.prepare_csv, jsonl: "
                             "data.prepare_jsonl)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N most expensive functions (cumulative time)")
    parser.add_argument("--timeline", type=float, default=0.0, metavar="MIB",
                        help="print every change of the sampled stack while more than MIB "
                             "MiB above the interpreter are resident")
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "calibration-step-bench"))
    return parser


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class MemorySampler:
    """Samples the resident size every 2 ms; keeps the peak, the main thread's frames at the
    peak and (when ``timeline``) every (seconds, bytes, frames) sample."""

    def __init__(self, timeline: bool) -> None:
        self.main = threading.get_ident()
        self.base = _rss()
        self.peak = self.base
        self.where: list[str] = []
        self.samples: list[tuple[float, int, tuple[str, ...]]] = []
        self._timeline = timeline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.perf_counter()

    def _frames(self) -> tuple[str, ...]:
        frame = sys._current_frames().get(self.main)  # the main thread's current stack
        if frame is None:
            return ()
        return tuple(f"{f.name}:{f.lineno}" for f in traceback.extract_stack(frame)[-4:])

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = _rss()
            if rss > self.peak:
                self.peak, self.where = rss, list(self._frames())
            if self._timeline:
                self.samples.append((time.perf_counter() - self._start, rss, self._frames()))
            self._stop.wait(0.002)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    from calibration_step.script import model_calibration as mc
    from calibration_step.script.interface import (
    METRICS_FILE, ModelCalibrationEnv, ModelCalibrationInput, ModelCalibrationOutput,
)

    dataset = data.prepare(args.cache_dir, args.scenario, args.size)
    if args.format == "csv":
        dataset = data.prepare_csv(dataset)
    elif args.format == "jsonl":
        dataset = data.prepare_jsonl(dataset)
    scratch = tempfile.mkdtemp(prefix="bench-profile-", dir=args.cache_dir)
    outputs = {o.value: os.path.join(scratch, o.value) for o in ModelCalibrationOutput}
    environ = {ModelCalibrationEnv.CALIBRATION_METHOD.value: args.method,
               ModelCalibrationEnv.LOG_LEVEL.value: "WARNING",
               **data.script_environment(args.scenario)}
    profiler = cProfile.Profile() if args.profile else None
    try:
        with MemorySampler(args.timeline > 0) as sampler:
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            mc.main({ModelCalibrationInput.EVALUATION_DATA.value: dataset.train_dir}, outputs, environ,
                    argparse.Namespace(job_type="calibration"))
            if profiler is not None:
                profiler.disable()
            seconds = time.perf_counter() - start
        with open(os.path.join(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE),
                  encoding="utf-8") as handle:
            timings = json.load(handle).get("timings")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    mib = 1024 * 1024
    shards = "" if args.format == "parquet" else f" ({args.format})"
    print(f"{args.scenario} {args.size:,} rows{shards}, {args.method}: {seconds:.2f} s; "
          f"stages {timings}")
    print(f"peak {(sampler.peak - sampler.base) / mib:.0f} MiB above the interpreter, at "
          f"{' > '.join(sampler.where)}")
    last: tuple[str, ...] = ()
    for at, rss, frames in sampler.samples:
        if rss - sampler.base > args.timeline * mib and frames != last:
            print(f"{at:7.2f} s {(rss - sampler.base) / mib:6.0f} MiB  {' > '.join(frames)}")
            last = frames
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
            args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
