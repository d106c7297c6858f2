"""Every config that builds is one the script accepts, and it reads back the values sent."""

from __future__ import annotations

from hypothesis import given, settings

from calibration_step.steps.model_calibration import ModelCalibrationConfig, model_calibration_environment
from calibration_step.script import model_calibration as script
from tests.config.strategies import calibration_configs


@settings(max_examples=150, deadline=None)
@given(calibration_configs())
def test_the_script_accepts_every_valid_config(config: ModelCalibrationConfig) -> None:
    environ = {name.value: value for name, value in model_calibration_environment(config).items()}
    read = script.read_settings(environ)
    assert (read.method, read.is_binary, read.score_fields, read.task_label_names, read.weight_field) == (
        config.calibration_method, config.is_binary, config.score_fields, config.task_label_names,
        config.weight_field or "")
    assert (read.negative_sampling_rate, read.temperature_bias, read.error_threshold) == (
        config.negative_sampling_rate, config.temperature_bias, config.error_threshold)
    if not config.is_binary:
        expected = config.multiclass_categories or tuple(str(i) for i in range(config.num_classes or 0))
        assert read.categories == expected
    if config.calibration_method == "auto" and config.auto_candidates:
        assert read.auto_candidates == config.auto_candidates
