"""The XGBoostModelEval specification: a trained model and rows in, scored rows and metrics out.

Examples
--------
>>> from calibration_step.spec import output_by_name
>>> output_by_name(XGBOOST_MODEL_EVAL_SPEC, "evaluation_data").name
'eval_output'
"""

from __future__ import annotations

from typing import Final

from calibration_step.enums import DependencyType, NodeType
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
from calibration_step.steps.model_evaluation.names import (
    XGBOOST_MODEL_EVAL_STEP_TYPE,
    XGBoostModelEvalInput,
    XGBoostModelEvalOutput,
)
from calibration_step.steps.processing_common import processing_output_path

__all__ = ["XGBOOST_MODEL_EVAL_SPEC"]

_In, _Out = XGBoostModelEvalInput, XGBoostModelEvalOutput

XGBOOST_MODEL_EVAL_SPEC: Final[StepSpecification[XGBoostModelEvalInput, XGBoostModelEvalOutput]] = StepSpecification(
    step_type=XGBOOST_MODEL_EVAL_STEP_TYPE,
    node_type=NodeType.INTERNAL,
    dependencies=(
        DependencySpec(
            logical_name=_In.MODEL_INPUT,
            dependency_type=DependencyType.MODEL_ARTIFACTS,
            compatible_sources=("XGBoostTraining",),
            semantic_keywords=("model", "artifacts", "trained"),
            description="The trained XGBoost model (model.tar.gz or its folder).",
        ),
        DependencySpec(
            logical_name=_In.PROCESSED_DATA,
            dependency_type=DependencyType.PROCESSING_OUTPUT,
            compatible_sources=("TabularPreprocessing",),
            semantic_keywords=("data", "processed", "evaluation", "test"),
            description="Rows to score, with the label column.",
        ),
    ),
    outputs=(
        OutputSpec(
            logical_name=_Out.EVAL_OUTPUT,
            output_type=DependencyType.PROCESSING_OUTPUT,
            property_path=processing_output_path(_Out.EVAL_OUTPUT),
            aliases=("evaluation_data", "predictions", "scored_data"),
            description="The input rows with the model's score column(s).",
        ),
        OutputSpec(
            logical_name=_Out.METRICS_OUTPUT,
            output_type=DependencyType.PROCESSING_OUTPUT,
            property_path=processing_output_path(_Out.METRICS_OUTPUT),
            aliases=("evaluation_metrics",),
            description="Evaluation metrics (metrics.json).",
        ),
    ),
    description="Scores rows with a trained XGBoost model and reports evaluation metrics.",
)
"""The logical interface of the XGBoostModelEval step."""
