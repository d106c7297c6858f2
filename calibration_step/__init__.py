"""calibration_step: a typed, specification-driven model-calibration step for SageMaker Pipelines.

The public API: the core model (contracts, specs, property references, invariants), the
ModelCalibration step (names, contract, spec, config, builder), the registry, the resolver and
the offline pipeline definition. Importing the package imports neither sagemaker nor pandas.
"""

from calibration_step.config import BasePipelineConfig, ProcessingConfig
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
from calibration_step.pipeline import pipeline_definition
from calibration_step.properties import PropertyReference
from calibration_step.registry import StepRegistration, StepRegistry
from calibration_step.resolver import Edge, ExternalBinding, ResolutionReport, resolve
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification, dependency_of, output_by_name, output_of
from calibration_step.steps import default_registry
from calibration_step.steps.model_calibration import (
    MODEL_CALIBRATION_CONTRACT,
    MODEL_CALIBRATION_SPEC,
    ModelCalibrationConfig,
    ModelCalibrationEnv,
    ModelCalibrationInput,
    ModelCalibrationOutput,
    model_calibration_environment,
)
from calibration_step.steps.model_calibration.builder import build_model_calibration_step, calibration_condition_step

__all__ = [
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
