"""Reading only the fitting columns and streaming the passthrough columns at write time."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.inputs import fitting_fields
from calibration_step.script.interface import CALIBRATOR_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.reading import (CSV_FLOAT_PRECISION, read_shards,
                                                               release_fitting)
from tests.script.synthetic import run_main, scenario


def _frame(n: int, seed: int) -> pd.DataFrame:
    s, y, _ = scenario("nonlinear", n, seed=seed)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n), "prob_class_1": s, "label": y.astype(int),
                         "segment": rng.choice(["a", "b", "c"], n),
                         "feature": rng.standard_normal(n).astype(np.float32)})


def test_shards_hold_only_the_fitting_columns_until_released(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    _frame(500, 1).to_parquet(os.path.join(folder, "a.parquet"), index=False)
    _frame(300, 2).to_csv(os.path.join(folder, "b.csv"), index=False)
    settings = mc.read_settings({"WEIGHT_FIELD": "feature"})
    shards = read_shards(folder, str(tmp_path), fitting_fields(settings))
    assert [(s.relative, s.rows) for s in shards] == [("a.parquet", 500), ("b.csv", 300)]
    for shard in shards:
        assert shard.columns == ("id", "prob_class_1", "label", "segment", "feature")
        assert sorted(shard.fitting) == ["feature", "label", "prob_class_1"]
    release_fitting(shards)
    assert all(not shard.fitting for shard in shards)
    assert sorted(read_shards(folder, str(tmp_path))[0].fitting) == sorted(shards[0].columns)


def test_a_row_with_too_many_fields_is_refused_before_fitting(tmp_path: str) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    text = _frame(50, 3).to_csv(index=False) + "0.5,1,7,a,0.1,extra\n"
    with open(os.path.join(folder, "d.csv"), "w", encoding="utf-8") as handle:
        handle.write(text)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E203-READ-FAILED.*d.csv as csv"):
        read_shards(folder, str(tmp_path), ["prob_class_1", "label"])


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_text_shards_are_written_in_chunks_as_one_frame_would_be(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int], fmt: str) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    frame = _frame(2500, 4)
    sep = "," if fmt == "csv" else "\t"
    frame.to_csv(os.path.join(folder, f"d.{fmt}"), index=False, sep=sep)
    monkeypatch.setattr(limits, "WRITE_CHUNK_ROWS", 1000)
    out = run_main(folder, os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "platt"})
    cal = mc.load_calibrator(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    read_back = pd.read_csv(os.path.join(folder, f"d.{fmt}"), sep=sep,
                            float_precision=CSV_FLOAT_PRECISION)
    expected = read_back.assign(calibrated_prob_class_1=mc.apply_calibrator(
        cal, read_back["prob_class_1"].to_numpy()))
    with open(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], f"d.{fmt}"), encoding="utf-8") as f:
        assert f.read() == expected.to_csv(index=False, sep=sep)


def test_parquet_passthrough_keeps_arrow_types_and_drops_a_pandas_index(
        tmp_path: str, no_plot: list[int]) -> None:
    folder = os.path.join(tmp_path, "in")
    os.makedirs(folder)
    frame = _frame(800, 5)
    frame["calibrated_prob_class_1"] = -1.0  # an input column of the output's name is replaced
    frame.index = pd.Index(np.arange(800) * 3, name="row")
    frame.to_parquet(os.path.join(folder, "d.parquet"))  # the index is stored as a column
    out = run_main(folder, os.path.join(tmp_path, "out"),
                   {"CALIBRATION_METHOD": "isotonic"})
    written = pd.read_parquet(os.path.join(out[ModelCalibrationOutput.CALIBRATED_DATA.value], "d.parquet"))
    assert list(written.columns) == ["id", "prob_class_1", "label", "segment", "feature",
                                     "calibrated_prob_class_1"]
    assert written["feature"].dtype == np.float32 and written["id"].dtype == np.int64
    cal = mc.load_calibrator(os.path.join(out[ModelCalibrationOutput.CALIBRATION_OUTPUT.value], CALIBRATOR_FILE))
    np.testing.assert_array_equal(written["calibrated_prob_class_1"],
                                  mc.apply_calibrator(cal, frame["prob_class_1"].to_numpy()))
    pd.testing.assert_frame_equal(written.drop(columns="calibrated_prob_class_1"),
                                  frame.drop(columns="calibrated_prob_class_1")
                                  .reset_index(drop=True))
