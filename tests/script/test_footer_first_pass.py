"""A streamed run's first pass takes a file's score extremes from its parquet footer
(``footers.score_range``) and reads only its labels; the fitted calibrators, metrics and
calibrated data are those of the first pass reading every score, on files with and without
statistics, with NaN scores the footer does not count, saturated scores and missing labels.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Optional

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs
import pytest

from bench.sharded import without_timings
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE
from calibration_step.script.model_calibration import streaming
from calibration_step.script.model_calibration.footers import score_range
from tests.script.synthetic import read_json, scenario
from tests.script.test_sharded_phases import CAL_OUT, DATA_OUT, EVAL, METRICS_OUT
from tests.script.test_streamed_fit import SIZES, _assert_same, _run, _small_limits

__all__ = ["_small_limits"]  # the autouse fixture: small bins and chunks

MULTITASK = {"SCORE_FIELDS": '["s1", "s2"]', "TASK_LABEL_NAMES": '["y1", "y2"]'}


def _write(folder: str, statistics: bool, nan_score_in: Optional[str] = None,
           saturated_in: Optional[str] = None, missing_label_in: Optional[str] = None) -> str:
    """Two tasks' scores and labels in the ``SIZES`` files, written by pyarrow (NaN stays NaN,
    not null); one file may hold a NaN score, saturated scores or a missing label."""
    for i, (name, rows) in enumerate(SIZES):
        s1, y1, _ = scenario("nonlinear", rows, seed=60 + i)
        s2, y2, _ = scenario("linear", rows, seed=70 + i)
        if name == nan_score_in:
            s1[5::400] = np.nan
        if name == saturated_in:
            s1[::300], s2[3::300] = 0.0, 1.0
        label = pa.array(y1.astype(np.int64))
        if name == missing_label_in:
            label = pa.array(y1.astype(np.int64), mask=np.arange(rows) % 250 == 0)
        table = pa.table({"s1": pa.array(s1), "s2": pa.array(s2), "y1": label,
                          "y2": pa.array(y2.astype(np.int64)), "row_id": np.arange(rows)})
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pq.write_table(table, path, write_statistics=statistics, row_group_size=1000)
    return folder


def _assert_equal(ours: Mapping[str, str], theirs: Mapping[str, str]) -> None:
    """The same calibrator, metrics and calibrated files, to the bit."""
    for key, name in ((CAL_OUT, CALIBRATOR_FILE), (METRICS_OUT, METRICS_FILE)):
        assert without_timings(read_json(os.path.join(ours[key], name))) == \
            without_timings(read_json(os.path.join(theirs[key], name)))
    for name, _ in SIZES:
        pd.testing.assert_frame_equal(pd.read_parquet(os.path.join(ours[DATA_OUT], name)),
                                      pd.read_parquet(os.path.join(theirs[DATA_OUT], name)),
                                      check_exact=True)


@pytest.fixture
def described(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Optional[object]]]:
    """What ``_described_file`` said of each file and task (None: the file was read)."""
    seen: list[Optional[object]] = []
    original = streaming._described_file

    def recording(*args: object, **kwargs: object) -> Optional[tuple[int, float, float]]:
        result = original(*args, **kwargs)  # type: ignore[arg-type]  # passed through
        seen.append(result)
        return result

    monkeypatch.setattr(streaming, "_described_file", recording)
    yield seen


def _without_footers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "score_range", lambda *args: None)


@pytest.mark.parametrize("statistics", [True, False], ids=["statistics", "no-statistics"])
@pytest.mark.parametrize("method", ["gam", "platt", "isotonic"])
def test_the_footer_first_pass_equals_the_full_read(
        tmp_path: str, statistics: bool, method: str, monkeypatch: pytest.MonkeyPatch,
        described: list[Optional[object]], no_plot: list[int]) -> None:
    data = _write(os.path.join(tmp_path, "data"), statistics)
    env = {"CALIBRATION_METHOD": method, **MULTITASK}
    footer = _run({EVAL: data}, os.path.join(tmp_path, "footer"), env, True, monkeypatch)
    assert len(described) == 2 * len(SIZES)
    assert all((d is not None) is statistics for d in described)
    _without_footers(monkeypatch)
    read = _run({EVAL: data}, os.path.join(tmp_path, "read"), env, True, monkeypatch)
    _assert_equal(footer, read)
    if method != "isotonic":  # streamed isotonic fits on the bins
        held = _run({EVAL: data}, os.path.join(tmp_path, "held"), env, False, monkeypatch)
        _assert_same(footer, held)


@pytest.mark.parametrize("case", [
    {"nan_score_in": "d.parquet"}, {"saturated_in": "b/c.parquet"},
    {"missing_label_in": "a.parquet"}], ids=["nan-score", "saturated", "missing-label"])
def test_files_the_footer_cannot_describe_are_read(
        tmp_path: str, case: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        described: list[Optional[object]], no_plot: list[int]) -> None:
    data = _write(os.path.join(tmp_path, "data"), True, **case)
    env = {"CALIBRATION_METHOD": "platt", **MULTITASK}
    footer = _run({EVAL: data}, os.path.join(tmp_path, "footer"), env, True, monkeypatch)
    if "saturated_in" in case or "missing_label_in" in case:
        # The first task's file with saturated scores or a missing label is read.
        assert described[:len(SIZES)].count(None) == 1
    else:
        # The NaN score shows in the second pass: the first passes start again, reading all.
        assert all(d is not None for d in described[:2 * len(SIZES)])
        assert described[2 * len(SIZES):] == []  # no footer on the second start
    metrics = read_json(os.path.join(footer[METRICS_OUT], METRICS_FILE))
    assert "nan_score_in" not in case or "missing_score" in str(metrics)
    _without_footers(monkeypatch)
    read = _run({EVAL: data}, os.path.join(tmp_path, "read"), env, True, monkeypatch)
    _assert_equal(footer, read)
    held = _run({EVAL: data}, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    _assert_same(footer, held)


def test_score_range_reads_only_what_the_footer_promises(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "a.parquet")
    scores = np.linspace(0.1, 0.9, 50)

    def written(column: object, **options: object) -> str:
        pq.write_table(pa.table({"s": column, "y": np.zeros(50, dtype=np.int64)}), path,
                       **options)
        return path

    assert score_range(written(scores, row_group_size=7), "s", "probability", 50) == (0.1, 0.9)
    assert score_range(written(scores.astype(np.float32)), "s", "probability", 50) == \
        (float(np.float32(0.1)), float(np.float32(0.9)))
    assert score_range(written(scores), "s", "probability", 49) is None  # part of the file
    assert score_range(written(scores, write_statistics=False), "s", "probability", 50) is None
    assert score_range(written(pa.array(scores, mask=scores > 0.8)), "s", "probability",
                       50) is None  # nulls
    assert score_range(written(np.r_[scores[:-1], 1.0]), "s", "probability", 50) is None
    assert score_range(written(np.r_[scores[:-1], 1.0]), "s", "logit", 50) == (0.1, 1.0)
    assert score_range(written(np.r_[scores[:-1], np.inf]), "s", "logit", 50) is None
    assert score_range(written(np.arange(50)), "s", "logit", 50) is None  # integers
    assert score_range(path, "y", "logit", 50) is None


def test_a_footer_misstating_the_extremes_is_caught_by_the_second_pass(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        no_plot: list[int]) -> None:
    data = _write(os.path.join(tmp_path, "data"), True)
    env = {"CALIBRATION_METHOD": "gam", **MULTITASK}
    _without_footers(monkeypatch)
    read = _run({EVAL: data}, os.path.join(tmp_path, "read"), env, True, monkeypatch)

    def widened(path: str, field: str, space: str, rows: int) -> Optional[tuple[float, float]]:
        extremes = score_range(path, field, space, rows)
        return None if extremes is None else (extremes[0] / 2.0, extremes[1])

    monkeypatch.setattr(streaming, "score_range", widened)
    with caplog.at_level("INFO"):
        footer = _run({EVAL: data}, os.path.join(tmp_path, "footer"), env, True, monkeypatch)
    assert "its footer says" in caplog.text and "start again" in caplog.text
    _assert_equal(footer, read)
