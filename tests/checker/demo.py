"""A small demo step (names, contract, spec, registration) for the checker's unit tests."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from calibration_step.contract import ArgumentSpec, ScriptContract
from calibration_step.enums import DependencyType, NodeType
from calibration_step.processing.values import InputSource
from calibration_step.registry import DefinitionBuilder, SageMakerStepType, StepRegistration
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification


class DemoInput(enum.Enum):
    DATA = "data"
    PRIOR = "prior"


class DemoOutput(enum.Enum):
    RESULT = "result"
    REPORT = "report"


class DemoEnv(enum.Enum):
    LABEL_FIELD = "LABEL_FIELD"
    BINS = "BINS"


class DemoConfig:
    """Named ``<StepType>Config`` as the registration requires."""


def processing_path(name: str) -> str:
    return f"properties.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"


DEMO_CONTRACT: ScriptContract[DemoInput, DemoOutput, DemoEnv] = ScriptContract(
    entry_point="demo.py",
    input_paths={DemoInput.DATA: "/opt/ml/processing/input/data", DemoInput.PRIOR: "/opt/ml/processing/input/prior"},
    output_paths={DemoOutput.RESULT: "/opt/ml/processing/output/result", DemoOutput.REPORT: "/opt/ml/processing/output/report"},
    required_env_vars=(DemoEnv.LABEL_FIELD,),
    optional_env_vars={DemoEnv.BINS: "15"},
    arguments=(ArgumentSpec(name="job_type", choices=("training", "testing"), default="training"),),
    output_files={DemoOutput.REPORT: ("metrics.json",)},
    framework_requirements={"numpy": ">=1.23", "pyarrow": ">=14,<28"},
)

DEMO_SPEC: StepSpecification[DemoInput, DemoOutput] = StepSpecification(
    step_type="Demo",
    node_type=NodeType.INTERNAL,
    dependencies=(
        DependencySpec(logical_name=DemoInput.DATA, dependency_type=DependencyType.PROCESSING_OUTPUT,
                       compatible_sources=("Upstream",), semantic_keywords=("data",)),
        DependencySpec(logical_name=DemoInput.PRIOR, dependency_type=DependencyType.MODEL_ARTIFACTS, required=False),
    ),
    outputs=(
        OutputSpec(logical_name=DemoOutput.RESULT, output_type=DependencyType.PROCESSING_OUTPUT,
                   property_path=processing_path("result")),
        OutputSpec(logical_name=DemoOutput.REPORT, output_type=DependencyType.PROCESSING_OUTPUT,
                   property_path=processing_path("report")),
    ),
)

DEMO_SCRIPT = '''
import argparse
import os

import numpy as np

ENV_LABEL_FIELD = "LABEL_FIELD"
ENV_BINS = "BINS"
INPUT_DATA = "data"
OUTPUT_RESULT = "result"
OUTPUT_REPORT = "report"
METRICS_FILE = "metrics.json"


def main(input_paths, output_paths, environ, args):
    label = environ[ENV_LABEL_FIELD]
    bins = int(environ.get(ENV_BINS, "15"))
    with open(os.path.join(output_paths[OUTPUT_REPORT], METRICS_FILE), "w") as handle:
        handle.write(str(np.zeros(bins)))
    frame.to_parquet(os.path.join(output_paths[OUTPUT_RESULT], "rows.parquet_part"))


def build_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", choices=("training", "testing"), default="training")
    for name in (INPUT_DATA, "prior", OUTPUT_RESULT, OUTPUT_REPORT):
        parser.add_argument(f"--{name}")
    return parser
'''
"""A script that agrees with :data:`DEMO_CONTRACT` (level 1 finds nothing but infos)."""


def _no_step(config: DemoConfig, inputs: Mapping[DemoInput, InputSource]) -> None:
    """The demo's builder: builds nothing (the checker's levels 1-3 never call it)."""


def demo_registration(
    *,
    spec: StepSpecification[DemoInput, DemoOutput] = DEMO_SPEC,
    contract: ScriptContract[DemoInput, DemoOutput, DemoEnv] = DEMO_CONTRACT,
    definition_builder: DefinitionBuilder[DemoConfig, DemoInput] | None = None,
    example_config: Callable[[], DemoConfig] | None = None,
    sagemaker_step_type: SageMakerStepType = "Processing",
    step_type: str = "Demo",
) -> StepRegistration[DemoConfig, DemoInput]:
    return StepRegistration(
        step_type=step_type,
        config_class=DemoConfig,
        builder=_no_step,
        spec=spec,
        contract=contract,
        sagemaker_step_type=sagemaker_step_type,
        description="demo",
        definition_builder=definition_builder,
        example_config=example_config,
    )
