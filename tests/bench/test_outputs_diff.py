"""The outputs A/B (``bench.outputs``): what counts as a difference, and a run of both sides."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.outputs import FIXTURES, SET_ASIDE, Case, compare_case, output_differences, side_command

ROOT = Path(__file__).resolve().parents[2]


def _outputs(folder: Path, brier: float, seconds: float, data: bytes = b"s,calibrated_s\n0.5,0.4\n") -> Path:
    (folder / "calibration_output").mkdir(parents=True)
    (folder / "metrics_output").mkdir()
    (folder / "calibrated_data").mkdir()
    calibrator = {"method": "platt", "params": {"a": 1.0}, "fit": {"seconds": seconds, "rows": 9},
                  "members": [{"fit": {"seconds": seconds}}], "producer": {"python": str(seconds)}, "checksum": str(seconds)}
    metrics = {"calibrated": {"brier": brier}, "timings": {"read_seconds": seconds},
               "folds": [{"fold": 0, "fit_seconds": seconds}], "calibrator": {"checksum": str(seconds), "method": "platt"}}
    (folder / "calibration_output" / "calibrator.json").write_text(json.dumps(calibrator))
    (folder / "metrics_output" / "metrics.json").write_text(json.dumps(metrics))
    (folder / "metrics_output" / "summary.json").write_text(json.dumps({"seconds": seconds, "rows_read": 1}))
    (folder / "calibrated_data" / "d.csv").write_bytes(data)
    return folder


def test_run_dependent_values_are_set_aside(tmp_path: Path) -> None:
    assert output_differences(_outputs(tmp_path / "a", 0.2, 1.0), _outputs(tmp_path / "b", 0.2, 2.0)) == []
    assert set(SET_ASIDE) == {"calibrator.json", "metrics.json", "summary.json"}


def test_every_other_difference_is_listed(tmp_path: Path) -> None:
    base = _outputs(tmp_path / "a", 0.2, 1.0)
    patched = _outputs(tmp_path / "b", 0.2000000000000001, 1.0, b"s,calibrated_s\n0.5,0.41\n")
    (patched / "metrics_output" / "reliability_diagram.png").write_bytes(b"png")
    assert output_differences(base, patched) == [
        "metrics_output/reliability_diagram.png: only in patched",
        "calibrated_data/d.csv: bytes differ, content differs",
        "metrics_output/metrics.json: calibrated.brier: 0.2 != 0.2000000000000001",
    ]
    (patched / "calibrated_data" / "d.csv").write_bytes(b"s,calibrated_s\n0.50,0.4\n")
    assert "calibrated_data/d.csv: bytes differ, content equal" in output_differences(base, patched)


@pytest.mark.parametrize("layout", ["package", "zipapp"])
def test_a_case_runs_both_sides_and_compares_them(tmp_path: Path, layout: str) -> None:
    script = tmp_path / "tree" / "script"
    shutil.copytree(ROOT / "script", script, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "run").mkdir()
    command = side_command(script, tmp_path / "run", zipapp=layout == "zipapp")
    assert command[0][-1].endswith(".pyz") == (layout == "zipapp")
    case = next(c for c in FIXTURES if c.name == "fixture-csv-weights-platt")
    assert compare_case(case, {"base": command, "patched": command}, tmp_path, 300.0) == []
    broken = Case("broken", "calibration", {"CALIBRATION_METHOD": "sigmoid"}, case.input)
    [failed] = compare_case(broken, {"base": command, "patched": command}, tmp_path, 300.0)
    assert failed.startswith("base exited with status 2: ") and "MC-E101-INVALID-ENV" in failed
