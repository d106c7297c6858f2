"""The bad-input corpus of the calibration script, as data.

Each :class:`BadInput` names the category of bad input it belongs to, builds its input files in an
empty folder, and gives the stable error code the script must raise, with the environment and
job type to run it with. :func:`run_case` runs one entry through ``main`` in-process and reports
what happened; :func:`cli_arguments` gives the command line of the same run.

The inputs are made by :mod:`tests.reliability.builders`.
"""

from __future__ import annotations

import argparse
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import ModelCalibrationInput, ModelCalibrationOutput
from tests.reliability import builders as blocks
from tests.reliability.builders import InputBuilder, ModelBuilder, OutputPlacer

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
    _case("empty_csv", EMPTY, E["read"], blocks.text("d.csv", "")),
    _case("empty_tsv", EMPTY, E["read"], blocks.text("d.tsv", "")),
    _case("empty_parquet", EMPTY, E["read"], blocks.text("d.parquet", b"")),
    _case("empty_jsonl", EMPTY, E["read"], blocks.text("d.jsonl", "")),
    _case("empty_json_array", EMPTY, E["read"], blocks.text("d.json", "[]")),
    _case("blank_lines_jsonl", EMPTY, E["read"], blocks.text("d.jsonl", "\n\n")),
    _case("empty_folder", EMPTY, E["nofiles"], lambda folder: folder),
    _case("only_hidden_files", EMPTY, E["nofiles"], blocks.frames({".d.csv": blocks.frame, "_d.csv": blocks.frame})),
    _case("only_non_data_files", EMPTY, E["nofiles"], blocks.frames({"notes.txt": blocks.frame})),
    # Header only (text files, whose empty columns have no type, and typed zero-row files).
    _case("header_only_csv", HEADER, E["norows"], blocks.text("d.csv", "prob_class_1,label\n")),
    _case("header_only_tsv", HEADER, E["norows"], blocks.text("d.tsv", "prob_class_1\tlabel\n")),
    _case("header_only_csv_with_weights", HEADER, E["norows"], blocks.text("d.csv", "prob_class_1,label,w\n"),
          env={"WEIGHT_FIELD": "w"}),
    _case("header_only_multiclass_csv", HEADER, E["norows"], blocks.text("d.csv", _MC_HEADER + "\n"), env=_MC),
    _case("zero_row_parquet", HEADER, E["norows"], blocks.frames({"d.parquet": lambda: blocks.frame().iloc[:0]})),
    _case("zero_row_multiclass_parquet", HEADER, E["norows"], blocks.frames({"d.parquet": lambda: pd.DataFrame(
        {"prob_class_0": [0.5], "prob_class_1": [0.2], "prob_class_2": [0.3], "label": [0]}).iloc[:0]}),
        env=_MC),
    # No rows left after dropping missing values.
    _case("nan_scores", NO_ROWS, E["norows"], blocks.csv_rows("prob_class_1,label", ",0\nnan,1\nNaN,1\n")),
    _case("nan_labels", NO_ROWS, E["norows"], blocks.csv_rows("prob_class_1,label", "0.1,\n0.2,nan\n")),
    _case("null_scores_jsonl", NO_ROWS, E["norows"], blocks.text(
        "d.jsonl", '{"prob_class_1": null, "label": 0}\n{"prob_class_1": null, "label": 1}\n')),
    _case("each_row_misses_one", NO_ROWS, E["norows"], blocks.csv_rows("prob_class_1,label", "0.1,\n,1\n")),
    _case("nan_weights", NO_ROWS, E["norows"], blocks.frames({"d.csv": blocks.changed(w=np.nan)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("zero_weights", NO_ROWS, E["norows"], blocks.frames({"d.csv": blocks.changed(w=0.0)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("multiclass_nan_scores", NO_ROWS, E["norows"], blocks.csv_rows(_MC_HEADER, "0.2,,0.5,0\n"),
          env=_MC),
    # A single class.
    _case("all_positive", SINGLE_CLASS, E["single"], blocks.frames({"d.csv": blocks.changed(label=1)})),
    _case("all_negative", SINGLE_CLASS, E["single"], blocks.frames({"d.parquet": blocks.changed(label=0)}),
          env=_PLATT),
    _case("two_rows", SINGLE_CLASS, E["single"], blocks.csv_rows("prob_class_1,label", "0.2,0\n0.7,1\n", repeat=1)),
    _case("three_rows_auto", SINGLE_CLASS, E["single"], blocks.csv_rows("prob_class_1,label", "0.2,0\n0.7,1\n0.4,0\n",
          repeat=1), env={"CALIBRATION_METHOD": "auto"}),
    _case("one_class_after_dropping", SINGLE_CLASS, E["single"], blocks.csv_rows(
        "prob_class_1,label", "0.3,1\n,0\n0.6,1\n")),
    _case("multiclass_one_class", SINGLE_CLASS, E["single"], blocks.csv_rows(
        _MC_HEADER, "0.2,0.3,0.5,0\n0.3,0.3,0.4,0\n"), env=_MC),
    _case("multitask_one_class", SINGLE_CLASS, E["single"], blocks.csv_rows(
        _MT_HEADER, "0.2,0.3,0,1\n0.3,0.4,1,1\n"), env=_MT),
    # Missing columns.
    _case("missing_label_column", MISSING_COLUMN, E["column"], blocks.frames({"d.csv": lambda: blocks.frame()[["prob_class_1"]]})),
    _case("missing_score_column", MISSING_COLUMN, E["column"], blocks.frames({"d.parquet": lambda: blocks.frame()[["label"]]})),
    _case("score_field_not_a_column", MISSING_COLUMN, E["column"], blocks.frames({"d.csv": blocks.frame}),
          env={"SCORE_FIELD": "score"}),
    _case("multiclass_missing_class_column", MISSING_COLUMN, E["column"], blocks.csv_rows(
        "prob_class_0,prob_class_1,label", "0.2,0.8,0\n"), env=_MC),
    _case("multitask_missing_label_column", MISSING_COLUMN, E["column"], blocks.csv_rows(
        "s1,s2,y1", "0.2,0.3,0\n"), env=_MT),
    _case("weight_column_missing", MISSING_COLUMN, E["column"], blocks.frames({"d.csv": blocks.frame}),
          env={"WEIGHT_FIELD": "w"}),
    # Duplicate column names (refused before pandas renames one or keeps the last value).
    _case("duplicate_columns_parquet", DUPLICATE_COLUMNS, E["schema"], blocks.duplicate_parquet),
    _case("duplicate_columns_csv", DUPLICATE_COLUMNS, E["schema"], blocks.duplicate_text("d.csv"), env=_PLATT),
    _case("duplicate_columns_tsv", DUPLICATE_COLUMNS, E["schema"], blocks.duplicate_text("d.tsv"), env=_PLATT),
    _case("duplicate_keys_jsonl", DUPLICATE_COLUMNS, E["schema"], blocks.duplicate_text("d.jsonl"), env=_PLATT),
    _case("duplicate_keys_json_array", DUPLICATE_COLUMNS, E["schema"], blocks.duplicate_text("d.json"),
          env=_PLATT),
    # Scores outside the score space.
    _case("probability_above_one", OUT_OF_SPACE, E["range"], blocks.frames({"d.csv": blocks.with_row("prob_class_1", 1.5)})),
    _case("probability_below_zero", OUT_OF_SPACE, E["range"], blocks.frames(
        {"d.parquet": blocks.changed(prob_class_1=lambda d: d["prob_class_1"] - 0.5)})),
    _case("probability_infinite", OUT_OF_SPACE, E["range"], blocks.csv_rows("prob_class_1,label", "inf,0\n0.5,1\n")),
    _case("logit_plus_infinity", OUT_OF_SPACE, E["range"], blocks.csv_rows("prob_class_1,label", "inf,0\n0.5,1\n"),
          env={"SCORE_SPACE": "logit"}),
    _case("logit_minus_infinity", OUT_OF_SPACE, E["range"], blocks.csv_rows("prob_class_1,label", "-inf,0\n3.5,1\n"),
          env={"SCORE_SPACE": "logit"}),
    _case("multiclass_score_above_one", OUT_OF_SPACE, E["range"], blocks.csv_rows(
        _MC_HEADER, "0.2,1.3,0.5,0\n0.3,0.3,0.4,1\n0.1,0.1,0.8,2\n"), env=_MC),
    _case("multitask_score_below_zero", OUT_OF_SPACE, E["range"], blocks.csv_rows(
        _MT_HEADER, "0.2,-0.3,0,1\n0.3,0.4,1,0\n"), env=_MT),
    # NaN-only, infinite (above) or non-numeric scores.
    _case("nan_only_scores_logit", BAD_SCORE, E["norows"], blocks.csv_rows("prob_class_1,label", "nan,0\nnan,1\n"),
          env={"SCORE_SPACE": "logit"}),
    _case("string_scores", BAD_SCORE, E["nonnum"], blocks.frames(
        {"d.csv": blocks.changed(prob_class_1=lambda d: d["prob_class_1"].astype(str) + "%")})),
    _case("one_word_score", BAD_SCORE, E["nonnum"], blocks.frames({"d.jsonl": blocks.with_row("prob_class_1", "high")})),
    _case("boolean_scores", BAD_SCORE, E["nonnum"], blocks.text(
        "d.jsonl", '{"prob_class_1": true, "label": 0}\n{"prob_class_1": false, "label": 1}\n')),
    _case("nested_scores", BAD_SCORE, E["nonnum"], blocks.text(
        "d.json", '[{"prob_class_1": [0.1], "label": 0}, {"prob_class_1": {"a": 1}, "label": 1}]')),
    _case("string_score_parquet", BAD_SCORE, E["nonnum"], blocks.frames(
        {"d.parquet": blocks.changed(prob_class_1=lambda d: d["prob_class_1"].astype(str))})),
    # Labels outside the declared categories.
    _case("label_two", BAD_LABEL, E["label"], blocks.csv_rows("prob_class_1,label", "0.1,0\n0.9,2\n")),
    _case("label_maybe", BAD_LABEL, E["label"], blocks.csv_rows("prob_class_1,label", "0.1,0\n0.9,maybe\n")),
    _case("label_half", BAD_LABEL, E["label"], blocks.frames({"d.parquet": blocks.with_row("label", 0.5)})),
    _case("label_minus_one", BAD_LABEL, E["label"], blocks.csv_rows("prob_class_1,label", "0.1,-1\n0.9,1\n")),
    _case("multiclass_label_not_a_category", BAD_LABEL, E["label"], blocks.csv_rows(
        _MC_HEADER, "0.2,0.3,0.5,0\n0.3,0.3,0.4,1\n0.1,0.1,0.8,7\n"), env=_MC),
    _case("multiclass_word_not_a_category", BAD_LABEL, E["label"], blocks.csv_rows(
        "prob_class_a,prob_class_b,label", "0.2,0.8,a\n0.3,0.7,b\n0.1,0.9,c\n"),
        env={"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["a", "b"]'}),
    _case("multitask_label_two", BAD_LABEL, E["label"], blocks.csv_rows(_MT_HEADER, "0.2,0.3,0,1\n0.3,0.3,1,2\n"),
          env=_MT),
    # Shards with different schemas.
    _case("csv_shards_other_columns", SHARD_SCHEMAS, E["schema"], blocks.frames(
        {"a.csv": blocks.frame, "b.csv": blocks.changed(id=1)})),
    _case("csv_and_parquet_other_columns", SHARD_SCHEMAS, E["schema"], blocks.frames(
        {"a.csv": blocks.frame, "b/c.parquet": lambda: blocks.frame()[["prob_class_1"]].assign(y=0)})),
    _case("shards_other_column_order", SHARD_SCHEMAS, E["schema"], blocks.frames(
        {"a.csv": blocks.frame, "b.csv": lambda: blocks.frame()[["label", "prob_class_1"]]})),
    _case("archive_shard_other_columns", SHARD_SCHEMAS, E["schema"], blocks.mixed),
    _case("shard_with_string_scores", SHARD_SCHEMAS, E["nonnum"], blocks.frames(
        {"a.csv": blocks.frame, "b.jsonl": blocks.with_row("prob_class_1", "n/a")})),
    # Corrupt files.
    _case("truncated_parquet", CORRUPT, E["read"], blocks.text("d.parquet", blocks.parquet_bytes(blocks.frame())[:300])),
    _case("bit_flipped_parquet", CORRUPT, E["read"], blocks.text("d.parquet", blocks.bit_flipped(blocks.parquet_bytes(blocks.frame())))),
    _case("gzip_header_then_zeros", CORRUPT, E["read"], blocks.text("output.tar.gz", b"\x1f\x8b" + bytes(100))),
    _case("tgz_not_gzip", CORRUPT, E["read"], blocks.text("model.tgz", b"hello")),
    _case("truncated_tar_gz", CORRUPT, E["read"], blocks.truncated_archive),
    _case("malformed_jsonl", CORRUPT, E["read"], blocks.text("d.jsonl", '{"prob_class_1": 0.1, "label": 0}\n{"prob\n')),
    # Unsafe archives.
    _case("archive_dotdot_member", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.member("a/../../evil.csv", b"x"))),
    _case("archive_leading_dotdot", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.member("../evil.csv", b"x"))),
    _case("archive_absolute_member", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.member("/tmp/evil.csv", b"x"))),
    _case("archive_windows_drive", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.member("C:/evil.csv", b"x"))),
    _case("archive_backslash_dotdot", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.member("a\\..\\..\\evil.csv", b"x"))),
    _case("archive_symlink", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.link("link.csv", tarfile.SYMTYPE))),
    _case("archive_relative_symlink", UNSAFE_ARCHIVE, E["archive"], blocks.archive(
        blocks.link("link.csv", tarfile.SYMTYPE, "val/predictions.csv"))),
    _case("archive_hardlink", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.link("hard.csv", tarfile.LNKTYPE))),
    _case("archive_fifo", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.link("pipe.csv", tarfile.FIFOTYPE, ""))),
    _case("archive_device", UNSAFE_ARCHIVE, E["archive"], blocks.archive(blocks.link("dev.csv", tarfile.CHRTYPE, ""))),
    # Content that is not what the extension says.
    _case("csv_named_parquet", WRONG_EXTENSION, E["read"], blocks.text("d.parquet", blocks.frame().to_csv(index=False))),
    _case("parquet_named_csv", WRONG_EXTENSION, E["read"], blocks.text("d.csv", blocks.parquet_bytes(blocks.frame()))),
    _case("parquet_named_tsv", WRONG_EXTENSION, E["read"], blocks.text("d.tsv", blocks.parquet_bytes(blocks.frame()))),
    _case("parquet_named_json", WRONG_EXTENSION, E["read"], blocks.text("d.json", blocks.parquet_bytes(blocks.frame()))),
    _case("binary_junk_json", WRONG_EXTENSION, E["read"], blocks.text("d.json", bytes(range(256)) * 4)),
    _case("binary_junk_jsonl", WRONG_EXTENSION, E["read"], blocks.text("d.jsonl", bytes(range(256)) * 4)),
    _case("binary_junk_csv", WRONG_EXTENSION, E["read"], blocks.text("d.csv", bytes(range(256)) * 4)),
    _case("csv_named_json", WRONG_EXTENSION, E["read"], blocks.text("d.json", blocks.frame().to_csv(index=False))),
    _case("csv_named_tsv", WRONG_EXTENSION, E["column"], blocks.text("d.tsv", blocks.frame().to_csv(index=False))),
    _case("latin1_csv", WRONG_EXTENSION, E["read"], blocks.text("d.csv", "prob_class_1,label\n0.1,0\n0.9,\xe9\n".encode("latin-1"))),
    _case("json_scalar", WRONG_EXTENSION, E["column"], blocks.text("d.json", "42")),
    _case("single_file_unknown_extension", WRONG_EXTENSION, E["format"], blocks.single_file("d.xlsx")),
    # Invalid weights.
    _case("negative_weights", BAD_WEIGHTS, E["weight"], blocks.frames({"d.csv": blocks.changed(w=-1.0)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("infinite_weight", BAD_WEIGHTS, E["weight"], blocks.frames({"d.csv": blocks.with_row("w", np.inf)}),
          env={"WEIGHT_FIELD": "w"}),
    _case("string_weights", BAD_WEIGHTS, E["weight"], blocks.frames({"d.csv": blocks.changed(w="x")}),
          env={"WEIGHT_FIELD": "w"}),
    # Invalid environment (checked before any output folder is touched).
    _case("unknown_method", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"CALIBRATION_METHOD": "sigmoid"}),
    _case("unknown_score_space", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"SCORE_SPACE": "odds"}),
    _case("too_few_splines", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"GAM_SPLINES": "3"}),
    _case("one_fold", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"CALIBRATION_FOLDS": "1"}),
    _case("zero_threshold", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"ERROR_THRESHOLD": "0"}),
    _case("nan_threshold", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"ERROR_THRESHOLD": "nan"}),
    _case("not_a_boolean", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"IS_BINARY": "yes"}),
    _case("label_equals_score", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}), env={"LABEL_FIELD": "prob_class_1"}),
    _case("categories_not_json", BAD_ENV, E["env"], blocks.frames({"d.csv": blocks.frame}),
          env={"IS_BINARY": "false", "MULTICLASS_CATEGORIES": "a,b"}),
    _case("vector_for_binary", BAD_ENV, E["conflict"], blocks.frames({"d.csv": blocks.frame}),
          env={"CALIBRATION_METHOD": "vector"}),
    _case("tasks_without_labels", BAD_ENV, E["conflict"], blocks.frames({"d.csv": blocks.frame}),
          env={"SCORE_FIELDS": '["prob_class_1"]'}),
    # Invalid paths, job type or output folders.
    _case("input_path_missing", BAD_PATHS, E["nofiles"], blocks.missing),
    _case("unknown_job_type", BAD_PATHS, E["job"], blocks.frames({"d.csv": blocks.frame}), job_type="scoring"),
    _case("output_path_missing", BAD_PATHS, E["path"], blocks.frames({"d.csv": blocks.frame}),
          missing_output=ModelCalibrationOutput.METRICS_OUTPUT.value),
    _case("output_already_written", BAD_PATHS, E["occupied"], blocks.frames({"d.csv": blocks.frame}),
          occupied_output=ModelCalibrationOutput.CALIBRATION_OUTPUT.value),
    _case("validation_without_model", BAD_PATHS, E["path"], blocks.frames({"d.csv": blocks.frame}), job_type="validation"),
    # Invalid calibration model (validation / testing jobs).
    _case("model_folder_without_calibrator", BAD_MODEL, E["nomodel"], blocks.frames({"d.csv": blocks.frame}),
          job_type="validation", model=blocks.model(blocks.platt_content, name="other.json")),
    _case("model_folder_with_two_calibrators", BAD_MODEL, E["nomodel"], blocks.frames({"d.csv": blocks.frame}),
          job_type="testing", model=blocks.model(blocks.platt_content, copies=2)),
    _case("model_checksum_mismatch", BAD_MODEL, E["checksum"], blocks.frames({"d.csv": blocks.frame}),
          job_type="validation", model=blocks.model(blocks.tampered)),
    _case("model_unknown_schema_version", BAD_MODEL, E["version"], blocks.frames({"d.csv": blocks.frame}),
          job_type="validation", model=blocks.model(blocks.resigned(schema_version=2))),
    _case("model_not_json", BAD_MODEL, E["invalid"], blocks.frames({"d.csv": blocks.frame}),
          job_type="testing", model=blocks.model(blocks.platt_content, raw=b"\x80not json")),
    _case("model_unknown_kind", BAD_MODEL, E["invalid"], blocks.frames({"d.csv": blocks.frame}),
          job_type="validation", model=blocks.model(blocks.resigned(kind="calibration_step.pickle"))),
    _case("model_unknown_method", BAD_MODEL, E["invalid"], blocks.frames({"d.csv": blocks.frame}),
          job_type="validation", model=blocks.model(blocks.resigned(method="sigmoid"))),
    _case("model_other_score_space", BAD_MODEL, E["mismatch"], blocks.frames({"d.csv": blocks.frame}),
          job_type="validation", model=blocks.model(lambda: blocks.platt_content("logit"))),
    # Input files that are not regular files, link out of the input folder or have no UTF-8 name
    # (refused before any is opened), and archive members that repeat a name.
    _case("fifo_named_csv", UNSAFE_FILES, E["special"], blocks.fifo("d.csv")),
    _case("fifo_named_archive", UNSAFE_FILES, E["special"], blocks.fifo("d.tar.gz")),
    _case("fifo_given_as_the_file", UNSAFE_FILES, E["special"], blocks.fifo("only.csv")),
    _case("link_to_a_file_outside", UNSAFE_FILES, E["outside"], blocks.link_outside("secret.csv")),
    _case("link_to_a_device", UNSAFE_FILES, E["outside"], blocks.link_outside("/dev/zero")),
    _case("file_name_not_utf8", UNSAFE_FILES, E["encoding"], blocks.non_utf8_name),
    _case("archive_member_name_not_utf8", UNSAFE_FILES, E["encoding"], blocks.non_utf8_member),
    _case("archive_repeats_a_member", UNSAFE_ARCHIVE, E["archive"], blocks.archive(
        blocks.member("val/predictions.csv", blocks.frame(seed=8).to_csv(index=False).encode()))),
    _case("archive_repeats_a_member_as_dot_path", UNSAFE_ARCHIVE, E["archive"], blocks.archive(
        blocks.member("./val/predictions.csv", blocks.frame(seed=8).to_csv(index=False).encode()))),
    # An archive that expands past a limit (the expansion ratio here) stops at the limit.
    _case("archive_zero_bomb", ARCHIVE_LIMITS, E["too_large"], blocks.zero_bomb(80 << 20)),
    # Output paths: refused before the input is read.
    _case("two_outputs_one_folder", OUTPUT_PLACES, E["overlap"], blocks.frames({"d.csv": blocks.frame}),
          place_outputs=blocks.same_folder(ModelCalibrationOutput.METRICS_OUTPUT.value,
                                     ModelCalibrationOutput.CALIBRATION_OUTPUT.value)),
    _case("output_inside_another", OUTPUT_PLACES, E["overlap"], blocks.frames({"d.csv": blocks.frame}),
          place_outputs=blocks.nested(ModelCalibrationOutput.CALIBRATED_DATA.value,
                                ModelCalibrationOutput.METRICS_OUTPUT.value)),
    _case("output_inside_the_input", OUTPUT_PLACES, E["overlap"], blocks.frames({"d.csv": blocks.frame}),
          place_outputs=blocks.inside_input(ModelCalibrationOutput.CALIBRATED_DATA.value)),
    _case("output_is_a_file", OUTPUT_PLACES, E["output_path"], blocks.frames({"d.csv": blocks.frame}),
          place_outputs=blocks.at_a_file(ModelCalibrationOutput.METRICS_OUTPUT.value, under=False)),
    _case("output_under_a_file", OUTPUT_PLACES, E["output_path"], blocks.frames({"d.csv": blocks.frame}),
          place_outputs=blocks.at_a_file(ModelCalibrationOutput.CALIBRATION_OUTPUT.value, under=True)),
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
