"""The adapter: the only importer of sagemaker, lazily, offline, leaving the user's settings alone."""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import textwrap

import pytest

from calibration_step import sagemaker_adapter
from calibration_step.processing import CacheSettings, Join, PropertyFileDefinition, StringParameter
from calibration_step.errors import BuildError
from calibration_step.properties import PropertyReference
from tests.pipeline_example import REPO_ROOT, calibration_pipeline_definition, example_config, offline

__all__ = ["offline"]  # the fixture, used by name


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_importing_the_package_and_its_builders_does_not_import_sagemaker() -> None:
    result = _run(
        """
        import sys
        import calibration_step, calibration_step.processing, calibration_step.sagemaker_adapter, calibration_step.pipeline
        import calibration_step.steps.model_calibration.builder, calibration_step.steps.model_calibration.upload
        import calibration_step.steps
        calibration_step.steps.default_registry()
        loaded = sorted(m for m in sys.modules if m == "sagemaker" or m.startswith("sagemaker."))
        print(loaded)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_building_offline_keeps_the_users_logging_environment_and_network() -> None:
    result = _run(
        """
        import logging, os, socket, sys, warnings
        refused = []
        def refuse(self, address):
            refused.append(address)
            raise OSError("offline")
        socket.socket.connect = refuse
        handler = logging.StreamHandler(sys.stdout)
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
        os.environ["AWS_PROFILE"] = "someone-else"
        before = dict(os.environ)
        import boto3
        from tests.pipeline_example import calibration_pipeline_definition, example_config
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            calibration_pipeline_definition(example_config())
        root = logging.getLogger()
        print("sagemaker imported:", "sagemaker.mlops.workflow" in sys.modules)
        print("root:", root.level, root.handlers == [handler])
        print("environment kept:", dict(os.environ) == before)
        print("default session:", boto3.DEFAULT_SESSION)
        print("refused:", refused)
        print("user warnings:", [str(w.message)[:60] for w in caught if issubclass(w.category, UserWarning)])
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-6:] == [
        "sagemaker imported: True",
        "root: 30 True",
        "environment kept: True",
        "default session: None",
        "refused: []",
        "user warnings: []",
    ], result.stdout


def test_offline_environment_sets_only_what_is_missing_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_PROFILE", "mine")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    before = dict(os.environ)
    with sagemaker_adapter.offline_aws_environment("eu-west-1"):
        assert "AWS_DEFAULT_REGION" not in os.environ  # the user's AWS_REGION stands
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "false"
        assert "AWS_PROFILE" not in os.environ
        assert os.environ["AWS_ACCESS_KEY_ID"] == "offline-dummy"
    assert dict(os.environ) == before


def test_offline_environment_fills_in_a_region(offline: list[object]) -> None:
    with sagemaker_adapter.offline_aws_environment("eu-west-1"):
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "AWS_DEFAULT_REGION" not in os.environ


def test_kept_root_logging_restores_level_and_handlers() -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    with sagemaker_adapter.kept_root_logging():
        logging.basicConfig(level=logging.DEBUG, force=True)
    assert (root.level, root.handlers) == (level, handlers)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.4-2", "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"),
        ("1.4-2-py312", "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-py312-cpu-py3"),
        ("1.9-0", "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"),
    ],
)
def test_stock_image_uri_comes_from_the_bundled_table(offline: list[object], version: str, expected: str) -> None:
    assert sagemaker_adapter.sklearn_image_uri("eu-west-1", version, "ml.m5.xlarge") == expected
    assert offline == []


def test_unknown_image_is_a_build_error(offline: list[object]) -> None:
    with pytest.raises(BuildError, match=r"no stock scikit-learn image for framework_version='0.1-0'") as info:
        sagemaker_adapter.sklearn_image_uri("eu-west-1", "0.1-0", "ml.m5.xlarge")
    assert info.value.code == "BUILD-IMAGE-URI"


def test_our_values_become_sagemaker_variables_with_the_same_expression(offline: list[object]) -> None:
    prefix = StringParameter(name="ExecutionPrefix", default_value="s3://b/p")
    ref = PropertyReference(step_name="Prep", property_path="properties.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri")
    join = Join(on="/", values=(prefix, "model_calibration", ref))
    expected: dict[str, tuple[StringParameter | PropertyReference | Join, object]] = {
        "parameter": (prefix, {"Get": "Parameters.ExecutionPrefix"}),
        "property": (ref, {"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri"}),
        "join": (join, join.to_expr()),
    }
    for value, expr in expected.values():
        assert getattr(sagemaker_adapter.pipeline_variable(value), "expr") == expr
    parameter = sagemaker_adapter.string_parameter(prefix)
    assert (parameter.name, parameter.default_value) == ("ExecutionPrefix", "s3://b/p")
    assert sagemaker_adapter.pipeline_variable("s3://b/k") == "s3://b/k"


def test_property_file_and_cache_config(offline: list[object]) -> None:
    file = sagemaker_adapter.property_file(PropertyFileDefinition(name="M", output_name="metrics_output", path="metrics.json"))
    assert getattr(file, "expr") == {"PropertyFileName": "M", "OutputName": "metrics_output", "FilePath": "metrics.json"}
    assert sagemaker_adapter.cache_config(CacheSettings(enabled=False)) is None
    config = sagemaker_adapter.cache_config(CacheSettings(enabled=True, expire_after="PT12H"))
    assert config is not None and (config.enable_caching, config.expire_after) == (True, "PT12H")


def test_no_telemetry_and_no_config_defaults_on_the_adapters_path(
    offline: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    sagemaker_adapter.import_sdk()
    telemetry_logging = importlib.import_module("sagemaker.core.telemetry.telemetry_logging")  # not in our stubs

    sent: list[object] = []
    monkeypatch.setattr(telemetry_logging, "_send_telemetry_request", lambda *args, **kwargs: sent.append(args))
    monkeypatch.setattr(telemetry_logging, "_send_telemetry_request_sync", lambda *args, **kwargs: sent.append(args))
    calibration_pipeline_definition(example_config())
    assert sent == [] and offline == []
    session = sagemaker_adapter.pipeline_session("eu-west-1", "my-ml-bucket")
    assert session.sagemaker_config == {}
