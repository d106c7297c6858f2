"""How far a multi-class ``auto`` that chooses on a stratified subsample is from one that chooses
on every row: the selection (``crossfit.select_method``) on the multi-class benchmark data, once
on every row and once on the subsample ``limits.AUTO_SUBSAMPLE_MIN_ROWS`` rows would choose on
(``crossfit.selection_sample``), with each candidate's inner cross-validated log loss and every
candidate fitted on all rows scored on the held-out test rows; the candidates are the default
ones but venn_abers (which a subsample of many rows leaves out). One thread.

    python -m bench.auto_subsample --size 1e6

Examples
--------
>>> build_parser().parse_args(["--size", "1e5"]).size
100000
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import Optional

import numpy as np

from bench import data
from bench.run import _size
from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.crossfit import select_method
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.settings import read_settings
from calibration_step.script.setting_rules import auto_default_candidates


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.auto_subsample", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=_size, default=1_000_000, help="rows (default 1e6)")
    parser.add_argument("--test-rows", type=_size, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _selection(problem: MulticlassProblem, seed: int, subsample: bool) -> tuple[dict[str, object],
                                                                              float]:
    saved = limits.AUTO_SUBSAMPLE_MIN_ROWS
    limits.AUTO_SUBSAMPLE_MIN_ROWS = 1 if subsample else 1 << 62
    try:
        start = time.perf_counter()
        choice = select_method(problem, problem.settings, None, seed, "bench")
        return choice, time.perf_counter() - start
    finally:
        limits.AUTO_SUBSAMPLE_MIN_ROWS = saved


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    scores, labels = data.generate_multiclass(args.size, args.seed)
    test_scores, test_labels = data.generate_multiclass(args.test_rows, args.seed + 1)
    # venn_abers is no candidate on a subsample of many rows: left out on both sides
    candidates = [m for m in auto_default_candidates("multiclass") if m != "venn_abers"]
    environ = {"IS_BINARY": "false", "NUM_CLASSES": str(scores.shape[1]),
               "CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": json.dumps(candidates)}
    settings = read_settings(environ)
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), None, settings)
    test = MulticlassProblem(np.asfortranarray(test_scores), test_labels.astype(np.int8), None,
                             settings)
    every, every_s = _selection(problem, args.seed, False)
    sample, sample_s = _selection(problem, args.seed, True)
    print(f"# auto on every row vs on its subsample ({args.size:,} multi-class rows, "
          f"{limits.AUTO_SELECTION_ROWS:,}-row target)\n")
    print(f"- selected on every row: {every['selected']} ({every_s:.1f} s)")
    print(f"- selected on the subsample of {sample['rows']:,} rows: {sample['selected']} "
          f"({sample_s:.1f} s)\n")
    print("| candidate | inner CV log loss, every row | inner CV log loss, subsample | "
          "test log loss (fitted on every row) |")
    print("|---|---|---|---|")
    for method in settings.auto_candidates:
        a = every["candidates"]
        b = sample["candidates"]
        assert isinstance(a, dict) and isinstance(b, dict)
        model = problem.fit(method, None, "bench")
        held = test.held_out_summary(test.predict(model), np.ones(args.test_rows, dtype=bool))
        print(f"| {method} | {a[method]['log_loss']:.6f} | {b[method]['log_loss']:.6f} | "
              f"{held['log_loss']:.6f} |")


if __name__ == "__main__":  # pragma: no cover
    main()
