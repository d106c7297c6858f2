"""The quality benchmark's results: ``<name>.json`` (everything) and ``<name>.md`` (tables).

The markdown holds the headline figures, the summary per mode (auto against each peer, each
calibrator's rank, misses, exact 0/1 outputs, unconverged fits, agreement with scikit-learn),
a per-run table of held-out log loss per calibrator, and every failure with its error. The JSON
holds the metadata, the summaries and every run with every calibrator's figures.

Examples
--------
>>> loss(None), loss(0.1234567)
('failed', '0.1235')
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Mapping, Sequence

import cattrs

from bench.quality.datasets import BINARY, MULTICLASS
from bench.quality.runs import AUTO, RunResult, calibrators_of
from bench.quality.summary import (PAIRED_Z, WITHIN_ABSOLUTE, WITHIN_RELATIVE,
                                   WORSE_THAN_UNCALIBRATED, ModeSummary, PeerComparison,
                                   summarize)
from bench.report import cell

TITLES = {BINARY: "Binary", MULTICLASS: "Multi-class"}


def loss(value: float | None) -> str:
    return "failed" if value is None else f"{value:.4f}"


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100.0 * part / whole:.0f}%)" if whole else "-"


def headline(summary: ModeSummary) -> list[str]:
    """The figures the calibration-quality work is judged by, as markdown bullets."""
    auto = {c.name: c for c in summary.calibrators}.get(AUTO)
    lines = [f"- {TITLES[summary.mode]} ({summary.runs} runs): auto within tolerance of "
             + ", ".join(f"{c.peer} {_percent(c.within, c.runs)}" for c in summary.auto_vs_peers)]
    if auto is not None:
        lines.append(f"  - auto: mean rank {cell(auto.mean_rank, 2)} of "
                     f"{len(summary.calibrators)}, {auto.confident_misses} confident misses, "
                     f"{auto.runs_with_exact_01} runs with exact 0/1, {auto.failed} failed")
    paired = [c for c in summary.auto_vs_peers_paired if c.runs]
    if paired:
        lines.append(f"  - runs auto lost / won beyond noise (the tolerance and {PAIRED_Z} paired "
                     "standard errors): " + ", ".join(f"{c.peer} {c.lost} / {c.won}"
                                                      for c in paired))
    peers = {c.peer for c in summary.auto_vs_peers}
    best = max(((min((c.fraction for c in row if c.peer != name and c.fraction is not None),
                     default=1.0), name) for name, row in summary.within_matrix.items()
                if name in peers), default=None)
    if best is not None:
        lines.append(f"  - the best peer's lowest share within tolerance of another peer: "
                     f"{best[0]:.0%} ({best[1]}); every calibrator's in the summary below")
    lines.append(f"  - auto worse than uncalibrated by > {WORSE_THAN_UNCALIBRATED} nats: "
                 f"{_percent(len(summary.auto_worse_than_uncalibrated), summary.runs)}"
                 f"{_noise_aside(summary, named=False)}; shipped "
                 f"unconverged fits: {summary.unconverged_fits}; " + _agreements(summary))
    return lines


def _noise_aside(summary: ModeSummary, named: bool = True) -> str:
    """How many of the runs auto is worse than the scores in are beyond noise (where the runs
    hold paired differences); with ``named``, which."""
    if not any(c.runs for c in summary.auto_vs_peers_paired):
        return ""
    beyond = summary.auto_worse_than_uncalibrated_beyond_noise
    return f" ({len(beyond)} beyond {PAIRED_Z} paired standard errors" + \
        (f": {', '.join(beyond)})" if named and beyond else ")")


def _agreements(summary: ModeSummary) -> str:
    """The agreement figures of a mode, in one line."""
    parts = []
    if summary.isotonic_vs_sklearn is not None and summary.isotonic_vs_sklearn_all is not None:
        parts.append(f"isotonic vs scikit-learn max |diff| "
                     f"{cell(summary.isotonic_vs_sklearn.max_abs_diff)} (without near ties), "
                     f"{cell(summary.isotonic_vs_sklearn_all.max_abs_diff)} (all)")
    temp, every = summary.temperature_vs_sklearn, summary.temperature_vs_sklearn_all
    if temp is not None and every is not None:
        aside = "separable sets" if summary.mode == BINARY else "exact zeros"
        parts.append(f"temperature vs scikit-learn max |diff| {cell(temp.max_abs_diff)}"
                     f" (without {aside}), {cell(every.max_abs_diff)} (all)")
    return "; ".join(parts)


def _summary_tables(summary: ModeSummary) -> list[str]:
    paired = {c.peer: c for c in summary.auto_vs_peers_paired if c.runs}
    lines = [f"## {TITLES[summary.mode]}: summary ({summary.runs} runs)", "",
             "| auto vs peer | runs (peer ran) | auto within tolerance | share |"
             + (" lost beyond noise | won beyond noise |" if paired else ""),
             "|---|---|---|---|" + ("---|---|" if paired else "")]
    for peer in summary.auto_vs_peers:
        row = f"| {peer.peer} | {peer.runs} | {peer.within} | {cell(peer.fraction, 3)} |"
        if paired:
            found = paired.get(peer.peer)
            row += " - | - |" if found is None else \
                f" {found.lost}/{found.runs} | {found.won}/{found.runs} |"
        lines.append(row)
    if paired:
        lines += ["", f"Beyond noise: beyond the tolerance and more than {PAIRED_Z} standard "
                  "errors of the paired per-row difference of test log losses from 0."]
    lines += [""] + within_matrix_table(summary.within_matrix)
    lines += ["", "| calibrator | mean rank | runs | failed | mean log loss | mean Brier | "
              "mean ECE | confident misses (rows / runs) | runs with exact 0/1 | "
              "unconverged shipped fits | worse than uncalibrated | mean s (CPU s) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(summary.calibrators, key=lambda c: (c.mean_rank is None, c.mean_rank)):
        lines.append(
            f"| {c.name} | {cell(c.mean_rank, 2)} | {c.runs} | {c.failed} | "
            f"{cell(c.mean_log_loss, 4)} | {cell(c.mean_brier, 4)} | {cell(c.mean_ece, 4)} | "
            f"{c.confident_misses} / {c.runs_with_confident_misses} | {c.runs_with_exact_01} | "
            f"{'-' if c.unconverged_runs is None else c.unconverged_runs} | "
            f"{c.worse_than_uncalibrated} | "
            f"{cell(c.mean_seconds, 3)} ({cell(c.mean_cpu_seconds, 3)}) |")
    iso, every = summary.isotonic_vs_sklearn, summary.isotonic_vs_sklearn_all
    temp = summary.temperature_vs_sklearn
    lines += [
        "",
        f"- auto worse than uncalibrated by > {WORSE_THAN_UNCALIBRATED} nats: "
        f"{_percent(len(summary.auto_worse_than_uncalibrated), summary.runs)}"
        + (f": {', '.join(summary.auto_worse_than_uncalibrated)}"
           if summary.auto_worse_than_uncalibrated else "") + _noise_aside(summary),
        f"- auto failed: {len(summary.auto_failed)}"
        + (f": {', '.join(summary.auto_failed)}" if summary.auto_failed else ""),
        f"- auto's choices: {', '.join(f'{k} {v}' for k, v in summary.auto_choices.items())}",
        f"- shipped unconverged fits (runs x methods whose calibrator.json has a fit with "
        f"converged = false): {summary.unconverged_fits}"]
    if iso is not None and every is not None:
        lines.append(f"- ours isotonic vs IsotonicRegression(out_of_bounds='clip'), max abs "
                     f"difference of test predictions: {cell(iso.max_abs_diff)} over the "
                     f"{iso.runs} runs without near ties (distinct calibration scores closer "
                     f"than 1e-15, which scikit-learn pools); {cell(every.max_abs_diff)} over "
                     f"all {every.runs} runs")
    every_temp = summary.temperature_vs_sklearn_all
    if temp is not None and every_temp is not None:
        left_out = ("binary runs whose calibration scores separate the classes (no finite "
                    "maximum-likelihood scale: the scale is where scikit-learn's bounded "
                    "search stops)"
                    if summary.mode == BINARY else
                    "multi-class runs whose calibration or test scores hold an exact 0")
        bounded = (" (scikit-learn's bounded to [1e-6, 1 - 1e-6] as ours are)"
                   if summary.mode == BINARY else "")
        lines.append(f"- ours temperature vs scikit-learn's temperature on the same "
                     f"probabilities, max abs difference of test predictions{bounded}: "
                     f"{cell(temp.max_abs_diff)} over {temp.runs} runs ({temp.skipped} "
                     f"{left_out} left out); {cell(every_temp.max_abs_diff)} over all "
                     f"{every_temp.runs} runs compared")
    return lines


def within_matrix_table(matrix: Mapping[str, Sequence[PeerComparison]]) -> list[str]:
    """Every calibrator's share of runs within tolerance of each peer (its own column left
    out), with the lowest share of its row: the target asks auto for 0.9 in every column, and
    this shows how often each peer itself meets that bar against the others.

    >>> row = [PeerComparison("betacal", 4, 3, 0.75), PeerComparison("probcal", 4, 4, 1.0)]
    >>> print("\\n".join(within_matrix_table({"ours_auto": row, "betacal": row})[2:]))
    | calibrator | betacal | probcal | lowest |
    |---|---|---|---|
    | betacal | - | 1.000 | 1.000 |
    | ours_auto | 0.750 | 1.000 | 0.750 |
    """
    if not matrix:
        return []
    peers = [c.peer for c in next(iter(matrix.values()))]

    def shares(name: str) -> list[float | None]:
        return [None if c.peer == name else c.fraction for c in matrix[name]]

    def lowest(name: str) -> float:
        found = [f for f in shares(name) if f is not None]
        return min(found) if found else 1.0

    lines = ["Every calibrator within tolerance of each peer (share of the runs where the peer "
             "ran; each row's lowest share last):", "",
             "| calibrator | " + " | ".join(peers) + " | lowest |",
             "|---|" + "---|" * (len(peers) + 1)]
    for name in sorted(matrix, key=lowest, reverse=True):
        row = shares(name)
        lines.append(f"| {name} | " + " | ".join(cell(f, 3) for f in row)
                     + f" | {cell(lowest(name), 3)} |")
    return lines


def _run_table(results: Sequence[RunResult], mode: str) -> list[str]:
    runs = [r for r in results if r.mode == mode]
    names = [n for n in calibrators_of(mode) if any(n in r.calibrators for r in runs)]
    lines = [f"## {TITLES[mode]}: held-out log loss per run", "",
             "Calibration split: rows, share of saturated scores (0/1 or within 1e-15), share "
             "of distinct scores, separable (binary). Lowest log loss in bold.", "",
             "| run | rows | saturated | distinct | separable | " + " | ".join(names) + " |",
             "|---" * (5 + len(names)) + "|"]
    for r in runs:
        losses = {n: r.calibrators[n].log_loss if n in r.calibrators else None for n in names}
        best = min((v for v in losses.values() if v is not None), default=None)
        cells = [("-" if n not in r.calibrators else
                  f"**{loss(v)}**" if v is not None and v == best else loss(v))
                 for n, v in losses.items()]
        shape = r.calibration_scores
        lines.append(f"| {r.spec.run_id} | {r.rows['calibration']} | {shape.saturated:.2f} | "
                     f"{shape.distinct:.2f} | {'yes' if shape.separable else 'no'} | "
                     + " | ".join(cells) + " |")
    return lines


def _failures(results: Sequence[RunResult]) -> list[str]:
    lines = ["## Failures", ""]
    found = [(r.spec.run_id, name, c.error) for r in results
             for name, c in r.calibrators.items() if c.status != "ok"]
    lines += [f"- {run_id} {name}: {error}" for run_id, name, error in found] or ["None."]
    return lines


def markdown(meta: Mapping[str, object], summaries: Sequence[ModeSummary],
             results: Sequence[RunResult]) -> str:
    lines = ["# Calibration quality on held-out data", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "## Headline", "",
              f"Tolerance: auto's log loss <= the peer's + max({WITHIN_RELATIVE:.0%} of it, "
              f"{WITHIN_ABSOLUTE} nats). Confident miss: the true class got p < 1e-6.", ""]
    for summary in summaries:
        lines += headline(summary)
    for summary in summaries:
        lines += [""] + _summary_tables(summary)
    for mode in (BINARY, MULTICLASS):
        if any(r.mode == mode for r in results):
            lines += [""] + _run_table(results, mode)
    lines += [""] + _failures(results)
    return "\n".join(lines) + "\n"


def write(folder: str, name: str, meta: Mapping[str, object],
          summaries: Sequence[ModeSummary], results: Sequence[RunResult]) -> tuple[str, str]:
    """Write ``<name>.json`` and ``<name>.md`` into ``folder``; their paths."""
    os.makedirs(folder, exist_ok=True)
    payload = {"meta": dict(meta),
               "summary": {s.mode: dataclasses.asdict(s) for s in summaries},
               "runs": [dict(dataclasses.asdict(r), run_id=r.spec.run_id) for r in results]}
    paths = (os.path.join(folder, f"{name}.json"), os.path.join(folder, f"{name}.md"))
    with open(paths[0], "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=1)
        handle.write("\n")
    with open(paths[1], "w", encoding="utf-8") as handle:
        handle.write(markdown(meta, summaries, results))
    return paths


def results_of(path: str) -> tuple[dict[str, object], list[RunResult]]:
    """The metadata and the runs of a results file that :func:`write` wrote."""
    with open(path, encoding="utf-8") as handle:
        content = json.load(handle)
    runs = [cattrs.structure({k: v for k, v in run.items() if k != "run_id"}, RunResult)
            for run in content["runs"]]
    return dict(content["meta"]), runs


def rewrite(path: str) -> tuple[str, str]:
    """Write a results file and its markdown again from its runs, with the summaries of the
    current code (``python -m bench.quality.report RESULTS.json``); their paths."""
    meta, runs = results_of(path)
    folder, name = os.path.split(os.path.abspath(path))
    summaries = [summarize(runs, mode) for mode in (BINARY, MULTICLASS)
                 if any(r.mode == mode for r in runs)]
    return write(folder, os.path.splitext(name)[0], meta, summaries, runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.report",
                                     description=rewrite.__doc__)
    parser.add_argument("results", nargs="+", help="results files (<name>.json)")
    for path in parser.parse_args(argv).results:
        print("\n".join(rewrite(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
