"""A ModelCalibration run sharded over instances: three processing steps instead of one.

When ``config.sharding`` is set, :func:`sharded_step_definitions` builds

1. ``<name>-Statistics`` on ``sharding.instance_count`` instances, ``evaluation_data`` sharded by S3
   key (``ShardedByS3Key``): each instance writes its files' parsed fitting columns, one file
   named by a hash of its input files, into ``calibration_output`` (``--phase statistics``);
2. ``<name>-Fit`` on one instance, ``evaluation_data`` = the statistics step's
   ``calibration_output``: the calibrator and ``metrics.json`` exactly as the single step would
   write them (the gate reads this step's ``metrics.json``, ``--phase fit``);
3. ``<name>-Apply`` on ``sharding.instance_count`` instances, ``evaluation_data`` sharded again and
   ``calibration_model`` = the fit step's ``calibration_output``: every file calibrated into
   ``calibrated_data`` (``--phase apply``).

Cross-fitting folds depend only on each file's name and rows, so the calibrator and the metrics
equal a single-instance run's over the same files. Each step writes under its own job-type folder
(``<job_type>_statistics``, ``<job_type>_fit``, ``<job_type>_apply``).

Examples
--------
>>> import attrs
>>> from calibration_step.steps.model_calibration.config import ShardingConfig, example_config
>>> config = attrs.evolve(example_config(), sharding=ShardingConfig(instance_count=4))
>>> steps = sharded_step_definitions(
...     config, {ModelCalibrationInput.EVALUATION_DATA: "s3://example-bucket/scores/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/calibration:1")
>>> [(s.name, s.processor.instance_count) for s in steps]
[('ModelCalibration-Calibration-Statistics', 4), ('ModelCalibration-Calibration-Fit', 1), ('ModelCalibration-Calibration-Apply', 4)]
>>> [i.distribution for i in steps[0].inputs]
['ShardedByS3Key']
>>> steps[1].arguments[:4]
('--job_type', 'calibration', '--phase', 'fit')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from calibration_step import sagemaker_adapter
from calibration_step.errors import BuildError, Code
from calibration_step.processing.names import step_name as default_step_name
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource, PipelineValue
from calibration_step.properties import PropertyReference
from calibration_step.script.interface import (
    MODEL_CALIBRATION_STEP_TYPE,
    PHASE_ARGUMENT,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)
from calibration_step.steps.model_calibration.builder import ModelCalibrationStep, metrics_property_file, script_code
from calibration_step.steps.model_calibration import config as calibration_config
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC
from calibration_step.steps.processing_common import image_uri_for, processing_output_path, processing_step_definition

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import ProcessingStep

__all__ = ["PHASE_STEP_SUFFIXES", "ShardedCalibrationSteps", "build_sharded_calibration_steps", "sharded_step_definitions"]

PHASE_STEP_SUFFIXES: Final = {"statistics": "Statistics", "fit": "Fit", "apply": "Apply"}
"""The step name of each phase: ``<single step name>-<suffix>``."""

_EVAL = ModelCalibrationInput.EVALUATION_DATA
_MODEL = ModelCalibrationInput.CALIBRATION_MODEL


def _output_of(step: ProcessingStepDefinition, output: ModelCalibrationOutput) -> PropertyReference:
    return PropertyReference(step_name=step.name, property_path=processing_output_path(output))


def _phase_step(
    config: ModelCalibrationConfig,
    phase: str,
    inputs: Mapping[ModelCalibrationInput, InputSource],
    *,
    name: str,
    instances: int,
    image_uri: str,
    execution_prefix: str | PipelineValue | None,
    install_requirements: bool | None,
) -> ProcessingStepDefinition:
    """One phase's step; with several instances its ``evaluation_data`` is sharded by S3 key."""
    definition = processing_step_definition(
        MODEL_CALIBRATION_SPEC,
        MODEL_CALIBRATION_CONTRACT,
        attrs.evolve(config, instance_count=instances),
        inputs,
        name=f"{name}-{PHASE_STEP_SUFFIXES[phase]}",
        job_type=f"{config.job_type}_{phase}",
        code=script_code(config, install_requirements=install_requirements),
        environment=calibration_config.model_calibration_environment(config),
        argument_values={**calibration_config.model_calibration_arguments(config), PHASE_ARGUMENT: phase},
        image_uri=image_uri,
        execution_prefix=execution_prefix,
        property_files=(metrics_property_file(),) if phase == "fit" else (),
    )
    if phase == "fit":
        return definition
    sharded = tuple(attrs.evolve(item, distribution="ShardedByS3Key") if item.input_name == _EVAL.value else item
                    for item in definition.inputs)
    return attrs.evolve(definition, inputs=sharded)


def sharded_step_definitions(
    config: ModelCalibrationConfig,
    inputs: Mapping[ModelCalibrationInput, InputSource],
    *,
    image_uri: str,
    execution_prefix: str | PipelineValue | None = None,
    step_name_override: str | None = None,
    install_requirements: bool | None = None,
) -> tuple[ProcessingStepDefinition, ProcessingStepDefinition, ProcessingStepDefinition]:
    """The statistics, fit and apply steps of ``config`` (whose ``sharding`` is set), as values.

    ``inputs`` are the single step's: ``evaluation_data`` feeds the statistics and apply steps,
    ``calibration_model`` (validation and testing jobs) the fit step.

    Raises
    ------
    BuildError
        ``BUILD-SHARDING`` when ``config.sharding`` is None; else as the single step's builder.
    """
    if config.sharding is None:
        raise BuildError(Code.BUILD_SHARDING, "the config has no sharding: it builds one step.",
                         hint="set sharding=ShardingConfig(instance_count=N), or build the single step")
    name = default_step_name(MODEL_CALIBRATION_STEP_TYPE, config.job_type) if step_name_override is None \
        else step_name_override
    count = config.sharding.instance_count

    def step(phase: str, sources: Mapping[ModelCalibrationInput, InputSource], instances: int) -> ProcessingStepDefinition:
        return _phase_step(config, phase, sources, name=name, instances=instances, image_uri=image_uri,
                           execution_prefix=execution_prefix, install_requirements=install_requirements)

    data = {_EVAL: inputs[_EVAL]} if _EVAL in inputs else {}
    statistics = step("statistics", data, count)
    fit_inputs: dict[ModelCalibrationInput, InputSource] = {
        _EVAL: _output_of(statistics, ModelCalibrationOutput.CALIBRATION_OUTPUT)}
    if _MODEL in inputs:
        fit_inputs[_MODEL] = inputs[_MODEL]
    fit = step("fit", fit_inputs, 1)
    apply = step("apply", {**data, _MODEL: _output_of(fit, ModelCalibrationOutput.CALIBRATION_OUTPUT)}, count)
    return statistics, fit, apply


@attrs.frozen(kw_only=True)
class ShardedCalibrationSteps:
    """The three SageMaker steps of a sharded run; ``fit`` carries the metrics property file (pass
    it to :func:`~calibration_step.steps.model_calibration.builder.calibration_condition_step`)."""

    statistics: ProcessingStep
    fit: ModelCalibrationStep
    apply: ProcessingStep

    @property
    def steps(self) -> tuple[ProcessingStep, ProcessingStep, ProcessingStep]:
        """The three steps in pipeline order."""
        return self.statistics, self.fit.step, self.apply


def build_sharded_calibration_steps(
    config: ModelCalibrationConfig,
    inputs: Mapping[ModelCalibrationInput, InputSource],
    *,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    install_requirements: bool | None = None,
) -> ShardedCalibrationSteps:
    """The SageMaker steps of :func:`sharded_step_definitions`, built offline (parameters as
    :func:`~calibration_step.steps.model_calibration.builder.build_model_calibration_step`'s)."""
    definitions = sharded_step_definitions(config, inputs, image_uri=image_uri_for(config),
                                           execution_prefix=execution_prefix, step_name_override=step_name,
                                           install_requirements=install_requirements)
    built = [sagemaker_adapter.processing_step(d, region=config.region, default_bucket=config.bucket)
             for d in definitions]
    fit_step, files = built[1]
    return ShardedCalibrationSteps(statistics=built[0][0], apply=built[2][0],
                                   fit=ModelCalibrationStep(step=fit_step, metrics_file=files[0], definition=definitions[1]))
