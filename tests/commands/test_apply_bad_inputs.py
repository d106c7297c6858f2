"""``calibration-step apply`` and ``definition`` on inputs they cannot read: a coded one-line
error, no traceback, no output left behind."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from calibration_step.cli import main
from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON

PLATT = mc.Calibrator("platt", "probability", CLIP_EPSILON, coef=(0.5, -0.25))


def _parquet() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"prob_class_1": [0.2, 0.7] * 50}).to_parquet(buffer, index=False)
    return buffer.getvalue()


BAD_INPUTS = {
    "empty.csv": b"",
    "empty.parquet": b"",
    "latin1.csv": "prob_class_1,note\n0.5,caf\xe9\n".encode("latin-1"),
    "unclosed_quote.csv": b'prob_class_1,note\n0.5,"open\n',
    "ragged.tsv": b"prob_class_1\tnote\n0.5\ta\tb\tc\n",
    "truncated.parquet": _parquet()[:120],
    "junk.parquet": bytes(range(256)) * 8,
    "csv_as.parquet": b"prob_class_1\n0.5\n",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_an_unreadable_input_is_a_coded_one_line_error(name: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    calibrator = tmp_path / "calibrator.json"
    calibrator.write_text(json.dumps(PLATT.to_json_dict()), encoding="utf-8")
    source = tmp_path / name
    source.write_bytes(BAD_INPUTS[name])
    output = tmp_path / "out.csv"
    assert main(["--quiet", "apply", str(calibrator), str(source), "--output", str(output)]) == 2
    err = capsys.readouterr().err
    # a ragged row makes pandas take the first field as the index: the scores are then refused
    expected = "error [MC-E206-NON-NUMERIC-SCORE]" if name == "ragged.tsv" else "error [CLI-APPLY-READ] cannot read "
    assert err.startswith(expected) and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["calibrator.json", name])  # nothing left


@pytest.mark.parametrize("output", ["folder.csv", "file.csv/under.csv"])
def test_an_output_that_cannot_be_a_file_is_refused(output: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    calibrator = tmp_path / "calibrator.json"
    calibrator.write_text(json.dumps(PLATT.to_json_dict()), encoding="utf-8")
    source = tmp_path / "s.csv"
    source.write_text("prob_class_1\n0.5\n", encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "file.csv").write_text("x", encoding="utf-8")
    assert main(["--quiet", "apply", str(calibrator), str(source), "--output", str(tmp_path / output)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [CLI-APPLY-OUTPUT] the output ") and "Traceback" not in err


@pytest.mark.parametrize("command", ["definition", "config validate"])
def test_a_config_that_is_not_utf8_is_coded(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.json"
    config.write_bytes('{"configuration": {"shared": {"author": "J\xe9r\xf4me"}}}'.encode("latin-1"))
    code = main(["--quiet", *command.split(), str(config)])
    captured = capsys.readouterr()
    assert code != 0
    said = captured.err + captured.out
    assert "[SERIALIZATION-JSON]" in said and "utf-8" in said.lower(), captured
    assert "Traceback" not in captured.err + captured.out


def test_config_validate_quotes_a_huge_value_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "config", "init", str(tmp_path / "c.json")]) == 0
    capsys.readouterr()
    document = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    document["configuration"]["shared"]["pipeline_description"] = "x" * 10_000_000
    (tmp_path / "c.json").write_text(json.dumps(document), encoding="utf-8")
    assert main(["--quiet", "config", "validate", str(tmp_path / "c.json")]) == 1
    out = capsys.readouterr().out
    assert "(10000002 characters)" in out and len(out) < 5000


def test_decimal_parquet_scores_are_applied_as_numbers_and_kept_as_given(tmp_path: Path) -> None:
    import decimal

    import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; only tables and parquet files
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; only tables and parquet files

    calibrator = tmp_path / "calibrator.json"
    calibrator.write_text(json.dumps(PLATT.to_json_dict()), encoding="utf-8")
    values = [decimal.Decimal("0.20"), None, decimal.Decimal("0.70")]
    source = tmp_path / "scores.parquet"
    pq.write_table(pa.table({"prob_class_1": pa.array(values, pa.decimal128(5, 2))}), source)
    output = tmp_path / "out.parquet"
    assert main(["--quiet", "apply", str(calibrator), str(source), "--output", str(output)]) == 0
    written = pq.read_table(output)
    assert str(written.schema.field("prob_class_1").type).startswith("decimal")  # the column itself is not converted
    expected = mc.apply_calibrator(PLATT, [0.2, 0.7])
    calibrated = written.column("calibrated_prob_class_1").to_pylist()
    assert calibrated[1] is None or calibrated[1] != calibrated[1]  # the missing score stays missing
    assert [calibrated[0], calibrated[2]] == pytest.approx(list(expected), abs=1e-15)
