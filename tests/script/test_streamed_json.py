"""A binary or multi-task run streamed over JSON-lines files (``textbatches.json_lines_batches``)
gives the outputs of the run holding the rows: labels as booleans, integers or floats with
nulls and missing keys, scores some of whose chunks are integers; a malformed line, a repeated
key or an invalid value fails as when the rows are held; a chunk whose fitting column holds
text, or changes kind from one chunk to the next, leaves the job to the run holding the rows;
a JSON array is streamed as its records (a malformed one fails as when the rows are held); a
fitting column pandas may read as dates is never streamed.

The thresholds are lowered so that both run on a few thousand rows, with chunks of 1,000 rows
(files of other sizes, so that chunks span files) and coarse bins.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Optional

import numpy as np
import pandas as pd
import pytest

from calibration_step.script.model_calibration import (jsonchunks, jsonwriter, limits, reading,
                                                    textbatches, writing)
from calibration_step.script.model_calibration.reading import read_frame
from tests.script.synthetic import scenario
from tests.script.test_sharded_phases import DATA_OUT
from tests.script.test_streamed_fit import _small_limits
from tests.script.test_streamed_fit import assert_same_json
from tests.script.test_streamed_text import _assert_fails_as_held, _run

__all__ = ["_small_limits"]  # the autouse fixture: small bins and chunks
SIZES = [("a.jsonl", 2500), ("b/c.json", 3100), ("d.jsonl", 1700), ("e.jsonl", 2900)]
Record = dict[str, object]
Edit = Callable[[str, list[Record]], None]


def _label(value: float, i: int, name: str) -> object:
    """The label of row ``i`` of file ``name`` as JSON holds it: booleans in ``e``, integers in
    ``a``, floats elsewhere; null every 89th row."""
    if i % 89 == 0:
        return None
    if name == "e.jsonl":
        return bool(value)
    return int(value) if name == "a.jsonl" else float(value)


def _records(name: str, rows: int, seed: int, logit: bool) -> list[Record]:
    """Records with missing scores (null), labels (null) and weights (no key), integer scores
    in rows 1,000 to 1,999 of ``b/c.json``, a passthrough number and text column."""
    rng = np.random.default_rng(seed)
    s, y, _ = scenario("nonlinear", rows, seed=seed)
    if logit:
        s = np.log(s / (1.0 - s))
    weights = rng.uniform(0.5, 2.0, rows)
    records: list[Record] = []
    for i in range(rows):
        score: object = None if i % 97 == 0 else float(s[i])
        if name == "b/c.json" and 1000 <= i < 2000 and not logit:
            score = round(float(s[i]))
        record: Record = {"prob_class_1": score, "label": _label(float(y[i]), i, name),
                          "row_id": i, "segment": str(rng.choice(["x", "y, z", ""]))}
        if i % 83:
            record["w"] = float(weights[i])
        records.append(record)
    return records


def _files(folder: str, edit: Optional[Edit] = None, logit: bool = False,
           array: bool = False) -> str:
    """JSON-lines files (``.jsonl``, and ``.json`` holding lines, or with ``array`` an array
    laid out over lines) of :func:`_records`, edited by ``edit`` (name, records) before being
    written, a blank line among them."""
    for i, (name, rows) in enumerate(SIZES):
        records = _records(name, rows, 20 + i, logit)
        if edit is not None:
            edit(name, records)
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if array and name.endswith(".json"):
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(records, handle, indent=1)
            continue
        lines = [json.dumps(r) for r in records]
        lines.insert(len(lines) // 2, "")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return folder


def _assert_same(ours: Mapping[str, str], theirs: Mapping[str, str]) -> None:
    """Equal outputs (weight sums summed chunk by chunk: 1e-12 relative), the calibrated files
    byte for byte."""
    assert_same_json(ours, theirs)
    for name, _ in SIZES:
        texts = []
        for out in (ours, theirs):
            with open(os.path.join(out[DATA_OUT], name), "rb") as handle:
                texts.append(handle.read())
        assert texts[0] == texts[1]


@pytest.mark.parametrize("env, logit, array", [
    ({"CALIBRATION_METHOD": "gam"}, False, False),
    ({"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w"}, False, False),
    ({"CALIBRATION_METHOD": "beta", "NEGATIVE_SAMPLING_RATE": "0.25", "WEIGHT_FIELD": "w"},
     False, False),
    ({"CALIBRATION_METHOD": "gam", "SCORE_SPACE": "logit"}, True, False),
    ({"CALIBRATION_METHOD": "gam"}, False, True),
    ({"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w"}, False, True),
], ids=["gam", "platt-weighted", "beta-weighted-sampled", "gam-logit", "gam-array",
        "platt-weighted-array"])
def test_a_streamed_json_lines_run_equals_the_run_holding_the_rows(
        tmp_path: str, env: dict[str, str], logit: bool, array: bool,
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"), logit=logit, array=array)
    held = _run(data, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run(data, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    _assert_same(streamed, held)


def test_the_test_files_mix_the_kinds_of_their_chunks(tmp_path: str) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    kinds = [[chunk[column].dtype.kind for chunk in pd.read_json(
        os.path.join(data, name), lines=True, dtype=False, chunksize=1000)]
        for name, column in (("a.jsonl", "label"), ("b/c.json", "prob_class_1"),
                             ("e.jsonl", "label"))]
    assert kinds == [["f", "f", "f"], ["f", "i", "f", "f"], ["O", "O", "O"]]
    whole = pd.read_json(os.path.join(data, "b/c.json"), lines=True)
    assert whole["prob_class_1"].dtype.kind == "f"  # the whole file's column: floats


def test_a_multitask_json_lines_run_streamed_equals_the_run_holding_the_rows(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def second_task(name: str, records: list[Record]) -> None:
        scores = [r["prob_class_1"] for r in records][::-1]
        for record, score in zip(records, scores):
            record["s2"] = score

    data = _files(os.path.join(tmp_path, "data"), second_task)
    env = {"CALIBRATION_METHOD": "gam", "SCORE_FIELDS": '["prob_class_1", "s2"]',
           "TASK_LABEL_NAMES": '["label", "label"]', "WEIGHT_FIELD": "w"}
    held = _run(data, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run(data, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    _assert_same(streamed, held)


@pytest.mark.parametrize("edit", [
    lambda name, records: records[2100].update(label="1") if name == "e.jsonl" else None,
    lambda name, records: records[1500].update(label=1) if name == "e.jsonl" else None,
    lambda name, records: records[1200].update(prob_class_1="0.5") if name == "d.jsonl"
    else None,
], ids=["text-label", "boolean-then-number-labels", "text-score"])
def test_a_chunk_the_whole_read_may_parse_otherwise_leaves_the_job_to_the_run_holding_the_rows(
        tmp_path: str, edit: Edit, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]
) -> None:
    data = _files(os.path.join(tmp_path, "data"), edit)
    held = _run(data, os.path.join(tmp_path, "held"), {}, False, monkeypatch)
    fallen_back = _run(data, os.path.join(tmp_path, "streamed"), {}, True, monkeypatch,
                       expect_streamed=False)
    _assert_same(fallen_back, held)


def _rewrite_line(path: str, index: int, text: str) -> None:
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    lines[index] = text
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def test_a_malformed_line_fails_as_when_the_rows_are_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    _rewrite_line(os.path.join(data, "d.jsonl"), 1300, '{"prob_class_1": 0.5, "label": ')
    _assert_fails_as_held(data, tmp_path, monkeypatch,
                          r"MC-E203-READ-FAILED: cannot read d\.jsonl as jsonl")


def test_a_repeated_key_fails_as_when_the_rows_are_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    _rewrite_line(os.path.join(data, "b/c.json"), 2900,
                  '{"prob_class_1": 0.5, "label": 1, "label": 0}')
    _assert_fails_as_held(data, tmp_path, monkeypatch,
                          r"MC-E204-SCHEMA-MISMATCH: c\.json repeats the column names \['label'\]")


def test_an_invalid_label_in_a_later_chunk_fails_as_when_the_rows_are_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def bad_label(name: str, records: list[Record]) -> None:
        if name == "d.jsonl":
            records[1200]["label"] = 2.0
    data = _files(os.path.join(tmp_path, "data"), bad_label)
    _assert_fails_as_held(data, tmp_path, monkeypatch,
                          "MC-E208-INVALID-LABEL: column 'label' holds non-binary labels")


@pytest.mark.parametrize("edit, match", [
    (lambda text: text[:-40], r"MC-E203-READ-FAILED: cannot read c\.json as json"),
    (lambda text: text + "x", r"MC-E203-READ-FAILED: cannot read c\.json as json"),
    (lambda text: text[:-1] + ", 3]", r"MC-E203-READ-FAILED: cannot read c\.json as json"),
    (lambda text: text.replace('"label": ', '"label": 1, "label": ', 1),
     r"MC-E204-SCHEMA-MISMATCH: c\.json repeats the column names \['label'\]"),
], ids=["truncated", "trailing-text", "number-element", "repeated-key"])
def test_a_malformed_json_array_fails_as_when_the_rows_are_held(
        tmp_path: str, edit: Callable[[str], str], match: str,
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"), array=True)
    path = os.path.join(data, "b/c.json")
    with open(path, encoding="utf-8") as handle:
        text = edit(handle.read())
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    _assert_fails_as_held(data, tmp_path, monkeypatch, match)


def test_a_date_like_fitting_column_is_never_streamed(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def date_like_weights(name: str, records: list[Record]) -> None:
        for record in records:
            if "w" in record:
                record["weight_at"] = record.pop("w")

    dated = _files(os.path.join(tmp_path, "dated"), date_like_weights)
    _run(dated, os.path.join(tmp_path, "weighted"), {"WEIGHT_FIELD": "weight_at"}, True,
         monkeypatch, expect_streamed=False)


def test_the_scan_gives_the_names_and_rows_of_the_whole_read(tmp_path: str) -> None:
    cases = {"keys.jsonl": ['{"b": 1, "a": 2}', "", '{"c": 3, "a": 1.5}', '{"a": null}'],
             "numbers.jsonl": ['{"1": 0.5, "2": 1}', '{"10": 0.25}'],
             "mixed.jsonl": ['{"1": 0.5, "x": 1}', '{"01": 0.25}']}
    for name, lines in cases.items():
        path = os.path.join(tmp_path, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)  # no pandas deprecation in a job's log
            _, _, names, rows = read_frame(path, "jsonl", [])
            _, _, whole_names, whole_rows = read_frame(path, "jsonl")
        assert (names, rows) == (whole_names, whole_rows)
    assert read_frame(os.path.join(tmp_path, "keys.jsonl"), "jsonl", [])[2:] == (
        ["b", "a", "c"], 3)


def test_json_lines_are_written_in_chunks_when_their_types_are_the_whole_reads(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    """``a.jsonl``'s row ids are integers in every chunk: written in chunks; ``b/c.json``'s
    are floats in one chunk only (the whole read makes them floats): written from the whole
    read; both as the run holding the rows writes them."""
    def float_ids(name: str, records: list[Record]) -> None:
        if name == "b/c.json":
            for record in records[1400:2100]:
                record["row_id"] = float(str(record["row_id"])) + 0.5

    data = _files(os.path.join(tmp_path, "data"), float_ids)
    held = _run(data, os.path.join(tmp_path, "held"), {}, False, monkeypatch)
    monkeypatch.setattr(limits, "WRITE_CHUNK_ROWS", 700)
    read_whole: list[str] = []
    whole = reading.read_frame

    def recording(path: str, fmt: str, fields: object = None) -> object:
        read_whole.append(os.path.basename(path))
        return whole(path, fmt, fields)  # type: ignore[arg-type]

    monkeypatch.setattr(writing, "read_frame", recording)
    streamed = _run(data, os.path.join(tmp_path, "streamed"), {}, True, monkeypatch)
    _assert_same(streamed, held)
    assert read_whole == ["c.json"]
    with open(os.path.join(streamed[DATA_OUT], "a.jsonl"), encoding="utf-8") as handle:
        assert '"row_id": 2499, ' in handle.read()


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "held"])
def test_a_run_reading_json_lines_through_arrow_gives_the_outputs_of_one_without_it(
        tmp_path: str, streamed: bool, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]
) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    env = {"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w"}
    with_arrow = _run(data, os.path.join(tmp_path, "arrow"), env, streamed, monkeypatch)
    for module in (jsonchunks, textbatches, jsonwriter):  # every chunk left to Python, pandas
        monkeypatch.setattr(module, "arrow_table", lambda chunk: None)
    without = _run(data, os.path.join(tmp_path, "python"), env, streamed, monkeypatch)
    _assert_same(with_arrow, without)
