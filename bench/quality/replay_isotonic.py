"""Replay rules of multi-class ``auto`` about one-vs-rest isotonic on the cached runs.

On 45-54 calibration rows (wine, iris) one-vs-rest isotonic fitted on every row often scores
well held out while ``auto``'s inner cross-validation, whose 5 folds fit it on about 36 rows,
ranks it behind a simpler candidate. These rules ask whether a better estimate of isotonic's
loss on every row, or a share of a mixture, would pick it where it pays:

- ``isotonic_<K>_inner_folds``: isotonic (a candidate for the single pick, as in the script)
  scored by ``K`` inner folds instead of 5, in as many seeded repeats as the cache holds; its
  inner fits see ``(K - 1) / K`` of the rows (10 folds: 90 %).
- ``isotonic_learning_curve_<alpha>``: isotonic's per-row loss extrapolated from the 3-fold
  and 5-fold estimates (training shares ``2/3`` and ``4/5``) to every row under a learning
  curve ``L(m) = L_inf + b m^-alpha`` (:func:`extrapolated_losses`; ``alpha = 2/3`` is
  isotonic regression's rate, ``1`` a parametric one's).
- ``isotonic_mixture_when_lowest``: where isotonic has the lowest inner loss but the rule
  ships a simpler candidate, the stacked mixture of every candidate with isotonic among them
  (``isotonic_pair_when_lowest``: the two-member mixture of the rule's pick and isotonic).
- ``isotonic_lowest``: isotonic alone wherever its inner loss is the lowest
  (``replay_multiclass.gated_rule`` at 0 standard errors).

Usage (from the repository root; refits bounded isotonic in 3 and 10 inner folds of each
cached run where the cache lacks them, about a second a wine or iris run)::

    python -m bench.quality.replay_isotonic --seeds 0 1 2 --cache /tmp/replay \
        --rules script isotonic_10_inner_folds isotonic_mixture_when_lowest

Examples
--------
>>> inner_folds_name(10)
'isotonic_10_inner_folds'
>>> splits = inner_splits(np.array([0, 1, 2] * 4), 2, 3)
>>> splits.shape, sorted(np.unique(splits).tolist())
((3, 12), [0, 1])
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from bench.quality import replay_multiclass as rm
from bench.quality.datasets import prepare
from bench.quality.metrics import FloatArray, IntArray
from bench.quality.refits import held_out_refits
from bench.quality.runs import RunSpec

INNER_FOLDS = (3, 10)
"""The inner fold counts isotonic is refitted in (the script's is 5)."""
SCRIPT_INNER_FOLDS = 5


def inner_folds_name(folds: int) -> str:
    """The cached name of isotonic's held-out predictions in ``folds`` inner folds."""
    return f"isotonic_{folds}_inner_folds"


def inner_splits(labels: IntArray, folds: int, repeats: int) -> IntArray:
    """``repeats`` stratified splits of ``labels`` into ``folds`` folds, seeded as ``auto``
    seeds its repeats from seed 0 (``r * AUTO_REPEAT_SEED_STEP``)."""
    from calibration_step.script.model_calibration.crossfit import (AUTO_REPEAT_SEED_STEP,
                                                                    stratified_folds)

    return np.stack([stratified_folds(labels, folds, r * AUTO_REPEAT_SEED_STEP)
                     for r in range(repeats)]).astype(np.int64)


def with_isotonic_folds(spec: RunSpec, cache: rm.RunCache,
                        folds: Sequence[int] = INNER_FOLDS) -> rm.RunCache:
    """``cache`` with bounded one-vs-rest isotonic (as ``auto`` fits it) refitted in each of
    ``folds`` inner folds, as many repeats as the cache holds (:func:`inner_folds_name`)."""
    run = prepare(spec.dataset, spec.model, spec.seed)
    problem, _ = rm._problem(run.calibration.scores, run.calibration.labels, ["isotonic"])
    repeats = cache.folds.shape[0]
    held = dict(cache.held)
    for k in folds:
        held[inner_folds_name(k)] = held_out_refits(problem, "isotonic",
                                                    inner_splits(cache.labels, k, repeats))
    return dataclasses.replace(cache, held=held)


def extrapolated_losses(at_a: FloatArray, at_b: FloatArray, share_a: float, share_b: float,
                        alpha: float) -> FloatArray:
    """Per-row losses extrapolated to every row (share 1) from those of fits on the shares
    ``share_a > share_b`` of the rows, under ``L(m) = L_inf + b m^-alpha``.

    >>> curve = lambda m: 0.1 + 0.2 * m ** -0.5
    >>> out = extrapolated_losses(np.array([curve(0.8)]), np.array([curve(2 / 3)]), 0.8, 2 / 3,
    ...                           0.5)
    >>> round(float(out[0]), 12) == round(curve(1.0), 12)
    True
    """
    slope = (share_a ** -alpha - 1.0) / (share_b ** -alpha - share_a ** -alpha)
    out: FloatArray = at_a + slope * (at_a - at_b)
    return out


IsotonicEstimate = Callable[[rm.RunCache], FloatArray]
"""Isotonic's per-row held-out loss estimate from a run's cache."""


def folds_estimate(folds: int) -> IsotonicEstimate:
    """Isotonic's per-row loss in ``folds`` inner folds (the script's 5: the cached one)."""
    def estimate(cache: rm.RunCache) -> FloatArray:
        name = "isotonic" if folds == SCRIPT_INNER_FOLDS else inner_folds_name(folds)
        return rm.held_out_losses(cache.held[name], cache.labels)

    return estimate


def learning_curve_estimate(alpha: float) -> IsotonicEstimate:
    """Isotonic's per-row loss extrapolated from 5 and 3 inner folds to every row."""
    def estimate(cache: rm.RunCache) -> FloatArray:
        return extrapolated_losses(folds_estimate(SCRIPT_INNER_FOLDS)(cache),
                                   folds_estimate(3)(cache), 0.8, 2.0 / 3.0, alpha)

    return estimate


def _estimated_pick(cache: rm.RunCache, estimate: IsotonicEstimate) -> str:
    """The script's rule (``choose_by_log_loss``) among the default candidates and isotonic
    scored by ``estimate``."""
    from calibration_step.script.model_calibration.crossfit import choose_by_log_loss

    losses = {m: rm.held_out_losses(cache.held[m], cache.labels) for m in rm.DEFAULT_CANDIDATES
              if m in cache.held}
    losses["isotonic"] = estimate(cache)
    w = np.ones(cache.labels.shape[0])
    return str(choose_by_log_loss(losses, w, float(w.shape[0]), {}, list(losses),
                                  "replay")["selected"])


def estimated_isotonic_rule(estimate: IsotonicEstimate) -> rm.Rule:
    """The script's rule with isotonic, its candidate for the single pick, scored by
    ``estimate``: shipped alone where the rule picks it, the rule without it elsewhere."""
    before = rm.script_rule(pick_only=())

    def rule(cache: rm.RunCache) -> Mapping[str, float]:
        return {"isotonic": 1.0} if _estimated_pick(cache, estimate) == "isotonic" else \
            before(cache)

    return rule


def mixture_when_lowest_rule(pair: bool) -> rm.Rule:
    """The script's rule; where isotonic has the lowest inner loss and the rule ships another
    candidate, the stacked mixture (``stack_classes``, shipped on its honest loss) of every
    candidate and isotonic, or with ``pair`` of the rule's pick and isotonic."""
    script = rm.script_rule()

    def rule(cache: rm.RunCache) -> Mapping[str, float]:
        shipped = script(cache)
        choice, held, _ = rm._picked(cache, [*rm.DEFAULT_CANDIDATES, "isotonic"])
        if choice["best"] != "isotonic" or "isotonic" in shipped:
            return shipped
        if pair:
            held = {m: held[m] for m in (str(choice["selected"]), "isotonic")}
        return rm.stacked_weights(choice, held, cache) or shipped

    return rule


RULES: dict[str, Callable[[], rm.Rule]] = {
    "script": rm.script_rule,
    **{inner_folds_name(k): functools.partial(estimated_isotonic_rule, folds_estimate(k))
       for k in INNER_FOLDS},
    "isotonic_learning_curve_0.67": lambda: estimated_isotonic_rule(
        learning_curve_estimate(2.0 / 3.0)),
    "isotonic_learning_curve_1": lambda: estimated_isotonic_rule(learning_curve_estimate(1.0)),
    "isotonic_mixture_when_lowest": lambda: mixture_when_lowest_rule(False),
    "isotonic_pair_when_lowest": lambda: mixture_when_lowest_rule(True),
    "isotonic_lowest": lambda: rm.gated_rule("isotonic", 0.0),
}
"""The rules the command replays, by name (``--rules``; docs/methods.md has the figures)."""


def cached(specs: Sequence[RunSpec], folder: str) -> list[rm.RunCache]:
    """Each run's cache (``replay_multiclass.cached``) with isotonic in every
    :data:`INNER_FOLDS` (refitted and saved where missing)."""
    out = []
    for spec, cache in zip(specs, rm.cached(specs, folder)):
        if any(inner_folds_name(k) not in cache.held for k in INNER_FOLDS):
            cache = with_isotonic_folds(spec, cache)
            cache.save(folder)
        out.append(cache)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = rm.replay_parser("bench.quality.replay_isotonic", __doc__)
    parser.add_argument("--rules", nargs="+", choices=sorted(RULES), default=sorted(RULES))
    args = parser.parse_args(argv)
    caches = cached(rm.multiclass_specs(args.seeds, args.datasets), args.cache)
    print(json.dumps({name: rm.summary(rm.replay(RULES[name](), caches))
                      for name in args.rules}, indent=1))


if __name__ == "__main__":
    main()
