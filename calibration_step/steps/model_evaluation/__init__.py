"""The XGBoostModelEval step: scores rows with a trained XGBoost model (the usual upstream of calibration)."""

from __future__ import annotations

from calibration_step.steps.model_evaluation.builder import build_xgboost_model_eval_step, xgboost_model_eval_step_definition
from calibration_step.steps.model_evaluation.config import XGBoostModelEvalConfig
from calibration_step.steps.model_evaluation.contract import XGBOOST_MODEL_EVAL_CONTRACT
from calibration_step.steps.model_evaluation.names import (
    XGBOOST_MODEL_EVAL_STEP_TYPE,
    XGBoostModelEvalEnv,
    XGBoostModelEvalInput,
    XGBoostModelEvalOutput,
)
from calibration_step.steps.model_evaluation.spec import XGBOOST_MODEL_EVAL_SPEC

__all__ = [
    "XGBOOST_MODEL_EVAL_CONTRACT",
    "XGBOOST_MODEL_EVAL_SPEC",
    "XGBOOST_MODEL_EVAL_STEP_TYPE",
    "XGBoostModelEvalConfig",
    "XGBoostModelEvalEnv",
    "XGBoostModelEvalInput",
    "XGBoostModelEvalOutput",
    "build_xgboost_model_eval_step",
    "xgboost_model_eval_step_definition",
]
