"""Values of the resolver: what users pass in (edges, external bindings) and what comes out (the report).

Everything here is a frozen, keyword-only attrs value. Inputs carry the steps' name enums, so an
edge naming an output of the wrong step type is caught (by mypy where the enum types are known,
at resolution time otherwise); the report carries plain strings so it serialises to JSON through
:mod:`calibration_step.converter`.

Examples
--------
>>> import enum
>>> class TrainOut(enum.Enum):
...     MODEL = "model_artifacts"
>>> class CalibIn(enum.Enum):
...     MODEL = "model_input"
>>> edge: Edge[TrainOut, CalibIn] = Edge(upstream_step="train", upstream_output=TrainOut.MODEL,
...                                     downstream_step="calibrate", downstream_input=CalibIn.MODEL)
>>> str(edge)
'train.model_artifacts -> calibrate.model_input'
>>> ScoreBreakdown(dependency_type=0.4, data_type=0.2, name=0.25, exact_bonus=0.05,
...                source_bonus=0.1, cap_adjustment=-0.0).total
1.0
"""

from __future__ import annotations

import enum
import json
import math
from typing import Generic, Literal, Protocol, runtime_checkable

import attrs

from calibration_step._typevars import InputName, OutputName
from calibration_step.enums import DependencyType

__all__ = [
    "Candidate",
    "DependencyResolution",
    "Edge",
    "ExternalBinding",
    "PipelineValue",
    "Rejection",
    "RejectionReason",
    "ResolutionReport",
    "ResolutionSource",
    "ScoreBreakdown",
    "WiredEdge",
    "describe_value",
]


@runtime_checkable
class PipelineValue(Protocol):
    """A pipeline parameter or variable: anything with an ``expr`` (SageMaker's ``PipelineVariable`` has one)."""

    @property
    def expr(self) -> object:
        """The value's pipeline-definition expression, e.g. ``{"Get": "Parameters.InputData"}``."""


@attrs.frozen(kw_only=True)
class Edge(Generic[OutputName, InputName]):
    """An explicit wire ``upstream_step.upstream_output -> downstream_step.downstream_input``; overrides scoring."""

    upstream_step: str
    upstream_output: OutputName
    downstream_step: str
    downstream_input: InputName

    def __str__(self) -> str:
        return (
            f"{self.upstream_step}.{self.upstream_output.value} -> "
            f"{self.downstream_step}.{self.downstream_input.value}"
        )


@attrs.frozen(kw_only=True)
class ExternalBinding(Generic[InputName]):
    """A dependency bound to a value from outside the DAG: an ``s3://`` URI or a pipeline value.

    This is how a pipeline's first steps get their data. A pipeline value is opaque to the
    resolver (a SageMaker ``ParameterString``, one of :mod:`calibration_step.processing.values`, ...);
    only primitives other than ``s3://`` strings are refused.
    """

    step: str
    dependency: InputName
    value: object


def describe_value(value: object) -> str:
    """A stable, readable description of a bound value: the URI itself, else its expression as JSON.

    The expression is ``value.expr`` (SageMaker pipeline variables) or ``value.to_expr()`` (this
    package's pipeline values); anything else is described by its ``repr``.

    Examples
    --------
    >>> describe_value("s3://bucket/eval/")
    's3://bucket/eval/'
    >>> class Param:
    ...     expr = {"Get": "Parameters.EvalData"}
    >>> describe_value(Param())
    '{"Get": "Parameters.EvalData"}'
    """
    if isinstance(value, str):
        return value
    expression: object = None
    if isinstance(value, PipelineValue):
        expression = value.expr
    elif callable(getattr(value, "to_expr", None)):
        expression = value.to_expr()  # type: ignore[attr-defined]  # checked just above
    if expression is not None:
        try:
            return json.dumps(expression, sort_keys=True)
        except (TypeError, ValueError):
            pass
    return repr(value)


@attrs.frozen(kw_only=True)
class ScoreBreakdown:
    """The components of a candidate's score; they add up to :attr:`total` (``cap_adjustment`` <= 0)."""

    dependency_type: float = 0.0
    data_type: float = 0.0
    name: float = 0.0
    exact_bonus: float = 0.0
    source_bonus: float = 0.0
    keywords: float = 0.0
    cap_adjustment: float = 0.0

    def components(self) -> tuple[float, ...]:
        """The seven components, in field order."""
        return (
            self.dependency_type,
            self.data_type,
            self.name,
            self.exact_bonus,
            self.source_bonus,
            self.keywords,
            self.cap_adjustment,
        )

    @property
    def total(self) -> float:
        """The score: the exact sum of the components, rounded to 6 decimals."""
        return round(math.fsum(self.components()), 6)


@attrs.frozen(kw_only=True)
class Candidate:
    """One upstream output scored against one dependency.

    ``evidence`` lists the name evidence found, each ``kind:detail`` with kind one of ``exact``,
    ``concept``, ``keyword``, ``source``; an empty tuple means none (the candidate cannot be wired).
    """

    provider_step: str
    provider_type: str
    output: str
    property_path: str
    matched_name: str
    similarity: float
    score: float
    breakdown: ScoreBreakdown
    evidence: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``provider_step.output``."""
        return f"{self.provider_step}.{self.output}"


class RejectionReason(enum.Enum):
    """Why a candidate was not chosen for a dependency."""

    INCOMPATIBLE_TYPE = "incompatible_type"
    NO_NAME_EVIDENCE = "no_name_evidence"
    BELOW_THRESHOLD = "below_threshold"
    OUTPUT_ALREADY_USED = "output_already_used"
    OUTRANKED = "outranked"


@attrs.frozen(kw_only=True)
class Rejection:
    """A candidate that was not chosen, with the reason and a sentence saying more."""

    candidate: Candidate
    reason: RejectionReason
    detail: str

    def __str__(self) -> str:
        return f"{self.candidate.label} {self.candidate.score:.3f} ({self.reason.value}: {self.detail})"


ResolutionSource = Literal["inferred", "explicit", "external", "unresolved"]
"""How a dependency got its value: scored match, explicit :class:`Edge`, :class:`ExternalBinding`, or not at all."""


@attrs.frozen(kw_only=True)
class DependencyResolution:
    """The outcome for one dependency of one step.

    ``chosen`` is set for ``inferred`` and ``explicit`` (for explicit edges the candidate is scored
    for information only), ``external`` (the bound value's description) for ``external``.
    ``rejected`` holds the best rejected candidates (at most the resolver's ``max_rejected``), in
    rank order; ``n_rejected`` counts all the resolver looked at and turned down.
    """

    step: str
    step_type: str
    dependency: str
    dependency_type: DependencyType
    required: bool
    source: ResolutionSource
    chosen: Candidate | None = None
    external: str | None = None
    rejected: tuple[Rejection, ...] = ()
    n_rejected: int = 0


@attrs.frozen(kw_only=True)
class WiredEdge:
    """A resolved wire between an upstream output (with its property path) and a step's input."""

    upstream_step: str
    upstream_output: str
    property_path: str
    downstream_step: str
    downstream_input: str
    source: Literal["inferred", "explicit"]


@attrs.frozen(kw_only=True)
class ResolutionReport:
    """The resolver's answer: a topological step order and one :class:`DependencyResolution` per dependency.

    ``resolutions`` are grouped by step in the declared node order, dependencies in declaration order.
    """

    threshold: float
    order: tuple[str, ...]
    resolutions: tuple[DependencyResolution, ...]

    def edges(self) -> tuple[WiredEdge, ...]:
        """Every wire (inferred and explicit), in the order of :attr:`resolutions`."""
        wired: list[WiredEdge] = []
        for item in self.resolutions:
            if item.chosen is not None and item.source in ("inferred", "explicit"):
                wired.append(
                    WiredEdge(
                        upstream_step=item.chosen.provider_step,
                        upstream_output=item.chosen.output,
                        property_path=item.chosen.property_path,
                        downstream_step=item.step,
                        downstream_input=item.dependency,
                        source="explicit" if item.source == "explicit" else "inferred",
                    )
                )
        return tuple(wired)

    def for_step(self, step: str) -> tuple[DependencyResolution, ...]:
        """The resolutions of ``step``'s dependencies (empty for an unknown step)."""
        return tuple(item for item in self.resolutions if item.step == step)

    def get(self, step: str, dependency: str | enum.Enum) -> DependencyResolution | None:
        """The resolution of ``step``'s ``dependency`` (a logical name or its enum member), if any."""
        name = str(dependency.value) if isinstance(dependency, enum.Enum) else dependency
        for item in self.resolutions:
            if item.step == step and item.dependency == name:
                return item
        return None
