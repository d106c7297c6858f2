"""A small example step (enums, spec, contract) shared by the core tests."""

from __future__ import annotations

import enum

from calibration_step import (
    ArgumentSpec,
    DependencySpec,
    DependencyType,
    NodeType,
    OutputSpec,
    ScriptContract,
    StepSpecification,
)


class ExampleInput(enum.Enum):
    TRAINING_DATA = "training_data"
    HYPERPARAMETERS = "hyperparameters"


class ExampleOutput(enum.Enum):
    MODEL = "model"
    METRICS = "metrics"


class ExampleEnv(enum.Enum):
    LEARNING_RATE = "LEARNING_RATE"
    MODE = "MODE"


class OtherInput(enum.Enum):
    FOREIGN = "foreign"


def output_path(name: str) -> str:
    return f"properties.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"


def example_spec() -> StepSpecification[ExampleInput, ExampleOutput]:
    return StepSpecification(
        step_type="ExampleTraining",
        node_type=NodeType.INTERNAL,
        dependencies=(
            DependencySpec(
                logical_name=ExampleInput.TRAINING_DATA,
                dependency_type=DependencyType.TRAINING_DATA,
                compatible_sources=("Preprocessing",),
                semantic_keywords=("data", "training"),
            ),
            DependencySpec(
                logical_name=ExampleInput.HYPERPARAMETERS,
                dependency_type=DependencyType.HYPERPARAMETERS,
                required=False,
            ),
        ),
        outputs=(
            OutputSpec(
                logical_name=ExampleOutput.MODEL,
                output_type=DependencyType.MODEL_ARTIFACTS,
                property_path=output_path("model"),
                aliases=("ModelArtifacts",),
            ),
            OutputSpec(
                logical_name=ExampleOutput.METRICS,
                output_type=DependencyType.PROCESSING_OUTPUT,
                property_path=output_path("metrics"),
            ),
        ),
    )


def example_contract() -> ScriptContract[ExampleInput, ExampleOutput, ExampleEnv]:
    return ScriptContract(
        entry_point="example_training.py",
        input_paths={
            ExampleInput.TRAINING_DATA: "/opt/ml/processing/input/data",
            ExampleInput.HYPERPARAMETERS: "/opt/ml/processing/input/config",
        },
        output_paths={
            ExampleOutput.MODEL: "/opt/ml/processing/output/model",
            ExampleOutput.METRICS: "/opt/ml/processing/output/metrics",
        },
        required_env_vars=(ExampleEnv.LEARNING_RATE,),
        optional_env_vars={ExampleEnv.MODE: "fast"},
        arguments=(ArgumentSpec(name="job_type", choices=("training", "testing"), default="training"),),
        output_files={ExampleOutput.METRICS: ("metrics.json",)},
        framework_requirements={"python": ">=3.10"},
    )
