"""The Package specification: a model and its calibrator (``calibration_output``) in, one archive out.

Examples
--------
>>> [d.name for d in PACKAGE_SPEC.dependencies]
['model_input', 'calibration_model']
"""

from __future__ import annotations

from typing import Final

from calibration_step.enums import DependencyType, NodeType
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
from calibration_step.steps.package.names import PACKAGE_STEP_TYPE, PackageInput, PackageOutput
from calibration_step.steps.processing_common import processing_output_path

__all__ = ["PACKAGE_SPEC"]

PACKAGE_SPEC: Final[StepSpecification[PackageInput, PackageOutput]] = StepSpecification(
    step_type=PACKAGE_STEP_TYPE,
    node_type=NodeType.INTERNAL,
    dependencies=(
        DependencySpec(
            logical_name=PackageInput.MODEL_INPUT,
            dependency_type=DependencyType.MODEL_ARTIFACTS,
            compatible_sources=("XGBoostTraining",),
            semantic_keywords=("model", "artifacts", "trained"),
            description="The trained model artifacts (model.tar.gz or its folder).",
        ),
        DependencySpec(
            logical_name=PackageInput.CALIBRATION_MODEL,
            dependency_type=DependencyType.MODEL_ARTIFACTS,
            compatible_sources=("ModelCalibration",),
            semantic_keywords=("calibration", "calibrator", "calibration_output"),
            description="The calibrator (calibrator.json) of ModelCalibration's calibration_output.",
        ),
    ),
    outputs=(
        OutputSpec(
            logical_name=PackageOutput.PACKAGED_MODEL,
            output_type=DependencyType.MODEL_ARTIFACTS,
            property_path=processing_output_path(PackageOutput.PACKAGED_MODEL),
            aliases=("PackagedModel",),
            description="model.tar.gz holding the model and its calibrator.",
        ),
    ),
    description="Packages a trained model with its calibrator into one deployable archive.",
)
"""The logical interface of the Package step."""
