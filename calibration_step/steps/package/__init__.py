"""The Package step: a trained model and its calibrator (``calibration_output``) packed into one archive."""

from __future__ import annotations

from calibration_step.steps.package.builder import build_package_step, package_step_definition
from calibration_step.steps.package.config import PackageConfig
from calibration_step.steps.package.contract import PACKAGE_CONTRACT
from calibration_step.steps.package.names import PACKAGE_STEP_TYPE, PackageEnv, PackageInput, PackageOutput
from calibration_step.steps.package.spec import PACKAGE_SPEC

__all__ = [
    "PACKAGE_CONTRACT",
    "PACKAGE_SPEC",
    "PACKAGE_STEP_TYPE",
    "PackageConfig",
    "PackageEnv",
    "PackageInput",
    "PackageOutput",
    "build_package_step",
    "package_step_definition",
]
