"""Dependency resolution: wire each step's dependencies to upstream outputs, explicit edges or external values.

The rules (weights, threshold, name evidence, tie-breaking) are in ``docs/resolver.md``; the
modules: :mod:`~calibration_step.resolver.scoring` (one candidate's score),
:mod:`~calibration_step.resolver.engine` (:func:`resolve`), :mod:`~calibration_step.resolver.graph`
(order and cycles), :mod:`~calibration_step.resolver.wiring` (explicit edges and bindings),
:mod:`~calibration_step.resolver.report` (the values in and out). Name matching lives in
:mod:`calibration_step.matching`.
"""

from __future__ import annotations

from calibration_step.resolver.engine import Node, resolve
from calibration_step.resolver.report import (
    Candidate,
    DependencyResolution,
    Edge,
    ExternalBinding,
    PipelineValue,
    Rejection,
    RejectionReason,
    ResolutionReport,
    ResolutionSource,
    ScoreBreakdown,
    WiredEdge,
)
from calibration_step.resolver.scoring import COMPATIBLE_TYPES, DEFAULT_WEIGHTS, THRESHOLD, ScoringWeights

__all__ = [
    "COMPATIBLE_TYPES",
    "Candidate",
    "DEFAULT_WEIGHTS",
    "DependencyResolution",
    "Edge",
    "ExternalBinding",
    "Node",
    "PipelineValue",
    "Rejection",
    "RejectionReason",
    "ResolutionReport",
    "ResolutionSource",
    "ScoreBreakdown",
    "ScoringWeights",
    "THRESHOLD",
    "WiredEdge",
    "resolve",
]
