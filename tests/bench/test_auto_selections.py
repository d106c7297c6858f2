"""bench.auto_selections: auto's six selections one by one against the shared subsample's."""

from __future__ import annotations

import pytest

from bench import auto_selections
from calibration_step.script.model_calibration import limits, sampledselection


def test_prints_both_paths_choices_for_each_kind(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "AUTO_SUBSAMPLE_MIN_ROWS", 2000)
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 1600)
    monkeypatch.setattr(limits, "AUTO_SHARED_SELECTION_ROWS", 1600)
    monkeypatch.setattr(sampledselection, "MIXTURE_MAX_ROWS", 500)
    auto_selections.main(["--sizes", "3000", "--seeds", "0"])
    rows = [line.strip("| ").split(" | ") for line in capsys.readouterr().out.splitlines()
            if line.startswith("| 3,000")]
    assert [row[1] for row in rows] == ["temperature", "matrix"]
    for row in rows:  # six choices on each side, among the default candidates
        for chosen in (row[3], row[5]):
            assert len(chosen.split(", ")) == 6
            assert set(chosen.split(", ")) <= {"identity", "platt", "gam", "beta", "vector",
                                               "dirichlet", "mixture"}
