"""The ModelCalibration specification: sound, aligned with the contract, its dependencies and outputs as declared."""

from __future__ import annotations

import pytest

from calibration_step.enums import DependencyType, NodeType
from calibration_step.invariants import alignment_problems, spec_problems
from calibration_step.properties import PropertyReference
from calibration_step.spec import dependency_of, output_by_name, output_of
from calibration_step.steps.model_calibration import (
    MODEL_CALIBRATION_CONTRACT,
    MODEL_CALIBRATION_SPEC,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)

SPEC = MODEL_CALIBRATION_SPEC


def test_the_spec_breaks_no_invariant_and_aligns_with_the_contract() -> None:
    assert spec_problems(SPEC) == ()
    assert alignment_problems(SPEC, MODEL_CALIBRATION_CONTRACT) == ()
    assert (SPEC.step_type, SPEC.node_type) == ("ModelCalibration", NodeType.INTERNAL)


def test_evaluation_data_dependency() -> None:
    dependency = dependency_of(SPEC, ModelCalibrationInput.EVALUATION_DATA)
    assert (dependency.dependency_type, dependency.required, dependency.data_type) == (
        DependencyType.PROCESSING_OUTPUT, True, "S3Uri")
    assert set(dependency.compatible_sources) == {
        "XGBoostTraining", "XGBoostModelEval", "LightGBMTraining", "LightGBMModelEval", "PyTorchTraining",
        "PyTorchModelEval", "ModelEvaluation", "TrainingEvaluation", "CrossValidation",
    }
    assert {"evaluation", "predictions", "scores"} <= set(dependency.semantic_keywords)


def test_calibration_model_dependency_is_optional_and_fed_by_a_calibration_output() -> None:
    dependency = dependency_of(SPEC, ModelCalibrationInput.CALIBRATION_MODEL)
    assert dependency.required is False
    calibrator = output_of(SPEC, ModelCalibrationOutput.CALIBRATION_OUTPUT)
    assert dependency.dependency_type is calibrator.output_type is DependencyType.MODEL_ARTIFACTS
    assert SPEC.step_type in dependency.compatible_sources
    assert output_by_name(SPEC, dependency.name) is calibrator


@pytest.mark.parametrize("name", list(ModelCalibrationOutput))
def test_output_property_paths_name_the_output(name: ModelCalibrationOutput) -> None:
    output = output_of(SPEC, name)
    assert output.property_path == f"properties.ProcessingOutputConfig.Outputs['{name.value}'].S3Output.S3Uri"
    assert PropertyReference(step_name="Calibrate", property_path=output.property_path).to_get() == {
        "Get": f"Steps.Calibrate.ProcessingOutputConfig.Outputs['{name.value}'].S3Output.S3Uri"}


def test_aliases_find_their_output_and_never_name_another() -> None:
    names = {output.name for output in SPEC.outputs}
    for output in SPEC.outputs:
        assert output.aliases
        for alias in output.aliases:
            assert output_by_name(SPEC, alias) is output
            assert alias.casefold() not in names - {output.name}
    assert output_by_name(SPEC, "CalibrationMetrics") is output_of(SPEC, ModelCalibrationOutput.METRICS_OUTPUT)
