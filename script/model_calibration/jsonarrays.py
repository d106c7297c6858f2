"""A JSON array of records (``[{...}, {...}]``) cut into JSON lines, block by block: each
record on a line of its own, so the JSON-lines machinery (:mod:`.jsonchunks`, :mod:`.jsonwriter`,
:mod:`.textbatches`) reads the array in chunks of whole records.

The scan reads the file in blocks of ``_BLOCK_BYTES`` and finds, with array operations on the
positions of quotes, brackets, commas and line ends only, the strings (a quote after an odd run
of backslashes is escaped; runs, strings and depth carry over block ends), the brackets and
commas outside them and their depth. It accepts only this layout, which
JSON reads as the array of the records: JSON whitespace, ``[``, records separated by commas
(each an object, ``{`` to its ``}``, with JSON whitespace around it), ``]`` and JSON whitespace,
with no line end inside a string (Python's ``json`` refuses one). Anything else (a truncated
array, trailing text, an element that is no object, text between the records) is
:class:`ArrayLayoutError`: the caller then reads the file whole, as before, and reports what
that read reports. What the scan does not look into (each record's own syntax, a key repeated
in a record) is checked by the parse of the lines.

The lines are the records' bytes with each line end and carriage return outside a string (the
only places they may be) turned into a space, and each comma between records into ``\\n``.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.json")
>>> with open(path, "wb") as handle:
...     _ = handle.write(b' [{"s": 0.5, "t": "a,]}"},\\n {"s": [1, {}]}]\\n')
>>> list(array_lines(path))
[b'{"s": 0.5, "t": "a,]}"}\\n  {"s": [1, {}]}\\n']
>>> with open(path, "wb") as handle:
...     _ = handle.write(b'[{"s": 0.5}, 3]')
>>> try:
...     _ = list(array_lines(path))
... except ArrayLayoutError as exc:
...     print(exc)
the file holds text outside the array's records
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

_BLOCK_BYTES = 1 << 21
"""Bytes scanned at a time (held with a copy of them and the positions of their marks)."""

_QUOTE, _BACKSLASH, _COMMA = ord('"'), ord("\\"), ord(",")
_SPACE = np.zeros(256, dtype=np.bool_)
_SPACE[[ord(" "), ord("\t"), ord("\n"), ord("\r")]] = True
"""JSON's whitespace."""

_START, _OBJECT, _COMMA_EVENT, _END = 0, 1, 2, 3
"""The events of the array's top level: its ``[``, a record's ``{``, a comma, its ``]``."""
_FOLLOWS = np.zeros((4, 4), dtype=np.bool_)
_FOLLOWS[_START, [_OBJECT, _END]] = True
_FOLLOWS[_OBJECT, [_COMMA_EVENT, _END]] = True
_FOLLOWS[_COMMA_EVENT, _OBJECT] = True
"""Which top-level event may follow which (a record, then a comma or the end)."""


class ArrayLayoutError(ValueError):
    """The file is not one JSON array of records laid out as the scan reads them."""


@dataclasses.dataclass
class _Scan:
    """What carries over from one block to the next."""

    backslashes: int = 0
    """The run of backslashes that ends the block."""
    in_string: bool = False
    depth: int = 0
    last: int = -1
    """The last top-level event (-1 before the ``[``)."""


def _escaped(block: npt.NDArray[np.uint8], carried: int) -> tuple[npt.NDArray[np.intp], int]:
    """The positions escaped by a backslash (the byte after an odd run of them, the run
    perhaps begun ``carried`` backslashes before the block), and the run ending the block.

    >>> backslash = b"\\x5c"
    >>> _escaped(np.frombuffer(b'a' + 2 * backslash + b'"' + backslash + b'"' + backslash,
    ...                        dtype=np.uint8), 0)
    (array([5]), 1)
    >>> _escaped(np.frombuffer(b'"a', dtype=np.uint8), 1)
    (array([0]), 0)
    """
    at = np.flatnonzero(block == _BACKSLASH)
    first: npt.NDArray[np.intp] = np.zeros(1 if carried % 2 and (not at.size or at[0]) else 0,
                                           dtype=np.intp)
    if not at.size:
        return first, 0
    starts = np.flatnonzero(np.diff(at, prepend=-2) != 1)
    stops = np.append(starts[1:], at.size)
    lengths = stops - starts
    if at[0] == 0:
        lengths[0] += carried
    after = at[stops - 1] + 1
    trailing = int(lengths[-1]) if after[-1] == block.size else 0
    return np.concatenate([first, after[(lengths % 2 == 1) & (after < block.size)]]), trailing


def _lines(block: npt.NDArray[np.uint8], scan: _Scan) -> bytes:
    """The block's part of the JSON lines (the module's docstring); ``scan`` carried on. The
    work is on the positions of quotes, brackets, commas and line ends only."""
    quotes = np.flatnonzero(block == _QUOTE)
    escaped, scan.backslashes = _escaped(block, scan.backslashes)
    if escaped.size:
        quotes = quotes[~np.isin(quotes, escaped)]
    marks = np.flatnonzero((block == ord("{")) | (block == ord("}")) | (block == ord("[")) |
                           (block == ord("]")) | (block == _COMMA))
    ends = np.flatnonzero((block == ord("\n")) | (block == ord("\r")))
    if ((np.searchsorted(quotes, ends) + scan.in_string) & 1).any():
        raise ArrayLayoutError("a string of the array holds a line end")
    marks = marks[((np.searchsorted(quotes, marks) + scan.in_string) & 1) == 0]
    scan.in_string = bool((quotes.size + scan.in_string) & 1)
    signs = block[marks]
    delta = ((signs == ord("{")) | (signs == ord("["))).astype(np.int32)
    delta -= (signs == ord("}")) | (signs == ord("]"))
    after = np.cumsum(delta, dtype=np.int32) + scan.depth
    before = after - delta
    if after.size and int(after.min()) < 0:
        raise ArrayLayoutError("the array closes a bracket it did not open")
    kinds = np.full(marks.size, -1, dtype=np.intp)
    kinds[(before == 1) & (after == 1)] = _COMMA_EVENT
    kinds[(before == 1) & (after == 2)] = _OBJECT
    kinds[(before == 0) & (after == 1)] = _START
    kinds[(before == 1) & (after == 0)] = _END
    if ((before == 0) & (after == 0)).any():
        raise ArrayLayoutError("the file holds text outside the array's records")
    if ((kinds == _OBJECT) & (signs != ord("{"))).any() or \
            ((kinds == _START) & (signs != ord("["))).any():
        raise ArrayLayoutError("an element of the array is no object")
    if ((kinds == _END) & (signs != ord("]"))).any() or \
            ((before == 2) & (after == 1) & (signs != ord("}"))).any():
        raise ArrayLayoutError("the array closes a bracket it did not open")
    _between_is_space(block, marks, after, scan.depth)
    events = kinds >= 0
    top, kinds = marks[events], kinds[events]
    previous = np.concatenate([[scan.last], kinds[:-1]])
    if kinds.size:
        if scan.last < 0 and kinds[0] != _START:
            raise ArrayLayoutError("the file holds no JSON array")
        sequence = np.concatenate([[scan.last], kinds]) if scan.last >= 0 else kinds
        if not bool(_FOLLOWS[sequence[:-1], sequence[1:]].all()):
            raise ArrayLayoutError("the array's elements are not separated by single commas")
        scan.last = int(kinds[-1])
    low = 0 if scan.depth else (int(top[0]) + 1 if kinds.size and kinds[0] == _START else
                                block.size)
    high = int(top[-1]) + 1 if kinds.size and kinds[-1] == _END else block.size
    scan.depth = int(after[-1]) if after.size else scan.depth
    out = block.copy()
    out[ends] = ord(" ")
    out[top[kinds == _END]] = ord(" ")  # (an empty array: no line)
    out[top[(kinds == _COMMA_EVENT) | (kinds == _END) & (previous == _OBJECT)]] = ord("\n")
    return bytes(out[low:high])


def _between_is_space(block: npt.NDArray[np.uint8], marks: npt.NDArray[np.intp],
                      after: npt.NDArray[np.int32], depth: int) -> None:
    """Refuse a byte other than JSON whitespace outside the records: from the block's start
    (at depth 0 or 1) or a mark leaving depth 0 or 1, up to the next mark."""
    starts = marks[after <= 1] + 1
    stops = np.append(marks, block.size)[np.flatnonzero(after <= 1) + 1]
    if depth <= 1:
        starts = np.concatenate([[0], starts])
        stops = np.concatenate([[marks[0] if marks.size else block.size], stops])
    lengths = stops - starts
    total = int(lengths.sum())
    if not total:
        return
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    offsets += np.arange(total)
    if not bool(_SPACE[block[offsets]].all()):
        raise ArrayLayoutError("the file holds text outside the array's records")


def array_lines(path: str) -> Iterator[bytes]:
    """The JSON array of records at ``path`` as JSON lines (one record a line, each ended by
    ``\\n``), in blocks of about ``_BLOCK_BYTES``; :class:`ArrayLayoutError` where the file is
    not laid out as the module's docstring says (raised when the scan reaches it)."""
    scan = _Scan()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            yield _lines(np.frombuffer(block, dtype=np.uint8), scan)
    if scan.last != _END or scan.in_string or scan.depth:
        raise ArrayLayoutError("the array is not closed (the file may be truncated)")
