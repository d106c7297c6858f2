"""Naming conventions of the seed, as predicates.

Examples
--------
>>> is_pascal_case("ModelCalibration"), is_pascal_case("model_calibration")
(True, False)
>>> is_snake_case("evaluation_data"), is_snake_case("EvaluationData")
(True, False)
>>> is_env_var_name("CALIBRATION_METHOD"), is_script_file_name("model_calibration.py")
(True, True)
>>> is_script_file_name("model_calibration.pyz"), is_script_file_name("ModelCalibration.py")
(True, False)
"""

from __future__ import annotations

import re

__all__ = ["is_env_var_name", "is_pascal_case", "is_script_file_name", "is_snake_case"]

_PASCAL = re.compile(r"[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ENV = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def is_pascal_case(name: str) -> bool:
    """Step types and class names: ``ModelCalibration``, ``XGBoostModelEval``."""
    return _PASCAL.fullmatch(name) is not None


def is_snake_case(name: str) -> bool:
    """Logical names and argument names: ``evaluation_data``."""
    return _SNAKE.fullmatch(name) is not None


def is_env_var_name(name: str) -> bool:
    """Environment variable names: ``CALIBRATION_METHOD``."""
    return _ENV.fullmatch(name) is not None


def is_script_file_name(name: str) -> bool:
    """Script files: snake_case with a ``.py`` suffix, or ``.pyz`` for a zipapp (one zip file that
    ``python3`` runs)."""
    stem, _, suffix = name.rpartition(".")
    return suffix in ("py", "pyz") and is_snake_case(stem)
