"""Every name of the XGBoostTraining step, written once.

Examples
--------
>>> XGBoostTrainingOutput.MODEL_OUTPUT.value, XGBOOST_TRAINING_STEP_TYPE
('model_output', 'XGBoostTraining')
"""

from __future__ import annotations

import enum
from typing import Final, Literal, get_args

__all__ = [
    "OBJECTIVE_CHOICES",
    "Objective",
    "XGBOOST_TRAINING_JOB_FOLDER",
    "XGBOOST_TRAINING_SCRIPT",
    "XGBOOST_TRAINING_STEP_TYPE",
    "XGBoostTrainingEnv",
    "XGBoostTrainingInput",
    "XGBoostTrainingOutput",
]

XGBOOST_TRAINING_STEP_TYPE: Final = "XGBoostTraining"
XGBOOST_TRAINING_SCRIPT: Final = "xgboost_training.py"
XGBOOST_TRAINING_JOB_FOLDER: Final = "training"


class XGBoostTrainingInput(enum.Enum):
    """Logical input: the training data (train/ and val/ folders)."""

    INPUT_PATH = "input_path"


class XGBoostTrainingOutput(enum.Enum):
    """Logical outputs: the model and the predictions on the validation split."""

    MODEL_OUTPUT = "model_output"
    EVALUATION_OUTPUT = "evaluation_output"


class XGBoostTrainingEnv(enum.Enum):
    """Env vars (hyperparameters) the training script reads."""

    LABEL_FIELD = "LABEL_FIELD"
    OBJECTIVE = "OBJECTIVE"
    NUM_ROUND = "NUM_ROUND"
    MAX_DEPTH = "MAX_DEPTH"
    ETA = "ETA"


Objective = Literal["binary:logistic", "multi:softprob", "reg:squarederror"]
"""XGBoost objectives the step supports."""
OBJECTIVE_CHOICES: Final[tuple[str, ...]] = get_args(Objective)
