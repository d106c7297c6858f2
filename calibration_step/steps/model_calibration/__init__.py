"""The ModelCalibration step: names, script contract, specification and config.

The builder (``builder.py``) and the registration (``registration.py``) are imported from their
own modules, so importing this package never imports sagemaker.

Examples
--------
>>> from calibration_step.steps.model_calibration import MODEL_CALIBRATION_SPEC, MODEL_CALIBRATION_CONTRACT
>>> MODEL_CALIBRATION_SPEC.step_type, MODEL_CALIBRATION_CONTRACT.entry_point
('ModelCalibration', 'model_calibration.pyz')
"""

from __future__ import annotations

from calibration_step.script.interface import (
    CalibrationMethod,
    JobType,
    ModelCalibrationEnv,
    ModelCalibrationInput,
    ModelCalibrationOutput,
    ScoreSpace,
)
from calibration_step.steps.model_calibration.config import (
    ModelCalibrationConfig,
    model_calibration_arguments,
    model_calibration_environment,
)
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC

__all__ = [
    "CalibrationMethod",
    "JobType",
    "MODEL_CALIBRATION_CONTRACT",
    "MODEL_CALIBRATION_SPEC",
    "ModelCalibrationConfig",
    "ModelCalibrationEnv",
    "ModelCalibrationInput",
    "ModelCalibrationOutput",
    "ScoreSpace",
    "model_calibration_arguments",
    "model_calibration_environment",
]
