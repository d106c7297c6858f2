"""The resolver: wire each dependency of each step to an upstream output, an explicit edge or an external value.

Pure: the input is an ordered collection of ``(step name, StepSpecification)`` nodes plus optional
step-level ``upstream`` declarations, explicit :class:`Edge` values and :class:`ExternalBinding`
values; the output is a :class:`ResolutionReport`. Nothing is registered or cached between calls.

Which steps may feed a step
    Without ``upstream``: every step declared *before* it (the node order is the topological
    order). With ``upstream``: the steps it names for that step, plus the upstream steps of its
    explicit edges; the node order then only breaks ties in :attr:`ResolutionReport.order`.

Per consumer step, in this order
    1. explicit edges, then external bindings (each dependency at most once);
    2. required dependencies, then optional ones: every (dependency, candidate) pair with name
       evidence and a score above the threshold, ranked by higher score, exact name match,
       provider step name (lexical), output declaration order, dependency declaration order,
       is taken greedily, skipping dependencies already bound and outputs already feeding another
       input of this step.

An unresolved required dependency raises :class:`ResolutionError` (``RESOLUTION-UNRESOLVED``).

Examples
--------
>>> import enum
>>> from calibration_step.enums import DependencyType, NodeType
>>> from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
>>> class PrepOut(enum.Enum):
...     DATA = "processed_data"
>>> class TrainIn(enum.Enum):
...     DATA = "training_data"
>>> class NoName(enum.Enum):
...     pass
>>> path = "properties.ProcessingOutputConfig.Outputs['processed_data'].S3Output.S3Uri"
>>> prep: StepSpecification[NoName, PrepOut] = StepSpecification(step_type="Prep",
...     node_type=NodeType.SOURCE, outputs=(OutputSpec(logical_name=PrepOut.DATA,
...     output_type=DependencyType.PROCESSING_OUTPUT, property_path=path),))
>>> train: StepSpecification[TrainIn, NoName] = StepSpecification(step_type="Train",
...     node_type=NodeType.SINK, dependencies=(DependencySpec(logical_name=TrainIn.DATA,
...     dependency_type=DependencyType.TRAINING_DATA, compatible_sources=("Prep",)),))
>>> report = resolve([("prep", prep), ("train", train)])
>>> [str(e.upstream_step + "." + e.upstream_output) for e in report.edges()]
['prep.processed_data']
>>> report.get("train", TrainIn.DATA).chosen.score
0.597222
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import attrs

from calibration_step.errors import Code, Problem, ResolutionError
from calibration_step.matching import NormalizedName, name_similarity, normalize_name
from calibration_step.resolver.graph import check_nodes, check_upstream, topological_order
from calibration_step.resolver.report import (
    Candidate,
    DependencyResolution,
    Edge,
    ExternalBinding,
    Rejection,
    RejectionReason,
    ResolutionReport,
    ResolutionSource,
    describe_value,
)
from calibration_step.resolver.scoring import (
    DEFAULT_WEIGHTS,
    THRESHOLD,
    DependencyProfile,
    OutputProfile,
    Scored,
    ScoringWeights,
    candidate,
    profile_dependency,
    profile_output,
    accepts,
    quick_score,
)
from calibration_step.resolver.wiring import Fixed, check_wiring, unresolved_problem
from calibration_step.spec import StepSpecification

__all__ = ["Node", "resolve"]

Node = tuple[str, StepSpecification[enum.Enum, enum.Enum]]
"""A step of the DAG: its unique name and its specification."""


class _MemoSimilarity:
    """:func:`name_similarity` memoised on the normalised strings, for one resolution only."""

    def __init__(self) -> None:
        self._memo: dict[tuple[tuple[str, ...], tuple[str, ...]], float] = {}

    def __call__(self, left: NormalizedName, right: NormalizedName) -> float:
        key = (left.tokens, right.tokens)
        value = self._memo.get(key)
        if value is None:
            value = self._memo[key] = name_similarity(left, right)
        return value


_DIRECT_SCAN = 32
"""With at most this many eligible steps, scan their outputs instead of the concept index."""


class _Index:
    """Output profiles by step and by concept, built once per resolution."""

    def __init__(self, nodes: Sequence[Node], normalize: Callable[[str], NormalizedName]) -> None:
        self.by_step: dict[str, tuple[OutputProfile, ...]] = {}
        self.by_concept: dict[str, list[OutputProfile]] = {}
        self.by_type: dict[str, list[str]] = {}
        for position, (name, spec) in enumerate(nodes):
            profiles = tuple(
                profile_output(name, spec.step_type, position, index, output, normalize=normalize)
                for index, output in enumerate(spec.outputs)
            )
            self.by_step[name] = profiles
            self.by_type.setdefault(spec.step_type, []).append(name)
            for profile in profiles:
                for concept in profile.concepts:
                    self.by_concept.setdefault(concept, []).append(profile)

    def evidenced(self, dep: DependencyProfile, eligible: Collection[str]) -> list[OutputProfile]:
        """Outputs of eligible steps that may have name evidence for ``dep`` (a superset; order is irrelevant)."""
        concepts = set(dep.name.concepts)
        for keyword in dep.keywords:
            concepts.update(keyword.concepts)
        sources = dep.dependency.compatible_sources
        if len(eligible) <= _DIRECT_SCAN:
            return [
                profile
                for step in eligible
                for profile in self.by_step[step]
                if not profile.concepts.isdisjoint(concepts) or profile.step_type in sources
            ]
        seen: dict[tuple[str, int], OutputProfile] = {}
        for concept in concepts:
            for profile in self.by_concept.get(concept, ()):
                if profile.step in eligible:
                    seen[(profile.step, profile.index)] = profile
        for step_type in sources:
            for step in self.by_type.get(step_type, ()):
                if step in eligible:
                    for profile in self.by_step[step]:
                        seen[(profile.step, profile.index)] = profile
        return list(seen.values())

    def all_outputs(self, eligible: Iterable[str]) -> list[OutputProfile]:
        return [profile for step in eligible for profile in self.by_step[step]]


_Rank = tuple[float, bool, str, int, int]


def _rank(scored: Scored, dep_index: int) -> _Rank:
    return (-scored.score, not scored.exact, scored.out.step, scored.out.index, dep_index)


class _Scorer:
    """Scores outputs for one dependency, memoised by (provider step type, output spec): equal inputs, equal score."""

    def __init__(self, dep: DependencyProfile, weights: ScoringWeights, similarity: _MemoSimilarity) -> None:
        self.dep, self.weights, self.similarity = dep, weights, similarity
        self._memo: dict[tuple[str, int], tuple[float, bool, bool]] = {}

    def __call__(self, out: OutputProfile) -> Scored:
        key = (out.step_type, id(out.output))
        found = self._memo.get(key)
        if found is None:
            first = quick_score(self.dep, out, self.weights, self.similarity)
            found = self._memo[key] = (first.score, first.exact, first.evidenced)
        return Scored(found[0], found[1], found[2], out)

    def candidate(self, out: OutputProfile) -> Candidate:
        return candidate(self.dep, out, self.weights, self.similarity)


def _eligible(nodes: Sequence[Node], upstream: Mapping[str, Collection[str]] | None, fixed: Fixed) -> dict[str, frozenset[str]]:
    eligible: dict[str, frozenset[str]] = {}
    for position, (name, _spec) in enumerate(nodes):
        declared = frozenset(upstream.get(name, ())) if upstream is not None else frozenset(n for n, _ in nodes[:position])
        eligible[name] = declared | fixed.explicit_providers(name)
    return eligible


def resolve(
    nodes: Sequence[Node],
    *,
    upstream: Mapping[str, Collection[str]] | None = None,
    edges: Iterable[Edge[enum.Enum, enum.Enum]] = (),
    bindings: Iterable[ExternalBinding[enum.Enum]] = (),
    threshold: float = THRESHOLD,
    weights: ScoringWeights = DEFAULT_WEIGHTS,
    max_rejected: int = 5,
) -> ResolutionReport:
    """Resolve every dependency of every step (see the module docstring for the rules).

    Parameters
    ----------
    nodes : sequence of (str, StepSpecification)
        The steps, with unique names, in declared order.
    upstream : mapping of str to collection of str, optional
        Step-level DAG: for each step, the steps that may feed it. Default: every earlier step.
    edges : iterable of Edge
        Explicit wires; they override scoring.
    bindings : iterable of ExternalBinding
        Dependencies bound to values from outside the DAG (S3 URIs, pipeline parameters).
    threshold : float, default 0.5
        A candidate must score strictly above it.
    weights : ScoringWeights, default DEFAULT_WEIGHTS
    max_rejected : int, default 5
        How many rejected candidates each resolution keeps (the best ones).

    Returns
    -------
    ResolutionReport

    Raises
    ------
    ResolutionError
        ``RESOLUTION-DAG`` (duplicate or unknown step names), ``RESOLUTION-WIRING`` (an edge or
        binding naming something that does not exist, or binding a dependency twice),
        ``RESOLUTION-CYCLE``, ``RESOLUTION-UNRESOLVED`` (required dependencies left without a
        value, each with its best candidates and why they fell short).
    """
    check_nodes(nodes)
    if upstream is not None:
        check_upstream(nodes, upstream)
    fixed = check_wiring(nodes, tuple(edges), tuple(bindings))
    eligible = _eligible(nodes, upstream, fixed)
    topological_order(nodes, eligible if upstream is not None else fixed.step_graph())
    normalized: dict[str, NormalizedName] = {}

    def normalize(raw: str) -> NormalizedName:
        found = normalized.get(raw)
        if found is None:
            found = normalized[raw] = normalize_name(raw)
        return found

    index = _Index(nodes, normalize)
    similarity = _MemoSimilarity()
    resolutions: list[DependencyResolution] = []
    problems: list[Problem] = []
    for name, spec in nodes:
        step_resolutions = _resolve_step(
            name, spec, index, eligible[name], fixed, threshold, weights, similarity, max_rejected, normalize
        )
        for item in step_resolutions:
            if item.source == "unresolved" and item.required:
                problems.append(unresolved_problem(item, threshold, has_providers=bool(eligible[name])))
        resolutions.extend(step_resolutions)
    if problems:
        raise ResolutionError.from_problems(Code.RESOLUTION_UNRESOLVED, "dependency resolution", problems)
    graph: dict[str, frozenset[str]] = {name: frozenset() for name, _ in nodes} | _wired_graph(resolutions)
    if upstream is not None:
        graph = {name: graph[name] | eligible[name] for name in graph}
    return ResolutionReport(threshold=threshold, order=topological_order(nodes, graph), resolutions=tuple(resolutions))


def _wired_graph(resolutions: Iterable[DependencyResolution]) -> dict[str, frozenset[str]]:
    graph: dict[str, set[str]] = {}
    for item in resolutions:
        if item.chosen is not None:
            graph.setdefault(item.step, set()).add(item.chosen.provider_step)
    return {step: frozenset(providers) for step, providers in graph.items()}


def _resolve_step(
    name: str,
    spec: StepSpecification[enum.Enum, enum.Enum],
    index: _Index,
    eligible: frozenset[str],
    fixed: Fixed,
    threshold: float,
    weights: ScoringWeights,
    similarity: _MemoSimilarity,
    max_rejected: int,
    normalize: Callable[[str], NormalizedName],
) -> list[DependencyResolution]:
    deps = [profile_dependency(name, spec.step_type, i, dep, normalize=normalize) for i, dep in enumerate(spec.dependencies)]
    scorers = {dep.name.raw: _Scorer(dep, weights, similarity) for dep in deps}
    outcome: dict[str, DependencyResolution] = {}
    used: dict[tuple[str, str], str] = {}  # (provider step, output) -> the input of this step it feeds
    for dep in deps:
        edge = fixed.edge_for(name, dep.name.raw)
        if edge is not None:
            provider = next(p for p in index.by_step[edge.upstream_step] if p.output.logical_name == edge.upstream_output)
            chosen = scorers[dep.name.raw].candidate(provider)
            outcome[dep.name.raw] = _resolution(dep, "explicit", chosen=chosen)
            used[(provider.step, provider.output_name)] = dep.name.raw
        binding = fixed.binding_for(name, dep.name.raw)
        if binding is not None:
            outcome[dep.name.raw] = _resolution(dep, "external", external=describe_value(binding.value))
    pools: dict[str, list[Scored]] = {}
    for dep in deps:
        outputs = [] if dep.name.raw in outcome else index.evidenced(dep, eligible)
        pools[dep.name.raw] = [scorers[dep.name.raw](out) for out in outputs]
    for required in (True, False):
        phase = [d for d in deps if d.dependency.required is required and d.name.raw not in outcome]
        pairs = [
            (_rank(scored, dep.index), dep, scored)
            for dep in phase
            for scored in pools[dep.name.raw]
            if scored.evidenced and scored.score > threshold
        ]
        pairs.sort(key=lambda item: item[0])
        for _key, dep, scored in pairs:
            wire = (scored.out.step, scored.out.output_name)
            if dep.name.raw not in outcome and wire not in used:
                chosen = scorers[dep.name.raw].candidate(scored.out)
                outcome[dep.name.raw] = _resolution(dep, "inferred", chosen=chosen)
                used[wire] = dep.name.raw
    results: list[DependencyResolution] = []
    for dep in deps:
        found = outcome.get(dep.name.raw)
        pool = pools[dep.name.raw]
        if found is None:
            found = _resolution(dep, "unresolved")
            pool = [scorers[dep.name.raw](out) for out in index.all_outputs(sorted(eligible))]
        results.append(_with_rejections(found, dep, pool, scorers[dep.name.raw], used, threshold, max_rejected))
    return results


def _resolution(
    dep: DependencyProfile, source: ResolutionSource, *, chosen: Candidate | None = None, external: str | None = None
) -> DependencyResolution:
    spec = dep.dependency
    return DependencyResolution(
        step=dep.step,
        step_type=dep.step_type,
        dependency=spec.name,
        dependency_type=spec.dependency_type,
        required=spec.required,
        source=source,
        chosen=chosen,
        external=external,
    )


def _with_rejections(
    found: DependencyResolution,
    dep: DependencyProfile,
    pool: list[Scored],
    scorer: _Scorer,
    used: Mapping[tuple[str, str], str],
    threshold: float,
    max_rejected: int,
) -> DependencyResolution:
    """Attach the best ``max_rejected`` rejected candidates (in rank order) and the count of all of them."""
    chosen = found.chosen
    others = [
        scored
        for scored in pool
        if chosen is None or (scored.out.step, scored.out.output_name) != (chosen.provider_step, chosen.output)
    ]
    best = heapq.nsmallest(max_rejected, others, key=lambda scored: _rank(scored, dep.index))
    rejected = []
    for scored in best:
        reason, detail = _reason(found, scored, used, threshold)
        rejected.append(Rejection(candidate=scorer.candidate(scored.out), reason=reason, detail=detail))
    return attrs.evolve(found, rejected=tuple(rejected), n_rejected=len(others))


def _reason(
    found: DependencyResolution, scored: Scored, used: Mapping[tuple[str, str], str], threshold: float
) -> tuple[RejectionReason, str]:
    output = scored.out.output
    if not accepts(found.dependency_type, output.output_type):
        return RejectionReason.INCOMPATIBLE_TYPE, (
            f"a {found.dependency_type.value} dependency does not accept a {output.output_type.value} output"
        )
    if not scored.evidenced:
        return RejectionReason.NO_NAME_EVIDENCE, (
            f"no shared token, synonym, exact name, keyword or compatible source between "
            f"{found.dependency!r} and {output.name!r}"
        )
    if scored.score <= threshold:
        return RejectionReason.BELOW_THRESHOLD, f"score {scored.score:.3f} is not above the threshold {threshold}"
    taker = used.get((scored.out.step, output.name))
    if taker is not None and taker != found.dependency:
        return RejectionReason.OUTPUT_ALREADY_USED, f"the output already feeds input {taker!r} of this step"
    return RejectionReason.OUTRANKED, "a higher-ranked candidate was chosen"
