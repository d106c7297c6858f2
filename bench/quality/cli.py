"""``python -m bench.quality``: calibration quality on real data, held out, against peers.

Usage (from the repository root, with the ``bench`` extra installed for the peers)::

    python -m bench.quality                  # every data set and model kind, seeds 0 1 2
    python -m bench.quality --quick          # 3 data sets x 2 model kinds, seed 0 (< 1 min)
    python -m bench.quality --datasets iris breast_cancer --models svm --seeds 0 1

Each run (data set, model kind, seed) splits the data 40 / 30 / 30 (stratified) into train /
calibration / test, trains the model, fits every calibrator on the calibration split and
judges it on the test split (``bench.quality.runs``). Runs go to ``--jobs`` worker processes,
each with one thread per numerical pool. Results: ``<out>/<name>.json`` and ``<out>/<name>.md``
(name ``quality``, or ``quality_quick`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import multiprocessing
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

from bench.quality import peers, report
from bench.quality.datasets import (BINARY, DATASETS, EXTRA_MODELS, KNOWN_DATASETS, KNOWN_MODELS,
                                    MODELS, MULTICLASS)
from bench.quality.runs import RunResult, RunSpec, calibrators_of, execute
from bench.quality.summary import summarize
from bench.report import machine_description

QUICK_DATASETS = ("breast_cancer", "synthetic_saturated", "iris")
QUICK_MODELS = ("naive_bayes", "logistic_c0005")
DEFAULT_SEEDS = (0, 1, 2)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"data sets {' '.join(QUICK_DATASETS)}, model kinds "
                             f"{' '.join(QUICK_MODELS)}, seed 0 (each overridable)")
    parser.add_argument("--datasets", nargs="+", choices=list(KNOWN_DATASETS),
                        metavar="DATASET", help=f"default: all ({', '.join(DATASETS)}); also "
                        f"{', '.join(n for n in KNOWN_DATASETS if n not in DATASETS)}")
    parser.add_argument("--models", nargs="+", choices=list(KNOWN_MODELS), metavar="MODEL",
                        help=f"default: all ({', '.join(MODELS)}); also "
                             f"{', '.join(EXTRA_MODELS)}")
    parser.add_argument("--seeds", nargs="+", type=int, help="default: 0 1 2 (--quick: 0)")
    parser.add_argument("--calibrators", nargs="+", metavar="NAME",
                        help="only these calibrators (default: every one of the run's mode)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2; "
                        "1 runs in this process)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "results"), help="results folder (default bench/results)")
    parser.add_argument("--name", help="results file stem (default quality or quality_quick)")
    return parser


def specs_of(args: argparse.Namespace) -> list[RunSpec]:
    """The runs the arguments ask for, in report order (data set, model kind, seed)."""
    datasets = args.datasets or (QUICK_DATASETS if args.quick else list(DATASETS))
    models = args.models or (QUICK_MODELS if args.quick else list(MODELS))
    seeds = args.seeds or ((0,) if args.quick else DEFAULT_SEEDS)
    return [RunSpec(d, m, s) for d in datasets for m in models for s in seeds]


def execute_quietly(spec: RunSpec, calibrators: Sequence[str] | None) -> RunResult:
    """``execute`` with one thread per numerical pool (OpenMP, BLAS) and warnings silenced
    (peers' convergence warnings, and betacal switches every warning off for good)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return execute(spec, calibrators)


def _cost(spec: RunSpec, classes: dict[str, int]) -> tuple[int, int]:
    """Submission order: the longest runs first (many classes, then gradient boosting)."""
    return (-classes[spec.dataset], 0 if spec.model == "boosting" else 1)


def run_all(specs: Sequence[RunSpec], calibrators: Sequence[str] | None, jobs: int
            ) -> list[RunResult]:
    """Every run, on ``jobs`` worker processes (in this process when 1), in ``specs`` order."""
    done: dict[RunSpec, RunResult] = {}

    def report_progress(result: RunResult) -> None:
        done[result.spec] = result
        failed = sorted(n for n, c in result.calibrators.items() if c.status != "ok")
        print(f"[{len(done)}/{len(specs)}] {result.spec.run_id}: {result.seconds:.1f} s "
              f"({result.cpu_seconds:.1f} s CPU)"
              + (f", failed: {' '.join(failed)}" if failed else ""), flush=True)

    if jobs <= 1:
        for spec in specs:
            report_progress(execute_quietly(spec, calibrators))
    else:
        classes = {d: int(KNOWN_DATASETS[d].load()[1].max()) + 1 for d in {s.dataset for s in specs}}
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = [pool.submit(execute_quietly, spec, calibrators)
                       for spec in sorted(specs, key=lambda s: _cost(s, classes))]
            for future in concurrent.futures.as_completed(futures):
                report_progress(future.result())
    return [done[spec] for spec in specs]


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def meta(args: argparse.Namespace, results: Sequence[RunResult], seconds: float
         ) -> dict[str, object]:
    import sklearn

    edited = _git("status", "--porcelain", "--", "script")
    specs = [r.spec for r in results]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.quality"] + sys.argv[1:]),
        "script": f"script/ at commit {_git('rev-parse', '--short=12', 'HEAD')}"
                  + (" with uncommitted edits" if edited else ""),
        "machine": machine_description(),
        "python": platform.python_version(),
        "versions": f"numpy {np.__version__}, scikit-learn {sklearn.__version__}; peers: "
                    + ", ".join(sorted({f"{p.distribution} {peers.version(p)}"
                                        for p in peers.PEERS.values()})),
        "unavailable peers": ", ".join(f"{p.name} ({reason})" for p in peers.PEERS.values()
                                       if (reason := peers.unavailable(p))) or "none",
        "runs": f"{len(specs)}: data sets {' '.join(dict.fromkeys(s.dataset for s in specs))}; "
                f"model kinds {' '.join(dict.fromkeys(s.model for s in specs))}; seeds "
                f"{' '.join(str(s) for s in dict.fromkeys(s.seed for s in specs))}",
        "splits": "stratified 40 / 30 / 30 train / calibration / test; every calibrator is "
                  "fitted on the calibration split and judged on the test split",
        "times": "ours: the script's whole main (reading, shipped fit, 5-fold cross-fitted "
                 "metrics, reliability diagram, writes) plus applying; peers: fit plus "
                 "predict; one thread per process",
        "wall seconds": round(seconds, 1),
        "CPU seconds of the runs": round(sum(r.cpu_seconds for r in results), 1),
        "jobs": args.jobs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    specs = specs_of(args)
    known = set(calibrators_of(BINARY)) | set(calibrators_of(MULTICLASS))
    unknown = sorted(set(args.calibrators or ()) - known)
    if unknown:
        print(f"error: unknown calibrator(s) {', '.join(unknown)}; choose from "
              f"{', '.join(sorted(known))}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = run_all(specs, args.calibrators, args.jobs)
    summaries = [summarize(results, mode) for mode in (BINARY, MULTICLASS)
                 if any(r.mode == mode for r in results)]
    name = args.name or ("quality_quick" if args.quick else "quality")
    paths = report.write(args.out, name, meta(args, results, time.perf_counter() - started),
                         summaries, results)
    print("\n".join(line for s in summaries for line in report.headline(s)))
    print(f"wrote {paths[0]} and {paths[1]}")
    return 0
