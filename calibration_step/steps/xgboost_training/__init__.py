"""The XGBoostTraining step: trains an XGBoost model (on a processing job) and scores its validation split."""

from __future__ import annotations

from calibration_step.steps.xgboost_training.builder import build_xgboost_training_step, xgboost_training_step_definition
from calibration_step.steps.xgboost_training.config import XGBoostTrainingConfig
from calibration_step.steps.xgboost_training.contract import XGBOOST_TRAINING_CONTRACT
from calibration_step.steps.xgboost_training.names import (
    XGBOOST_TRAINING_STEP_TYPE,
    XGBoostTrainingEnv,
    XGBoostTrainingInput,
    XGBoostTrainingOutput,
)
from calibration_step.steps.xgboost_training.spec import XGBOOST_TRAINING_SPEC

__all__ = [
    "XGBOOST_TRAINING_CONTRACT",
    "XGBOOST_TRAINING_SPEC",
    "XGBOOST_TRAINING_STEP_TYPE",
    "XGBoostTrainingConfig",
    "XGBoostTrainingEnv",
    "XGBoostTrainingInput",
    "XGBoostTrainingOutput",
    "build_xgboost_training_step",
    "xgboost_training_step_definition",
]
