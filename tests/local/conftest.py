"""Fixtures of the local executor's tests: a local S3 store with the step script in it, and a work folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration_step.local import LocalS3Store
from tests.local.definitions import CODE_URI, STEP_SCRIPT


@pytest.fixture
def store(tmp_path: Path) -> LocalS3Store:
    """A local store holding the step script at :data:`CODE_URI`."""
    created = LocalS3Store(tmp_path / "s3")
    created.put_bytes(CODE_URI, STEP_SCRIPT.encode())
    return created


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The executions' work folder."""
    return tmp_path / "work"
