"""The summary figures of a set of runs, binary and multi-class separately.

These are the targets of the calibration-quality work:

- for each peer, the share of runs where ``ours_auto``'s held-out log loss is within
  ``max(WITHIN_RELATIVE * peer's, WITHIN_ABSOLUTE)`` nats of the peer's (or below it); runs
  where the peer failed are left out, runs where auto failed count as not within; the same
  share for every other calibrator against every peer (``within_matrix``), which says how
  demanding the target is: how often each peer is within the tolerance of the others;
- each calibrator's mean rank by held-out log loss among every calibrator of the run (ours,
  peers and the uncalibrated scores; ties share their mean rank, failures share the last ranks);
- confident misses (rows whose true class got p < 1e-6) and runs with exact 0/1 outputs, per
  calibrator;
- for each peer, the runs auto lost beyond the tolerance *and* by more than ``PAIRED_Z`` standard
  errors of the paired per-row difference of test log losses (a difference the test rows can
  tell from noise), and the runs it won likewise (``auto_vs_peers_paired``; runs of results
  written before the paired differences were recorded are left out);
- runs where auto is worse than the uncalibrated scores by more than ``WORSE_THAN_UNCALIBRATED``
  nats;
- shipped fits that the script's calibrator.json says did not converge;
- the largest difference between ours isotonic and ``IsotonicRegression(out_of_bounds='clip')``
  (over the runs whose calibration scores have no near ties, which scikit-learn pools, and over
  all runs) and between ours temperature and scikit-learn's temperature scaling (over the runs
  without a separable binary calibration set or, multi-class, without an exact 0 among the
  scores, and over all runs), on the test predictions.

Examples
--------
>>> within(0.300, 0.296), within(0.31, 0.30), within(0.2, 0.3)
(True, False, True)
>>> ranks_of({"a": 0.2, "b": None, "c": 0.1, "d": 0.2})
{'a': 2.5, 'b': 4.0, 'c': 1.0, 'd': 2.5}
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Mapping, Sequence

from bench.quality.datasets import BINARY
from bench.quality.metrics import PairedDifference
from bench.quality.runs import AUTO, UNCALIBRATED, RunResult, calibrators_of

WITHIN_RELATIVE = 0.01
WITHIN_ABSOLUTE = 0.005
WORSE_THAN_UNCALIBRATED = 0.005
PAIRED_Z = 1.96
"""A difference counts as beyond noise when its mean is this many paired standard errors from 0
(a two-sided 95 % normal interval that excludes 0)."""


def within(ours: float, peer: float) -> bool:
    """Whether a log loss of ``ours`` is within the tolerance of ``peer``'s (or below it)."""
    return ours <= peer + max(WITHIN_RELATIVE * peer, WITHIN_ABSOLUTE)


def ranks_of(losses: Mapping[str, float | None]) -> dict[str, float]:
    """Ranks by log loss (1 = lowest; ties share their mean rank; None = failed, last)."""
    keyed = {name: math.inf if loss is None else loss for name, loss in losses.items()}
    ranks: dict[str, float] = {}
    for name, loss in keyed.items():
        below = sum(1 for other in keyed.values() if other < loss)
        tied = sum(1 for other in keyed.values() if other == loss)
        ranks[name] = below + (tied + 1) / 2
    return ranks


@dataclasses.dataclass(frozen=True)
class CalibratorSummary:
    name: str
    runs: int
    failed: int
    mean_rank: float | None
    mean_log_loss: float | None
    mean_brier: float | None
    mean_ece: float | None
    confident_misses: int
    runs_with_confident_misses: int
    runs_with_exact_01: int
    unconverged_runs: int | None  # ours only: runs whose shipped fit did not converge
    # runs where it ran and its log loss exceeds the uncalibrated scores' by more than
    # WORSE_THAN_UNCALIBRATED (the target asks auto for none)
    worse_than_uncalibrated: int
    mean_seconds: float | None
    mean_cpu_seconds: float | None


@dataclasses.dataclass(frozen=True)
class PeerComparison:
    """Auto against one peer: runs where the peer ran, and where auto was within tolerance."""

    peer: str
    runs: int
    within: int
    fraction: float | None


@dataclasses.dataclass(frozen=True)
class PairedComparison:
    """Auto against one peer on the runs with paired per-row differences: ``lost``, runs where
    auto is beyond the tolerance of the peer and its mean per-row excess is more than
    ``PAIRED_Z`` standard errors above 0; ``won``, the reverse (the peer beyond the tolerance
    of auto, by more than ``PAIRED_Z`` standard errors)."""

    peer: str
    runs: int
    lost: int
    won: int


@dataclasses.dataclass(frozen=True)
class Agreement:
    """Max abs difference of ours and a scikit-learn reference over ``runs`` runs (``skipped``
    runs had inputs the comparison excludes)."""

    runs: int
    max_abs_diff: float | None
    skipped: int = 0


@dataclasses.dataclass(frozen=True)
class ModeSummary:
    mode: str
    runs: int
    calibrators: list[CalibratorSummary]
    auto_vs_peers: list[PeerComparison]
    auto_worse_than_uncalibrated: list[str]
    auto_failed: list[str]
    unconverged_fits: int
    # binary only: runs without near ties (skipped: runs with them), and every run
    isotonic_vs_sklearn: Agreement | None
    isotonic_vs_sklearn_all: Agreement | None
    # runs the first figure keeps (``_temperature_aside``; skipped: the others, and runs of
    # earlier results whose comparison was not made), and every run compared
    temperature_vs_sklearn: Agreement | None
    temperature_vs_sklearn_all: Agreement | None
    auto_choices: dict[str, int]
    # every calibrator (auto included) against each peer, as ``auto_vs_peers`` is for auto
    within_matrix: dict[str, list[PeerComparison]]
    auto_vs_peers_paired: list[PairedComparison] = dataclasses.field(default_factory=list)
    # the runs of auto_worse_than_uncalibrated whose paired per-row excess over the scores is
    # more than PAIRED_Z standard errors above 0 (of the runs with paired differences)
    auto_worse_than_uncalibrated_beyond_noise: list[str] = dataclasses.field(
        default_factory=list)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _calibrator(name: str, runs: Sequence[RunResult],
                ranks: Mapping[str, list[float]]) -> CalibratorSummary:
    results = [r.calibrators[name] for r in runs if name in r.calibrators]
    ok = [c for c in results if c.figures is not None]
    figures = [c.figures for c in ok if c.figures is not None]
    unconverged = None
    if name.startswith("ours_"):
        unconverged = sum(1 for c in ok if c.unconverged)
    return CalibratorSummary(
        name, len(results), len(results) - len(ok), _mean(ranks.get(name, [])),
        _mean([f.log_loss for f in figures]), _mean([f.brier for f in figures]),
        _mean([f.ece for f in figures]), sum(f.confident_misses for f in figures),
        sum(1 for f in figures if f.confident_misses), sum(1 for f in figures if f.exact_01),
        unconverged, _worse_than_uncalibrated(name, runs), _mean([c.seconds for c in ok]),
        _mean([c.cpu_seconds for c in ok]))


def _worse_than_uncalibrated(name: str, runs: Sequence[RunResult]) -> int:
    worse = 0
    for run in runs:
        mine, base = run.calibrators.get(name), run.calibrators.get(UNCALIBRATED)
        if mine is not None and mine.log_loss is not None and base is not None and \
                base.log_loss is not None:
            worse += int(mine.log_loss > base.log_loss + WORSE_THAN_UNCALIBRATED)
    return worse


def _comparison(peer: str, runs: Sequence[RunResult], ours: str = AUTO) -> PeerComparison:
    """``ours`` (a calibrator of the runs) against ``peer``: runs where the peer ran, and
    where ``ours`` ran and was within tolerance of it."""
    compared = hits = 0
    for run in runs:
        theirs = run.calibrators.get(peer)
        if theirs is None or theirs.log_loss is None:
            continue
        compared += 1
        mine = run.calibrators.get(ours)
        hits += int(mine is not None and mine.log_loss is not None and
                    within(mine.log_loss, theirs.log_loss))
    return PeerComparison(peer, compared, hits, hits / compared if compared else None)


def _auto_minus(run: RunResult, other: str) -> PairedDifference | None:
    """Auto's paired per-row difference with ``other`` on ``run``, where it was recorded."""
    return None if run.auto_paired is None else run.auto_paired.get(other)


def _paired(peer: str, runs: Sequence[RunResult]) -> PairedComparison:
    """Auto against ``peer`` on the runs whose paired differences with it were recorded."""
    compared = lost = won = 0
    for run in runs:
        difference = _auto_minus(run, peer)
        mine, theirs = run.calibrators.get(AUTO), run.calibrators.get(peer)
        if difference is None or mine is None or mine.log_loss is None or theirs is None or \
                theirs.log_loss is None:
            continue
        compared += 1
        side = difference.beyond(PAIRED_Z)
        lost += int(side > 0 and not within(mine.log_loss, theirs.log_loss))
        won += int(side < 0 and not within(theirs.log_loss, mine.log_loss))
    return PairedComparison(peer, compared, lost, won)


def _beyond_noise(run: RunResult, other: str) -> bool:
    """Whether auto's paired per-row excess over ``other`` on ``run`` is beyond noise."""
    difference = _auto_minus(run, other)
    return difference is not None and difference.beyond(PAIRED_Z) > 0


def _agreement(values: Sequence[float | None], skipped: int = 0) -> Agreement:
    found = [v for v in values if v is not None]
    return Agreement(len(found), max(found) if found else None, skipped)


def _temperature_aside(run: RunResult) -> bool:
    """A run the first temperature agreement figure leaves out: a binary run whose calibration
    scores separate its classes (the scale's maximum likelihood is at infinity, so each fit
    stops where its search does), or a multi-class run whose scores hold an exact 0."""
    if run.mode == BINARY:
        return run.calibration_scores.separable
    return run.temperature_input_zeros


def summarize(results: Sequence[RunResult], mode: str) -> ModeSummary:
    """Every summary figure of the runs of ``mode``."""
    runs = [r for r in results if r.mode == mode]
    names = [n for n in calibrators_of(mode) if any(n in r.calibrators for r in runs)]
    ranks: dict[str, list[float]] = collections.defaultdict(list)
    worse, failed = [], []
    choices: collections.Counter[str] = collections.Counter()
    for run in runs:
        for name, rank in ranks_of({n: c.log_loss for n, c in run.calibrators.items()}).items():
            ranks[name].append(rank)
        auto, base = run.calibrators.get(AUTO), run.calibrators.get(UNCALIBRATED)
        if auto is not None and auto.log_loss is None:
            failed.append(run.spec.run_id)
        elif auto is not None and auto.log_loss is not None:
            choices[str(auto.selected_method)] += 1
            if base is not None and base.log_loss is not None and \
                    auto.log_loss > base.log_loss + WORSE_THAN_UNCALIBRATED:
                worse.append(run.spec.run_id)
    summaries = [_calibrator(n, runs, ranks) for n in names]
    peers = [n for n in names if n != UNCALIBRATED and not n.startswith("ours_")]
    binary = mode == BINARY
    return ModeSummary(
        mode, len(runs), summaries, [_comparison(p, runs) for p in peers], worse, failed,
        sum(s.unconverged_runs or 0 for s in summaries),
        _agreement([r.isotonic_vs_sklearn for r in runs if not r.isotonic_near_ties],
                   sum(1 for r in runs if r.isotonic_near_ties)) if binary else None,
        _agreement([r.isotonic_vs_sklearn for r in runs]) if binary else None,
        _agreement([r.temperature_vs_sklearn for r in runs if not _temperature_aside(r)],
                   sum(1 for r in runs if r.temperature_skipped or (
                       _temperature_aside(r) and r.temperature_vs_sklearn is not None))),
        _agreement([r.temperature_vs_sklearn for r in runs]),
        dict(sorted(choices.items())),
        {n: [_comparison(p, runs, n) for p in peers] for n in names},
        [_paired(p, runs) for p in peers],
        [r.spec.run_id for r in runs
         if r.spec.run_id in worse and _beyond_noise(r, UNCALIBRATED)])
