"""The XGBoostTraining specification: training data in, model artifacts and validation predictions out.

Examples
--------
>>> from calibration_step.spec import output_by_name
>>> output_by_name(XGBOOST_TRAINING_SPEC, "ModelArtifacts").name
'model_output'
"""

from __future__ import annotations

from typing import Final

from calibration_step.enums import DependencyType, NodeType
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
from calibration_step.steps.processing_common import processing_output_path
from calibration_step.steps.xgboost_training.names import (
    XGBOOST_TRAINING_STEP_TYPE,
    XGBoostTrainingInput,
    XGBoostTrainingOutput,
)

__all__ = ["XGBOOST_TRAINING_SPEC"]

_Out = XGBoostTrainingOutput

XGBOOST_TRAINING_SPEC: Final[StepSpecification[XGBoostTrainingInput, XGBoostTrainingOutput]] = StepSpecification(
    step_type=XGBOOST_TRAINING_STEP_TYPE,
    node_type=NodeType.INTERNAL,
    dependencies=(
        DependencySpec(
            logical_name=XGBoostTrainingInput.INPUT_PATH,
            dependency_type=DependencyType.TRAINING_DATA,
            compatible_sources=("TabularPreprocessing",),
            semantic_keywords=("data", "processed", "training", "train", "dataset"),
            description="Training data with train/ and val/ sub-folders.",
        ),
    ),
    outputs=(
        OutputSpec(
            logical_name=_Out.MODEL_OUTPUT,
            output_type=DependencyType.MODEL_ARTIFACTS,
            property_path=processing_output_path(_Out.MODEL_OUTPUT),
            aliases=("model_artifacts", "ModelArtifacts", "trained_model"),
            description="The trained booster (xgboost_model.json).",
        ),
        OutputSpec(
            logical_name=_Out.EVALUATION_OUTPUT,
            output_type=DependencyType.PROCESSING_OUTPUT,
            property_path=processing_output_path(_Out.EVALUATION_OUTPUT),
            aliases=("validation_predictions",),
            description="Validation rows with the model's scores.",
        ),
    ),
    description="Trains an XGBoost model (on a processing job) and scores its validation split.",
)
"""The logical interface of the XGBoostTraining step."""
