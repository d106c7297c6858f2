"""The passes of a streamed run over csv/tsv and JSON-lines files: their fitting columns in
chunks of ``BIN_CHUNK_ROWS`` rows, each value parsed as the whole-file read parses it.

pandas infers a csv column's type chunk by chunk. A number or boolean column parses to the same
values whatever the chunk (an integer is the float64 a float column would hold, exactly, and a
boolean or 0/1 label the same 0.0/1.0), so a chunk of these types is what the whole-file read
gives for its rows; so is a chunk of booleans with empty cells (an object column of
``True``, ``False`` and NaN, which the label parser reads as it reads a boolean column). A
chunk whose fitting column holds text could parse differently in the whole-file read (pandas
there infers over other rows: ``01`` is the number 1 or the text "01"), so such a chunk is
refused (``MC-E203``): the first pass of a streamed run then leaves the job to the run holding
its rows (:func:`~.streaming.run_streamed`). That first pass parses every column of a csv/tsv
file (each row's field count checked as the whole-file read checks it) and counts its rows;
the later passes read only the fitting columns.

A JSON-lines chunk (``\\n`` cuts the file's lines into chunks as pandas' chunked reader does) is
parsed by Arrow where Arrow reads it as Python's ``json`` and pandas do
(:func:`~.jsonchunks.arrow_table`), else decoded by pandas' reader as the whole file is (the
same decoder, the same floats); either way its columns are those pandas builds from the decoded
values with no conversion (``dtype=False``):
a column of JSON numbers (and nulls) is a number column, one of JSON booleans (and nulls) a
boolean one. The whole-file read converts its columns over every row (numbers to integers
when all are whole, text of numbers to numbers, booleans and nulls to 1.0, 0.0 and NaN), which
changes no number of a file whose column holds numbers in every chunk, nor a label of one whose
column holds booleans in every chunk. So a chunk is refused when its column holds anything else
(text, an integer beyond int64), when its column's kind (number or boolean) differs from an
earlier chunk's of the file, when no record of the chunk has the column (its name may be one
pandas converted, a number), and a column whose name pandas reads as a date's (its default
``keep_default_dates``: ``*_at``, ``*_time``, ``timestamp*``, ``modified``, ``date``,
``datetime``) is never streamed. The duplicate-key scan counted the file's rows
(``reading.read_frame``) before these passes. A JSON array (``[...]``) is read as the JSON
lines of its records (:func:`~.jsonchunks.record_chunks`; an array not laid out as the scan
reads it is ``MC-E203``, the job then left to the run holding the rows); a file ending a line
by a carriage return alone (Python's and pandas' line end, not Arrow's) is not streamed.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterator, Sequence
from typing import Any, Optional

import numpy as np
import pandas as pd

from ..errors import CalibrationScriptError, Code, bounded, quoted
from . import limits
from .jsonchunks import arrow_table, lone_carriage_return, record_chunks
from .reading import Shard, json_is_array, text_chunks, text_separator

TEXT_FORMATS = ("csv", "tsv")
JSON_LINES_FORMATS = ("json", "jsonl")

_NUMBER_KINDS = "biuf"
"""numpy kinds of the columns every chunk parses as the whole file does (bool, int, float)."""

_BLOCK_BYTES = 1 << 24


def rows_at_most(path: str) -> int:
    """An upper bound on the rows of a csv/tsv or JSON file without parsing it: its line ends
    plus one (a header takes a line, a quoted field may span several, blank lines are no
    rows), or for a JSON array its opening braces plus one (each record opens with one).
    Counted once per version of the file (its size and modification time): the decision to
    stream and the check of the shards read for no field ask for it.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write("s,y\\n0.5,1\\n0.25,0")
    >>> rows_at_most(path)
    3
    """
    status = os.stat(path)
    mark = b"{" if path.lower().endswith(".json") and json_is_array(path) else b"\n"
    return _marks(path, status.st_size, status.st_mtime_ns, mark) + 1


@functools.lru_cache(maxsize=1024)
def _marks(path: str, size: int, modified: int, mark: bytes) -> int:
    """The ``mark`` bytes of the file at ``path`` of that ``size`` and modification time."""
    count = 0
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            count += block.count(mark)
    return count


def _number_column(series: pd.Series) -> bool:
    """Whether a chunk's column parses as the whole file's would: numbers, booleans, or
    booleans with missing cells.

    >>> _number_column(pd.Series([True, None])), _number_column(pd.Series(["1", None]))
    (True, False)
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in _NUMBER_KINDS:
        return True
    return dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "boolean"


def text_batches(shard: Shard, fields: Sequence[str], every_column: bool = False
                 ) -> Iterator[dict[str, pd.Series]]:
    """The csv/tsv shard's ``fields`` in chunks of ``BIN_CHUNK_ROWS`` rows, as pandas columns of
    numbers or booleans (``every_column``: parsed with every other column, as the whole-file
    read parses them); a read error, or a chunk whose column holds text (the module's
    docstring), is ``MC-E203``.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write("s,y,id\\n0.5,1,a\\n0.25,0,b\\n")
    >>> shard = Shard("a.csv", "csv", path, ("s", "y", "id"), 2, 0)
    >>> [batch["s"].tolist() for batch in text_batches(shard, ["s", "y"])]
    [[0.5, 0.25]]
    """
    start = 0
    try:
        with text_chunks(shard.path, text_separator(shard.fmt),
                         None if every_column else fields) as chunks:
            for chunk in chunks:
                for name in fields:
                    if not _number_column(chunk[name]):
                        raise _refused(shard, name, f"parses as {chunk[name].dtype}", start,
                                       len(chunk))
                start += len(chunk)
                yield {name: chunk[name] for name in fields}
    except (OSError, ValueError) as exc:
        raise _read_failed(shard, exc) from exc


def _refused(shard: Shard, name: str, what: str, start: int, rows: int
             ) -> CalibrationScriptError:
    """``MC-E203`` of a chunk whose column ``name`` the whole-file read may parse otherwise."""
    return CalibrationScriptError(
        Code.MC_E203_READ_FAILED,
        f"column {quoted(name)} of {shard.relative} {what} in rows {start} to {start + rows - 1}",
        "keep the input files unchanged until the job ends")


def _read_failed(shard: Shard, exc: Exception) -> CalibrationScriptError:
    return CalibrationScriptError(
        Code.MC_E203_READ_FAILED,
        f"cannot read {shard.relative} as {shard.fmt}: {type(exc).__name__}: "
        f"{bounded(str(exc))}",
        "check the file's format and content (and that it did not change during the run)")


_DATE_NAME_ENDS = ("_at", "_time")
_DATE_NAMES = ("modified", "date", "datetime")


def date_like(name: str) -> bool:
    """Whether pandas' JSON reader converts a column of this name to dates when its values
    look like dates (``keep_default_dates``).

    >>> date_like("created_at"), date_like("Timestamp_ms"), date_like("score")
    (True, True, False)
    """
    lower = name.lower()
    return lower.endswith(_DATE_NAME_ENDS) or lower in _DATE_NAMES or \
        lower.startswith("timestamp")


def _json_kind(series: pd.Series) -> str:
    """The kind of values of a JSON-lines chunk's column built with no conversion: "number",
    "boolean", "missing" (every value null) or "other".

    >>> [_json_kind(pd.Series(v)) for v in ([1, None], [True, None], [None, None], ["1"])]
    ['number', 'boolean', 'missing', 'other']
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "if":
        return "missing" if bool(series.isna().all()) else "number"
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return "boolean"
    if dtype != object:
        return "other"
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    return {"boolean": "boolean", "empty": "missing"}.get(inferred, "other")


def json_lines_batches(shard: Shard, fields: Sequence[str]) -> Iterator[dict[str, pd.Series]]:
    """The JSON-lines shard's (or JSON array's records') ``fields`` in chunks of
    ``BIN_CHUNK_ROWS`` lines (at most
    ``JSON_CHUNK_RECORDS``), as pandas columns of numbers or booleans (a column of nulls only
    as float64 NaN); a read error, or a chunk the whole-file read may parse otherwise (the
    module's docstring), is ``MC-E203``. Each chunk is parsed by Arrow
    (:func:`~.jsonchunks.arrow_table`) or, where Arrow may read it otherwise, by pandas' reader;
    a lone carriage return (pandas' chunks would then be other lines) is ``MC-E203`` too.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.jsonl")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write('{"s": 0.5, "y": true}\\n{"s": 1, "y": null, "id": "b"}\\n')
    >>> shard = Shard("a.jsonl", "jsonl", path, ("s", "y", "id"), 2, 0)
    >>> [batch["y"].tolist() for batch in json_lines_batches(shard, ["s", "y"])]
    [[True, nan]]
    """
    kinds: dict[str, str] = {}
    start = 0
    try:
        for chunk in record_chunks(shard.path, min(limits.BIN_CHUNK_ROWS,
                                                   limits.JSON_CHUNK_RECORDS), shard.json_array):
            if lone_carriage_return(chunk):
                raise CalibrationScriptError(
                    Code.MC_E203_READ_FAILED, f"{shard.relative} ends a line by a carriage "
                    f"return alone after record {start}", "end lines by \\n or \\r\\n")
            parsed = _arrow_columns(arrow_table(chunk), fields)
            rows, columns = parsed if parsed is not None else _pandas_columns(chunk, fields)
            batch: dict[str, pd.Series] = {}
            for name in fields:
                if name not in columns:
                    raise _refused(shard, name, "is in no record", start, rows)
                kind, series = columns[name]
                series.index = pd.RangeIndex(start, start + rows)
                if kind == "missing":
                    series = pd.Series(np.full(rows, np.nan), index=series.index)
                elif kind == "other" or kinds.setdefault(name, kind) != kind:
                    raise _refused(shard, name, f"holds {pd.api.types.infer_dtype(series)} "
                                   "values", start, rows)
                batch[name] = series
            start += rows
            yield batch
    except (OSError, ValueError) as exc:
        raise _read_failed(shard, exc) from exc


Columns = dict[str, tuple[str, pd.Series]]
"""A chunk's fitting columns present in it: each one's kind (:func:`_json_kind`) and values."""

_ARROW_KINDS = {"int64": "number", "double": "number", "bool": "boolean", "null": "missing",
                "string": "other"}


def _arrow_columns(table: Optional[Any], fields: Sequence[str]) -> Optional[tuple[int, Columns]]:
    """The rows and fitting columns of a chunk Arrow parsed (None: not Arrow's to read), as
    pandas builds them from the decoded records with no conversion: integers as int64 (float64
    with NaN where missing), booleans as bool (objects with None where missing)."""
    if table is None:
        return None
    columns: Columns = {}
    for name in fields:
        if name in table.column_names:
            column = table.column(name)
            kind = _ARROW_KINDS[str(column.type)]
            series = column.to_pandas()
            if kind == "boolean" and column.null_count:
                series = series.where(series.notna(), np.nan)  # as pandas builds it
            columns[name] = (kind, series)
    return int(table.num_rows), columns


def _pandas_columns(chunk: bytes, fields: Sequence[str]) -> tuple[int, Columns]:
    """The rows and fitting columns of a chunk decoded by pandas' reader with no conversion."""
    frame = pd.read_json(io.BytesIO(chunk), lines=True, orient="records", precise_float=True,
                         dtype=False, convert_axes=False)
    return len(frame), {name: (_json_kind(frame[name]), frame[name]) for name in fields
                        if name in frame.columns}
