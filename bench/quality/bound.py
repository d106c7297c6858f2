"""How demanding the per-peer target is: ``auto``'s own candidates, picked knowing the test labels.

``auto`` decides what it ships from its candidates' inner cross-validated predictions on the
calibration rows. Whatever rule it uses, it ships one of its candidates or a mixture of them, so
on a given run it can do no better than the one of these with the lowest test log loss. This
module replays that choice (an upper bound no rule reaches, not a rule the script could use)
over the cached runs of :mod:`bench.quality.replay` (binary) and
:mod:`bench.quality.replay_multiclass`, and counts the runs in which even it is beyond the
tolerance of a peer (``max(1%, 0.005 nats)``) or worse than the uncalibrated scores. A run lost
there is lost to every rule: only a better candidate wins it back.

The options a run's bound picks from are each candidate alone and the mixture the script's own
rule ships (binary: ``replay.current_rule``; multi-class: ``replay_multiclass.script_rule``).
Multi-class caches hold every multi-class method, also those ``auto`` leaves out (temperature,
and isotonic on more than ``MIXTURE_MAX_ROWS`` rows); ``--every-candidate`` lets the bound pick
them too.

Usage (from the repository root; the caches are those of the replay modules)::

    python -m bench.quality.bound --results RESULTS.json --cache DIR
    python -m bench.quality.bound --multiclass-cache DIR --seeds 3 4 5

Examples
--------
>>> from bench.quality.replay import synthetic_replay
>>> run = synthetic_replay(0)  # calibrated scores and an over-confident candidate
>>> sorted(binary_options(run))
['identity', 'platt', 'shipped']
>>> best_on_test(binary_options(run), lambda w: shipped_log_loss(run, w))[0]
'identity'
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence

from bench.quality import replay, replay_multiclass
from bench.quality.metrics import log_loss
from bench.quality.replay import Judgement, Replay, shipped_log_loss
from bench.quality.replay_multiclass import RunCache

SHIPPED = "shipped"
"""The option of a run's bound that is what the script's own rule ships."""


def binary_options(run: Replay) -> dict[str, Mapping[str, float]]:
    """The weights a binary run's bound chooses from: each candidate alone and the script's
    own rule's (``SHIPPED``)."""
    options: dict[str, Mapping[str, float]] = {m: {m: 1.0} for m in run.methods}
    options[SHIPPED] = replay.current_rule(run)
    return options


def multiclass_options(cache: RunCache, every_candidate: bool = False
                       ) -> dict[str, Mapping[str, float]]:
    """The weights a multi-class run's bound chooses from: each of ``auto``'s candidates alone
    (its defaults, and its pick-only ones where it scores them; every cached one with
    ``every_candidate``) and the script's own rule's."""
    from calibration_step.script.model_calibration.crossfit import AUTO_MULTICLASS_PICK_ONLY
    from calibration_step.script.model_calibration.mixture import MIXTURE_MAX_ROWS

    pick_only = AUTO_MULTICLASS_PICK_ONLY if cache.labels.shape[0] <= MIXTURE_MAX_ROWS else ()
    names = cache.test if every_candidate else [
        m for m in (*replay_multiclass.DEFAULT_CANDIDATES, *pick_only) if m in cache.test]
    options: dict[str, Mapping[str, float]] = {m: {m: 1.0} for m in names}
    options[SHIPPED] = replay_multiclass.script_rule()(cache)
    return options


def best_on_test(options: Mapping[str, Mapping[str, float]],
                 loss: Callable[[Mapping[str, float]], float]) -> tuple[str, float]:
    """The option with the lowest test ``loss`` (the first of equals, in the options' order)
    and that loss.

    >>> best_on_test({"a": {"a": 1.0}, "b": {"b": 1.0}}, lambda w: 0.3 if "a" in w else 0.2)
    ('b', 0.2)
    """
    found = [(loss(weights), name) for name, weights in options.items()]
    best = min(found, key=lambda pair: pair[0])
    return best[1], best[0]


def binary_bound(runs: Sequence[Replay]) -> Judgement:
    """:func:`~bench.quality.replay.judge` of each run's best option on its test split."""
    def rule(run: Replay) -> Mapping[str, float]:
        options = binary_options(run)
        return options[best_on_test(options, lambda w: shipped_log_loss(run, w))[0]]

    return replay.judge(rule, runs)


def multiclass_bound(caches: Sequence[RunCache], every_candidate: bool = False
                     ) -> dict[str, object]:
    """:func:`~bench.quality.replay_multiclass.summary` of each run's best option on its test
    split."""
    def rule(cache: RunCache) -> Mapping[str, float]:
        options = multiclass_options(cache, every_candidate)

        def loss(weights: Mapping[str, float]) -> float:
            return log_loss(replay_multiclass.mixture_probabilities(cache, weights),
                            cache.test_labels)

        return options[best_on_test(options, loss)[0]]

    return replay_multiclass.summary(replay_multiclass.replay(rule, caches))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.bound",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--results", help="binary: a results .json of bench.quality")
    parser.add_argument("--cache", help="binary: the cache folder of bench.quality.replay")
    parser.add_argument("--multiclass-cache",
                        help="multi-class: the cache folder of bench.quality.replay_multiclass "
                             "(runs missing from it are collected)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                        help="multi-class: the runs' seeds")
    parser.add_argument("--every-candidate", action="store_true",
                        help="multi-class: the bound may pick the methods auto leaves out too")
    args = parser.parse_args(argv)
    if (args.results is None) != (args.cache is None):
        parser.error("--results and --cache go together")
    if args.results is None and args.multiclass_cache is None:
        parser.error("give --results and --cache, or --multiclass-cache, or both")
    if args.results is not None:
        runs = replay.load_all(args.results, args.cache)
        print(f"binary, the script's rule: {replay.judge(replay.current_rule, runs).line()}")
        print(f"binary, the best option on the test split: {binary_bound(runs).line()}")
    if args.multiclass_cache is not None:
        caches = replay_multiclass.cached(replay_multiclass.multiclass_specs(args.seeds),
                                          args.multiclass_cache)
        shipped = replay_multiclass.summary(replay_multiclass.replay(
            replay_multiclass.script_rule(), caches))
        print(json.dumps({"multi-class, the script's rule": shipped,
                          "multi-class, the best option on the test split":
                              multiclass_bound(caches, args.every_candidate)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
