"""The XGBoostTraining script contract.

Examples
--------
>>> sorted(XGBOOST_TRAINING_CONTRACT.env_var_names())
['ETA', 'LABEL_FIELD', 'MAX_DEPTH', 'NUM_ROUND', 'OBJECTIVE']
"""

from __future__ import annotations

from typing import Final

from calibration_step.contract import ScriptContract
from calibration_step.steps.xgboost_training.names import (
    XGBOOST_TRAINING_SCRIPT,
    XGBoostTrainingEnv,
    XGBoostTrainingInput,
    XGBoostTrainingOutput,
)

__all__ = ["XGBOOST_TRAINING_CONTRACT"]

_Env = XGBoostTrainingEnv

XGBOOST_TRAINING_CONTRACT: Final[
    ScriptContract[XGBoostTrainingInput, XGBoostTrainingOutput, XGBoostTrainingEnv]
] = ScriptContract(
    entry_point=XGBOOST_TRAINING_SCRIPT,
    input_paths={XGBoostTrainingInput.INPUT_PATH: "/opt/ml/processing/input/data"},
    output_paths={
        XGBoostTrainingOutput.MODEL_OUTPUT: "/opt/ml/processing/output/model",
        XGBoostTrainingOutput.EVALUATION_OUTPUT: "/opt/ml/processing/output/evaluation",
    },
    required_env_vars=(_Env.LABEL_FIELD, _Env.OBJECTIVE),
    optional_env_vars={_Env.NUM_ROUND: "100", _Env.MAX_DEPTH: "6", _Env.ETA: "0.3"},
    output_files={XGBoostTrainingOutput.MODEL_OUTPUT: ("xgboost_model.json",)},
    framework_requirements={"xgboost": ">=1.7"},
    description="Trains an XGBoost booster; writes the model and validation predictions.",
)
"""The contract of ``xgboost_training.py``."""
