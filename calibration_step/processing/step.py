"""A processing step as a value: everything the adapter needs to make a SageMaker ``ProcessingStep``.

Builders produce a :class:`ProcessingStepDefinition` from configs, specs and contracts; the
adapter (:func:`calibration_step.sagemaker_adapter.processing_step`) turns it into SageMaker
objects. Keeping the step a value makes builders testable without sagemaker and the definition
reviewable (it is an attrs value with equality and a readable repr).

How the script and its requirements reach the container
--------------------------------------------------------
The script is one file: a Python file (``.py``) or a zipapp (``.pyz``, a zip archive holding a
``__main__.py``); ``python3 <file>`` runs either. The job downloads the script's S3 object into
:data:`CODE_DIR` and, if a requirements file is given, that object into
:data:`_REQUIREMENTS_DIR`; or, when the script and its requirements sit alone in a code folder of
their own (``code_folder_uri``), that one folder into :data:`CODE_DIR` through one channel.
Without requirements the entrypoint is ``python3 <script>``; with them it is a short
``/bin/sh -c`` command that first runs ``python3 -m pip install -r <requirements>`` (the job
needs outbound network access for that) and then ``exec``s the script with the job arguments.
Nothing is uploaded when a definition is built.

Why a folder of its own: an input channel of type ``S3Prefix`` downloads every object whose key
*starts with* its URI, so a channel on ``.../code/model_calibration.py`` also downloads a
neighbour such as ``.../code/model_calibration.pyz`` or ``.../code/model_calibration.py.bak``. A
URI ending in ``/`` matches only the keys inside that folder (a key starting with
``code/model_calibration/`` is in it), so the channel brings exactly the files put there.

Examples
--------
>>> code = ScriptCode(script_uri="s3://bucket/pipe/code/model_calibration.py")
>>> container_entrypoint(code)
('python3', '/opt/ml/processing/input/code/model_calibration.py')
>>> with_requirements = ScriptCode(script_uri="s3://bucket/pipe/code/model_calibration.py",
...                                requirements_uri="s3://bucket/pipe/code/requirements.txt")
>>> container_entrypoint(with_requirements)[:2]
('/bin/sh', '-c')
>>> shipped = ScriptCode(script_uri="s3://bucket/pipe/code/tool/tool.pyz",
...                      requirements_uri="s3://bucket/pipe/code/tool/requirements.txt",
...                      code_folder_uri="s3://bucket/pipe/code/tool/")
>>> [(channel.input_name, channel.source) for channel in code_inputs(shipped)]
[('code', 's3://bucket/pipe/code/tool/')]
>>> container_entrypoint(shipped)[2].split("; ")[1]
'python3 -m pip install --no-cache-dir --quiet --disable-pip-version-check -r /opt/ml/processing/input/code/requirements.txt'
"""

from __future__ import annotations

import posixpath
import re
import types
from collections.abc import Mapping
from typing import Final

import attrs

from calibration_step.processing.inputs import ProcessingInputDefinition
from calibration_step.processing.outputs import ProcessingOutputDefinition
from calibration_step.processing.s3 import normalise_s3_uri
from calibration_step.errors import BuildError, Code

__all__ = [
    "CODE_DIR",
    "CacheSettings",
    "ProcessingStepDefinition",
    "ProcessorSettings",
    "PropertyFileDefinition",
    "ScriptCode",
    "code_inputs",
    "container_entrypoint",
]

_CODE_INPUT: Final = "code"
"""Input channel that carries the script (or the code folder: script and requirements)."""
CODE_DIR: Final = "/opt/ml/processing/input/code"
_REQUIREMENTS_INPUT: Final = "requirements"
"""Input channel that carries the requirements file."""
_REQUIREMENTS_DIR: Final = "/opt/ml/processing/input/requirements"

_ISO_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?", re.IGNORECASE)
_SCRIPT_NAME = re.compile(r"[A-Za-z0-9_.-]+\.pyz?")
_REQUIREMENTS_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _normalised_script_uri(value: str) -> str:
    return normalise_s3_uri(value, what="script URI")


def _check_script_uri(_instance: object, _attribute: object, value: str) -> None:
    normalise_s3_uri(value, what="script URI")
    if _SCRIPT_NAME.fullmatch(posixpath.basename(value)) is None:
        raise BuildError(
            Code.BUILD_SCRIPT_URI,
            f"the script URI must name a .py file or a .pyz zipapp; got {value!r}.",
            hint="point it at the script object, e.g. s3://bucket/prefix/code/model_calibration.py",
        )


def _check_requirements_uri(_instance: object, _attribute: object, value: str | None) -> None:
    if value is None:
        return
    normalise_s3_uri(value, what="requirements URI")
    if _REQUIREMENTS_NAME.fullmatch(posixpath.basename(value)) is None:
        raise BuildError(
            Code.BUILD_SCRIPT_URI,
            f"the requirements URI must name a file; got {value!r}.",
            hint="point it at the requirements object, e.g. s3://bucket/prefix/code/requirements.txt",
        )


def _normalised_folder_uri(value: str | None) -> str | None:
    return None if value is None else normalise_s3_uri(value, what="code folder URI") + "/"


def _check_code_folder_uri(instance: ScriptCode, _attribute: object, value: str | None) -> None:
    if value is None:
        return
    for name, uri in (("script", instance.script_uri), ("requirements", instance.requirements_uri)):
        if uri is not None and posixpath.dirname(uri) + "/" != value:
            raise BuildError(
                Code.BUILD_SCRIPT_URI,
                f"the {name} URI {uri!r} is not directly in the code folder {value!r}.",
                hint="put the script and its requirements file in the code folder the channel downloads",
            )


@attrs.frozen(kw_only=True)
class ScriptCode:
    """The S3 objects of the script and (optionally) of its pip requirements file.

    ``code_folder_uri`` (normalised to end in ``/``), when given, is a folder that holds exactly
    the script and the requirements file: one channel downloads it (see the module docstring).
    """

    script_uri: str = attrs.field(converter=_normalised_script_uri, validator=_check_script_uri)
    requirements_uri: str | None = attrs.field(default=None, validator=_check_requirements_uri)
    code_folder_uri: str | None = attrs.field(default=None, converter=_normalised_folder_uri,
                                              validator=_check_code_folder_uri)

    @property
    def script_name(self) -> str:
        """The script's file name in the container."""
        return posixpath.basename(self.script_uri)


def container_entrypoint(code: ScriptCode) -> tuple[str, ...]:
    """The container entrypoint that (installs the requirements and) runs the script.

    The job arguments follow it; under ``/bin/sh -c`` they arrive as ``"$@"``.
    """
    script = f"{CODE_DIR}/{code.script_name}"
    if code.requirements_uri is None:
        return ("python3", script)
    folder = CODE_DIR if code.code_folder_uri is not None else _REQUIREMENTS_DIR
    requirements = f"{folder}/{posixpath.basename(code.requirements_uri)}"
    command = (
        f"set -e; python3 -m pip install --no-cache-dir --quiet --disable-pip-version-check -r {requirements}; "
        f'exec python3 {script} "$@"'
    )
    return ("/bin/sh", "-c", command, code.script_name)


def code_inputs(code: ScriptCode) -> tuple[ProcessingInputDefinition, ...]:
    """The input channels that bring the script (and the requirements file) into the container:
    one for the code folder, or one for each object."""
    if code.code_folder_uri is not None:
        return (ProcessingInputDefinition(input_name=_CODE_INPUT, source=code.code_folder_uri, destination=CODE_DIR),)
    inputs = [ProcessingInputDefinition(input_name=_CODE_INPUT, source=code.script_uri, destination=CODE_DIR)]
    if code.requirements_uri is not None:
        inputs.append(
            ProcessingInputDefinition(
                input_name=_REQUIREMENTS_INPUT, source=code.requirements_uri, destination=_REQUIREMENTS_DIR
            )
        )
    return tuple(inputs)


def _check_expire_after(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and _ISO_DURATION.fullmatch(value) is None:
        raise BuildError(
            Code.BUILD_CACHE_EXPIRY,
            f"cache expire_after must be an ISO 8601 duration such as 'P30D' or 'PT12H'; got {value!r}.",
            hint="write a duration starting with P",
        )


@attrs.frozen(kw_only=True)
class CacheSettings:
    """Step caching: reuse a previous successful run with the same arguments, up to ``expire_after`` old."""

    enabled: bool = False
    expire_after: str | None = attrs.field(default=None, validator=_check_expire_after)


@attrs.frozen(kw_only=True)
class PropertyFileDefinition:
    """A JSON file of a processing output that later steps read with ``JsonGet``."""

    name: str
    output_name: str
    path: str


@attrs.frozen(kw_only=True)
class ProcessorSettings:
    """The compute and security settings of a processing job."""

    role: str
    image_uri: str
    instance_type: str
    instance_count: int = 1
    volume_size_gb: int = 30
    max_runtime_seconds: int | None = None
    volume_kms_key: str | None = None
    output_kms_key: str | None = None
    subnets: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    enable_network_isolation: bool = False
    encrypt_inter_container_traffic: bool = False
    tags: tuple[tuple[str, str], ...] = ()


def _read_only(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return types.MappingProxyType(dict(mapping))


@attrs.frozen(kw_only=True)
class ProcessingStepDefinition:
    """Everything about one processing step, with no SageMaker object in it.

    Raises
    ------
    BuildError
        ``BUILD-CHANNEL-CLASH`` when two channels share a name or a container folder;
        ``BUILD-NETWORK-ISOLATION`` when requirements must be installed in a network-isolated job.
    """

    name: str
    job_name_prefix: str
    processor: ProcessorSettings
    code: ScriptCode
    environment: Mapping[str, str] = attrs.field(converter=_read_only)
    arguments: tuple[str, ...]
    inputs: tuple[ProcessingInputDefinition, ...]
    outputs: tuple[ProcessingOutputDefinition, ...]
    property_files: tuple[PropertyFileDefinition, ...] = ()
    cache: CacheSettings = CacheSettings()
    depends_on: tuple[str, ...] = ()
    display_name: str | None = None
    description: str | None = None

    def __attrs_post_init__(self) -> None:
        channels = [*self.inputs, *code_inputs(self.code)]
        names = [channel.input_name for channel in channels] + [output.output_name for output in self.outputs]
        folders = [channel.destination for channel in channels] + [output.source for output in self.outputs]
        for label, values in (("channel name", names), ("container folder", folders)):
            twice = sorted({value for value in values if values.count(value) > 1})
            if twice:
                raise BuildError(
                    Code.BUILD_CHANNEL_CLASH,
                    f"step {self.name!r} uses the {label} {twice} more than once.",
                    hint=f"the channels {_CODE_INPUT!r} and {_REQUIREMENTS_INPUT!r} are reserved for the script",
                )
        if self.code.requirements_uri is not None and self.processor.enable_network_isolation:
            raise BuildError(
                Code.BUILD_NETWORK_ISOLATION,
                f"step {self.name!r} installs requirements with pip but its job is network-isolated.",
                hint="use an image that already has the requirements and give no requirements file",
            )

    @property
    def all_inputs(self) -> tuple[ProcessingInputDefinition, ...]:
        """The step's inputs followed by the code channels."""
        return (*self.inputs, *code_inputs(self.code))

    @property
    def entrypoint(self) -> tuple[str, ...]:
        """The container entrypoint (see :func:`container_entrypoint`)."""
        return container_entrypoint(self.code)
