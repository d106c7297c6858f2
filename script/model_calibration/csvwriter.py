"""CSV/TSV text of a data frame as pandas ``to_csv(index=False)`` writes it, built by Arrow's
vectorised string kernels instead of pandas' row-by-row writer.

Each column becomes the text of its fields: integers as their digits; booleans ``True`` /
``False``; floats as their shortest round-trip repr (``0.1``, ``1.0``, ``1e-05``, ``inf``: the
text numpy's ``astype(str)`` gives, which is what pandas writes), missing values empty; text
as is, quoted as Python's ``csv`` module quotes with ``QUOTE_MINIMAL`` (a field holding the
separator, a double quote or a line break is enclosed in double quotes, its quotes doubled).
The header is written by the ``csv`` module itself. A frame with a column of any other type
(dates, categories, nullable integers, mixed objects), text with a carriage return, or a single
column is left to pandas (``to_csv_text`` returns None), so the output is always pandas'.

The lines are written by pyarrow's own CSV writer, told to quote nothing, from Arrow arrays
whose text is pandas': a float column whose every field Arrow formats as numpy does is handed
to it as floats (Arrow's text is numpy's but for integral values, which lack the ``.0``, and
magnitudes outside ``[POSITIONAL_LOW, POSITIONAL_HIGH)``, ``POSITIONAL_HIGH_FLOAT32`` for
float32); another float column as Arrow's text with those few fields patched (spliced in by
one take); text fields needing quotes (found by a search of the text's bytes, then one scan)
quoted with :data:`MARKS` standing for the quote, separator and line break, replaced in the
writer's text chunk by chunk. Text holding a mark, or a line break other than a line feed,
has its lines joined by Arrow's kernels instead. A chunk so costs about what pyarrow's
``write_csv`` takes for it.

Examples
--------
>>> frame = pd.DataFrame({"s": ["a", "b,c", None], "x": [0.1, 1.0, float("nan")],
...                       "n": [1, 2, 3], "ok": [True, False, True]})
>>> text = to_csv_text(frame, ",", header=True)
>>> text.decode() == frame.to_csv(index=False)
True
>>> text.decode().splitlines()[2]
'"b,c",1.0,2,False'
"""

from __future__ import annotations

import csv
import enum
import io
import os
from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

POSITIONAL_LOW = 1e-4
POSITIONAL_HIGH = 1e10
"""float64 magnitudes in ``[POSITIONAL_LOW, POSITIONAL_HIGH)``: there Arrow's text is always
positional (it switches to the exponent form from 1e10 on, numpy from 1e16) with the shortest
round-trip digits, as numpy's (and Python's repr), missing only the ``.0`` of integral values
(pyarrow 17 to 25, checked on every magnitude's neighbours and millions of values); every other
float is formatted by numpy."""
POSITIONAL_HIGH_FLOAT32 = 1e6
"""The same bound for float32, whose text numpy writes in exponent form from 1e6 on (and
below 1e-4, compared in float64: ``float32(1e-4)`` is ``1e-04``); in between Arrow's text of a
float32 is numpy's (the shortest digits that round-trip as float32) but for the ``.0`` of
integral values (checked on every float32 of ``[6e4, 1.1e6)`` and ``[5e-5, 2e-4)``, and on
8e6 others of either sign, uniform over the bit patterns in between)."""


WRITER_BATCH_ROWS = 4096
"""Rows Arrow's CSV writer formats at a time (its default, 1024, took about 5 % more CPU)."""


def holding_bytes(text: Any, wanted: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Which strings of the Arrow string array ``text`` hold a byte ``b`` with ``wanted[b]``
    (256 flags): a scan of its character buffer and a search of the hits' strings, instead of
    a kernel call per string."""
    found = [np.zeros(0, dtype=np.bool_)]
    for chunk in getattr(text, "chunks", [text]):
        offsets, characters = string_bytes(chunk)
        hits = np.flatnonzero(wanted[characters])  # one pass, whatever the number of chars
        holding = np.zeros(len(chunk), dtype=np.bool_)
        if hits.shape[0]:
            hits += int(offsets[0])
            holding[np.searchsorted(offsets[:-1], hits, side="right") - 1] = True
        found.append(holding)
    return np.concatenate(found)


def string_bytes(text: Any) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """The offsets of a (not chunked) Arrow string array's strings in its character buffer
    (one more than strings: the end of the last), and the strings' bytes, one after the
    other."""
    _, offset_buffer, data = text.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int32)[text.offset:text.offset + len(text)
                                                           + 1]
    if data is None:
        return offsets, np.empty(0, dtype=np.uint8)
    return offsets, np.frombuffer(data, dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]


def float_fields(values: npt.NDArray[np.floating[Any]]) -> Any:
    """An Arrow array of a float column whose text (Arrow's cast, or its CSV writer) is the
    text pandas writes (missing: null): the floats themselves when every field's Arrow text
    is numpy's, else the strings with the differing fields patched."""
    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs

    missing = np.isnan(values)
    high = POSITIONAL_HIGH if values.dtype == np.float64 else POSITIONAL_HIGH_FLOAT32
    fields = pa.array(values, mask=missing if missing.any() else None)
    # float64 bounds: a float32 compared with Python floats would be compared in float32
    size = np.abs(values)
    positional = (size >= np.float64(POSITIONAL_LOW)) & (size < np.float64(high))
    other = ~(positional | missing)
    # an integral value in positional form lacks the ".0" numpy writes
    integral = positional & (values == np.trunc(values, out=size))
    integral_at, other_at = np.flatnonzero(integral), np.flatnonzero(other)
    if not (integral_at.shape[0] or other_at.shape[0]):
        return fields
    text = pc.cast(fields, pa.string())
    return _spliced(text, [integral_at, other_at], [
        pc.binary_join_element_wise(text.take(pa.array(integral_at)), ".0", ""),
        pa.array(values[other_at].astype(str), type=pa.string())])


def _spliced(text: Any, positions: list[npt.NDArray[np.intp]], replacements: list[Any]) -> Any:
    """The Arrow strings ``text`` with those at each array of ``positions`` replaced by the
    strings of the same rank in ``replacements``: appended to them, then each put in its
    place by one take (one copy of the column, whatever the number of fields replaced)."""
    import pyarrow as pa

    index = np.arange(len(text))
    end = len(text)
    for at in positions:
        index[at] = end + np.arange(at.shape[0])
        end += at.shape[0]
    return pa.concat_arrays([text, *replacements]).take(pa.array(index))


def float_texts(values: npt.NDArray[np.floating[Any]]) -> Any:
    """Arrow strings of a float column as pandas writes them (missing: null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fields = float_fields(values)
    return fields if pa.types.is_string(fields.type) else pc.cast(fields, pa.string())


_QUOTED = np.zeros(256, dtype=np.bool_)
_QUOTED[[ord(c) for c in '"\n\r']] = True
MARKS = {'"': "\x01", "separator": "\x02", "\n": "\x03"}
"""Bytes standing for a quoted field's quote, separator and line break while Arrow's CSV
writer (which quotes nothing) writes the lines, put back in its text afterwards; a frame
whose text holds one of them has its lines joined instead."""
_UNMARKED = np.arange(256, dtype=np.uint8)
MARKED_ROWS = 65_536
"""Rows whose marked text is written to memory, then unmarked, at a time."""


class Quoting(enum.IntEnum):
    """How a frame's lines are written: by Arrow's CSV writer (``PLAIN``: no field quoted;
    ``MARKED``: quoted fields spelt with :data:`MARKS`, replaced in its text), or joined by
    Arrow's kernels (``JOINED``: the quotes in the fields)."""

    PLAIN = 0
    MARKED = 1
    JOINED = 2


def _quoted(text: Any, sep: str) -> Optional[tuple[Any, Quoting]]:
    """Strings quoted as ``csv.QUOTE_MINIMAL`` quotes them (separator, quote or line break)
    and how the lines holding them are written; None when one holds a carriage return (left
    to pandas)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    characters = string_bytes(text)[1].tobytes()
    if not any(c in characters for c in (sep.encode("utf-8"), b'"', b"\n", b"\r")):
        return text, Quoting.PLAIN  # a search of the bytes: most text needs no quotes
    if b"\r" in characters:
        return None
    wanted = _QUOTED.copy()
    wanted[[ord(c) for c in sep]] = True
    special = np.flatnonzero(holding_bytes(text, wanted))
    fields = text.take(pa.array(special))
    marked = os.linesep == "\n" and not any(c.encode() in characters for c in MARKS.values())
    quote = '"'
    if marked:
        quote = MARKS['"']
        for char, mark in ((sep, MARKS["separator"]), ("\n", MARKS["\n"])):
            fields = pc.replace_substring(fields, char, mark)
    escaped = pc.binary_join_element_wise(
        quote, pc.replace_substring(fields, '"', quote * 2), quote, "")
    return _spliced(text, [special], [escaped]), Quoting.MARKED if marked else Quoting.JOINED


def _unmarked(text: Any, sep: str) -> Any:
    """The Arrow buffer ``text`` (mutable) with :data:`MARKS` put back as the characters they
    stand for, in place."""
    table = _UNMARKED.copy()
    for char, mark in MARKS.items():
        table[ord(mark)] = ord(sep if char == "separator" else char)
    characters = np.frombuffer(text, dtype=np.uint8)
    at = np.flatnonzero(characters <= max(ord(mark) for mark in MARKS.values()))
    characters[at] = table[characters[at]]
    return text


def _column_fields(column: pd.Series, sep: str) -> Optional[tuple[Any, Quoting]]:
    """One column's fields as an Arrow array whose text (Arrow's cast) is pandas' (null
    where empty) and how lines holding them are written, or None for a type left to
    pandas."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f" and dtype.itemsize in (4, 8):
            return float_fields(column.to_numpy()), Quoting.PLAIN
        if dtype.kind in "iu":
            return pa.array(column.to_numpy()), Quoting.PLAIN
        if dtype.kind == "b":
            return pc.if_else(pa.array(column.to_numpy()), "True", "False"), Quoting.PLAIN
        if dtype.kind != "O":
            return None  # float16, complex, dates, durations, bytes: pandas' own text
    elif not isinstance(dtype, pd.StringDtype):
        return None
    if len(column) == 0:  # no field to write (Arrow types an empty object column as null)
        return pa.array([], type=pa.string()), Quoting.PLAIN
    try:
        text = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # objects other than text
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    text = text.cast(pa.string())  # one string type for the joins
    if isinstance(text, pa.ChunkedArray):  # (pyarrow-backed text) the lines in one array
        text = text.combine_chunks()
    return _quoted(text, sep)


def _header(frame: pd.DataFrame, sep: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator=os.linesep,
               quoting=csv.QUOTE_MINIMAL).writerow([str(c) for c in frame.columns])
    return buffer.getvalue()


def to_csv_text(frame: pd.DataFrame, sep: str, header: bool) -> Optional[bytes]:
    """The UTF-8 text ``frame.to_csv(index=False, sep=sep, header=header)`` writes, or None
    when a column (or the frame's shape) is left to pandas."""
    import pyarrow as pa

    fields = _fields(frame, sep)
    sink = pa.BufferOutputStream()
    if fields is None or not _write_fields(frame, sep, header, fields, sink):
        return None
    text: bytes = sink.getvalue().to_pybytes()
    return text


def write_csv_frame(frame: pd.DataFrame, path: str, sep: str, first: bool) -> None:
    """Write ``frame`` to ``path`` as ``to_csv(index=False, sep=sep)`` would; ``first``: a new
    file with the header, else appended without it."""
    import pyarrow as pa

    fields = _fields(frame, sep)
    if fields is not None:
        # Python's file (pyarrow's OSFile appends only from pyarrow 15), Arrow's stream on it
        with open(path, "wb" if first else "ab") as handle:
            if _write_fields(frame, sep, first, fields, pa.PythonFile(handle, mode="w")):
                return
    frame.to_csv(path, index=False, sep=sep, mode="w" if first else "a", header=first)


def _fields(frame: pd.DataFrame, sep: str) -> Optional[tuple[list[Any], Quoting]]:
    """Every column's fields (:func:`_column_fields`) and how the lines are written, or None
    when a column (or the frame's shape) is left to pandas."""
    if frame.shape[1] < 2 or len(set(frame.columns)) != frame.shape[1] or \
            isinstance(frame.columns, pd.MultiIndex):
        return None
    columns, quoting = [], Quoting.PLAIN
    for name in frame.columns:
        fields = _column_fields(frame[name], sep)
        if fields is None:
            return None
        columns.append(fields[0])
        quoting = max(quoting, fields[1])
    if os.linesep != "\n":  # Arrow's writer ends its lines with "\n"
        quoting = Quoting.JOINED
    return columns, quoting


def _write_fields(frame: pd.DataFrame, sep: str, header: bool,
                  fields: tuple[list[Any], Quoting], sink: Any) -> bool:
    """Write the header (if ``header``) and the lines of ``fields`` (:func:`_fields`) to the
    Arrow stream ``sink``: by Arrow's CSV writer, told to quote nothing (no field then holds
    the separator, a quote or a line break; quoted fields' are marked, the marks replaced in
    its text), or joined by Arrow's kernels. False, nothing written, when the joined lines
    are more text than one string array holds."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv  # type: ignore[import-untyped]  # no stubs

    columns, quoting = fields
    head = _header(frame, sep).encode("utf-8") if header else b""
    if len(frame) == 0 or quoting != Quoting.JOINED:
        sink.write(head)
    if len(frame) == 0:
        return True
    if quoting != Quoting.JOINED:
        table = pa.table(columns, names=[str(i) for i in range(len(columns))])
        options = pcsv.WriteOptions(include_header=False, delimiter=sep, quoting_style="none",
                                    batch_size=WRITER_BATCH_ROWS)
        if quoting == Quoting.PLAIN:
            pcsv.write_csv(table, sink, options)
            return True
        for start in range(0, len(frame), MARKED_ROWS):  # a few MB in memory at a time
            marked = pa.BufferOutputStream()
            pcsv.write_csv(table.slice(start, MARKED_ROWS), marked, options)
            sink.write(_unmarked(marked.getvalue(), sep))
        return True
    texts = [c if pa.types.is_string(c.type) else pc.cast(c, pa.string()) for c in columns]
    try:
        # the line break joined to the last field (one column, not every line, copied again)
        texts[-1] = pc.binary_join_element_wise(texts[-1], "", os.linesep,
                                                null_handling="replace", null_replacement="")
        lines = pc.binary_join_element_wise(*texts, sep, null_handling="replace",
                                            null_replacement="")
    except pa.ArrowCapacityError:
        return False
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    sink.write(head)
    sink.write(string_bytes(lines)[1].data)
    return True
