"""``calibration-step run``: logical names to local folders, env vars from config and --env, errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from calibration_step.cli import main
from calibration_step.commands import run as run_command
from calibration_step.commands._configs import config_classes, default_configs
from calibration_step.config_json import save
from calibration_step.script.interface import ModelCalibrationOutput
from calibration_step.steps.model_calibration.config import example_config


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run_command.add_arguments(parser)
    return parser.parse_args(argv)


def test_run_maps_every_output_to_a_folder_named_by_its_logical_name(
    scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["--quiet", "run", "--evaluation_data", str(scores_csv.parent), "--output", str(out),
                 "--env", "CALIBRATION_METHOD=platt"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(o.value for o in ModelCalibrationOutput)
    assert json.loads((out / "calibration_output" / "calibrator.json").read_text())["method"] == "platt"
    assert (out / "calibrated_data" / "scores.csv").is_file()
    printed = capsys.readouterr().out
    assert "ECE (equal width)" in printed and "threshold: calibrated.ece_equal_width" in printed
    assert f"metrics_output: {out / 'metrics_output'}" in printed


def test_the_progress_line_names_the_script_package_and_its_zipapp(
    scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--evaluation_data", str(scores_csv.parent), "--output", str(tmp_path / "out"),
                 "--env", "CALIBRATION_METHOD=platt", "--env", "LOG_LEVEL=WARNING"]) == 0
    assert ("[1/1] running the script package model_calibration/ (shipped as model_calibration.pyz) "
            "(job_type calibration) ...") in capsys.readouterr().err.splitlines()


def test_an_explicit_output_folder_wins_over_output(tmp_path: Path) -> None:
    args = _parse("--evaluation_data", "x", "--output", str(tmp_path / "all"), "--metrics_output", str(tmp_path / "m"))
    paths = run_command.output_paths(args)
    assert paths["metrics_output"] == str(tmp_path / "m")
    assert paths["calibration_output"] == str(tmp_path / "all" / "calibration_output")


def test_an_output_without_a_folder_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--evaluation_data", "x", "--calibration_output", "c"]) == 2
    assert "error [CLI-RUN-OUTPUT] no folder for the output 'metrics_output'" in capsys.readouterr().err


def test_env_precedence_is_ambient_then_config_then_flags(tmp_path: Path) -> None:
    config = example_config()
    args = _parse("--evaluation_data", "x", "--env", "GAM_SPLINES=12")
    environ = run_command.script_environment(
        args, ambient={"GAM_SPLINES": "5", "LABEL_FIELD": "y", "CALIBRATION_SEED": "9", "PATH": "/bin"}, config=config
    )
    assert environ["GAM_SPLINES"] == "12"  # --env beats the config and the environment
    assert environ["LABEL_FIELD"] == "label"  # the config beats the environment
    assert "PATH" not in environ  # only the contract's env vars reach the script


def test_env_names_must_be_the_contracts() -> None:
    with pytest.raises(SystemExit):
        _parse("--evaluation_data", "x", "--env", "LABEL_FIELDZ=y")


def test_config_file_sets_method_and_job_type(scores_csv: Path, tmp_path: Path) -> None:
    import attrs

    path = tmp_path / "config.json"
    save(default_configs(attrs.evolve(example_config(), calibration_method="isotonic")), path, classes=config_classes())
    out = tmp_path / "out"
    assert main(["--quiet", "run", "--evaluation_data", str(scores_csv), "--output", str(out), "--config", str(path)]) == 0
    metrics = json.loads((out / "metrics_output" / "metrics.json").read_text())
    assert (metrics["method"], metrics["job_type"]) == ("isotonic", "calibration")


def test_script_errors_print_one_line_with_code_and_hint(
    scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--quiet", "run", "--evaluation_data", str(scores_csv), "--output", str(tmp_path / "o"),
                 "--env", "SCORE_FIELD=nope"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error [MC-E205-MISSING-COLUMN]")
    assert "Traceback" not in "\n".join(err)
