"""Reading the input data: discovering the data files, extracting archives, reading shards.

Every ``.csv``, ``.tsv``, ``.parquet``/``.pq``, ``.jsonl`` and ``.json`` file (JSON lines or one
JSON array of records) under the input folder, recursively, sorted by relative path, plus the
data files inside any ``.tar.gz``/``.tgz`` archive there (see :mod:`.extraction`: unsafe or
repeated members ``MC-E209``, size limits ``MC-E212``). Hidden files (``.*``, ``_*``) are
skipped; a single file path is accepted too. A data file must be a regular file (a FIFO, device
or socket is never opened, ``MC-E214``), a symbolic link must resolve inside the input folder
(``MC-E215``) and a name must be UTF-8 (``MC-E216``): all checked before any file is read. All
shards must have the same column names, and no file may repeat one (``MC-E204``). Decimal
parquet columns are read as float64. Only the columns the fits need are kept in
memory; the others are read again when the calibrated shard is written.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import itertools
import json
import os
import stat
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Literal, Optional

import numpy as np
import pandas as pd

from ..errors import CalibrationScriptError, Code, bounded, quoted
from . import limits
from .extraction import safe_extract
from .jsonchunks import json_lines_keys
from .logs import logger

if TYPE_CHECKING:
    from pandas.io.parsers import TextFileReader

DATA_EXTENSIONS = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".json")


def text_separator(fmt: str) -> str:
    """The field separator of a csv or tsv file.

    >>> text_separator("tsv")
    '\\t'
    """
    return "," if fmt == "csv" else "\t"


ARCHIVE_EXTENSIONS = (".tar.gz", ".tgz")


@dataclasses.dataclass(frozen=True)
class Shard:
    """One input data file: path relative to the input root, format, columns and rows.

    ``fitting`` holds only the columns the fits need (score, label, weight columns; every
    column when ``read_shards`` was given no fields) until the mode has parsed them: the runner
    empties it (``release_fitting``), so the run does not keep the shards' data. The other
    columns are read again, one shard at a time, when the calibrated shard is written.
    """

    relative: str
    fmt: str
    path: str
    columns: tuple[str, ...]
    rows: int
    size: int
    json_array: bool = False
    fitting: dict[str, pd.Series] = dataclasses.field(default_factory=dict, compare=False,
                                                      repr=False)
    first_row: int = 0
    """Where the shard's rows start in the parquet file at ``path`` (a statistics file holds
    the rows of several shards, one after the other)."""
    counted: bool = True
    """False for a csv/tsv file read for no field (its header only): ``rows`` is 0 until the
    first pass of a streamed run counts them (:func:`~.streaming.run_streamed`)."""


def _format_of(name: str) -> Optional[str]:
    lower = name.lower()
    for ext in DATA_EXTENSIONS:
        if lower.endswith(ext):
            return {".pq": "parquet"}.get(ext, ext.lstrip("."))
    return None


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_EXTENSIONS)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def walk_files(root: str) -> list[str]:
    """Every file under ``root`` not hidden (``.*``, ``_*``, nor in a hidden folder), sorted by
    relative path."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        found.extend(os.path.join(folder, f) for f in files if not _hidden(f))
    return sorted(found, key=lambda p: os.path.relpath(p, root))


def repeated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted (linear in the number of names).

    >>> repeated(["a", "b", "a", "c", "b"])
    ['a', 'b']
    """
    return sorted(name for name, count in collections.Counter(names).items() if count > 1)


def _printable(name: str) -> str:
    """A file name as a message can show it (undecodable bytes as ``\\x..``), bounded."""
    return bounded(name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def check_data_file(absolute: str, relative: str, root: Optional[str]) -> None:
    """Refuse, before it is opened, a data file that is not a regular file (``MC-E214``), a link
    resolving outside ``root`` (the input folder, ``MC-E215``) or a name that is not UTF-8
    (``MC-E216``)."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CalibrationScriptError(
            Code.MC_E216_FILE_NAME_ENCODING,
            f"the input file name {_printable(relative)} is not UTF-8", "rename the file with "
            "a UTF-8 name (the calibrated data and summary.json record every name)") from exc
    if root is not None and os.path.islink(absolute):
        real_root = os.path.realpath(root)
        target = os.path.realpath(absolute)
        if os.path.commonpath([real_root, target]) != real_root:
            raise CalibrationScriptError(
                Code.MC_E215_LINK_OUTSIDE_INPUT,
                f"{_printable(relative)} is a link to {_printable(target)}, outside the input "
                "folder", "copy the file into the input folder instead of linking to it")
    try:
        mode = os.stat(absolute).st_mode
    except OSError as exc:
        raise CalibrationScriptError(Code.MC_E203_READ_FAILED,
                                     f"cannot read {_printable(relative)}: {exc.strerror}",
                                     "check the file and its permissions") from exc
    if not stat.S_ISREG(mode):
        raise CalibrationScriptError(
            Code.MC_E214_NOT_A_REGULAR_FILE,
            f"{_printable(relative)} is not a regular file (a FIFO, device, socket or folder)",
            "put regular files in the input folder")


def _wanted_member(name: str) -> bool:
    """Whether an archive member is a data file that will be read (only these are extracted)."""
    return _format_of(name) is not None and not any(_hidden(p) for p in name.split("/"))


def discover_files(path: str, scratch: str) -> list[tuple[str, str, str]]:
    """``(absolute path, relative name, format)`` of every data file (archives extracted), each
    checked by ``check_data_file``."""
    if not os.path.exists(path):
        raise CalibrationScriptError(
            Code.MC_E201_NO_INPUT_FILES, f"input path {quoted(path)} does not exist",
            "pass the folder or file holding the evaluation data")
    root: Optional[str] = None
    if not os.path.isdir(path):
        name = os.path.basename(path)
        candidates = [(path, name)]
    else:
        root = path
        candidates = [(p, os.path.relpath(p, path).replace(os.sep, "/"))
                      for p in walk_files(path)]
    result: list[tuple[str, str, str]] = []
    skipped: list[str] = []
    for absolute, relative in candidates:
        fmt = _format_of(relative)
        if fmt is not None:
            check_data_file(absolute, relative, root)
            result.append((absolute, relative, fmt))
        elif _is_archive(relative):
            check_data_file(absolute, relative, root)
            target = tempfile.mkdtemp(prefix="archive-", dir=scratch)
            stem = relative[: -len(".tar.gz")] if relative.lower().endswith(".tar.gz") else \
                relative[: -len(".tgz")]
            for member in sorted(safe_extract(absolute, target, _wanted_member)):
                inner = os.path.relpath(member, target).replace(os.sep, "/")
                check_data_file(member, f"{stem}/{inner}", None)
                result.append((member, f"{stem}/{inner}", str(_format_of(inner))))
        else:
            skipped.append(_printable(relative))
    if root is None and not result:
        raise CalibrationScriptError(
            Code.MC_E202_UNSUPPORTED_FORMAT,
            f"{_printable(os.path.basename(path))} is not a supported data file",
            f"use one of {', '.join(DATA_EXTENSIONS)} or {', '.join(ARCHIVE_EXTENSIONS)}")
    if skipped:
        logger.warning("skipped %d non-data files: %s", len(skipped), ", ".join(skipped[:10]))
    if not result:
        raise CalibrationScriptError(Code.MC_E201_NO_INPUT_FILES,
                                     f"no data file found under {quoted(path)}",
                                     f"provide files ending in {', '.join(DATA_EXTENSIONS)}")
    return result


def json_is_array(path: str) -> bool:
    """Whether a JSON file holds one array of records (else JSON lines)."""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1)
            if not chunk or not chunk.isspace():
                return chunk == b"["


class _DuplicateKey(ValueError):
    """A JSON object repeats a key (raised by the duplicate scan's ``object_pairs_hook``)."""


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> None:
    if len(dict(pairs)) != len(pairs):
        raise _DuplicateKey(repeated(key for key, _ in pairs))


def _json_duplicate_keys(path: str, array: bool) -> list[str]:
    """Keys an object of the JSON file repeats (the JSON readers keep only the last value),
    checked before pandas parses the file.

    JSON lines are parsed by Arrow in chunks (:func:`~.jsonchunks.json_lines_keys`: a repeated
    key fails its parse) and, should a chunk not be Arrow's to read, decoded in batches of lines
    as one array: a Python call per object, no object built.
    """
    if not array and json_lines_keys(path, limits.JSON_CHUNK_RECORDS) is not None:
        return []
    return _json_scan(path, array)[0]


def _json_scan(path: str, array: bool,
               each_batch: Optional[Callable[[list[object]], None]] = None
               ) -> tuple[list[str], int]:
    """The keys an object of the JSON file repeats (``_json_duplicate_keys``) and the records
    of a JSON-lines file (its non-blank lines); with ``each_batch``, each batch of records
    decoded by the scan is passed to it, every object as the tuple of its key and value
    pairs."""
    hook = _no_duplicate_keys if each_batch is None else _pairs_without_duplicates
    records = 0
    try:
        with open(path, encoding="utf-8") as handle:
            if array:
                json.load(handle, object_pairs_hook=_no_duplicate_keys)
                return [], 0
            while True:
                lines = [line for line in itertools.islice(handle, 65536) if line.strip()]
                if not lines:
                    return [], records
                records += len(lines)
                batch = json.loads("[" + ",".join(lines) + "]", object_pairs_hook=hook)
                if each_batch is not None:
                    each_batch(batch)
    except _DuplicateKey as exc:
        return list(exc.args[0]), records


def _pairs_without_duplicates(pairs: list[tuple[str, object]]) -> tuple[tuple[str, object], ...]:
    _no_duplicate_keys(pairs)
    return tuple(pairs)


def _json_lines_shape(path: str, array: bool = False
                      ) -> tuple[list[str], Optional[tuple[list[str], int]]]:
    """The keys an object of the JSON-lines file (``array``: JSON array) repeats, and (none
    repeated) the column names and rows pandas' read of the file gives, from the duplicate-key
    scan (no frame built; an array only when Arrow reads all its records): the
    union of the records' keys in their order of first appearance, as pandas names them (a
    frame of one record with every key: pandas turns keys that are all numbers into numbers),
    and the non-blank lines. The names and rows are None when a line is not an object, or no
    record has a key: the whole read says what pandas makes of that file.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.jsonl")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write('{"s": 0.5, "y": 1}\\n\\n{"id": "a", "s": 0.25}\\n')
    >>> _json_lines_shape(path)
    ([], (['s', 'y', 'id'], 2))
    """
    fast = json_lines_keys(path, limits.JSON_CHUNK_RECORDS, array)
    if fast is not None:
        return [], (pandas_names(fast[0]), fast[1]) if fast[0] else None
    if array:  # (a JSON array Arrow does not read is read whole)
        return _json_duplicate_keys(path, array), None
    keys: dict[str, None] = {}
    objects = True

    def collect(batch: list[object]) -> None:
        nonlocal objects
        for record in batch:
            if not isinstance(record, tuple):
                objects = False
                return
            keys.update((key, None) for key, _ in record)

    duplicates, records = _json_scan(path, False, collect)
    if duplicates or not objects or not keys:
        return duplicates, None
    return [], (pandas_names(list(keys)), records)


_AXIS_DATES_WARNING = r"The behavior of 'to_datetime' with 'unit' when parsing strings"
"""pandas 2.2 warns so when its JSON reader tries axis labels mixing numbers and text as dates;
it keeps them as they are, as later versions do."""


def read_json_records(source: str | io.StringIO, lines: bool) -> pd.DataFrame:
    """pandas' JSON reader on records, floats parsed exactly, without pandas 2.2's warning
    about a future parse of axis labels (the frame is the same in every pandas we support).

    >>> read_json_records(io.StringIO('{"1": 0.5, "x": 1}'), lines=True).columns.tolist()
    ['1', 'x']
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _AXIS_DATES_WARNING, FutureWarning)
        return pd.read_json(source, lines=lines, orient="records", precise_float=True)


def pandas_names(keys: list[str]) -> list[str]:
    """The column names pandas' JSON reader gives records with these keys (a frame of one
    record with every key: pandas turns keys that are all numbers into numbers).

    >>> pandas_names(["s", "y"]), pandas_names(["01", "2"])
    (['s', 'y'], ['1', '2'])
    """
    header = read_json_records(io.StringIO(json.dumps(dict.fromkeys(keys))), lines=True)
    return [str(c) for c in header.columns]


CSV_FLOAT_PRECISION: Optional[Literal["round_trip"]] = (
    "round_trip" if int(pd.__version__.split(".")[0]) < 3 else None)
"""pandas < 3 parses CSV floats with a fast converter that can be an ulp off; ``round_trip``
parses them exactly (pandas 3 does by default and deprecates the option)."""


def _header_duplicates(path: str, sep: str) -> list[str]:
    """Names the text file's header (its first non-blank row) repeats (pandas renames the second
    ``a`` to ``a.1``), read with the csv module: no frame of the header is built (pandas reads
    a header with a name over the csv module's field limit)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            names = next((row for row in csv.reader(handle, delimiter=sep) if row), [])
    except csv.Error:
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
        names = [str(v) for v in header.iloc[0]] if len(header) else []
    return repeated(n for n in names if n)


def text_chunks(path: str, sep: str, fields: Optional[Sequence[str]] = None
                ) -> TextFileReader:
    """The csv/tsv file's rows (its ``fields`` columns, or every column) in chunks of
    ``BIN_CHUNK_ROWS`` rows, each value parsed as the whole-file read parses it (a column's type
    is inferred chunk by chunk)."""
    return pd.read_csv(path, sep=sep, float_precision=CSV_FLOAT_PRECISION,
                       chunksize=limits.BIN_CHUNK_ROWS,
                       usecols=None if fields is None else list(fields))


def _text_header(path: str, sep: str) -> list[str]:
    """The csv/tsv file's column names as pandas reads them (its header only)."""
    return [str(c) for c in pd.read_csv(path, sep=sep, nrows=0).columns]


def _parquet_schema(path: str) -> tuple[list[str], list[str], int, set[str]]:
    """The columns pandas would give (index columns of pandas metadata excluded), the names the
    schema repeats (pandas cannot read such a file), the row count and the decimal columns,
    from the footer only."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; footer only

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    names = [str(n) for n in schema.names]
    return ([n for n in names if n not in pandas_index_columns(schema)], repeated(names),
            int(parquet.metadata.num_rows), decimal_columns(schema))


def decimal_columns(schema: object) -> set[str]:
    """Names of an Arrow schema's decimal columns (pandas reads them as ``Decimal`` objects):
    the types Arrow spells ``decimal32(p, s)`` to ``decimal256(p, s)``."""
    return {str(field.name) for field in schema  # type: ignore[attr-defined]  # an Arrow schema
            if str(field.type).startswith("decimal")}


def decimals_as_floats(frame: pd.DataFrame, decimals: Iterable[str]) -> pd.DataFrame:
    """``frame`` with its decimal columns (``decimals``) as float64, missing values NaN."""
    present = [c for c in decimals if c in frame.columns]
    if not present:
        return frame
    converted: pd.DataFrame = frame.assign(**{c: frame[c].astype(np.float64) for c in present})
    return converted


def pandas_index_columns(schema: object) -> set[str]:
    """Columns a pandas-written parquet schema stores the frame's index in."""
    metadata = getattr(schema, "pandas_metadata", None)
    if not isinstance(metadata, dict):
        return set()
    return {c for c in metadata.get("index_columns", []) if isinstance(c, str)}


def read_frame(path: str, fmt: str, fields: Optional[Sequence[str]] = None
               ) -> tuple[pd.DataFrame, bool, list[str], int]:
    """The file's rows (only the columns of ``fields`` it has, or all when None), whether it is
    a JSON array (else JSON lines for json formats), its column names and its row count.

    A file whose header, schema or JSON object repeats a column name is refused
    (``MC-E204-SCHEMA-MISMATCH``): the readers would rename or drop one of the two columns.
    CSV/TSV floats are parsed exactly (``CSV_FLOAT_PRECISION``). A parquet file is read for the
    requested columns only; a csv/tsv or JSON file is parsed whole (which validates its
    structure) and the other columns are dropped at once. Read for no field (``fields=[]``),
    a csv/tsv file gives its header's names only (0 rows: the first pass of a streamed run
    parses and counts them), a JSON-lines file the names and rows of its duplicate-key scan
    (no frame built).
    """
    try:
        array = False
        if fmt in ("csv", "tsv"):
            sep = text_separator(fmt)
            duplicates = _header_duplicates(path, sep)
            # Every column is parsed (``usecols`` would skip the check that each row has as
            # many fields as the header); only the fitting ones are kept.
            if fields is not None and not fields and not duplicates:
                frame, names, rows = pd.DataFrame(), _text_header(path, sep), 0
            else:
                frame = pd.read_csv(path, sep=sep, float_precision=CSV_FLOAT_PRECISION) \
                    if not duplicates else pd.DataFrame()
                names = [str(c) for c in frame.columns]
                rows = len(frame)
            if fields is not None:
                kept = set(fields)
                frame = frame[[c for c in frame.columns if str(c) in kept]]
        elif fmt == "parquet":
            names, duplicates, rows, decimals = _parquet_schema(path)
            wanted = names if fields is None else [n for n in names if n in fields]
            frame = decimals_as_floats(pd.read_parquet(path, columns=wanted), decimals) \
                if not duplicates else pd.DataFrame()
        else:
            array = fmt == "json" and json_is_array(path)
            duplicates, shape = _json_lines_shape(path, array) if fields == [] else \
                (_json_duplicate_keys(path, array), None)
            frame = pd.DataFrame()
            if shape is not None:
                names, rows = shape
            else:
                if not duplicates:
                    frame = read_json_records(path, lines=not array)
                    if frame.shape[1] == 0:  # as pandas says of an empty csv
                        raise ValueError("no records, so no columns to parse from file")
                names = [str(c) for c in frame.columns]
                rows = len(frame)
                if fields is not None:
                    frame = frame[[c for c in frame.columns if str(c) in fields]]
    except Exception as exc:  # pandas raises many types for malformed files
        raise CalibrationScriptError(
            Code.MC_E203_READ_FAILED,
            f"cannot read {_printable(os.path.basename(path))} as {fmt}: {type(exc).__name__}: "
            f"{bounded(str(exc))}",
            "check the file's format and content") \
            from exc
    if duplicates:
        raise CalibrationScriptError(
            Code.MC_E204_SCHEMA_MISMATCH,
            f"{_printable(os.path.basename(path))} repeats the column names {quoted(duplicates)}",
            "give every column a unique name")
    return frame, array, names, rows


def read_shards(path: str, scratch: str, fields: Optional[Sequence[str]] = None) -> list[Shard]:
    """Every data file under ``path``: schema checks, row counts and the ``fields`` columns
    (all columns when None) of each, in ``Shard.fitting``."""
    return read_files(discover_files(path, scratch), fields)


def read_files(files: Sequence[tuple[str, str, str]], fields: Optional[Sequence[str]] = None
               ) -> list[Shard]:
    """:func:`read_shards` of the files :func:`discover_files` found (a parquet file read for
    no field reads its footer only, a csv/tsv file its header: ``Shard.counted``)."""
    shards: list[Shard] = []
    columns: Optional[list[str]] = None
    for absolute, relative, fmt in files:
        frame, json_array, names, rows = read_frame(absolute, fmt, fields)
        if columns is None:
            columns = names
        elif names != columns:
            raise CalibrationScriptError(
                Code.MC_E204_SCHEMA_MISMATCH,
                f"{_printable(relative)} has columns {quoted(names)}, the first shard has "
                f"{quoted(columns)}",
                "all shards must share one schema")
        fitting = {str(c): frame[c] for c in frame.columns}
        del frame
        counted = fields != [] or fmt not in ("csv", "tsv")
        shards.append(Shard(relative, fmt, absolute, tuple(names), rows,
                            os.path.getsize(absolute), json_array, fitting, counted=counted))
        if counted:
            logger.info("read %s (%s): %d rows", relative, fmt, rows)
    release_arrow_memory()
    return shards


def release_arrow_memory() -> None:
    """Return the memory Arrow's pool keeps cached after a read or write to the system (the
    pool's allocator would otherwise hold the freed tables' pages for the rest of the run)."""
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()


def release_fitting(shards: Sequence[Shard]) -> None:
    """Drop the fitting columns the runner has parsed (``Shard.fitting``)."""
    for shard in shards:
        shard.fitting.clear()
    release_arrow_memory()  # the parquet columns' buffers were Arrow's (zero-copy to pandas)
