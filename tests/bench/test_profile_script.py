"""bench.profile_script: one profiled run of the script on benchmark data."""

from __future__ import annotations

import pytest

from bench import profile_script


def test_profile_prints_time_stages_peak_and_hot_functions(
        tmp_path: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in profile_script.THREAD_VARIABLES:
        monkeypatch.setenv(name, "1")  # restored after the test (main sets them)
    assert profile_script.main(["--size", "2000", "--method", "platt", "--profile", "5",
                                "--timeline", "0.01", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "nonlinear 2,000 rows, platt:" in out and "fit_and_evaluate_seconds" in out
    assert "MiB above the interpreter, at " in out
    assert "cumulative" in out and "main" in out  # the cProfile table
