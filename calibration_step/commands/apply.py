"""``calibration-step apply``: apply a calibrator JSON to a csv/tsv/parquet file of scores, streaming.

The file is read in batches (pandas chunks for csv/tsv, pyarrow record batches for parquet) and
written batch by batch, so memory stays flat however large it is. Each batch gets the columns
the processing script would write: ``calibrated_<score column>`` for a binary calibrator (score
column ``--score_field``, default the column the calibrator records it was fitted on, else
``prob_class_1``), one per task for a multi-task calibrator and
one per class for a multi-class calibrator (their columns are named in the calibrator). Missing
scores give missing calibrated values. The calibrator is loaded, checked and applied by the
shipped script's own functions (``load_calibration_model``, ``parse_scores``,
``apply_calibrator``, ``apply_multiclass``), so the numbers equal the pipeline's.

The output is written to a temporary file beside it and moved into place when complete; an
existing output is refused unless ``--overwrite``.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["calibration_output/calibrator.json", "scores.parquet"])
>>> default_output(args.input).as_posix(), args.batch_rows
('scores_calibrated.parquet', 100000)
"""

from __future__ import annotations

import argparse
import decimal
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from calibration_step.errors import CalibrationStepError, Code, ConfigError
from calibration_step.script.errors import bounded, quoted
from calibration_step.script.interface import ModelCalibrationEnv
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from calibration_step.commands._arrow import ParquetBatchWriter

    Columns = dict[str, npt.NDArray[np.float64]]

__all__ = ["FORMATS", "HELP", "add_arguments", "calibrated_batches", "default_output", "run"]

HELP = "apply a calibrator JSON to a csv/parquet file of scores (streaming), adding calibrated_<score column>"

FORMATS: Final = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
"""File extensions the command reads and writes, and their formats."""

_DEFAULT_SCORE_FIELD: Final = MODEL_CALIBRATION_CONTRACT.optional_env_vars[ModelCalibrationEnv.SCORE_FIELD]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``CALIBRATOR INPUT [--output FILE] [--score_field COL] [--batch_rows N] [--overwrite]``."""
    parser.add_argument("calibrator", type=Path, metavar="CALIBRATOR",
                        help="a calibrator.json, or a calibration_output folder holding one")
    parser.add_argument("input", type=Path, metavar="INPUT", help="the scores: a .csv, .tsv or .parquet file")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="where to write (.csv, .tsv or .parquet; default INPUT's name with _calibrated)")
    parser.add_argument("--score_field", default=None, metavar="COL",
                        help="score column for a binary calibrator (default: the column it was fitted on, recorded "
                             f"in the file, else {_DEFAULT_SCORE_FIELD}); multi-class and multi-task calibrators name "
                             "their own columns")
    parser.add_argument("--batch_rows", type=_positive, default=100_000, metavar="N",
                        help="rows per batch (default 100000)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def default_output(source: Path) -> Path:
    """``<stem>_calibrated<suffix>`` beside ``source``."""
    return source.with_name(f"{source.stem}_calibrated{source.suffix}")


def _format(path: Path, role: str) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(Code.CLI_APPLY_FORMAT, f"the {role} {str(path)!r} is not a csv, tsv or parquet file.",
                          hint=f"use one of the extensions {sorted(FORMATS)}")
    return fmt


def _read_batches(path: Path, fmt: str, rows: int) -> Iterator[pd.DataFrame]:
    """The file's batches; a file the readers cannot parse is ``CLI-APPLY-READ``."""
    try:
        yield from _parsed_batches(path, fmt, rows)
    except CalibrationStepError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many types for malformed files
        raise ConfigError(Code.CLI_APPLY_READ,
                          f"cannot read {quoted(str(path))} as {fmt}: {type(exc).__name__}: {bounded(str(exc))}",
                          hint="give a valid UTF-8 csv/tsv or a complete parquet file") from exc


def _parsed_batches(path: Path, fmt: str, rows: int) -> Iterator[pd.DataFrame]:
    if fmt == "parquet":
        from calibration_step.commands._arrow import parquet_batches

        yield from parquet_batches(os.fspath(path), rows=rows)
        return
    import pandas as pd

    from calibration_step.script.model_calibration.reading import CSV_FLOAT_PRECISION

    separator = "\t" if fmt == "tsv" else ","
    yielded = False
    # floats parsed exactly, as the script parses them: pandas < 3's default can be an ulp off
    with pd.read_csv(path, sep=separator, chunksize=rows, float_precision=CSV_FLOAT_PRECISION) as chunks:
        for chunk in chunks:
            yielded = True
            yield chunk
    if not yielded:
        yield pd.read_csv(path, sep=separator, nrows=0)


def _column_maker(calibrator_path: Path, score_field: str | None) -> Callable[[pd.DataFrame], Columns]:
    """A function from a batch to its calibrated columns, built on the script's own code."""
    import numpy as np

    from calibration_step.script import model_calibration as mc

    model = mc.load_calibration_model(mc.find_calibrator_file(os.fspath(calibrator_path)))

    def one(member: mc.Calibrator, frame: pd.DataFrame, field: str) -> npt.NDArray[np.float64]:
        raw = mc.parse_scores(_column(frame, field), field, member.score_space)
        out = np.full(raw.shape[0], np.nan)
        valid = ~np.isnan(raw)
        out[valid] = mc.apply_calibrator(member, raw[valid])
        return out

    if isinstance(model, mc.Calibrator):
        column = score_field or model.score_field or _DEFAULT_SCORE_FIELD
        return lambda frame: {f"calibrated_{column}": one(model, frame, column)}
    if model.mode == "multitask":
        return lambda frame: {f"calibrated_{field}": one(member, frame, field)
                              for field, member in zip(model.score_fields, model.members)}

    def multiclass(frame: pd.DataFrame) -> Columns:
        raw = np.column_stack([mc.parse_scores(_column(frame, f), f, model.score_space) for f in model.score_fields])
        out = np.full(raw.shape, np.nan)
        valid = ~np.isnan(raw).any(axis=1)
        if valid.any():
            out[valid] = mc.apply_multiclass(model, raw[valid])
        return {f"calibrated_{field}": out[:, j] for j, field in enumerate(model.score_fields)}

    return multiclass


def _column(frame: pd.DataFrame, field: str) -> pd.Series[float]:
    if field not in frame.columns:
        raise ConfigError(Code.CLI_APPLY_COLUMN, f"the scores have no column {quoted(field)}; they have "
                          f"{quoted([str(c) for c in frame.columns])}.",
                          hint="name the score column with --score_field (binary calibrators)")
    column: pd.Series[float] = frame[field]
    given = column.dropna()
    first: object = given.iloc[0] if len(given) else None
    if column.dtype == object and isinstance(first, decimal.Decimal):
        # a parquet decimal column: pandas holds Decimal objects; the script reads them as float64
        column = column.astype("float64")
    return column


def calibrated_batches(calibrator: Path, source: Path, *, score_field: str | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Each batch of ``source`` with its calibrated columns added (the script's ``apply`` code).

    Raises
    ------
    ConfigError
        ``CLI-APPLY-FORMAT`` for an unknown extension, ``CLI-APPLY-COLUMN`` for a missing score column.
    CalibrationScriptError
        From the script: an invalid calibrator (``MC-E40x``) or invalid scores (``MC-E20x``).
    """
    fmt = _format(source, "input")
    make_columns = _column_maker(calibrator, score_field)
    from calibration_step.script.model_calibration.writing import with_columns

    for frame in _read_batches(source, fmt, batch_rows):
        yield with_columns(frame, make_columns(frame))


class _Writer:
    """Writes batches to one csv/tsv/parquet file."""

    def __init__(self, path: Path, fmt: str) -> None:
        self._path = path
        self._fmt = fmt
        self._parquet: ParquetBatchWriter | None = None
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        if self._fmt == "parquet":
            if self._parquet is None:
                from calibration_step.commands._arrow import ParquetBatchWriter

                self._parquet = ParquetBatchWriter(os.fspath(self._path))
            self._parquet.write(frame)
        else:
            frame.to_csv(self._path, sep="\t" if self._fmt == "tsv" else ",", index=False,
                         mode="a" if self._started else "w", header=not self._started)
        self._started = True

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def _unwritable(target: Path, problem: str) -> ConfigError:
    return ConfigError(Code.CLI_APPLY_OUTPUT, f"the output {quoted(str(target))} {problem}.",
                       hint="name a file in a writable folder with --output")


def run(args: argparse.Namespace) -> int:
    """Apply, stream to a temporary file, move it into place; print what was written."""
    source: Path = args.input
    target: Path = args.output if args.output is not None else default_output(source)
    fmt = _format(target, "output")
    if not source.is_file():
        raise ConfigError(Code.CLI_APPLY_INPUT, f"the input {str(source)!r} is not a file.", hint="give a file of scores")
    if target.is_dir():
        raise _unwritable(target, "is a folder")
    if target.exists() and not args.overwrite:
        raise ConfigError(Code.CLI_APPLY_OUTPUT_EXISTS, f"the output {str(target)!r} exists.",
                          hint="pass --overwrite, or choose another --output")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise _unwritable(target, f"cannot be written: {exc.strerror}") from exc
    os.close(handle)
    writer = _Writer(Path(temporary), fmt)
    rows, columns = 0, []
    try:
        for number, frame in enumerate(calibrated_batches(args.calibrator, source, score_field=args.score_field,
                                                          batch_rows=args.batch_rows), start=1):
            writer.write(frame)
            rows += len(frame)
            columns = [c for c in frame.columns if str(c).startswith("calibrated_")]
            if number % 10 == 0 and not getattr(args, "quiet", False):
                print(f"applied {rows} rows", file=sys.stderr, flush=True)
        writer.close()
        os.replace(temporary, target)
    except OSError as exc:
        writer.close()
        Path(temporary).unlink(missing_ok=True)
        raise _unwritable(target, f"cannot be written: {exc.strerror}") from exc
    except BaseException:
        writer.close()
        Path(temporary).unlink(missing_ok=True)
        raise
    print(f"wrote {rows} rows with {', '.join(columns)} to {target}")
    return 0
