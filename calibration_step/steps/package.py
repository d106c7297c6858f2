"""The Package step: a trained model and its calibrator (``calibration_output``) packed into one archive.

The script, ``package.py``, is the user's own; it writes ``model.tar.gz`` with the model files and
the calibrator. The step has no job types: it is named ``Package`` and its outputs go to the
``packaging`` folder.

Examples
--------
>>> definition = package_step_definition(PACKAGE.example_config(), {
...     PackageInput.MODEL_INPUT: "s3://my-ml-bucket/model/",
...     PackageInput.CALIBRATION_MODEL: "s3://my-ml-bucket/calibration/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1", execution_prefix="s3://my-ml-bucket/run")
>>> definition.name, definition.outputs[0].destination.values[2:]
('Package', ('package', 'packaging', 'packaged_model'))
>>> definition.environment["CALIBRATOR_FILE"], [d.name for d in PACKAGE.spec.dependencies]
('calibrator.json', ['model_input', 'calibration_model'])
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import is_str, matches
from calibration_step.enums import DependencyType
from calibration_step.steps.companion import CompanionStep, InputChannel, OutputChannel
from calibration_step.steps.xgboost_training import trained_model_input

__all__ = [
    "PACKAGE",
    "PackageConfig",
    "PackageEnv",
    "PackageInput",
    "PackageOutput",
    "build_package_step",
    "package_environment",
    "package_step_definition",
]


class PackageInput(enum.Enum):
    """Logical inputs: the trained model and the calibrator that goes with it.

    ``model_input`` takes XGBoostTraining's model, ``calibration_model`` ModelCalibration's
    ``calibration_output`` (its ``calibrator.json``).
    """

    MODEL_INPUT = "model_input"
    CALIBRATION_MODEL = "calibration_model"


class PackageOutput(enum.Enum):
    """Logical output: one deployable archive."""

    PACKAGED_MODEL = "packaged_model"


@attrs.frozen(kw_only=True)
class PackageConfig(ProcessingConfig):
    """Settings of the Package step.

    Parameters
    ----------
    calibrator_file : str, default "calibrator.json"
        File name of the calibrator inside ``calibration_model``.
    """

    calibrator_file: str = attrs.field(
        default="calibrator.json", validator=[is_str, matches(r"[A-Za-z0-9_.-]+\.json", "a .json file name")]
    )


class PackageEnv(enum.Enum):
    """Env vars the packaging script reads."""

    CALIBRATOR_FILE = "CALIBRATOR_FILE"


def package_environment(config: PackageConfig) -> Mapping[PackageEnv, str]:
    """The env vars of the job, keyed by the contract's names."""
    return {PackageEnv.CALIBRATOR_FILE: config.calibrator_file}


PACKAGE: Final = CompanionStep(
    summary="Packages a trained model with its calibrator into one archive on a processing job.",
    description="Packages a trained model with its calibrator into one deployable archive.",
    script_description="Writes model.tar.gz with the model files and the calibrator.",
    entry_point="package.py",
    optional_env={PackageEnv.CALIBRATOR_FILE: "calibrator.json"},
    config_class=PackageConfig,
    job_type="packaging",
    inputs=(
        trained_model_input(PackageInput.MODEL_INPUT, "The trained model artifacts (model.tar.gz or its folder)."),
        InputChannel(
            name=PackageInput.CALIBRATION_MODEL, container_path="/opt/ml/processing/input/calibration",
            dependency_type=DependencyType.MODEL_ARTIFACTS, sources=("ModelCalibration",),
            keywords=("calibration", "calibrator", "calibration_output"),
            description="The calibrator (calibrator.json) of ModelCalibration's calibration_output.",
        ),
    ),
    outputs=(
        OutputChannel(
            name=PackageOutput.PACKAGED_MODEL, container_path="/opt/ml/processing/output/packaged_model",
            output_type=DependencyType.MODEL_ARTIFACTS, aliases=("PackagedModel",), files=("model.tar.gz",),
            description="model.tar.gz holding the model and its calibrator.",
        ),
    ),
    environment=package_environment,
)
"""The Package step: its ``spec``, ``contract``, builders and ``registration()``."""

package_step_definition: Final = PACKAGE.step_definition
build_package_step: Final = PACKAGE.build_step
