"""Tier 1: the pipeline-wide config every step config extends.

Three kinds of values:

- essential fields, which the user must give: ``author``, ``bucket``, ``role``, ``region``,
  ``service_name``, ``pipeline_version``;
- system defaults, which the user may change: ``pipeline_description``, ``s3_key_prefix``,
  ``execution_prefix_parameter_name``;
- derived values, read-only properties computed from the fields on every access and never
  stored or serialised: :attr:`BasePipelineConfig.pipeline_name` and
  :attr:`BasePipelineConfig.pipeline_s3_location`. A variant made with ``attrs.evolve`` therefore
  derives its own values.

Cross-field rules of every tier live in one place: the tier's ``_conflicts`` method, called once
by :meth:`BasePipelineConfig.__attrs_post_init__`.

Examples
--------
>>> import attrs
>>> config = BasePipelineConfig(author="jane.doe", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.2.0")
>>> config.pipeline_name
'jane-doe-risk-us-east-1'
>>> config.pipeline_s3_location
's3://my-ml-bucket/pipelines/jane-doe-risk-us-east-1/1.2.0'
>>> attrs.evolve(config, region="eu-west-1").pipeline_name
'jane-doe-risk-eu-west-1'
>>> BasePipelineConfig(author="jane", bucket="My_Bucket", role=config.role, region="us-east-1",
...     service_name="risk", pipeline_version="1")
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CONFIG-VALUE] BasePipelineConfig.bucket must be an S3 bucket name ...
"""

from __future__ import annotations

from typing import Final, TypedDict

import attrs

from calibration_step.config.validation import (
    aws_region,
    iam_role_arn,
    is_str,
    matches,
    non_empty,
    raise_conflicts,
    s3_bucket_name,
)
from calibration_step.processing.names import sanitize_name
from calibration_step.errors import Problem

__all__ = ["BasePipelineConfig", "EXAMPLE_ESSENTIALS", "ExampleEssentials"]

_PIPELINE_NAME_MAX_LENGTH: Final = 256
"""SageMaker's limit on a pipeline name."""

_NAME_PART = r"[A-Za-z0-9][A-Za-z0-9._@ -]{0,62}"
_NAME_PART_TEXT = "1-63 letters, digits, '.', '_', '@', '-' or spaces, starting with a letter or digit"


@attrs.frozen(kw_only=True)
class BasePipelineConfig:
    """Pipeline-wide settings shared by every step.

    Parameters
    ----------
    author : str
        Who owns the pipeline; part of the pipeline name.
    bucket : str
        The S3 bucket of the pipeline's artifacts (general-purpose bucket naming rules).
    role : str
        The IAM role ARN the SageMaker jobs run as.
    region : str
        The AWS region, e.g. ``us-east-1``; part of the pipeline name.
    service_name : str
        The service or model the pipeline serves; part of the pipeline name.
    pipeline_version : str
        The version of the pipeline, e.g. ``1.2.0``; part of the S3 location.
    pipeline_description : str, default "Model calibration pipeline"
        The pipeline's description (3072 characters at most).
    s3_key_prefix : str, default "pipelines"
        Key prefix under ``bucket`` for pipeline artifacts; ``""`` for the bucket root.
    execution_prefix_parameter_name : str, default "ExecutionPrefix"
        Name of the pipeline parameter whose value prefixes every output destination.

    Raises
    ------
    ConfigError
        ``CONFIG-TYPE`` / ``CONFIG-VALUE`` naming the first invalid field, or ``CONFIG-CONFLICT``
        listing every cross-field conflict.
    """

    author: str = attrs.field(validator=[is_str, matches(_NAME_PART, _NAME_PART_TEXT)])
    bucket: str = attrs.field(validator=[is_str, s3_bucket_name])
    role: str = attrs.field(validator=[is_str, iam_role_arn])
    region: str = attrs.field(validator=[is_str, aws_region])
    service_name: str = attrs.field(validator=[is_str, matches(_NAME_PART, _NAME_PART_TEXT)])
    pipeline_version: str = attrs.field(
        validator=[is_str, matches(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", "1-64 letters, digits, '.', '_' or '-', "
                                   "starting with a letter or digit, e.g. '1.2.0'")]
    )
    pipeline_description: str = attrs.field(
        default="Model calibration pipeline", validator=[is_str, matches(r"[^\x00-\x1f]{0,3072}", "at most 3072 "
                                                                         "characters, no control characters")]
    )
    s3_key_prefix: str = attrs.field(
        default="pipelines",
        validator=[is_str, matches(r"([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?",
                                   "an S3 key prefix without leading, trailing or doubled '/' (or '')")],
    )
    execution_prefix_parameter_name: str = attrs.field(
        default="ExecutionPrefix",
        validator=[is_str, non_empty, matches(r"[A-Za-z0-9_-]{1,256}", "a pipeline parameter name: 1-256 letters, "
                                              "digits, '_' or '-'")],
    )

    def __attrs_post_init__(self) -> None:
        raise_conflicts(type(self).__name__, self._conflicts())

    def _conflicts(self) -> list[Problem]:
        """Cross-field problems of this tier; subclasses extend the list (the only place for such rules)."""
        return []

    @property
    def pipeline_name(self) -> str:
        """``<author>-<service_name>-<region>``, sanitised to SageMaker's pipeline-name rules (derived)."""
        return sanitize_name(f"{self.author}-{self.service_name}-{self.region}", max_length=_PIPELINE_NAME_MAX_LENGTH)

    @property
    def pipeline_s3_location(self) -> str:
        """``s3://<bucket>/<s3_key_prefix>/<pipeline_name>/<pipeline_version>`` (derived)."""
        parts = [part for part in (self.s3_key_prefix, self.pipeline_name, self.pipeline_version) if part]
        return f"s3://{self.bucket}/" + "/".join(parts)


class ExampleEssentials(TypedDict):
    """The essential fields every config needs, as keyword arguments."""

    author: str
    bucket: str
    role: str
    region: str
    service_name: str
    pipeline_version: str


EXAMPLE_ESSENTIALS: ExampleEssentials = {
    "author": "data-scientist",
    "bucket": "example-bucket",
    "role": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
    "region": "us-east-1",
    "service_name": "calibration-demo",
    "pipeline_version": "1.0.0",
}
"""Placeholder essentials (no real account) for the steps' ``example_config()`` functions.

Examples
--------
>>> BasePipelineConfig(**EXAMPLE_ESSENTIALS).pipeline_name
'data-scientist-calibration-demo-us-east-1'
"""
