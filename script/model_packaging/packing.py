"""Pack a trained model, its calibrator and its metrics into one model archive ``model.tar.gz``.

The archive holds the model's files at the paths they had (the members of the one
``*.tar.gz`` in ``model_input``, or else every file of that folder) and, under ``calibration/``,
the calibrator (``CALIBRATOR_FILE``, default ``calibrator.json``) and ``metrics.json``. The
calibrator must be one ModelCalibration wrote (a JSON object with ``schema_version`` and
``checksum``; the checksum itself is verified where it is loaded). The archive is deterministic:
members sorted, owner 0, mode 0644, time 0, and the gzip header carries no name or time, so the
same inputs give the same bytes. It is written beside its final name and renamed into place, so
an output never holds half an archive.

Examples
--------
>>> import io, json, os, tarfile, tempfile
>>> root = tempfile.mkdtemp()
>>> folders = {name: os.path.join(root, name) for name in ("model", "calibration", "metrics", "out")}
>>> for folder in folders.values():
...     os.makedirs(folder)
>>> with open(os.path.join(folders["model"], "xgboost-model"), "wb") as f:
...     _ = f.write(b"trees")
>>> with open(os.path.join(folders["calibration"], "calibrator.json"), "w") as f:
...     json.dump({"schema_version": 2, "checksum": "sha256:0"}, f)
>>> with open(os.path.join(folders["metrics"], "metrics.json"), "w") as f:
...     json.dump({"threshold": {"passed": True}}, f)
>>> path = package_model({PackageInput.MODEL_INPUT: folders["model"],
...     PackageInput.CALIBRATION_MODEL: folders["calibration"], PackageInput.CALIBRATION_METRICS: folders["metrics"]},
...     {PackageOutput.PACKAGED_MODEL: folders["out"]}, {})
>>> sorted(tarfile.open(path).getnames())
['calibration/calibrator.json', 'calibration/metrics.json', 'xgboost-model']
"""

from __future__ import annotations

import gzip
import io
import json
import os
import posixpath
import tarfile
from collections.abc import Mapping

from ..error_codes import Code
from ..errors import CalibrationScriptError
from ..package_interface import (
    CALIBRATION_MEMBER_FOLDER,
    DEFAULT_CALIBRATOR_FILE,
    PACKAGE_METRICS_FILE,
    PACKAGED_MODEL_FILE,
    PackageEnv,
    PackageInput,
    PackageOutput,
)

__all__ = ["archive_bytes", "model_members", "package_model"]

_ARCHIVE_SUFFIX = ".tar.gz"


def _folder_files(folder: str) -> dict[str, str]:
    """``{relative posix path: file path}`` of every file below ``folder`` (hidden ones too)."""
    if not os.path.isdir(folder):
        raise CalibrationScriptError(Code.MC_E601_PACKAGE_INPUT, f"the input folder {folder!r} does not exist",
                                     "pass the folder of the step's input")
    found: dict[str, str] = {}
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = path
    return found


def _member_name(name: str, archive: str) -> str:
    clean = posixpath.normpath(name)
    if clean.startswith(("/", "../")) or clean in ("..", "."):
        raise CalibrationScriptError(Code.MC_E602_PACKAGE_MEMBER,
                                     f"the model archive {archive!r} holds a member outside the archive: {name!r}",
                                     "rebuild the model archive with relative member paths")
    return clean


def _archive_members(path: str) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                if member.isdir():
                    continue
                if not member.isfile():
                    raise CalibrationScriptError(Code.MC_E602_PACKAGE_MEMBER,
                                                 f"the model archive {path!r} holds a link or device: {member.name!r}",
                                                 "rebuild the model archive with regular files only")
                extracted = archive.extractfile(member)
                assert extracted is not None  # a regular file always extracts
                members[_member_name(member.name, path)] = extracted.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise CalibrationScriptError(Code.MC_E601_PACKAGE_INPUT, f"the model archive {path!r} cannot be read: {exc}",
                                     "pass a gzip-compressed tar archive (model.tar.gz) or the folder of the model files") from exc
    return members


def model_members(folder: str) -> dict[str, bytes]:
    """The model's files by archive path: the members of the folder's one ``*.tar.gz``, else its files.

    Raises ``CalibrationScriptError`` (MC-E601) for a missing or empty folder or an unreadable
    archive, (MC-E602) for a member that is a link or lies outside the archive.
    """
    files = _folder_files(folder)
    if not files:
        raise CalibrationScriptError(Code.MC_E601_PACKAGE_INPUT, f"model_input {folder!r} holds no file",
                                     "pass the trained model: its model.tar.gz or the folder of its files")
    if len(files) == 1 and next(iter(files)).endswith(_ARCHIVE_SUFFIX):
        return _archive_members(next(iter(files.values())))
    members: dict[str, bytes] = {}
    for name, path in files.items():
        with open(path, "rb") as handle:
            members[name] = handle.read()
    return members


def _json_object(folder: str, file_name: str, input_name: str) -> bytes:
    path = os.path.join(folder, file_name)
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        value = json.loads(content)
    except (OSError, ValueError) as exc:
        raise CalibrationScriptError(Code.MC_E601_PACKAGE_INPUT,
                                     f"{input_name} has no readable JSON file {file_name!r} ({exc})",
                                     f"pass the ModelCalibration output that holds {file_name}") from exc
    if not isinstance(value, dict):
        raise CalibrationScriptError(Code.MC_E601_PACKAGE_INPUT, f"{input_name}/{file_name} is not a JSON object",
                                     f"pass the {file_name} ModelCalibration wrote")
    if input_name == PackageInput.CALIBRATION_MODEL.value and not {"schema_version", "checksum"} <= set(value):
        raise CalibrationScriptError(Code.MC_E601_PACKAGE_INPUT,
                                     f"{input_name}/{file_name} is not a calibrator (no schema_version or checksum)",
                                     "pass ModelCalibration's calibration_output, or set CALIBRATOR_FILE to its file name")
    return content


def archive_bytes(members: Mapping[str, bytes]) -> bytes:
    """A deterministic ``.tar.gz`` of ``members`` (sorted, owner 0, mode 0644, time 0)."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(members[name]), 0o644, 0
            archive.addfile(info, io.BytesIO(members[name]))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, mtime=0) as compressed:
        compressed.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def package_model(inputs: Mapping[PackageInput, str], outputs: Mapping[PackageOutput, str],
                  environ: Mapping[str, str]) -> str:
    """Write ``<packaged_model>/model.tar.gz`` (see the module docstring); return its path."""
    calibrator_file = environ.get(PackageEnv.CALIBRATOR_FILE.value, DEFAULT_CALIBRATOR_FILE)
    members = model_members(inputs[PackageInput.MODEL_INPUT])
    clashes = sorted(name for name in members if name.split("/")[0] == CALIBRATION_MEMBER_FOLDER)
    if clashes:
        raise CalibrationScriptError(Code.MC_E602_PACKAGE_MEMBER,
                                     f"the model already holds {clashes}, where the package puts the calibrator",
                                     f"rename the model's {CALIBRATION_MEMBER_FOLDER}/ folder")
    members[f"{CALIBRATION_MEMBER_FOLDER}/{calibrator_file}"] = _json_object(
        inputs[PackageInput.CALIBRATION_MODEL], calibrator_file, PackageInput.CALIBRATION_MODEL.value)
    members[f"{CALIBRATION_MEMBER_FOLDER}/{PACKAGE_METRICS_FILE}"] = _json_object(
        inputs[PackageInput.CALIBRATION_METRICS], PACKAGE_METRICS_FILE, PackageInput.CALIBRATION_METRICS.value)
    target = os.path.join(outputs[PackageOutput.PACKAGED_MODEL], PACKAGED_MODEL_FILE)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staged = f"{target}.partial"
    with open(staged, "wb") as handle:
        handle.write(archive_bytes(members))
    os.replace(staged, target)
    return target
