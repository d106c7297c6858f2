"""Step-level graph checks of the resolver: unique names, known upstream steps, topological order, cycles.

A graph maps each step name to the steps that feed it (its providers).

Examples
--------
>>> nodes = [("a", None), ("b", None), ("c", None)]
>>> topological_order(nodes, {"a": {"c"}, "b": set(), "c": {"b"}})
('b', 'c', 'a')
>>> topological_order(nodes, {"a": {"c"}, "b": {"a"}, "c": {"b"}})
Traceback (most recent call last):
...
calibration_step.errors.ResolutionError: [RESOLUTION-CYCLE] the steps form a cycle: a -> b -> c -> a ...
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from calibration_step.errors import Code, Problem, ResolutionError

__all__ = ["check_nodes", "check_upstream", "topological_order"]


def check_nodes(nodes: Sequence[tuple[str, object]]) -> None:
    """Every step has a non-empty, unique name.

    Raises
    ------
    ResolutionError
        ``RESOLUTION-DAG`` listing every empty or duplicate name.
    """
    problems = [
        Problem(code=Code.RESOLUTION_DAG, message=f"step name {name!r} is used {count} times", hint="give each step a unique name", location=name)
        for name, count in sorted(Counter(name for name, _ in nodes).items())
        if count > 1
    ]
    if any(not name for name, _ in nodes):
        problems.append(Problem(code=Code.RESOLUTION_DAG, message="a step has an empty name", hint="name every step"))
    if problems:
        raise ResolutionError.from_problems(Code.RESOLUTION_DAG, "the DAG", problems)


def check_upstream(nodes: Sequence[tuple[str, object]], upstream: Mapping[str, Collection[str]]) -> None:
    """Every step named in ``upstream`` (as key or value) is a node, and no step feeds itself.

    Raises
    ------
    ResolutionError
        ``RESOLUTION-DAG`` listing every unknown name and self-loop.
    """
    known = {name for name, _ in nodes}
    problems: list[Problem] = []
    for step in sorted(upstream):
        providers = sorted(upstream[step])
        for name in [step, *providers]:
            if name not in known:
                problems.append(
                    Problem(
                        code=Code.RESOLUTION_DAG,
                        message=f"upstream of {step!r} names unknown step {name!r}",
                        hint=f"use one of {sorted(known)}",
                        location=f"upstream[{step!r}]",
                    )
                )
        if step in providers:
            problems.append(
                Problem(code=Code.RESOLUTION_DAG, message=f"step {step!r} is its own upstream", hint="remove the self-loop", location=f"upstream[{step!r}]")
            )
    if problems:
        raise ResolutionError.from_problems(Code.RESOLUTION_DAG, "the DAG", problems)


def topological_order(nodes: Sequence[tuple[str, object]], graph: Mapping[str, Collection[str]]) -> tuple[str, ...]:
    """Providers before consumers; among ready steps, the one declared first goes first.

    Raises
    ------
    ResolutionError
        ``RESOLUTION-CYCLE`` naming one cycle.
    """
    position = {name: i for i, (name, _) in enumerate(nodes)}
    providers = {name: set(graph.get(name, ())) & position.keys() for name in position}
    consumers: dict[str, list[str]] = {name: [] for name in position}
    for name, feeding in providers.items():
        for provider in feeding:
            consumers[provider].append(name)
    waiting = {name: len(feeding) for name, feeding in providers.items()}
    ready = [(position[name], name) for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for consumer in consumers[name]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                heapq.heappush(ready, (position[consumer], consumer))
    if len(order) < len(position):
        cycle = _find_cycle({name for name, count in waiting.items() if count > 0}, providers, position)
        raise ResolutionError(
            Code.RESOLUTION_CYCLE,
            "the steps form a cycle: " + " -> ".join([*cycle, cycle[0]]),
            hint="remove an upstream declaration or explicit edge on the cycle",
        )
    return tuple(order)


def _find_cycle(stuck: set[str], providers: Mapping[str, set[str]], position: Mapping[str, int]) -> list[str]:
    """Walk provider links among the stuck steps from the first declared one until a step repeats."""
    current = min(stuck, key=position.__getitem__)
    path: list[str] = []
    while current not in path:
        path.append(current)
        current = min((p for p in providers[current] if p in stuck), key=position.__getitem__)
    cycle = path[path.index(current) :]
    cycle.reverse()  # providers first: a -> b means a feeds b
    start = cycle.index(min(cycle, key=position.__getitem__))
    return cycle[start:] + cycle[:start]
