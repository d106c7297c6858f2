"""Upload the shipped script (and its requirements file) to the S3 URIs the step references.

Building a step or a pipeline definition never uploads anything; this is the one function that
does, and only when called. The script ships as one file, the zipapp ``model_calibration.pyz``,
packed now from the installed script package (``calibration_step.script``, read with
:mod:`importlib.resources`, so a wheel install works as well as an editable one; never
committed): one object, so an upload replaces the whole script at once, and the stock image runs
it with ``python3 model_calibration.pyz`` (see :mod:`calibration_step.processing.zipapp`). The
zipapp and ``requirements.txt`` are the only objects of the code folder
(:func:`~calibration_step.steps.model_calibration.builder.code_folder_uri`), which one channel
downloads. Objects are written with ``put_object`` and encrypted with ``config.output_kms_key``
when one is set (as the SDK does for code it uploads).

Examples
--------
>>> [name for name, _ in shipped_files(include_requirements=True)]
['model_calibration.pyz', 'requirements.txt']
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Final

from calibration_step.processing.s3 import split_s3_uri
from calibration_step.processing.zipapp import script_zipapp
from calibration_step.processing.step import ScriptCode
from calibration_step.errors import BuildError, Code
from calibration_step.script.interface import MODEL_CALIBRATION_SCRIPT, REQUIREMENTS_FILE
from calibration_step.steps.model_calibration.builder import script_code
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig

if TYPE_CHECKING:
    import boto3
    from boto3 import S3Client  # only in typing_stubs/boto3: the client's static shape

__all__ = ["shipped_files", "upload_script"]

SCRIPT_PACKAGE: Final = "calibration_step.script"
"""The package that ships the script package ``model_calibration`` and ``requirements.txt``."""


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
    try:
        files = [(MODEL_CALIBRATION_SCRIPT, script_zipapp(package, MODEL_CALIBRATION_SCRIPT))]
    except FileNotFoundError as exc:
        raise BuildError(
            Code.BUILD_SCRIPT_MISSING,
            f"the installed package {SCRIPT_PACKAGE} has no script package to ship ({exc}).",
            hint="reinstall calibration_step; the script ships as package data",
        ) from exc
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
) -> tuple[str, ...]:
    """Upload the shipped script (and requirements) to the URIs of :func:`script_code`; return them.

    Parameters
    ----------
    config : ModelCalibrationConfig
        Decides the destination (``<pipeline S3 location>/code/``) and the KMS key.
    session : boto3.Session, optional
        Default: a new ``boto3.Session(region_name=config.region)`` (the user's credentials).
    install_requirements : bool or None, default None
        As for the step; the requirements file is uploaded exactly when the step installs it.

    Raises
    ------
    BuildError
        ``BUILD-SCRIPT-URI-OVERRIDDEN`` when ``config.script_uri`` points at the user's own script
        (it is never overwritten with the shipped one).
    """
    if config.script_uri is not None:
        raise BuildError(
            Code.BUILD_SCRIPT_URI_OVERRIDDEN,
            f"ModelCalibrationConfig.script_uri is set ({config.script_uri!r}); the shipped script is "
            "not uploaded over a user's script.",
            hint="upload your own script yourself, or unset script_uri to use the shipped one",
        )
    code: ScriptCode = script_code(config, install_requirements=install_requirements)
    targets: Sequence[str] = [code.script_uri] + ([code.requirements_uri] if code.requirements_uri else [])
    files = shipped_files(include_requirements=code.requirements_uri is not None)
    if session is None:
        import boto3

        session = boto3.Session(region_name=config.region)
    client = session.client("s3")
    for (_name, body), uri in zip(files, targets, strict=True):
        _put(client, uri, body, config.output_kms_key)
    return tuple(targets)
