"""XGBoostTraining, XGBoostModelEval and Package: registrations agree, configs check, builders make valid values."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from calibration_step.errors import BuildError, ConfigError
from calibration_step.registry import StepRegistration, build_registry
from calibration_step.resolver import ExternalBinding, resolve
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC
from calibration_step.steps.model_evaluation import (
    XGBOOST_MODEL_EVAL,
    XGBoostModelEvalConfig,
    XGBoostModelEvalInput,
    xgboost_model_eval_step_definition,
)
from calibration_step.steps.package import PACKAGE, PackageConfig, PackageInput, package_step_definition
from calibration_step.steps.xgboost_training import (
    XGBOOST_TRAINING,
    XGBoostTrainingConfig,
    XGBoostTrainingInput,
    xgboost_training_step_definition,
)
from tests.typecheck import check_snippets

COMMON = {
    "author": "jane",
    "bucket": "my-ml-bucket",
    "role": "arn:aws:iam::123456789012:role/SageMakerRole",
    "region": "us-east-1",
    "service_name": "risk",
    "pipeline_version": "1.0",
}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"


@pytest.mark.parametrize(
    "registration", [XGBOOST_TRAINING.registration, XGBOOST_MODEL_EVAL.registration, PACKAGE.registration]
)
def test_registrations_agree_and_register(registration: object) -> None:
    built = registration()  # type: ignore[operator]  # parametrised factory
    assert isinstance(built, StepRegistration)
    assert built.step_type in build_registry([built])


def test_training_feeds_evaluation_feeds_calibration_feeds_package() -> None:
    nodes = [
        ("train", XGBOOST_TRAINING.spec),
        ("evaluate", XGBOOST_MODEL_EVAL.spec),
        ("calibrate", MODEL_CALIBRATION_SPEC),
        ("package", PACKAGE.spec),
    ]
    upstream = {"evaluate": {"train"}, "calibrate": {"evaluate"}, "package": {"train", "calibrate"}}
    bindings = [
        ExternalBinding(step="train", dependency=XGBoostTrainingInput.INPUT_PATH, value="s3://my-ml-bucket/train"),
        ExternalBinding(step="evaluate", dependency=XGBoostModelEvalInput.PROCESSED_DATA, value="s3://my-ml-bucket/eval"),
    ]
    report = resolve(nodes, upstream=upstream, bindings=bindings)
    wires = {(e.upstream_step + "." + e.upstream_output, e.downstream_step + "." + e.downstream_input) for e in report.edges()}
    assert wires == {
        ("train.model_output", "evaluate.model_input"),
        ("evaluate.eval_output", "calibrate.evaluation_data"),
        ("train.model_output", "package.model_input"),
        ("calibrate.calibration_output", "package.calibration_model"),
        ("calibrate.metrics_output", "package.calibration_metrics"),
    }


def test_the_users_own_scripts_must_be_named_and_the_package_script_ships() -> None:
    sources = {XGBoostModelEvalInput.MODEL_INPUT: "s3://my-ml-bucket/m", XGBoostModelEvalInput.PROCESSED_DATA: "s3://my-ml-bucket/d"}
    with pytest.raises(BuildError, match=r"\[BUILD-SCRIPT-REQUIRED\] XGBoostModelEval runs your own script "
                                         r"\(xgboost_model_eval.py\), and XGBoostModelEvalConfig.script_uri is not set"):
        xgboost_model_eval_step_definition(XGBoostModelEvalConfig(**COMMON), sources, image_uri=IMAGE)  # type: ignore[arg-type]  # str-valued test dict
    with pytest.raises(BuildError, match=r"\[BUILD-SCRIPT-REQUIRED\] XGBoostTraining runs your own script"):
        xgboost_training_step_definition(XGBoostTrainingConfig(**COMMON), {XGBoostTrainingInput.INPUT_PATH: "s3://my-ml-bucket/d"},  # type: ignore[arg-type]  # str-valued test dict
                                         image_uri=IMAGE)
    package = PackageConfig(**COMMON)  # type: ignore[arg-type]  # str-valued test dict
    code = PACKAGE.script_code(package)
    assert code.code_folder_uri == f"{package.pipeline_s3_location}/code/model_packaging/"
    assert code.script_uri == f"{package.pipeline_s3_location}/code/model_packaging/model_packaging.pyz"
    assert code.requirements_uri is None
    assert PACKAGE.registration().script_shipped and not XGBOOST_MODEL_EVAL.registration().script_shipped


def test_configs_check_their_fields() -> None:
    with pytest.raises(ConfigError, match=r"XGBoostTrainingConfig\.num_round must be an int from 1 to 100000; got 0"):
        XGBoostTrainingConfig(**COMMON, num_round=0)  # type: ignore[arg-type]  # str-valued test dict
    with pytest.raises(ConfigError, match=r"XGBoostModelEvalConfig\.job_type must be one of"):
        XGBoostModelEvalConfig(**COMMON, job_type="serving")  # type: ignore[arg-type]  # wrong on purpose
    with pytest.raises(ConfigError, match=r"PackageConfig\.calibrator_file must be a \.json file name"):
        PackageConfig(**COMMON, calibrator_file="calibrator.pkl")  # type: ignore[arg-type]  # str-valued test dict


def test_builders_name_a_missing_required_input() -> None:
    config = PackageConfig(**COMMON)  # type: ignore[arg-type]  # str-valued test dict
    with pytest.raises(BuildError, match=r"Package input 'calibration_model' is required but no source was given"):
        package_step_definition(config, {PackageInput.MODEL_INPUT: "s3://my-ml-bucket/model"}, image_uri=IMAGE)


def test_builders_send_exactly_the_contract_env_vars_and_arguments() -> None:
    training = XGBoostTrainingConfig(**COMMON, eta=0.1, script_uri="s3://my-ml-bucket/code/train/xgboost_training.py")  # type: ignore[arg-type]  # str-valued test dict
    definition = xgboost_training_step_definition(training, {XGBoostTrainingInput.INPUT_PATH: "s3://my-ml-bucket/d"}, image_uri=IMAGE)
    assert dict(definition.environment) == {
        "LABEL_FIELD": "label", "OBJECTIVE": "binary:logistic", "NUM_ROUND": "100", "MAX_DEPTH": "6", "ETA": "0.1",
    }
    assert definition.arguments == (
        "--input_path", "/opt/ml/processing/input/data",
        "--model_output", "/opt/ml/processing/output/model",
        "--evaluation_output", "/opt/ml/processing/output/evaluation",
    )
    evaluation = attrs.evolve(XGBoostModelEvalConfig(**COMMON), job_type="testing",  # type: ignore[arg-type]  # str-valued test dict
                              script_uri="s3://my-ml-bucket/code/eval/xgboost_model_eval.py")
    sources = {XGBoostModelEvalInput.MODEL_INPUT: "s3://my-ml-bucket/m", XGBoostModelEvalInput.PROCESSED_DATA: "s3://my-ml-bucket/d"}
    eval_definition = xgboost_model_eval_step_definition(evaluation, sources, image_uri=IMAGE)
    assert eval_definition.name == "XGBoostModelEval-Testing"
    assert eval_definition.arguments[:2] == ("--job_type", "testing")


def test_type_checker_keeps_each_companion_builder_to_its_own_config_and_inputs(tmp_path: Path) -> None:
    header = """
from calibration_step.steps.model_evaluation import XGBoostModelEvalInput
from calibration_step.steps.package import PACKAGE, PackageConfig, PackageInput, build_package_step, package_step_definition
from calibration_step.steps.xgboost_training import XGBOOST_TRAINING

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1"


def build(config: PackageConfig) -> None:
"""
    errors = check_snippets(
        {
            "correct": header + '    build_package_step(config, {PackageInput.MODEL_INPUT: "s3://b/k"})\n',
            "other_steps_input": header + '    build_package_step(config, {XGBoostModelEvalInput.MODEL_INPUT: "s3://b/k"})\n',
            "string_name": header + '    package_step_definition(config, {"model_input": "s3://b/k"}, image_uri=IMAGE)\n',
            "other_steps_config": header
            + '    package_step_definition(XGBOOST_TRAINING.example_config(), {}, image_uri=IMAGE)\n',
        },
        tmp_path,
    )
    assert errors["correct"] == []
    assert any("XGBoostModelEvalInput" in e and "PackageInput" in e for e in errors["other_steps_input"]), errors
    assert any('"str"' in e and "PackageInput" in e for e in errors["string_name"]), errors
    assert any("XGBoostTrainingConfig" in e and "PackageConfig" in e for e in errors["other_steps_config"]), errors
