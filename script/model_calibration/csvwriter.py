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

The float text is Arrow's cast (the formatter of pyarrow's own CSV writer); the few fields
whose text differs from numpy's (integral values, and magnitudes outside
``[POSITIONAL_LOW, POSITIONAL_HIGH)``) are patched, text fields needing quotes are found by one
scan of the text's bytes (not a kernel call per string), and the lines are joined once and
written from Arrow's buffer without a copy, so a chunk costs about what pyarrow's
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
float (and every float32) is formatted by numpy."""


def _holding(text: Any, chars: str) -> npt.NDArray[np.bool_]:
    """Which strings of the Arrow string array ``text`` hold one of ``chars`` (ASCII)."""
    wanted = np.zeros(256, dtype=np.bool_)
    wanted[[ord(c) for c in chars]] = True
    return holding_bytes(text, wanted)


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


def float_texts(values: npt.NDArray[np.floating[Any]]) -> Any:
    """Arrow strings of a float column as pandas writes them (missing: null)."""
    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs

    missing = np.isnan(values)
    if values.dtype != np.float64:  # float32: numpy's text throughout (its own thresholds)
        return pa.array(values.astype(str), mask=missing)
    text = pc.cast(pa.array(values, mask=missing if missing.any() else None), pa.string())
    size = np.abs(values)
    positional = (size >= POSITIONAL_LOW) & (size < POSITIONAL_HIGH)  # never a missing value
    other = ~(positional | missing)
    # an integral value in positional form lacks the ".0" numpy writes
    integral = positional & (values == np.trunc(values, out=size))
    if integral.any():
        text = pc.if_else(pa.array(integral), pc.binary_join_element_wise(text, ".0", ""), text)
    if other.any():
        replacements = pa.array(values[other].astype(str))
        text = pc.replace_with_mask(text, pa.array(other), replacements)
    return text


def _quoted(text: Any, sep: str) -> Any:
    """Strings quoted as ``csv.QUOTE_MINIMAL`` quotes them (separator, quote or line break);
    None when one holds a carriage return (left to pandas)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _holding(text, "\r").any():
        return None
    special = _holding(text, sep + '"\n')
    if not special.any():
        return text
    escaped = pc.binary_join_element_wise(
        '"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(pa.array(special), escaped, text)


def _column_texts(column: pd.Series, sep: str) -> Optional[Any]:
    """One column's field texts (Arrow strings, null where empty), or None for a type left
    to pandas."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f" and dtype.itemsize in (4, 8):
            return float_texts(column.to_numpy())
        if dtype.kind in "iu":
            return pc.cast(pa.array(column.to_numpy()), pa.string())
        if dtype.kind == "b":
            return pc.if_else(pa.array(column.to_numpy()), "True", "False")
        if dtype.kind != "O":
            return None  # float16, complex, dates, durations, bytes: pandas' own text
    elif not isinstance(dtype, pd.StringDtype):
        return None
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
    parts = _csv_parts(frame, sep, header)
    return None if parts is None else b"".join(parts)


def _csv_parts(frame: pd.DataFrame, sep: str, header: bool
               ) -> Optional[tuple[bytes, memoryview]]:
    """:func:`to_csv_text`'s text in two parts, the header and the lines (a view of Arrow's
    buffer, not copied), or None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.shape[1] < 2 or len(set(frame.columns)) != frame.shape[1] or \
            isinstance(frame.columns, pd.MultiIndex):
        return None
    head = _header(frame, sep).encode("utf-8") if header else b""
    if len(frame) == 0:
        return head, memoryview(b"")
    try:
        columns = []
        for name in frame.columns:
            texts = _column_texts(frame[name], sep)
            if texts is None:
                return None
            columns.append(texts)
        # the line break joined to the last field (one column, not every line, copied again)
        columns[-1] = pc.binary_join_element_wise(pc.fill_null(columns[-1], ""), "",
                                                  os.linesep)
        lines = pc.binary_join_element_wise(*columns, sep, null_handling="replace",
                                            null_replacement="")
    except (pa.ArrowInvalid, pa.ArrowCapacityError):  # more text than one string array holds
        return None
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    return head, string_bytes(lines)[1].data


def write_csv_frame(frame: pd.DataFrame, path: str, sep: str, first: bool) -> None:
    """Write ``frame`` to ``path`` as ``to_csv(index=False, sep=sep)`` would; ``first``: a new
    file with the header, else appended without it."""
    parts = _csv_parts(frame, sep, header=first)
    if parts is None:
        frame.to_csv(path, index=False, sep=sep, mode="w" if first else "a", header=first)
        return
    with open(path, "wb" if first else "ab") as handle:
        for part in parts:
            handle.write(part)
