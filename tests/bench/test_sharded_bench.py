"""bench.sharded: what it compares and how it reports (the run itself is tests/local's)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from bench import data, sharded


def test_the_comparison_skips_timings_and_measures_every_other_difference() -> None:
    ours = {"calibrator": {"params": [1.0, 2.0], "fit": {"seconds": 0.5}, "checksum": "a"},
            "metrics": {"rows": {"read": 10}, "timings": {"read_seconds": 1.0}}}
    same = {"calibrator": {"params": [1.0, 2.0], "fit": {"seconds": 0.7}, "checksum": "b"},
            "metrics": {"rows": {"read": 10}, "timings": {"read_seconds": 3.0}}}
    assert sharded._largest_difference(sharded.without_timings(ours), sharded.without_timings(same)) == 0.0
    nudged = {**same, "calibrator": {"params": [1.0, 2.0 * (1 + 1e-9)], "fit": {}}}
    assert math.isclose(sharded._largest_difference(sharded.without_timings(ours), sharded.without_timings(nudged)),
                        1e-9, rel_tol=1e-3)
    recounted = {**same, "metrics": {"rows": {"read": 11}}}
    assert sharded._largest_difference(sharded.without_timings(ours), sharded.without_timings(recounted)) == math.inf


def test_the_markdown_has_a_row_per_run_with_per_instance_seconds() -> None:
    runs: list[dict[str, object]] = [{"instances": None, "status": "Succeeded", "seconds": 3.0,
             "steps": {"ModelCalibration-Calibration": {"seconds": 3.0, "instance_seconds": []}}},
            {"instances": 2, "status": "Succeeded", "seconds": 5.0, "difference": 0.0,
             "steps": {"M-Statistics": {"seconds": 1.5, "instance_seconds": [0.25, 0.5]},
                       "M-Fit": {"seconds": 2.0, "instance_seconds": []},
                       "M-Apply": {"seconds": 1.5, "instance_seconds": [0.5, 0.75]}}}]
    text = sharded._markdown(runs, 10**6)
    assert "| single step | Succeeded | 3.0 | - | 3.0 | - | - |" in text
    assert "| 2 | Succeeded | 5.0 | 1.5 (0.25, 0.50) | 2.0 | 1.5 (0.50, 0.75) | 0.0 |" in text


def test_each_instance_runs_alone_on_its_share_of_the_files(tmp_path: Path) -> None:
    dataset = data.prepare(os.fspath(tmp_path / "cache"), "nonlinear", 20_000)
    alone = sharded._alone(dataset, [2], tmp_path / "alone")
    seconds = alone["2"]
    assert isinstance(seconds, dict)
    assert len(seconds["statistics"]) == len(seconds["apply"]) == 2
    assert all(s > 0 for s in seconds["statistics"] + seconds["apply"])
    assert all(0 < own < wall for own, wall in zip(seconds["statistics_own"], seconds["statistics"]))
    assert all(mb > 0 for mb in seconds["statistics_peak_mb"] + seconds["apply_peak_mb"])


def test_a_share_is_placed_as_a_regular_file_the_script_reads(tmp_path: Path) -> None:
    source = tmp_path / "part-000.parquet"
    source.write_bytes(b"PAR1")
    folder = tmp_path / "input"
    folder.mkdir()
    sharded._place(source, folder)
    placed = folder / "part-000.parquet"
    assert not placed.is_symlink() and placed.read_bytes() == b"PAR1"


def test_the_alone_table_gives_the_slowest_instance_as_a_share_of_one() -> None:
    alone: dict[str, object] = {
        "1": {"statistics": [2.0], "apply": [3.0], "statistics_own": [1.0], "apply_own": [2.0]},
        "2": {"statistics": [1.6, 1.5], "apply": [2.2, 2.0], "statistics_own": [0.5, 0.4],
              "apply_own": [1.0, 0.9]}}
    text = sharded._alone_markdown(alone)
    assert "| 1 | 2.0 | 3.0 | 2.0 / 1.0 (1.00) | 3.0 / 2.0 (1.00) |" in text
    assert "| 2 | 1.6, 1.5 | 2.2, 2.0 | 1.6 / 0.5 (0.50) | 2.2 / 1.0 (0.50) |" in text
