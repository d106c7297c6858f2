"""calibration_step: a typed, specification-driven model-calibration step for SageMaker Pipelines.

The public API: the core model (contracts, specs, property references, invariants), the
ModelCalibration step (names, contract, spec, config, builder, script upload), the configs of its
companion steps and the calibration DAG they form, the registry, the resolver, the offline
pipeline definition and running it on SageMaker (create or update, start, wait, read the
metrics); config files are read and written by :mod:`calibration_step.config_json`.
Importing the package imports neither sagemaker nor pandas.
"""

from typing import TYPE_CHECKING

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
from calibration_step.registry import StepRegistration, StepRegistry
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification, dependency_of, output_by_name, output_of

if TYPE_CHECKING:
    from calibration_step.assembly import (
        CalibrationDag,
        calibration_dag_definition,
        calibration_dag_report,
        calibration_dag_steps,
    )
    from calibration_step.deployment import (
        ExecutionOutcome,
        execution_metrics,
        start_execution,
        upsert_pipeline,
        wait_for_execution,
    )
    from calibration_step.config import BasePipelineConfig, ProcessingConfig
    from calibration_step.pipeline import pipeline_definition
    from calibration_step.processing.values import StringParameter
    from calibration_step.resolver import Edge, ExternalBinding, ResolutionReport, resolve
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
    from calibration_step.steps.model_calibration.builder import (
        ModelCalibrationStep,
        build_model_calibration_step,
        calibration_condition_step,
        calibration_fail_step,
        default_execution_prefix,
    )
    from calibration_step.steps.model_calibration.upload import upload_script
    from calibration_step.steps.model_evaluation import XGBoostModelEvalConfig
    from calibration_step.steps.package import PackageConfig, package_config_for

# Steps, configs, the resolver and builders load on first use (PEP 562): importing the package
# stays cheap, and a broken step definition cannot stop the core (or the alignment checker that
# reports it) from importing.
_LAZY = {
    "CalibrationDag": "calibration_step.assembly",
    "calibration_dag_definition": "calibration_step.assembly",
    "calibration_dag_report": "calibration_step.assembly",
    "BasePipelineConfig": "calibration_step.config",
    "ProcessingConfig": "calibration_step.config",
    "pipeline_definition": "calibration_step.pipeline",
    "Edge": "calibration_step.resolver",
    "ExternalBinding": "calibration_step.resolver",
    "ResolutionReport": "calibration_step.resolver",
    "resolve": "calibration_step.resolver",
    "default_registry": "calibration_step.steps",
    "MODEL_CALIBRATION_CONTRACT": "calibration_step.steps.model_calibration",
    "MODEL_CALIBRATION_SPEC": "calibration_step.steps.model_calibration",
    "ModelCalibrationConfig": "calibration_step.steps.model_calibration",
    "ModelCalibrationEnv": "calibration_step.steps.model_calibration",
    "ModelCalibrationInput": "calibration_step.steps.model_calibration",
    "ModelCalibrationOutput": "calibration_step.steps.model_calibration",
    "model_calibration_environment": "calibration_step.steps.model_calibration",
    "ModelCalibrationStep": "calibration_step.steps.model_calibration.builder",
    "build_model_calibration_step": "calibration_step.steps.model_calibration.builder",
    "calibration_condition_step": "calibration_step.steps.model_calibration.builder",
    "default_execution_prefix": "calibration_step.steps.model_calibration.builder",
    "upload_script": "calibration_step.steps.model_calibration.upload",
    "XGBoostModelEvalConfig": "calibration_step.steps.model_evaluation",
    "PackageConfig": "calibration_step.steps.package",
    "ExecutionOutcome": "calibration_step.deployment",
    "execution_metrics": "calibration_step.deployment",
    "start_execution": "calibration_step.deployment",
    "upsert_pipeline": "calibration_step.deployment",
    "wait_for_execution": "calibration_step.deployment",
    "calibration_dag_steps": "calibration_step.assembly",
    "calibration_fail_step": "calibration_step.steps.model_calibration.builder",
    "package_config_for": "calibration_step.steps.package",
    "StringParameter": "calibration_step.processing.values",
}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'calibration_step' has no attribute {name!r}")
    import importlib

    value: object = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


__all__ = [
    "ArgumentSpec",
    "BasePipelineConfig",
    "BuildError",
    "CalibrationDag",
    "CalibrationStepError",
    "ConfigError",
    "ContainerKind",
    "DependencySpec",
    "DependencyType",
    "Edge",
    "ExecutionOutcome",
    "ExternalBinding",
    "MODEL_CALIBRATION_CONTRACT",
    "MODEL_CALIBRATION_SPEC",
    "ModelCalibrationConfig",
    "ModelCalibrationEnv",
    "ModelCalibrationInput",
    "ModelCalibrationOutput",
    "ModelCalibrationStep",
    "NodeType",
    "OutputSpec",
    "PackageConfig",
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
    "StringParameter",
    "XGBoostModelEvalConfig",
    "alignment_problems",
    "build_model_calibration_step",
    "calibration_condition_step",
    "calibration_dag_definition",
    "calibration_dag_report",
    "calibration_dag_steps",
    "calibration_fail_step",
    "contract_problems",
    "default_execution_prefix",
    "default_registry",
    "dependency_of",
    "execution_metrics",
    "model_calibration_environment",
    "output_by_name",
    "output_of",
    "package_config_for",
    "pipeline_definition",
    "resolve",
    "spec_problems",
    "start_execution",
    "upload_script",
    "upsert_pipeline",
    "wait_for_execution",
]
