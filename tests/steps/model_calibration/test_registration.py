"""The ModelCalibration registry entry, and config JSON loading through the registry's classes."""

from __future__ import annotations

from calibration_step.config_json import default_config_classes, dumps, loads
from calibration_step.registry import registration_problems
from calibration_step.steps import default_registry
from calibration_step.steps.model_calibration import (
    MODEL_CALIBRATION_CONTRACT,
    MODEL_CALIBRATION_SPEC,
    ModelCalibrationConfig,
)
from calibration_step.steps.model_calibration.builder import build_model_calibration_step
from calibration_step.steps.model_calibration.registration import model_calibration_registration
from tests.config.strategies import calibration_config


def test_the_registration_is_sound_and_in_the_default_registry() -> None:
    registration = model_calibration_registration()
    assert registration_problems(registration) == ()
    assert (registration.config_class, registration.builder, registration.sagemaker_step_type) == (
        ModelCalibrationConfig, build_model_calibration_step, "Processing")
    assert registration.spec is MODEL_CALIBRATION_SPEC and registration.contract is MODEL_CALIBRATION_CONTRACT
    assert default_registry().get("ModelCalibration") == registration


def test_config_json_loads_registered_configs_without_naming_classes() -> None:
    assert default_config_classes()["ModelCalibrationConfig"] is ModelCalibrationConfig
    configs = {"calibrate": calibration_config(calibration_method="isotonic"),
               "evaluate": calibration_config(job_type="testing")}
    assert loads(dumps(configs)) == configs
