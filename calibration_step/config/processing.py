"""Tier 2: settings of a SageMaker processing job, on top of the pipeline-wide config.

The image is given either as ``framework_version`` of the stock scikit-learn processing image
(default ``1.4-2``: Python 3.10, scikit-learn 1.4.2, the image the script is tested on) or as an explicit
``image_uri``; giving ``image_uri`` makes ``framework_version`` default to None, and setting both
is a conflict. Limits follow the SageMaker API (instance count 1-100, volume 1-16384 GB, runtime
1-777600 s, at most 16 subnets, 5 security groups, 50 tags).

Examples
--------
>>> config = ProcessingConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0", tags={"team": "risk"})
>>> config.framework_version, config.image_uri, dict(config.tags)
('1.4-2', None, {'team': 'risk'})
>>> ProcessingConfig(author="jane", bucket="my-ml-bucket", role=config.role, region="us-east-1",
...     service_name="risk", pipeline_version="1.0", image_uri="123.dkr.ecr.us-east-1.amazonaws.com/calib:1").framework_version is None
True
>>> ProcessingConfig(author="jane", bucket="my-ml-bucket", role=config.role, region="us-east-1",
...     service_name="risk", pipeline_version="1.0", instance_count=0)
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CONFIG-VALUE] ProcessingConfig.instance_count must be an int from 1 to 100; got 0. ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from calibration_step.config.base import BasePipelineConfig
from calibration_step.config.validation import (
    V,
    Validator,
    AttributeLike,
    fail_validation,
    instance_type,
    int_between,
    is_bool,
    is_optional_str,
    is_str,
    matches,
    s3_script_uri,
    str_tuple,
    to_read_only_str_mapping,
    to_s3_uri,
    to_tuple,
)
from calibration_step.errors import Code, Problem

__all__ = ["DEFAULT_FRAMEWORK_VERSION", "ProcessingConfig"]

DEFAULT_FRAMEWORK_VERSION = "1.4-2"
"""The stock SageMaker scikit-learn processing image version the script is checked against."""

_KMS_KEY = matches(r"[a-zA-Z0-9:/_-]{1,2048}", "a KMS key id, alias or ARN", optional=True)
_SUBNET = re.compile(r"subnet-[0-9a-f]{8,17}")
_SECURITY_GROUP = re.compile(r"sg-[0-9a-f]{8,17}")
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
_ISO_DURATION = r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?"


def _ids(pattern: re.Pattern[str], what: str, max_items: int) -> Validator:
    tuple_check = str_tuple(max_items=max_items)
    requirement = f"a list of {what} ids ({pattern.pattern}), {max_items} at most"

    def check(instance: object, attribute: AttributeLike, value: V) -> None:
        tuple_check(instance, attribute, value)
        if isinstance(value, tuple) and any(pattern.fullmatch(str(item)) is None for item in value):
            fail_validation(instance, attribute, requirement, value)

    return check


def _tags(instance: object, attribute: AttributeLike, value: V) -> None:
    requirement = ("a mapping of at most 50 tags: keys of 1-128 and values of 0-256 letters, digits, spaces or "
                   "_.:/=+-@, keys not starting with 'aws:'")
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        fail_validation(instance, attribute, requirement, value, code=Code.CONFIG_TYPE)
    shown = dict(value)
    for key, item in value.items():
        if not (1 <= len(key) <= 128 and len(item) <= 256 and _TAG_TEXT.fullmatch(key) and _TAG_TEXT.fullmatch(item)):
            fail_validation(instance, attribute, requirement, shown)
        if key.lower().startswith("aws:"):
            fail_validation(instance, attribute, requirement, shown)
    if len(value) > 50:
        fail_validation(instance, attribute, requirement, shown)


def _default_framework_version(config: ProcessingConfig) -> str | None:
    return None if config.image_uri is not None else DEFAULT_FRAMEWORK_VERSION


@attrs.frozen(kw_only=True)
class ProcessingConfig(BasePipelineConfig):
    """Settings of a processing job: compute, image, encryption, network, tags, script, caching.

    Parameters
    ----------
    instance_type : str, default "ml.m5.xlarge"
        ``ml.<family>.<size>``.
    instance_count : int, default 1
        1 to 100.
    volume_size_gb : int, default 30
        1 to 16384.
    max_runtime_seconds : int, default 86400
        1 to 777600 (SageMaker's limit for processing jobs).
    image_uri : str or None, default None
        A processing image to run the script on, instead of the stock scikit-learn image.
    framework_version : str or None, default "1.4-2" (None when ``image_uri`` is given)
        Version of the stock scikit-learn processing image; exclusive with ``image_uri``.
    py_version : str, default "py3"
        Python version tag of the stock image.
    volume_kms_key, output_kms_key : str or None, default None
        KMS keys for the processing volume and the outputs.
    subnets, security_group_ids : tuple of str, default ()
        VPC settings; give both or neither.
    enable_network_isolation, encrypt_inter_container_traffic : bool, default False
        Network settings of the job.
    tags : mapping of str to str, default {}
        Tags of the job (stored read-only).
    script_uri : str or None, default None
        ``s3://<bucket>/<key>.py`` (or a ``.pyz`` zipapp): run this script (a user's own version) instead
        of the shipped one, with the same entrypoint (``python3 <file>``).
    enable_caching : bool, default False
        Reuse a previous run of the step with the same arguments.
    cache_expire_after : str, default "P30D"
        ISO 8601 duration for which cached results are reused.
    """

    instance_type: str = attrs.field(default="ml.m5.xlarge", validator=[is_str, instance_type])
    instance_count: int = attrs.field(default=1, validator=int_between(1, 100))
    volume_size_gb: int = attrs.field(default=30, validator=int_between(1, 16384))
    max_runtime_seconds: int = attrs.field(default=86400, validator=int_between(1, 777600))
    image_uri: str | None = attrs.field(
        default=None,
        validator=[is_optional_str, matches(r"[^\s/]+(/[^\s/]+)+(:[\w.-]+|@sha256:[0-9a-f]{64})?",
                                            "a container image URI such as <registry>/<repository>:<tag>",
                                            optional=True)],
    )
    framework_version: str | None = attrs.field(
        default=attrs.Factory(_default_framework_version, takes_self=True),
        validator=[is_optional_str, matches(r"\d+\.\d+-\d+(-py\d+)?", "a framework version such as '1.4-2'",
                                            optional=True)],
    )
    py_version: str = attrs.field(default="py3", validator=[is_str, matches(r"py3\d*", "a Python tag such as 'py3'")])
    volume_kms_key: str | None = attrs.field(default=None, validator=[is_optional_str, _KMS_KEY])
    output_kms_key: str | None = attrs.field(default=None, validator=[is_optional_str, _KMS_KEY])
    subnets: tuple[str, ...] = attrs.field(default=(), converter=to_tuple, validator=_ids(_SUBNET, "subnet", 16))
    security_group_ids: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_ids(_SECURITY_GROUP, "security group", 5)
    )
    enable_network_isolation: bool = attrs.field(default=False, validator=is_bool)
    encrypt_inter_container_traffic: bool = attrs.field(default=False, validator=is_bool)
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=to_read_only_str_mapping, validator=_tags)
    script_uri: str | None = attrs.field(default=None, converter=to_s3_uri, validator=[is_optional_str, s3_script_uri])
    enable_caching: bool = attrs.field(default=False, validator=is_bool)
    cache_expire_after: str = attrs.field(
        default="P30D", validator=[is_str, matches(_ISO_DURATION, "an ISO 8601 duration such as 'P30D' or 'PT12H'")]
    )

    def _conflicts(self) -> list[Problem]:
        problems = super()._conflicts()
        name = type(self).__name__
        if self.image_uri is not None and self.framework_version is not None:
            problems.append(Problem(
                code=Code.CONFIG_CONFLICT,
                message=f"{name}.framework_version must be None when image_uri is given; got "
                        f"framework_version={self.framework_version!r} and image_uri={self.image_uri!r}.",
                hint="give either image_uri or framework_version, not both",
                location="framework_version",
            ))
        if self.image_uri is None and self.framework_version is None:
            problems.append(Problem(
                code=Code.CONFIG_CONFLICT,
                message=f"{name}.framework_version must be set when image_uri is None; got neither.",
                hint=f"set framework_version (e.g. {DEFAULT_FRAMEWORK_VERSION!r}) or image_uri",
                location="framework_version",
            ))
        if bool(self.subnets) != bool(self.security_group_ids):
            problems.append(Problem(
                code=Code.CONFIG_CONFLICT,
                message=f"{name}.subnets and security_group_ids must be given together; got "
                        f"subnets={list(self.subnets)} and security_group_ids={list(self.security_group_ids)}.",
                hint="a VPC configuration needs both subnets and security groups",
                location="subnets" if not self.subnets else "security_group_ids",
            ))
        return problems
