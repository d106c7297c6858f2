"""The model calibration processing script: binary, multi-task and multi-class calibration.

One module per job (settings, reading, fitting, metrics, writing, ...); :func:`main` runs a
processing job and :func:`run_cli` is its command line (``python -m`` this package). The other
names here are what users of a ``calibrator.json`` need. The design of the whole script is in
docs/script.md.

>>> import numpy as np
>>> cal = Calibrator(method="platt", score_space="probability", clip_epsilon=1e-15,
...                  coef=(1.0, 0.0))
>>> loaded = load_calibrator(cal.to_json_dict())
>>> apply_calibrator(loaded, np.array([0.0, 0.25, 1.0])).round(6).tolist()
[0.0, 0.25, 1.0]
"""

from __future__ import annotations

from .apply import apply_calibrator, apply_multiclass
from .artifact import Calibrator, MultiCalibrator
from .artifactreader import load_calibration_model, load_calibrator
from .cli import run_cli
from .columns import parse_scores
from ..errors import CalibrationScriptError
from .given import find_calibrator_file
from .runner import main
from .settings import Settings, read_settings

__all__ = [
    "CalibrationScriptError",
    "Calibrator",
    "MultiCalibrator",
    "Settings",
    "apply_calibrator",
    "apply_multiclass",
    "find_calibrator_file",
    "load_calibration_model",
    "load_calibrator",
    "main",
    "parse_scores",
    "read_settings",
    "run_cli",
]
