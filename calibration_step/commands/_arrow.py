"""Typed facade over the pyarrow calls of ``apply`` (pyarrow ships no type hints): streamed parquet.

Imported only when a parquet file is read or written (pyarrow takes a moment to import).

Examples
--------
>>> import os, tempfile
>>> import pandas as pd
>>> path = os.path.join(tempfile.mkdtemp(), "a.parquet")
>>> writer = ParquetBatchWriter(path)
>>> writer.write(pd.DataFrame({"x": [1.0, 2.0]}))
>>> writer.write(pd.DataFrame({"x": [3.0]}))
>>> writer.close()
>>> [len(frame) for frame in parquet_batches(path, rows=2)]
[2, 1]
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow  # type: ignore[import-untyped]  # no stubs; typed wrappers below
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; typed wrappers below

__all__ = ["ParquetBatchWriter", "parquet_batches"]


def parquet_batches(path: str, *, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows, ``rows`` at a time (one empty frame with the file's columns if it has none)."""
    source = pq.ParquetFile(path)
    yielded = False
    for batch in source.iter_batches(batch_size=rows):
        yielded = True
        frame: pd.DataFrame = batch.to_pandas()
        yield frame
    if not yielded:
        empty: pd.DataFrame = source.schema_arrow.empty_table().to_pandas()
        yield empty


class ParquetBatchWriter:
    """Appends frames to one parquet file; every frame is cast to the first frame's schema."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._writer: object = None
        self._schema: object = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (its index is not written)."""
        table = pyarrow.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self._path, self._schema)
        writer = self._writer
        writer.write_table(table.cast(self._schema))  # type: ignore[attr-defined]  # a pq.ParquetWriter (untyped)

    def close(self) -> None:
        """Finish the file (idempotent)."""
        if self._writer is not None:
            self._writer.close()  # type: ignore[attr-defined]  # a pq.ParquetWriter (untyped)
            self._writer = None
