"""The ModelCalibration builder: names from the contract only, inputs, script code, step, condition, upload."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from calibration_step.errors import BuildError
from calibration_step.processing import StringParameter
from calibration_step.processing.values import EXECUTION_ID
from calibration_step.script.interface import ModelCalibrationInput
from calibration_step.steps.model_calibration.builder import (
    build_model_calibration_step,
    calibration_condition_step,
    model_calibration_step_definition,
    script_code,
)
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT
from calibration_step.steps.model_calibration.upload import package_files, shipped_files, upload_script
from tests.pipeline_example import example_config, offline
from tests.typecheck import check_snippets

__all__ = ["offline"]  # the fixture, used by name

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/calibration:1"
EVAL = ModelCalibrationInput.EVALUATION_DATA
MODEL = ModelCalibrationInput.CALIBRATION_MODEL


@pytest.mark.parametrize("with_model", [False, True])
def test_names_are_exactly_the_contracts(with_model: bool) -> None:
    sources = {EVAL: "s3://my-ml-bucket/scores"} | ({MODEL: "s3://my-ml-bucket/calibrator"} if with_model else {})
    definition = model_calibration_step_definition(example_config(job_type="validation"), sources, image_uri=IMAGE)
    contract = MODEL_CALIBRATION_CONTRACT
    env_names = set(definition.environment)
    assert env_names <= set(contract.env_var_names())
    assert {str(name.value) for name in contract.required_env_vars} <= env_names
    flags = [argument for argument in definition.arguments if argument.startswith("--")]
    present = [EVAL, MODEL] if with_model else [EVAL]
    expected_flags = ["--job_type"] + [f"--{name.value}" for name in present] + [f"--{o.value}" for o in contract.output_paths]
    assert flags == expected_flags
    assert set(flags) <= set(contract.argument_flags())
    paths = dict(zip(definition.arguments[::2], definition.arguments[1::2], strict=True))
    assert paths["--job_type"] == "validation"
    for name in present:
        assert paths[f"--{name.value}"] == contract.input_paths[name]
    assert {i.input_name: i.destination for i in definition.inputs} == {
        name.value: contract.input_paths[name] for name in present
    }
    assert {o.output_name: o.source for o in definition.outputs} == {
        name.value: path for name, path in contract.output_paths.items()
    }


def test_outputs_go_under_the_execution_prefix() -> None:
    prefix = StringParameter(name="RunPrefix", default_value="s3://my-ml-bucket/runs")
    definition = model_calibration_step_definition(
        example_config(), {EVAL: "s3://my-ml-bucket/scores"}, image_uri=IMAGE, execution_prefix=prefix
    )
    destinations = [o.destination for o in definition.outputs]
    assert [getattr(d, "values", None) for d in destinations] == [
        (prefix, EXECUTION_ID, "model_calibration", "calibration", name)
        for name in ("calibration_output", "metrics_output", "calibrated_data")
    ]


def test_missing_evaluation_data_is_named() -> None:
    with pytest.raises(BuildError, match=r"ModelCalibration input 'evaluation_data' is required but no source was given"):
        model_calibration_step_definition(example_config(), {MODEL: "s3://my-ml-bucket/calibrator"}, image_uri=IMAGE)


def test_bad_input_uri_is_named() -> None:
    with pytest.raises(BuildError, match=r"ModelCalibration input 'evaluation_data' has an invalid bucket name 'My_Bucket'"):
        model_calibration_step_definition(example_config(), {EVAL: "s3://My_Bucket/scores"}, image_uri=IMAGE)


FOLDER = "s3://my-ml-bucket/pipelines/jane-risk-eu-west-1/1.0/code/model_calibration/"


def test_script_code_rules() -> None:
    shipped = script_code(example_config())
    assert shipped.code_folder_uri == FOLDER
    assert (shipped.script_uri, shipped.requirements_uri) == (f"{FOLDER}model_calibration.pyz", f"{FOLDER}requirements.txt")
    own_image = script_code(example_config(image_uri=IMAGE))
    assert own_image.requirements_uri is None and own_image.code_folder_uri == FOLDER
    own_script = script_code(example_config(script_uri="s3://my-ml-bucket/mine/calibrate.py"))
    assert (own_script.script_uri, own_script.requirements_uri) == ("s3://my-ml-bucket/mine/calibrate.py", None)
    assert own_script.code_folder_uri is None  # a user's folder may hold anything: the file alone is downloaded
    with_requirements = script_code(example_config(script_uri="s3://my-ml-bucket/mine/calibrate.py"), install_requirements=True)
    assert with_requirements.requirements_uri == "s3://my-ml-bucket/mine/requirements.txt"
    assert script_code(example_config(), install_requirements=False).requirements_uri is None


def test_the_shipped_script_is_one_channel_over_its_own_folder() -> None:
    definition = model_calibration_step_definition(example_config(), {EVAL: "s3://my-ml-bucket/scores"}, image_uri=IMAGE)
    code = [(i.input_name, i.source, i.destination) for i in definition.all_inputs if i.input_name not in ("evaluation_data",)]
    assert code == [("code", FOLDER, "/opt/ml/processing/input/code")]
    command = definition.entrypoint[2]
    assert "-r /opt/ml/processing/input/code/requirements.txt" in command
    assert command.endswith('exec python3 /opt/ml/processing/input/code/model_calibration.pyz "$@"')


@pytest.mark.parametrize("script", ["s3://my-ml-bucket/mine/calibrate.py", "s3://my-ml-bucket/mine/calibrate.pyz"])
def test_a_users_script_still_builds_with_the_same_entrypoint(script: str) -> None:
    definition = model_calibration_step_definition(example_config(script_uri=script), {EVAL: "s3://my-ml-bucket/scores"},
                                                   image_uri=IMAGE)
    assert definition.entrypoint == ("python3", f"/opt/ml/processing/input/code/{script.rsplit('/', 1)[1]}")
    assert [(i.input_name, i.source) for i in definition.all_inputs][1:] == [("code", script)]


def test_network_isolation_needs_an_image_with_the_requirements() -> None:
    isolated = example_config(enable_network_isolation=True)
    with pytest.raises(BuildError, match=r"installs requirements with pip but its job is network-isolated"):
        model_calibration_step_definition(isolated, {EVAL: "s3://my-ml-bucket/scores"}, image_uri=IMAGE)
    definition = model_calibration_step_definition(
        example_config(enable_network_isolation=True, image_uri=IMAGE), {EVAL: "s3://my-ml-bucket/scores"}, image_uri=IMAGE
    )
    assert definition.entrypoint[0] == "python3"


def test_caching_follows_the_config() -> None:
    on = model_calibration_step_definition(
        example_config(enable_caching=True, cache_expire_after="PT6H"), {EVAL: "s3://my-ml-bucket/s"}, image_uri=IMAGE
    )
    off = model_calibration_step_definition(example_config(enable_caching=False), {EVAL: "s3://my-ml-bucket/s"}, image_uri=IMAGE)
    assert (on.cache.enabled, on.cache.expire_after, off.cache.enabled) == (True, "PT6H", False)


def test_build_step_and_condition(offline: list[object]) -> None:
    config = example_config(image_uri=IMAGE, framework_version=None, job_type="testing")
    built = build_model_calibration_step(
        config, {EVAL: "s3://my-ml-bucket/scores"}, step_name="Calibrate Scores", depends_on=["Upstream"]
    )
    assert built.step.name == "Calibrate Scores"
    assert built.definition.job_name_prefix == "Calibrate-Scores"
    assert (built.metrics_file.name, built.metrics_file.output_name, built.metrics_file.path) == (
        "CalibrationMetrics",
        "metrics_output",
        "metrics.json",
    )
    condition = calibration_condition_step(built, if_steps=[], else_steps=[])
    assert condition.name == "Calibrate-Scores-ThresholdPassed"
    assert offline == []


def test_depends_on_reaches_the_step_whole_in_the_callers_order(offline: list[object]) -> None:
    config = example_config(image_uri=IMAGE)
    first = build_model_calibration_step(config, {EVAL: "s3://my-ml-bucket/scores"}, step_name="First")
    built = build_model_calibration_step(
        config, {EVAL: "s3://my-ml-bucket/scores"}, step_name="Second", depends_on=[first.step, "Upstream"]
    )
    assert built.step.depends_on == [first.step, "Upstream"]
    assert built.definition.depends_on == ()


def test_type_checker_rejects_a_wrong_logical_name(tmp_path: Path) -> None:
    header = """
from calibration_step.steps.model_calibration.builder import build_model_calibration_step
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from calibration_step.script.interface import ModelCalibrationInput, ModelCalibrationOutput

def build(config: ModelCalibrationConfig) -> None:
"""
    errors = check_snippets(
        {
            "correct": header + '    build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: "s3://b/k"})\n',
            "output_as_input": header
            + '    build_model_calibration_step(config, {ModelCalibrationOutput.METRICS_OUTPUT: "s3://b/k"})\n',
            "string_name": header + '    build_model_calibration_step(config, {"evaluation_data": "s3://b/k"})\n',
            "misspelt": header + '    build_model_calibration_step(config, {ModelCalibrationInput.EVALUATON_DATA: "s3://b/k"})\n',
        },
        tmp_path,
    )
    assert errors["correct"] == []
    assert any("ModelCalibrationOutput" in e and "ModelCalibrationInput" in e for e in errors["output_as_input"]), errors
    assert any('"str"' in e and "ModelCalibrationInput" in e for e in errors["string_name"]), errors
    assert any('has no attribute "EVALUATON_DATA"' in e for e in errors["misspelt"]), errors


@pytest.mark.parametrize("install_requirements", [None, False])
def test_upload_puts_exactly_the_files_the_definition_reads(offline: list[object], install_requirements: bool | None) -> None:
    config = example_config()
    definition = model_calibration_step_definition(config, {EVAL: "s3://my-ml-bucket/scores"}, image_uri=IMAGE,
                                                   install_requirements=install_requirements)
    [channel] = [i for i in definition.all_inputs if i.input_name == "code"]
    assert isinstance(channel.source, str) and channel.source.endswith("/")
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        client = session.client("s3")
        client.create_bucket(Bucket="my-ml-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_object(Bucket="my-ml-bucket", Key="pipelines/jane-risk-eu-west-1/1.0/code/model_calibration.py", Body=b"old")
        uploaded = upload_script(config, session=session, install_requirements=install_requirements)
        referenced = tuple(uri for uri in (definition.code.script_uri, definition.code.requirements_uri) if uri)
        package_script = f"{config.pipeline_s3_location}/code/model_packaging/model_packaging.pyz"
        assert uploaded == (*referenced, package_script)
        package_body = client.get_object(Bucket="my-ml-bucket", Key=package_script.removeprefix("s3://my-ml-bucket/"))
        assert package_body["Body"].read() == package_files()[0][1]
        prefix = channel.source.removeprefix("s3://my-ml-bucket/")
        listed = client.list_objects_v2(Bucket="my-ml-bucket", Prefix=prefix)["Contents"]
        assert sorted(f"s3://my-ml-bucket/{o['Key']}" for o in listed) == sorted(referenced)  # what the channel downloads
        files = shipped_files(include_requirements=install_requirements is None)
        for (_name, body), uri in zip(files, uploaded[:-1], strict=True):
            key = uri.removeprefix("s3://my-ml-bucket/")
            assert client.get_object(Bucket="my-ml-bucket", Key=key)["Body"].read() == body
    assert [name for name, _ in files] == ["model_calibration.pyz", "requirements.txt"][: len(uploaded) - 1]
    assert zipfile.ZipFile(io.BytesIO(files[0][1])).read("__main__.py").startswith(b'"""Runs calibration_script.model_calibration')


def test_upload_never_overwrites_a_users_script() -> None:
    config = example_config(script_uri="s3://my-ml-bucket/mine/calibrate.py")
    with pytest.raises(BuildError, match=r"script_uri is set .*not uploaded over a user's script") as info:
        upload_script(config)
    assert info.value.code == "BUILD-SCRIPT-URI-OVERRIDDEN"
