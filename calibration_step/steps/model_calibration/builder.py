"""The ModelCalibration builder: pure functions from a config and input sources to a ``ProcessingStep``.

Each function does one thing; :func:`model_calibration_step_definition` composes them, through
the generic :func:`~calibration_step.steps.processing_common.processing_step_definition` (which
also supplies the processor settings and the image), into a
:class:`~calibration_step.processing.step.ProcessingStepDefinition` (no sagemaker involved), and
:func:`build_model_calibration_step` hands it to :mod:`calibration_step.sagemaker_adapter`.
Names come from the contract and the spec only; the inputs mapping is keyed by
:class:`ModelCalibrationInput`, so a wrong logical name is a mypy error.

Nothing is uploaded when a step is built: the script is referenced by its S3 URI
(:func:`script_code`); :func:`calibration_step.steps.model_calibration.upload.upload_script`
puts the shipped script there: the zipapp ``model_calibration.pyz`` and its ``requirements.txt``,
alone in the code folder ``<pipeline S3 location>/code/model_calibration/`` that one channel
downloads.

Examples
--------
>>> from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
>>> config = ModelCalibrationConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0", calibration_method="isotonic")
>>> definition = model_calibration_step_definition(
...     config, {ModelCalibrationInput.EVALUATION_DATA: "s3://my-ml-bucket/scores/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/calibration:1")
>>> definition.name, definition.environment["CALIBRATION_METHOD"]
('ModelCalibration-Calibration', 'isotonic')
>>> definition.code.script_uri
's3://my-ml-bucket/pipelines/jane-risk-us-east-1/1.0/code/model_calibration/model_calibration.pyz'
>>> [(i.input_name, i.source) for i in definition.all_inputs][1:]
[('code', 's3://my-ml-bucket/pipelines/jane-risk-us-east-1/1.0/code/model_calibration/')]
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from calibration_step import sagemaker_adapter
from calibration_step.errors import BuildError, Code
from calibration_step.processing.arguments import checked_environment, job_arguments
from calibration_step.processing.inputs import ProcessingInputDefinition, processing_inputs
from calibration_step.processing.names import sanitize_name
from calibration_step.processing.names import step_name as default_step_name
from calibration_step.processing.outputs import ProcessingOutputDefinition, processing_outputs
from calibration_step.processing.s3 import s3_join
from calibration_step.processing.script_source import script_package_name
from calibration_step.processing.step import ProcessingStepDefinition, PropertyFileDefinition, ScriptCode
from calibration_step.processing.values import InputSource, PipelineValue
from calibration_step.script.interface import (
    METRICS_FILE,
    MODEL_CALIBRATION_SCRIPT,
    MODEL_CALIBRATION_STEP_TYPE,
    REQUIREMENTS_FILE,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)
from calibration_step.steps.model_calibration.config import (
    ModelCalibrationConfig,
    model_calibration_arguments,
    model_calibration_environment,
)
from calibration_step.steps.model_calibration.contract import MODEL_CALIBRATION_CONTRACT
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC
from calibration_step.steps.processing_common import default_execution_prefix, image_uri_for, processing_step_definition

if TYPE_CHECKING:
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import ConditionStep, FailStep, ProcessingStep, Step

__all__ = [
    "ModelCalibrationStep",
    "build_model_calibration_step",
    "calibration_condition_step",
    "calibration_fail_step",
    "default_execution_prefix",
    "model_calibration_step_definition",
    "script_code",
]

METRICS_PROPERTY_FILE: Final = "CalibrationMetrics"
"""Name of the property file over ``metrics_output/metrics.json``."""
THRESHOLD_PASSED_PATH: Final = "threshold.passed"
"""JSON path in ``metrics.json``: whether the calibrated ECE is within ``ERROR_THRESHOLD``."""
THRESHOLD_MESSAGE_PATH: Final = "threshold.message"
"""JSON path in ``metrics.json``: the gate's verdict in words (metric, calibrated value, threshold)."""


def model_calibration_env(config: ModelCalibrationConfig) -> dict[str, str]:
    """The job's env vars, checked against the contract (every required one, nothing undeclared)."""
    return checked_environment(MODEL_CALIBRATION_CONTRACT, model_calibration_environment(config))


def model_calibration_job_arguments(
    config: ModelCalibrationConfig, inputs: Iterable[ModelCalibrationInput]
) -> tuple[str, ...]:
    """``--job_type <job type>`` and ``--<logical_name> <container path>`` for present inputs and all outputs."""
    return job_arguments(MODEL_CALIBRATION_CONTRACT, inputs=inputs, values=model_calibration_arguments(config))


def code_folder_uri(config: ModelCalibrationConfig) -> str:
    """``<pipeline S3 location>/code/model_calibration/``: the folder of the shipped script and its
    requirements file, nothing else (:func:`upload_script` puts them there); it ends in ``/`` so that
    the channel downloading it matches no neighbour (see :mod:`calibration_step.processing.step`)."""
    return s3_join(config.pipeline_s3_location, "code", script_package_name(MODEL_CALIBRATION_SCRIPT)) + "/"


def script_code(config: ModelCalibrationConfig, *, install_requirements: bool | None = None) -> ScriptCode:
    """The script's S3 URI and, if requirements are installed, that of its requirements file.

    The script is the shipped zipapp in :func:`code_folder_uri`, which one channel downloads with
    its requirements file, or ``config.script_uri`` (a user's own ``.py`` or ``.pyz``, run the same
    way: ``python3 <file>``), downloaded alone. ``install_requirements=None`` installs the
    requirements exactly when the shipped script runs on the stock image (a configured
    ``image_uri`` is expected to carry what the script needs); ``True`` reads
    ``requirements.txt`` beside the script, ``False`` installs nothing.
    """
    if config.script_uri is None:
        folder = code_folder_uri(config)
        install = config.image_uri is None if install_requirements is None else install_requirements
        return ScriptCode(script_uri=s3_join(folder, MODEL_CALIBRATION_SCRIPT),
                          requirements_uri=s3_join(folder, REQUIREMENTS_FILE) if install else None,
                          code_folder_uri=folder)
    requirements = s3_join(posixpath.dirname(config.script_uri), REQUIREMENTS_FILE) if install_requirements else None
    return ScriptCode(script_uri=config.script_uri, requirements_uri=requirements)


def model_calibration_inputs(
    inputs: Mapping[ModelCalibrationInput, InputSource],
) -> tuple[ProcessingInputDefinition, ...]:
    """Processing inputs from the spec and contract; ``evaluation_data`` is required."""
    return processing_inputs(MODEL_CALIBRATION_SPEC, MODEL_CALIBRATION_CONTRACT, inputs)


def model_calibration_outputs(
    config: ModelCalibrationConfig, execution_prefix: str | PipelineValue
) -> tuple[ProcessingOutputDefinition, ...]:
    """``<prefix>/model_calibration/<job_type>/<logical_name>`` for every output."""
    return processing_outputs(
        MODEL_CALIBRATION_SPEC, MODEL_CALIBRATION_CONTRACT, execution_prefix=execution_prefix, job_type=config.job_type
    )


def metrics_property_file() -> PropertyFileDefinition:
    """The property file over ``metrics.json`` in ``metrics_output``."""
    return PropertyFileDefinition(
        name=METRICS_PROPERTY_FILE, output_name=ModelCalibrationOutput.METRICS_OUTPUT.value, path=METRICS_FILE
    )


def model_calibration_step_definition(
    config: ModelCalibrationConfig,
    inputs: Mapping[ModelCalibrationInput, InputSource],
    *,
    image_uri: str,
    execution_prefix: str | PipelineValue | None = None,
    step_name_override: str | None = None,
    depends_on: Sequence[str] = (),
    install_requirements: bool | None = None,
) -> ProcessingStepDefinition:
    """The whole step as a value (no sagemaker): see the module docstring.

    Raises
    ------
    BuildError
        A missing required input or a bad S3 URI (named), a clash of channels, requirements to
        install in a network-isolated job; ``BUILD-SHARDING`` for a config with ``sharding``
        (it builds three steps: :mod:`calibration_step.steps.model_calibration.sharded`).
    """
    if config.sharding is not None:
        raise BuildError(Code.BUILD_SHARDING, "the config sets sharding: it builds three steps, not one.",
                         hint="build them with sharded_step_definitions or build_sharded_calibration_steps "
                         "(calibration_step.steps.model_calibration.sharded), or leave sharding unset")
    return processing_step_definition(
        MODEL_CALIBRATION_SPEC,
        MODEL_CALIBRATION_CONTRACT,
        config,
        inputs,
        name=default_step_name(MODEL_CALIBRATION_STEP_TYPE, config.job_type) if step_name_override is None else step_name_override,
        job_type=config.job_type,
        code=script_code(config, install_requirements=install_requirements),
        environment=model_calibration_environment(config),
        argument_values=model_calibration_arguments(config),
        image_uri=image_uri,
        execution_prefix=execution_prefix,
        depends_on=depends_on,
        property_files=(metrics_property_file(),),
    )


@attrs.frozen(kw_only=True)
class ModelCalibrationStep:
    """A built ModelCalibration step: the SageMaker step, its metrics property file, and its definition."""

    step: ProcessingStep
    metrics_file: PropertyFile
    definition: ProcessingStepDefinition


def build_model_calibration_step(
    config: ModelCalibrationConfig,
    inputs: Mapping[ModelCalibrationInput, InputSource],
    *,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str | Step] = (),
    install_requirements: bool | None = None,
) -> ModelCalibrationStep:
    """The SageMaker ``ProcessingStep`` of a ModelCalibration config, built offline.

    Parameters
    ----------
    config : ModelCalibrationConfig
        Every job and script setting.
    inputs : mapping of ModelCalibrationInput to InputSource
        ``evaluation_data`` (required) and ``calibration_model`` (optional): an ``s3://`` URI,
        a :class:`StringParameter`, a :class:`Join`, a :class:`PropertyReference` of an upstream
        step, or a SageMaker pipeline variable.
    execution_prefix : str or pipeline value, optional
        Prefix of the output destinations; default :func:`default_execution_prefix` (include that
        parameter in the pipeline's parameters).
    step_name : str, optional
        Default ``ModelCalibration-<JobType>``.
    depends_on : sequence of step names or SageMaker steps, default ()
        Extra ordering dependencies (data dependencies are implied by the inputs), handed to the
        SageMaker step as given.
    install_requirements : bool or None, default None
        See :func:`script_code`.

    Returns
    -------
    ModelCalibrationStep
        ``step`` (the ``ProcessingStep``), ``metrics_file`` (``PropertyFile`` over ``metrics.json``)
        and ``definition`` (the value it was built from, ``depends_on`` aside).
    """
    definition = model_calibration_step_definition(
        config,
        inputs,
        image_uri=image_uri_for(config),
        execution_prefix=execution_prefix,
        step_name_override=step_name,
        install_requirements=install_requirements,
    )
    step, files = sagemaker_adapter.processing_step(
        definition, region=config.region, default_bucket=config.bucket, depends_on=depends_on
    )
    return ModelCalibrationStep(step=step, metrics_file=files[0], definition=definition)


def calibration_fail_step(built: ModelCalibrationStep, *, name: str | None = None) -> FailStep:
    """A ``FailStep`` whose failure reason is the gate's verdict, with the calibrated value and the threshold.

    The reason is ``metrics.json``'s ``threshold.message``, read when the step runs, for example
    ``calibrated.ece_equal_width = 0.0712 is above the error threshold 0.05``.
    """
    return sagemaker_adapter.fail_step(
        sanitize_name(name if name is not None else f"{built.step.name}-ThresholdFailed"),
        step=built.step,
        file=built.metrics_file,
        json_path=THRESHOLD_MESSAGE_PATH,
    )


def calibration_condition_step(
    built: ModelCalibrationStep,
    *,
    name: str | None = None,
    if_steps: Sequence[Step] = (),
    else_steps: Sequence[Step] | None = None,
) -> ConditionStep:
    """A ``ConditionStep`` that takes ``if_steps`` when ``metrics.json``'s ``threshold.passed`` is true.

    ``else_steps`` default to :func:`calibration_fail_step`, so an execution whose calibrated
    error is above the threshold ends Failed with the figures in its failure reason; pass ``()``
    for an empty else branch.
    """
    step_name = sanitize_name(name if name is not None else f"{built.step.name}-ThresholdPassed")
    return sagemaker_adapter.condition_step(
        step_name,
        step=built.step,
        file=built.metrics_file,
        json_path=THRESHOLD_PASSED_PATH,
        equals=True,
        if_steps=if_steps,
        else_steps=[calibration_fail_step(built)] if else_steps is None else else_steps,
    )
