"""Input reading and validation: formats, shards, archives, labels, scores, before any fit."""

from __future__ import annotations

import io
import json
import os
import tarfile

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import binned, problems
from calibration_step.script.model_calibration.inputs import InputData, load_input
from calibration_step.script.model_calibration.reading import read_frame
from calibration_step.script.interface import METRICS_FILE, ModelCalibrationOutput
from tests.script.synthetic import (read_csv_exact, read_json, run_main, scenario, visible,
                                    write_csv)


def _frame(n: int = 400, seed: int = 31) -> pd.DataFrame:
    s, y, _ = scenario("linear", n, seed=seed)
    frame: pd.DataFrame = pd.DataFrame({"prob_class_1": s, "label": y.astype(int),
                                        "id": np.arange(n)})
    return frame


def _load(path: str, **env: str) -> InputData:
    return load_input(path, mc.read_settings(env), os.path.dirname(path))


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.parquet", "d.jsonl", "d.json",
                                  "array.json"])
def test_every_supported_format_is_read(tmp_path: str, name: str) -> None:
    frame = _frame()
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    path = os.path.join(folder, name)
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif name.endswith(".tsv"):
        frame.to_csv(path, index=False, sep="\t")
    elif name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    elif name == "array.json":
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(frame.to_dict(orient="records"), handle)
    else:
        with open(path, "w", encoding="utf-8") as handle:
            for record in frame.to_dict(orient="records"):
                handle.write(json.dumps(record) + "\n")
    data = _load(folder)
    assert data.rows_read == len(frame)
    np.testing.assert_allclose(data.scores, frame["prob_class_1"], rtol=1e-14)
    assert _load(path).rows_read == len(frame)  # a single file path is accepted too


def test_all_shards_are_read_in_sorted_order(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "in")
    frames = [_frame(100, seed=i) for i in range(3)]
    for i, frame in enumerate(frames):
        os.makedirs(os.path.join(folder, f"part{i}"), exist_ok=True)
        frame.to_csv(os.path.join(folder, f"part{i}", "shard.csv"), index=False)
    with open(os.path.join(folder, "_SUCCESS"), "w", encoding="utf-8"):
        pass
    data = _load(folder)
    assert data.rows_read == 300
    assert [s.relative for s in data.shards] == [f"part{i}/shard.csv" for i in range(3)]
    np.testing.assert_array_equal(data.scores, np.concatenate(
        [f["prob_class_1"].to_numpy() for f in frames]))


def test_shards_with_different_columns_are_refused(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    _frame().to_csv(os.path.join(folder, "a.csv"), index=False)
    _frame().drop(columns="id").to_csv(os.path.join(folder, "b.csv"), index=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E204-SCHEMA-MISMATCH"):
        _load(folder)


def _tar(path: str, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for info, payload in members:
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)


def _file(name: str, payload: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    return info, payload


def test_training_job_output_tar_gz_is_read(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    payload = _frame().to_csv(index=False).encode()
    _tar(os.path.join(folder, "output.tar.gz"), [_file("val/predictions.csv", payload),
                                                 _file("model/notes.txt", b"x")])
    data = _load(folder)
    assert data.rows_read == 400
    assert data.shards[0].relative == "output/val/predictions.csv"


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink", "hardlink", "device"])
def test_unsafe_archive_members_are_refused(tmp_path: str, kind: str) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    payload = _frame().to_csv(index=False).encode()
    members: list[tuple[tarfile.TarInfo, bytes | None]] = [_file("ok.csv", payload)]
    if kind == "absolute":
        members.append(_file("/tmp/evil.csv", payload))
    elif kind == "dotdot":
        members.append(_file("a/../../evil.csv", payload))
    else:
        info = tarfile.TarInfo("link.csv")
        info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                     "device": tarfile.CHRTYPE}[kind]
        info.linkname = "/etc/passwd"
        members.append((info, None))
    _tar(os.path.join(folder, "output.tar.gz"), members)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E209-UNSAFE-ARCHIVE"):
        _load(folder)
    assert not os.path.exists("/tmp/evil.csv") or os.path.getmtime("/tmp/evil.csv") < 0


def test_missing_column_names_the_column_and_the_columns_present(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "d.csv")
    _frame().to_csv(path, index=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E205-MISSING-COLUMN") as info:
        _load(path, SCORE_FIELD="score")
    assert "'score'" in info.value.message and "prob_class_1" in info.value.message


def test_string_scores_are_refused(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "d.csv")
    frame = _frame()
    frame["prob_class_1"] = frame["prob_class_1"].astype(str) + "%"
    frame.to_csv(path, index=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E206-NON-NUMERIC-SCORE"):
        _load(path)


@pytest.mark.parametrize("labels", [["1", "0"], ["true", "false"], ["True", "FALSE"],
                                    [1.0, 0.0], [True, False]])
def test_string_bool_and_float_labels_are_parsed(tmp_path: str, labels: list[object]) -> None:
    path = os.path.join(tmp_path, "d.parquet")
    frame = _frame(10)
    values = [labels[i % 2] for i in range(10)]
    frame["label"] = pd.Series(values, dtype=object if isinstance(labels[0], str) else None)
    frame.to_parquet(path, index=False)
    data = _load(path)
    assert data.labels.tolist() == [1.0, 0.0] * 5


def test_non_binary_labels_are_refused(tmp_path: str) -> None:
    path = os.path.join(tmp_path, "d.csv")
    frame = _frame(10)
    frame["label"] = ["yes", "no"] * 5
    frame.to_csv(path, index=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E208-INVALID-LABEL"):
        _load(path)
    frame["label"] = [0, 2] * 5
    frame.to_csv(path, index=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E208-INVALID-LABEL"):
        _load(path)


def test_nan_labels_and_scores_are_dropped_and_counted(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "in")
    s, y, _ = scenario("linear", 3000, seed=32)
    frame = pd.DataFrame({"prob_class_1": s, "label": y})
    frame.loc[:9, "label"] = np.nan
    frame.loc[10:14, "prob_class_1"] = np.nan
    frame.loc[15, ["prob_class_1", "label"]] = np.nan
    os.makedirs(folder)
    frame.to_csv(os.path.join(folder, "d.csv"), index=False)
    out = run_main(folder, os.path.join(tmp_path, "out"), {"CALIBRATION_METHOD": "platt"})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE))
    rows = metrics["rows"]
    assert isinstance(rows, dict)
    assert rows["dropped"] == {"missing_label": 10, "missing_score": 6}
    assert rows["used"] == 3000 - 16
    calibrated = read_csv_exact(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.csv"))
    column = calibrated["calibrated_prob_class_1"]
    assert column.isna().sum() == 6  # rows without a score; rows without a label are scored
    assert column.notna().sum() == 3000 - 6


@pytest.mark.parametrize("space,bad", [("probability", 1.5), ("probability", -0.2),
                                       ("probability", np.inf), ("logit", -np.inf)])
def test_out_of_range_scores_are_rejected_before_any_fitting(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, space: str, bad: float) -> None:
    def no_fit(*args: object, **kwargs: object) -> mc.Calibrator:
        raise AssertionError("fit reached")

    monkeypatch.setattr(problems, "fit_calibrator", no_fit)

    monkeypatch.setattr(binned, "fit_calibrator", no_fit)
    folder = os.path.join(tmp_path, "in")
    frame = _frame()
    frame.loc[3, "prob_class_1"] = bad
    os.makedirs(folder)
    frame.to_parquet(os.path.join(folder, "d.parquet"), index=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E207-SCORE-OUT-OF-RANGE"):
        run_main(folder, os.path.join(tmp_path, "out"), {"SCORE_SPACE": space})
    for name in [o.value for o in ModelCalibrationOutput]:
        assert os.listdir(os.path.join(tmp_path, "out", name)) == []


def test_empty_folder_and_unknown_single_file_have_codes(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "empty")
    os.makedirs(folder)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E201-NO-INPUT-FILES"):
        _load(folder)
    path = os.path.join(tmp_path, "d.xlsx")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("x")
    with pytest.raises(mc.CalibrationScriptError, match="MC-E202-UNSUPPORTED-FORMAT"):
        _load(path)
    write_csv(os.path.join(tmp_path, "all_missing", "d.csv"), np.array([np.nan, np.nan]),
              np.array([1.0, 0.0]))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E210-NO-ROWS"):
        _load(os.path.join(tmp_path, "all_missing"))
    assert visible(tmp_path) == ["all_missing", "d.xlsx", "empty"]


def test_a_parquet_file_is_read_as_pandas_reads_it(tmp_path: str) -> None:
    """The frame of ``pd.read_parquet`` (types from the pandas metadata, text labels, decimals
    as floats)."""
    from decimal import Decimal

    path = os.path.join(tmp_path, "d.parquet")
    frame = _frame(6)
    frame["name"] = ["a", "b", None, "c", "a", "b"]
    frame["count"] = pd.array([1, None, 3, 4, 5, 6], dtype="Int64")
    frame["amount"] = pd.Series([Decimal("0.25"), Decimal("1.50"), None, Decimal("2.00"),
                                 Decimal("0.10"), Decimal("3.75")], dtype=object)
    frame.to_parquet(path, index=False)
    wanted = ["prob_class_1", "name", "count", "amount"]
    read, array, names, rows = read_frame(path, "parquet", wanted)
    expected = pd.read_parquet(path, columns=wanted)
    expected["amount"] = expected["amount"].astype(np.float64)
    pd.testing.assert_frame_equal(read, expected)
    assert (array, names, rows) == (False, list(frame.columns), 6)
    assert read["prob_class_1"].sum() == pytest.approx(float(frame["prob_class_1"].sum()))
