"""ProcessingConfig: job settings validated, image choice and VPC settings consistent."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings

from calibration_step.config import DEFAULT_FRAMEWORK_VERSION, ProcessingConfig
from calibration_step.errors import ConfigError
from tests.config.strategies import processing_config, processing_configs

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/calibration:1.0"


def test_defaults() -> None:
    config = processing_config()
    assert (config.instance_type, config.instance_count, config.volume_size_gb, config.max_runtime_seconds) == (
        "ml.m5.xlarge", 1, 30, 86400)
    assert (config.framework_version, config.image_uri, config.py_version) == (DEFAULT_FRAMEWORK_VERSION, None, "py3")
    assert (config.enable_caching, config.cache_expire_after, config.script_uri) == (False, "P30D", None)


def test_an_image_uri_replaces_the_framework_version() -> None:
    config = processing_config(image_uri=IMAGE)
    assert (config.image_uri, config.framework_version) == (IMAGE, None)
    assert processing_config(framework_version="1.4-2-py312").framework_version == "1.4-2-py312"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"image_uri": IMAGE, "framework_version": "1.4-2"}, "framework_version",
         r"framework_version must be None when image_uri is given"),
        ({"framework_version": None}, "framework_version", r"framework_version must be set when image_uri is None"),
        ({"subnets": ("subnet-0123456789abcdef0",)}, "security_group_ids",
         r"subnets and security_group_ids must be given together"),
        ({"security_group_ids": ("sg-0123456789abcdef0",)}, "subnets",
         r"subnets and security_group_ids must be given together"),
    ],
)
def test_contradicting_fields_are_refused(changes: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        processing_config(**changes)
    assert exc.value.code == "CONFIG-CONFLICT"
    assert [problem.location for problem in exc.value.problems] == [field]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("instance_type", "m5.xlarge", r"instance_type must be a SageMaker instance type"),
        ("instance_count", 0, r"instance_count must be an int from 1 to 100; got 0"),
        ("instance_count", "2", r"instance_count must be an int from 1 to 100; got '2'"),
        ("volume_size_gb", 16385, r"volume_size_gb must be an int from 1 to 16384; got 16385"),
        ("max_runtime_seconds", 777601, r"max_runtime_seconds must be an int from 1 to 777600"),
        ("image_uri", "not an image", r"image_uri must be a container image URI"),
        ("framework_version", "latest", r"framework_version must be a framework version such as '1.4-2'"),
        ("py_version", "py2", r"py_version must be a Python tag"),
        ("volume_kms_key", "key with spaces", r"volume_kms_key must be a KMS key id"),
        ("output_kms_key", 5, r"output_kms_key must be a string or None; got 5"),
        ("subnets", ("subnet-xyz",), r"subnets must be a list of subnet ids"),
        ("security_group_ids", "sg-0123456789abcdef0", r"security_group_ids must be a list of non-empty strings"),
        ("enable_network_isolation", "no", r"enable_network_isolation must be a bool; got 'no'"),
        ("encrypt_inter_container_traffic", None, r"encrypt_inter_container_traffic must be a bool; got None"),
        ("tags", {"aws:team": "x"}, r"tags must be a mapping of at most 50 tags.*got \{'aws:team': 'x'\}"),
        ("tags", {"team": 1}, r"tags must be a mapping of at most 50 tags"),
        ("tags", [("team", "x")], r"tags must be a mapping of at most 50 tags"),
        ("script_uri", "/home/me/model_calibration.py", r"script_uri must be an S3 URI of a Python file"),
        ("script_uri", "s3://my-ml-bucket/code/", r"script_uri must be an S3 URI of a Python file"),
        ("enable_caching", 1, r"enable_caching must be a bool; got 1"),
        ("cache_expire_after", "30 days", r"cache_expire_after must be an ISO 8601 duration"),
        ("cache_expire_after", "P", r"cache_expire_after must be an ISO 8601 duration"),
    ],
)
def test_an_invalid_field_is_refused_with_its_name(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        processing_config(**{field: value})
    assert [problem.location for problem in exc.value.problems] == [field]
    assert exc.value.message.startswith(f"ProcessingConfig.{field} must be")


def test_converters_normalise() -> None:
    config = processing_config(subnets=["subnet-0123456789abcdef0"], security_group_ids=["sg-0123456789abcdef0"],
                               tags={"team": "risk"}, script_uri="s3://my-ml-bucket//code/model_calibration.py")
    assert config.subnets == ("subnet-0123456789abcdef0",)
    assert dict(config.tags) == {"team": "risk"}
    assert config.script_uri == "s3://my-ml-bucket/code/model_calibration.py"
    with pytest.raises(TypeError):
        config.tags["team"] = "other"  # type: ignore[index]  # read-only on purpose


@settings(max_examples=50, deadline=None)
@given(processing_configs())
def test_evolve_keeps_every_valid_config_valid(config: ProcessingConfig) -> None:
    assert attrs.evolve(config) == config
