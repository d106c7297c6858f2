"""The registry entry of the ModelCalibration step.

Examples
--------
>>> registration = model_calibration_registration()
>>> registration.step_type, registration.sagemaker_step_type, registration.config_class.__name__
('ModelCalibration', 'Processing', 'ModelCalibrationConfig')
"""

from __future__ import annotations

from calibration_step.registry import StepRegistration
from calibration_step.steps.model_calibration.builder import build_model_calibration_step, model_calibration_step_definition
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig, example_config
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT
from calibration_step.script.interface import MODEL_CALIBRATION_STEP_TYPE, ModelCalibrationInput
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC

__all__ = ["model_calibration_registration"]


def model_calibration_registration() -> StepRegistration[ModelCalibrationConfig, ModelCalibrationInput]:
    """The ModelCalibration step: config class, builder, spec and contract (checked to agree when built).

    Raises
    ------
    SpecError
        ``REGISTRATION-INVALID`` if the spec and the contract disagree or a name breaks a convention.
    """
    return StepRegistration(
        step_type=MODEL_CALIBRATION_STEP_TYPE,
        config_class=ModelCalibrationConfig,
        builder=build_model_calibration_step,
        definition_builder=model_calibration_step_definition,
        spec=MODEL_CALIBRATION_SPEC,
        contract=MODEL_CALIBRATION_CONTRACT,
        sagemaker_step_type="Processing",
        example_config=example_config,
        description="Calibrates model scores into probabilities on a SageMaker processing job and reports "
        "calibration metrics (calibrator JSON, metrics, calibrated rows).",
    )
