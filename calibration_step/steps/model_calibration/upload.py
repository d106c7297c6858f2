"""Upload the shipped scripts (calibration with its requirements file, and Package) to the S3 URIs the steps reference.

Building a step or a pipeline definition never uploads anything; this is the one function that
does, and only when called. The script ships as one file, the zipapp ``model_calibration.pyz``,
packed now from the installed script package (``calibration_step.script``, read with
:mod:`importlib.resources`, so a wheel install works as well as an editable one; never
committed): one object, so an upload replaces the whole script at once, and the stock image runs
it with ``python3 model_calibration.pyz`` (see :mod:`calibration_step.processing.zipapp`). The
zipapp and ``requirements.txt`` are the only objects of the code folder
(:func:`~calibration_step.steps.model_calibration.builder.code_folder_uri`), which one channel
downloads. The Package step's script, the zipapp ``model_packaging.pyz`` (standard library
only, no requirements), goes alone into its own code folder
(:meth:`~calibration_step.steps.companion.CompanionStep.code_folder_uri`), so every step a
definition of this package names runs code that this one function uploaded (or the user's own,
named by ``script_uri``). Objects are written with ``put_object`` and encrypted with
``config.output_kms_key`` when one is set (as the SDK does for code it uploads).

Examples
--------
>>> [name for name, _ in shipped_files(include_requirements=True)]
['model_calibration.pyz', 'requirements.txt']
>>> [name for name, _ in package_files()]
['model_packaging.pyz']
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Final

from calibration_step.processing.s3 import split_s3_uri
from calibration_step.processing.zipapp import script_zipapp
from calibration_step.processing.step import ScriptCode
from calibration_step.errors import BuildError, Code
from calibration_step.script.interface import MODEL_CALIBRATION_SCRIPT, REQUIREMENTS_FILE
from calibration_step.script.package_interface import PACKAGE_SCRIPT
from calibration_step.steps.model_calibration.builder import script_code
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from calibration_step.steps.package import PACKAGE, PackageConfig, package_config_for

if TYPE_CHECKING:
    import boto3
    from boto3 import S3Client  # only in typing_stubs/boto3: the client's static shape

__all__ = ["code_objects", "package_files", "shipped_files", "upload_script"]

SCRIPT_PACKAGE: Final = "calibration_step.script"
"""The package that ships the script package ``model_calibration`` and ``requirements.txt``."""


def _zipapp(entry_point: str) -> bytes:
    try:
        return script_zipapp(resources.files(SCRIPT_PACKAGE), entry_point)
    except FileNotFoundError as exc:
        raise BuildError(
            Code.BUILD_SCRIPT_MISSING,
            f"the installed package {SCRIPT_PACKAGE} has no script package to ship ({exc}).",
            hint="reinstall calibration_step; the script ships as package data",
        ) from exc


def package_files() -> tuple[tuple[str, bytes], ...]:
    """``(file name, content)`` of the Package step's script: its zipapp, packed now.

    Raises
    ------
    BuildError
        ``BUILD-SCRIPT-MISSING`` when the installed package lacks a file (a broken install).
    """
    return ((PACKAGE_SCRIPT, _zipapp(PACKAGE_SCRIPT)),)


def shipped_files(*, include_requirements: bool) -> tuple[tuple[str, bytes], ...]:
    """``(file name, content)`` of the shipped script, then of its requirements file if asked.

    The script is the zipapp of the installed script package (:func:`script_zipapp`), packed now
    from the package's files; the same files give the same bytes.

    Raises
    ------
    BuildError
        ``BUILD-SCRIPT-MISSING`` when the installed package lacks a file (a broken install).
    """
    package = resources.files(SCRIPT_PACKAGE)
    files = [(MODEL_CALIBRATION_SCRIPT, _zipapp(MODEL_CALIBRATION_SCRIPT))]
    if include_requirements:
        resource = package / REQUIREMENTS_FILE
        if not resource.is_file():
            raise BuildError(
                Code.BUILD_SCRIPT_MISSING,
                f"the installed package {SCRIPT_PACKAGE} has no {REQUIREMENTS_FILE}.",
                hint="reinstall calibration_step; the script ships as package data",
            )
        files.append((REQUIREMENTS_FILE, resource.read_bytes()))
    return tuple(files)


def _put(s3: S3Client, uri: str, body: bytes, kms_key: str | None) -> None:
    bucket, key = split_s3_uri(uri, what="upload destination")
    if kms_key is None:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key)


def upload_script(
    config: ModelCalibrationConfig,
    *,
    session: boto3.Session | None = None,
    install_requirements: bool | None = None,
    package: PackageConfig | None = None,
) -> tuple[str, ...]:
    """Upload the shipped scripts to the URIs the steps run them from; return those URIs.

    The calibration script (and requirements) go to the URIs of :func:`script_code`; the Package
    step's script to its code folder, ``<pipeline S3 location>/code/model_packaging/``, unless
    the Package config's ``script_uri`` names the user's own.

    Parameters
    ----------
    config : ModelCalibrationConfig
        Decides the destination (``<pipeline S3 location>/code/``) and the KMS key.
    session : boto3.Session, optional
        Default: a new ``boto3.Session(region_name=config.region)`` (the user's credentials).
    install_requirements : bool or None, default None
        As for the step; the requirements file is uploaded exactly when the step installs it.
    package : PackageConfig, optional
        The Package step's config; default: derived from ``config`` (same pipeline S3 location),
        as ``calibration-step definition`` derives it.

    Raises
    ------
    BuildError
        ``BUILD-SCRIPT-URI-OVERRIDDEN`` when ``config.script_uri`` points at the user's own script
        (it is never overwritten with the shipped one).
    """
    objects = code_objects(config, install_requirements=install_requirements, package=package)
    if session is None:
        import boto3

        session = boto3.Session(region_name=config.region)
    client = session.client("s3")
    for uri, body in objects:
        _put(client, uri, body, config.output_kms_key)
    return tuple(uri for uri, _ in objects)


def code_objects(
    config: ModelCalibrationConfig,
    *,
    install_requirements: bool | None = None,
    package: PackageConfig | None = None,
) -> tuple[tuple[str, bytes], ...]:
    """The objects :func:`upload_script` puts, as ``(S3 URI, body)`` pairs (the same arguments;
    nothing is uploaded): for a local S3 folder of ``calibration-step pipeline run-local``.

    >>> from calibration_step.steps.model_calibration.config import example_config
    >>> [uri.rsplit("/", 1)[-1] for uri, _ in code_objects(example_config())]
    ['model_calibration.pyz', 'requirements.txt', 'model_packaging.pyz']
    """
    if config.script_uri is not None:
        raise BuildError(
            Code.BUILD_SCRIPT_URI_OVERRIDDEN,
            f"ModelCalibrationConfig.script_uri is set ({config.script_uri!r}); the shipped script is "
            "not uploaded over a user's script.",
            hint="upload your own script yourself, or unset script_uri to use the shipped one",
        )
    code: ScriptCode = script_code(config, install_requirements=install_requirements)
    targets: list[str] = [code.script_uri] + ([code.requirements_uri] if code.requirements_uri else [])
    files = list(shipped_files(include_requirements=code.requirements_uri is not None))
    package_config = package if package is not None else package_config_for(config)
    if package_config.script_uri is None:
        targets.append(PACKAGE.script_code(package_config).script_uri)
        files += package_files()
    return tuple((uri, body) for (_name, body), uri in zip(files, targets, strict=True))
