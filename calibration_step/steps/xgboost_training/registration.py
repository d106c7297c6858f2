"""The registry entry of the XGBoostTraining step.

Examples
--------
>>> xgboost_training_registration().step_type
'XGBoostTraining'
"""

from __future__ import annotations

from calibration_step.registry import StepRegistration
from calibration_step.steps.xgboost_training.builder import build_xgboost_training_step, xgboost_training_step_definition
from calibration_step.steps.xgboost_training.config import XGBoostTrainingConfig, example_config
from calibration_step.steps.xgboost_training.contract import XGBOOST_TRAINING_CONTRACT
from calibration_step.steps.xgboost_training.names import XGBOOST_TRAINING_STEP_TYPE, XGBoostTrainingInput
from calibration_step.steps.xgboost_training.spec import XGBOOST_TRAINING_SPEC

__all__ = ["xgboost_training_registration"]


def xgboost_training_registration() -> StepRegistration[XGBoostTrainingConfig, XGBoostTrainingInput]:
    """The XGBoostTraining step: config class, builder, spec and contract (checked to agree when built)."""
    return StepRegistration(
        step_type=XGBOOST_TRAINING_STEP_TYPE,
        config_class=XGBoostTrainingConfig,
        builder=build_xgboost_training_step,
        definition_builder=xgboost_training_step_definition,
        spec=XGBOOST_TRAINING_SPEC,
        contract=XGBOOST_TRAINING_CONTRACT,
        sagemaker_step_type="Processing",
        example_config=example_config,
        description="Trains an XGBoost model on a processing job (model, validation predictions).",
        script_shipped=False,
    )
