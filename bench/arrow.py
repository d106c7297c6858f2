r"""Typed facade over the few pyarrow calls the benchmark makes (pyarrow ships no type hints).

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "a.parquet")
>>> write_parquet(path, {"x": np.arange(3.0), "s": np.array(["a", "b", "c"])})
>>> read_float_columns(path, ["x"])["x"].tolist()
[0.0, 1.0, 2.0]
>>> copy_parquet(path, os.path.join(folder, "b.parquet"))[0]
3
>>> with open(os.path.join(folder, "c.csv"), "w") as handle:
...     _ = handle.write("x,s\n0.5,a\n1.5,b\n")
>>> copy_csv(os.path.join(folder, "c.csv"), os.path.join(folder, "d.csv"))[0]
2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow  # type: ignore[import-untyped]  # no stubs; typed wrappers below
import pyarrow.csv as pcsv  # type: ignore[import-untyped]  # no stubs; typed wrappers below
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; typed wrappers below

FloatArray = npt.NDArray[np.float64]

VERSION: str = str(pyarrow.__version__)


def write_parquet(path: str, columns: Mapping[str, npt.NDArray[np.generic]]) -> None:
    """Write numpy columns (numbers or ``str_``) as one parquet file."""
    table = pyarrow.table({name: pyarrow.array(values) for name, values in columns.items()})
    pq.write_table(table, path)


def read_float_columns(path: str, columns: Sequence[str]) -> dict[str, FloatArray]:
    """Only ``columns`` of a parquet file, each as a contiguous float64 array."""
    table = pq.read_table(path, columns=list(columns))
    return {name: np.ascontiguousarray(table.column(name).to_numpy(), dtype=np.float64)
            for name in columns}


def copy_parquet(source: str, target: str) -> tuple[int, dict[str, int]]:
    """Read a parquet file and write it back (the I/O floor): rows and in-memory bytes per
    column of the Arrow table."""
    table = pq.read_table(source)
    pq.write_table(table, target)
    sizes = {str(name): int(table.column(name).nbytes) for name in table.column_names}
    return int(table.num_rows), sizes


def copy_csv(source: str, target: str) -> tuple[int, dict[str, int]]:
    """Read a CSV file with pyarrow's CSV reader and write it back with its CSV writer (the
    pyarrow CSV floor, faster than pandas): rows and in-memory bytes per Arrow column."""
    table = pcsv.read_csv(source)
    pcsv.write_csv(table, target)
    sizes = {str(name): int(table.column(name).nbytes) for name in table.column_names}
    return int(table.num_rows), sizes
