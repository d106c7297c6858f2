"""BasePipelineConfig: essential fields validated, derived values recomputed and never stored."""

from __future__ import annotations

import attrs
import pytest

from calibration_step.config import BasePipelineConfig
from calibration_step.converter import unstructure
from calibration_step.errors import ConfigError
from tests.config.strategies import ESSENTIALS, base_config


def test_derived_values() -> None:
    config = base_config()
    assert config.pipeline_name == "jane-doe-risk-us-east-1"
    assert config.pipeline_s3_location == "s3://my-ml-bucket/pipelines/jane-doe-risk-us-east-1/1.2.0"
    assert base_config(s3_key_prefix="").pipeline_s3_location == "s3://my-ml-bucket/jane-doe-risk-us-east-1/1.2.0"


def test_derived_values_follow_evolve_and_are_not_fields() -> None:
    config = base_config()
    variant = attrs.evolve(config, author="bob", region="eu-west-1", pipeline_version="2.0", s3_key_prefix="a/b")
    assert variant.pipeline_name == "bob-risk-eu-west-1"
    assert variant.pipeline_s3_location == "s3://my-ml-bucket/a/b/bob-risk-eu-west-1/2.0"
    fields = {field.name for field in attrs.fields(BasePipelineConfig)}
    assert not {"pipeline_name", "pipeline_s3_location"} & fields
    stored = unstructure(config)
    assert isinstance(stored, dict) and "pipeline_name" not in stored and "pipeline_s3_location" not in stored


def test_pipeline_name_follows_sagemaker_rules() -> None:
    config = base_config(author="a" * 63, service_name="Risk Model_v2 @ team", pipeline_version="1")
    name = config.pipeline_name
    assert len(name) <= 256 and name[0].isalnum() and name[-1].isalnum()
    assert all(char.isalnum() or char == "-" for char in name) and "--" not in name


def test_essential_fields_are_required() -> None:
    essentials = dict(ESSENTIALS)
    del essentials["role"]
    with pytest.raises(TypeError, match=r"role"):
        BasePipelineConfig(**essentials)


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("author", "", "CONFIG-VALUE", r"BasePipelineConfig.author must be 1-63 letters"),
        ("author", 7, "CONFIG-TYPE", r"BasePipelineConfig.author must be a string; got 7"),
        ("bucket", "My_Bucket", "CONFIG-VALUE", r"bucket must be an S3 bucket name \(only lowercase"),
        ("bucket", "ab", "CONFIG-VALUE", r"bucket must be an S3 bucket name \(a bucket name has 3 to 63"),
        ("bucket", "192.168.1.1", "CONFIG-VALUE", r"must not look like an IP address"),
        ("role", "SageMakerRole", "CONFIG-VALUE", r"role must be an IAM role ARN"),
        ("role", "arn:aws:iam::123:role/R", "CONFIG-VALUE", r"role must be an IAM role ARN"),
        ("region", "US-EAST-1", "CONFIG-VALUE", r"region must be an AWS region name"),
        ("service_name", "-risk", "CONFIG-VALUE", r"service_name must be 1-63 letters"),
        ("pipeline_version", "1.0/beta", "CONFIG-VALUE", r"pipeline_version must be 1-64 letters"),
        ("pipeline_description", "x" * 3073, "CONFIG-VALUE", r"pipeline_description must be at most 3072"),
        ("s3_key_prefix", "/pipelines/", "CONFIG-VALUE", r"s3_key_prefix must be an S3 key prefix"),
        ("s3_key_prefix", "a//b", "CONFIG-VALUE", r"s3_key_prefix must be an S3 key prefix"),
        ("execution_prefix_parameter_name", "Execution Prefix", "CONFIG-VALUE",
         r"execution_prefix_parameter_name must be a pipeline parameter name"),
    ],
)
def test_an_invalid_field_is_refused_with_its_name(field: str, value: object, code: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        base_config(**{field: value})
    assert exc.value.code == code
    assert [problem.location for problem in exc.value.problems] == [field]


def test_configs_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        base_config().author = "bob"  # type: ignore[misc]  # frozen on purpose
