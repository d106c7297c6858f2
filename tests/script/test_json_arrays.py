"""A JSON array of records read and written in chunks (``jsonarrays``, and the JSON-lines
machinery it feeds) gives what the whole-file read and write give: the scan's lines are the
array's records, for every layout and block boundary; the names and rows, the calibrated file
byte for byte, and for a malformed file the same error.
"""

from __future__ import annotations

import json
import os
import random
from typing import Optional

import numpy as np
import pandas as pd
import pytest

from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.model_calibration import jsonarrays, limits, writing
from calibration_step.script.model_calibration.jsonarrays import ArrayLayoutError, array_lines
from calibration_step.script.model_calibration.jsonchunks import json_lines_keys, record_chunks
from calibration_step.script.model_calibration.jsonwriter import write_json_lines_arrow
from calibration_step.script.model_calibration.reading import Shard, read_files, read_frame
from tests.script.test_json_arrow import _calibrated, _random_file, _read

Record = dict[str, object]


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "JSON_CHUNK_RECORDS", 64)


def _value(rng: random.Random, depth: int = 0) -> object:
    """Values whose text holds every character the scan looks at, in and out of strings."""
    pick = rng.random()
    if depth < 2 and pick < 0.15:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2 and pick < 0.3:
        return {rng.choice(["a", "b", '\\"]', "{"]): _value(rng, depth + 1)
                for _ in range(rng.randint(0, 3))}
    if pick < 0.6:
        return "".join(rng.choice(['\\', '"', ",", "]", "}", "[", "{", "x", "\n", "\u00e9"])
                       for _ in range(rng.randint(0, 6)))
    return rng.choice([1, 2.5, None, True, -0.0])


def _array_text(rng: random.Random) -> bytes:
    records = [{key: _value(rng) for key in rng.sample(["s", "t", "u"], rng.randint(0, 3))}
               for _ in range(rng.randint(0, 8))]
    text = json.dumps(records, indent=rng.choice([None, 0, 2]),
                      ensure_ascii=rng.random() < 0.5,
                      separators=rng.choice([(", ", ": "), (",", ":"), (" ,\r\n", ":")]))
    return (rng.choice(["", " \n", "\t"]) + text + rng.choice(["", "\r\n", " "])).encode()


def _mutated(data: bytes, rng: random.Random) -> bytes:
    """``data`` cut short, or with one byte replaced or inserted."""
    at = rng.randrange(len(data) + 1)
    if rng.random() < 0.3:
        return data[:at]
    byte = rng.choice([b",", b"]", b"[", b"{", b"}", b'"', b"\\", b"3", b" ", b"\n", b"\x0c"])
    return data[:at] + byte + data[at + rng.randint(0, 1):]


def _python_records(data: bytes) -> Optional[list[object]]:
    """The records of the file as Python's ``json`` reads it (None: no array of objects)."""
    try:
        value = json.loads(data.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        return None
    return value


def _scanned(path: str) -> Optional[list[object]]:
    """The records of the scan's lines (None: the scan refused the file)."""
    try:
        text = b"".join(array_lines(path))
    except ArrayLayoutError:
        return None
    assert b"\r" not in text
    lines = [line for line in text.split(b"\n") if line.strip()]
    assert text.strip() == b"" or text.endswith(b"\n")
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("block, files", [(1, 100), (2, 100), (3, 100), (5, 400), (64, 400),
                                          (1 << 21, 400)])
def test_the_scan_s_lines_are_the_array_s_records(
        tmp_path: str, block: int, files: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # blocks of 1-3 bytes cut every file at every byte (or every second, third): 100 files of
    # a few hundred bytes hold each state at a block end many times, at a fraction of the cost
    monkeypatch.setattr(jsonarrays, "_BLOCK_BYTES", block)
    path = os.path.join(tmp_path, "a.json")
    rng = random.Random(block)
    refused = accepted = 0
    for _ in range(files):
        data = _array_text(rng)
        if rng.random() < 0.5:
            data = _mutated(data, rng)
        with open(path, "wb") as handle:
            handle.write(data)
        expected = _python_records(data)
        try:
            got = _scanned(path)
        except ValueError:  # a line that is no JSON: the file is none either
            assert expected is None, data
            continue
        if got is None:
            assert expected is None, data  # every valid array of records is scanned
            refused += 1
        else:
            assert got == expected, data  # (a file no JSON array: a line fails its parse)
            accepted += 1
    assert refused >= files // 8 and accepted >= files * 3 // 8


@pytest.mark.parametrize("text, why", [
    (b'[{"s": 1}', "not closed"),
    (b'[{"s": 1}] x', "outside"),
    (b'[{"s": 1}] []', "commas"),
    (b'[{"s": 1}, 2]', "outside"),
    (b'[{"s": 1}, [{"s": 2}]]', "no object"),
    (b'[{"s": 1},, {"s": 2}]', "single commas"),
    (b'[{"s": 1} {"s": 2}]', "single commas"),
    (b'[{"s": 1},]', "single commas"),
    (b'[{"s": "a\nb"}]', "line end"),
    (b'\xef\xbb\xbf[{"s": 1}]', "outside"),
    (b'\x0c[{"s": 1}]', "outside"),
    (b'[{"s": 1}}]', "did not open"),
    (b'[{"s": "x\\"}]', "not closed"),
])
def test_a_file_no_array_of_records_is_refused(tmp_path: str, text: bytes, why: str) -> None:
    path = os.path.join(tmp_path, "a.json")
    with open(path, "wb") as handle:
        handle.write(text)
    with pytest.raises(ArrayLayoutError, match=why):
        b"".join(array_lines(path))


def test_record_chunks_cut_the_records_across_blocks(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonarrays, "_BLOCK_BYTES", 7)
    path = os.path.join(tmp_path, "a.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([{"i": i, "t": f"\\\",[{i}"} for i in range(1000)], handle, indent=1)
    chunks = list(record_chunks(path, 300, True))
    assert [c.count(b"\n") for c in chunks] == [300, 300, 300, 100]
    records = [json.loads(line) for c in chunks for line in c.splitlines()]
    assert records == [{"i": i, "t": f"\\\",[{i}"} for i in range(1000)]


def _array_file(folder: str, seed: int) -> str:
    """The records of a random JSON-lines file of every kind of column, as an array laid out
    at random."""
    lines_path, _ = _random_file(folder, seed)
    with open(lines_path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    rng = random.Random(seed)
    path = os.path.join(folder, f"f{seed}.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(rng.choice(["", "\n "]))
        json.dump(records, handle, indent=rng.choice([None, 1]), ensure_ascii=rng.random() < 0.5)
    return path


def _shard(path: str) -> Shard:
    return read_files([(path, os.path.basename(path), "json")], [])[0]


def _whole_write(path: str, target: str) -> None:
    """The calibrated array as the whole read and write give it."""
    frame = read_frame(path, "json")[0]
    writing.write_frame(frame.assign(**_calibrated(frame)), target, "json", True)


def test_the_names_rows_and_calibrated_file_are_the_whole_read_s(tmp_path: str) -> None:
    scanned = written = 0
    for seed in range(80):
        path = _array_file(str(tmp_path), seed)
        whole = read_frame(path, "json")
        assert whole[1]
        shard = _shard(path)
        assert shard.json_array and (list(shard.columns), shard.rows) == (whole[2], whole[3])
        scanned += json_lines_keys(path, 64, True) is not None
        _whole_write(path, path + ".theirs")
        ours = write_json_lines_arrow(shard, path + ".arrow", _calibrated, ["s"])
        written += ours is not None
        assert writing.write_calibrated_shard(shard, path + ".ours", _calibrated, ["s"]) == \
            whole[3]
        assert _read(path + ".ours") == _read(path + ".theirs")
    assert scanned >= 40 and written >= 20  # most files are Arrow's to scan and write


@pytest.mark.parametrize("records", [
    [{"s": 0.5, "n": 1.0}, {"s": 0.25, "n": 2.0}],
    [{"s": 0.5, "b": True}, {"s": 0.25}],
    [{"s": 0.5, "t": "caf\u00e9 \"q\" \\ \u2028 [x], {y}"}, {"s": 1, "t": None}],
], ids=["integral", "boolean-missing", "escapes"])
def test_a_chunked_array_is_written_as_json_dump_writes_it(
        tmp_path: str, records: list[Record]) -> None:
    path = os.path.join(tmp_path, "a.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(records * 100, handle, indent=2)
    shard = _shard(path)
    assert write_json_lines_arrow(shard, path + ".ours", _calibrated, ["s"]) == 200
    _whole_write(path, path + ".theirs")
    assert _read(path + ".ours") == _read(path + ".theirs")
    assert json.loads(_read(path + ".ours"))[199]["calibrated_s"] is not None


@pytest.mark.parametrize("text", [
    '[{"s": 0.5}, {"s": 0.25}',  # truncated
    '[{"s": 0.5}] {"s": 1}',  # trailing text
    '[{"s": 0.5}, 3]',  # an element that is no object
    '[{"s": 0.5}, null]',
    '[{"s": 0.5, "s": 1}]',  # a repeated key
    '[{"s": 0.5, "n": {"a": 1, "a": 2}}]',
    '[{"s": 0.5}, {"s": Inf}]',
    '[{"s": 0.5,}]',
    '[{"s": "a\nb"}]',
    '[]',
    '[{}]',
    '[{"s": 0.5}]]',
], ids=["truncated", "trailing", "number-element", "null-element", "repeated-key",
        "repeated-nested-key", "inf", "malformed-record", "line-end-in-string", "empty",
        "no-key", "extra-bracket"])
def test_a_malformed_array_fails_as_the_whole_read_says(tmp_path: str, text: str) -> None:
    path = os.path.join(tmp_path, "a.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('[{"s": 0.25},\n' + text[1:] if text.startswith("[{") else text)
    outcomes: list[tuple[object, ...]] = []
    fields: Optional[list[str]]
    for fields in (None, []):  # the whole read as before, the scan for names and rows
        try:
            frame, array, names, rows = read_frame(path, "json", fields)
            outcomes.append(("read", array, names, rows))
        except CalibrationScriptError as exc:
            outcomes.append(("failed", str(exc), "", 0))
    assert outcomes[0] == outcomes[1]


def test_a_file_arrow_does_not_read_is_read_whole(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([{"s": 0.25, "n": [1]}, {"s": 0.5, "m": 2}], handle)
    assert json_lines_keys(path, 64, True) is None
    assert read_frame(path, "json", [])[1:] == (True, ["s", "n", "m"], 2)
    shard = _shard(path)
    assert write_json_lines_arrow(shard, path + ".ours", _calibrated, ["s"]) is None
    writing.write_calibrated_shard(shard, path + ".ours", _calibrated, ["s"])
    _whole_write(path, path + ".theirs")
    assert _read(path + ".ours") == _read(path + ".theirs")


def test_the_calibrated_array_of_no_arrow_chunk_is_the_whole_write(tmp_path: str) -> None:
    """A kind that changes between chunks (floats in a later one): the whole write."""
    path = os.path.join(tmp_path, "a.json")
    records: list[Record] = [{"s": 0.5, "n": 1.0} for _ in range(64)]
    records.append({"s": 0.25, "n": 1.5})
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(records, handle)
    shard = _shard(path)
    assert write_json_lines_arrow(shard, path + ".ours", _calibrated, ["s"]) is None
    writing.write_calibrated_shard(shard, path + ".ours", _calibrated, ["s"])
    _whole_write(path, path + ".theirs")
    assert _read(path + ".ours") == _read(path + ".theirs")
    assert pd.read_json(path + ".ours")["n"].dtype == np.float64
