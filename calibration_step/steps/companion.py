"""A companion step described once: the generic piece behind XGBoostTraining, XGBoostModelEval and Package.

The steps users pair with calibration run their own scripts on plain processing jobs. Each one is a
:class:`CompanionStep` value: its config class, script, channels (an :class:`InputChannel` per
input, an :class:`OutputChannel` per output, each with its container path and what the resolver
needs), env vars, and the functions from its config to env vars and arguments. Its specification,
script contract, builders and registration all come from that value. The value is generic over
the step's config class and name enums, so its builders take the step's own config and inputs
keyed by its own input enum: a wrong logical name stays a mypy error.

Examples
--------
>>> import enum
>>> from calibration_step.config.processing import ProcessingConfig
>>> from calibration_step.enums import DependencyType
>>> ScoreInput = enum.Enum("ScoreInput", {"ROWS": "rows"})
>>> ScoreOutput = enum.Enum("ScoreOutput", {"SCORED": "scored"})
>>> ScoreEnv = enum.Enum("ScoreEnv", {"LABEL_FIELD": "LABEL_FIELD"})
>>> class ScoreConfig(ProcessingConfig):
...     pass
>>> score: CompanionStep[ScoreConfig, ScoreInput, ScoreOutput, ScoreEnv] = CompanionStep(
...     config_class=ScoreConfig, entry_point="score.py", job_type="scoring",
...     inputs=(InputChannel(name=ScoreInput.ROWS, container_path="/opt/ml/processing/input/rows",
...                          dependency_type=DependencyType.PROCESSING_OUTPUT),),
...     outputs=(OutputChannel(name=ScoreOutput.SCORED, container_path="/opt/ml/processing/output/scored",
...                            output_type=DependencyType.PROCESSING_OUTPUT),),
...     summary="Scores rows.", required_env=(ScoreEnv.LABEL_FIELD,),
...     environment=lambda config: {ScoreEnv.LABEL_FIELD: "y"})
>>> score.example_config().script_uri  # the user's own script: the example names one
's3://example-bucket/code/score.py'
>>> definition = score.step_definition(score.example_config(), {ScoreInput.ROWS: "s3://bucket/rows/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/score:1", execution_prefix="s3://bucket/run")
>>> definition.name, definition.outputs[0].destination.values[2:]
('Score', ('score', 'scoring', 'scored'))
>>> score.spec.outputs[0].property_path
"properties.ProcessingOutputConfig.Outputs['scored'].S3Output.S3Uri"
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from calibration_step import sagemaker_adapter
from calibration_step._typevars import EnvNameT, InputNameT, OutputNameT
from calibration_step.config.base import EXAMPLE_ESSENTIALS
from calibration_step.config.processing import ProcessingConfig
from calibration_step.contract import ArgumentSpec, ScriptContract
from calibration_step.enums import DependencyType, NodeType
from calibration_step.processing.names import step_name as default_step_name
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource, PipelineValue
from calibration_step.registry import StepRegistration
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
from calibration_step.errors import BuildError, Code
from calibration_step.processing.s3 import s3_join
from calibration_step.processing.script_source import script_package_name
from calibration_step.processing.step import ScriptCode
from calibration_step.steps.processing_common import image_uri_for, processing_output_path, processing_step_definition

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import ProcessingStep, Step

__all__ = ["Channel", "CompanionStep", "InputChannel", "OutputChannel"]

ProcessingConfigT = TypeVar("ProcessingConfigT", bound=ProcessingConfig)
NameT = TypeVar("NameT", bound=enum.Enum)


@attrs.frozen(kw_only=True)
class Channel(Generic[NameT]):
    """A processing channel of a companion step: its logical name and its folder in the container."""

    name: NameT
    container_path: str
    description: str = ""


@attrs.frozen(kw_only=True)
class InputChannel(Channel[InputNameT]):
    """One input: where the script reads it, and which upstream outputs the resolver may wire to it."""

    dependency_type: DependencyType
    sources: tuple[str, ...] = ()
    """Step types whose outputs may feed it (the spec's ``compatible_sources``)."""
    keywords: tuple[str, ...] = ()
    """Words of the outputs it wants (the spec's ``semantic_keywords``)."""


@attrs.frozen(kw_only=True)
class OutputChannel(Channel[OutputNameT]):
    """One output: where the script writes it, and the names downstream steps may know it by."""

    output_type: DependencyType
    aliases: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    """Files the script writes into it (the contract's ``output_files``)."""


def _no_arguments(_config: object) -> Mapping[str, str]:
    return {}


@attrs.frozen(kw_only=True)
class CompanionStep(Generic[ProcessingConfigT, InputNameT, OutputNameT, EnvNameT]):
    """A processing step described once: its script is the user's own, or ships with the package.

    A step whose script is the user's own (``shipped=False``) runs ``config.script_uri``, which
    must be set: the package names no code it does not ship. A shipped script (``shipped=True``,
    a script package beside the calibration script, packed into the zipapp ``entry_point``) runs
    from its own code folder ``<pipeline S3 location>/code/<stem>/``, where
    :func:`~calibration_step.steps.model_calibration.upload.upload_script` puts it, unless
    ``config.script_uri`` names another.

    The step type is the config class's name without ``Config`` (``PackageConfig`` configures
    ``Package``). ``job_type`` is either the step's one job type (the folder of its outputs; the
    step is named after its step type alone) or a function giving the config's job type (the step
    is named ``<StepType>-<JobType>``). ``summary`` describes the step in the registry,
    ``description`` in its specification (and so in the pipeline definition),
    ``script_description`` in its contract.
    """

    summary: str
    description: str = ""
    script_description: str = ""
    entry_point: str
    required_env: tuple[EnvNameT, ...] = ()
    optional_env: Mapping[EnvNameT, str] = attrs.field(factory=dict)
    """Env vars the script may go without, with the default it then uses."""
    config_class: type[ProcessingConfigT]
    job_type: str | Callable[[ProcessingConfigT], str]
    inputs: tuple[InputChannel[InputNameT], ...]
    outputs: tuple[OutputChannel[OutputNameT], ...]
    environment: Callable[[ProcessingConfigT], Mapping[EnvNameT, str]]
    arguments: tuple[ArgumentSpec, ...] = ()
    argument_values: Callable[[ProcessingConfigT], Mapping[str, str]] = _no_arguments
    framework_requirements: Mapping[str, str] = attrs.field(factory=dict)
    shipped: bool = False
    spec: StepSpecification[InputNameT, OutputNameT] = attrs.field(init=False)
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT] = attrs.field(init=False)

    @property
    def step_type(self) -> str:
        """The config class's name without ``Config``, as the registry requires of every step."""
        return self.config_class.__name__.removesuffix("Config")

    @spec.default
    def _specification(self) -> StepSpecification[InputNameT, OutputNameT]:
        """Every input a required dependency; every output read through its processing output's S3 URI."""
        dependencies = tuple(
            DependencySpec(
                logical_name=channel.name,
                dependency_type=channel.dependency_type,
                compatible_sources=channel.sources,
                semantic_keywords=channel.keywords,
                description=channel.description,
            )
            for channel in self.inputs
        )
        outputs = tuple(
            OutputSpec(
                logical_name=channel.name,
                output_type=channel.output_type,
                property_path=processing_output_path(channel.name),
                aliases=channel.aliases,
                description=channel.description,
            )
            for channel in self.outputs
        )
        return StepSpecification(
            step_type=self.step_type, node_type=NodeType.INTERNAL, dependencies=dependencies, outputs=outputs,
            description=self.description,
        )

    @contract.default
    def _script_contract(self) -> ScriptContract[InputNameT, OutputNameT, EnvNameT]:
        return ScriptContract(
            entry_point=self.entry_point,
            input_paths={channel.name: channel.container_path for channel in self.inputs},
            output_paths={channel.name: channel.container_path for channel in self.outputs},
            required_env_vars=self.required_env,
            optional_env_vars=self.optional_env,
            arguments=self.arguments,
            output_files={channel.name: channel.files for channel in self.outputs if channel.files},
            framework_requirements=self.framework_requirements,
            description=self.script_description,
        )

    def step_definition(
        self, config: ProcessingConfigT, inputs: Mapping[InputNameT, InputSource], *, image_uri: str,
        execution_prefix: str | PipelineValue | None = None, step_name: str | None = None, depends_on: Sequence[str] = (),
    ) -> ProcessingStepDefinition:
        """The step as a value (no sagemaker involved); every input is required.

        Raises
        ------
        BuildError
            A missing input or a bad S3 URI (named).

        Examples
        --------
        >>> from calibration_step.steps.package import PACKAGE, PackageInput
        >>> PACKAGE.step_definition(PACKAGE.example_config(), {PackageInput.MODEL_INPUT: "s3://bucket/model/"},
        ...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1")
        Traceback (most recent call last):
        ...
        calibration_step.errors.BuildError: [BUILD-MISSING-INPUT] Package input 'calibration_model' is required ...
        """
        if isinstance(self.job_type, str):
            job_type, default_name = self.job_type, default_step_name(self.step_type)
        else:
            job_type = self.job_type(config)
            default_name = default_step_name(self.step_type, job_type)
        return processing_step_definition(
            self.spec,
            self.contract,
            config,
            inputs,
            name=default_name if step_name is None else step_name,
            job_type=job_type,
            code=self.script_code(config),
            environment=self.environment(config),
            argument_values=self.argument_values(config),
            image_uri=image_uri,
            execution_prefix=execution_prefix,
            depends_on=depends_on,
        )

    def code_folder_uri(self, config: ProcessingConfigT) -> str:
        """``<pipeline S3 location>/code/<script stem>/``: the code folder of a shipped script.

        Examples
        --------
        >>> from calibration_step.steps.package import PACKAGE
        >>> PACKAGE.code_folder_uri(PACKAGE.example_config())
        's3://example-bucket/pipelines/data-scientist-calibration-demo-us-east-1/1.0.0/code/model_packaging/'
        """
        return s3_join(config.pipeline_s3_location, "code", script_package_name(self.entry_point)) + "/"

    def script_code(self, config: ProcessingConfigT) -> ScriptCode:
        """``config.script_uri``, else the shipped script in :meth:`code_folder_uri`.

        Raises
        ------
        BuildError
            ``BUILD-SCRIPT-REQUIRED`` when the script is the user's own and ``script_uri`` is not set.
        """
        if config.script_uri is not None:
            return ScriptCode(script_uri=config.script_uri)
        if not self.shipped:
            raise BuildError(
                Code.BUILD_SCRIPT_REQUIRED,
                f"{self.step_type} runs your own script ({self.entry_point}), and "
                f"{self.config_class.__name__}.script_uri is not set.",
                hint=f"upload your script and set {self.config_class.__name__}.script_uri to its s3:// URI",
            )
        folder = self.code_folder_uri(config)
        return ScriptCode(script_uri=s3_join(folder, self.entry_point), code_folder_uri=folder)

    def build_step(
        self, config: ProcessingConfigT, inputs: Mapping[InputNameT, InputSource], *,
        execution_prefix: str | PipelineValue | None = None, step_name: str | None = None, depends_on: Sequence[str | Step] = (),
    ) -> ProcessingStep:
        """The SageMaker ``ProcessingStep`` of the config, built offline (``image_uri`` or the stock image).

        ``depends_on`` (step names or SageMaker steps) orders the step after those steps.

        Examples
        --------
        >>> from calibration_step.steps.package import PACKAGE, PackageInput
        >>> step = PACKAGE.build_step(PACKAGE.example_config(), {PackageInput.MODEL_INPUT: "s3://bucket/model/",
        ...     PackageInput.CALIBRATION_MODEL: "s3://bucket/calibration/",
        ...     PackageInput.CALIBRATION_METRICS: "s3://bucket/metrics/"}, depends_on=["Train"])
        >>> step.name, step.depends_on
        ('Package', ['Train'])
        """
        definition = self.step_definition(
            config, inputs, image_uri=image_uri_for(config), execution_prefix=execution_prefix, step_name=step_name
        )
        step, _files = sagemaker_adapter.processing_step(
            definition, region=config.region, default_bucket=config.bucket, depends_on=depends_on
        )
        return step

    def example_config(self) -> ProcessingConfigT:
        """A complete, valid config with placeholder essentials; the alignment checker builds from it.

        A step whose script is the user's own gets a placeholder ``script_uri``
        (``s3://<bucket>/code/<entry point>``).

        Examples
        --------
        >>> from calibration_step.steps.package import PACKAGE
        >>> PACKAGE.example_config().calibrator_file
        'calibrator.json'
        """
        if self.shipped:
            return self.config_class(**EXAMPLE_ESSENTIALS)
        return self.config_class(**EXAMPLE_ESSENTIALS,
                                 script_uri=f"s3://{EXAMPLE_ESSENTIALS['bucket']}/code/{self.entry_point}")

    def registration(self) -> StepRegistration[ProcessingConfigT, InputNameT]:
        """The step's registry entry; ``script_shipped`` as the step's script ships or is the user's own.

        Raises
        ------
        SpecError
            ``REGISTRATION-INVALID`` if a name breaks a convention.

        Examples
        --------
        >>> from calibration_step.steps.package import PACKAGE
        >>> registration = PACKAGE.registration()
        >>> registration.step_type, registration.script_shipped, registration.definition_builder == PACKAGE.step_definition
        ('Package', True, True)
        """
        return StepRegistration(
            step_type=self.step_type, config_class=self.config_class, sagemaker_step_type="Processing",
            description=self.summary, spec=self.spec, contract=self.contract, builder=self.build_step,
            definition_builder=self.step_definition, example_config=self.example_config, script_shipped=self.shipped,
        )
