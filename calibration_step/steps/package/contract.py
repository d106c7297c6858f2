"""The Package script contract.

Examples
--------
>>> PACKAGE_CONTRACT.output_paths[PackageOutput.PACKAGED_MODEL]
'/opt/ml/processing/output/packaged_model'
"""

from __future__ import annotations

from typing import Final

from calibration_step.contract import ScriptContract
from calibration_step.steps.package.names import PACKAGE_SCRIPT, PackageEnv, PackageInput, PackageOutput

__all__ = ["PACKAGE_CONTRACT"]

PACKAGE_CONTRACT: Final[ScriptContract[PackageInput, PackageOutput, PackageEnv]] = ScriptContract(
    entry_point=PACKAGE_SCRIPT,
    input_paths={
        PackageInput.MODEL_INPUT: "/opt/ml/processing/input/model",
        PackageInput.CALIBRATION_MODEL: "/opt/ml/processing/input/calibration",
    },
    output_paths={PackageOutput.PACKAGED_MODEL: "/opt/ml/processing/output/packaged_model"},
    optional_env_vars={PackageEnv.CALIBRATOR_FILE: "calibrator.json"},
    output_files={PackageOutput.PACKAGED_MODEL: ("model.tar.gz",)},
    description="Writes model.tar.gz with the model files and the calibrator.",
)
"""The contract of ``package.py``."""
