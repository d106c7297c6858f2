"""``auto``'s six selections on many multi-class rows (the shipped calibrator's and each
cross-fitting fold's): made one by one, each on its own subsample of about
``limits.AUTO_SELECTION_ROWS`` rows (``crossfit.select_method``), against the six from one
shared subsample of about ``limits.AUTO_SHARED_SELECTION_ROWS`` rows whose inner folds are the
cross-fitting folds (``sampledselection.select_on_shared_sample``): the methods each chooses and
the CPU seconds both take, for some sizes and seeds. One thread.

Two kinds of rows: ``temperature`` (the benchmark's multi-class data, ``data.generate_multiclass``:
labels drawn from a temperature-scaled softmax of the scores' logits, so vector scaling holds
the truth) and ``matrix`` (labels drawn from a softmax of a fixed 3 x 3 matrix times the log
scores plus a bias: dirichlet holds the truth, vector does not).

    python -m bench.auto_selections --sizes 2.1e6 4e6 --seeds 0 1 2

Examples
--------
>>> build_parser().parse_args(["--sizes", "1e5"]).sizes
[100000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Optional

import numpy as np

from bench import data
from bench.run import _size
from calibration_step.script.model_calibration.crossfit import select_method, stratified_folds
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.sampledselection import select_on_shared_sample
from calibration_step.script.model_calibration.settings import read_settings

KINDS = ("temperature", "matrix")
MATRIX = np.array([[1.3, 0.3, 0.0], [0.0, 0.8, 0.2], [0.2, 0.0, 1.1]])
"""The ``matrix`` kind's true map of the log scores (its rows: the classes' logits)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.auto_selections", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_size, nargs="+", default=[1 << 21])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    return parser


def rows_of(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of ``kind``: class probabilities and labels (deterministic in ``seed``).

    >>> scores, labels = rows_of("matrix", 5, 0)
    >>> scores.shape, bool(np.allclose(scores.sum(axis=1), 1.0)), labels.shape
    ((5, 3), True, (5,))
    """
    scores, labels = data.generate_multiclass(n, seed)
    if kind == "temperature":
        return scores, labels
    rng = np.random.default_rng([77, seed])
    logits = np.log(scores) @ MATRIX.T + np.array([0.2, -0.1, 0.0])
    truth = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(truth / truth.sum(axis=1, keepdims=True), axis=1)
    draws = rng.uniform(size=(n, 1))
    return scores, np.minimum((draws > cumulative[:, :-1]).sum(axis=1), 2)


def one_by_one(problem: MulticlassProblem, fold: np.ndarray) -> list[str]:
    """The shipped selection's method and each fold's, each on its own subsample."""
    settings = problem.settings
    chosen = [select_method(problem, settings, None, settings.seed, "shipped")]
    chosen += [select_method(problem, settings, fold != f, settings.seed + 1 + f, f"fold {f}")
               for f in range(settings.folds)]
    return [str(c["selected"]) for c in chosen]


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    print("| rows | kind | seed | one by one: shipped, folds 0-4 | seconds | shared | "
          "seconds |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for kind in args.kinds:
            for seed in args.seeds:
                scores, labels = rows_of(kind, n, seed)
                settings = read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                                          "CALIBRATION_METHOD": "auto", "CALIBRATION_SEED": str(seed)})
                problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8),
                                            None, settings)
                fold = stratified_folds(problem.labels, settings.folds, settings.seed)
                start = time.process_time()
                before = one_by_one(problem, fold)
                before_s = time.process_time() - start
                start = time.process_time()
                shared = select_on_shared_sample(problem, fold, settings.folds)
                shared_s = time.process_time() - start
                assert shared is not None
                after = [str(shared.shipped["selected"])] + [
                    str(shared.fold_choice(f)["selected"]) for f in range(settings.folds)]
                print(f"| {n:,} | {kind} | {seed} | {', '.join(before)} | {before_s:.2f} | "
                      f"{', '.join(after)} | {shared_s:.2f} |", flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
