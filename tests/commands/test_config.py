"""``calibration-step config``: init, describe (every field described), validate (every problem, its path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration_step.cli import main
from calibration_step.commands._configs import CALIBRATION, PACKAGE, config_classes, dag_from_configs, load_configs
from calibration_step.commands._field_docs import field_docs, json_type
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig, example_config


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    assert main(["--quiet", "config", "init", str(path)]) == 0
    return path


def _edit(path: Path, step: str, **values: object) -> None:
    document = json.loads(path.read_text())
    document["configuration"]["specific"][step].update(values)
    path.write_text(json.dumps(document))


def test_init_writes_the_calibration_dag_configs(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configs = load_configs(config_file)
    assert configs[CALIBRATION] == example_config()
    dag = dag_from_configs(configs)
    assert dag.package.bucket == dag.calibration.bucket
    assert main(["config", "init", str(config_file)]) == 2
    assert "error [CLI-OUTPUT-EXISTS]" in capsys.readouterr().err


def test_init_defaults_to_a_file_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--quiet", "config", "init"]) == 0
    assert (tmp_path / "calibration-config.json").is_file()


@pytest.mark.parametrize("name", sorted(config_classes()))
def test_every_field_of_every_config_class_is_described(name: str) -> None:
    docs = field_docs(config_classes()[name])
    assert docs, name
    assert [d.name for d in docs if not d.meaning] == []


def test_describe_prints_type_default_and_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "describe"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ModelCalibrationConfig: ")
    assert "\ngam_splines: integer; default 10; env var GAM_SPLINES\n    Number of splines of ``gam``, 4 to 200." in text
    assert "\nauthor: string; default (required)\n" in text


def test_describe_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "describe", "PackageConfig", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    fields = {f["name"]: f for f in document["fields"]}
    assert fields["calibrator_file"]["default"] == '"calibrator.json"'
    assert fields["tags"]["type"] == "object of string"


def test_describe_refuses_an_unknown_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "describe", "Nope"]) == 2
    assert "error [CLI-CONFIG-CLASS] 'Nope' is not a config class." in capsys.readouterr().err


def test_json_types() -> None:
    hints = {f.name: f.json_type for f in field_docs(ModelCalibrationConfig)}
    assert hints["score_space"] == 'one of "probability", "logit"'
    assert hints["weight_field"] == "string or null"
    assert json_type(float) == "number"


def test_validate_accepts_the_init_file(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(config_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith(f"{config_file}: valid (4 warning(s)); pipeline ")
    assert lines[:-1] == [
        f"warning $.configuration.shared.{field}: [CONFIG-PLACEHOLDER] {field} is still {value!r}, the placeholder "
        f"config init wrote (hint: set your own {field})"
        for field, value in (("author", "data-scientist"), ("bucket", "example-bucket"),
                             ("role", "arn:aws:iam::123456789012:role/SageMakerExecutionRole"),
                             ("service_name", "calibration-demo"))]


def test_validate_finds_what_only_building_finds(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(config_file.read_text())
    document["configuration"]["shared"]["enable_network_isolation"] = True
    config_file.write_text(json.dumps(document))
    assert main(["config", "validate", str(config_file)]) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("warning ")]
    assert problems == [
        f"{config_file}: 1 problem(s)",
        "  $.configuration.shared.enable_network_isolation: [BUILD-NETWORK-ISOLATION] step "
        "'ModelCalibration-Calibration' installs requirements with pip but its job is network-isolated. "
        "(hint: use an image that already has the requirements and give no requirements file)",
    ]
    assert main(["--quiet", "definition", str(config_file)]) == 2
    assert "error [BUILD-NETWORK-ISOLATION]" in capsys.readouterr().err


def test_a_shared_field_missing_everywhere_is_one_problem_at_its_shared_path(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(config_file.read_text())
    del document["configuration"]["shared"]["bucket"]
    config_file.write_text(json.dumps(document))
    assert main(["config", "validate", str(config_file)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{config_file}: 1 problem(s)",
        "  $.configuration.shared.bucket: [SERIALIZATION-INVALID] required field missing "
        "(hint: add it to the shared section (every config needs it))",
    ]
    assert main(["definition", str(config_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("$.configuration.shared.bucket") == 1 and "specific" not in err


def test_an_evaluation_config_without_its_script_is_a_problem_of_validate(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    from calibration_step.config_json import save
    from calibration_step.steps.model_evaluation import XGBoostModelEvalConfig

    configs = load_configs(config_file)
    calibration = configs[CALIBRATION]
    configs["evaluation"] = XGBoostModelEvalConfig(author=calibration.author, bucket=calibration.bucket,
                                                   role=calibration.role, region=calibration.region,
                                                   service_name=calibration.service_name,
                                                   pipeline_version=calibration.pipeline_version)
    config_file.unlink()
    save(configs, config_file, classes=config_classes())
    assert main(["config", "validate", str(config_file)]) == 1
    out = capsys.readouterr().out
    assert "  $.configuration.specific.evaluation.script_uri: [BUILD-SCRIPT-REQUIRED] XGBoostModelEval runs your own script" in out


def test_describe_names_the_env_var_of_each_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "describe", "ModelCalibrationConfig", "--format", "json"]) == 0
    fields = {f["name"]: f for f in json.loads(capsys.readouterr().out)["fields"]}
    assert fields["score_field"]["env_var"] == "SCORE_FIELD" and fields["bucket"]["env_var"] is None


def test_validate_prints_every_problem_with_its_path(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(config_file, CALIBRATION, gam_splines=2, calibration_bins=1, calibration_method="magic", label_field=3,
          colour="red")
    _edit(config_file, PACKAGE, calibrator_file="x.txt")
    assert main(["config", "validate", str(config_file)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{config_file}: 6 problem(s)"
    where = "$.configuration.specific."
    located = sorted(line.split(": [")[0].strip() for line in lines[1:])
    assert located == sorted(f"{where}{p}" for p in (
        "calibration.calibration_bins", "calibration.calibration_method", "calibration.colour",
        "calibration.gam_splines", "calibration.label_field", "package.calibrator_file"))
    assert any("[CONFIG-VALUE] ModelCalibrationConfig.gam_splines must be an int from 4 to 200; got 2." in line
               for line in lines)


def test_validate_reports_cross_field_conflicts_beside_field_errors(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(config_file, CALIBRATION, is_binary=False, gam_splines=1)
    assert main(["config", "validate", str(config_file)]) == 1
    out = capsys.readouterr().out
    assert "calibration.gam_splines: [CONFIG-VALUE]" in out
    assert "calibration.num_classes: [CONFIG-CONFLICT]" in out


def test_validate_reports_invalid_json_and_a_file_without_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["config", "validate", str(broken)]) == 1
    assert "$: [SERIALIZATION-JSON] not valid JSON" in capsys.readouterr().out
    document = {"metadata": {"schema_version": 1, "config_types": {}, "created_at": "2026-01-01T00:00:00+00:00",
                             "package_version": "0"}, "configuration": {"shared": {}, "specific": {}}}
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(document))
    assert main(["config", "validate", str(empty)]) == 1
    assert "[CLI-CONFIG-STEPS] the config file holds no ModelCalibrationConfig" in capsys.readouterr().out


def test_validate_of_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(tmp_path / "none.json")]) == 2
    assert "error [CLI-CONFIG-FILE]" in capsys.readouterr().err
