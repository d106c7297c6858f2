"""``PackageConfig``: the processing job plus the packaging script's one parameter.

Examples
--------
>>> config = PackageConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0")
>>> {k.value: v for k, v in package_environment(config).items()}
{'CALIBRATOR_FILE': 'calibrator.json'}
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from calibration_step.config.base import EXAMPLE_ESSENTIALS
from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import is_str, matches
from calibration_step.steps.package.names import PackageEnv

__all__ = ["PackageConfig", "example_config", "package_environment"]


@attrs.frozen(kw_only=True)
class PackageConfig(ProcessingConfig):
    """Settings of the Package step.

    Parameters
    ----------
    calibrator_file : str, default "calibrator.json"
        File name of the calibrator inside ``calibration_model``.
    """

    calibrator_file: str = attrs.field(
        default="calibrator.json", validator=[is_str, matches(r"[A-Za-z0-9_.-]+\.json", "a .json file name")]
    )


def package_environment(config: PackageConfig) -> Mapping[PackageEnv, str]:
    """The env vars of the job, keyed by the contract's names."""
    return {PackageEnv.CALIBRATOR_FILE: config.calibrator_file}


def example_config() -> PackageConfig:
    """A complete, valid example with placeholder essentials; the alignment checker builds from it.

    Examples
    --------
    >>> example_config().region
    'us-east-1'
    """
    return PackageConfig(**EXAMPLE_ESSENTIALS)
