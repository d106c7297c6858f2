"""The CSV writers side by side: the script's (``csvwriter.to_csv_text``), pandas ``to_csv``
and pyarrow's CSV writer, on one benchmark shard with a calibrated column added.

The shard is the cached parquet training shard of a scenario and size (``bench.data``), read
with pandas as the script reads a CSV shard's chunk (its float columns float64, ``segment``
text); every writer formats the same frame in memory, best of ``--repeats``, one thread. The
script's text is checked to be pandas' byte for byte.

    python -m bench.csvwrite --size 1e7 --scenario nonlinear
    python -m bench.csvwrite --size 1e7 --scenario multitask

Examples
--------
>>> build_parser().parse_args(["--size", "1e6"]).repeats
3
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

import numpy as np

from bench import data
from bench.run import _size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.csvwrite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=_size, default=10_000_000,
                        help="rows of the dataset whose first shard is written (default 1e7)")
    parser.add_argument("--scenario", choices=data.ALL_SCENARIOS, default="nonlinear")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "calibration-step-bench"))
    return parser


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    import pandas as pd
    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs
    import pyarrow.csv as pcsv  # type: ignore[import-untyped]  # no stubs

    from calibration_step.script.model_calibration.csvwriter import to_csv_text

    args = build_parser().parse_args(argv)
    dataset = data.prepare(args.cache_dir, args.scenario, args.size)
    frame = pd.read_parquet(dataset.shard_paths()[0])
    frame["feature_a"] = frame["feature_a"].astype(np.float64)  # CSV reads it as float64
    score = data.score_fields(args.scenario)[0]
    frame["calibrated_" + score] = np.clip(frame[score].to_numpy() * 0.9 + 0.05, 0.0, 1.0)
    ours = to_csv_text(frame, ",", header=True)
    same = ours == frame.to_csv(index=False).encode("utf-8")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    seconds = {
        "script (csvwriter)": _best(lambda: to_csv_text(frame, ",", header=True), args.repeats),
        "pandas to_csv": _best(lambda: frame.to_csv(index=False), args.repeats),
        "pyarrow write_csv": _best(lambda: pcsv.write_csv(table, io.BytesIO()), args.repeats),
    }
    print(f"{args.scenario}, one shard of {len(frame):,} rows x {frame.shape[1]} columns; "
          f"script text == pandas text: {same}")
    for name, value in seconds.items():
        print(f"  {name:20s} {value:7.3f} s  ({len(frame) / value / 1e6:5.2f} Mrows/s)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
