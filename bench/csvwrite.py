"""The CSV writers side by side: the script's (``csvwriter.write_csv_frame``), pandas
``to_csv`` and pyarrow's CSV writer, on one benchmark shard with a calibrated column added.

The shard is the cached parquet training shard of a scenario and size (``bench.data``), read
with pandas as the script reads a CSV shard's chunk (its float columns float64, ``segment``
text), with the ``--add`` columns: ``quoted`` text of which one field in 50 holds a comma
or a quote, ``float32`` floats, ``missing`` (the calibrated column a tenth NaN) and
``integral`` (prices in cents, a hundredth whole). Every writer writes the same frame to
``os.devnull`` (the formatting, not the disk), best of ``--repeats``, one thread; pyarrow's
twice, from a table made beforehand and from the frame (``Table.from_pandas`` timed too, as
a pandas chunk would be). The script's text (``csvwriter.to_csv_text``) is checked to be
pandas' byte for byte. Each writer's best wall time and best CPU time
(``time.process_time``: less disturbed by other processes on a shared machine) are printed,
the writers taking turns within each repeat so that all see the same load.

    python -m bench.csvwrite --size 1e7 --scenario nonlinear
    python -m bench.csvwrite --size 1e7 --scenario nonlinear --add float32 missing integral
    python -m bench.csvwrite --size 1e7 --scenario nonlinear --add quoted
    python -m bench.csvwrite --size 1e7 --scenario multitask

Examples
--------
>>> build_parser().parse_args(["--size", "1e6"]).repeats
3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from bench import data
from bench.run import _size


ADDED = ("quoted", "float32", "missing", "integral")


def add_columns(frame: Any, added: Sequence[str], seed: int = 0) -> None:
    """Add the ``added`` columns (:data:`ADDED`, described above) to ``frame`` in place.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"calibrated_x": [0.5] * 100})
    >>> add_columns(frame, ["missing", "float32"])
    >>> int(frame["calibrated_x"].isna().sum()) > 0, str(frame["float32"].dtype)
    (True, 'float32')
    """
    rng = np.random.default_rng(seed)
    rows = len(frame)
    if "quoted" in added:
        words = np.array(["alpha", "beta gamma", "delta"], dtype=object)
        note = words[rng.integers(0, len(words), rows)]
        special = rng.random(rows) < 0.02
        note[special] = np.where(rng.random(int(special.sum())) < 0.5, "x, y", 'say "hi"')
        frame["note"] = note
    if "float32" in added:
        frame["float32"] = rng.random(rows).astype(np.float32)
    if "missing" in added:
        name = next(c for c in frame.columns if str(c).startswith("calibrated_"))
        frame[name] = np.where(rng.random(rows) < 0.1, np.nan, frame[name].to_numpy())
    if "integral" in added:
        frame["price"] = rng.integers(0, 100_000, rows) / 100


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.csvwrite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=_size, default=10_000_000,
                        help="rows of the dataset whose first shard is written (default 1e7)")
    parser.add_argument("--scenario", choices=data.ALL_SCENARIOS, default="nonlinear")
    parser.add_argument("--add", nargs="*", choices=ADDED, default=[],
                        help="columns added to the shard (above)")
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

    from calibration_step.script.model_calibration.csvwriter import (
        to_csv_text, write_csv_frame)

    args = build_parser().parse_args(argv)
    dataset = data.prepare(args.cache_dir, args.scenario, args.size)
    frame = pd.read_parquet(dataset.shard_paths()[0])
    frame["feature_a"] = frame["feature_a"].astype(np.float64)  # CSV reads it as float64
    score = data.score_fields(args.scenario)[0]
    frame["calibrated_" + score] = np.clip(frame[score].to_numpy() * 0.9 + 0.05, 0.0, 1.0)
    add_columns(frame, args.add)
    ours = to_csv_text(frame, ",", header=True)
    same = ours == frame.to_csv(index=False).encode("utf-8")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    seconds = best_times({
        "script (csvwriter)": lambda: write_csv_frame(frame, os.devnull, ",", first=True),
        "pandas to_csv": lambda: frame.to_csv(os.devnull, index=False),
        "pyarrow write_csv": lambda: pcsv.write_csv(table, os.devnull),
        "pyarrow from pandas": lambda: pcsv.write_csv(
            pa.Table.from_pandas(frame, preserve_index=False), os.devnull),
    }, args.repeats)
    added = f" with {', '.join(args.add)}" if args.add else ""
    print(f"{args.scenario}{added}, one shard of {len(frame):,} rows x {frame.shape[1]} columns; "
          f"script text == pandas text: {same}")
    for name, (wall, cpu) in seconds.items():
        print(f"  {name:20s} {wall:7.3f} s  ({len(frame) / wall / 1e6:5.2f} Mrows/s), "
              f"CPU {cpu:7.3f} s")
    arrow = seconds["pyarrow write_csv"]
    script = seconds["script (csvwriter)"]
    print(f"  script / pyarrow: {script[0] / arrow[0]:.2f}x wall, {script[1] / arrow[1]:.2f}x CPU"
          f" (from pandas: {script[1] / seconds['pyarrow from pandas'][1]:.2f}x CPU)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
