"""A/B of two revisions of the script on the benchmark's data, interleaved, one thread.

Usage (from the repository root)::

    python -m bench.ab --kind fit --fitter ours_platt --sizes 1e6 1e7
    python -m bench.ab --kind script --sizes 1e6 1e7 --rounds 3
    python -m bench.ab --kind fit --fitter sklearn_logistic_lbfgs --sizes 1e6   # a peer

Each round runs the same measurement (a ``bench.tasks`` spec, in a ``bench.child`` child with
the usual limits) once with the script at ``--base`` (default ``HEAD``) and once with
``--patched`` (default ``worktree``: the file on disk), alternating which goes first, so both
sides see the same machine load. The figure per side is the best of the rounds (for ``fit``
each child's figure is already a best of up to 5 runs). Prints one line per size: seconds, peak
memory and the speed-up ``base / patched``. Nothing is written to ``bench/results``.

Examples
--------
>>> speedup(2.0, 1.0)
'2.00x'
>>> speedup(None, 1.0)
'-'
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence

from bench import data, fitters
from bench.child import run_child
from bench.run import SCRIPT_DIR, _size, script_snapshot
from bench.worker import SCRIPT_DIR_VARIABLE

JsonDict = dict[str, object]
GIB = 1024**3
MB = 1024.0**2


def speedup(base: float | None, patched: float | None) -> str:
    """``base / patched`` formatted, or ``-`` when either is missing."""
    if base is None or patched is None or patched <= 0:
        return "-"
    return f"{base / patched:.2f}x"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=("fit", "script"), default="script")
    parser.add_argument("--fitter", choices=sorted(fitters.FITTERS), default="ours_platt")
    parser.add_argument("--method", default="gam", help="CALIBRATION_METHOD of --kind script")
    parser.add_argument("--sizes", type=_size, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--scenario", choices=data.SCENARIOS, default="nonlinear")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--patched", default="worktree")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--memory-gb", type=float, default=20.0)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "calibration-step-bench"))
    return parser


def _figures(kind: str, result: JsonDict) -> tuple[float | None, float | None]:
    """(seconds, peak bytes) of one child's result."""
    key = "fit_seconds" if kind == "fit" else "seconds"
    memory_key = "fit_extra_bytes" if kind == "fit" else "peak_above_baseline_bytes"
    seconds, memory = result.get(key), result.get(memory_key)
    return (float(seconds) if isinstance(seconds, (int, float)) else None,
            float(memory) if isinstance(memory, (int, float)) else None)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.makedirs(args.cache_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-ab-", dir=args.cache_dir)
    sides: dict[str, tuple[dict[str, str], str]] = {}
    for side, source in (("base", args.base), ("patched", args.patched)):
        folder = os.path.join(work, side)
        os.makedirs(folder)
        if source == "worktree":
            # A copy taken now: edits made while the A/B runs do not leak into later rounds.
            copy = os.path.join(folder, SCRIPT_DIR)
            shutil.copytree(SCRIPT_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
            sides[side] = ({SCRIPT_DIR_VARIABLE: copy},
                           f"{SCRIPT_DIR}/ as in the working tree when the A/B started")
        else:
            sides[side] = script_snapshot(source, folder)
    for side, (_, description) in sides.items():
        print(f"{side}: {description}", flush=True)
    memory_name = "fit extra" if args.kind == "fit" else "peak above baseline"
    for n in sorted(args.sizes):
        dataset = data.prepare(args.cache_dir, args.scenario, n)
        best: dict[str, list[float]] = {"base": [], "patched": []}
        memory: dict[str, list[float]] = {"base": [], "patched": []}
        for r in range(args.rounds):
            order = ("base", "patched") if r % 2 == 0 else ("patched", "base")
            for side in order:
                env, _ = sides[side]
                name = f"{side}-{args.scenario}-n{n}-r{r}"
                spec: JsonDict
                if args.kind == "fit":
                    spec = {"name": name, "kind": "fit", "label": args.fitter,
                            "fitter": args.fitter, "train": dataset.shard_paths(),
                            "test": dataset.test_path}
                else:
                    spec = {"name": name, "kind": "script", "label": f"script_{args.method}",
                            "method": args.method, "train_dir": dataset.train_dir,
                            "scratch": work}
                outcome = run_child(spec, os.path.join(work, "children"), args.timeout,
                                    int(args.memory_gb * GIB), env)
                seconds, peak = _figures(args.kind, outcome.result)
                if outcome.status != "ok" or seconds is None:
                    print(f"  {name}: {outcome.status} {outcome.error[:300]}", flush=True)
                    continue
                best[side].append(seconds)
                if peak is not None:
                    memory[side].append(peak)
                print(f"  {name}: {seconds:.3f} s, {memory_name} "
                      f"{(peak or 0) / MB:,.0f} MB", flush=True)
        b = min(best["base"]) if best["base"] else None
        p = min(best["patched"]) if best["patched"] else None
        bm = min(memory["base"]) if memory["base"] else None
        pm = min(memory["patched"]) if memory["patched"] else None
        label = args.fitter if args.kind == "fit" else f"script {args.method}"
        print(f"{args.scenario} n={n} {label}: base {b if b is None else round(b, 3)} s, "
              f"patched {p if p is None else round(p, 3)} s, speed-up {speedup(b, p)}; "
              f"{memory_name} base {'-' if bm is None else f'{bm / MB:,.0f}'} MB, patched "
              f"{'-' if pm is None else f'{pm / MB:,.0f}'} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
