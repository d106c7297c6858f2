"""bench.auto_subsample: auto's choice on every row against its choice on the subsample."""

from __future__ import annotations

import pytest

from bench import auto_subsample
from calibration_step.script.model_calibration import limits


def test_prints_both_choices_and_every_candidate_s_losses(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 1000)
    auto_subsample.main(["--size", "3000", "--test-rows", "1000"])
    out = capsys.readouterr().out
    assert "(3,000 multi-class rows, 1,000-row target)" in out
    assert "- selected on the subsample of 1,000 rows: " in out
    assert limits.AUTO_SUBSAMPLE_MIN_ROWS == 1 << 21  # restored
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| platt", "| gam", "| beta", "| identity", "| vector", "| dirichlet"]
    for row in rows:  # three losses each, near the 3-class data's 0.9
        assert all(0.5 < float(v) < 1.1 for v in row.strip("| ").split(" | ")[1:])
