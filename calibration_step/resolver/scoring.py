"""Scoring one upstream output against one dependency: weights, type compatibility, name evidence.

Score (see ``docs/resolver.md``)::

    dependency type   0.4 same, 0.2 compatible, incompatible -> the whole score is 0
    data type         0.2 same, 0.1 compatible (S3Uri~String, Integer~Float), else 0
    name              0.25 x best similarity over the output's logical name and aliases
    exact bonus       0.05 when the dependency's name equals the logical name or an alias
    source bonus      0.1 when the provider's step type is in compatible_sources
    keywords          0.05 x fraction of semantic keywords found in the output's names
    cap adjustment    min(0, 1.0 - sum of the above)

A candidate is wired only with *name evidence* (an exact name, a shared concept, a matched
keyword, or a compatible source) and a score above the threshold (0.5).

Profiles normalise every name once; :func:`quick_score` is then a few set operations plus one
memoised string similarity, and :func:`candidate` builds the reported breakdown for the few
candidates a report shows.

Examples
--------
>>> from calibration_step.enums import DependencyType as T
>>> _type_component(T.TRAINING_DATA, T.PROCESSING_OUTPUT, DEFAULT_WEIGHTS)
0.2
>>> _type_component(T.MODEL_ARTIFACTS, T.PROCESSING_OUTPUT, DEFAULT_WEIGHTS)
0.0
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

import attrs

from calibration_step.enums import DependencyType
from calibration_step.matching import NormalizedName, normalize_name, split_words
from calibration_step.resolver.report import Candidate, ScoreBreakdown
from calibration_step.spec import DataType, DependencySpec, OutputSpec

__all__ = [
    "COMPATIBLE_TYPES",
    "DEFAULT_WEIGHTS",
    "DependencyProfile",
    "OutputProfile",
    "Scored",
    "ScoringWeights",
    "Similarity",
    "THRESHOLD",
    "accepts",
    "candidate",
    "profile_dependency",
    "profile_output",
    "quick_score",
]

THRESHOLD = 0.5
"""A candidate must score strictly above this to be wired."""

COMPATIBLE_TYPES: Mapping[DependencyType, frozenset[DependencyType]] = {
    DependencyType.MODEL_ARTIFACTS: frozenset(),
    DependencyType.PROCESSING_OUTPUT: frozenset({DependencyType.TRAINING_DATA}),
    DependencyType.TRAINING_DATA: frozenset({DependencyType.PROCESSING_OUTPUT}),
    DependencyType.HYPERPARAMETERS: frozenset({DependencyType.CUSTOM_PROPERTY}),
    DependencyType.PAYLOAD_SAMPLES: frozenset({DependencyType.PROCESSING_OUTPUT}),
    DependencyType.CUSTOM_PROPERTY: frozenset(),
}
"""Dependency type -> the other output types it accepts (for the lower, "compatible" weight)."""

_COMPATIBLE_DATA_TYPES: frozenset[frozenset[DataType]] = frozenset(
    {frozenset({"S3Uri", "String"}), frozenset({"Integer", "Float"})}
)

Similarity = Callable[[NormalizedName, NormalizedName], float]
"""A name-similarity function (the resolver passes a memoised :func:`~calibration_step.matching.name_similarity`)."""


@attrs.frozen(kw_only=True)
class ScoringWeights:
    """The weights of the score; the defaults are the documented ones."""

    dependency_type: float = 0.4
    compatible_dependency_type: float = 0.2
    data_type: float = 0.2
    compatible_data_type: float = 0.1
    name: float = 0.25
    exact_bonus: float = 0.05
    source_bonus: float = 0.1
    keywords: float = 0.05
    cap: float = 1.0


DEFAULT_WEIGHTS = ScoringWeights()


@attrs.frozen(kw_only=True)
class OutputProfile:
    """An upstream output with its names normalised once."""

    step: str
    step_type: str
    position: int
    index: int
    output: OutputSpec[enum.Enum]
    output_name: str
    names: tuple[NormalizedName, ...]
    exact_keys: frozenset[tuple[str, ...]]
    concepts: frozenset[str]


@attrs.frozen(kw_only=True)
class DependencyProfile:
    """A dependency of a step with its name and keywords normalised once."""

    step: str
    step_type: str
    index: int
    dependency: DependencySpec[enum.Enum]
    name: NormalizedName
    exact_key: tuple[str, ...]
    keywords: tuple[NormalizedName, ...]


def profile_output(
    step: str,
    step_type: str,
    position: int,
    index: int,
    output: OutputSpec[enum.Enum],
    *,
    normalize: Callable[[str], NormalizedName] = normalize_name,
) -> OutputProfile:
    """Normalise ``output``'s logical name and aliases (the logical name first).

    ``normalize`` may be a memoised :func:`~calibration_step.matching.normalize_name`.
    """
    raw_names = (output.name, *output.aliases)
    names = tuple(normalize(raw) for raw in raw_names)
    return OutputProfile(
        step=step,
        step_type=step_type,
        position=position,
        index=index,
        output=output,
        output_name=output.name,
        names=names,
        exact_keys=frozenset(split_words(raw) for raw in raw_names),
        concepts=frozenset().union(*(name.concepts for name in names)),
    )


def profile_dependency(
    step: str,
    step_type: str,
    index: int,
    dependency: DependencySpec[enum.Enum],
    *,
    normalize: Callable[[str], NormalizedName] = normalize_name,
) -> DependencyProfile:
    """Normalise ``dependency``'s logical name and semantic keywords."""
    return DependencyProfile(
        step=step,
        step_type=step_type,
        index=index,
        dependency=dependency,
        name=normalize(dependency.name),
        exact_key=split_words(dependency.name),
        keywords=tuple(normalize(keyword) for keyword in dependency.semantic_keywords),
    )


def accepts(wanted: DependencyType, offered: DependencyType) -> bool:
    """Whether a ``wanted`` dependency accepts an ``offered`` output type (same or compatible)."""
    return wanted is offered or offered in COMPATIBLE_TYPES[wanted]


def _type_component(wanted: DependencyType, offered: DependencyType, weights: ScoringWeights) -> float:
    """The dependency-type component: full weight, compatible weight, or 0.0 (incompatible)."""
    if wanted is offered:
        return weights.dependency_type
    if offered in COMPATIBLE_TYPES[wanted]:
        return weights.compatible_dependency_type
    return 0.0


def _data_type_component(wanted: DataType, offered: DataType, weights: ScoringWeights) -> float:
    if wanted == offered:
        return weights.data_type
    if frozenset({wanted, offered}) in _COMPATIBLE_DATA_TYPES:
        return weights.compatible_data_type
    return 0.0


def _evidence(dep: DependencyProfile, out: OutputProfile, exact: bool, matched_keywords: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    if exact:
        found.append(f"exact:{dep.dependency.name}")
    shared = sorted(dep.name.concepts & out.concepts)
    if shared:
        found.append("concept:" + ",".join(shared))
    if matched_keywords:
        found.append("keyword:" + ",".join(matched_keywords))
    if out.step_type in dep.dependency.compatible_sources:
        found.append(f"source:{out.step_type}")
    return tuple(found)


class Scored(NamedTuple):
    """The numbers the resolver ranks by; :func:`candidate` turns one into a full :class:`Candidate`."""

    score: float
    exact: bool
    evidenced: bool
    out: OutputProfile


class _Parts(NamedTuple):
    components: tuple[float, float, float, float, float, float, float]
    exact: bool
    matched_keywords: list[str]
    similarity: float
    matched_name: str


def _parts(dep: DependencyProfile, out: OutputProfile, weights: ScoringWeights, similarity: Similarity) -> _Parts:
    spec, offered = dep.dependency, out.output
    exact = dep.exact_key in out.exact_keys
    matched_keywords = [kw.raw for kw in dep.keywords if kw.concepts and kw.concepts <= out.concepts]
    best, matched = 0.0, out.names[0].raw
    for name in out.names:
        value = similarity(dep.name, name)
        if value > best:
            best, matched = value, name.raw
    type_part = _type_component(spec.dependency_type, offered.output_type, weights)
    if type_part == 0.0:
        return _Parts((0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), exact, matched_keywords, best, matched)
    raw = (
        type_part,
        _data_type_component(spec.data_type, offered.data_type, weights),
        round(best * weights.name, 6),
        weights.exact_bonus if exact else 0.0,
        weights.source_bonus if out.step_type in spec.compatible_sources else 0.0,
        round(weights.keywords * len(matched_keywords) / len(dep.keywords), 6) if dep.keywords else 0.0,
    )
    cap = round(min(0.0, weights.cap - round(math.fsum(raw), 6)), 6)
    return _Parts((*raw, cap), exact, matched_keywords, best, matched)


def _has_evidence(dep: DependencyProfile, out: OutputProfile, parts: _Parts) -> bool:
    return (
        parts.exact
        or bool(parts.matched_keywords)
        or not dep.name.concepts.isdisjoint(out.concepts)
        or out.step_type in dep.dependency.compatible_sources
    )


def quick_score(dep: DependencyProfile, out: OutputProfile, weights: ScoringWeights, similarity: Similarity) -> Scored:
    """The score of ``out`` for ``dep`` and whether it is an exact match / has name evidence (no report objects)."""
    parts = _parts(dep, out, weights, similarity)
    return Scored(round(math.fsum(parts.components), 6), parts.exact, _has_evidence(dep, out, parts), out)


def candidate(dep: DependencyProfile, out: OutputProfile, weights: ScoringWeights, similarity: Similarity) -> Candidate:
    """Score ``out`` for ``dep`` with the full breakdown, the evidence, and the best-matching name.

    An incompatible dependency type scores 0 in every component (the evidence is still listed).
    The score equals :func:`quick_score`'s.
    """
    parts = _parts(dep, out, weights, similarity)
    breakdown = ScoreBreakdown(**dict(zip(_BREAKDOWN_FIELDS, parts.components)))
    return Candidate(
        provider_step=out.step,
        provider_type=out.step_type,
        output=out.output_name,
        property_path=out.output.property_path,
        matched_name=parts.matched_name,
        similarity=round(parts.similarity, 6),
        score=breakdown.total,
        breakdown=breakdown,
        evidence=_evidence(dep, out, parts.exact, parts.matched_keywords),
    )


_BREAKDOWN_FIELDS = tuple(field.name for field in attrs.fields(ScoreBreakdown))
