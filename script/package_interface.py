"""The names of the Package step, defined once: its logical inputs and outputs, env var, paths and files.

Standard library only (Python 3.10): this module ships with the packaging script
(``model_packaging.pyz``), and the library builds the step's contract and specification from it
(:mod:`calibration_step.steps.package`).

Examples
--------
>>> PackageInput.CALIBRATION_MODEL.value, PACKAGE_INPUT_PATHS[PackageInput.CALIBRATION_MODEL]
('calibration_model', '/opt/ml/processing/input/calibration')
>>> PACKAGED_MODEL_FILE, CALIBRATION_MEMBER_FOLDER
('model.tar.gz', 'calibration')
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "CALIBRATION_MEMBER_FOLDER",
    "DEFAULT_CALIBRATOR_FILE",
    "PACKAGED_MODEL_FILE",
    "PACKAGE_INPUT_PATHS",
    "PACKAGE_METRICS_FILE",
    "PACKAGE_OUTPUT_PATHS",
    "PACKAGE_SCRIPT",
    "PackageEnv",
    "PackageInput",
    "PackageOutput",
]


class PackageInput(enum.Enum):
    """Logical inputs: the trained model, the calibrator that goes with it, and its metrics.

    ``model_input`` takes the trained model (``model.tar.gz`` or its folder), ``calibration_model``
    ModelCalibration's ``calibration_output`` (its ``calibrator.json``) and ``calibration_metrics``
    its ``metrics_output`` (its ``metrics.json``).
    """

    MODEL_INPUT = "model_input"
    CALIBRATION_MODEL = "calibration_model"
    CALIBRATION_METRICS = "calibration_metrics"


class PackageOutput(enum.Enum):
    """Logical output: one deployable archive."""

    PACKAGED_MODEL = "packaged_model"


class PackageEnv(enum.Enum):
    """Env vars the packaging script reads."""

    CALIBRATOR_FILE = "CALIBRATOR_FILE"


PACKAGE_SCRIPT: Final = "model_packaging.pyz"
"""The file the job runs: the zipapp of the package ``model_packaging/``."""
DEFAULT_CALIBRATOR_FILE: Final = "calibrator.json"
PACKAGE_METRICS_FILE: Final = "metrics.json"
PACKAGED_MODEL_FILE: Final = "model.tar.gz"
CALIBRATION_MEMBER_FOLDER: Final = "calibration"
"""The folder inside the packaged archive that holds the calibrator and its metrics."""

PACKAGE_INPUT_PATHS: Final = {
    PackageInput.MODEL_INPUT: "/opt/ml/processing/input/model",
    PackageInput.CALIBRATION_MODEL: "/opt/ml/processing/input/calibration",
    PackageInput.CALIBRATION_METRICS: "/opt/ml/processing/input/metrics",
}
PACKAGE_OUTPUT_PATHS: Final = {PackageOutput.PACKAGED_MODEL: "/opt/ml/processing/output/packaged_model"}
