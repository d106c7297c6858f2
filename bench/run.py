"""Run every comparison of ``docs/performance.md`` and write the results table (JSON + markdown).

Usage (from the repository root)::

    python -m bench.run                       # sizes 1e5 1e6 1e7, script at 1e6 and 1e7
    python -m bench.run --quick               # 1e5 rows only, under 2 minutes
    python -m bench.run --sizes 1e5 1e6 --script-sizes 1e6 --out /tmp/bench

Opt-in whole-script variants (the defaults measure binary parquet data only)::

    python -m bench.run --sizes 1e5 --fitters ours_gam --script-sizes 1e6 \
        --scenarios multiclass multitask --script-methods temperature isotonic
    python -m bench.run --sizes 1e5 --fitters ours_gam --script-sizes 1e6 \
        --scenarios nonlinear --script-methods gam --script-format csv

``--scenarios multiclass`` (3 classes, see ``bench.data``) runs the whole script with
``IS_BINARY=false NUM_CLASSES=3`` and its I/O floor only, ``--scenarios multitask`` (3 binary
tasks) likewise with ``SCORE_FIELDS`` / ``TASK_LABEL_NAMES``: the fit-level comparisons (ours vs
scikit-learn/pygam) are binary and are skipped for them, as are ``temperature``, ``vector`` and
``dirichlet`` (multi-class only) for every other scenario. ``--script-format csv`` gives the whole script and the I/O floor the
same shards written as CSV; the floor is then pandas ``read_csv`` + ``to_csv`` (the script's own
reader and writer), with pyarrow's CSV reader and writer reported beside it as
``io_floor_pyarrow_csv``.

Data are generated once per (scenario, size) into ``--cache-dir`` (parquet, reused by later
runs; the CSV shards beside them when asked for). Each measurement runs in its own child
process (``bench.child``) with ``--timeout`` seconds and ``--memory-gb`` of address space, one
thread per numerical pool. Results are
rewritten after every measurement to ``<out>/<name>.json`` and ``<out>/<name>.md`` (name
``quick`` or ``full``, or ``--name``), so a long run can be polled.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence

import numpy as np

from bench import data, fitters, report
from bench.child import ChildOutcome, run_child
from bench.worker import SCRIPT_DIR_VARIABLE

JsonDict = dict[str, object]
GIB = 1024**3
MULTICLASS_ONLY_METHODS = ("temperature", "vector", "dirichlet")
"""Whole-script methods of the multiclass scenario only."""
DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (100_000,)
SCRIPT_DEFAULT_SIZES = (1_000_000, 10_000_000)
SCRIPT_DIR = "script"
"""The processing script's folder (the package ``calibration_step.script``)."""


def _size(text: str) -> int:
    value = float(text)
    if value < 100 or value != int(value):
        raise argparse.ArgumentTypeError(f"a size must be an integer >= 100; got {text!r}.")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_size, nargs="+", help="rows per fit (e.g. 1e5 1e6)")
    parser.add_argument("--script-sizes", type=_size, nargs="*",
                        help="rows for the whole-script runs (default: sizes among 1e6, 1e7; "
                             "--quick: the quick size)")
    parser.add_argument("--script-methods", nargs="+", default=["gam"],
                        choices=("gam", "isotonic", "platt", "beta", "auto")
                        + MULTICLASS_ONLY_METHODS,
                        help="CALIBRATION_METHOD of the whole-script runs (default gam, the one "
                             "the targets name); each is reported as script_<method>; "
                             "temperature, vector and dirichlet run on the multiclass scenario "
                             "only")
    parser.add_argument("--script-format", choices=data.FORMATS, default="parquet",
                        help="file format of the whole-script runs' input and of the I/O floor "
                             "(default parquet; csv: the same shards written as CSV)")
    parser.add_argument("--script-repeats", type=int, default=3,
                        help="runs of each whole-script and I/O-floor measurement: the fastest "
                             "counts for time, the largest peak for memory (default 3)")
    parser.add_argument("--quick", action="store_true", help="1e5 rows only (< 2 minutes)")
    parser.add_argument("--scenarios", nargs="+", choices=data.ALL_SCENARIOS,
                        default=list(data.SCENARIOS),
                        help="default: the binary ones (linear nonlinear); multiclass and "
                             "multitask are opt-in and measure the whole script only")
    parser.add_argument("--fitters", nargs="+", choices=sorted(fitters.FITTERS),
                        default=list(fitters.OURS + fitters.PEERS))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per child")
    parser.add_argument("--memory-gb", type=float, default=20.0, help="address space per child")
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "calibration-step-bench"))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--script-source", default="HEAD",
                        help="git revision whose script/ is measured (default HEAD), or "
                             "'worktree' for the files as they are on disk")
    parser.add_argument("--name", help="results file stem (default: quick or full)")
    return parser


def _meta(args: argparse.Namespace, sizes: Sequence[int], script_sizes: Sequence[int]
          ) -> JsonDict:
    import sklearn

    from bench.arrow import VERSION as pyarrow_version

    try:
        import pygam

        pygam_version = str(getattr(pygam, "__version__", "?"))
    except ImportError:
        pygam_version = "not installed"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run"] + sys.argv[1:]),
        "machine": report.machine_description(),
        "python": platform.python_version(),
        "versions": f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, pygam "
                    f"{pygam_version}, pyarrow {pyarrow_version}",
        "sizes": [report.fmt_rows(n) for n in sizes],
        "script_sizes": [report.fmt_rows(n) for n in script_sizes],
        "scenarios": list(args.scenarios),
        "script_format": args.script_format,
        "limits": f"{args.timeout:.0f} s wall clock and {args.memory_gb:g} GiB address space "
                  "per child; one thread (OMP_NUM_THREADS=1 etc.)",
        "test_rows": f"min(n, {data.TEST_ROWS_MAX:,})",
    }


def agreement_rows(measurements: Sequence[JsonDict], preds_dir: str) -> list[JsonDict]:
    """Max abs difference of held-out predictions, ours vs each reference peer."""
    rows: list[JsonDict] = []
    pairs = [("ours_isotonic", "sklearn_isotonic", True),
             ("ours_platt", "sklearn_logistic_newton", True),
             ("ours_platt", "sklearn_logistic_lbfgs", False),
             ("ours_gam", "pygam_gam", False)]
    keys = sorted({(str(m["scenario"]), int(str(m["rows"]))) for m in measurements})
    for scenario, n in keys:
        for ours, peer, is_target in pairs:
            paths = [os.path.join(preds_dir, f"{scenario}-n{n}-{label}.npy")
                     for label in (ours, peer)]
            ok = all(report.value(measurements, scenario, n, label, "fit_seconds") is not None
                     for label in (ours, peer))
            if not ok or not all(os.path.exists(p) for p in paths):
                continue
            a, b = (np.load(p) for p in paths)
            rows.append({"scenario": scenario, "rows": n, "ours": ours, "peer": peer,
                         "target": is_target, "max_abs_diff": float(np.max(np.abs(a - b)))})
    return rows


def _specs(dataset: data.Dataset, labels: Sequence[str], script: bool, preds_dir: str,
           scratch: str, script_methods: Sequence[str] = ("gam",),
           script_data: data.Dataset | None = None) -> list[JsonDict]:
    """The measurements of one (scenario, size): fits of ``labels`` on ``dataset`` (none for
    multiclass and multitask), and when ``script`` the whole script per method and the I/O floor(s) on
    ``script_data`` (default ``dataset``; its ``fmt`` is the format of those runs)."""
    prefix = f"{dataset.scenario}-n{dataset.rows}"
    shards = dataset.shard_paths()
    if dataset.scenario in data.WHOLE_SCRIPT_ONLY:
        labels = []
    specs: list[JsonDict] = [
        {"name": f"{prefix}-{label}", "kind": "fit", "label": label, "fitter": label,
         "train": shards, "test": dataset.test_path,
         "preds_path": os.path.join(preds_dir, f"{prefix}-{label}.npy")} for label in labels]
    if script:
        target = script_data or dataset
        fmt = target.fmt
        if fmt != "parquet":
            prefix = f"{prefix}-{fmt}"
        env = data.script_environment(dataset.scenario)
        specs += [{"name": f"{prefix}-script_{method}", "kind": "script",
                   "label": f"script_{method}", "method": method, "format": fmt,
                   "train_dir": target.train_dir, "scratch": scratch,
                   **({"env": env} if env else {})}
                  for method in script_methods
                  if method not in MULTICLASS_ONLY_METHODS or dataset.scenario == data.MULTICLASS]
        floors = [("io_floor", fmt)] + ([("io_floor_pyarrow_csv", "csv_pyarrow")]
                                        if fmt == "csv" else [])
        specs += [{"name": f"{prefix}-{label}", "kind": "io_floor", "label": label,
                   "format": fmt, "floor": floor, "train": target.shard_paths(),
                   "fit_columns": data.fitting_fields(dataset.scenario), "scratch": scratch}
                  for label, floor in floors]
    return specs


def extract_script(source: str, folder: str) -> tuple[str, str]:
    """``script/`` of the git revision ``source``, extracted into ``folder``: its path and a
    description naming the commit."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{source}^{{commit}}"], cwd=root,
                            check=True, capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit, SCRIPT_DIR], cwd=root,
                             check=True, capture_output=True).stdout
    target = os.path.join(folder, f"script_{commit[:12]}")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return os.path.join(target, SCRIPT_DIR), f"{SCRIPT_DIR}/ at commit {commit[:12]} ({source})"


def script_snapshot(source: str, folder: str) -> tuple[dict[str, str], str]:
    """The child environment that selects the measured script, and a description of it."""
    if source == "worktree":
        return {}, f"{SCRIPT_DIR}/ as in the working tree (uncommitted edits included)"
    path, description = extract_script(source, folder)
    return {SCRIPT_DIR_VARIABLE: path}, description


def warm_page_cache(spec: Mapping[str, object]) -> None:
    """Read a whole-script or I/O-floor run's input files once, so that both start with them in
    the page cache (a preceding 8 GB pygam child can evict them, which would charge a cold
    read to whichever of the two runs comes first)."""
    paths: list[str] = []
    train_dir = spec.get("train_dir")
    if isinstance(train_dir, str):
        paths += [os.path.join(root, name) for root, _, names in os.walk(train_dir)
                  for name in names]
    train = spec.get("train")
    if isinstance(train, list):
        paths += [p for p in train if isinstance(p, str)]
    for path in sorted(set(paths)):
        with open(path, "rb") as handle:
            while handle.read(1 << 23):
                pass


def best_of_runs(spec: Mapping[str, object], repeats: int, workdir: str, timeout: float,
                 memory_bytes: int, child_env: Mapping[str, str]) -> ChildOutcome:
    """A whole-script or I/O-floor run repeated ``repeats`` times, each in a fresh child with
    its shards in the page cache (``warm_page_cache``): the fastest run's result, with the
    largest peak memory of all the runs (time is judged by the best run, memory by the worst)
    and every run's seconds in ``result['seconds_all']``. The first failed run is returned as
    it is."""
    outcomes: list[ChildOutcome] = []
    for _ in range(max(1, repeats)):
        warm_page_cache(spec)
        outcome = run_child(spec, workdir, timeout, memory_bytes, dict(child_env))
        if outcome.status != "ok":
            return outcome
        outcomes.append(outcome)
    best = min(outcomes, key=lambda o: float(str(o.result.get("seconds", o.seconds))))
    result = dict(best.result)
    result["seconds_all"] = [o.result.get("seconds") for o in outcomes]
    peaks = [o.result.get("peak_above_baseline_bytes") for o in outcomes]
    if all(isinstance(p, int) for p in peaks):
        result["peak_above_baseline_bytes"] = max(p for p in peaks if isinstance(p, int))
    return dataclasses.replace(best, result=result,
                               max_rss_bytes=max(o.max_rss_bytes for o in outcomes))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = sorted(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    if args.script_sizes is not None:
        script_sizes = sorted(args.script_sizes)
    elif args.quick:
        script_sizes = list(sizes)
    else:
        script_sizes = [n for n in sizes if n in SCRIPT_DEFAULT_SIZES]
    name = args.name or ("quick" if args.quick else "full")
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.cache_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-run-", dir=args.cache_dir)
    preds_dir = os.path.join(work, "preds")
    os.makedirs(preds_dir)
    child_env, script_description = script_snapshot(args.script_source, work)
    meta = _meta(args, sizes, script_sizes)
    meta["script"] = script_description
    measurements: list[JsonDict] = []
    memory_bytes = int(args.memory_gb * GIB)

    def write() -> None:
        agreement = agreement_rows(measurements, preds_dir)
        checks = report.targets(measurements, agreement, args.scenarios, sizes, script_sizes)
        payload = {"meta": meta, "measurements": measurements, "agreement": agreement,
                   "targets": checks, "script_vs_floor": report.script_vs_floor(measurements)}
        with open(os.path.join(args.out, f"{name}.json"), "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1)
        with open(os.path.join(args.out, f"{name}.md"), "w", encoding="utf-8") as handle:
            handle.write(report.markdown(meta, measurements, agreement, checks))

    started = time.perf_counter()
    for scenario in set(args.scenarios) & set(data.WHOLE_SCRIPT_ONLY):
        print(f"{scenario}: fit-level comparisons are single-score binary only; only the whole "
              "script and its I/O floor are measured", flush=True)
    only = [m for m in args.script_methods if m in MULTICLASS_ONLY_METHODS]
    if only and set(args.scenarios) - {data.MULTICLASS}:
        print(f"script_{', script_'.join(only)}: multi-class only; not run on the other "
              "scenarios", flush=True)
    for n in sorted(set(sizes) | set(script_sizes)):
        for scenario in args.scenarios:
            labels = args.fitters if n in sizes and scenario not in data.WHOLE_SCRIPT_ONLY \
                else []
            if not labels and n not in script_sizes:
                continue
            t0 = time.perf_counter()
            dataset = data.prepare(args.cache_dir, scenario, n)
            print(f"[{time.perf_counter() - started:7.1f}s] data {scenario} n={n} ready in "
                  f"{time.perf_counter() - t0:.1f}s", flush=True)
            script_data = dataset
            if n in script_sizes and args.script_format != "parquet":
                t0 = time.perf_counter()
                script_data = data.in_format(dataset, args.script_format)
                print(f"[{time.perf_counter() - started:7.1f}s] {args.script_format} {scenario} "
                      f"n={n} ready in {time.perf_counter() - t0:.1f}s", flush=True)
            for spec in _specs(dataset, labels, n in script_sizes, preds_dir, work,
                               args.script_methods, script_data):
                if spec["kind"] in ("script", "io_floor"):
                    outcome = best_of_runs(spec, args.script_repeats,
                                           os.path.join(work, "children"), args.timeout,
                                           memory_bytes, child_env)
                else:
                    outcome = run_child(spec, os.path.join(work, "children"), args.timeout,
                                        memory_bytes, child_env)
                measurements.append({
                    "scenario": scenario, "rows": n, "kind": spec["kind"],
                    "label": spec["label"], "format": spec.get("format", "parquet"),
                    "status": outcome.status,
                    "wall_seconds": round(outcome.seconds, 3),
                    "max_rss_bytes": outcome.max_rss_bytes, "error": outcome.error,
                    "result": outcome.result})
                print(f"[{time.perf_counter() - started:7.1f}s] {spec['name']}: "
                      f"{outcome.status} in {outcome.seconds:.1f}s, peak "
                      f"{outcome.max_rss_bytes / GIB:.2f} GiB {outcome.error[:120]}", flush=True)
                write()
    write()
    shutil.rmtree(preds_dir, ignore_errors=True)
    print(f"child logs in {os.path.join(work, 'children')}", flush=True)
    print(f"wrote {os.path.join(args.out, name)}.json and .md in "
          f"{time.perf_counter() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
