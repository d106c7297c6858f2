"""The README's Quality table and claims are the committed ``bench/results/quality_*.json``'s.

Each table row names its results files; the runs, ``auto``'s lowest and highest share within
tolerance of a peer, the fewest and most runs it lost and won beyond noise against a peer, its
mean rank and the runs where it is worse than the scores are read from
the files' summaries (binary from the file holding binary runs, multi-class likewise) and must
be what the row says, so that a results file run again cannot leave the README behind it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import pytest

from bench.quality.ours import BINARY_METHODS, MULTICLASS_METHODS
from tests.typecheck import REPO_ROOT

README: Final = REPO_ROOT / "README.md"
RESULTS: Final = REPO_ROOT / "bench" / "results"
BOUNDED: Final = {mode: tuple(name for name, method in methods.items() if method != "isotonic")
                  for mode, methods in (("binary", BINARY_METHODS),
                                        ("multiclass", MULTICLASS_METHODS))}
"""Our calibrators the README says never give a confident miss: every one but isotonic."""


def _quality_rows() -> list[list[str]]:
    """The cells of each row of the README's Quality table."""
    section = README.read_text(encoding="utf-8").split("## Quality\n", 1)[1].split("\n## ", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| `quality_")]


def _summaries(cell: str) -> dict[str, dict[str, Any]]:
    """The summary of each mode of the results files a row's first cell names."""
    found: dict[str, dict[str, Any]] = {}
    for name in re.findall(r"`(quality_\w+)`", cell):
        summary = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))["summary"]
        found.update(summary)
    return found


def _stated(summary: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """Runs, share range, the ranges of runs lost and won beyond noise against a peer, auto's
    mean rank and its runs worse than the scores, as written."""
    shares = [100.0 * peer["fraction"] for peer in summary["auto_vs_peers"]]
    paired = summary["auto_vs_peers_paired"]
    lost, won = ([peer[side] for peer in paired] for side in ("lost", "won"))
    auto = next(c for c in summary["calibrators"] if c["name"] == "ours_auto")
    return (str(summary["runs"]), f"{min(shares):.0f}-{max(shares):.0f} %",
            f"{min(lost)}-{max(lost)} / {min(won)}-{max(won)}", f"{auto['mean_rank']:.2f}",
            str(len(summary["auto_worse_than_uncalibrated"])))


@pytest.mark.parametrize("row", _quality_rows(), ids=lambda row: row[0].split(":")[0])
def test_each_quality_row_is_its_results_files(row: list[str]) -> None:
    summaries = _summaries(row[0])
    binary, multiclass = (_stated(summaries[mode]) if mode in summaries else ("-",) * 5
                          for mode in ("binary", "multiclass"))  # "-": the files hold none
    runs, shares, noise, ranks, worse = row[1:6]
    assert runs == f"{binary[0]} / {multiclass[0]}"
    assert shares == f"{binary[1]} / {multiclass[1]}"
    assert noise == f"{binary[2]}; {multiclass[2]}"
    rank = [re.escape(stated[3]) + ("" if stated[3] == "-" else r"\b")
            for stated in (binary, multiclass)]
    assert re.match(rf"{rank[0]}.* / {rank[1]}", ranks), ranks
    assert worse == f"{binary[4]} / {multiclass[4]}"


def test_the_quality_claims_hold_in_every_row() -> None:
    rows = _quality_rows()
    assert len(rows) >= 4
    for row in rows:
        for mode, summary in _summaries(row[0]).items():
            figures = {c["name"]: c for c in summary["calibrators"]}
            assert all(figures[name]["confident_misses"] == 0 for name in BOUNDED[mode])
            assert summary["unconverged_fits"] == 0
            assert summary["temperature_vs_sklearn_all"]["max_abs_diff"] <= 5e-8
            # "auto wins more runs than it loses beyond noise against every peer in every
            # results file but the binary runs of quality_diabetes"
            if "`quality_diabetes`" not in row[0] or mode != "binary":
                assert all(peer["won"] > peer["lost"] for peer in summary["auto_vs_peers_paired"])
            if mode == "binary":
                assert summary["isotonic_vs_sklearn_all"]["max_abs_diff"] <= 1e-15


def _within_noise_share(name: str, mode: str) -> float:
    """Of the runs ``auto`` lost to a peer beyond the tolerance (summed over the peers) in a
    results file's ``mode``, the percentage that are not lost beyond noise."""
    summary = _summaries(f"`{name}`")[mode]
    lost = sum(peer["runs"] - peer["within"] for peer in summary["auto_vs_peers"])
    beyond = sum(peer["lost"] for peer in summary["auto_vs_peers_paired"])
    return float(100.0 * (lost - beyond) / lost)


def test_the_share_of_lost_runs_within_noise_is_the_readmes() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    real = [_within_noise_share(name, mode) for name, mode in (
        ("quality_statsmodels", "binary"), ("quality_statsmodels", "multiclass"),
        ("quality_r_binary", "binary"), ("quality_r_multiclass", "multiclass"),
        ("quality_diabetes", "binary"), ("quality_diabetes", "multiclass"),
        ("quality_models", "binary"), ("quality_models", "multiclass"))]
    assert f"kinds of model) {min(real):.0f}-{max(real):.0f} % of the runs lost to a peer" in text
    assert f"on `quality_mc` {_within_noise_share('quality_mc', 'multiclass'):.0f} %" in text
    assert f"binary runs {_within_noise_share('quality_bin', 'binary'):.0f} %," in text
