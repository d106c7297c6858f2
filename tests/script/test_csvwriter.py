"""The CSV/TSV writer of calibrated shards writes the bytes pandas ``to_csv(index=False)``
writes: every float's text, quoting, missing values and the header; other column types are
left to pandas."""

from __future__ import annotations

import argparse
import datetime
import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import ModelCalibrationInput, ModelCalibrationOutput
from calibration_step.script.model_calibration.csvwriter import to_csv_text, write_csv_frame
from tests.script.synthetic import read_csv_exact

TEXTS = ["a", "b,c", 'd"e', "x\ny", "", "ü é", None, "tab\there", " lead", "trail "]


def _hard_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    quarter = rows // 4
    floats = np.concatenate([
        10.0 ** rng.uniform(-320, 308, quarter) * rng.choice([-1.0, 1.0], quarter),
        10.0 ** rng.uniform(-5, 17, quarter),  # around both switches to exponent form
        rng.random(quarter),
        np.round(rng.random(rows - 3 * quarter) * 1000, 2),
        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e15, 1e16, 9.999999999999999e14, 1e-4, 9.99e-5,
         123.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]])
    n = floats.shape[0]
    with np.errstate(over="ignore"):
        as_float32 = floats.astype(np.float32)
    return pd.DataFrame({
        "score": floats, "f32": as_float32, "n": rng.integers(-10**12, 10**12, n),
        "u8": rng.integers(0, 255, n).astype(np.uint8), "flag": rng.random(n) < 0.5,
        "text": rng.choice(np.array(TEXTS, dtype=object), n),
        "calibrated_score": np.where(rng.random(n) < 0.1, np.nan, rng.random(n))})


@pytest.mark.parametrize("sep", [",", "\t"])
def test_the_text_is_pandas_to_csv_byte_for_byte(sep: str) -> None:
    frame = _hard_frame(40_000, seed=3)
    text = to_csv_text(frame, sep, header=True)
    assert text is not None  # every column here is formatted without pandas
    assert text == frame.to_csv(index=False, sep=sep).encode("utf-8")
    assert to_csv_text(frame, sep, header=False) == \
        frame.to_csv(index=False, sep=sep, header=False).encode("utf-8")


def test_header_names_are_quoted_as_the_csv_module_quotes_them() -> None:
    frame = pd.DataFrame({"a,b": [1.5], 'say "hi"': ["x"], 7: [True]})
    text = to_csv_text(frame, ",", header=True)
    assert text == frame.to_csv(index=False).encode("utf-8")
    assert text.startswith(b'"a,b","say ""hi""",7')


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"when": [datetime.datetime(2024, 1, 2)], "x": [1.0]}),  # a date column
    pd.DataFrame({"mixed": ["a", 3], "x": [1.0, 2.0]}),  # objects that are not all text
    pd.DataFrame({"text": ["a\rb", "c"], "x": [1.0, 2.0]}),  # a carriage return
    pd.DataFrame({"only": [1.0, np.nan]}),  # one column: an empty row would be quoted
    pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [1.0, 2.0]}),  # nullable
    pd.DataFrame({"c": pd.Categorical(["a", "b"]), "x": [1.0, 2.0]}),
    pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])),
    pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]),
], ids=["date", "mixed", "carriage-return", "one-column", "nullable-int", "category",
        "column-levels", "repeated-name"])
def test_other_columns_are_left_to_pandas(frame: pd.DataFrame, tmp_path: str) -> None:
    assert to_csv_text(frame, ",", header=True) is None
    path = os.path.join(tmp_path, "out.csv")
    write_csv_frame(frame, path, ",", first=True)
    write_csv_frame(frame, path, ",", first=False)
    with open(path, encoding="utf-8", newline="") as handle:
        written = handle.read()
    assert written == frame.to_csv(index=False) + frame.to_csv(index=False, header=False)


def test_chunks_append_without_the_header(tmp_path: str) -> None:
    frame = _hard_frame(2_000, seed=5)
    path = os.path.join(tmp_path, "out.tsv")
    write_csv_frame(frame.iloc[:1000], path, "\t", first=True)
    write_csv_frame(frame.iloc[1000:], path, "\t", first=False)
    with open(path, "rb") as handle:
        assert handle.read() == frame.to_csv(index=False, sep="\t").encode("utf-8")
    empty = frame.iloc[:0]
    assert to_csv_text(empty, ",", header=True) == empty.to_csv(index=False).encode("utf-8")


def test_a_calibrated_csv_shard_is_the_input_as_pandas_writes_it_plus_the_column(
        tmp_path: str, no_plot: list[int]) -> None:
    rng = np.random.default_rng(9)
    n = 3_000
    frame = pd.DataFrame({"prob_class_1": rng.random(n), "label": rng.integers(0, 2, n),
                          "note": rng.choice(np.array(TEXTS, dtype=object), n),
                          "amount": np.round(rng.random(n) * 100, 2)})
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    frame.to_csv(os.path.join(folder, "a.csv"), index=False)
    outputs = {o.value: os.path.join(tmp_path, "out", o.value) for o in ModelCalibrationOutput}
    mc.main({ModelCalibrationInput.EVALUATION_DATA.value: folder}, outputs,
            {"CALIBRATION_METHOD": "platt"}, argparse.Namespace(job_type="calibration"))
    target = os.path.join(outputs[ModelCalibrationOutput.CALIBRATED_DATA.value], "a.csv")
    with open(target, "rb") as handle:
        written = handle.read()
    again = read_csv_exact(os.path.join(folder, "a.csv"))
    expected = again.assign(calibrated_prob_class_1=read_csv_exact(target)[
        "calibrated_prob_class_1"].to_numpy()).to_csv(index=False).encode("utf-8")
    assert written == expected


def test_text_in_several_arrow_chunks_is_quoted_string_by_string() -> None:
    parts = [pd.Series(TEXTS[:4], dtype="string[pyarrow]"),
             pd.Series(TEXTS[4:] + ['q"', None], dtype="string[pyarrow]")]
    text = pd.concat(parts, ignore_index=True)  # an Arrow column of two chunks
    frame = pd.DataFrame({"text": text, "x": np.linspace(0.0, 1e5, len(text))})
    assert to_csv_text(frame, ",", header=True) == frame.to_csv(index=False).encode("utf-8")


def test_integral_and_exponent_floats_are_found_among_many(tmp_path: str) -> None:
    values = np.random.default_rng(4).random(50_000)
    values[[7, 40_000]] = [1.0, 3e14]  # Arrow writes "1" and "300000000000000"
    values[[99, 30_000]] = [2e-7, 1e-5]  # exponent form in Arrow's text and in numpy's
    frame = pd.DataFrame({"a": values, "b": values[::-1].copy()})
    assert to_csv_text(frame, "\t", header=False) == \
        frame.to_csv(index=False, sep="\t", header=False).encode("utf-8")


def _neighbours(points: list[float], dtype: type) -> npt.NDArray[Any]:
    """Each point in ``dtype``, its two neighbours either side, and their negatives."""
    values: npt.NDArray[Any] = np.array(points, dtype=dtype)
    up, down = np.nextafter(values, dtype(np.inf)), np.nextafter(values, dtype(-np.inf))
    around = np.concatenate([values, up, down, np.nextafter(up, dtype(np.inf)),
                             np.nextafter(down, dtype(-np.inf))])
    return np.concatenate([around, -around])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sep", [",", "\t"])
def test_floats_around_every_switch_of_form_are_pandas_text(dtype: type, sep: str) -> None:
    # numpy's exponent form below 1e-4, and from 1e16 (float64) or 1e6 (float32) on; Arrow's
    # from 1e10 on; integral values lack Arrow's ".0"
    values = np.concatenate([
        _neighbours([1e-4, 1e6, 1e10, 1e16, 1.0, 2.0, 123.0, 999999.0, 16777216.0,
                     9007199254740992.0, 5e-5, 0.5], dtype),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 1e-320,
                  np.finfo(dtype).max, np.finfo(dtype).tiny], dtype=dtype)])
    rng = np.random.default_rng(11)
    with np.errstate(over="ignore"):
        spread: npt.NDArray[Any] = (10.0 ** rng.uniform(-8, 20, 20_000)).astype(dtype)
    integral: npt.NDArray[Any] = np.round(rng.random(20_000) * 1e6).astype(dtype)
    column = np.concatenate([values, spread, integral, rng.random(20_000).astype(dtype)])
    frame = pd.DataFrame({"x": column, "n": np.arange(column.shape[0]),
                          "ok": np.arange(column.shape[0]) % 3 == 0})
    assert to_csv_text(frame, sep, header=True) == \
        frame.to_csv(index=False, sep=sep).encode("utf-8")


@pytest.mark.parametrize("share", [0.0, 1e-4, 0.5, 1.0])
def test_lines_without_quotes_are_pandas_text_whatever_share_of_floats_is_patched(
        share: float, tmp_path: str) -> None:
    # no field to quote: the lines are written by Arrow's CSV writer, the floats handed to it
    # as floats when none needs a patch, else as text with the patched fields spliced in
    rng = np.random.default_rng(int(share * 1e4))
    rows = 30_000
    floats = rng.random(rows)
    patched = rng.random(rows) < share
    floats[patched] = np.where(rng.random(int(patched.sum())) < 0.5,
                               np.round(floats[patched] * 100), floats[patched] * 1e-6)
    frame = pd.DataFrame({
        "score": floats, "f32": rng.random(rows).astype(np.float32),
        "calibrated": np.where(rng.random(rows) < 0.1, np.nan, rng.random(rows)),
        "n": rng.integers(-5, 5, rows), "text": rng.choice(np.array(
            ["a", "b c", "", None, "ü é"], dtype=object), rows)})
    path = os.path.join(tmp_path, "out.csv")
    write_csv_frame(frame.iloc[:12_345], path, ",", first=True)
    write_csv_frame(frame.iloc[12_345:], path, ",", first=False)
    with open(path, "rb") as handle:
        assert handle.read() == frame.to_csv(index=False).encode("utf-8")


def test_quoted_fields_are_marked_in_chunks_or_joined_when_text_holds_a_mark(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from calibration_step.script.model_calibration import csvwriter

    rng = np.random.default_rng(8)
    rows = 1_000
    frame = pd.DataFrame({"text": rng.choice(np.array(TEXTS, dtype=object), rows),
                          "x": rng.random(rows), "n": np.arange(rows)})
    monkeypatch.setattr(csvwriter, "MARKED_ROWS", 7)  # many chunks, one ending mid-text
    for sep in (",", "\t"):
        assert to_csv_text(frame, sep, header=True) == \
            frame.to_csv(index=False, sep=sep).encode("utf-8")
    for mark in csvwriter.MARKS.values():  # text holding a mark: its lines are joined
        marked = frame.assign(text=frame["text"].where(frame.index != 3, "a" + mark))
        assert to_csv_text(marked, ",", header=True) == \
            marked.to_csv(index=False).encode("utf-8")
