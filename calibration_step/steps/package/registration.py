"""The registry entry of the Package step.

Examples
--------
>>> package_registration().step_type
'Package'
"""

from __future__ import annotations

from calibration_step.registry import StepRegistration
from calibration_step.steps.package.builder import build_package_step, package_step_definition
from calibration_step.steps.package.config import PackageConfig, example_config
from calibration_step.steps.package.contract import PACKAGE_CONTRACT
from calibration_step.steps.package.names import PACKAGE_STEP_TYPE, PackageInput
from calibration_step.steps.package.spec import PACKAGE_SPEC

__all__ = ["package_registration"]


def package_registration() -> StepRegistration[PackageConfig, PackageInput]:
    """The Package step: config class, builder, spec and contract (checked to agree when built)."""
    return StepRegistration(
        step_type=PACKAGE_STEP_TYPE,
        config_class=PackageConfig,
        builder=build_package_step,
        definition_builder=package_step_definition,
        spec=PACKAGE_SPEC,
        contract=PACKAGE_CONTRACT,
        sagemaker_step_type="Processing",
        example_config=example_config,
        description="Packages a trained model with its calibrator into one archive on a processing job.",
        script_shipped=False,
    )
