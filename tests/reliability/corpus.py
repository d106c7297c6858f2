"""The bad-input corpus of the calibration script, as data.

Each :class:`BadInput` names the category of bad input it belongs to, builds its input files in an
empty folder, and gives the stable error code the script must raise, with the environment and
job type to run it with. :func:`run_case` runs one entry through ``main`` in-process and reports
what happened; :func:`cli_arguments` gives the command line of the same run.

Valid rows come from ``tests.script.synthetic.scenario`` (the script tests' synthetic data).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; only table() and write_table()
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; only table() and write_table()

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.interface import (
    CALIBRATOR_FILE, ModelCalibrationInput, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON
from tests.script.synthetic import scenario

InputBuilder = Callable[[Path], Path]
"""Writes the evaluation data into an empty folder; returns the path to pass (folder or file)."""
ModelBuilder = Callable[[Path], Path]
"""Writes a calibrator into an empty folder; returns the ``calibration_model`` path to pass."""
OutputPlacer = Callable[[Path, dict[str, str]], dict[str, str]]
"""Given the run's root folder and the usual output paths, the output paths to run with
(it may also put files where an output should go)."""

EMPTY = "empty file"
HEADER = "header only"
NO_ROWS = "no rows after dropping missing values"
SINGLE_CLASS = "single class"
MISSING_COLUMN = "missing column"
DUPLICATE_COLUMNS = "duplicate column names"
OUT_OF_SPACE = "score outside the score space"
BAD_SCORE = "non-finite or non-numeric score"
BAD_LABEL = "label outside the categories"
SHARD_SCHEMAS = "shards with different schemas"
CORRUPT = "corrupt file"
UNSAFE_ARCHIVE = "unsafe archive"
WRONG_EXTENSION = "content not what the extension says"
BAD_WEIGHTS = "invalid weights"
BAD_ENV = "invalid environment"
BAD_PATHS = "invalid paths, job type or output folders"
BAD_MODEL = "invalid calibration model"
UNSAFE_FILES = "special, linked or badly named input files"
ARCHIVE_LIMITS = "archive over a size limit"
OUTPUT_PLACES = "output paths that are files or overlap"
CATEGORIES = (EMPTY, HEADER, NO_ROWS, SINGLE_CLASS, MISSING_COLUMN, DUPLICATE_COLUMNS, OUT_OF_SPACE,
              BAD_SCORE, BAD_LABEL, SHARD_SCHEMAS, CORRUPT, UNSAFE_ARCHIVE, WRONG_EXTENSION,
              BAD_WEIGHTS, BAD_ENV, BAD_PATHS, BAD_MODEL, UNSAFE_FILES, ARCHIVE_LIMITS, OUTPUT_PLACES)
"""The kinds of bad input every data-reading tool must survive (the first thirteen) and the script's other refusals."""


@attrs.frozen(kw_only=True)
class BadInput:
    """One bad input: how to build it and the error code it must produce."""

    name: str
    category: str = attrs.field(validator=attrs.validators.in_(CATEGORIES))
    code: str
    build: InputBuilder
    env: Mapping[str, str] = attrs.field(factory=dict)
    job_type: str = "calibration"
    model: ModelBuilder | None = None
    occupied_output: str | None = None
    """An output folder that already holds a visible file before the run."""
    missing_output: str | None = None
    """An output path left out of the run's output paths."""
    place_outputs: OutputPlacer | None = None
    """Changes the output paths (two at one folder, inside the input, at a file)."""


@attrs.frozen(kw_only=True)
class Outcome:
    """What one run of a corpus entry did: the script's code, or an unexpected exception."""

    code: str | None
    unexpected: BaseException | None
    outputs: Mapping[str, str]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------
def frame(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """Valid binary rows: ``prob_class_1`` (probabilities) and ``label`` (0/1)."""
    s, y, _ = scenario("linear", n, seed=seed)
    return pd.DataFrame({"prob_class_1": s, "label": y.astype(np.int64)})


def _text(name: str, content: str | bytes) -> InputBuilder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return folder

    return build


def _csv_rows(header: str, rows: str, repeat: int = 20, name: str = "d.csv") -> InputBuilder:
    return _text(name, header + "\n" + rows * repeat)


def _frames(files: Mapping[str, Callable[[], pd.DataFrame]]) -> InputBuilder:
    """Each file written from its frame in the format of its extension."""

    def build(folder: Path) -> Path:
        for name, make in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = make()
            if name.endswith(".parquet"):
                data.to_parquet(path, index=False)
            elif name.endswith(".jsonl"):
                data.to_json(path, orient="records", lines=True)
            else:
                data.to_csv(path, index=False, sep="\t" if name.endswith(".tsv") else ",")
        return folder

    return build


def _changed(**columns: Callable[[pd.DataFrame], pd.Series] | float | str) -> Callable[[], pd.DataFrame]:
    """Valid rows with some columns replaced (a scalar, or a function of the frame)."""

    def make() -> pd.DataFrame:
        data = frame()
        for column, value in columns.items():
            data[column] = value(data) if callable(value) else pd.Series(value, index=data.index)
        return data

    return make


def _with_row(column: str, value: object) -> Callable[[], pd.DataFrame]:
    """Valid rows whose row 3 holds ``value`` in ``column`` (a new column holds 1.0 elsewhere)."""

    def make() -> pd.DataFrame:
        data = frame()
        if column not in data:
            data[column] = 1.0
        values: list[object] = data[column].tolist()
        values[3] = value
        data[column] = pd.Series(values, index=data.index, dtype=object)
        return data

    return make


def _parquet_bytes(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _bit_flipped(payload: bytes) -> bytes:
    flipped = bytearray(payload)
    for i in range(8, len(flipped) - 8, 7):
        flipped[i] ^= 0xFF
    return bytes(flipped)


def _duplicate_parquet(folder: Path) -> Path:
    data = frame()
    table = pa.table([pa.array(data["prob_class_1"]), pa.array(data["label"]),
                      pa.array(1 - data["label"])], names=["prob_class_1", "label", "label"])
    pq.write_table(table, folder / "d.parquet")
    return folder


def _duplicate_text(name: str) -> InputBuilder:
    """Valid rows plus a second ``label`` column (1 - label): csv, tsv, JSON lines or array."""
    data = frame()
    pairs = list(zip(data["prob_class_1"], data["label"]))
    if name.endswith((".csv", ".tsv")):
        sep = "," if name.endswith(".csv") else "\t"
        rows = "".join(f"{s}{sep}{y}{sep}{1 - y}\n" for s, y in pairs)
        return _text(name, sep.join(["prob_class_1", "label", "label"]) + "\n" + rows)
    records = [f'{{"prob_class_1": {s}, "label": {y}, "label": {1 - y}}}' for s, y in pairs]
    return _text(name, "[" + ", ".join(records) + "]" if name.endswith(".json") else
                 "".join(r + "\n" for r in records))


def _member(name: str, payload: bytes) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    return info, payload


def _link(name: str, kind: bytes, target: str = "/etc/passwd") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _archive(*unsafe: tuple[tarfile.TarInfo, bytes | None], name: str = "output.tar.gz"
             ) -> InputBuilder:
    """A training job's ``output.tar.gz``: one valid shard, then the given members."""

    def build(folder: Path) -> Path:
        payload = frame().to_csv(index=False).encode()
        with tarfile.open(folder / name, "w:gz") as tar:
            for info, content in (_member("val/predictions.csv", payload), *unsafe):
                tar.addfile(info, io.BytesIO(content) if content is not None else None)
        return folder

    return build


def _truncated_archive(folder: Path) -> Path:
    _archive()(folder)
    path = folder / "output.tar.gz"
    path.write_bytes(path.read_bytes()[:60])
    return folder


def _single_file(name: str, make: Callable[[], pd.DataFrame] = frame) -> InputBuilder:
    def build(folder: Path) -> Path:
        path = folder / name
        make().to_csv(path, index=False)
        return path

    return build


def _missing(folder: Path) -> Path:
    return folder / "no-such-folder"


def _mixed(folder: Path) -> Path:
    """A CSV shard plus an archive whose shard has another column."""
    frame().to_csv(folder / "a.csv", index=False)
    extra = frame().assign(id=1).to_csv(index=False).encode()
    with tarfile.open(folder / "output.tar.gz", "w:gz") as tar:
        info, _ = _member("val/predictions.csv", extra)
        tar.addfile(info, io.BytesIO(extra))
    return folder


def _fifo(name: str) -> InputBuilder:
    """A valid shard and a FIFO named like a data file (opening it would block forever)."""

    def build(folder: Path) -> Path:
        frame().to_csv(folder / "a.csv", index=False)
        os.mkfifo(folder / name)
        return folder if name != "only.csv" else folder / name

    return build


def _link_outside(target: str) -> InputBuilder:
    """A valid shard and ``d.csv``, a link to ``target`` (relative to the input's parent)."""

    def build(folder: Path) -> Path:
        frame().to_csv(folder / "a.csv", index=False)
        outside = folder.parent / target
        if not outside.exists():
            frame().assign(secret="s3cr3t").to_csv(outside, index=False)
        (folder / "d.csv").symlink_to(os.path.relpath(outside, folder))
        return folder

    return build


def _non_utf8_name(folder: Path) -> Path:
    data = frame().to_csv(index=False).encode()
    with open(os.path.join(os.fsencode(folder), b"d\xff.csv"), "wb") as handle:
        handle.write(data)
    return folder


def _non_utf8_member(folder: Path) -> Path:
    payload = frame().to_csv(index=False).encode()
    with tarfile.open(folder / "output.tar.gz", "w:gz", encoding="utf-8", errors="surrogateescape") as tar:
        info, _ = _member("val/d\udcff.csv", payload)
        tar.addfile(info, io.BytesIO(payload))
    return folder


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, read without holding them (an archive member's content)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _zero_bomb(size: int) -> InputBuilder:
    """A .tar.gz whose one csv member is ``size`` zero bytes (about 1000 times smaller packed)."""

    def build(folder: Path) -> Path:
        with tarfile.open(folder / "output.tar.gz", "w:gz", compresslevel=1) as tar:
            info = tarfile.TarInfo("val/predictions.csv")
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros(size)))
        return folder

    return build


def _same_folder(first: str, second: str) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        return {**outputs, second: outputs[first]}

    return place


def _nested(outer: str, inner: str) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        return {**outputs, inner: os.path.join(outputs[outer], "inner")}

    return place


def _inside_input(name: str) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        return {**outputs, name: str(root / "in" / "outputs" / name)}

    return place


def _at_a_file(name: str, under: bool) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        blocker = root / "blocker"
        blocker.write_text("not a folder", encoding="utf-8")
        return {**outputs, name: str(blocker / "sub" if under else blocker)}

    return place


# Calibration models (validation / testing jobs apply a given calibrator).
def platt_content(space: str = "probability") -> dict[str, object]:
    """A valid single binary calibrator's ``calibrator.json`` content."""
    return mc.Calibrator("platt", space, CLIP_EPSILON, coef=(1.5, 0.2)).to_json_dict()


def _model(content: Callable[[], object], name: str = CALIBRATOR_FILE, copies: int = 1,
           raw: bytes | None = None) -> ModelBuilder:
    def build(folder: Path) -> Path:
        for i in range(copies):
            path = folder / (f"copy{i}" if copies > 1 else "") / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw if raw is not None else json.dumps(content()).encode())
        return folder

    return build


def _resigned(**changes: object) -> Callable[[], object]:
    """A valid calibrator with ``changes`` applied and its checksum recomputed (so only the
    changed field can be what is refused)."""

    def make() -> object:
        content = {**platt_content(), **changes}
        content["checksum"] = checksum(content)
        return content

    return make


def _tampered() -> object:
    content = platt_content()
    params = content["params"]
    assert isinstance(params, dict)
    return {**content, "params": {**params, "a": 2.5}}


_MC = {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_FOLDS": "2"}
_MT = {"SCORE_FIELDS": '["s1", "s2"]', "TASK_LABEL_NAMES": '["y1", "y2"]',
       "CALIBRATION_FOLDS": "2"}
_MC_HEADER = "prob_class_0,prob_class_1,prob_class_2,label"
_MT_HEADER = "s1,s2,y1,y2"
_PLATT = {"CALIBRATION_METHOD": "platt"}


def _case(name: str, category: str, code: str, build: InputBuilder, *,
          env: Mapping[str, str] | None = None, job_type: str = "calibration",
          model: ModelBuilder | None = None, occupied_output: str | None = None,
          missing_output: str | None = None, place_outputs: OutputPlacer | None = None) -> BadInput:
    return BadInput(name=name, category=category, code=code, build=build, env=dict(env or {}),
                    job_type=job_type, model=model, occupied_output=occupied_output,
                    missing_output=missing_output, place_outputs=place_outputs)


E = {
    "env": "MC-E101-INVALID-ENV", "path": "MC-E103-MISSING-PATH", "job": "MC-E104-INVALID-JOB-TYPE",
    "conflict": "MC-E105-MODE-CONFLICT", "nofiles": "MC-E201-NO-INPUT-FILES",
    "format": "MC-E202-UNSUPPORTED-FORMAT", "read": "MC-E203-READ-FAILED",
    "schema": "MC-E204-SCHEMA-MISMATCH", "column": "MC-E205-MISSING-COLUMN",
    "nonnum": "MC-E206-NON-NUMERIC-SCORE", "range": "MC-E207-SCORE-OUT-OF-RANGE",
    "label": "MC-E208-INVALID-LABEL", "archive": "MC-E209-UNSAFE-ARCHIVE",
    "norows": "MC-E210-NO-ROWS", "weight": "MC-E211-INVALID-WEIGHT",
    "single": "MC-E301-SINGLE-CLASS", "invalid": "MC-E401-CALIBRATOR-INVALID",
    "checksum": "MC-E402-CHECKSUM-MISMATCH", "version": "MC-E403-SCHEMA-VERSION",
    "mismatch": "MC-E405-CALIBRATOR-MISMATCH", "nomodel": "MC-E406-NO-CALIBRATOR-FILE",
    "occupied": "MC-E501-OUTPUT-NOT-EMPTY", "too_large": "MC-E212-ARCHIVE-TOO-LARGE",
    "special": "MC-E214-NOT-A-REGULAR-FILE", "outside": "MC-E215-LINK-OUTSIDE-INPUT",
    "encoding": "MC-E216-FILE-NAME-ENCODING", "output_path": "MC-E503-OUTPUT-PATH-INVALID",
    "overlap": "MC-E505-OUTPUTS-OVERLAP",
}
"""Short names of the script's error codes used below."""

CORPUS: tuple[BadInput, ...] = (
    # Empty files and folders.
    _case("empty_csv", EMPTY, E["read"], _text("d.csv", "")),
    _case("empty_tsv", EMPTY, E["read"], _text("d.tsv", "")),
    _case("empty_parquet", EMPTY, E["read"], _text("d.parquet", b"")),
    _case("empty_jsonl", EMPTY, E["read"], _text("d.jsonl", "")),
    _case("empty_json_array", EMPTY, E["read"], _text("d.json", "[]")),
    _case("blank_lines_jsonl", EMPTY, E["read"], _text("d.jsonl", "\n\n")),
    _case("empty_folder", EMPTY, E["nofiles"], lambda folder: folder),
    _case("only_hidden_files", EMPTY, E["nofiles"], _frames({".d.csv": frame, "_d.csv": frame})),
    _case("only_non_data_files", EMPTY, E["nofiles"], _frames({"notes.txt": frame})),
    # Header only (text files, whose empty columns have no type, and typed zero-row files).
    _case("header_only_csv", HEADER, E["norows"], _text("d.csv", "prob_class_1,label\n")),
    _case("header_only_tsv", HEADER, E["norows"], _text("d.tsv", "prob_class_1\tlabel\n")),
    _case("header_only_csv_with_weights", HEADER, E["norows"], _text("d.csv", "prob_class_1,label,w\n"),
          env={"WEIGHT_FIELD": "w"}),
    _case("header_only_multiclass_csv", HEADER, E["norows"], _text("d.csv", _MC_HEADER + "\n"), env=_MC),
    _case("zero_row_parquet", HEADER, E["norows"], _frames({"d.parquet": lambda: frame().iloc[:0]})),
    _case("zero_row_multiclass_parquet", HEADER, E["norows"], _frames({"d.parquet": lambda: pd.DataFrame(
        {"prob_class_0": [0.5], "prob_class_1": [0.2], "prob_class_2": [0.3], "label": [0]}).iloc[:0]}),
        env=_MC),
    # No rows left after dropping missing values.
    _case("nan_scores", NO_ROWS, E["norows"], _csv_rows("prob_class_1,label", ",0\nnan,1\nNaN,1\n")),
    _case("nan_labels", NO_ROWS, E["norows"], _csv_rows("prob_class_1,label", "0.1,\n0.2,nan\n")),
    _case("null_scores_jsonl", NO_ROWS, E["norows"], _text(
        "d.jsonl", '{"prob_class_1": null, "label": 0}\n{"prob_class_1": null, "label": 1}\n')),
    _case("each_row_misses_one", NO_ROWS, E["norows"], _csv_rows("prob_class_1,label", "0.1,\n,1\n")),
    _case("nan_weights", NO_ROWS, E["norows"], _frames({"d.csv": _changed(w=np.nan)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("zero_weights", NO_ROWS, E["norows"], _frames({"d.csv": _changed(w=0.0)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("multiclass_nan_scores", NO_ROWS, E["norows"], _csv_rows(_MC_HEADER, "0.2,,0.5,0\n"),
          env=_MC),
    # A single class.
    _case("all_positive", SINGLE_CLASS, E["single"], _frames({"d.csv": _changed(label=1)})),
    _case("all_negative", SINGLE_CLASS, E["single"], _frames({"d.parquet": _changed(label=0)}),
          env=_PLATT),
    _case("two_rows", SINGLE_CLASS, E["single"], _csv_rows("prob_class_1,label", "0.2,0\n0.7,1\n", repeat=1)),
    _case("three_rows_auto", SINGLE_CLASS, E["single"], _csv_rows("prob_class_1,label", "0.2,0\n0.7,1\n0.4,0\n",
          repeat=1), env={"CALIBRATION_METHOD": "auto"}),
    _case("one_class_after_dropping", SINGLE_CLASS, E["single"], _csv_rows(
        "prob_class_1,label", "0.3,1\n,0\n0.6,1\n")),
    _case("multiclass_one_class", SINGLE_CLASS, E["single"], _csv_rows(
        _MC_HEADER, "0.2,0.3,0.5,0\n0.3,0.3,0.4,0\n"), env=_MC),
    _case("multitask_one_class", SINGLE_CLASS, E["single"], _csv_rows(
        _MT_HEADER, "0.2,0.3,0,1\n0.3,0.4,1,1\n"), env=_MT),
    # Missing columns.
    _case("missing_label_column", MISSING_COLUMN, E["column"], _frames({"d.csv": lambda: frame()[["prob_class_1"]]})),
    _case("missing_score_column", MISSING_COLUMN, E["column"], _frames({"d.parquet": lambda: frame()[["label"]]})),
    _case("score_field_not_a_column", MISSING_COLUMN, E["column"], _frames({"d.csv": frame}),
          env={"SCORE_FIELD": "score"}),
    _case("multiclass_missing_class_column", MISSING_COLUMN, E["column"], _csv_rows(
        "prob_class_0,prob_class_1,label", "0.2,0.8,0\n"), env=_MC),
    _case("multitask_missing_label_column", MISSING_COLUMN, E["column"], _csv_rows(
        "s1,s2,y1", "0.2,0.3,0\n"), env=_MT),
    _case("weight_column_missing", MISSING_COLUMN, E["column"], _frames({"d.csv": frame}),
          env={"WEIGHT_FIELD": "w"}),
    # Duplicate column names (refused before pandas renames one or keeps the last value).
    _case("duplicate_columns_parquet", DUPLICATE_COLUMNS, E["schema"], _duplicate_parquet),
    _case("duplicate_columns_csv", DUPLICATE_COLUMNS, E["schema"], _duplicate_text("d.csv"), env=_PLATT),
    _case("duplicate_columns_tsv", DUPLICATE_COLUMNS, E["schema"], _duplicate_text("d.tsv"), env=_PLATT),
    _case("duplicate_keys_jsonl", DUPLICATE_COLUMNS, E["schema"], _duplicate_text("d.jsonl"), env=_PLATT),
    _case("duplicate_keys_json_array", DUPLICATE_COLUMNS, E["schema"], _duplicate_text("d.json"),
          env=_PLATT),
    # Scores outside the score space.
    _case("probability_above_one", OUT_OF_SPACE, E["range"], _frames({"d.csv": _with_row("prob_class_1", 1.5)})),
    _case("probability_below_zero", OUT_OF_SPACE, E["range"], _frames(
        {"d.parquet": _changed(prob_class_1=lambda d: d["prob_class_1"] - 0.5)})),
    _case("probability_infinite", OUT_OF_SPACE, E["range"], _csv_rows("prob_class_1,label", "inf,0\n0.5,1\n")),
    _case("logit_plus_infinity", OUT_OF_SPACE, E["range"], _csv_rows("prob_class_1,label", "inf,0\n0.5,1\n"),
          env={"SCORE_SPACE": "logit"}),
    _case("logit_minus_infinity", OUT_OF_SPACE, E["range"], _csv_rows("prob_class_1,label", "-inf,0\n3.5,1\n"),
          env={"SCORE_SPACE": "logit"}),
    _case("multiclass_score_above_one", OUT_OF_SPACE, E["range"], _csv_rows(
        _MC_HEADER, "0.2,1.3,0.5,0\n0.3,0.3,0.4,1\n0.1,0.1,0.8,2\n"), env=_MC),
    _case("multitask_score_below_zero", OUT_OF_SPACE, E["range"], _csv_rows(
        _MT_HEADER, "0.2,-0.3,0,1\n0.3,0.4,1,0\n"), env=_MT),
    # NaN-only, infinite (above) or non-numeric scores.
    _case("nan_only_scores_logit", BAD_SCORE, E["norows"], _csv_rows("prob_class_1,label", "nan,0\nnan,1\n"),
          env={"SCORE_SPACE": "logit"}),
    _case("string_scores", BAD_SCORE, E["nonnum"], _frames(
        {"d.csv": _changed(prob_class_1=lambda d: d["prob_class_1"].astype(str) + "%")})),
    _case("one_word_score", BAD_SCORE, E["nonnum"], _frames({"d.jsonl": _with_row("prob_class_1", "high")})),
    _case("boolean_scores", BAD_SCORE, E["nonnum"], _text(
        "d.jsonl", '{"prob_class_1": true, "label": 0}\n{"prob_class_1": false, "label": 1}\n')),
    _case("nested_scores", BAD_SCORE, E["nonnum"], _text(
        "d.json", '[{"prob_class_1": [0.1], "label": 0}, {"prob_class_1": {"a": 1}, "label": 1}]')),
    _case("string_score_parquet", BAD_SCORE, E["nonnum"], _frames(
        {"d.parquet": _changed(prob_class_1=lambda d: d["prob_class_1"].astype(str))})),
    # Labels outside the declared categories.
    _case("label_two", BAD_LABEL, E["label"], _csv_rows("prob_class_1,label", "0.1,0\n0.9,2\n")),
    _case("label_maybe", BAD_LABEL, E["label"], _csv_rows("prob_class_1,label", "0.1,0\n0.9,maybe\n")),
    _case("label_half", BAD_LABEL, E["label"], _frames({"d.parquet": _with_row("label", 0.5)})),
    _case("label_minus_one", BAD_LABEL, E["label"], _csv_rows("prob_class_1,label", "0.1,-1\n0.9,1\n")),
    _case("multiclass_label_not_a_category", BAD_LABEL, E["label"], _csv_rows(
        _MC_HEADER, "0.2,0.3,0.5,0\n0.3,0.3,0.4,1\n0.1,0.1,0.8,7\n"), env=_MC),
    _case("multiclass_word_not_a_category", BAD_LABEL, E["label"], _csv_rows(
        "prob_class_a,prob_class_b,label", "0.2,0.8,a\n0.3,0.7,b\n0.1,0.9,c\n"),
        env={"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["a", "b"]'}),
    _case("multitask_label_two", BAD_LABEL, E["label"], _csv_rows(_MT_HEADER, "0.2,0.3,0,1\n0.3,0.3,1,2\n"),
          env=_MT),
    # Shards with different schemas.
    _case("csv_shards_other_columns", SHARD_SCHEMAS, E["schema"], _frames(
        {"a.csv": frame, "b.csv": _changed(id=1)})),
    _case("csv_and_parquet_other_columns", SHARD_SCHEMAS, E["schema"], _frames(
        {"a.csv": frame, "b/c.parquet": lambda: frame()[["prob_class_1"]].assign(y=0)})),
    _case("shards_other_column_order", SHARD_SCHEMAS, E["schema"], _frames(
        {"a.csv": frame, "b.csv": lambda: frame()[["label", "prob_class_1"]]})),
    _case("archive_shard_other_columns", SHARD_SCHEMAS, E["schema"], _mixed),
    _case("shard_with_string_scores", SHARD_SCHEMAS, E["nonnum"], _frames(
        {"a.csv": frame, "b.jsonl": _with_row("prob_class_1", "n/a")})),
    # Corrupt files.
    _case("truncated_parquet", CORRUPT, E["read"], _text("d.parquet", _parquet_bytes(frame())[:300])),
    _case("bit_flipped_parquet", CORRUPT, E["read"], _text("d.parquet", _bit_flipped(_parquet_bytes(frame())))),
    _case("gzip_header_then_zeros", CORRUPT, E["read"], _text("output.tar.gz", b"\x1f\x8b" + bytes(100))),
    _case("tgz_not_gzip", CORRUPT, E["read"], _text("model.tgz", b"hello")),
    _case("truncated_tar_gz", CORRUPT, E["read"], _truncated_archive),
    _case("malformed_jsonl", CORRUPT, E["read"], _text("d.jsonl", '{"prob_class_1": 0.1, "label": 0}\n{"prob\n')),
    # Unsafe archives.
    _case("archive_dotdot_member", UNSAFE_ARCHIVE, E["archive"], _archive(_member("a/../../evil.csv", b"x"))),
    _case("archive_leading_dotdot", UNSAFE_ARCHIVE, E["archive"], _archive(_member("../evil.csv", b"x"))),
    _case("archive_absolute_member", UNSAFE_ARCHIVE, E["archive"], _archive(_member("/tmp/evil.csv", b"x"))),
    _case("archive_windows_drive", UNSAFE_ARCHIVE, E["archive"], _archive(_member("C:/evil.csv", b"x"))),
    _case("archive_backslash_dotdot", UNSAFE_ARCHIVE, E["archive"], _archive(_member("a\\..\\..\\evil.csv", b"x"))),
    _case("archive_symlink", UNSAFE_ARCHIVE, E["archive"], _archive(_link("link.csv", tarfile.SYMTYPE))),
    _case("archive_relative_symlink", UNSAFE_ARCHIVE, E["archive"], _archive(
        _link("link.csv", tarfile.SYMTYPE, "val/predictions.csv"))),
    _case("archive_hardlink", UNSAFE_ARCHIVE, E["archive"], _archive(_link("hard.csv", tarfile.LNKTYPE))),
    _case("archive_fifo", UNSAFE_ARCHIVE, E["archive"], _archive(_link("pipe.csv", tarfile.FIFOTYPE, ""))),
    _case("archive_device", UNSAFE_ARCHIVE, E["archive"], _archive(_link("dev.csv", tarfile.CHRTYPE, ""))),
    # Content that is not what the extension says.
    _case("csv_named_parquet", WRONG_EXTENSION, E["read"], _text("d.parquet", frame().to_csv(index=False))),
    _case("parquet_named_csv", WRONG_EXTENSION, E["read"], _text("d.csv", _parquet_bytes(frame()))),
    _case("parquet_named_tsv", WRONG_EXTENSION, E["read"], _text("d.tsv", _parquet_bytes(frame()))),
    _case("parquet_named_json", WRONG_EXTENSION, E["read"], _text("d.json", _parquet_bytes(frame()))),
    _case("binary_junk_json", WRONG_EXTENSION, E["read"], _text("d.json", bytes(range(256)) * 4)),
    _case("binary_junk_jsonl", WRONG_EXTENSION, E["read"], _text("d.jsonl", bytes(range(256)) * 4)),
    _case("binary_junk_csv", WRONG_EXTENSION, E["read"], _text("d.csv", bytes(range(256)) * 4)),
    _case("csv_named_json", WRONG_EXTENSION, E["read"], _text("d.json", frame().to_csv(index=False))),
    _case("csv_named_tsv", WRONG_EXTENSION, E["column"], _text("d.tsv", frame().to_csv(index=False))),
    _case("latin1_csv", WRONG_EXTENSION, E["read"], _text("d.csv", "prob_class_1,label\n0.1,0\n0.9,\xe9\n".encode("latin-1"))),
    _case("json_scalar", WRONG_EXTENSION, E["column"], _text("d.json", "42")),
    _case("single_file_unknown_extension", WRONG_EXTENSION, E["format"], _single_file("d.xlsx")),
    # Invalid weights.
    _case("negative_weights", BAD_WEIGHTS, E["weight"], _frames({"d.csv": _changed(w=-1.0)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("infinite_weight", BAD_WEIGHTS, E["weight"], _frames({"d.csv": _with_row("w", np.inf)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("string_weights", BAD_WEIGHTS, E["weight"], _frames({"d.csv": _changed(w="x")}),
          env={"WEIGHT_FIELD": "w"}),
    # Invalid environment (checked before any output folder is touched).
    _case("unknown_method", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"CALIBRATION_METHOD": "sigmoid"}),
    _case("unknown_score_space", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"SCORE_SPACE": "odds"}),
    _case("too_few_splines", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"GAM_SPLINES": "3"}),
    _case("one_fold", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"CALIBRATION_FOLDS": "1"}),
    _case("zero_threshold", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"ERROR_THRESHOLD": "0"}),
    _case("nan_threshold", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"ERROR_THRESHOLD": "nan"}),
    _case("not_a_boolean", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"IS_BINARY": "yes"}),
    _case("label_equals_score", BAD_ENV, E["env"], _frames({"d.csv": frame}), env={"LABEL_FIELD": "prob_class_1"}),
    _case("categories_not_json", BAD_ENV, E["env"], _frames({"d.csv": frame}),
          env={"IS_BINARY": "false", "MULTICLASS_CATEGORIES": "a,b"}),
    _case("vector_for_binary", BAD_ENV, E["conflict"], _frames({"d.csv": frame}),
          env={"CALIBRATION_METHOD": "vector"}),
    _case("tasks_without_labels", BAD_ENV, E["conflict"], _frames({"d.csv": frame}),
          env={"SCORE_FIELDS": '["prob_class_1"]'}),
    # Invalid paths, job type or output folders.
    _case("input_path_missing", BAD_PATHS, E["nofiles"], _missing),
    _case("unknown_job_type", BAD_PATHS, E["job"], _frames({"d.csv": frame}), job_type="scoring"),
    _case("output_path_missing", BAD_PATHS, E["path"], _frames({"d.csv": frame}),
          missing_output=ModelCalibrationOutput.METRICS_OUTPUT.value),
    _case("output_already_written", BAD_PATHS, E["occupied"], _frames({"d.csv": frame}),
          occupied_output=ModelCalibrationOutput.CALIBRATION_OUTPUT.value),
    _case("validation_without_model", BAD_PATHS, E["path"], _frames({"d.csv": frame}), job_type="validation"),
    # Invalid calibration model (validation / testing jobs).
    _case("model_folder_without_calibrator", BAD_MODEL, E["nomodel"], _frames({"d.csv": frame}),
          job_type="validation", model=_model(platt_content, name="other.json")),
    _case("model_folder_with_two_calibrators", BAD_MODEL, E["nomodel"], _frames({"d.csv": frame}),
          job_type="testing", model=_model(platt_content, copies=2)),
    _case("model_checksum_mismatch", BAD_MODEL, E["checksum"], _frames({"d.csv": frame}),
          job_type="validation", model=_model(_tampered)),
    _case("model_unknown_schema_version", BAD_MODEL, E["version"], _frames({"d.csv": frame}),
          job_type="validation", model=_model(_resigned(schema_version=2))),
    _case("model_not_json", BAD_MODEL, E["invalid"], _frames({"d.csv": frame}),
          job_type="testing", model=_model(platt_content, raw=b"\x80not json")),
    _case("model_unknown_kind", BAD_MODEL, E["invalid"], _frames({"d.csv": frame}),
          job_type="validation", model=_model(_resigned(kind="calibration_step.pickle"))),
    _case("model_unknown_method", BAD_MODEL, E["invalid"], _frames({"d.csv": frame}),
          job_type="validation", model=_model(_resigned(method="sigmoid"))),
    _case("model_other_score_space", BAD_MODEL, E["mismatch"], _frames({"d.csv": frame}),
          job_type="validation", model=_model(lambda: platt_content("logit"))),
    # Input files that are not regular files, link out of the input folder or have no UTF-8 name
    # (refused before any is opened), and archive members that repeat a name.
    _case("fifo_named_csv", UNSAFE_FILES, E["special"], _fifo("d.csv")),
    _case("fifo_named_archive", UNSAFE_FILES, E["special"], _fifo("d.tar.gz")),
    _case("fifo_given_as_the_file", UNSAFE_FILES, E["special"], _fifo("only.csv")),
    _case("link_to_a_file_outside", UNSAFE_FILES, E["outside"], _link_outside("secret.csv")),
    _case("link_to_a_device", UNSAFE_FILES, E["outside"], _link_outside("/dev/zero")),
    _case("file_name_not_utf8", UNSAFE_FILES, E["encoding"], _non_utf8_name),
    _case("archive_member_name_not_utf8", UNSAFE_FILES, E["encoding"], _non_utf8_member),
    _case("archive_repeats_a_member", UNSAFE_ARCHIVE, E["archive"], _archive(
        _member("val/predictions.csv", frame(seed=8).to_csv(index=False).encode()))),
    _case("archive_repeats_a_member_as_dot_path", UNSAFE_ARCHIVE, E["archive"], _archive(
        _member("./val/predictions.csv", frame(seed=8).to_csv(index=False).encode()))),
    # An archive that expands past a limit (the expansion ratio here) stops at the limit.
    _case("archive_zero_bomb", ARCHIVE_LIMITS, E["too_large"], _zero_bomb(80 << 20)),
    # Output paths: refused before the input is read.
    _case("two_outputs_one_folder", OUTPUT_PLACES, E["overlap"], _frames({"d.csv": frame}),
          place_outputs=_same_folder(ModelCalibrationOutput.METRICS_OUTPUT.value,
                                     ModelCalibrationOutput.CALIBRATION_OUTPUT.value)),
    _case("output_inside_another", OUTPUT_PLACES, E["overlap"], _frames({"d.csv": frame}),
          place_outputs=_nested(ModelCalibrationOutput.CALIBRATED_DATA.value,
                                ModelCalibrationOutput.METRICS_OUTPUT.value)),
    _case("output_inside_the_input", OUTPUT_PLACES, E["overlap"], _frames({"d.csv": frame}),
          place_outputs=_inside_input(ModelCalibrationOutput.CALIBRATED_DATA.value)),
    _case("output_is_a_file", OUTPUT_PLACES, E["output_path"], _frames({"d.csv": frame}),
          place_outputs=_at_a_file(ModelCalibrationOutput.METRICS_OUTPUT.value, under=False)),
    _case("output_under_a_file", OUTPUT_PLACES, E["output_path"], _frames({"d.csv": frame}),
          place_outputs=_at_a_file(ModelCalibrationOutput.CALIBRATION_OUTPUT.value, under=True)),
)
"""Every bad input the reliability tests run; names are unique."""


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------
def prepare(case: BadInput, root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Build the case's files under ``root``; return its input and output paths."""
    folder = root / "in"
    folder.mkdir(parents=True)
    inputs = {ModelCalibrationInput.EVALUATION_DATA.value: str(case.build(folder))}
    if case.model is not None:
        model = root / "model"
        model.mkdir()
        inputs[ModelCalibrationInput.CALIBRATION_MODEL.value] = str(case.model(model))
    outputs = {name: str(root / "out" / name) for name in [o.value for o in ModelCalibrationOutput]
               if name != case.missing_output}
    if case.place_outputs is not None:
        outputs = case.place_outputs(root, outputs)
    if case.occupied_output is not None:
        occupied = Path(outputs[case.occupied_output])
        occupied.mkdir(parents=True)
        (occupied / "previous.json").write_text("{}", encoding="utf-8")
    return inputs, outputs


def run_case(case: BadInput, root: Path) -> Outcome:
    """Run ``case`` through ``main`` in-process; never raises."""
    inputs, outputs = prepare(case, root)
    try:
        mc.main(inputs, outputs, dict(case.env), argparse.Namespace(job_type=case.job_type))
    except mc.CalibrationScriptError as exc:
        return Outcome(code=exc.code, unexpected=None, outputs=outputs)
    except BaseException as exc:  # any other exception is what the tests look for
        return Outcome(code=None, unexpected=exc, outputs=outputs)
    return Outcome(code=None, unexpected=None, outputs=outputs)


def cli_arguments(case: BadInput, inputs: Mapping[str, str], outputs: Mapping[str, str]) -> list[str]:
    """The script's command-line arguments for the same run."""
    args = ["--job_type", case.job_type]
    for name, path in {**inputs, **outputs}.items():
        args += [f"--{name}", path]
    return args


def visible_entries(outputs: Mapping[str, str], case: BadInput | None = None) -> dict[str, list[str]]:
    """Visible entries of each output folder (a folder never created has none); the file an
    ``occupied_output`` case put there beforehand is left out."""
    found: dict[str, list[str]] = {}
    for name, folder in outputs.items():
        entries = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        if case is not None and name == case.occupied_output:
            entries = [e for e in entries if e != "previous.json"]
        found[name] = [e for e in entries if not e.startswith(".")]
    return found
