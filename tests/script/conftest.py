"""Make the repository root importable so tests can ``from calibration_step.script import model_calibration``."""

import os
import sys
from collections.abc import Sequence

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture
def no_plot(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Skip matplotlib (about 0.3 s a panel) in tests that do not look at the diagram; returns
    the panel counts the script asked for."""
    from calibration_step.script.model_calibration import runner

    calls: list[int] = []

    def record(path: str, panels: Sequence[object], evaluation: str = "", bins: str = "") -> None:
        calls.append(len(panels))
        with open(path, "wb") as handle:
            handle.write(b"\x89PNG\r\n\x1a\n")

    monkeypatch.setattr(runner, "plot_reliability", record)  # main draws the diagram
    return calls
