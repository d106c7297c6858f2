"""The passes of a streamed run over csv/tsv files: their fitting columns in chunks of
``BIN_CHUNK_ROWS`` rows, each value parsed as the whole-file read parses it.

pandas infers a column's type chunk by chunk. A number or boolean column parses to the same
values whatever the chunk (an integer is the float64 a float column would hold, exactly, and a
boolean or 0/1 label the same 0.0/1.0), so a chunk of these types is what the whole-file read
gives for its rows; so is a chunk of booleans with empty cells (an object column of
``True``, ``False`` and NaN, which the label parser reads as it reads a boolean column). A chunk whose fitting column holds text could parse differently in the
whole-file read (pandas there infers over other rows: ``01`` is the number 1 or the text
"01"), so such a chunk is refused (``MC-E203``): the first pass of a streamed run then leaves
the job to the run holding its rows (:func:`~.streaming.run_streamed`). The file's structure
(every row's field count) was checked when its rows were counted (``reading.read_frame`` for
no field); these passes read only the fitting columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from ..errors import CalibrationScriptError, Code, bounded, quoted
from .reading import Shard, text_chunks, text_separator

TEXT_FORMATS = ("csv", "tsv")

_NUMBER_KINDS = "biuf"
"""numpy kinds of the columns every chunk parses as the whole file does (bool, int, float)."""

_BLOCK_BYTES = 1 << 24


def rows_at_most(path: str) -> int:
    """An upper bound on the rows of a csv/tsv file without parsing it: its line ends plus
    one (the header takes a line, a quoted field may span several, blank lines are no rows).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write("s,y\\n0.5,1\\n0.25,0")
    >>> rows_at_most(path)
    3
    """
    lines = 1
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            lines += block.count(b"\n")
    return lines


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


def text_batches(shard: Shard, fields: Sequence[str]) -> Iterator[dict[str, pd.Series]]:
    """The csv/tsv shard's ``fields`` in chunks of ``BIN_CHUNK_ROWS`` rows, as pandas columns of
    numbers or booleans; a read error, or a chunk whose column holds text (the module's
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
        with text_chunks(shard.path, text_separator(shard.fmt), fields) as chunks:
            for chunk in chunks:
                for name in fields:
                    dtype = chunk[name].dtype
                    if not _number_column(chunk[name]):
                        raise CalibrationScriptError(
                            Code.MC_E203_READ_FAILED,
                            f"column {quoted(name)} of {shard.relative} parses as {dtype} in "
                            f"rows {start} to {start + len(chunk) - 1}",
                            "keep the input files unchanged until the job ends")
                start += len(chunk)
                yield {name: chunk[name] for name in fields}
    except (OSError, ValueError) as exc:
        raise CalibrationScriptError(
            Code.MC_E203_READ_FAILED,
            f"cannot read {shard.relative} as {shard.fmt}: {type(exc).__name__}: "
            f"{bounded(str(exc))}",
            "check the file's format and content (and that it did not change during the run)"
        ) from exc
