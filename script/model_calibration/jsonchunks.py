"""JSON-lines files parsed by Arrow's JSON reader in chunks of whole lines, wherever Arrow reads
a chunk exactly as Python's ``json`` (the duplicate-key scan) and pandas' reader do.

Arrow parses a chunk in C, several times faster than a decode into Python objects, but it is
more lenient than Python's ``json`` in places: it reads several objects on one line, ``Inf``,
a byte-order mark, a line ``null`` as a record of nulls (and fails, pyarrow 17 to 25, on one
before any record), and an integer beyond int64 as a float; and pandas' reader fails on a
number below float64's normal range, which Arrow reads. So a chunk's table is used only when
the chunk is UTF-8 with no byte-order mark, holds no lone carriage return (Python reads one as
a line end) and no line ``null``, holds exactly one record per non-blank line, and every column
is a number (finite; none below 1e-290 but 0, and a 0 only where the chunk holds no exponent of
-100 or less nor 200 zeros in a row: it may have been a number pandas finds too small; one of
magnitude 2**63 or more only where no 19 digits follow each other but after a point: it may
have been an integer Python keeps whole), boolean, text or null column (no nested value, which
Arrow checks less than Python). Arrow refuses a repeated key, a malformed line and a column
mixing kinds (a number and a text) by an error. Any other chunk (:func:`arrow_table` returns
None) is read as before, by Python or pandas.

Examples
--------
>>> table = arrow_table(b'{"s": 0.5, "y": true}\\n\\n{"s": 1, "y": null, "id": "b"}\\n')
>>> table.column_names, table.num_rows
(['s', 'y', 'id'], 2)
>>> arrow_table(b'{"s": 0.5} {"s": 1}\\n') is None  # two records on one line
True
"""

from __future__ import annotations

import codecs
import functools
import io
import re
from collections.abc import Iterator
from typing import Any, Optional

import numpy as np

from .jsonarrays import ArrayLayoutError, array_lines

_READ_BYTES = 1 << 24
_MAX_CHUNK_BYTES = 1 << 30
"""A chunk larger than this is left to Python (Arrow's block is one chunk, at most 2**31)."""
_LARGEST_NUMBER = 2.0 ** 63
_BLANK_LINE = re.compile(rb"\n(?=[ \t\r]*\n)")
_FIRST_BLANK = re.compile(rb"[ \t\r]*\n")
_NULL_LINE = re.compile(rb"\n[ \t\r]*null")
_LEADING_NULL = re.compile(rb"[ \t\r\n]*null")
_TINY = 1e-290
_UNDERFLOW = re.compile(rb"[eE]-\d{3}|0{200}")
_LONG_INTEGER = re.compile(rb"(?<![.\d])\d{19}")
"""19 digits in a row, not after a point: perhaps an integer beyond int64, which Arrow reads as
a float (searched only in a chunk with a float of magnitude 2**63 or more)."""
_PRIMITIVE = ("int64", "double", "bool", "string", "null")


def line_chunks(path: str, lines: int) -> Iterator[bytes]:
    """The bytes of the file at ``path`` in chunks of ``lines`` lines (``\\n`` ends a line; the
    last chunk holds what is left, its last line perhaps without an end).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.jsonl")
    >>> with open(path, "wb") as handle:
    ...     _ = handle.write(b'{"a": 1}\\n{"a": 2}\\n{"a": 3}')
    >>> list(line_chunks(path, 2))
    [b'{"a": 1}\\n{"a": 2}\\n', b'{"a": 3}']
    """
    with open(path, "rb") as handle:
        yield from _cut(iter(functools.partial(handle.read, _READ_BYTES), b""), lines)


def record_chunks(path: str, records: int, array: bool) -> Iterator[bytes]:
    """The records of the JSON file at ``path`` in chunks of ``records`` lines: its lines, or
    (``array``) its array's records one a line (:func:`~.jsonarrays.array_lines`: a file not
    laid out as an array of records is :class:`~.jsonarrays.ArrayLayoutError`, raised when the
    chunks reach it)."""
    return _cut(array_lines(path), records) if array else line_chunks(path, records)


def _cut(blocks: Iterator[bytes], lines: int) -> Iterator[bytes]:
    """The bytes of ``blocks`` in chunks of ``lines`` lines (:func:`line_chunks`)."""
    parts: list[bytes] = []
    have = 0
    for block in blocks:
        start = 0
        while True:
            count = block.count(b"\n", start)
            if have + count < lines:
                parts.append(block[start:] if start else block)
                have += count
                break
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8, offset=start)
                                  == ord("\n"))
            cut = start + int(ends[lines - have - 1]) + 1
            parts.append(block[start:cut])
            yield parts[0] if len(parts) == 1 else b"".join(parts)
            parts, have, start = [], 0, cut
    if any(parts):
        yield b"".join(parts)


def lone_carriage_return(chunk: bytes) -> bool:
    """Whether the chunk holds a carriage return not followed by ``\\n`` (Python's text files
    end a line there; pandas' chunks then count other lines than ``\\n`` cuts).

    >>> lone_carriage_return(b'{"a": 1}\\r\\n'), lone_carriage_return(b'{"a": 1}\\r{"a": 2}')
    (False, True)
    """
    return b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n")


def _records(chunk: bytes) -> int:
    """The non-blank lines of the chunk (a blank one holds only spaces, tabs and carriage
    returns: any other character Python strips is no JSON and fails Arrow's parse).

    >>> _records(b'{"a": 1}\\n\\n \\n{"a": 2}\\n'), _records(b'\\n{"a": 1}\\n  '), _records(b'')
    (2, 1, 0)
    """
    tail = chunk[chunk.rfind(b"\n") + 1:]
    lines = chunk.count(b"\n") + (1 if tail else 0)
    blank = 0
    if any(pair in chunk for pair in (b"\n\n", b"\n ", b"\n\t", b"\n\r")):
        blank = len(_BLANK_LINE.findall(chunk))
    if _FIRST_BLANK.match(chunk) and chunk.find(b"\n") >= 0:
        blank += 1
    if tail and not tail.strip(b" \t\r"):
        blank += 1
    return lines - blank


def _null_record(chunk: bytes) -> bool:
    """Whether a line of the chunk is ``null`` (no object: Arrow reads a record of nulls).

    >>> _null_record(b'{"a": null}\\n'), _null_record(b'{"a": 1}\\n null\\n')
    (False, True)
    """
    return _LEADING_NULL.match(chunk) is not None or _NULL_LINE.search(chunk) is not None


def _python_floats(column: Any, chunk: bytes) -> bool:
    """Whether a float column of the chunk's Arrow table holds the numbers Python's ``json``
    and pandas' reader read: none infinite or NaN (Arrow reads ``Inf``, ``NaN``), none that
    may have been an integer beyond int64 (2**63 or more, and 19 digits in a row in the
    chunk), and none below float64's normal range (pandas' reader fails on one: a value below
    1e-290 but 0, or a 0 where the chunk holds an exponent of -100 or less or 200 zeros in a
    row)."""
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs

    if pc.any(pc.invert(pc.is_finite(column))).as_py():
        return False
    size = pc.abs(column)
    extremes = pc.min_max(size)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    if low is None:
        return True
    if high >= _LARGEST_NUMBER and _LONG_INTEGER.search(chunk) is not None:
        return False
    if low < _TINY:
        if pc.any(pc.and_(pc.less(size, _TINY), pc.greater(size, 0.0))).as_py():
            return False
        return _UNDERFLOW.search(chunk) is None
    return True


def _plain_text(chunk: bytes) -> bool:
    """Whether the chunk is UTF-8 with no byte-order mark (Python's ``json`` refuses one)."""
    if chunk.isascii():
        return True
    if codecs.BOM_UTF8 in chunk:
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def arrow_table(chunk: bytes) -> Optional[Any]:
    """The records of a chunk of whole lines as an Arrow table (columns in the order their keys
    first appear), or None where Arrow may read it otherwise than Python's ``json`` (the
    module's docstring): malformed, a repeated key, a lone carriage return, a nested value, a
    number that is not finite or may have been an integer beyond int64, more than one record
    on a line."""
    import pyarrow as pa
    import pyarrow.json as pj  # type: ignore[import-untyped]  # no stubs

    if len(chunk) > _MAX_CHUNK_BYTES or lone_carriage_return(chunk) or \
            not _plain_text(chunk) or b"null" in chunk and _null_record(chunk):
        return None  # (a null before any record crashes Arrow's reader)
    try:
        table = pj.read_json(io.BytesIO(chunk), read_options=pj.ReadOptions(
            use_threads=False, block_size=max(len(chunk), 1)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowCapacityError):
        return None
    if table.num_rows != _records(chunk):
        return None
    for column in table.columns:
        if str(column.type) not in _PRIMITIVE or \
                str(column.type) == "double" and not _python_floats(column, chunk):
            return None
    return table


def json_lines_keys(path: str, lines: int, array: bool = False
                    ) -> Optional[tuple[list[str], int]]:
    """The keys of the JSON-lines file's records (``array``: the JSON array's,
    :func:`record_chunks`) in the order they first appear, and its records (non-blank lines),
    read by Arrow in chunks of ``lines`` records; None when a chunk is not Arrow's to read
    (:func:`arrow_table`: Python's scan then reads the file, and finds any repeated key or
    malformed line), or the array is not laid out as the scan reads it.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.jsonl")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write('{"s": 0.5, "y": 1}\\n\\n{"id": "a", "s": 0.25}\\n')
    >>> json_lines_keys(path, 1)
    (['s', 'y', 'id'], 2)
    """
    keys: dict[str, None] = {}
    records = 0
    try:
        for chunk in record_chunks(path, lines, array):
            table = arrow_table(chunk)
            if table is None:
                return None
            keys.update(dict.fromkeys(str(name) for name in table.column_names))
            records += int(table.num_rows)
    except ArrayLayoutError:
        return None
    return list(keys), records
