"""The CSV writers side by side: the script's (``csvwriter.to_csv_text``), pandas ``to_csv``
and pyarrow's CSV writer, on one benchmark shard with a calibrated column added.

The shard is the cached parquet training shard of a scenario and size (``bench.data``), read
with pandas as the script reads a CSV shard's chunk (its float columns float64, ``segment``
text); every writer formats the same frame in memory, best of ``--repeats``, one thread. The
script's text is checked to be pandas' byte for byte. Each writer's best wall time and best CPU
time (``time.process_time``: less disturbed by other processes on a shared machine) are printed,
the writers taking turns within each repeat so that all see the same load.

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
from collections.abc import Callable, Mapping, Sequence

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


def best_times(writers: Mapping[str, Callable[[], object]], repeats: int
               ) -> dict[str, tuple[float, float]]:
    """Each writer's best wall and best CPU seconds over ``repeats`` rounds, the writers run in
    turn within a round.

    >>> sorted(best_times({"a": lambda: None}, 2))
    ['a']
    """
    best = {name: (float("inf"), float("inf")) for name in writers}
    for _ in range(max(1, repeats)):
        for name, fn in writers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
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
    seconds = best_times({
        "script (csvwriter)": lambda: to_csv_text(frame, ",", header=True),
        "pandas to_csv": lambda: frame.to_csv(index=False),
        "pyarrow write_csv": lambda: pcsv.write_csv(table, io.BytesIO()),
    }, args.repeats)
    print(f"{args.scenario}, one shard of {len(frame):,} rows x {frame.shape[1]} columns; "
          f"script text == pandas text: {same}")
    for name, (wall, cpu) in seconds.items():
        print(f"  {name:20s} {wall:7.3f} s  ({len(frame) / wall / 1e6:5.2f} Mrows/s), "
              f"CPU {cpu:7.3f} s")
    arrow = seconds["pyarrow write_csv"]
    script = seconds["script (csvwriter)"]
    print(f"  script / pyarrow: {script[0] / arrow[0]:.2f}x wall, {script[1] / arrow[1]:.2f}x CPU")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
