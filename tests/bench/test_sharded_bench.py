"""bench.sharded: what it compares and how it reports (the run itself is tests/local's)."""

from __future__ import annotations

import math

from bench import sharded


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
