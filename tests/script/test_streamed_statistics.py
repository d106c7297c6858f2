"""The statistics phase of a sharded run, parsing its files batch by batch where a
single-instance run would stream them, writes the statistics file of the phase that parses
whole files, byte for byte (parquet, csv, JSON lines and JSON arrays; binary and multi-task;
row groups cut across batches and files); a chunk the whole read may parse otherwise, or an
invalid value, leaves the phase to the whole read, which gives its file or its error.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Mapping
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs
import pytest

from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.model_calibration import limits, phases, statistics
from tests.script.synthetic import scenario
from tests.script.test_sharded_phases import CAL_OUT, EVAL, _run
from tests.script.test_streamed_fit import _small_limits

__all__ = ["_small_limits"]  # the autouse fixture: chunks of 1,000 rows
Edit = Callable[[str, pd.DataFrame], None]
FILES = [("a.csv", 2300), ("b/c.parquet", 1700), ("d.jsonl", 1200), ("e.json", 2100)]


@pytest.fixture(autouse=True)
def _few_rows_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "STREAM_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "JSON_CHUNK_RECORDS", 400)


def _files(folder: str, edit: Optional[Edit] = None) -> str:
    """Files of every streamed format with missing scores, labels and weights, two tasks."""
    rng = np.random.default_rng(7)
    for i, (name, rows) in enumerate(FILES):
        s, y, _ = scenario("nonlinear", rows, seed=50 + i)
        s2, y2, _ = scenario("linear", rows, seed=60 + i)
        frame = pd.DataFrame({"prob_class_1": s, "label": y, "w": rng.uniform(0.5, 2.0, rows),
                              "s2": s2, "y2": y2, "row_id": np.arange(rows)})
        frame.loc[frame.index[::97], "prob_class_1"] = np.nan
        frame.loc[frame.index[::89], "label"] = np.nan
        frame.loc[frame.index[::83], "w"] = np.nan
        if edit is not None:
            edit(name, frame)
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if name.endswith(".csv"):
            frame.to_csv(path, index=False)
        elif name.endswith(".parquet"):
            frame.to_parquet(path, index=False)
        else:
            records = [{k: None if isinstance(v, float) and np.isnan(v) else v
                        for k, v in r.items() if not (k == "w" and i and i % 83 == 0)}
                       for i, r in enumerate(frame.to_dict(orient="records"))]
            with open(path, "w", encoding="utf-8") as handle:
                if name.endswith(".json"):
                    json.dump(records, handle, indent=1)
                else:
                    handle.write("".join(json.dumps(r) + "\n" for r in records))
    return folder


def _statistics(data: str, root: str, env: Mapping[str, str], streamed: bool,
                monkeypatch: pytest.MonkeyPatch, expect_streamed: Optional[bool] = None
                ) -> bytes:
    """The bytes of the statistics phase's file, batch by batch or (not ``streamed``) from
    the whole files; ``expect_streamed``: whether the batches wrote it (default
    ``streamed``)."""
    wrote: list[bool] = []
    write = statistics.write_streamed

    def recording(*args: object) -> object:
        result = write(*args)  # type: ignore[arg-type]
        wrote.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(phases, "write_streamed", recording)
        if not streamed:
            patch.setattr(phases, "may_stream", lambda files, settings: False)
        out = _run({EVAL: data}, root, env, "statistics")
    assert any(wrote) == (streamed if expect_streamed is None else expect_streamed)
    [path] = glob.glob(os.path.join(out[CAL_OUT], "statistics-*.parquet"))
    with open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("env", [
    {},
    {"WEIGHT_FIELD": "w", "SCORE_SPACE": "probability"},
    {"SCORE_FIELDS": '["prob_class_1", "s2"]',
     "TASK_LABEL_NAMES": '["label", "y2"]', "WEIGHT_FIELD": "w"},
], ids=["binary", "binary-weighted", "multitask-weighted"])
def test_the_streamed_statistics_file_is_the_whole_read_s(
        tmp_path: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    whole = _statistics(data, os.path.join(tmp_path, "whole"), env, False, monkeypatch)
    streamed = _statistics(data, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    assert streamed == whole
    table = pq.read_table(pa.BufferReader(streamed))
    assert table.num_rows == sum(rows for _, rows in FILES)


def test_row_groups_are_cut_as_write_table_cuts_them(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _files(os.path.join(tmp_path, "data"))
    whole = pq.read_table(pa.BufferReader(
        _statistics(data, os.path.join(tmp_path, "whole"), {}, False, monkeypatch)))
    monkeypatch.setattr(statistics, "ROW_GROUP_ROWS", 1500)  # across batches and files
    streamed = _statistics(data, os.path.join(tmp_path, "streamed"), {}, True, monkeypatch)
    expected = pa.BufferOutputStream()
    pq.write_table(whole, expected, row_group_size=1500)
    assert streamed == expected.getvalue().to_pybytes()
    assert pq.ParquetFile(pa.BufferReader(streamed)).metadata.num_row_groups == 5


def test_row_group_rows_are_write_table_s_default(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.parquet")
    pq.write_table(pa.table({"x": np.zeros(statistics.ROW_GROUP_ROWS + 1)}), path)
    groups = pq.ParquetFile(path).metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [
        statistics.ROW_GROUP_ROWS, 1]


def test_a_chunk_the_whole_read_may_parse_otherwise_is_read_whole(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def text_label(name: str, frame: pd.DataFrame) -> None:
        if name == "a.csv":  # "none" is a missing label; the chunk's column is text
            frame["label"] = frame["label"].astype(object)
            frame.loc[1500, "label"] = "none"
    data = _files(os.path.join(tmp_path, "data"), text_label)
    whole = _statistics(data, os.path.join(tmp_path, "whole"), {}, False, monkeypatch)
    fallen_back = _statistics(data, os.path.join(tmp_path, "streamed"), {}, True, monkeypatch,
                              expect_streamed=False)
    assert fallen_back == whole


@pytest.mark.parametrize("edit, match", [
    (lambda name, frame: frame.loc.__setitem__((1800, "label"), 2.0) if name == "e.json"
     else None, "MC-E208-INVALID-LABEL"),
    (lambda name, frame: frame.loc.__setitem__((1100, "w"), -1.0) if name == "a.csv"
     else None, "MC-E211-INVALID-WEIGHT"),
], ids=["label", "weight"])
def test_an_invalid_value_fails_as_when_the_files_are_read_whole(
        tmp_path: str, edit: Edit, match: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _files(os.path.join(tmp_path, "data"), edit)
    messages = []
    for streamed in (False, True):
        with pytest.raises(CalibrationScriptError, match=match) as caught:
            _statistics(data, os.path.join(tmp_path, str(streamed)), {"WEIGHT_FIELD": "w"},
                        streamed, monkeypatch)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
