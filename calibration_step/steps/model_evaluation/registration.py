"""The registry entry of the XGBoostModelEval step.

Examples
--------
>>> xgboost_model_eval_registration().step_type
'XGBoostModelEval'
"""

from __future__ import annotations

from calibration_step.registry import StepRegistration
from calibration_step.steps.model_evaluation.builder import build_xgboost_model_eval_step, xgboost_model_eval_step_definition
from calibration_step.steps.model_evaluation.config import XGBoostModelEvalConfig, example_config
from calibration_step.steps.model_evaluation.contract import XGBOOST_MODEL_EVAL_CONTRACT
from calibration_step.steps.model_evaluation.names import XGBOOST_MODEL_EVAL_STEP_TYPE, XGBoostModelEvalInput
from calibration_step.steps.model_evaluation.spec import XGBOOST_MODEL_EVAL_SPEC

__all__ = ["xgboost_model_eval_registration"]


def xgboost_model_eval_registration() -> StepRegistration[XGBoostModelEvalConfig, XGBoostModelEvalInput]:
    """The XGBoostModelEval step: config class, builder, spec and contract (checked to agree when built)."""
    return StepRegistration(
        step_type=XGBOOST_MODEL_EVAL_STEP_TYPE,
        config_class=XGBoostModelEvalConfig,
        builder=build_xgboost_model_eval_step,
        definition_builder=xgboost_model_eval_step_definition,
        spec=XGBOOST_MODEL_EVAL_SPEC,
        contract=XGBOOST_MODEL_EVAL_CONTRACT,
        sagemaker_step_type="Processing",
        example_config=example_config,
        description="Scores rows with a trained XGBoost model on a processing job (scored rows, metrics).",
        script_shipped=False,
    )
