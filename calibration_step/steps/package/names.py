"""Every name of the Package step, written once.

Examples
--------
>>> PackageInput.CALIBRATION_MODEL.value, PACKAGE_STEP_TYPE
('calibration_model', 'Package')
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["PACKAGE_JOB_FOLDER", "PACKAGE_SCRIPT", "PACKAGE_STEP_TYPE", "PackageEnv", "PackageInput", "PackageOutput"]

PACKAGE_STEP_TYPE: Final = "Package"
PACKAGE_SCRIPT: Final = "package.py"
PACKAGE_JOB_FOLDER: Final = "packaging"
"""The job-type part of the output destinations (the step has no job types)."""


class PackageInput(enum.Enum):
    """Logical inputs: the trained model and the calibrator that goes with it."""

    MODEL_INPUT = "model_input"
    CALIBRATION_MODEL = "calibration_model"


class PackageOutput(enum.Enum):
    """Logical output: one deployable archive."""

    PACKAGED_MODEL = "packaged_model"


class PackageEnv(enum.Enum):
    """Env vars the packaging script reads."""

    CALIBRATOR_FILE = "CALIBRATOR_FILE"
