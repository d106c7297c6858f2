"""Calibrated JSON-lines shards written from Arrow's parse of each chunk of lines, the text built
by Arrow's string kernels: the bytes the per-record writer (:mod:`.writing`) writes, without a
Python object a value.

That writer reads a chunk with pandas' JSON reader, which converts each column over the chunk's
rows (integral floats to integers, integers with a null to floats, text of numbers to numbers,
dates), and writes each record with ``json.dumps``: keys and values separated by ``": "`` and
``", "``, integers as their digits, floats as Python's ``repr``, booleans ``true``/``false``,
missing values ``null``, text escaped to ASCII. Here a column's kind in a chunk
(:func:`column_kind`) names the type pandas would give it and sets its text: integers (or
floats all integral, no null) as digits, floats (or integers or booleans with a null, or only
nulls) by ``repr``'s digits (:func:`~.csvwriter.float_texts`), booleans, and text of which some
value cannot be a number's. A file is written here only when every chunk is Arrow's to read
(:func:`~.jsonchunks.arrow_table`), holds every column of the file, and gives every column the
kind of the first chunk's (pandas then converts each chunk as the whole file), no key could be
a number or a date's column (pandas would convert it or its values), and the score columns hold
numbers; :func:`write_json_lines_arrow` returns None otherwise (the caller then writes the file
as before, from its first line). A JSON array is read as the JSON lines of its records
(:func:`~.jsonchunks.record_chunks`) and written as ``json.dump`` writes the list of records:
``[``, the records joined by ``", "``, ``]``.

Examples
--------
>>> import pyarrow as pa
>>> table = pa.table({"s": [0.5, None], "n": [1.0, 2.0], "t": ["a\\u00e9", "b"]})
>>> print(bytes(json_lines_text(table, ["s", "n", "t"], {"c": np.array([0.25, np.nan])})).decode())
{"s": 0.5, "n": 1, "t": "a\\u00e9", "c": 0.25}
{"s": null, "n": 2, "t": "b", "c": null}
<BLANKLINE>
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import limits
from .csvwriter import float_texts, holding_bytes, string_bytes
from .jsonarrays import ArrayLayoutError
from .jsonchunks import arrow_table, record_chunks
from .numerics import FloatArray
from .reading import Shard
from .textbatches import date_like

_ESCAPED = np.zeros(256, dtype=np.bool_)
_ESCAPED[:0x20] = _ESCAPED[0x7F:] = True
_ESCAPED[[ord('"'), ord("\\")]] = True
"""The bytes ``json.dumps`` escapes (``ensure_ascii``): control characters, quote, backslash,
DEL and every byte of a non-ASCII character."""

_NO_NUMBER = np.ones(256, dtype=np.bool_)
_NO_NUMBER[0x80:] = False
_NO_NUMBER[[ord(c) for c in "0123456789.+-_eEiInNfFtTyYaA \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"]] = \
    False
"""The bytes no text Python's ``float`` reads holds (a non-ASCII digit or space it reads)."""


_INT64_END = 2.0 ** 63


def _number_text(key: str) -> bool:
    """Whether pandas may read the text as a number (Python's ``float`` does)."""
    try:
        float(key)
    except ValueError:
        return False
    return True


def column_kind(column: Any) -> Optional[str]:
    """The kind of an Arrow column of a chunk as pandas' JSON reader converts it: "int"
    (int64: integers, or floats all integral and none missing), "float" (floats, integers or
    booleans with a missing value, nulls), "boolean", "text" (with or without a missing value:
    one pandas type either way); None for a type left to pandas (text all of which may be
    numbers).

    >>> import pyarrow as pa
    >>> [column_kind(pa.chunked_array([v])) for v in ([1.0, 2.0], [1, None], ["1"], ["x"])]
    ['int', 'float', None, 'text']
    """
    kind = str(column.type)
    missing = column.null_count > 0
    if kind == "int64":
        return "float" if missing else "int"
    if kind == "double":
        values = column.to_numpy()
        integral = not missing and bool(np.all(values == np.trunc(values))) and \
            -_INT64_END <= float(values.min()) and float(values.max()) < _INT64_END
        return "int" if integral else "float"  # pandas' cast to int64, kept if exact
    if kind == "bool":
        return "float" if missing else "boolean"  # pandas: 1.0, 0.0 and NaN
    if kind == "null":
        return "float"
    if kind == "string":
        text = column.combine_chunks()
        if not bool(np.any(_NO_NUMBER[string_bytes(text)[1]])):
            return None  # pandas turns text that all reads as numbers into numbers
        return "text"
    return None


def _floats(column: Any) -> FloatArray:
    """A column of a "float" kind as pandas holds it: float64, NaN where missing."""
    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs

    floats: FloatArray = column.cast(pa.float64()).to_numpy()
    return floats


def _quoted(text: Any) -> Any:
    """JSON strings of an Arrow string array as ``json.dumps`` writes them (null stays)."""
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs

    quoted = pc.binary_join_element_wise('"', text, '"', "")
    escaped = holding_bytes(text, _ESCAPED)
    if not escaped.any():
        return quoted
    encode = json.encoder.encode_basestring_ascii  # the C function json.dumps calls
    values = text.filter(pa.array(escaped)).to_pylist()
    return pc.replace_with_mask(quoted, pa.array(escaped), pa.array([encode(v) for v in values]))


def _texts(column: Any, kind: str) -> Any:
    """The value texts of a chunk's column of that kind (null where missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "int":
        return pc.cast(pc.cast(column, pa.int64()), pa.string())
    if kind == "float":
        return float_texts(_floats(column))
    if kind == "boolean":
        return pc.if_else(column, "true", "false")
    return _quoted(column.combine_chunks())


def json_lines_text(table: Any, names: Sequence[str], added: Mapping[str, FloatArray],
                    kinds: Optional[Mapping[str, str]] = None) -> memoryview:
    """The JSON lines of the records of ``table`` (every column of a kind: :func:`column_kind`,
    or ``kinds``) with its columns ``names`` in that order and the ``added`` float columns
    (replacing a column of the same name where it is, else after the others)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = {name: _texts(table.column(name), kinds[name] if kinds else str(column_kind(
        table.column(name)))) for name in names if name not in added}
    texts.update((name, float_texts(values)) for name, values in added.items())
    order = list(names) + [name for name in added if name not in names]
    parts: list[Any] = []
    for i, name in enumerate(order):
        parts.append(("{" if i == 0 else ", ") + json.dumps(name) + ": ")
        parts.append(pc.fill_null(texts[name], "null"))
    parts.append("}\n")
    lines = pc.binary_join_element_wise(*parts, "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    return string_bytes(lines)[1].data


def _score_frame(table: Any, kinds: Mapping[str, str], score_columns: Sequence[str]
                 ) -> Optional[pd.DataFrame]:
    """The score columns as pandas' reader converts them (int64 or float64), or None when one
    holds other values."""
    import pyarrow as pa

    columns: dict[str, npt.NDArray[Any]] = {}
    for name in score_columns:
        kind = kinds.get(name)
        if kind == "int":
            columns[name] = table.column(name).cast(pa.int64()).to_numpy()
        elif kind == "float":
            columns[name] = _floats(table.column(name))
        else:
            return None
    frame: pd.DataFrame = pd.DataFrame(columns)
    return frame


def write_json_lines_arrow(shard: Shard, target: str,
                           columns: Callable[[pd.DataFrame], dict[str, FloatArray]],
                           score_columns: Sequence[str]) -> Optional[int]:
    """The JSON-lines (or JSON array) shard calibrated into ``target`` in chunks of
    ``WRITE_CHUNK_ROWS`` records (at most ``JSON_CHUNK_RECORDS``) parsed by Arrow, written as
    the per-record writer writes them; its rows, or None (the module's docstring: the caller
    writes the file again)."""
    import pyarrow as pa

    names = list(shard.columns)
    if any(date_like(name) for name in names) or all(_number_text(name) for name in names):
        return None
    first: Optional[dict[str, str]] = None
    rows = 0
    with open(target, "wb") as handle:
        try:
            for chunk in record_chunks(shard.path, min(limits.WRITE_CHUNK_ROWS,
                                                       limits.JSON_CHUNK_RECORDS),
                                       shard.json_array):
                table = arrow_table(chunk)
                if table is None or sorted(table.column_names) != sorted(names):
                    return None
                kinds = {name: column_kind(table.column(name)) for name in names}
                if first is None:
                    first = {name: kind for name, kind in kinds.items() if kind is not None}
                scores = _score_frame(table, first, score_columns)
                if kinds != first or scores is None:
                    return None  # a kind left to pandas, or one pandas' chunk would differ in
                added = columns(scores)
                if any(v.dtype != np.float64 or bool(np.isinf(v).any())
                       for v in added.values()):
                    return None  # the per-record writer fails on it (no JSON number)
                try:
                    text = json_lines_text(table, names, added, first)
                except pa.ArrowCapacityError:  # more text than one string array holds
                    return None
                if shard.json_array:  # (a line end is a record's end: json.dumps escapes)
                    handle.write(b"[" if not rows else b", ")
                    handle.write(bytes(text[:-1]).replace(b"\n", b", "))
                else:
                    handle.write(text)
                rows += int(table.num_rows)
        except ArrayLayoutError:
            return None
        if shard.json_array and rows:
            handle.write(b"]")
    return rows if first is not None else None
