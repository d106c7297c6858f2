from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibration_step.processing.names import MAX_NAME_LENGTH, job_name_prefix, sanitize_name, snake_case, step_name
from calibration_step.errors import BuildError

_ALLOWED = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?")


@given(st.text(min_size=1, max_size=200).filter(lambda t: re.search(r"[a-zA-Z0-9]", t) is not None))
def test_sanitised_names_follow_sagemaker_rules_and_are_deterministic(text: str) -> None:
    name = sanitize_name(text)
    assert _ALLOWED.fullmatch(name)
    assert len(name) <= MAX_NAME_LENGTH
    assert "--" not in name
    assert sanitize_name(text) == name


def test_long_names_stay_distinct() -> None:
    a = sanitize_name("Step" * 30 + "A")
    b = sanitize_name("Step" * 30 + "B")
    assert len(a) == len(b) == MAX_NAME_LENGTH
    assert a != b


def test_nothing_usable_left_is_an_error() -> None:
    with pytest.raises(BuildError, match=r"name '__' has no letter or digit left after sanitising"):
        sanitize_name("__")


def test_step_and_job_names() -> None:
    assert step_name("ModelCalibration") == "ModelCalibration"
    assert step_name("ModelCalibration", "calibration") == "ModelCalibration-Calibration"
    assert job_name_prefix("Model Calibration_v2") == "Model-Calibration-v2"


@pytest.mark.parametrize(
    ("step_type", "folder"),
    [("ModelCalibration", "model_calibration"), ("CrossValidation", "cross_validation"), ("Package", "package")],
)
def test_snake_case(step_type: str, folder: str) -> None:
    assert snake_case(step_type) == folder
