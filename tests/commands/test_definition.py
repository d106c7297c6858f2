"""``calibration-step definition``: the calibration DAG of a config file, offline, schema-valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration_step.assembly import CALIBRATION_STEP, PACKAGE_STEP
from calibration_step.cli import main
from calibration_step.commands._configs import config_classes
from calibration_step.config_json import save
from calibration_step.steps.model_calibration.config import example_config
from tests.pipeline_example import offline, schema_errors

__all__ = ["offline"]  # the fixture, used by name


def test_definition_of_a_calibration_only_file(
    tmp_path: Path, offline: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.json"
    save({"calibrate": example_config()}, path, classes=config_classes())
    assert main(["--quiet", "definition", str(path)]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert schema_errors(definition) == []
    steps = definition["Steps"]
    assert [s["Name"] for s in steps] == [CALIBRATION_STEP, f"{CALIBRATION_STEP}-ThresholdPassed"]
    assert steps[0]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {"Get": "Parameters.EvaluationData"}
    assert [s["Name"] for s in steps[1]["Arguments"]["IfSteps"]] == [PACKAGE_STEP]
    assert [s["Type"] for s in steps[1]["Arguments"]["ElseSteps"]] == ["Fail"]
    assert "threshold.passed" in json.dumps(steps[1]["Arguments"]["Conditions"])
    assert offline == []
    output = tmp_path / "definition.json"
    assert main(["--quiet", "definition", str(path), "--output", str(output)]) == 0
    assert json.loads(output.read_text()) == definition
    assert main(["--quiet", "definition", str(path), "--output", str(output)]) == 2
    assert "error [CLI-OUTPUT-EXISTS]" in capsys.readouterr().err


def test_two_calibration_configs_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.json"
    save({"a": example_config(), "b": example_config()}, path, classes=config_classes())
    assert main(["definition", str(path)]) == 2
    assert "error [CLI-CONFIG-STEPS] the config file holds 2 ModelCalibrationConfig (['a', 'b'])" in capsys.readouterr().err
