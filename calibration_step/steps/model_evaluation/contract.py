"""The XGBoostModelEval script contract: container paths, env vars and arguments.

Examples
--------
>>> XGBOOST_MODEL_EVAL_CONTRACT.input_paths[XGBoostModelEvalInput.MODEL_INPUT]
'/opt/ml/processing/input/model'
"""

from __future__ import annotations

from typing import Final

from calibration_step.contract import ArgumentSpec, ScriptContract
from calibration_step.steps.model_evaluation.names import (
    EVAL_JOB_TYPE_CHOICES,
    XGBOOST_MODEL_EVAL_SCRIPT,
    XGBoostModelEvalEnv,
    XGBoostModelEvalInput,
    XGBoostModelEvalOutput,
)

__all__ = ["XGBOOST_MODEL_EVAL_CONTRACT"]

XGBOOST_MODEL_EVAL_CONTRACT: Final[
    ScriptContract[XGBoostModelEvalInput, XGBoostModelEvalOutput, XGBoostModelEvalEnv]
] = ScriptContract(
    entry_point=XGBOOST_MODEL_EVAL_SCRIPT,
    input_paths={
        XGBoostModelEvalInput.MODEL_INPUT: "/opt/ml/processing/input/model",
        XGBoostModelEvalInput.PROCESSED_DATA: "/opt/ml/processing/input/eval_data",
    },
    output_paths={
        XGBoostModelEvalOutput.EVAL_OUTPUT: "/opt/ml/processing/output/eval",
        XGBoostModelEvalOutput.METRICS_OUTPUT: "/opt/ml/processing/output/metrics",
    },
    required_env_vars=(XGBoostModelEvalEnv.LABEL_FIELD,),
    optional_env_vars={XGBoostModelEvalEnv.ID_FIELD: "id"},
    arguments=(ArgumentSpec(name="job_type", required=True, choices=EVAL_JOB_TYPE_CHOICES),),
    output_files={XGBoostModelEvalOutput.METRICS_OUTPUT: ("metrics.json",)},
    framework_requirements={"xgboost": ">=1.7"},
    description="Scores rows with an XGBoost model; writes the scored rows and metrics.json.",
)
"""The contract of ``xgboost_model_eval.py``."""
