"""The one module that imports sagemaker: our frozen step values in, SageMaker objects out.

Importing this module is cheap: sagemaker (about 2.5-3.5 s to import) is imported the first time
a function here needs it, never when ``calibration_step`` or a builder module is imported.

Offline and side-effect free
----------------------------
``import sagemaker.mlops...`` builds a boto3 client at import time and needs a region, and
``ProcessingStep`` builds a local session from the default boto3 chain. Every call into the SDK
therefore runs inside :func:`offline_aws_environment`, which sets ``AWS_DEFAULT_REGION`` and
``AWS_EC2_METADATA_DISABLED=true`` where the user has not, puts a dummy identity in place of the
user's for the duration of the call, and restores the environment (and boto3's default session)
on exit. The SDK's own session (:func:`pipeline_session`) gets an explicit
boto3 session with static dummy credentials and an explicit ``sagemaker_config`` (telemetry opt-out),
so neither the user's credentials nor their SageMaker config files (``config.yaml`` defaults) are read.
The import runs inside :func:`kept_root_logging`, because the SDK calls ``logging.basicConfig``
(an INFO ``StreamHandler`` on the root logger) at import: the user's root level and handlers are
restored afterwards. The ``PipelineSession`` "no wait, no logs" warning is silenced.

Examples
--------
>>> import os, sys
>>> before = dict(os.environ)
>>> with offline_aws_environment("eu-west-1"):
...     os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_EC2_METADATA_DISABLED"]
('offline-dummy', 'true')
>>> dict(os.environ) == before
True
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from calibration_step.processing.step import CacheSettings, ProcessingStepDefinition, PropertyFileDefinition
from calibration_step.processing.values import (
    ExecutionVariable,
    InputSource,
    Join,
    JoinValue,
    PipelineVariableLike,
    StringParameter,
)
from calibration_step.errors import BuildError, Code
from calibration_step.properties import PropertyReference

if TYPE_CHECKING:
    from sagemaker.core.helper.pipeline_variable import PipelineVariable
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import CacheConfig, ConditionStep, FailStep, Pipeline, ProcessingStep, Step

__all__ = [
    "cache_config",
    "condition_step",
    "fail_step",
    "import_sdk",
    "kept_root_logging",
    "offline_aws_environment",
    "pipeline",
    "pipeline_definition_text",
    "pipeline_session",
    "pipeline_variable",
    "processing_step",
    "property_file",
    "sklearn_image_uri",
    "string_parameter",
]

_DEFAULT_OFFLINE_REGION: Final = "us-east-1"
"""Region set for the SDK's import when the user has none (no request is ever sent)."""

_DUMMY_KEY: Final = "offline-dummy"

_TELEMETRY_OPT_OUT_CONFIG: Final[Mapping[str, object]] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
"""The ``sagemaker_config`` of our sessions: telemetry off, no other default applied."""

_QUIET_WARNINGS: Final = (r"Running within a PipelineSession",)

_JOB_NAME_PREFIXES: Final[weakref.WeakKeyDictionary[Step, str]] = weakref.WeakKeyDictionary()
"""The job-name prefix of every processing step this module built: only those keep a
``ProcessingJobName`` in the definition (see :func:`pipeline_definition_text`)."""


_IDENTITY_VARIABLES: Final = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
"""Variables that choose an identity; hidden inside :func:`offline_aws_environment`."""


@contextlib.contextmanager
def offline_aws_environment(region: str | None = None) -> Iterator[None]:
    """Within the block the SDK sees a region and a dummy identity; the environment is restored on exit.

    ``AWS_DEFAULT_REGION`` (``region``, else ``us-east-1``) and
    ``AWS_EC2_METADATA_DISABLED=true`` are set only where the user set no region / no value. The
    identity variables (``AWS_PROFILE``, access keys, session token, web identity, container
    credentials) are replaced by dummy static keys for the block, so the SDK neither uses nor
    depends on the user's identity (an unknown ``AWS_PROFILE`` would otherwise fail the build),
    and boto3's default session is put back as it was, so no dummy credential outlives the block.
    The process environment is global: do not build steps while other threads call AWS.
    """
    import boto3

    wanted: dict[str, str] = {"AWS_EC2_METADATA_DISABLED": "true"}
    if "AWS_DEFAULT_REGION" not in os.environ and "AWS_REGION" not in os.environ:
        wanted["AWS_DEFAULT_REGION"] = region or _DEFAULT_OFFLINE_REGION
    saved = {name: os.environ[name] for name in (*wanted, *_IDENTITY_VARIABLES) if name in os.environ}
    default_session = boto3.DEFAULT_SESSION
    for name in _IDENTITY_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update({name: value for name, value in wanted.items() if name not in saved})
    os.environ.update(AWS_ACCESS_KEY_ID=_DUMMY_KEY, AWS_SECRET_ACCESS_KEY=_DUMMY_KEY)
    try:
        yield
    finally:
        boto3.DEFAULT_SESSION = default_session
        for name in (*wanted, *_IDENTITY_VARIABLES):
            os.environ.pop(name, None)
        os.environ.update(saved)


@contextlib.contextmanager
def kept_root_logging() -> Iterator[None]:
    """Restore the root logger's level and handlers after the block (the SDK calls ``basicConfig``).

    Examples
    --------
    >>> root = logging.getLogger()
    >>> level, handlers = root.level, list(root.handlers)
    >>> with kept_root_logging():
    ...     logging.basicConfig(level=logging.DEBUG, force=True)
    >>> root.level == level and root.handlers == handlers
    True
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


@contextlib.contextmanager
def _sdk_call(region: str | None) -> Iterator[None]:
    with offline_aws_environment(region), kept_root_logging(), warnings.catch_warnings():
        for message in _QUIET_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield


@functools.cache
def import_sdk() -> None:
    """Import the SageMaker modules we use, once, offline and keeping the user's logging.

    The SDK's own deprecation warnings about its internal shims are silenced during the import.
    """
    with _sdk_call(None):
        warnings.simplefilter("ignore", DeprecationWarning)
        import sagemaker.core.image_uris  # noqa: F401
        import sagemaker.core.network  # noqa: F401
        import sagemaker.core.processing  # noqa: F401
        import sagemaker.core.shapes  # noqa: F401
        import sagemaker.core.workflow  # noqa: F401
        import sagemaker.core.workflow.conditions  # noqa: F401
        import sagemaker.core.workflow.pipeline_context  # noqa: F401
        import sagemaker.core.workflow.pipeline_definition_config  # noqa: F401
        import sagemaker.mlops.workflow  # noqa: F401


@functools.lru_cache(maxsize=8)
def pipeline_session(region: str, default_bucket: str) -> PipelineSession:
    """A ``PipelineSession`` that never calls AWS and applies no SageMaker config-file defaults.

    ``default_bucket`` is given so that the SDK never asks STS for the account to derive one.
    """
    import_sdk()
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    with _sdk_call(region):
        boto_session = boto3.Session(
            aws_access_key_id=_DUMMY_KEY, aws_secret_access_key=_DUMMY_KEY, region_name=region
        )
        session = PipelineSession(
            boto_session=boto_session,
            default_bucket=default_bucket,
            sagemaker_config=dict(_TELEMETRY_OPT_OUT_CONFIG),
        )
    # Given at construction, the config keeps the user's SageMaker config files from being read;
    # emptied afterwards, because the SDK re-validates a non-empty config against its JSON schema
    # on every lookup (32 lookups, ~0.2-0.4 s each, for a three-step pipeline). No function on the
    # adapter's path reports telemetry (base Processor.run and Pipeline.definition are not
    # instrumented; Pipeline.create/start are, and are never called here); a test pins that.
    session.sagemaker_config = {}
    return session


def sklearn_image_uri(region: str, framework_version: str, instance_type: str, py_version: str = "py3") -> str:
    """The stock SageMaker scikit-learn image URI, from the SDK's bundled image table (no request).

    Raises
    ------
    BuildError
        ``BUILD-IMAGE-URI`` when the SDK knows no such image (version, region or instance type).
    """
    import_sdk()
    from sagemaker.core import image_uris

    with _sdk_call(region):
        try:
            return image_uris.retrieve(
                "sklearn",
                region=region,
                version=framework_version,
                py_version=py_version,
                instance_type=instance_type,
                image_scope="training",
            )
        except ValueError as exc:
            raise BuildError(
                Code.BUILD_IMAGE_URI,
                f"no stock scikit-learn image for framework_version={framework_version!r}, "
                f"py_version={py_version!r}, region={region!r}, instance_type={instance_type!r}: {exc}",
                hint="use a framework version the SDK knows (e.g. '1.4-2'), a CPU instance type, or set image_uri",
            ) from exc


def string_parameter(parameter: StringParameter) -> ParameterString:
    """The SageMaker ``ParameterString`` of ``parameter``."""
    import_sdk()
    from sagemaker.core.workflow import ParameterString

    return ParameterString(name=parameter.name, default_value=parameter.default_value)


def _property(reference: PropertyReference) -> PipelineVariable:
    from sagemaker.core.workflow import Properties

    head = f"Steps.{reference.step_name}."
    return Properties(step_name=reference.step_name, path=reference.to_get()["Get"][len(head) :])


def pipeline_variable(value: JoinValue) -> object:
    """``value`` in SageMaker's terms: our values become SageMaker objects, the rest passes through.

    A :class:`PropertyReference` becomes a ``Properties`` of the named step, which serialises as
    ``{"Get": "Steps.<name>.<path>"}``; a SageMaker pipeline variable is returned untouched.
    """
    import_sdk()
    from sagemaker.core.workflow import Join as SageMakerJoin

    if isinstance(value, StringParameter):
        return string_parameter(value)
    if isinstance(value, ExecutionVariable):
        from sagemaker.core.workflow.execution_variables import ExecutionVariable as SageMakerExecutionVariable

        return SageMakerExecutionVariable(value.name)
    if isinstance(value, Join):
        return SageMakerJoin(on=value.on, values=[pipeline_variable(item) for item in value.values])
    if isinstance(value, PropertyReference):
        return _property(value)
    return value


def _s3_uri(value: InputSource | Join) -> str | PipelineVariable:
    converted = pipeline_variable(value)
    from sagemaker.core.workflow import PipelineVariable as SageMakerVariable

    if isinstance(converted, (str, SageMakerVariable)):
        return converted
    if isinstance(converted, PipelineVariableLike):
        raise BuildError(
            Code.BUILD_INPUT_SOURCE,
            f"{converted!r} has an 'expr' but is not a SageMaker PipelineVariable.",
            hint="pass a SageMaker pipeline variable, or one of calibration_step.processing's values",
        )
    raise BuildError(Code.BUILD_INPUT_SOURCE, f"not an S3 location: {converted!r}", hint="pass an s3:// URI")


def property_file(definition: PropertyFileDefinition) -> PropertyFile:
    """The SageMaker ``PropertyFile`` of ``definition``."""
    import_sdk()
    from sagemaker.core.workflow import PropertyFile

    return PropertyFile(name=definition.name, output_name=definition.output_name, path=definition.path)


def cache_config(settings: CacheSettings) -> CacheConfig | None:
    """The SageMaker ``CacheConfig`` of ``settings`` (``None`` when caching is off)."""
    import_sdk()
    from sagemaker.mlops.workflow import CacheConfig

    if not settings.enabled:
        return None
    return CacheConfig(enable_caching=True, expire_after=settings.expire_after)


def processing_step(
    definition: ProcessingStepDefinition,
    *,
    region: str,
    default_bucket: str,
    depends_on: Sequence[str | Step] = (),
) -> tuple[ProcessingStep, tuple[PropertyFile, ...]]:
    """The SageMaker ``ProcessingStep`` of ``definition`` and its ``PropertyFile`` objects.

    ``depends_on`` (step names or step objects, in the caller's order) follows the step names
    already in ``definition.depends_on``.
    Nothing is uploaded: every input, the script included, is an S3 URI or a pipeline variable.
    """
    import_sdk()
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.processing import Processor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.mlops.workflow import ProcessingStep

    settings = definition.processor
    with _sdk_call(region):
        session = pipeline_session(region, default_bucket)
        network = NetworkConfig(
            enable_network_isolation=settings.enable_network_isolation,
            security_group_ids=list(settings.security_group_ids) or None,
            subnets=list(settings.subnets) or None,
            encrypt_inter_container_traffic=settings.encrypt_inter_container_traffic,
        )
        processor = Processor(
            role=settings.role,
            image_uri=settings.image_uri,
            instance_count=settings.instance_count,
            instance_type=settings.instance_type,
            entrypoint=list(definition.entrypoint),
            volume_size_in_gb=settings.volume_size_gb,
            volume_kms_key=settings.volume_kms_key,
            output_kms_key=settings.output_kms_key,
            max_runtime_in_seconds=settings.max_runtime_seconds,
            base_job_name=definition.job_name_prefix,
            sagemaker_session=session,
            env=dict(definition.environment),
            tags=[{"Key": key, "Value": value} for key, value in settings.tags] or None,
            network_config=network,
        )
        inputs = [
            ProcessingInput(
                input_name=item.input_name,
                s3_input=ProcessingS3Input(
                    s3_uri=_s3_uri(item.source),
                    local_path=item.destination,
                    s3_data_type=item.s3_data_type,
                    s3_input_mode=item.s3_input_mode,
                    s3_data_distribution_type=item.distribution,
                ),
            )
            for item in definition.all_inputs
        ]
        outputs = [
            ProcessingOutput(
                output_name=item.output_name,
                s3_output=ProcessingS3Output(
                    s3_uri=_s3_uri(item.destination), local_path=item.source, s3_upload_mode=item.s3_upload_mode
                ),
            )
            for item in definition.outputs
        ]
        # No arguments means no ContainerArguments at all: the API rejects an empty list.
        step_args = processor.run(inputs=inputs, outputs=outputs, arguments=list(definition.arguments) or None)
        files = tuple(property_file(item) for item in definition.property_files)
        step = ProcessingStep(
            name=definition.name,
            step_args=step_args,
            display_name=definition.display_name,
            description=definition.description,
            property_files=list(files),
            cache_config=cache_config(definition.cache),
            depends_on=[*definition.depends_on, *depends_on] or None,
        )
    _JOB_NAME_PREFIXES[step] = definition.job_name_prefix
    return step, files


def condition_step(
    name: str,
    *,
    step: Step,
    file: PropertyFile,
    json_path: str,
    equals: bool | int | float | str,
    if_steps: Sequence[Step] = (),
    else_steps: Sequence[Step] = (),
) -> ConditionStep:
    """A ``ConditionStep`` whose condition is ``JsonGet(file of step, json_path) == equals``."""
    import_sdk()
    from sagemaker.core.workflow import JsonGet
    from sagemaker.core.workflow.conditions import ConditionEquals
    from sagemaker.mlops.workflow import ConditionStep

    with _sdk_call(None):
        left = JsonGet(step_name=step.name, property_file=file, json_path=json_path)
        return ConditionStep(
            name=name,
            conditions=[ConditionEquals(left=left, right=equals)],
            if_steps=list(if_steps),
            else_steps=list(else_steps),
        )


def pipeline(
    name: str,
    *,
    steps: Sequence[Step],
    parameters: Sequence[StringParameter],
    region: str,
    default_bucket: str,
) -> Pipeline:
    """A SageMaker ``Pipeline`` on an offline session, with the SDK's default definition config.

    The SDK then drops every step's ``ProcessingJobName`` (its default); :func:`pipeline_definition_text`
    puts back the job-name prefix of the steps this module built, so the user's own steps stay as
    the SDK writes them.
    """
    import_sdk()
    from sagemaker.mlops.workflow import Pipeline

    with _sdk_call(region):
        return Pipeline(
            name=name,
            parameters=[string_parameter(parameter) for parameter in parameters],
            steps=list(steps),
            sagemaker_session=pipeline_session(region, default_bucket),
        )


class _DroppedJobNameFilter(logging.Filter):
    """Drops the SDK's notice that it leaves a step's job name out (its default; ours are put back)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "from the pipeline definition by default" not in record.getMessage()


_SDK_DEFINITION_LOGGER: Final = "sagemaker.core.workflow.utilities"


def _built_steps(steps: Sequence[Step]) -> Iterator[Step]:
    """``steps`` and, recursively, the steps inside condition steps' branches."""
    for step in steps:
        yield step
        yield from _built_steps([*getattr(step, "if_steps", ()), *getattr(step, "else_steps", ())])


def _restore_job_names(steps: list[dict[str, object]], prefixes: Mapping[str, str]) -> None:
    for step in steps:
        name, arguments = step.get("Name"), step.get("Arguments")
        if not isinstance(arguments, dict):
            continue
        if isinstance(name, str) and name in prefixes:
            step["Arguments"] = {"ProcessingJobName": prefixes[name], **arguments}
        for branch in ("IfSteps", "ElseSteps"):
            nested = arguments.get(branch)
            if step.get("Type") == "Condition" and isinstance(nested, list):
                _restore_job_names(nested, prefixes)


def pipeline_definition_text(built: Pipeline, *, region: str) -> str:
    """``built.definition()`` computed offline (the SDK's JSON text), our steps' job-name prefixes kept.

    A processing step made by :func:`processing_step` keeps its ``ProcessingJobName`` (the
    prefix SageMaker starts its jobs' names with); every other step is left as the SDK wrote it.
    """
    import json

    quiet, sdk_logger = _DroppedJobNameFilter(), logging.getLogger(_SDK_DEFINITION_LOGGER)
    with _sdk_call(region):
        sdk_logger.addFilter(quiet)
        try:
            text = built.definition()
        finally:
            sdk_logger.removeFilter(quiet)
    prefixes = {step.name: _JOB_NAME_PREFIXES[step] for step in _built_steps(built.steps) if step in _JOB_NAME_PREFIXES}
    document = json.loads(text)
    _restore_job_names(document["Steps"], prefixes)
    return json.dumps(document)


def fail_step(name: str, *, step: Step, file: PropertyFile, json_path: str) -> FailStep:
    """A ``FailStep`` ending the execution Failed; its reason is the string at ``json_path`` of ``file``
    of ``step``, read when it runs."""
    import_sdk()
    from sagemaker.core.workflow import JsonGet
    from sagemaker.mlops.workflow import FailStep

    with _sdk_call(None):
        return FailStep(name=name, error_message=JsonGet(step_name=step.name, property_file=file, json_path=json_path))
