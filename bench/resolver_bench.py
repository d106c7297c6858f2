"""Benchmark of the dependency resolver on a generated 500-step DAG.

Every step has three dependencies (one required) and three to five outputs, most of them of the
same dependency type and sharing tokens ("data", "eval"), so each dependency sees several
same-type candidates with name evidence. Timed twice:

* ``dag``: each step declares three upstream steps (about ten same-type candidates per dependency);
* ``order``: no upstream declared, every earlier step may feed (hundreds of candidates per dependency).

Usage::

    python -m bench.resolver_bench [--steps 500] [--runs 5] [--seed 7]

Prints one line and writes ``bench/results/resolver.json``.
"""

from __future__ import annotations

import argparse
import enum
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from calibration_step.enums import DependencyType, NodeType
from calibration_step.resolver import ExternalBinding, Node, ResolutionReport, resolve
from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification

RESULTS = Path(__file__).resolve().parent / "results" / "resolver.json"
N_KINDS = 20


class BenchInput(enum.Enum):
    INPUT_DATA = "input_data"
    EVAL_DATA = "eval_data"
    MODEL_INPUT = "model_input"


class BenchOutput(enum.Enum):
    PROCESSED_DATA = "processed_data"
    DATA_SECONDARY = "data_secondary"
    EVAL_OUTPUT = "eval_output"
    METRICS_OUTPUT = "metrics_output"
    CALIBRATED_DATA = "calibrated_data"
    MODEL_ARTIFACTS = "model_artifacts"


BenchSpec = StepSpecification[BenchInput, BenchOutput]

_DATA_OUTPUTS = (BenchOutput.DATA_SECONDARY, BenchOutput.EVAL_OUTPUT, BenchOutput.METRICS_OUTPUT, BenchOutput.CALIBRATED_DATA)


def _output(name: BenchOutput) -> OutputSpec[BenchOutput]:
    kind = DependencyType.MODEL_ARTIFACTS if name is BenchOutput.MODEL_ARTIFACTS else DependencyType.PROCESSING_OUTPUT
    return OutputSpec(
        logical_name=name,
        output_type=kind,
        property_path=f"properties.ProcessingOutputConfig.Outputs['{name.value}'].S3Output.S3Uri",
        aliases=(f"{name.value}_alias",),
    )


def _kind_spec(kind: int, rnd: random.Random) -> BenchSpec:
    outputs = (BenchOutput.PROCESSED_DATA, *rnd.sample(_DATA_OUTPUTS, rnd.randint(1, 3)), BenchOutput.MODEL_ARTIFACTS)
    sources = tuple(f"Kind{k:02d}" for k in rnd.sample(range(N_KINDS), 3))
    dependencies = (
        DependencySpec(
            logical_name=BenchInput.INPUT_DATA,
            dependency_type=DependencyType.TRAINING_DATA,
            compatible_sources=sources,
            semantic_keywords=("data", "processed", "training"),
        ),
        DependencySpec(logical_name=BenchInput.EVAL_DATA, dependency_type=DependencyType.PROCESSING_OUTPUT, required=False),
        DependencySpec(logical_name=BenchInput.MODEL_INPUT, dependency_type=DependencyType.MODEL_ARTIFACTS, required=False),
    )
    return StepSpecification(
        step_type=f"Kind{kind:02d}",
        node_type=NodeType.INTERNAL,
        dependencies=dependencies,
        outputs=tuple(_output(name) for name in outputs),
    )


N_SOURCES = 3


def generate(n_steps: int, seed: int) -> tuple[list[Node], dict[str, set[str]], list[ExternalBinding[BenchInput]]]:
    """``n_steps`` nodes; the first three read external data, every other step has three earlier steps upstream."""
    rnd = random.Random(seed)
    kinds = [_kind_spec(k, rnd) for k in range(N_KINDS)]
    nodes: list[Node] = []
    upstream: dict[str, set[str]] = {}
    bindings: list[ExternalBinding[BenchInput]] = []
    for i in range(n_steps):
        name = f"step_{i:04d}"
        earlier = [node_name for node_name, _ in nodes]
        upstream[name] = set(rnd.sample(earlier, 3)) if i >= N_SOURCES else set()
        if i < N_SOURCES:
            bindings.append(ExternalBinding(step=name, dependency=BenchInput.INPUT_DATA, value=f"s3://bench/{name}/"))
        nodes.append((name, kinds[rnd.randrange(N_KINDS)]))
    return nodes, upstream, bindings


def _time(runs: int, call: Callable[[], ResolutionReport]) -> tuple[list[float], list[float], ResolutionReport]:
    """Wall-clock and CPU seconds of each run (CPU time is what other jobs on a shared machine disturb least)."""
    wall: list[float] = []
    cpu: list[float] = []
    report = call()  # warm-up (imports, first-call costs)
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, report


def _summary(timings: Sequence[float], cpu: Sequence[float], report: ResolutionReport) -> dict[str, object]:
    inferred = sum(1 for item in report.resolutions if item.source == "inferred")
    candidates = [item.n_rejected + (item.chosen is not None) for item in report.resolutions if item.source == "inferred"]
    return {
        "median_seconds": round(statistics.median(timings), 4),
        "runs_seconds": [round(t, 4) for t in timings],
        "median_cpu_seconds": round(statistics.median(cpu), 4),
        "dependencies": len(report.resolutions),
        "inferred": inferred,
        "unresolved_optional": sum(1 for item in report.resolutions if item.source == "unresolved"),
        "median_candidates_per_inferred_dependency": statistics.median(candidates) if candidates else 0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print one line, write the JSON results; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    nodes, upstream, bindings = generate(args.steps, args.seed)
    dag_timings, dag_cpu, dag_report = _time(args.runs, lambda: resolve(nodes, upstream=upstream, bindings=bindings))
    order_timings, order_cpu, order_report = _time(args.runs, lambda: resolve(nodes, bindings=bindings))
    results = {
        "benchmark": "resolver",
        "steps": args.steps,
        "seed": args.seed,
        "runs": args.runs,
        "dag": _summary(dag_timings, dag_cpu, dag_report),
        "order": _summary(order_timings, order_cpu, order_report),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(
        f"resolver: {args.steps} steps, {len(dag_report.resolutions)} dependencies: "
        f"declared DAG median {statistics.median(dag_timings):.3f} s (CPU {statistics.median(dag_cpu):.3f} s), "
        f"every-earlier-step median {statistics.median(order_timings):.3f} s (CPU {statistics.median(order_cpu):.3f} s) "
        f"(median of {args.runs}; {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
