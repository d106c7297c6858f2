"""The statistics of a sharded run: each instance's shards reduced to their parsed fitting
columns, merged by the fit phase.

A statistics phase parses the fitting columns of the shards it was given (scores as float64, binary
labels as 0/1/NaN, class labels as their category names, weights as float64: every check of the
parsers runs there) and writes them, with each shard's name, format, columns, row count and size,
into one parquet file named by a hash of those shards (``statistics-<hash>.parquet``), so the
instances of one step never write the same name. The fit phase reads every such file, orders the
shards by relative name (the order a single-instance run reads them in) and hands the modes shards
whose fitting columns are the parsed values: the parsers give them back unchanged, so the
calibrator and the metrics are those of a single-instance run over the same files.

A binary or multi-task instance whose files a single-instance run would stream
(:func:`~.streaming.may_stream`) parses them batch by batch (:func:`write_streamed`): each
batch's parsed columns go to a scratch Arrow file, then into the statistics file in row groups
of the rows :func:`pyarrow.parquet.write_table` puts in one, so the file is the same to the
byte; memory is a batch and a row group of parsed values. An error there (or a chunk the
whole-file read may parse otherwise, :mod:`.textbatches`) leaves the instance to the read of
the whole files, which reports what it always did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from ..interface import STATISTICS_FILE_PREFIX
from .columns import label_values, parse_class_labels, parse_scores, parse_weights, require_columns
from .logs import logger
from .reading import Shard, walk_files
from .settings import Settings
from .streaming import shard_batches

STATISTICS_FORMAT = 1
"""Version of the statistics file's layout (its ``calibration_statistics`` metadata)."""
METADATA_KEY = b"calibration_statistics"
ROW_GROUP_ROWS = 1 << 20
"""The rows :func:`pyarrow.parquet.write_table` puts in a row group (its default)."""

Parser = Callable[[Shard], npt.NDArray[np.generic]]


def input_digest(shards: Sequence[Shard]) -> str:
    """16 hex digits of the sha256 of the shards' relative names and sizes.

    >>> input_digest([Shard("a.csv", "csv", "/a.csv", ("s",), 3, 9)])
    'a73eb7dd9dd82059'
    """
    digest = hashlib.sha256()
    for shard in shards:
        digest.update(f"{shard.relative}\0{shard.size}\n".encode("utf-8"))
    return digest.hexdigest()[:16]


def _class_names(settings: Settings) -> Parser:
    names = np.array([*settings.categories, None], dtype=object)

    def parse(shard: Shard) -> npt.NDArray[np.generic]:
        index = parse_class_labels(shard.fitting[settings.label_field], settings.label_field,
                                   settings.categories)
        out: npt.NDArray[np.generic] = names[index]  # MISSING_CLASS (-1): the last, None
        return out
    return parse


def field_parsers(settings: Settings) -> dict[str, Parser]:
    """How the statistics phase parses each fitting field of the mode; a field with two roles
    (a score column that is also a label column) is ``MC-E105``.

    >>> sorted(field_parsers(Settings(weight_field="w")))
    ['label', 'prob_class_1', 'w']
    """
    space = settings.score_space

    def scores(name: str) -> Parser:
        return lambda shard: parse_scores(shard.fitting[name], name, space)

    def labels(name: str) -> Parser:
        return lambda shard: np.asarray(label_values(shard.fitting[name], name),
                                        dtype=np.float64)

    roles: list[tuple[str, Parser]] = []
    if settings.mode == "multiclass":
        roles += [(settings.score_field_prefix + c, scores(settings.score_field_prefix + c))
                  for c in settings.categories]
        roles.append((settings.label_field, _class_names(settings)))
    else:
        names = settings.score_fields if settings.mode == "multitask" else (settings.score_field,)
        label_names = settings.task_label_names if settings.mode == "multitask" else (
            settings.label_field,)
        roles += [(n, scores(n)) for n in names] + [(n, labels(n)) for n in label_names]
    if settings.weight_field:
        weight = settings.weight_field
        roles.append((weight, lambda shard: np.asarray(parse_weights([shard], settings))))
    parsers: dict[str, Parser] = {}
    for name, parser in roles:
        if name in parsers:
            raise CalibrationScriptError(
                Code.MC_E105_MODE_CONFLICT,
                f"column {name!r} is both a score and a label (or weight) column",
                "a sharded run parses each fitting column once: name distinct columns")
        parsers[name] = parser
    return parsers


def _checked_parsers(shards: Sequence[Shard], settings: Settings) -> dict[str, Parser]:
    """The mode's parsers (:func:`field_parsers`), the shards checked for their columns."""
    parsers = field_parsers(settings)
    if shards:  # (an instance may be given no file)
        require_columns(shards, list(parsers), "set the score, label and weight settings to "
                                               "existing columns")
    return parsers


def statistics_name(shards: Sequence[Shard]) -> str:
    """The statistics file's name for these shards."""
    return f"{STATISTICS_FILE_PREFIX}{input_digest(shards)}.parquet"


def _metadata(shards: Sequence[Shard], fields: Sequence[str]) -> dict[bytes, bytes]:
    """The schema metadata of the statistics file: the fields and the shards' descriptions."""
    described = [{"relative": s.relative, "fmt": s.fmt, "columns": list(s.columns),
                  "rows": s.rows, "size": s.size, "json_array": s.json_array} for s in shards]
    meta = {"format": STATISTICS_FORMAT, "fields": list(fields), "shards": described}
    return {METADATA_KEY: json.dumps(meta).encode("utf-8")}


def statistics_table(shards: Sequence[Shard], settings: Settings) -> tuple[str, object]:
    """The statistics file's name and its Arrow table (the parsed fitting columns of every
    shard, in shard order; the shards' descriptions in the schema's metadata)."""
    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs

    parsers = _checked_parsers(shards, settings)
    columns = {name: np.concatenate([parse(s) for s in shards]) if shards else np.empty(0)
               for name, parse in parsers.items()}
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    table = table.replace_schema_metadata(_metadata(shards, list(parsers)))
    return statistics_name(shards), table


def write_streamed(shards: Sequence[Shard], settings: Settings, target: str, scratch: str
                   ) -> Optional[list[Shard]]:
    """Write the statistics file of ``shards`` (read for no field: their rows counted here) to
    ``target``, parsing them batch by batch (the module's docstring); the shards with their
    rows, or None (nothing written) when they hold no row. Raises what the batches' reads and
    parsers raise."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs

    parsers = _checked_parsers(shards, settings)
    fields = list(parsers)
    parsed_path = os.path.join(scratch, "parsed.arrow")
    counted: list[Shard] = []
    schema = None
    with pa.OSFile(parsed_path, "wb") as sink:
        writer = None
        for shard in shards:
            rows = 0
            for batch in shard_batches(shard, fields, every_column=True):
                held = dataclasses.replace(shard, fitting=batch)
                record = pa.record_batch([pa.array(parse(held)) for parse in parsers.values()],
                                         names=fields)
                if writer is None:
                    schema = record.schema
                    writer = pa.ipc.new_file(sink, schema)
                writer.write_batch(record)
                rows += int(record.num_rows)
            counted.append(dataclasses.replace(shard, rows=rows, counted=True))
        if writer is not None:
            writer.close()
    if schema is None:
        return None
    with pa.OSFile(parsed_path, "rb") as source, pq.ParquetWriter(
            target, schema.with_metadata(_metadata(counted, fields))) as parquet:
        for group in _row_groups(pa.ipc.open_file(source)):
            parquet.write_table(group, row_group_size=ROW_GROUP_ROWS)
    os.remove(parsed_path)
    return counted


def _row_groups(reader: Any) -> Iterator[Any]:
    """The record batches of an Arrow file reader as tables of ``ROW_GROUP_ROWS`` rows (the
    last one what is left)."""
    import pyarrow as pa

    held: list[Any] = []
    rows = 0
    for i in range(reader.num_record_batches):
        batch = reader.get_batch(i)
        while batch.num_rows:
            take = min(ROW_GROUP_ROWS - rows, int(batch.num_rows))
            held.append(batch.slice(0, take))
            rows += take
            batch = batch.slice(take)
            if rows == ROW_GROUP_ROWS:
                yield pa.Table.from_batches(held).combine_chunks()
                held, rows = [], 0
    if held:
        yield pa.Table.from_batches(held).combine_chunks()


def _invalid(message: str) -> CalibrationScriptError:
    return CalibrationScriptError(
        Code.MC_E217_STATISTICS_INVALID, message,
        "pass the calibration_output of this run's statistics step, alone, as evaluation_data")


def _read_statistics(path: str, fields: Sequence[str], columns: bool) -> list[Shard]:
    """The shards one statistics file describes, their fitting columns filled from it (or, when
    not ``columns``, where their rows start in it: ``Shard.first_row``)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        meta = json.loads((schema.metadata or {})[METADATA_KEY])
    except (OSError, ValueError, KeyError) as exc:
        raise _invalid(f"{os.path.basename(path)} is not a statistics file: {exc}") from exc
    if meta.get("format") != STATISTICS_FORMAT or meta.get("fields") != list(fields):
        raise _invalid(f"{os.path.basename(path)} holds the columns {meta.get('fields')} "
                       f"(format {meta.get('format')}); this job fits on {list(fields)} "
                       f"(format {STATISTICS_FORMAT})")
    frame = pq.read_table(path).to_pandas() if columns else None
    shards: list[Shard] = []
    start = 0
    for entry in meta["shards"]:
        rows = int(entry["rows"])
        fitting = {} if frame is None else {
            name: frame[name].iloc[start:start + rows].reset_index(drop=True) for name in fields}
        shards.append(Shard(str(entry["relative"]), str(entry["fmt"]), path,
                            tuple(entry["columns"]), rows, int(entry["size"]),
                            bool(entry["json_array"]), fitting, first_row=start))
        start += rows
    return shards


def load_statistics(path: str, settings: Settings, columns: bool = True) -> list[Shard]:
    """Every shard of the statistics files under ``path``, ordered by relative name (as a
    single-instance run reads them); ``MC-E217`` when there is none, a file is not a statistics
    file of these settings, or two files describe the same data file. Without ``columns`` the
    shards' fitting columns are left in the files (a streamed fit reads them in batches)."""
    fields = list(field_parsers(settings))
    files = [p for p in walk_files(path) if os.path.basename(p).startswith(
        STATISTICS_FILE_PREFIX) and p.endswith(".parquet")] if os.path.isdir(path) else []
    if not files:
        raise _invalid(f"no {STATISTICS_FILE_PREFIX}*.parquet file under {path!r}")
    shards = [shard for file in files for shard in _read_statistics(file, fields, columns)]
    shards.sort(key=lambda s: s.relative)
    repeated = sorted({a.relative for a, b in zip(shards, shards[1:]) if a.relative == b.relative})
    if repeated:
        raise _invalid(f"{len(repeated)} data files are in two statistics files: "
                       f"{', '.join(repeated[:5])}")
    if not shards:
        raise CalibrationScriptError(Code.MC_E201_NO_INPUT_FILES,
                                     f"the statistics under {path!r} describe no data file",
                                     "pass the folder or file holding the evaluation data")
    logger.info("read %d statistics files: %d data files, %d rows", len(files), len(shards),
                sum(s.rows for s in shards))
    return shards

