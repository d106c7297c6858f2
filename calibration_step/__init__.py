"""calibration_step: a typed, specification-driven model-calibration step for SageMaker Pipelines."""

from calibration_step.contract import ArgumentSpec, ContainerKind, ScriptContract
from calibration_step.enums import DependencyType, NodeType
from calibration_step.errors import (
    BuildError,
    CalibrationStepError,
    ConfigError,
    Problem,
    RegistryError,
    ResolutionError,
    SerializationError,
    SpecError,
)
from calibration_step.invariants import alignment_problems, contract_problems, spec_problems
from calibration_step.properties import PropertyReference
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification, dependency_of, output_by_name, output_of

__all__ = [
    "ArgumentSpec",
    "BuildError",
    "CalibrationStepError",
    "ConfigError",
    "ContainerKind",
    "DependencySpec",
    "DependencyType",
    "NodeType",
    "OutputSpec",
    "Problem",
    "PropertyReference",
    "RegistryError",
    "ResolutionError",
    "ScriptContract",
    "SerializationError",
    "SpecError",
    "StepSpecification",
    "alignment_problems",
    "contract_problems",
    "dependency_of",
    "output_by_name",
    "output_of",
    "spec_problems",
]
