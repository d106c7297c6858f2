"""A/B of two revisions of the script on the benchmark's data: speed, memory, or outputs.

Usage (from the repository root)::

    python -m bench.ab --kind fit --fitter ours_platt --sizes 1e6 1e7
    python -m bench.ab --kind script --sizes 1e6 1e7 --rounds 3
    python -m bench.ab --kind script --sizes 1e6 --format csv   # the script reading CSV shards
    python -m bench.ab --kind fit --fitter sklearn_logistic_lbfgs --sizes 1e6   # a peer
    python -m bench.ab --kind outputs --base db6853b --sizes 1e5 3e6 \
        --method isotonic platt gam beta auto --fixtures

``fit`` and ``script``: each round runs the same measurement (a ``bench.tasks`` spec, in a
``bench.child`` child with the usual limits) once with the script at ``--base`` (default
``HEAD``) and once with ``--patched`` (default ``worktree``: ``script/`` as on disk when the A/B
starts), alternating which goes first, so both sides see the same machine load. The figure per
side is the best of the rounds (for ``fit`` each child's figure is already a best of up to 5
runs). Prints one line per size (and method): seconds, peak memory and the speed-up
``base / patched``.

``outputs``: each case (the benchmark's data per size and method, and with ``--fixtures`` the
inputs of ``bench.outputs.FIXTURES``) runs once per side as the job runs it, and the outputs are
diffed (``bench.outputs``; the run-dependent values of ``SET_ASIDE`` left out). Prints one line
per case, ``identical`` or each difference, and exits 1 when any case differs.

Nothing is written to ``bench/results``.

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
from pathlib import Path

from bench import data, fitters
from bench.child import run_child
from bench.outputs import FIXTURES, SET_ASIDE, bench_cases, compare_case, side_command
from bench.run import SCRIPT_DIR, _size, extract_script
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
    parser.add_argument("--kind", choices=("fit", "script", "outputs"), default="script")
    parser.add_argument("--fitter", choices=sorted(fitters.FITTERS), default="ours_platt")
    parser.add_argument("--method", nargs="+", default=["gam"],
                        help="CALIBRATION_METHOD of --kind script and outputs (each in turn)")
    parser.add_argument("--sizes", type=_size, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--scenario", choices=data.ALL_SCENARIOS, default="nonlinear",
                        help="multiclass: --kind script and outputs only (the fitters are binary)")
    parser.add_argument("--format", choices=data.FORMATS, default="parquet",
                        help="--kind script: the file format of the script's input (the "
                        "parquet shards written once in it, as bench.run's --script-format)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--patched", default="worktree")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--memory-gb", type=float, default=20.0)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "calibration-step-bench"))
    parser.add_argument("--fixtures", action="store_true",
                        help="--kind outputs: also the test-like inputs of bench.outputs.FIXTURES")
    parser.add_argument("--zipapp", action="store_true",
                        help="--kind outputs: run a side holding the script package as its zipapp")
    return parser


def _figures(kind: str, result: JsonDict) -> tuple[float | None, float | None]:
    """(seconds, peak bytes) of one child's result."""
    key = "fit_seconds" if kind == "fit" else "seconds"
    memory_key = "fit_extra_bytes" if kind == "fit" else "peak_above_baseline_bytes"
    seconds, memory = result.get(key), result.get(memory_key)
    return (float(seconds) if isinstance(seconds, (int, float)) else None,
            float(memory) if isinstance(memory, (int, float)) else None)


def _script_dirs(args: argparse.Namespace, work: str) -> dict[str, tuple[Path, str]]:
    """Per side, a copy of ``script/`` (the working tree's as it is now, or a revision's) and
    what it is."""
    sides: dict[str, tuple[Path, str]] = {}
    for side, source in (("base", args.base), ("patched", args.patched)):
        folder = os.path.join(work, side)
        os.makedirs(folder)
        if source == "worktree":
            # A copy taken now: edits made while the A/B runs do not leak into later rounds.
            copy = os.path.join(folder, SCRIPT_DIR)
            shutil.copytree(SCRIPT_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
            sides[side] = (Path(copy), f"{SCRIPT_DIR}/ as in the working tree when the A/B started")
        else:
            path, description = extract_script(source, folder)
            sides[side] = (Path(path), description)
    return sides


def _outputs(args: argparse.Namespace, work: str, dirs: dict[str, tuple[Path, str]]) -> int:
    """``--kind outputs``: every case on both sides, and the differences of their outputs."""
    root = Path(work)
    for side in dirs:
        (root / f"{side}-run").mkdir()
    sides = {side: side_command(path, root / f"{side}-run", args.zipapp)
             for side, (path, _) in dirs.items()}
    for side, (command, _) in sides.items():
        print(f"{side} runs: {' '.join(command[1:])}", flush=True)
    print("set aside: " + "; ".join(f"{f}: {', '.join(p)}" for f, p in SET_ASIDE.items()), flush=True)
    cases = bench_cases(args.cache_dir, args.scenario, sorted(args.sizes), args.method)
    cases += list(FIXTURES) if args.fixtures else []
    differing = 0
    for case in cases:
        found = compare_case(case, sides, root, args.timeout)
        differing += bool(found)
        print(f"{case.name}: {'identical' if not found else f'{len(found)} difference(s)'}", flush=True)
        for line in found:
            print(f"  {line}", flush=True)
    print(f"{len(cases) - differing} of {len(cases)} cases identical", flush=True)
    return 1 if differing else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.makedirs(args.cache_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-ab-", dir=args.cache_dir)
    dirs = _script_dirs(args, work)
    for side, (_, description) in dirs.items():
        print(f"{side}: {description}", flush=True)
    if args.kind == "outputs":
        return _outputs(args, work, dirs)
    if args.kind == "fit" and args.scenario == data.MULTICLASS:
        raise SystemExit("python -m bench.ab: --kind fit compares binary fitters; use a binary --scenario")
    sides = {side: ({SCRIPT_DIR_VARIABLE: str(path)}, description)
             for side, (path, description) in dirs.items()}
    memory_name = "fit extra" if args.kind == "fit" else "peak above baseline"
    methods = [args.fitter] if args.kind == "fit" else args.method
    for n in sorted(args.sizes):
        dataset = data.prepare(args.cache_dir, args.scenario, n)
        if args.kind == "script":
            dataset = data.in_format(dataset, args.format)
        for method in methods:
            _measure(args, work, dataset, n, method, sides, memory_name)
    return 0


def _measure(args: argparse.Namespace, work: str, dataset: data.Dataset, n: int, method: str,
             sides: dict[str, tuple[dict[str, str], str]], memory_name: str) -> None:
    """The rounds of one size and method (``fit``: the fitter), and the line comparing them."""
    best: dict[str, list[float]] = {"base": [], "patched": []}
    memory: dict[str, list[float]] = {"base": [], "patched": []}
    for r in range(args.rounds):
        order = ("base", "patched") if r % 2 == 0 else ("patched", "base")
        for side in order:
            env, _ = sides[side]
            name = f"{side}-{args.scenario}-n{n}-r{r}"
            spec: JsonDict
            if args.kind == "fit":
                spec = {"name": name, "kind": "fit", "label": method,
                        "fitter": method, "train": dataset.shard_paths(),
                        "test": dataset.test_path}
            else:
                script_env = data.script_environment(args.scenario)
                spec = {"name": name, "kind": "script", "label": f"script_{method}",
                        "method": method, "train_dir": dataset.train_dir,
                        "scratch": work, **({"env": script_env} if script_env else {})}
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
    label = method if args.kind == "fit" else f"script {method}"
    print(f"{args.scenario} n={n} {label}: base {b if b is None else round(b, 3)} s, "
          f"patched {p if p is None else round(p, 3)} s, speed-up {speedup(b, p)}; "
          f"{memory_name} base {'-' if bm is None else f'{bm / MB:,.0f}'} MB, patched "
          f"{'-' if pm is None else f'{pm / MB:,.0f}'} MB", flush=True)


if __name__ == "__main__":
    sys.exit(main())
