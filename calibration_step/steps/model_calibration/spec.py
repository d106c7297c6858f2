"""The step specification of ModelCalibration: dependencies, outputs, aliases, property paths.

Dependency and output types
---------------------------
``evaluation_data`` consumes a ``processing_output`` (an evaluation or training step's scored
rows). The calibrator is a model artifact: ``calibration_output`` is produced as
``model_artifacts`` and the optional ``calibration_model`` dependency consumes
``model_artifacts``, so a calibrator can be wired from one ModelCalibration step into another
(validation/testing jobs) but never into ``evaluation_data`` (the resolver treats the two types
as incompatible). ``metrics_output`` and ``calibrated_data`` are ``processing_output``.

Aliases never equal another output's logical name (an invariant); ``calibration_output`` carries
the alias ``calibration_model`` so a downstream ModelCalibration's optional input gets an exact
name match.

Examples
--------
>>> from calibration_step.spec import dependency_of, output_by_name
>>> MODEL_CALIBRATION_SPEC.step_type
'ModelCalibration'
>>> dependency_of(MODEL_CALIBRATION_SPEC, ModelCalibrationInput.CALIBRATION_MODEL).required
False
>>> output_by_name(MODEL_CALIBRATION_SPEC, "CalibrationMetrics").name
'metrics_output'
"""

from __future__ import annotations

from typing import Final

from calibration_step.enums import DependencyType, NodeType
from calibration_step.script.interface import (
    MODEL_CALIBRATION_STEP_TYPE,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
from calibration_step.steps.processing_common import processing_output_path

__all__ = ["MODEL_CALIBRATION_SPEC"]

EVALUATION_DATA_SOURCES: Final[tuple[str, ...]] = (
    "XGBoostTraining",
    "XGBoostModelEval",
    "LightGBMTraining",
    "LightGBMModelEval",
    "PyTorchTraining",
    "PyTorchModelEval",
    "ModelEvaluation",
    "TrainingEvaluation",
    "CrossValidation",
)
"""Upstream step types whose outputs hold scored rows."""


def _output(
    name: ModelCalibrationOutput, output_type: DependencyType, aliases: tuple[str, ...], description: str
) -> OutputSpec[ModelCalibrationOutput]:
    return OutputSpec(
        logical_name=name,
        output_type=output_type,
        property_path=processing_output_path(name),
        aliases=aliases,
        data_type="S3Uri",
        description=description,
    )


MODEL_CALIBRATION_SPEC: Final[StepSpecification[ModelCalibrationInput, ModelCalibrationOutput]] = StepSpecification(
    step_type=MODEL_CALIBRATION_STEP_TYPE,
    node_type=NodeType.INTERNAL,
    dependencies=(
        DependencySpec(
            logical_name=ModelCalibrationInput.EVALUATION_DATA,
            dependency_type=DependencyType.PROCESSING_OUTPUT,
            required=True,
            compatible_sources=EVALUATION_DATA_SOURCES,
            semantic_keywords=(
                "evaluation",
                "eval",
                "predictions",
                "predicted",
                "scores",
                "scored",
                "probabilities",
                "prob",
                "model_output",
                "inference",
                "validation",
                "eval_data",
                "processed_data",
            ),
            data_type="S3Uri",
            description="Scored rows with a label column and score column(s) to calibrate.",
        ),
        DependencySpec(
            logical_name=ModelCalibrationInput.CALIBRATION_MODEL,
            dependency_type=DependencyType.MODEL_ARTIFACTS,
            required=False,
            compatible_sources=(MODEL_CALIBRATION_STEP_TYPE,),
            semantic_keywords=("calibrator", "calibration", "calibration_model", "calibration_output"),
            data_type="S3Uri",
            description="An existing calibrator.json, applied without fitting by validation/testing jobs.",
        ),
    ),
    outputs=(
        _output(
            ModelCalibrationOutput.CALIBRATION_OUTPUT,
            DependencyType.MODEL_ARTIFACTS,
            ("calibration_model", "calibrator", "CalibrationModel"),
            "The calibrator artifact (calibrator.json).",
        ),
        _output(
            ModelCalibrationOutput.METRICS_OUTPUT,
            DependencyType.PROCESSING_OUTPUT,
            ("calibration_metrics", "CalibrationMetrics"),
            "metrics.json, summary.json, reliability_diagram.png and report.html.",
        ),
        _output(
            ModelCalibrationOutput.CALIBRATED_DATA,
            DependencyType.PROCESSING_OUTPUT,
            ("calibrated_predictions", "CalibratedPredictions", "calibrated_scores"),
            "The evaluation rows plus calibrated score columns, one file per input shard.",
        ),
    ),
    description="Calibrates model scores into probabilities and reports calibration metrics.",
)
"""The logical interface of the ModelCalibration step."""
