"""Shared fixtures of the command tests: small scored data written as the script reads it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from calibration_step.commands._demo_data import miscalibrated_scores

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:  # tests import the script as ``script.model_calibration`` (mypy's name for it)
    sys.path.insert(0, ROOT)


@pytest.fixture
def scores_csv(tmp_path: Path) -> Path:
    """3,000 miscalibrated rows (``id``, ``label``, ``prob_class_1``, ``true_probability``) as one csv file."""
    folder = tmp_path / "scores"
    folder.mkdir()
    path = folder / "scores.csv"
    miscalibrated_scores(rows=3000, seed=1).to_csv(path, index=False)
    return path
