"""The Package step: a trained model, its calibrator and its metrics packed into one model archive.

The script ships with the package: the standard-library script package ``model_packaging/``
beside the calibration script (its names in ``package_interface.py``), run as the zipapp
``model_packaging.pyz``. It writes ``model.tar.gz`` holding the model's files and, under
``calibration/``, the calibrator (``calibrator.json``) and ``metrics.json``.
:func:`~calibration_step.steps.model_calibration.upload.upload_script` uploads it to the step's
code folder. The step has no job types: it is named ``Package`` and its outputs go to the
``packaging`` folder.

Examples
--------
>>> definition = package_step_definition(PACKAGE.example_config(), {
...     PackageInput.MODEL_INPUT: "s3://my-ml-bucket/model/",
...     PackageInput.CALIBRATION_MODEL: "s3://my-ml-bucket/calibration/",
...     PackageInput.CALIBRATION_METRICS: "s3://my-ml-bucket/metrics/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1", execution_prefix="s3://my-ml-bucket/run")
>>> definition.name, definition.outputs[0].destination.values[2:]
('Package', ('package', 'packaging', 'packaged_model'))
>>> definition.environment["CALIBRATOR_FILE"], [d.name for d in PACKAGE.spec.dependencies]
('calibrator.json', ['model_input', 'calibration_model', 'calibration_metrics'])
>>> definition.entrypoint
('python3', '/opt/ml/processing/input/code/model_packaging.pyz')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import is_str, matches
from calibration_step.enums import DependencyType
from calibration_step.script.package_interface import (
    DEFAULT_CALIBRATOR_FILE,
    PACKAGE_INPUT_PATHS,
    PACKAGE_OUTPUT_PATHS,
    PACKAGE_SCRIPT,
    PACKAGED_MODEL_FILE,
    PackageEnv,
    PackageInput,
    PackageOutput,
)
from calibration_step.steps.companion import CompanionStep, InputChannel, OutputChannel
from calibration_step.steps.xgboost_training import trained_model_input

__all__ = [
    "PACKAGE",
    "PackageConfig",
    "PackageEnv",
    "PackageInput",
    "PackageOutput",
    "build_package_step",
    "package_config_for",
    "package_environment",
    "package_step_definition",
]


@attrs.frozen(kw_only=True)
class PackageConfig(ProcessingConfig):
    """Settings of the Package step.

    Parameters
    ----------
    calibrator_file : str, default "calibrator.json"
        File name of the calibrator inside ``calibration_model``.
    """

    calibrator_file: str = attrs.field(
        default=DEFAULT_CALIBRATOR_FILE, validator=[is_str, matches(r"[A-Za-z0-9_.-]+\.json", "a .json file name")]
    )


def package_config_for(config: ProcessingConfig) -> PackageConfig:
    """The Package config that goes with another step's config: its pipeline and processing settings,
    the shipped Package script (``script_uri`` unset) and the default calibrator file name.

    Examples
    --------
    >>> from calibration_step.steps.model_calibration.config import example_config
    >>> calibration = example_config()
    >>> package = package_config_for(calibration)
    >>> package.pipeline_s3_location == calibration.pipeline_s3_location, package.script_uri
    (True, None)
    """
    fields = {field.name: getattr(config, field.name) for field in attrs.fields(ProcessingConfig) if field.init}
    return PackageConfig(**{**fields, "script_uri": None})


def package_environment(config: PackageConfig) -> Mapping[PackageEnv, str]:
    """The env vars of the job, keyed by the contract's names."""
    return {PackageEnv.CALIBRATOR_FILE: config.calibrator_file}


PACKAGE: Final = CompanionStep(
    summary="Packages a trained model with its calibrator and metrics into one archive on a processing job.",
    description="Packages a trained model with its calibrator and metrics into one deployable archive.",
    script_description="Writes model.tar.gz with the model files, calibration/calibrator.json and calibration/metrics.json.",
    entry_point=PACKAGE_SCRIPT,
    shipped=True,
    optional_env={PackageEnv.CALIBRATOR_FILE: DEFAULT_CALIBRATOR_FILE},
    config_class=PackageConfig,
    job_type="packaging",
    inputs=(
        trained_model_input(PackageInput.MODEL_INPUT, "The trained model artifacts (model.tar.gz or its folder)."),
        InputChannel(
            name=PackageInput.CALIBRATION_MODEL, container_path=PACKAGE_INPUT_PATHS[PackageInput.CALIBRATION_MODEL],
            dependency_type=DependencyType.MODEL_ARTIFACTS, sources=("ModelCalibration",),
            keywords=("calibration", "calibrator", "calibration_output"),
            description="The calibrator (calibrator.json) of ModelCalibration's calibration_output.",
        ),
        InputChannel(
            name=PackageInput.CALIBRATION_METRICS, container_path=PACKAGE_INPUT_PATHS[PackageInput.CALIBRATION_METRICS],
            dependency_type=DependencyType.PROCESSING_OUTPUT, sources=("ModelCalibration",),
            keywords=("metrics", "calibration_metrics", "metrics_output"),
            description="The metrics (metrics.json) of ModelCalibration's metrics_output.",
        ),
    ),
    outputs=(
        OutputChannel(
            name=PackageOutput.PACKAGED_MODEL, container_path=PACKAGE_OUTPUT_PATHS[PackageOutput.PACKAGED_MODEL],
            output_type=DependencyType.MODEL_ARTIFACTS, aliases=("PackagedModel",), files=(PACKAGED_MODEL_FILE,),
            description="model.tar.gz holding the model, its calibrator and its metrics.",
        ),
    ),
    environment=package_environment,
)
"""The Package step: its ``spec``, ``contract``, builders and ``registration()``."""

package_step_definition: Final = PACKAGE.step_definition
build_package_step: Final = PACKAGE.build_step
