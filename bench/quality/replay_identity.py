"""Replay rules of multi-class ``auto`` about its identity pick on the cached runs.

Where the rule ships identity alone (the scores as they are), half of the runs it loses to
scikit-learn's temperature scaling are lost; these rules put the cached temperature candidate
(bounded as under ``auto``) in its place there, and change nothing elsewhere:

- ``temperature_for_identity``: temperature alone;
- ``temperature_for_identity_if_lower``: temperature alone where its inner held-out loss is
  below identity's;
- ``half_temperature_for_identity``: the mixture of half identity and half temperature;
- ``stacked_temperature_for_identity``: the two candidates' stacked mixture
  (``stack_classes``: fitted on their held-out predictions, shipped on its honest loss).

Usage (from the repository root; the cache is ``replay_multiclass``'s)::

    python -m bench.quality.replay_identity --seeds 0 1 2 3 4 5 6 7 8 --cache /tmp/replay

Examples
--------
>>> sorted(RULES)[:2]
['half_temperature_for_identity', 'script']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from bench.quality import replay_multiclass as rm
from bench.quality.replay_multiclass import RunCache, Rule

REPLACEMENT = "temperature"
"""The candidate put where the rule ships identity alone."""


def in_place_of_identity(replacement: Callable[[RunCache], Mapping[str, float]]) -> Rule:
    """The script's rule, with ``replacement(cache)`` shipped where it ships identity alone
    and the cache holds :data:`REPLACEMENT`."""
    script = rm.script_rule()

    def rule(cache: RunCache) -> Mapping[str, float]:
        shipped = script(cache)
        if list(shipped) != ["identity"] or REPLACEMENT not in cache.held:
            return shipped
        return replacement(cache) or shipped

    return rule


def _if_lower(cache: RunCache) -> Mapping[str, float]:
    _, _, losses = rm._picked(cache, ["identity", REPLACEMENT])
    lower = float(losses[REPLACEMENT].mean()) < float(losses["identity"].mean())
    return {REPLACEMENT: 1.0} if lower else {"identity": 1.0}


def _stacked(cache: RunCache) -> Mapping[str, float]:
    choice, _, _ = rm._picked(cache, ["identity", REPLACEMENT])
    pair = {m: cache.held[m] for m in ("identity", REPLACEMENT)}
    return rm.stacked_weights(choice, pair, cache) or {"identity": 1.0}


RULES: dict[str, Callable[[], Rule]] = {
    "script": rm.script_rule,
    "temperature_for_identity": lambda: in_place_of_identity(lambda c: {REPLACEMENT: 1.0}),
    "temperature_for_identity_if_lower": lambda: in_place_of_identity(_if_lower),
    "half_temperature_for_identity": lambda: in_place_of_identity(
        lambda c: {"identity": 0.5, REPLACEMENT: 0.5}),
    "stacked_temperature_for_identity": lambda: in_place_of_identity(_stacked),
}
"""The rules the command replays, by name (docs/methods.md, "Held to identity's loss
alone")."""


def main(argv: Sequence[str] | None = None) -> None:
    parser = rm.replay_parser("bench.quality.replay_identity", __doc__)
    parser.add_argument("--rules", nargs="+", choices=sorted(RULES), default=sorted(RULES))
    args = parser.parse_args(argv)
    caches = rm.cached(rm.multiclass_specs(args.seeds, args.datasets), args.cache)
    print(json.dumps({name: rm.summary(rm.replay(RULES[name](), caches))
                      for name in args.rules}, indent=1))


if __name__ == "__main__":
    main()
