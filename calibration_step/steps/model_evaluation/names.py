"""Every name of the XGBoostModelEval step, written once.

Examples
--------
>>> XGBoostModelEvalOutput.EVAL_OUTPUT.value, XGBOOST_MODEL_EVAL_STEP_TYPE
('eval_output', 'XGBoostModelEval')
"""

from __future__ import annotations

import enum
from typing import Final, Literal, get_args

__all__ = [
    "EVAL_JOB_TYPE_CHOICES",
    "EvalJobType",
    "XGBOOST_MODEL_EVAL_SCRIPT",
    "XGBOOST_MODEL_EVAL_STEP_TYPE",
    "XGBoostModelEvalEnv",
    "XGBoostModelEvalInput",
    "XGBoostModelEvalOutput",
]

XGBOOST_MODEL_EVAL_STEP_TYPE: Final = "XGBoostModelEval"
XGBOOST_MODEL_EVAL_SCRIPT: Final = "xgboost_model_eval.py"


class XGBoostModelEvalInput(enum.Enum):
    """Logical inputs: the trained model and the rows to score."""

    MODEL_INPUT = "model_input"
    PROCESSED_DATA = "processed_data"


class XGBoostModelEvalOutput(enum.Enum):
    """Logical outputs: the scored rows and the evaluation metrics."""

    EVAL_OUTPUT = "eval_output"
    METRICS_OUTPUT = "metrics_output"


class XGBoostModelEvalEnv(enum.Enum):
    """Env vars the evaluation script reads."""

    LABEL_FIELD = "LABEL_FIELD"
    ID_FIELD = "ID_FIELD"


EvalJobType = Literal["training", "calibration", "validation", "testing"]
"""``--job_type`` of the evaluation: which split is scored."""
EVAL_JOB_TYPE_CHOICES: Final[tuple[str, ...]] = get_args(EvalJobType)
