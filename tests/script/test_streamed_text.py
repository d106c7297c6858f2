"""A binary or multi-task run streamed over csv/tsv files (``textbatches``) gives the outputs of
the run holding the rows: the files' rows counted by the first pass (which parses every column
chunk by chunk), their fitting columns parsed chunk by chunk, with columns whose type pandas infers differently from chunk to chunk; a malformed
row or an invalid value fails as when the rows are held, and a chunk whose fitting column
parses as text leaves the job to the run holding the rows.

The thresholds are lowered so that both run on a few thousand rows, with chunks of 1,000 rows
(files of other sizes, so that chunks span files) and coarse bins.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import Optional

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.errors import CalibrationScriptError
from calibration_step.script.interface import ModelCalibrationOutput
from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.settings import Settings
from calibration_step.script.model_calibration.streaming import may_stream
from calibration_step.script.model_calibration.textbatches import rows_at_most
from tests.script.synthetic import scenario
from tests.script.test_sharded_phases import DATA_OUT, EVAL
from tests.script.test_streamed_fit import _run as run_script
from tests.script.test_streamed_fit import _small_limits
from tests.script.test_streamed_fit import assert_same_json, recorded_fields

__all__ = ["_small_limits"]  # the autouse fixture: small bins and chunks
SIZES = [("a", 2500), ("b/c", 3100), ("d", 1700), ("e", 2900)]
Edit = Callable[[str, pd.DataFrame], None]


def _cells(values: np.ndarray, missing_every: int) -> np.ndarray:
    """Numbers as the text of their cells (shortest round trip), every k-th one empty."""
    cells = np.array([repr(float(v)) for v in values], dtype=object)
    cells[::missing_every] = ""
    return cells


def _mixed(name: str, frame: pd.DataFrame) -> None:
    """Columns whose chunks pandas types differently: the first 1,000 labels of ``a`` as
    true/false (a bool chunk), the rest 0/1 (int chunks) or 0.0/1.0 with empty cells (float
    chunks), the first 1,000 of ``e`` true/false with empty cells (an object chunk of
    booleans and NaN); in ``b/c`` the scores of rows 1,000 to 1,999 integers (an int chunk) and the
    weights of rows 2,000 on integers (int chunks), none of them missing."""
    labels = frame["label"].to_numpy(dtype=object)
    if name == "a":
        labels[:1000] = np.where(labels[:1000] == "1.0", "true", "false")
        labels[1000:2000] = np.where(labels[1000:2000] == "1.0", "1", "0")
    if name == "e":
        labels[:1000] = np.where(labels[:1000] == "1.0", "true",
                                 np.where(labels[:1000] == "", "", "false"))
    frame["label"] = labels
    if name == "b/c":
        scores = frame["prob_class_1"].to_numpy(dtype=object)
        scores[1000:2000] = [str(round(float(v))) if v else "0" for v in scores[1000:2000]]
        frame["prob_class_1"] = scores
        weights = frame["w"].to_numpy(dtype=object)
        weights[2000:] = [str(round(float(v) * 3)) if v else "0" for v in weights[2000:]]
        frame["w"] = weights


def _files(folder: str, fmt: str, edit: Edit = _mixed, logit: bool = False) -> str:
    """csv/tsv files with missing scores, labels and weights, a passthrough number and text
    column, edited by ``edit`` (name, frame of cell texts) before being written."""
    rng = np.random.default_rng(5)
    for i, (name, rows) in enumerate(SIZES):
        s, y, _ = scenario("nonlinear", rows, seed=20 + i)
        if logit:
            s = np.log(s / (1.0 - s))
        frame = pd.DataFrame({"prob_class_1": _cells(s, 97), "label": _cells(y, 89),
                              "w": _cells(rng.uniform(0.5, 2.0, rows), 83),
                              "row_id": np.arange(rows),
                              "segment": rng.choice(["x", "y, z", ""], rows)})
        edit(name, frame)
        path = os.path.join(folder, f"{name}.{fmt}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        frame.to_csv(path, index=False, sep="," if fmt == "csv" else "\t")
    return folder


def _run(data: str, root: str, env: Mapping[str, str], streamed: bool,
         monkeypatch: pytest.MonkeyPatch, expect_streamed: Optional[bool] = None
         ) -> dict[str, str]:
    return run_script({EVAL: data}, root, env, streamed, monkeypatch,
                      expect_streamed=expect_streamed)


def _assert_same(ours: Mapping[str, str], theirs: Mapping[str, str], fmt: str) -> None:
    """Equal outputs (weight sums summed chunk by chunk: 1e-12 relative), the calibrated files
    byte for byte."""
    assert_same_json(ours, theirs)
    for name, _ in SIZES:
        texts = []
        for out in (ours, theirs):
            with open(os.path.join(out[DATA_OUT], f"{name}.{fmt}"), "rb") as handle:
                texts.append(handle.read())
        assert texts[0] == texts[1]


@pytest.mark.parametrize("fmt, env, logit", [
    ("csv", {"CALIBRATION_METHOD": "gam"}, False),
    ("tsv", {"CALIBRATION_METHOD": "platt", "WEIGHT_FIELD": "w"}, False),
    ("csv", {"CALIBRATION_METHOD": "beta", "NEGATIVE_SAMPLING_RATE": "0.25",
             "WEIGHT_FIELD": "w"}, False),
    ("csv", {"CALIBRATION_METHOD": "gam", "SCORE_SPACE": "logit"}, True),
], ids=["gam-csv", "platt-weighted-tsv", "beta-weighted-sampled-csv", "gam-logit-csv"])
def test_a_streamed_text_run_equals_the_run_holding_the_rows(
        tmp_path: str, fmt: str, env: dict[str, str], logit: bool,
        monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"), fmt, logit=logit)
    held = _run(data, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run(data, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    _assert_same(streamed, held, fmt)


def test_the_test_files_mix_the_types_of_their_chunks(tmp_path: str) -> None:
    data = _files(os.path.join(tmp_path, "data"), "csv")
    kinds = [[chunk[column].dtype.kind for chunk in
              pd.read_csv(os.path.join(data, f"{name}.csv"), chunksize=1000)]
             for name, column in (("a", "label"), ("b/c", "prob_class_1"), ("b/c", "w"),
                                  ("e", "label"))]
    assert kinds == [["b", "i", "f"], ["f", "i", "f", "f"], ["f", "f", "i", "i"],
                     ["O", "f", "f"]]


def test_a_multitask_text_run_streamed_equals_the_run_holding_the_rows(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def second_task(name: str, frame: pd.DataFrame) -> None:
        _mixed(name, frame)
        frame["s2"] = frame["prob_class_1"].to_numpy()[::-1]

    data = _files(os.path.join(tmp_path, "data"), "csv", second_task)
    env = {"CALIBRATION_METHOD": "gam", "SCORE_FIELDS": '["prob_class_1", "s2"]',
           "TASK_LABEL_NAMES": '["label", "label"]', "WEIGHT_FIELD": "w"}
    held = _run(data, os.path.join(tmp_path, "held"), env, False, monkeypatch)
    streamed = _run(data, os.path.join(tmp_path, "streamed"), env, True, monkeypatch)
    _assert_same(streamed, held, "csv")


def test_text_files_are_parsed_twice_in_chunks_and_never_read_whole(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"), "csv")
    asked = recorded_fields(monkeypatch)
    whole = pd.read_csv
    parses: list[tuple[object, object]] = []

    def chunked_only(*args: object, **kwargs: object) -> object:
        if kwargs.get("nrows") != 0:  # the header alone is read whole
            assert kwargs.get("chunksize") is not None  # no csv/tsv file parsed whole
            parses.append((kwargs["chunksize"], kwargs.get("usecols")))
        return whole(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd, "read_csv", chunked_only)
    _run(data, os.path.join(tmp_path, "out"), {}, True, monkeypatch)
    assert asked == [[]] * len(SIZES)  # names only; the first pass counts the rows
    fitting = ["prob_class_1", "label"]
    # before writing, two parses of each file: the first pass's of every column (each row's
    # field count checked, the rows counted), the second pass's of the fitting columns
    assert parses == [(1000, None)] * len(SIZES) + [(1000, fitting)] * len(SIZES) + \
        [(limits.WRITE_CHUNK_ROWS, None)] * len(SIZES)


def test_small_text_inputs_are_read_once_whole(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    data = _files(os.path.join(tmp_path, "data"), "csv")
    files = [(os.path.join(data, f"{name}.csv"), f"{name}.csv", "csv") for name, _ in SIZES]
    lines = sum(rows + 2 for _, rows in SIZES)  # the header and the last line end
    assert sum(rows_at_most(path) for path, _, _ in files) == lines
    monkeypatch.setattr(limits, "STREAM_MIN_ROWS", lines)
    assert may_stream(files, Settings())
    monkeypatch.setattr(limits, "STREAM_MIN_ROWS", lines + 1)
    assert not may_stream(files, Settings())
    array = os.path.join(tmp_path, "x.json")
    with open(array, "w", encoding="utf-8") as handle:
        handle.write('[{"prob_class_1": 0.5, "label": 1}]')
    assert rows_at_most(array) == 2  # an array: its opening braces plus one
    assert may_stream(files + [(array, "x.json", "json")], Settings())
    asked = recorded_fields(monkeypatch)
    outputs = {o.value: os.path.join(tmp_path, "out", o.value) for o in ModelCalibrationOutput}
    mc.main({EVAL: data}, outputs, {}, argparse.Namespace(job_type="calibration"))
    assert [] not in asked  # not counted first: fewer lines than STREAM_MIN_ROWS


def _assert_fails_as_held(data: str, root: str, monkeypatch: pytest.MonkeyPatch,
                          match: str) -> None:
    """The streamed run fails with the error of the run holding the rows, ``match``."""
    messages = []
    for streamed in (False, True):
        with pytest.raises(CalibrationScriptError, match=match) as caught:
            _run(data, os.path.join(root, str(streamed)), {}, streamed, monkeypatch)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_a_row_with_too_many_fields_fails_as_when_the_rows_are_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def extra_field(name: str, frame: pd.DataFrame) -> None:
        if name == "b/c":
            frame.loc[2500, "segment"] = "x,extra"  # unquoted by the edit below
    data = _files(os.path.join(tmp_path, "data"), "csv", extra_field)
    path = os.path.join(data, "b/c.csv")
    with open(path, encoding="utf-8") as handle:
        text = handle.read().replace('"x,extra"', "x,extra")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    match = r"MC-E203-READ-FAILED: cannot read c\.csv as csv: ParserError: .*Expected 5 " \
            r"fields in line 2502, saw 6"
    _assert_fails_as_held(data, tmp_path, monkeypatch, match)


def test_an_invalid_label_in_a_later_chunk_fails_as_when_the_rows_are_held(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def bad_labels(name: str, frame: pd.DataFrame) -> None:
        if name == "d":
            frame.loc[[1200, 1500], "label"] = ["2", "yes"]
    data = _files(os.path.join(tmp_path, "data"), "csv", bad_labels)
    match = "MC-E208-INVALID-LABEL: column 'label' holds non-binary labels"
    _assert_fails_as_held(data, tmp_path, monkeypatch, match)


def test_a_chunk_of_text_labels_leaves_the_job_to_the_run_holding_the_rows(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    def text_labels(name: str, frame: pd.DataFrame) -> None:
        if name == "e":  # "none" is a missing label; the chunk's column is text
            frame.loc[2100, "label"] = "none"
    data = _files(os.path.join(tmp_path, "data"), "csv", text_labels)
    held = _run(data, os.path.join(tmp_path, "held"), {}, False, monkeypatch)
    fallen_back = _run(data, os.path.join(tmp_path, "streamed"), {}, True, monkeypatch,
                       expect_streamed=False)
    _assert_same(fallen_back, held, "csv")
