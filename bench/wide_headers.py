"""Benchmark of the duplicate-column check on wide files: a csv header, JSON lines keys and a
parquet schema with 40,000 and 1,000,000 columns, one name repeated, each refused with
``MC-E204-SCHEMA-MISMATCH`` by ``read_frame`` (the check counts names once, before the file is
parsed; a million-column parquet footer is over pyarrow's metadata limit, ``MC-E203``).

Usage::

    python -m bench.wide_headers [--columns 40000 1000000] [--runs 3]

Prints one line per case and writes ``bench/results/wide_headers.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from calibration_step.script.errors import CalibrationScriptError, Code
from calibration_step.script.model_calibration.reading import read_frame

RESULTS = Path(__file__).resolve().parent / "results" / "wide_headers.json"


def _write(folder: Path, fmt: str, columns: int) -> Path:
    names = [f"c{i}" for i in range(columns)] + ["c7"]
    if fmt == "csv":
        path = folder / "wide.csv"
        path.write_text(",".join(names) + "\n" + ",".join("0" * len(names)) + "\n", encoding="utf-8")
    elif fmt == "jsonl":
        path = folder / "wide.jsonl"
        path.write_text("{" + ", ".join(f'"{n}": 0' for n in names) + "}\n", encoding="utf-8")
    else:
        import pyarrow as pa  # type: ignore[import-untyped]  # no stubs
        import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs

        path = folder / "wide.parquet"
        pq.write_table(pa.table([pa.array([0])] * len(names), names=names), path)
    return path


def _refusal(path: Path, fmt: str) -> tuple[float, str]:
    """Seconds to refuse the file, and the code (a parquet footer of a million columns is over
    pyarrow's metadata limit: ``MC-E203`` before any column is looked at)."""
    start = time.perf_counter()
    try:
        read_frame(str(path), fmt, ["c1"])
    except CalibrationScriptError as exc:
        assert exc.code in (Code.MC_E204_SCHEMA_MISMATCH, Code.MC_E203_READ_FAILED), exc
        return time.perf_counter() - start, exc.code
    raise AssertionError("a repeated column name was not refused")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--columns", type=int, nargs="+", default=[40_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for columns in args.columns:
            for fmt in ("csv", "jsonl", "parquet"):
                path = _write(Path(folder), fmt, columns)
                runs = [_refusal(path, fmt) for _ in range(args.runs)]
                median = statistics.median(seconds for seconds, _ in runs)
                code = runs[0][1]
                results.append({"format": fmt, "columns": columns, "median_seconds": round(median, 4), "code": code})
                print(f"{fmt:8s} {columns:>9,d} columns: {code} in {median:.3f} s (median of {args.runs})")
                path.unlink()
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                                   "runs": args.runs, "results": results}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
