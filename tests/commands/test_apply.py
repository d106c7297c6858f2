"""``calibration-step apply``: streamed csv/parquet, the script's own apply code, every calibrator kind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration_step.cli import main
from calibration_step.commands.apply import calibrated_batches, default_output
from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON


PLATT = mc.Calibrator("platt", "probability", CLIP_EPSILON, coef=(0.5, -0.25))


def _write(path: Path, content: dict[str, object]) -> Path:
    path.write_text(json.dumps(content))
    return path


@pytest.fixture
def platt_json(tmp_path: Path) -> Path:
    return _write(tmp_path / "calibrator.json", PLATT.to_json_dict())


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".tsv"])
def test_apply_streams_and_equals_the_scripts_apply(
    platt_json: Path, scores_csv: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = pd.read_csv(scores_csv)
    source.loc[5, "prob_class_1"] = np.nan  # a missing score stays missing
    given = tmp_path / f"in{suffix}"
    if suffix == ".parquet":
        source.to_parquet(given, index=False)
    else:
        source.to_csv(given, index=False, sep="\t" if suffix == ".tsv" else ",")
    target = tmp_path / f"out{suffix}"
    assert main(["--quiet", "apply", str(platt_json), str(given), "--output", str(target), "--batch_rows", "700"]) == 0
    out = pd.read_parquet(target) if suffix == ".parquet" else pd.read_csv(target, sep="\t" if suffix == ".tsv" else ",")
    assert list(out.columns) == [*source.columns, "calibrated_prob_class_1"]
    assert len(out) == len(source)
    valid = source["prob_class_1"].notna().to_numpy()
    expected = mc.apply_calibrator(PLATT, source["prob_class_1"].to_numpy()[valid])
    np.testing.assert_allclose(out["calibrated_prob_class_1"].to_numpy()[valid], expected, rtol=1e-12)
    assert np.isnan(out["calibrated_prob_class_1"][5])
    assert f"wrote {len(source)} rows with calibrated_prob_class_1 to {target}" in capsys.readouterr().out


def test_csv_in_parquet_out_and_a_calibration_output_folder(platt_json: Path, scores_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "scores.parquet"
    assert main(["--quiet", "apply", str(platt_json.parent), str(scores_csv), "--output", str(target)]) == 0
    assert len(pd.read_parquet(target)) == 3000


def test_the_default_output_is_beside_the_input(platt_json: Path, scores_csv: Path) -> None:
    assert main(["--quiet", "apply", str(platt_json), str(scores_csv)]) == 0
    assert default_output(scores_csv).is_file()
    assert default_output(scores_csv).name == "scores_calibrated.csv"


def test_an_existing_output_is_refused_unless_overwrite(
    platt_json: Path, scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "exists.csv"
    target.write_text("keep me")
    assert main(["apply", str(platt_json), str(scores_csv), "--output", str(target)]) == 2
    assert "error [CLI-APPLY-OUTPUT-EXISTS]" in capsys.readouterr().err
    assert target.read_text() == "keep me"
    assert main(["--quiet", "apply", str(platt_json), str(scores_csv), "--output", str(target), "--overwrite"]) == 0
    assert "calibrated_prob_class_1" in target.read_text().splitlines()[0]


def test_a_missing_score_column_names_the_flag(platt_json: Path, scores_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(platt_json), str(scores_csv), "--score_field", "p"]) == 2
    err = capsys.readouterr().err
    assert "error [CLI-APPLY-COLUMN] the scores have no column 'p'" in err and "--score_field" in err
    assert not default_output(scores_csv).exists()  # the temporary file is removed


def test_a_tampered_calibrator_is_refused_by_the_scripts_loader(
    tmp_path: Path, scores_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = PLATT.to_json_dict()
    content["method"] = "beta"
    path = _write(tmp_path / "calibrator.json", content)
    assert main(["apply", str(path), str(scores_csv)]) == 2
    assert capsys.readouterr().err.startswith("error [MC-E402-CHECKSUM-MISMATCH]")


def test_out_of_range_scores_are_refused(platt_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"prob_class_1": [0.5, 1.5]}).to_csv(path, index=False)
    assert main(["apply", str(platt_json), str(path)]) == 2
    assert capsys.readouterr().err.startswith("error [MC-E207-SCORE-OUT-OF-RANGE]")


def test_unknown_extensions_are_refused(platt_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scores.xlsx"
    path.write_text("")
    assert main(["apply", str(platt_json), str(path)]) == 2
    assert "error [CLI-APPLY-FORMAT]" in capsys.readouterr().err


def test_an_empty_file_gives_an_empty_output_with_the_column(platt_json: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"prob_class_1": pd.Series([], dtype="float64")}).to_parquet(path)
    assert main(["--quiet", "apply", str(platt_json), str(path)]) == 0
    assert list(pd.read_parquet(default_output(path)).columns) == ["prob_class_1", "calibrated_prob_class_1"]


def test_multitask_and_multiclass_calibrators_name_their_columns(tmp_path: Path) -> None:
    iso = mc.Calibrator("isotonic", "probability", CLIP_EPSILON, knots_x=np.array([0.2, 0.8]),
                        knots_y=np.array([0.1, 0.9]))
    multitask = mc.MultiCalibrator(mode="multitask", method="isotonic", score_space="probability",
                                   clip_epsilon=CLIP_EPSILON, names=("p_a", "p_b"), score_fields=("p_a", "p_b"),
                                   label_fields=("y_a", "y_b"), members=(iso, PLATT))
    multiclass = mc.MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
                                    clip_epsilon=CLIP_EPSILON, names=("a", "b"), score_fields=("m_a", "m_b"),
                                    label_fields=("y",), scale=0.5, bias=(0.0, 0.0))
    frame = pd.DataFrame({"p_a": [0.5, 0.9], "p_b": [0.25, np.nan], "m_a": [2.0, 0.0], "m_b": [0.0, 0.0]})
    source = tmp_path / "scores.csv"
    frame.to_csv(source, index=False)
    (task_out,) = calibrated_batches(_write(tmp_path / "t.json", multitask.to_json_dict()), source,
                                     score_field="unused", batch_rows=10)
    np.testing.assert_allclose(task_out["calibrated_p_a"], [0.5, 0.9])
    assert task_out["calibrated_p_b"][0] == pytest.approx(mc.apply_calibrator(PLATT, [0.25])[0])
    assert np.isnan(task_out["calibrated_p_b"][1])
    (class_out,) = calibrated_batches(_write(tmp_path / "c.json", multiclass.to_json_dict()), source,
                                      score_field="unused", batch_rows=10)
    np.testing.assert_allclose(class_out[["calibrated_m_a", "calibrated_m_b"]].to_numpy(),
                               [[0.7310585786, 0.2689414214], [0.5, 0.5]], rtol=1e-9)


def test_a_calibrator_fitted_by_run_applies_to_its_own_score_column_without_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(5)
    risk = rng.uniform(0.02, 0.98, 1500)
    rows = pd.DataFrame({"risk_score": risk, "label": (rng.uniform(size=risk.size) < risk ** 1.5).astype(int)})
    (tmp_path / "data").mkdir()
    rows.to_csv(tmp_path / "data" / "rows.csv", index=False)
    assert main(["--quiet", "run", "--evaluation_data", str(tmp_path / "data"), "--output", str(tmp_path / "out"),
                 "--env", "SCORE_FIELD=risk_score", "--env", "CALIBRATION_METHOD=platt"]) == 0
    calibrator = tmp_path / "out" / "calibration_output" / "calibrator.json"
    assert json.loads(calibrator.read_text())["score_field"] == "risk_score"
    assert mc.load_calibration_model(str(calibrator)).score_field == "risk_score"  # type: ignore[union-attr]  # binary
    target = tmp_path / "applied.csv"
    assert main(["--quiet", "apply", str(calibrator), str(tmp_path / "data" / "rows.csv"), "--output", str(target)]) == 0
    applied = pd.read_csv(target)
    calibrated = pd.read_csv(tmp_path / "out" / "calibrated_data" / "rows.csv")
    np.testing.assert_allclose(applied["calibrated_risk_score"], calibrated["calibrated_risk_score"], rtol=1e-12)


def test_a_file_without_a_score_column_loads_and_applies_as_before(platt_json: Path, scores_csv: Path, tmp_path: Path) -> None:
    content = json.loads(platt_json.read_text())
    assert "score_field" not in content  # the current schema without the optional field
    assert mc.load_calibrator(content).score_field is None
    target = tmp_path / "out.csv"
    assert main(["--quiet", "apply", str(platt_json), str(scores_csv), "--output", str(target)]) == 0
    source = pd.read_csv(scores_csv)
    np.testing.assert_allclose(pd.read_csv(target)["calibrated_prob_class_1"],
                               mc.apply_calibrator(PLATT, source["prob_class_1"].to_numpy()), rtol=1e-12)
    named = dict(PLATT.to_json_dict())
    named.pop("checksum")
    named["score_field"] = ""
    with pytest.raises(mc.CalibrationScriptError, match=r"calibrator.score_field must be a column name; got ''"):
        mc.load_calibrator({**named, "checksum": checksum(named)})
