"""Checking explicit edges and external bindings, and explaining unresolved dependencies.

Examples
--------
>>> fixed = check_wiring([], (), ())
>>> fixed.step_graph()
{}
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from calibration_step.errors import Code, Problem, ResolutionError
from calibration_step.resolver.report import DependencyResolution, Edge, ExternalBinding
from calibration_step.spec import StepSpecification

__all__ = ["Fixed", "check_wiring", "unresolved_problem"]

_HINT = (
    "add an explicit Edge, bind an ExternalBinding (s3:// URI or pipeline parameter), or give the "
    "upstream output an alias / the dependency a semantic keyword or compatible source"
)


@attrs.frozen(kw_only=True)
class Fixed:
    """The checked explicit edges and external bindings, keyed by (step, dependency name)."""

    edges: dict[tuple[str, str], Edge[enum.Enum, enum.Enum]]
    bindings: dict[tuple[str, str], ExternalBinding[enum.Enum]]

    def edge_for(self, step: str, dependency: str) -> Edge[enum.Enum, enum.Enum] | None:
        """The explicit edge into ``step``'s ``dependency``, if any."""
        return self.edges.get((step, dependency))

    def binding_for(self, step: str, dependency: str) -> ExternalBinding[enum.Enum] | None:
        """The external binding of ``step``'s ``dependency``, if any."""
        return self.bindings.get((step, dependency))

    def explicit_providers(self, step: str) -> frozenset[str]:
        """The upstream steps of ``step``'s explicit edges."""
        return frozenset(edge.upstream_step for (consumer, _), edge in self.edges.items() if consumer == step)

    def step_graph(self) -> dict[str, frozenset[str]]:
        """Consumer step -> providers, from the explicit edges only."""
        return {step: self.explicit_providers(step) for step in sorted({consumer for consumer, _ in self.edges})}


def _problem(message: str, hint: str, location: str) -> Problem:
    return Problem(code=Code.RESOLUTION_WIRING, message=message, hint=hint, location=location)


def _edge_problems(specs: dict[str, StepSpecification[enum.Enum, enum.Enum]], edge: Edge[enum.Enum, enum.Enum]) -> list[Problem]:
    where = str(edge)
    problems: list[Problem] = []
    for step in (edge.upstream_step, edge.downstream_step):
        if step not in specs:
            problems.append(_problem(f"edge names unknown step {step!r}", f"use one of {sorted(specs)}", where))
    if edge.upstream_step == edge.downstream_step:
        problems.append(_problem(f"edge wires step {edge.upstream_step!r} to itself", "remove the edge", where))
    upstream = specs.get(edge.upstream_step)
    if upstream is not None and all(o.logical_name != edge.upstream_output for o in upstream.outputs):
        problems.append(
            _problem(
                f"step {edge.upstream_step!r} ({upstream.step_type}) has no output {edge.upstream_output!r}",
                f"use one of {[o.name for o in upstream.outputs]} (members of its output enum)",
                where,
            )
        )
    downstream = specs.get(edge.downstream_step)
    if downstream is not None and all(d.logical_name != edge.downstream_input for d in downstream.dependencies):
        problems.append(
            _problem(
                f"step {edge.downstream_step!r} ({downstream.step_type}) has no dependency {edge.downstream_input!r}",
                f"use one of {[d.name for d in downstream.dependencies]} (members of its input enum)",
                where,
            )
        )
    return problems


def _binding_problems(specs: dict[str, StepSpecification[enum.Enum, enum.Enum]], binding: ExternalBinding[enum.Enum]) -> list[Problem]:
    where = f"{binding.step}.{binding.dependency.value}"
    problems: list[Problem] = []
    spec = specs.get(binding.step)
    if spec is None:
        problems.append(_problem(f"binding names unknown step {binding.step!r}", f"use one of {sorted(specs)}", where))
    elif all(d.logical_name != binding.dependency for d in spec.dependencies):
        problems.append(
            _problem(
                f"step {binding.step!r} ({spec.step_type}) has no dependency {binding.dependency!r}",
                f"use one of {[d.name for d in spec.dependencies]} (members of its input enum)",
                where,
            )
        )
    value = binding.value
    if isinstance(value, str) and not value.startswith("s3://"):
        problems.append(_problem(f"bound value {value!r} is not an s3:// URI", "bind an s3://bucket/key URI or a pipeline parameter", where))
    elif value is None or isinstance(value, (bool, int, float, bytes)):
        problems.append(
            _problem(
                f"bound value {value!r} is neither an s3:// URI nor a pipeline value",
                "bind an s3://bucket/key URI or a pipeline parameter",
                where,
            )
        )
    return problems


def check_wiring(
    nodes: Sequence[tuple[str, StepSpecification[enum.Enum, enum.Enum]]],
    edges: Sequence[Edge[enum.Enum, enum.Enum]],
    bindings: Sequence[ExternalBinding[enum.Enum]],
) -> Fixed:
    """Check every edge and binding against the nodes' specs and return them keyed by input.

    Raises
    ------
    ResolutionError
        ``RESOLUTION-WIRING`` listing every unknown step, output or dependency, every value that
        is not an ``s3://`` URI or pipeline value, and every dependency bound more than once.
    """
    specs = dict(nodes)
    problems: list[Problem] = []
    keyed_edges: dict[tuple[str, str], Edge[enum.Enum, enum.Enum]] = {}
    keyed_bindings: dict[tuple[str, str], ExternalBinding[enum.Enum]] = {}
    for edge in edges:
        found = _edge_problems(specs, edge)
        key = (edge.downstream_step, str(edge.downstream_input.value))
        if not found and key in keyed_edges:
            found.append(_problem(f"input {key[0]}.{key[1]} has two explicit edges", "keep one edge per input", str(edge)))
        problems += found
        keyed_edges.setdefault(key, edge)
    for binding in bindings:
        found = _binding_problems(specs, binding)
        key = (binding.step, str(binding.dependency.value))
        if not found and (key in keyed_bindings or key in keyed_edges):
            found.append(
                _problem(f"input {key[0]}.{key[1]} is bound twice (edge or binding)", "bind each input once", f"{key[0]}.{key[1]}")
            )
        problems += found
        keyed_bindings.setdefault(key, binding)
    if problems:
        raise ResolutionError.from_problems(Code.RESOLUTION_WIRING, "the explicit edges and bindings", problems)
    return Fixed(edges=keyed_edges, bindings=keyed_bindings)


def unresolved_problem(item: DependencyResolution, threshold: float, *, has_providers: bool) -> Problem:
    """A problem naming a required dependency left unresolved, its best candidates and why they fell short."""
    what = f"required dependency {item.dependency!r} ({item.dependency_type.value}) of step {item.step!r} ({item.step_type})"
    if not has_providers:
        why = "no upstream step may feed it (none is declared before it or as its upstream)"
    elif not item.rejected:
        why = "its upstream steps have no outputs"
    else:
        best = "; ".join(str(rejection) for rejection in item.rejected[:3])
        why = f"no candidate scores above {threshold} with name evidence; best candidates: {best}"
    return Problem(code=Code.RESOLUTION_UNRESOLVED, message=f"{what} is unresolved: {why}", hint=_HINT, location=f"{item.step}.{item.dependency}")
