"""The script's logger, ``model_calibration`` (the command-line entry configures it)."""

from __future__ import annotations

import logging

logger = logging.getLogger("model_calibration")
