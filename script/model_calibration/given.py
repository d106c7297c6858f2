"""The calibrator a ``validation`` or ``testing`` job applies: found on ``calibration_model``
(a ``calibrator.json`` file, or a folder holding exactly one, ``MC-E406``), its checksum
verified, and matched to the job's mode, columns and score space (``MC-E405``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional

from .artifact import AnyCalibrator, Calibrator
from .artifactreader import load_calibration_model, verified_content
from ..errors import CalibrationScriptError, Code, quoted
from .logs import logger
from ..interface import CALIBRATOR_FILE
from .reading import check_data_file, walk_files
from .settings import Settings


def _mismatch(message: str) -> CalibrationScriptError:
    return CalibrationScriptError(Code.MC_E405_CALIBRATOR_MISMATCH, message,
                                  "pass the calibrator.json fitted for these columns and this mode")


def check_given(given: AnyCalibrator, settings: Settings) -> None:
    """A given calibrator must match the job's mode, columns and score space (``MC-E405``)."""
    kind = "binary" if isinstance(given, Calibrator) else given.mode
    if kind != settings.mode:
        raise _mismatch(f"calibration_model is a {kind} calibrator; this job is {settings.mode}")
    if given.score_space != settings.score_space:
        raise _mismatch(f"calibration_model works on {given.score_space} scores; "
                        f"SCORE_SPACE={settings.score_space}")
    if isinstance(given, Calibrator):
        return
    if settings.mode == "multitask" and (given.score_fields != settings.score_fields or
                                         given.label_fields != settings.task_label_names):
        raise _mismatch(f"calibration_model holds tasks {list(given.score_fields)} with labels "
                        f"{list(given.label_fields)}; SCORE_FIELDS={list(settings.score_fields)}, "
                        f"TASK_LABEL_NAMES={list(settings.task_label_names)}")
    fields = tuple(settings.score_field_prefix + c for c in settings.categories)
    if settings.mode == "multiclass" and (given.names != settings.categories or
                                          given.score_fields != fields):
        raise _mismatch(f"calibration_model holds categories {list(given.names)} in columns "
                        f"{list(given.score_fields)}; the job has {list(settings.categories)} "
                        f"in {list(fields)}")


def find_calibrator_file(path: str) -> str:
    """The calibrator JSON given on ``calibration_model``: the file, or the one in the folder (a
    regular file inside it, checked as the input data files are: ``MC-E214`` to ``MC-E216``)."""
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        found = [p for p in walk_files(path) if os.path.basename(p) == CALIBRATOR_FILE]
        if len(found) == 1:
            check_data_file(found[0], os.path.relpath(found[0], path), path)
            return found[0]
        if len(found) > 1:
            raise CalibrationScriptError(
                Code.MC_E406_NO_CALIBRATOR_FILE,
                f"calibration_model holds {len(found)} {CALIBRATOR_FILE} files",
                "give a folder with exactly one")
    raise CalibrationScriptError(
        Code.MC_E406_NO_CALIBRATOR_FILE,
        f"no {CALIBRATOR_FILE} under calibration_model {quoted(path)}",
        f"pass the calibration_output folder (holding {CALIBRATOR_FILE}) of a calibration job")


def load_given(model_path: Optional[str], settings: Settings, job_type: str
               ) -> tuple[Mapping[str, object], AnyCalibrator]:
    """The verified content of the calibrator on ``calibration_model`` and the calibrator, checked
    against the job (``MC-E103`` when there is no such input)."""
    if not model_path:
        raise CalibrationScriptError(
            Code.MC_E103_MISSING_PATH,
            f"a {job_type} job applies a given calibrator: missing input path calibration_model",
            "pass --calibration_model DIR (a calibration job's calibration_output)")
    content = verified_content(find_calibrator_file(model_path))
    given = load_calibration_model(content)
    check_given(given, settings)
    if settings.method != given.method and settings.method != "auto":
        logger.info("CALIBRATION_METHOD=%s is not used: a %s job applies the given %s "
                    "calibrator", settings.method, job_type, given.method)
    return content, given
