"""The performance targets and the markdown tables, computed from one run's measurements.

A measurement is a JSON object with ``scenario``, ``rows``, ``kind`` (fit | script | io_floor),
``label`` (the fitter or ``script_<method>`` / ``io_floor`` / ``io_floor_pyarrow_csv``),
``format`` (of the files read: parquet, or csv for ``--script-format csv``; absent in older
results), ``status`` (ok | timeout | memory_limit | failed), ``max_rss_bytes`` (the child's peak)
and ``result`` (the task's output).

The targets (``docs/performance.md``) are for binary data: the opt-in ``multiclass`` and
``multitask`` scenarios have none, and their whole-script runs (like every run on CSV) are compared with their I/O floor in
``script_vs_floor``, a markdown section of its own that default runs do not print.

Examples
--------
>>> ratio_row("demo", "linear", 10, 2.0, 4.0, "<=", 1.0, "x")["met"]
True
>>> fmt_rows(1_000_000)
'1e6'
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Mapping, Sequence

from bench import data, fitters

JsonDict = dict[str, object]
MB = 1024.0 * 1024.0
GB = 1024.0 * MB


def machine_description() -> str:
    """The machine a benchmark ran on: architecture, cores and processor model."""
    cpu = "?"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if
                     line.startswith("model name")]
        cpu = names[0] if names else "?"
    return (f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), shared with other "
            "engineers' test runs")


def fmt_rows(rows: int) -> str:
    exponent = int(round(math.log10(rows))) if rows > 0 else 0
    return f"1e{exponent}" if 10**exponent == rows else str(rows)


def _num(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _result(m: Mapping[str, object]) -> Mapping[str, object]:
    res = m.get("result")
    return res if isinstance(res, dict) else {}


def find(measurements: Sequence[Mapping[str, object]], scenario: str, rows: int,
         label: str) -> Mapping[str, object] | None:
    for m in measurements:
        if m.get("scenario") == scenario and m.get("rows") == rows and m.get("label") == label:
            return m
    return None


def value(measurements: Sequence[Mapping[str, object]], scenario: str, rows: int, label: str,
          key: str) -> float | None:
    """A numeric result of a successful measurement, else None."""
    m = find(measurements, scenario, rows, label)
    if m is None or m.get("status") != "ok":
        return None
    if key == "max_rss_bytes":
        return _num(m.get(key))
    return _num(_result(m).get(key))


def ratio_row(target: str, scenario: str, rows: int, numerator: float | None,
              denominator: float | None, op: str, threshold: float, note: str) -> JsonDict:
    """One target check: ``numerator / denominator  op  threshold`` (None when not measured)."""
    ratio = None
    if numerator is not None and denominator is not None and denominator > 0:
        ratio = numerator / denominator
    met = None if ratio is None else (ratio <= threshold if op == "<=" else ratio >= threshold)
    return {"target": target, "scenario": scenario, "rows": rows, "numerator": numerator,
            "denominator": denominator, "ratio": ratio, "op": op, "threshold": threshold,
            "met": met, "note": note}


def targets(measurements: Sequence[Mapping[str, object]], agreement: Sequence[JsonDict],
            scenarios: Sequence[str], sizes: Sequence[int], script_sizes: Sequence[int]
            ) -> list[JsonDict]:
    """Every performance target, each as a ratio measured in this run."""
    def at(wanted: int, pool: Sequence[int]) -> int | None:
        return wanted if wanted in pool else (max(pool) if pool else None)

    out: list[JsonDict] = []
    v = measurements
    for sc in scenarios:
        if sc in data.WHOLE_SCRIPT_ONLY:  # binary targets; see script_vs_floor
            continue
        n6 = at(1_000_000, sizes)
        s6 = at(1_000_000, script_sizes)
        if s6 is not None:
            out.append(ratio_row("script gam time / pygam fit time", sc, s6,
                                 value(v, sc, s6, "script_gam", "seconds"),
                                 value(v, sc, s6, "pygam_gam", "fit_seconds"), "<=", 1.0,
                                 "whole main (cross-fitting, metrics, plot, writes) vs one fit"))
        if n6 is not None:
            out.append(ratio_row("pygam fit time / our gam fit time", sc, n6,
                                 value(v, sc, n6, "pygam_gam", "fit_seconds"),
                                 value(v, sc, n6, "ours_gam", "fit_seconds"), ">=", 20.0, ""))
            ours_ll = value(v, sc, n6, "ours_gam", "test_log_loss")
            ref_ll = value(v, sc, n6, "pygam_gam", "test_log_loss")
            out.append(ratio_row("gam held-out log loss / pygam's", sc, n6, ours_ll, ref_ll,
                                 "<=", 1.001, "within 0.1% (lower is better)"))
        n7 = at(10_000_000, sizes)
        if n7 is not None:
            peak = value(v, sc, n7, "ours_gam", "max_rss_bytes")
            out.append(ratio_row("our gam child peak RSS / 8 GB", sc, n7, peak, 8 * GB, "<=", 1.0,
                                 "whole child: data load, fit, apply on all rows"))
        for n in sizes:
            for ours, peers in (("ours_isotonic", ("sklearn_isotonic",)),
                                ("ours_platt", ("sklearn_logistic_lbfgs",
                                                "sklearn_logistic_newton"))):
                peer_times = [t for t in (value(v, sc, n, p, "fit_seconds") for p in peers)
                              if t is not None]
                out.append(ratio_row(f"{ours} fit time / fastest scikit-learn", sc, n,
                                     value(v, sc, n, ours, "fit_seconds"),
                                     min(peer_times) if peer_times else None, "<=", 1.0,
                                     " vs ".join(peers)))
            for row in agreement:
                if row["scenario"] == sc and row["rows"] == n and row["target"]:
                    diff = _num(row["max_abs_diff"])
                    out.append({"target": f"max |{row['ours']} - {row['peer']}|", "scenario": sc,
                                "rows": n, "numerator": diff, "denominator": None,
                                "ratio": diff, "op": "<=", "threshold": 1e-9,
                                "met": None if diff is None else diff <= 1e-9,
                                "note": "held-out predictions"})
            if n >= min(1_000_000, max(sizes)):
                for ours in fitters.OURS:
                    out.append(ratio_row(f"{ours} apply / bare numpy.interp throughput", sc, n,
                                         value(v, sc, n, ours, "apply_rows_per_second"),
                                         value(v, sc, n, ours, "interp_rows_per_second"), ">=",
                                         0.7, "same knots count, same scores, one thread"))
                    out.append(ratio_row(f"{ours} apply rows/s / 10M", sc, n,
                                         value(v, sc, n, ours, "apply_rows_per_second"), 1e7,
                                         ">=", 1.0, "one thread"))
        s7 = at(10_000_000, script_sizes)
        if s7 is not None:
            out.append(ratio_row("script gam time / I/O floor", sc, s7,
                                 value(v, sc, s7, "script_gam", "seconds"),
                                 value(v, sc, s7, "io_floor", "seconds"), "<=", 3.0,
                                 _floor_note(find(v, sc, s7, "io_floor"))))
            fit_b = value(v, sc, s7, "io_floor", "fitting_columns_bytes")
            shard_b = value(v, sc, s7, "io_floor", "passthrough_shard_bytes")
            budget = None if fit_b is None or shard_b is None else fit_b + shard_b
            out.append(ratio_row("script peak RSS above baseline / (fitting columns + one "
                                 "passthrough shard)", sc, s7,
                                 value(v, sc, s7, "script_gam", "peak_above_baseline_bytes"),
                                 budget, "<=", 3.0, "baseline = interpreter after imports"))
            out.append(ratio_row("script total peak RSS / (fitting columns + one passthrough "
                                 "shard)", sc, s7, value(v, sc, s7, "script_gam",
                                                         "max_rss_bytes"),
                                 budget, "<=", 3.0, "informational: includes the interpreter"))
    return out


def _format(m: Mapping[str, object] | None) -> str:
    return str((m or {}).get("format", "parquet"))


def _floor_note(floor: Mapping[str, object] | None) -> str:
    if _format(floor) == "csv":
        return "pandas read_csv + to_csv of the same csv shards"
    if _format(floor) == "jsonl":
        return "pandas read_json + to_json of the same JSON-lines shards"
    if _format(floor) == "json":
        return "pandas read_json + to_json of the same JSON-array shards"
    return "pyarrow read + write of the same shards"


def is_opt_in(m: Mapping[str, object]) -> bool:
    """A measurement of an opt-in variant (multiclass or multitask scenario, or non-parquet
    input)."""
    return m.get("scenario") in data.WHOLE_SCRIPT_ONLY or _format(m) != "parquet"


def script_vs_floor(measurements: Sequence[Mapping[str, object]]) -> list[JsonDict]:
    """Every whole-script run against every I/O floor of the same (scenario, rows): time ratio
    and peak above baseline against the fitting columns plus the largest shard's passthrough
    columns (the floor's in-memory sizes)."""
    rows: list[JsonDict] = []
    v = measurements
    for m in measurements:
        if m.get("kind") != "script":
            continue
        sc, n, label = str(m["scenario"]), int(str(m["rows"])), str(m["label"])
        for floor in measurements:
            if floor.get("kind") != "io_floor" or floor.get("scenario") != sc or \
                    floor.get("rows") != n:
                continue
            seconds = value(v, sc, n, label, "seconds")
            floor_seconds = value(v, sc, n, str(floor["label"]), "seconds")
            fit_b = value(v, sc, n, str(floor["label"]), "fitting_columns_bytes")
            shard_b = value(v, sc, n, str(floor["label"]), "passthrough_shard_bytes")
            budget = None if fit_b is None or shard_b is None else fit_b + shard_b
            above = value(v, sc, n, label, "peak_above_baseline_bytes")
            rows.append({
                "scenario": sc, "rows": n, "format": _format(m), "run": label,
                "method": _result(m).get("method", label.removeprefix("script_")),
                "status": m.get("status"), "seconds": seconds,
                "peak_above_baseline_bytes": above, "floor": floor["label"],
                "floor_io": _result(floor).get("floor_io"), "floor_seconds": floor_seconds,
                "time_ratio": None if seconds is None or not floor_seconds
                else seconds / floor_seconds,
                "memory_budget_bytes": budget,
                "memory_ratio": None if above is None or not budget else above / budget})
    return rows


def cell(x: float | None, digits: int = 3) -> str:
    """A table cell: ``-`` for None, scientific notation below 1e-3 or from 1e5, else fixed.

    >>> cell(None), cell(0.25), cell(2e-6), cell(0.123456, 4)
    ('-', '0.250', '2.00e-06', '0.1235')
    """
    if x is None:
        return "-"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.{digits}f}"


def _mb(x: float | None) -> str:
    return "-" if x is None else f"{x / MB:,.0f}"


def markdown(meta: Mapping[str, object], measurements: Sequence[Mapping[str, object]],
             agreement: Sequence[JsonDict], checks: Sequence[JsonDict]) -> str:
    """The results as markdown tables (fits, agreement, script vs I/O floor, targets)."""
    lines = ["# Benchmark results", ""]
    lines += [f"- {key}: {meta[key]}" for key in sorted(meta)]
    lines += ["", "## Fits and apply", "",
              "| scenario | rows | fitter | status | fit s | child peak MB | fit extra MB | "
              "apply s (n rows) | apply Mrows/s | interp Mrows/s (knots) | held-out log loss |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in measurements:
        if m.get("kind") != "fit":
            continue
        r = _result(m)
        ok = m.get("status") == "ok"
        rate = _num(r.get("apply_rows_per_second"))
        irate = _num(r.get("interp_rows_per_second"))
        interp = "-" if irate is None else f"{irate / 1e6:.1f} ({r.get('interp_knots')})"
        status = str(m.get("status")) + ("" if ok else f": {str(m.get('error'))[:60]}")
        lines.append(
            f"| {m['scenario']} | {fmt_rows(int(str(m['rows'])))} | {m['label']} | {status} | "
            f"{cell(_num(r.get('fit_seconds')))} | {_mb(_num(m.get('max_rss_bytes')))} | "
            f"{_mb(_num(r.get('fit_extra_bytes')))} | {cell(_num(r.get('apply_seconds')))} | "
            f"{'-' if rate is None else f'{rate / 1e6:.1f}'} | {interp} | "
            f"{cell(_num(r.get('test_log_loss')), 6)} |")
    lines += ["", "## Agreement (held-out predictions)", "",
              "| scenario | rows | ours | peer | max abs difference |", "|---|---|---|---|---|"]
    for row in agreement:
        lines.append(f"| {row['scenario']} | {fmt_rows(int(str(row['rows'])))} | {row['ours']} | "
                     f"{row['peer']} | {cell(_num(row['max_abs_diff']))} |")
    # The format column only when a run read something else than parquet (default tables as
    # before).
    formats = any(_format(m) != "parquet" for m in measurements)
    lines += ["", "## Whole script vs I/O floor", "",
              "| scenario | rows | " + ("format | " if formats else "") + "run | status | "
              "seconds | child peak MB | peak above baseline MB | stage timings (s) |",
              "|---|---|" + ("---|" if formats else "") + "---|---|---|---|---|---|"]
    for m in measurements:
        if m.get("kind") not in ("script", "io_floor"):
            continue
        r = _result(m)
        timings = r.get("timings")
        stages = ", ".join(f"{k.replace('_seconds', '')} {float(str(t)):.2f}"
                           for k, t in timings.items() if k.endswith("_seconds")
                           ) if isinstance(timings, dict) else ""
        if formats and m.get("kind") == "io_floor" and r.get("floor_io"):
            stages = str(r["floor_io"])
        fmt = f"{_format(m)} | " if formats else ""
        lines.append(f"| {m['scenario']} | {fmt_rows(int(str(m['rows'])))} | {fmt}{m['label']} | "
                     f"{m['status']} | {cell(_num(r.get('seconds')))} | "
                     f"{_mb(_num(m.get('max_rss_bytes')))} | "
                     f"{_mb(_num(r.get('peak_above_baseline_bytes')))} | {stages} |")
    if any(is_opt_in(m) for m in measurements):
        lines += ["", "## Opt-in whole-script runs vs their I/O floor", "",
                  "Memory budget = the floor's in-memory size of the fitting columns (score "
                  "columns and label) plus the largest shard's other columns.", "",
                  "| scenario | rows | format | run | status | seconds | floor | floor s | "
                  "seconds / floor | peak above baseline MB | budget MB | peak above baseline / "
                  "budget |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for row in script_vs_floor(measurements):
            if not is_opt_in(row):
                continue
            lines.append(
                f"| {row['scenario']} | {fmt_rows(int(str(row['rows'])))} | {row['format']} | "
                f"{row['run']} | {row['status']} | {cell(_num(row['seconds']))} | "
                f"{row['floor']} | {cell(_num(row['floor_seconds']))} | "
                f"{cell(_num(row['time_ratio']), 2)} | "
                f"{_mb(_num(row['peak_above_baseline_bytes']))} | "
                f"{_mb(_num(row['memory_budget_bytes']))} | "
                f"{cell(_num(row['memory_ratio']), 2)} |")
    lines += ["", "## Targets (ratios from this run)", "",
              "| target | scenario | rows | ratio | threshold | met |", "|---|---|---|---|---|---|"]
    for c in checks:
        met = {True: "met", False: "NOT met", None: "not measured"}[
            c["met"] if isinstance(c["met"], bool) else None]
        lines.append(f"| {c['target']} | {c['scenario']} | {fmt_rows(int(str(c['rows'])))} | "
                     f"{cell(_num(c['ratio']), 4)} | {c['op']} {c['threshold']} | {met} |")
    if not checks:
        lines += ["", "No target applies: the targets are binary (multiclass and multitask runs "
                  "are compared with their I/O floor above)."]
    return "\n".join(lines) + "\n"
