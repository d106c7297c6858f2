"""Config tiers shared by every step: pipeline-wide settings, then processing-job settings.

Step configs (e.g. ``ModelCalibrationConfig``) extend :class:`ProcessingConfig`. Configs are
frozen, keyword-only attrs classes: variants through ``attrs.evolve``; invalid values cannot be
constructed; serialization lives in :mod:`calibration_step.config_json`.

Examples
--------
>>> from calibration_step.config import ProcessingConfig
>>> issubclass(ProcessingConfig, BasePipelineConfig)
True
"""

from __future__ import annotations

from calibration_step.config.base import BasePipelineConfig
from calibration_step.config.processing import DEFAULT_FRAMEWORK_VERSION, ProcessingConfig

__all__ = ["BasePipelineConfig", "DEFAULT_FRAMEWORK_VERSION", "ProcessingConfig"]
