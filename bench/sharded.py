"""A run sharded over N simulated instances, executed from its definition JSON by the local executor.

``python -m bench.sharded --size 1e6 --instances 1 2 4`` builds the sharded ModelCalibration
steps (statistics and apply on N instances over ``ShardedByS3Key`` input, fit on one) for the
benchmark's binary data (``bench.data``, ``TRAIN_SHARDS`` parquet shards, written once into the
cache), and, for comparison, the single step; puts the shipped script and the shards into a local
S3 store per run and executes each definition with ``calibration_step.local``. It records each
step's wall time, each map-phase instance's own seconds (from the ``<phase>-<hash>.json`` record
it writes; the local executor starts a step's instances at once, so on a machine with fewer cores
than instances they share the cores), and whether the fit step's calibrator and metrics equal the
single step's (floats within 1e-12, counts exactly). Then, one instance at a time (``alone``):
each instance's statistics and apply phase run by the shipped zipapp in a fresh process, one
thread, over the files ``ShardedByS3Key`` gives it (round robin over the sorted keys, each placed
as a hard link: the script refuses symbolic links), ``--repeats`` times: the fastest wall time
(interpreter start included) and the fastest own seconds (the phase's record: what falls as 1/N),
and the largest peak resident memory (``child.PeakWatch``: that process's own ``VmHWM``) recorded.
Results: ``bench/results/<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from bench import data
from bench.child import PeakWatch, pinned_environment

TIMING_KEYS = frozenset({"timings", "fit_seconds", "seconds", "checksum"})
"""What differs between two runs on the same data: timings (and the calibrator's checksum, which
covers its fit's seconds)."""


def without_timings(value: object) -> object:
    """A JSON value without the ``TIMING_KEYS`` entries, at any depth.

    >>> without_timings({"fit": {"seconds": 1.0, "params": [2.0]}, "checksum": "x"})
    {'fit': {'params': [2.0]}}
    """
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def _largest_difference(a: object, b: object) -> float:
    """The largest relative difference of two JSON values' floats; inf where they differ otherwise."""
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            return float("inf")
        return max((_largest_difference(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return float("inf")
        return max((_largest_difference(x, y) for x, y in zip(a, b)), default=0.0)
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
    return 0.0 if a == b else float("inf")


def _definition(instances: int | None, data_uri: str) -> tuple[object, dict[str, object]]:
    """The config and the definition (single step when ``instances`` is None) as JSON values."""
    from calibration_step.pipeline import pipeline_definition
    from calibration_step.processing.values import StringParameter
    from calibration_step.script.interface import ModelCalibrationInput
    from calibration_step.steps.model_calibration.builder import (build_model_calibration_step,
                                                                  default_execution_prefix)
    from calibration_step.steps.model_calibration.config import ShardingConfig, example_config
    from calibration_step.steps.model_calibration.sharded import build_sharded_calibration_steps

    config = attrs.evolve(example_config(), calibration_method="gam", enable_caching=False,
                          max_runtime_seconds=3600,
                          sharding=None if instances is None else ShardingConfig(instance_count=instances))
    source = StringParameter(name="EvaluationData", default_value=data_uri)
    inputs = {ModelCalibrationInput.EVALUATION_DATA: source}
    steps = [build_model_calibration_step(config, inputs).step] if instances is None else \
        list(build_sharded_calibration_steps(config, inputs).steps)
    definition = pipeline_definition(steps, [default_execution_prefix(config), source], config)
    return config, json.loads(json.dumps(definition))


def _run(instances: int | None, dataset: data.Dataset, work: Path) -> dict[str, object]:
    from calibration_step.local import LocalS3Store, run_pipeline_definition
    from calibration_step.local.expressions import lookup
    from calibration_step.steps.model_calibration.builder import code_folder_uri
    from calibration_step.steps.model_calibration.upload import shipped_files

    data_uri = "s3://example-bucket/bench/scores"
    config, definition = _definition(instances, data_uri)
    store = LocalS3Store(work / "s3")
    folder = code_folder_uri(config)  # type: ignore[arg-type]  # a ModelCalibrationConfig
    for name, body in shipped_files(include_requirements=True):
        store.put_bytes(folder + name, body)
    bucket, _, key = data_uri.removeprefix("s3://").partition("/")
    for path in dataset.shard_paths():
        store.put_file(Path(path), bucket, f"{key}/{os.path.basename(path)}")
    start = time.perf_counter()
    result = run_pipeline_definition(definition, store=store, work_dir=work / "work")
    total = time.perf_counter() - start
    steps: dict[str, object] = {}
    artifacts: dict[str, object] = {}
    for step in result.steps:
        entry: dict[str, object] = {"status": step.status.value, "seconds": round(step.seconds, 3)}
        if step.status.value != "Succeeded":
            entry["reason"] = step.reason
            entry["log_tail"] = list(step.log_tail)
        outputs = {n: str(lookup(step.properties, f"ProcessingOutputConfig.Outputs['{n}'].S3Output.S3Uri",
                                 where="bench")) for n in ("calibration_output", "metrics_output")} \
            if step.status.value == "Succeeded" else {}
        if outputs:
            records = [k for k in store.list_keys(*outputs["metrics_output"].removeprefix("s3://").split("/", 1))
                       if k.rsplit("/", 1)[-1].startswith(("statistics-", "apply-"))]
            entry["instance_seconds"] = sorted(
                json.loads(store.read_bytes(f"s3://{bucket}/{k}"))["seconds"] for k in records)
            if not step.name.endswith(("-Statistics", "-Apply")):
                artifacts = {"calibrator": json.loads(store.read_bytes(outputs["calibration_output"] + "/calibrator.json")),
                             "metrics": json.loads(store.read_bytes(outputs["metrics_output"] + "/metrics.json"))}
        steps[step.name] = entry
    return {"instances": instances, "status": result.status.value, "seconds": round(total, 3), "steps": steps,
            "artifacts": artifacts}


def _phase_alone(script: str, phase: str, inputs: Mapping[str, str], root: Path
                 ) -> tuple[float, float, float]:
    """Wall seconds, the phase's own seconds (its record's: past interpreter start and imports)
    and peak resident MB of one phase of one instance, run alone in a fresh process."""
    from calibration_step.script.interface import ModelCalibrationOutput

    argv = [sys.executable, script, "--phase", phase]
    for name, path in inputs.items():
        argv += [f"--{name}", path]
    for output in ModelCalibrationOutput:
        argv += [f"--{output.value}", os.fspath(root / output.value)]
    env = pinned_environment(os.environ)
    env["CALIBRATION_METHOD"] = "gam"
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watch = PeakWatch(child.pid)
    _, status, _ = os.wait4(child.pid, 0)
    peak = watch.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, argv)
    wall = time.perf_counter() - start
    records = sorted((root / "metrics_output").glob(f"{phase}-*.json"))
    own = float(json.loads(records[0].read_text())["seconds"]) if records else math.nan
    return wall, own, peak / 2**20


def _place(path: Path, folder: Path) -> None:
    """``path`` in ``folder`` as a hard link (no copy), or a copy across file systems: the script
    reads regular files inside its input folder only, so a symbolic link is refused
    (``MC-E215``)."""
    target = folder / path.name
    try:
        os.link(path, target)
    except OSError:
        shutil.copyfile(path, target)


def _alone(dataset: data.Dataset, counts: Sequence[int], scratch: Path, repeats: int = 1
           ) -> dict[str, object]:
    """Each instance's statistics and apply phase alone, for each instance count: the fastest
    of ``repeats`` runs (wall and own seconds each their least, the peak its largest)."""
    from calibration_step.steps.model_calibration.upload import shipped_files

    scratch.mkdir(parents=True, exist_ok=True)
    script = scratch / "model_calibration.pyz"
    script.write_bytes(shipped_files(include_requirements=False)[0][1])
    files = dataset.shard_paths()
    statistics = scratch / "statistics"
    statistics.mkdir()
    # the fit once (over one instance's statistics of every file), for the apply phases' calibrator
    every = scratch / "every"
    _phase_alone(os.fspath(script), "statistics", {"evaluation_data": dataset.train_dir}, every)
    for name in os.listdir(every / "calibration_output"):
        shutil.copy(every / "calibration_output" / name, statistics)
    fit = scratch / "fit"
    _phase_alone(os.fspath(script), "fit", {"evaluation_data": os.fspath(statistics)}, fit)
    out: dict[str, object] = {}
    for count in counts:
        seconds: dict[str, list[float]] = {"statistics": [], "apply": [], "statistics_own": [],
                                           "apply_own": [], "statistics_peak_mb": [],
                                           "apply_peak_mb": []}
        for index in range(count):
            own = scratch / f"n{count}-i{index}"
            (own / "input").mkdir(parents=True)
            for path in files[index::count]:
                _place(Path(path), own / "input")
            sources = {"evaluation_data": os.fspath(own / "input")}
            for phase in ("statistics", "apply"):
                if phase == "apply":
                    sources["calibration_model"] = os.fspath(fit / "calibration_output")
                runs = []
                for repeat in range(repeats):
                    runs.append(_phase_alone(os.fspath(script), phase, sources,
                                             own / f"{phase}-{repeat}"))
                seconds[phase].append(round(min(r[0] for r in runs), 3))
                seconds[f"{phase}_own"].append(round(min(r[1] for r in runs), 3))
                seconds[f"{phase}_peak_mb"].append(round(max(r[2] for r in runs), 1))
            shutil.rmtree(own)
        out[str(count)] = seconds
        print(json.dumps({"alone": count, **seconds}), flush=True)
    return out


def _markdown(rows: Sequence[Mapping[str, object]], size: int) -> str:
    lines = [f"# Sharded run through the local executor ({size:.0e} rows, {data.TRAIN_SHARDS} shards, gam)", "",
             "| instances | status | total s | statistics s (per instance) | fit s | apply s (per instance) | "
             "largest relative difference to the single step |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        steps = row["steps"]
        assert isinstance(steps, dict)

        def cell(suffix: str, steps: dict[str, object] = steps) -> str:
            entry = next((v for k, v in steps.items() if k.endswith(suffix)), None)
            if not isinstance(entry, dict):
                return "-"
            per = entry.get("instance_seconds")
            return f"{entry['seconds']}" + (f" ({', '.join(f'{s:.2f}' for s in per)})" if per else "")
        lines.append(f"| {row['instances'] or 'single step'} | {row['status']} | {row['seconds']} | "
                     f"{cell('-Statistics')} | {cell('-Fit') if row['instances'] else cell('-Calibration')} | "
                     f"{cell('-Apply')} | {row.get('difference', '-')} |")
    return "\n".join(lines) + "\n"


def _alone_markdown(alone: Mapping[str, object]) -> str:
    """The one-at-a-time table: per instance count, each instance's wall seconds (interpreter
    start included), the slowest instance's wall and own seconds (its record's, past the start)
    and its own seconds as a share of one instance's (1/N where the phase scales), and peaks."""
    lines = ["", "One instance at a time (fresh process, one thread; wall seconds per instance, "
             "interpreter start included; own: the phase's record, past start and imports; "
             "share: the slowest instance's own seconds over one instance's; peak resident MB of "
             "each process):", "",
             "| instances | statistics | apply | slowest statistics, wall / own (share) | "
             "slowest apply, wall / own (share) | statistics peak MB | apply peak MB |",
             "|---|---|---|---|---|---|---|"]
    single: dict[str, float] = {}
    for count, seconds in alone.items():
        assert isinstance(seconds, dict)
        cells = []
        for phase in ("statistics", "apply"):
            own = seconds.get(f"{phase}_own") or [math.nan]
            single.setdefault(phase, max(own))
            cells.append(f"{max(seconds[phase])} / {max(own)} ({max(own) / single[phase]:.2f})")
        lines.append(f"| {count} | {', '.join(map(str, seconds['statistics']))} | "
                     f"{', '.join(map(str, seconds['apply']))} | {cells[0]} | {cells[1]} | "
                     f"{', '.join(map(str, seconds.get('statistics_peak_mb', [])))} | "
                     f"{', '.join(map(str, seconds.get('apply_peak_mb', [])))} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1e6, help="training rows (binary, nonlinear)")
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "calibration-bench-cache"))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--name", default="sharded")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each instance's phase alone; the fastest counts")
    args = parser.parse_args(argv)
    size = int(args.size)
    dataset = data.prepare(args.cache_dir, "nonlinear", size)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sharded-") as scratch:
        for instances in [None, *args.instances]:
            work = Path(scratch) / f"run-{instances or 'single'}"
            row = _run(instances, dataset, work)
            shutil.rmtree(work, ignore_errors=True)
            rows.append(row)
            if instances is not None and rows[0]["artifacts"] and row["artifacts"]:
                row["difference"] = _largest_difference(without_timings(row["artifacts"]), without_timings(rows[0]["artifacts"]))
            print(json.dumps({k: v for k, v in row.items() if k != "artifacts"}), flush=True)
        alone = _alone(dataset, args.instances, Path(scratch) / "alone", args.repeats)
    os.makedirs(args.out, exist_ok=True)
    kept = [{k: v for k, v in row.items() if k != "artifacts"} for row in rows]
    with open(os.path.join(args.out, f"{args.name}.json"), "w", encoding="utf-8") as handle:
        json.dump({"size": size, "shards": data.TRAIN_SHARDS, "runs": kept, "alone": alone}, handle, indent=2)
    with open(os.path.join(args.out, f"{args.name}.md"), "w", encoding="utf-8") as handle:
        handle.write(_markdown(kept, size) + _alone_markdown(alone))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
