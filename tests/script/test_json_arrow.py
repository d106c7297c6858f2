"""JSON lines read and written through Arrow's parse (``jsonchunks``, ``jsonwriter``) give what
Python's ``json`` and pandas give: the duplicate-key scan's names, rows and errors, the streamed
passes' columns, and the calibrated file byte for byte; whatever Arrow may read otherwise is
left to them (a file or a chunk at a time), and still gives their result.
"""

from __future__ import annotations

import json
import os
import random
import struct
from collections.abc import Callable
from typing import Optional

import numpy as np
import pandas as pd
import pytest

from calibration_step.script.model_calibration import jsonchunks, limits, textbatches, writing
from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.model_calibration.jsonchunks import (arrow_table, json_lines_keys,
                                                                  line_chunks)
from calibration_step.script.model_calibration.jsonwriter import write_json_lines_arrow
from calibration_step.script.model_calibration.reading import (Shard, _json_scan, read_files,
                                                               read_frame)

Record = dict[str, object]
KINDS = ("float", "int", "int_missing", "integral", "boolean", "boolean_missing", "text",
         "text_missing", "null", "mixed_numbers")


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "JSON_CHUNK_RECORDS", 64)


def _float(rng: random.Random) -> float:
    """Floats of every magnitude: random bits (finite), integral, at repr's thresholds."""
    pick = rng.random()
    if pick < 0.3:  # random bits, but no tiny value (pandas' reader fails on a subnormal)
        value = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        return value if np.isfinite(value) and abs(value) > 1e-99 else 0.5
    if pick < 0.5:
        return float(rng.randint(-5, 5))
    if pick < 0.7:
        return rng.choice([1e-5, 1e16, 1e-4, 9.999e15, 1e10, 0.1, -0.0, 1e-99, 2.0 ** 63,
                           1.7976931348623157e308, 123456789012345678.0])
    return rng.random() * 10.0 ** rng.randint(-30, 30)


def _text(rng: random.Random) -> str:
    alphabet = ["a", "b", "x", "é", "\u2028", "\n", '"', "\\", "/", "\x7f", "\x01", "😀", " ",
                "1", "e"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))


def _value(kind: str, rng: random.Random) -> object:
    choices: dict[str, Callable[[], object]] = {
        "float": lambda: _float(rng),
        "int": lambda: rng.randint(-2 ** 63, 2 ** 63 - 1) if rng.random() < 0.3 else
        rng.randint(-9, 9),
        "int_missing": lambda: rng.choice([None, rng.randint(-100, 100)]),
        "integral": lambda: float(rng.randint(-100, 100)),
        "boolean": lambda: rng.random() < 0.5,
        "boolean_missing": lambda: rng.choice([True, False, None]),
        "text": lambda: _text(rng),
        "text_missing": lambda: rng.choice([None, _text(rng)]),
        "null": lambda: None,
        "mixed_numbers": lambda: rng.choice([1, 2.5, 3.0]),
    }
    return choices[kind]()


def _random_file(folder: str, seed: int) -> tuple[str, list[str]]:
    """A JSON-lines file of random records (a score ``s`` and columns of random kinds, keys
    missing from some records, a blank line now and then), written by ``json.dumps`` with or
    without spaces and escapes."""
    rng = random.Random(seed)
    kinds = ["float"] + [rng.choice(KINDS) for _ in range(rng.randint(1, 5))]
    lines = []
    for _ in range(rng.randint(1, 300)):
        record: Record = {}
        for i, kind in enumerate(kinds):
            if kind.endswith(("missing", "null")) and rng.random() < 0.1:
                continue
            record[f"c{i}" if i else "s"] = _value(kind, rng)
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5,
                                separators=rng.choice([(", ", ": "), (",", ":")])))
        if rng.random() < 0.02:
            lines.append(rng.choice(["", "  ", "\t\r"]))
    path = os.path.join(folder, f"f{seed}.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path, kinds


def _calibrated(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"calibrated_s": np.tanh(np.asarray(frame["s"], dtype=np.float64) * 1e-300)}


def _shard(path: str) -> Shard:
    return read_files([(path, os.path.basename(path), "jsonl")], [])[0]


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def test_the_arrow_writer_writes_the_bytes_of_the_per_record_writer(tmp_path: str) -> None:
    used = 0
    for seed in range(120):
        path, kinds = _random_file(str(tmp_path), seed)
        shard = _shard(path)
        ours = write_json_lines_arrow(shard, path + ".ours", _calibrated, ["s"])
        theirs = writing._write_json_lines_shard(shard, path + ".theirs", _calibrated)
        if ours is None:
            continue
        used += 1
        assert ours == theirs == shard.rows, kinds
        assert _read(path + ".ours") == _read(path + ".theirs"), kinds
    assert used >= 30  # most files of these kinds are Arrow's to write


@pytest.mark.parametrize("records", [
    [{"s": 0.5, "n": 1.0}, {"s": 0.25, "n": 2.0}],  # integral floats: integers
    [{"s": 0.5, "n": 1}, {"s": 0.25, "n": None}],  # integers with a null: floats
    [{"s": 0.5, "b": True}, {"s": 0.25}],  # booleans with a missing value: 1.0, 0.0
    [{"s": 0.5, "z": None}, {"s": 0.25, "z": None}],  # only nulls
    [{"s": 0.5, "t": "caf\u00e9 \"q\" \\ \u2028 \x7f \U0001f600"}, {"s": 1, "t": None}],
    [{"s": 0.5, "calibrated_s": "old", "k\u00e9y \"q\"": 1}, {"s": 0.75,
                                                             "calibrated_s": "x",
                                                             "k\u00e9y \"q\"": 2}],
    [{"s": 1e16, "x": 1e-05}, {"s": 123456789.125, "x": -0.0}],
], ids=["integral", "int-null", "boolean-missing", "nulls", "escapes", "replaced-column",
        "repr-thresholds"])
def test_each_kind_is_written_as_the_per_record_writer_writes_it(
        tmp_path: str, records: list[Record]) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    shard = _shard(path)
    assert write_json_lines_arrow(shard, path + ".ours", _calibrated, ["s"]) == len(records)
    assert writing._write_json_lines_shard(shard, path + ".theirs", _calibrated) is not None
    assert _read(path + ".ours") == _read(path + ".theirs")


def _lines(records: list[str]) -> str:
    return "\n".join(records) + "\n"


@pytest.mark.parametrize("text", [
    _lines(['{"s": 0.5, "id": "1"}', '{"s": 0.25, "id": "2"}']),  # text pandas reads as numbers
    _lines(['{"s": 0.5, "created_at": 1}', '{"s": 0.25, "created_at": 2}']),  # a date's name
    _lines(['{"s": 0.5, "n": [1, 2]}', '{"s": 0.25, "n": [3]}']),  # a nested value
    _lines(['{"s": 5e-324}', '{"s": 0.25}']),  # a subnormal: pandas' reader fails
    _lines(['{"s": 0.5, "n": 1.0}'] * 64 + ['{"s": 0.25, "n": 1.5}']),  # a kind changes
    _lines(['{"s": 0.5, "n": 1}'] * 64 + ['{"s": 0.25}']),  # a chunk lacks a column
    _lines(['{"s": 0.5, "n": "x"}', '{"s": 0.25, "n": 2}']),  # a column of two kinds
    _lines(['{"s": 0.5, "n": 9223372036854775808}', '{"s": 0.25, "n": 1}']),  # beyond int64
    '{"s": 0.5}\r{"s": 0.25}\n',  # a lone carriage return
], ids=["numeric-text", "date-name", "nested", "subnormal", "kind-changes",
        "chunk-lacks-column", "two-kinds", "big-integer", "carriage-return"])
def test_a_file_arrow_may_read_otherwise_is_written_as_before(tmp_path: str, text: str) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    shard = _shard(path)
    assert write_json_lines_arrow(shard, path + ".ours", _calibrated, ["s"]) is None
    theirs = writing._write_json_lines_shard(shard, path + ".theirs", _calibrated)
    if theirs is None:  # written from the whole read, or its error
        try:
            frame = read_frame(path, "jsonl")[0]
        except CalibrationScriptError as exc:
            with pytest.raises(CalibrationScriptError, match=str(exc.code)):
                writing.write_calibrated_shard(shard, path + ".out", _calibrated, ["s"])
            return
        writing.write_frame(frame.assign(**_calibrated(frame)), path + ".theirs", "jsonl", False)
    written = writing.write_calibrated_shard(shard, path + ".out", _calibrated, ["s"])
    assert written == shard.rows
    assert _read(path + ".out") == _read(path + ".theirs")


def test_a_file_whose_keys_are_all_numbers_is_written_as_before(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"1": 0.5, "02": 1}\n')

    def never(frame: pd.DataFrame) -> dict[str, np.ndarray]:
        raise AssertionError("not called")

    shard = _shard(path)
    assert shard.columns == ("1", "2")  # pandas' names
    assert write_json_lines_arrow(shard, path + ".ours", never, ["1"]) is None


def _python_scan(path: str) -> tuple[list[str], int]:
    keys: dict[str, None] = {}

    def collect(batch: list[object]) -> None:
        for record in batch:
            assert isinstance(record, tuple)
            keys.update((key, None) for key, _ in record)

    duplicates, records = _json_scan(path, False, collect)
    assert not duplicates
    return list(keys), records


def test_the_keys_and_records_of_arrow_s_scan_are_python_s(tmp_path: str) -> None:
    used = 0
    for seed in range(40):
        path, _ = _random_file(str(tmp_path), seed)
        ours = json_lines_keys(path, 64)
        if ours is not None:  # else: read by Python's scan (an integer and a float that large)
            used += 1
            assert ours == _python_scan(path)
    assert used >= 20


@pytest.mark.parametrize("text, code", [
    ('{"s": 0.5, "s": 1}\n', "MC-E204"),  # a repeated key
    ('{"s": 0.5, "n": {"a": 1, "a": 2}}\n', "MC-E204"),  # repeated in a nested object
    ('{"s": 0.5} {"s": 1}\n', "MC-E203"),  # two records on a line
    ('{"s": Inf}\n', "MC-E203"),  # Arrow reads Inf, Python does not
    ('\ufeff{"s": 0.5}\n', "MC-E203"),  # a byte-order mark
    ('{"s": [1, Inf]}\n', "MC-E203"),  # nested
    ('{"s": 0.5,}\n', "MC-E203"),  # malformed
])
def test_what_arrow_reads_otherwise_fails_as_python_s_scan_says(
        tmp_path: str, text: str, code: str) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"s": 0.25}\n' * 100 + text)
    assert json_lines_keys(path, 64) is None
    fields: Optional[list[str]]
    for fields in ([], None):  # the scan for the names and rows, or the whole read
        with pytest.raises(CalibrationScriptError, match=code):
            read_frame(path, "jsonl", fields)


def test_a_file_arrow_reads_otherwise_is_scanned_by_python(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"s": 0.25, "n": [1]}\n{"s": NaN, "m": 2}\n')
    assert json_lines_keys(path, 64) is None
    assert read_frame(path, "jsonl", [])[2:] == (["s", "n", "m"], 2)


@pytest.mark.parametrize("block", [7, 64, 1 << 24])
def test_line_chunks_cut_after_every_nth_line_end(tmp_path: str, block: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonchunks, "_READ_BYTES", block)
    path = os.path.join(tmp_path, "a.jsonl")
    text = "".join(f'{{"i": {i}}}\n' for i in range(1000)) + '{"i": 1000}'
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    chunks = list(line_chunks(path, 300))
    assert [c.count(b"\n") for c in chunks] == [300, 300, 300, 100]
    assert b"".join(chunks).decode() == text


def _chunk(seed: int) -> bytes:
    rng = random.Random(seed)
    kinds = [rng.choice(["float", "int", "boolean", "text", "null"]) for _ in range(3)]
    lines = []
    for _ in range(rng.randint(1, 50)):
        record: Record = {f"f{i}": None if rng.random() < 0.1 else _value(kind, rng)
                          for i, kind in enumerate(kinds) if rng.random() > 0.1}
        lines.append(json.dumps(record))
    return _lines(lines).encode()


def test_the_streamed_passes_columns_from_arrow_are_pandas(tmp_path: str) -> None:
    fields = ["f0", "f1", "f2"]
    used = 0
    for seed in range(200):
        chunk = _chunk(seed)
        ours = textbatches._arrow_columns(arrow_table(chunk), fields)
        theirs = textbatches._pandas_columns(chunk, fields)
        if ours is None:
            continue
        used += 1
        assert ours[0] == theirs[0] and ours[1].keys() == theirs[1].keys()
        for name, (kind, series) in ours[1].items():
            assert kind == theirs[1][name][0]
            if kind in ("number", "boolean"):
                expected = theirs[1][name][1]
                assert series.dtype == expected.dtype
                assert series.reset_index(drop=True).equals(expected.reset_index(drop=True))
    assert used >= 150


def _pass(path: str, fields: list[str]) -> list[dict[str, list[object]]]:
    shard = Shard("a.jsonl", "jsonl", path, tuple(fields), 0, 0)
    return [{k: v.tolist() for k, v in batch.items()}
            for batch in textbatches.json_lines_batches(shard, fields)]


def test_a_chunk_arrow_refuses_is_read_by_pandas(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8") as handle:  # "id" mixes kinds in the second chunk
        handle.write(_lines([f'{{"s": {i / 200}, "y": {i % 2}, "id": {i}}}' for i in range(64)]
                            + ['{"s": 0.5, "y": 1, "id": "x"}']))
    assert _pass(path, ["s", "y"])[1] == {"s": [0.5], "y": [1]}


def test_a_lone_carriage_return_is_not_streamed(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write('{"s": 0.5, "y": 1}\r{"s": 0.25, "y": 0}\n')
    with pytest.raises(CalibrationScriptError, match="MC-E203.*carriage return"):
        _pass(path, ["s", "y"])


def _arrow_reads(text: str) -> Optional[list[Record]]:
    table = arrow_table(text.encode())
    return None if table is None else list(table.to_pylist())


@pytest.mark.parametrize("text", ['null\n{"s": 1}\n', '{"s": 1}\n  null\n', '\n\nnull\n',
                                  " " * 40 + 'null\n{"s": 1}\n'])
def test_a_line_null_is_left_to_python(text: str, tmp_path: str) -> None:
    # Arrow reads it as a record of nulls, and crashes on one before any record
    assert _arrow_reads(text) is None
    path = os.path.join(tmp_path, "a.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    assert json_lines_keys(path, 64) is None


def test_arrow_reads_large_floats_but_no_integer_beyond_int64() -> None:
    assert _arrow_reads('{"s": 1e300}\n{"s": 1.5e19}\n') == [{"s": 1e300}, {"s": 1.5e19}]
    assert _arrow_reads('{"s": 1e300}\n{"s": 15000000000000000000}\n') is None
    assert _arrow_reads('{"s": -9223372036854775809}\n') is None
