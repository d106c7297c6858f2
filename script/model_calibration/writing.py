"""Writing outputs into the staging folders: JSON files and the calibrated data shards.

Each input shard is written in its own format with a ``calibrated_<score column>`` column per
task or class (unrounded; empty where a needed score is missing). A value that is not finite
(JSON cannot hold it) or an OS error is ``MC-E502-WRITE-FAILED``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Optional, TextIO

import pandas as pd

from . import limits
from ..interface import CALIBRATED_COLUMN_PREFIX
from .csvwriter import write_csv_frame
from .jsonwriter import write_json_lines_arrow
from ..errors import CalibrationScriptError, Code
from .numerics import FloatArray
from .reading import (CSV_FLOAT_PRECISION, Shard, decimal_columns, decimals_as_floats,
                      pandas_index_columns, read_frame, text_separator)


def write_failed(path: str, exc: Exception) -> CalibrationScriptError:
    """``MC-E502-WRITE-FAILED`` naming the file that could not be written and why."""
    return CalibrationScriptError(
        Code.MC_E502_WRITE_FAILED,
        f"cannot write {os.path.basename(path)}: {type(exc).__name__}: {exc}",
        "check the output volume (space, permissions); "
        "a value that is not finite is a bug of the script: report it with the input")


def with_columns(frame: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    """``frame.assign(**columns)`` in one step: the new columns joined at once (``assign``
    inserts them one by one, which fragments a frame given a calibrated column for each of
    many classes, and pandas warns); a name ``frame`` already has is replaced where it stands,
    as ``assign`` replaces it.

    >>> with_columns(pd.DataFrame({"s": [0.2]}), {"a": [1.0], "b": [2.0]}).columns.tolist()
    ['s', 'a', 'b']
    """
    if any(name in frame.columns for name in columns):
        assigned: pd.DataFrame = frame.assign(**columns)
        return assigned
    added = pd.DataFrame(dict(columns), index=frame.index)
    joined: pd.DataFrame = pd.concat([frame, added], axis=1)
    return joined


def write_json(path: str, content: Mapping[str, object]) -> None:
    """Write ``content`` as JSON; NaN or infinity (never valid JSON) or an OS error: MC-E502."""
    try:
        text = json.dumps(content, indent=2, sort_keys=True, allow_nan=False)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except (OSError, ValueError, TypeError) as exc:
        raise write_failed(path, exc) from exc


def write_frame(frame: pd.DataFrame, path: str, fmt: str, json_array: bool) -> None:
    """Write ``frame`` in the format ``fmt`` (JSON: an array of records, or JSON lines)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif json_array:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_records(frame), handle, allow_nan=False, default=str)
    else:
        with open(path, "w", encoding="utf-8") as handle:
            _write_json_lines(frame, handle)


def _records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
    """The frame's rows as JSON records (missing values None)."""
    records: list[dict[Any, Any]] = frame.astype(object).where(frame.notna(), None).to_dict(
        orient="records")
    return records


def _write_json_lines(frame: pd.DataFrame, handle: TextIO) -> None:
    """The frame's rows as JSON lines, ``JSON_CHUNK_RECORDS`` records built at a time."""
    for start in range(0, len(frame), limits.JSON_CHUNK_RECORDS):
        for record in _records(frame.iloc[start:start + limits.JSON_CHUNK_RECORDS]):
            handle.write(json.dumps(record, allow_nan=False, default=str))
            handle.write("\n")


def _write_json_lines_shard(shard: Shard, target: str,
                            columns: Callable[[pd.DataFrame], dict[str, FloatArray]]
                            ) -> Optional[int]:
    """A JSON-lines shard calibrated in chunks of ``WRITE_CHUNK_ROWS`` records (at most
    ``JSON_CHUNK_RECORDS``), read as the
    whole file is read, and written as the whole file's frame is; its rows. pandas converts a
    chunk's column over that chunk's rows (integers, numbers from text, dates), so the chunks
    are written only while each holds every column of the file in the types of the first
    chunk's: each conversion then was the whole read's. None (the target is then written from
    the whole read) when a chunk's columns differ, a column is dates (pandas picks their
    unit over the rows it reads), or a value error.
    """
    rows = 0
    types: Optional[dict[str, Any]] = None
    try:
        with open(target, "w", encoding="utf-8") as handle, \
                pd.read_json(shard.path, lines=True, orient="records", precise_float=True,
                             chunksize=min(limits.WRITE_CHUNK_ROWS,
                                           limits.JSON_CHUNK_RECORDS)) as chunks:
            for chunk in chunks:
                labels = {str(c): c for c in chunk.columns}
                if sorted(labels) != sorted(shard.columns) or len(labels) != chunk.shape[1]:
                    return None
                chunk = chunk[[labels[name] for name in shard.columns]]
                chunk_types = {name: chunk[labels[name]].dtype for name in shard.columns}
                if types is None:
                    types = chunk_types
                if chunk_types != types or any(t.kind == "M" for t in chunk_types.values()):
                    return None
                _write_json_lines(with_columns(chunk, columns(chunk)), handle)
                rows += len(chunk)
    except ValueError:
        return None  # the whole read and write raise it as every run does
    return rows


def write_calibrated_shard(shard: Shard, target: str,
                           columns: Callable[[pd.DataFrame], dict[str, FloatArray]],
                           score_columns: Sequence[str]) -> int:
    """Read ``shard`` again in full (every column), add the calibrated columns and write it to
    ``target`` in its format; returns the rows written. One chunk of ``WRITE_CHUNK_ROWS`` rows
    of a parquet, csv/tsv or JSON-lines shard (a JSON array: the shard) is in memory at a
    time.

    parquet goes through pyarrow record batches of ``WRITE_CHUNK_ROWS`` rows (columns keep
    their Arrow types; a pandas index column is dropped, as ``to_parquet(index=False)`` did;
    the calibrated columns, and numeric columns of nearly distinct values
    (:func:`dictionary_columns`), are written without a dictionary page);
    csv/tsv through pandas' reader in chunks of as many rows, written as pandas' ``to_csv``
    writes them (:func:`~.csvwriter.write_csv_frame`); JSON lines in chunks of as many
    records when their types are the whole read's (:func:`_write_json_lines_shard`), else, and
    a JSON array, read and written whole; a JSON-lines file or JSON array whose chunks Arrow
    parses as pandas would is written from Arrow's parse
    (:func:`~.jsonwriter.write_json_lines_arrow`). An OS
    error or a value JSON cannot hold is ``MC-E502``; a file that
    changed since it was read is ``MC-E203``.
    """
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        if shard.fmt == "parquet":
            return _write_parquet_shard(shard, target, columns, score_columns)
        if shard.fmt in ("csv", "tsv"):
            sep = text_separator(shard.fmt)
            rows = 0
            chunks = pd.read_csv(shard.path, sep=sep, chunksize=limits.WRITE_CHUNK_ROWS,
                                 float_precision=CSV_FLOAT_PRECISION)
            with chunks:
                for i, chunk in enumerate(chunks):
                    out = with_columns(chunk, columns(chunk))
                    write_csv_frame(out, target, sep, first=i == 0)
                    rows += len(out)
            return rows
        written = write_json_lines_arrow(shard, target, columns, score_columns)
        if written is None and not shard.json_array:
            written = _write_json_lines_shard(shard, target, columns)
        if written is not None:
            return written
        frame = read_frame(shard.path, shard.fmt)[0]
        out = with_columns(frame, columns(frame))
        write_frame(out, target, shard.fmt, shard.json_array)
        return len(out)
    except CalibrationScriptError:
        raise
    except (OSError, ValueError) as exc:
        raise write_failed(target, exc) from exc


def _write_parquet_shard(shard: Shard, target: str,
                         columns: Callable[[pd.DataFrame], dict[str, FloatArray]],
                         score_columns: Sequence[str]) -> int:
    """A parquet shard calibrated in record batches of ``WRITE_CHUNK_ROWS`` rows, each written
    as it is done (one batch in memory, however large the file)."""
    import pyarrow  # type: ignore[import-untyped]  # no stubs
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs

    # Memory-mapped: the column chunks are decoded from the page cache without a read copy.
    parquet = pq.ParquetFile(shard.path, memory_map=True)
    schema = parquet.schema_arrow
    index_columns = pandas_index_columns(schema)
    kept = [name for name in schema.names if name not in index_columns]
    decimals = decimal_columns(schema)
    metadata = {k: v for k, v in (schema.metadata or {}).items() if k != b"pandas"} or None
    batches = parquet.iter_batches(batch_size=limits.WRITE_CHUNK_ROWS, columns=kept) \
        if parquet.metadata.num_rows else iter([])
    rows = 0
    writer = None
    try:
        for table in itertools.chain((pyarrow.Table.from_batches([b]) for b in batches),
                                     [] if parquet.metadata.num_rows else
                                     [schema.empty_table().select(kept)]):
            # pandas metadata would not describe the added columns (pandas reads them
            # regardless), nor a dropped index column.
            table = table.replace_schema_metadata(metadata)
            # one block per column: the numbers are Arrow's buffers, not a 2-D copy
            scores = decimals_as_floats(
                table.select(list(score_columns)).to_pandas(split_blocks=True), decimals)
            for name, values in columns(scores).items():
                array = pyarrow.array(values, type=pyarrow.float64())
                position = table.schema.get_field_index(name)
                if position >= 0:
                    table = table.set_column(position, name, array)
                else:
                    table = table.append_column(name, array)
            del scores
            if writer is None:
                added = {CALIBRATED_COLUMN_PREFIX + name for name in score_columns}
                writer = pq.ParquetWriter(target, table.schema,
                                          use_dictionary=dictionary_columns(table, added),
                                          compression=column_compression(table))
            writer.write_table(table)
            rows += int(table.num_rows)
    finally:
        if writer is not None:
            writer.close()
    return rows


DICTIONARY_SAMPLE_ROWS = 1 << 12
"""Rows of a parquet shard's first batch whose distinct values decide its dictionaries (counting
65,536 values took 3-5 ms a column, 4,096 values 0.2 ms)."""


def dictionary_columns(table: Any, continuous: Collection[str]) -> list[str]:
    """The columns of the Arrow ``table`` (a shard's first batch) to write with a dictionary:
    all but the ``continuous`` ones and the numeric columns (integers, float32, float64) more
    than half of whose first ``DICTIONARY_SAMPLE_ROWS`` values are distinct. A dictionary of
    nearly every value overflows its page and is dropped, but trying one (Arrow's default)
    hashes the values first, which takes as long as the rest of the column's write; the file
    holds the same values either way.

    >>> import pyarrow as pa
    >>> table = pa.table({"id": list(range(8)), "flag": [0, 1] * 4, "s": ["a"] * 8,
    ...                   "p": [0.5] * 8})
    >>> dictionary_columns(table, {"p"})
    ['flag', 's']
    """
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs

    sample = table.slice(0, DICTIONARY_SAMPLE_ROWS)

    def distinct(name: str) -> bool:
        if not _numeric(sample.schema.field(name).type):
            return False
        return 2 * int(pc.count_distinct(sample.column(name)).as_py()) > int(sample.num_rows)

    return [name for name in table.schema.names if name not in continuous and not distinct(name)]


COMPRESSION_MIN_SAVING = 0.03
"""A numeric column is written compressed (snappy, pyarrow's default) only where snappy saves at
least this share of its first ``DICTIONARY_SAMPLE_ROWS`` values' bytes."""


def column_compression(table: Any) -> dict[str, str]:
    """The codec of each column of the Arrow ``table`` (a shard's first batch): ``none`` for the
    numeric columns (integers, float32, float64) whose first ``DICTIONARY_SAMPLE_ROWS`` values
    snappy shrinks by less than ``COMPRESSION_MIN_SAVING``, ``snappy`` (pyarrow's default) for the
    rest. Probabilities and most measured values are such columns: their pages are the same size
    either way, and compressing them took an eighth of a calibrated shard's write; a column of
    repeated or sorted values keeps its compression.

    >>> import numpy as np, pyarrow as pa
    >>> rng = np.random.default_rng(0)
    >>> table = pa.table({"p": rng.random(5000), "step": np.repeat([0.25, 0.75], 2500),
    ...                   "s": ["a"] * 5000})
    >>> column_compression(table)
    {'p': 'none', 'step': 'snappy', 's': 'snappy'}
    """
    import pyarrow

    sample = table.slice(0, DICTIONARY_SAMPLE_ROWS)

    def pays(name: str) -> bool:
        kind = sample.schema.field(name).type
        if not _numeric(kind):
            return True
        values = sample.column(name).combine_chunks()
        width = kind.bit_width // 8
        data = values.buffers()[1].slice(values.offset * width, len(values) * width)
        if data.size == 0:
            return True
        return int(pyarrow.compress(data, codec="snappy").size) <= \
            (1.0 - COMPRESSION_MIN_SAVING) * int(data.size)

    return {name: "snappy" if pays(name) else "none" for name in table.schema.names}


def _numeric(kind: Any) -> bool:
    """Whether the Arrow type ``kind`` is an integer, float32 or float64."""
    import pyarrow.types as types  # type: ignore[import-untyped]  # no stubs

    return bool(types.is_integer(kind) or types.is_float32(kind) or types.is_float64(kind))
