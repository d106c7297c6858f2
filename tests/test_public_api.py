"""The public surface is what ``calibration_step.__all__`` says, sorted, and nothing else by accident."""

from __future__ import annotations

import inspect
import subprocess
import sys

import calibration_step

EXPECTED = [
    "ArgumentSpec",
    "BasePipelineConfig",
    "BuildError",
    "CalibrationStepError",
    "ConfigError",
    "ContainerKind",
    "DependencySpec",
    "DependencyType",
    "Edge",
    "ExternalBinding",
    "MODEL_CALIBRATION_CONTRACT",
    "MODEL_CALIBRATION_SPEC",
    "ModelCalibrationConfig",
    "ModelCalibrationEnv",
    "ModelCalibrationInput",
    "ModelCalibrationOutput",
    "NodeType",
    "OutputSpec",
    "Problem",
    "ProcessingConfig",
    "PropertyReference",
    "RegistryError",
    "ResolutionError",
    "ResolutionReport",
    "ScriptContract",
    "SerializationError",
    "SpecError",
    "StepRegistration",
    "StepRegistry",
    "StepSpecification",
    "alignment_problems",
    "build_model_calibration_step",
    "calibration_condition_step",
    "contract_problems",
    "default_registry",
    "dependency_of",
    "model_calibration_environment",
    "output_by_name",
    "output_of",
    "pipeline_definition",
    "resolve",
    "spec_problems",
]


def test_all_is_pinned_and_sorted() -> None:
    assert calibration_step.__all__ == EXPECTED
    assert calibration_step.__all__ == sorted(calibration_step.__all__)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in calibration_step.__all__:
        value = getattr(calibration_step, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_importing_the_package_does_not_import_sagemaker() -> None:
    code = "import sys, calibration_step; print('sagemaker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"
