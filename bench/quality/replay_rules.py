"""Mixture rules that shrink binary ``auto``'s stacked mixture toward its low-parameter members,
replayed on the cached runs of :mod:`bench.quality.replay`, and a per-row look at what a lost
run's test loss is made of.

On 45-171 rows the peers that beat ``auto`` most are one-to-three-parameter fits (scikit-learn's
temperature scaling, probcal's selector, betacal), while the mixture's weights are themselves
estimated from the same inner held-out predictions. The rules here shrink that estimate in the
ways measured (docs/methods.md, "Shrinking the mixture toward its low-parameter members"):

- :func:`members_rule`: the mixture of the low-parameter members only (below a row count, or
  only on runs whose inner predictions are :func:`~bench.quality.replay.separated`);
- :func:`member_prior_rule`: a Dirichlet prior of extra pseudo-rows on chosen members (a fixed
  count of rows: its pull vanishes as rows grow);
- :func:`chosen_prior_rule`: of several such priors, the one whose mixture's honest held-out
  loss is least (the strength chosen by the rows);
- :func:`nested_rule`: the low-parameter members' mixture unless the whole mixture's honest
  per-row losses beat it by more than a margin of standard errors.

Each weighs its mixture as the script does (against the labels as they are where the run is
separated, smoothed elsewhere; ships where two or more members keep weight and its honest loss
is at most identity's, else the selection rule's pick ships). ``RULES`` lists them by the names
``python -m bench.quality.replay judge --rules`` takes.

Usage::

    python -m bench.quality.replay judge --results RESULTS.json --cache DIR \
        --rules low_members_below_200 nested_low_members_1_se
    python -m bench.quality.replay_rules --cache DIR synthetic_separable/svm/0

Examples
--------
>>> from bench.quality.replay import synthetic_replay
>>> run = synthetic_replay(0, scores_scale=0.5)
>>> sorted(members_rule(("identity", "platt"))(run))
['identity', 'platt']
>>> members_rule(("identity",))(run)  # one member: the selection's pick ships
{'identity': 1.0}
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Optional

import numpy as np

from bench.quality.metrics import CLIP, FloatArray
from bench.quality.replay import (Replay, Rule, beats_by_one_se, current_rule,
                                  load, row_losses, separated, shipped_predictions)
from calibration_step.script.model_calibration.crossfit import AUTO_SIMPLICITY_ORDER

LOW_PARAMETER_MEMBERS = ("identity", "temperature", "platt", "beta")
"""The members of at most three parameters (identity none, temperature one, platt two, beta
three): the shapes of the peers that beat ``auto`` most on few rows."""


def honest_mixture(run: Replay, members: Sequence[str], extra_rows: Mapping[str, float]
                   ) -> tuple[dict[str, float], FloatArray]:
    """The stacked mixture of ``run``'s candidates among ``members``, its weights fitted as the
    script fits them with ``extra_rows`` more Dirichlet pseudo-rows on the members named there:
    the kept weights by method and the honest per-row held-out losses (each row's smoothed loss
    averaged over the repeats).

    >>> from bench.quality.replay import synthetic_replay
    >>> weights, honest = honest_mixture(synthetic_replay(0, scores_scale=0.5),
    ...                                  ("identity", "platt"), {})
    >>> sorted(weights), honest.shape
    (['identity', 'platt'], (60,))
    """
    from calibration_step.script.model_calibration.mixture import (MIXTURE_PRIOR_ROWS,
                                                                   honest_predictions,
                                                                   kept_weights,
                                                                   stacking_weights)

    keep = [k for k, m in enumerate(run.methods) if m in members]
    methods = [run.methods[k] for k in keep]
    held = run.held[keep]
    repeats = held.shape[1]
    prior = np.array([MIXTURE_PRIOR_ROWS + extra_rows.get(m, 0.0) for m in methods])
    eps = 0.0 if separated(run) else run.eps
    raw, _ = stacking_weights(held.reshape(len(methods), -1), np.tile(run.labels, repeats),
                              np.tile(run.w, repeats), eps, prior, repeats=repeats)
    honest = honest_predictions(held, run.labels, run.w, eps, run.folds, methods, raw, prior)
    return kept_weights(methods, raw), row_losses(honest, run.labels, run.eps)


def _ships(run: Replay, weights: Mapping[str, float], honest: FloatArray) -> bool:
    """Whether the script would ship this mixture: two or more members and an honest loss at
    most identity's inner held-out loss."""
    identity = run.choice["candidates"].get("identity", {}).get("log_loss")
    ceiling = math.inf if "identity" not in run.methods else float(identity)
    return len(weights) >= 2 and float(np.dot(run.w, honest)) / float(run.w.sum()) <= ceiling


def _shipped(run: Replay, weights: dict[str, float], honest: FloatArray) -> dict[str, float]:
    return weights if _ships(run, weights, honest) else {str(run.choice["selected"]): 1.0}


def members_rule(members: Sequence[str], below: Optional[int] = None,
                 only_separated: bool = False) -> Rule:
    """The mixture of ``members`` only, on runs of fewer than ``below`` calibration rows (every
    run when None) or, with ``only_separated``, on the runs whose inner predictions separate
    the rows; the script's mixture elsewhere."""
    def rule(run: Replay) -> dict[str, float]:
        restricted = (below is None or run.labels.shape[0] < below) and (
            not only_separated or separated(run))
        return _shipped(run, *honest_mixture(run, members if restricted else run.methods, {}))

    return rule


def member_prior_rule(extra_rows: Mapping[str, float]) -> Rule:
    """The script's mixture with ``extra_rows`` more Dirichlet pseudo-rows on the members named
    there (the pull toward them vanishes as rows grow)."""
    def rule(run: Replay) -> dict[str, float]:
        return _shipped(run, *honest_mixture(run, run.methods, extra_rows))

    return rule


def spread(rows: float, members: Sequence[str]) -> dict[str, float]:
    """``rows`` pseudo-rows shared equally by the ``members`` other than identity.

    >>> spread(3.0, LOW_PARAMETER_MEMBERS)
    {'temperature': 1.0, 'platt': 1.0, 'beta': 1.0}
    """
    named = [m for m in members if m != "identity"]
    return {m: rows / len(named) for m in named}


def chosen_prior_rule(priors: Sequence[Mapping[str, float]]) -> Rule:
    """Of the mixtures under each extra prior of ``priors`` (:func:`member_prior_rule`'s), the
    one whose honest held-out loss is least (the first on ties)."""
    def rule(run: Replay) -> dict[str, float]:
        fitted = [honest_mixture(run, run.methods, extra) for extra in priors]
        losses = [float(np.dot(run.w, honest)) for _, honest in fitted]
        return _shipped(run, *fitted[int(np.argmin(losses))])

    return rule


def nested_rule(members: Sequence[str] = LOW_PARAMETER_MEMBERS, margin: float = 1.0) -> Rule:
    """The mixture of ``members`` unless the mixture of every candidate beats its honest per-row
    losses by more than ``margin`` standard errors (:func:`~bench.quality.replay.beats_by_one_se`);
    each only where the script would ship it, else the other, else the selection's pick."""
    def rule(run: Replay) -> dict[str, float]:
        low, low_honest = honest_mixture(run, members, {})
        full, full_honest = honest_mixture(run, run.methods, {})
        low_ships, full_ships = _ships(run, low, low_honest), _ships(run, full, full_honest)
        if low_ships and not (full_ships and beats_by_one_se(full_honest, low_honest, run.w,
                                                             margin)):
            return low
        return full if full_ships else {str(run.choice["selected"]): 1.0}

    return rule


RULES: dict[str, Callable[[], Rule]] = {
    "low_members_below_100": lambda: members_rule(LOW_PARAMETER_MEMBERS, 100),
    "low_members_below_200": lambda: members_rule(LOW_PARAMETER_MEMBERS, 200),
    "low_members_below_600": lambda: members_rule(LOW_PARAMETER_MEMBERS, 600),
    "low_members": lambda: members_rule(LOW_PARAMETER_MEMBERS),
    "parametric_members_where_separated": lambda: members_rule(
        ("identity", "temperature", "platt", "gam", "beta"), only_separated=True),
    "low_prior_2_rows": lambda: member_prior_rule(spread(2.0, LOW_PARAMETER_MEMBERS)),
    "low_prior_5_rows": lambda: member_prior_rule(spread(5.0, LOW_PARAMETER_MEMBERS)),
    "low_prior_10_rows": lambda: member_prior_rule(spread(10.0, LOW_PARAMETER_MEMBERS)),
    "temperature_prior_0.2_rows": lambda: member_prior_rule({"temperature": 0.2}),
    "temperature_prior_1_row": lambda: member_prior_rule({"temperature": 1.0}),
    "chosen_uniform_prior": lambda: chosen_prior_rule(
        [{}, dict.fromkeys(AUTO_SIMPLICITY_ORDER, 0.48),
         dict.fromkeys(AUTO_SIMPLICITY_ORDER, 1.98)]),
    "chosen_low_prior": lambda: chosen_prior_rule(
        [{}, spread(2.0, LOW_PARAMETER_MEMBERS), spread(8.0, LOW_PARAMETER_MEMBERS)]),
    "chosen_temperature_prior": lambda: chosen_prior_rule(
        [{}, {"temperature": 1.0}, {"temperature": 4.0}]),
    "nested_low_members_1_se": lambda: nested_rule(margin=1.0),
    "nested_low_members_0.5_se": lambda: nested_rule(margin=0.5),
    "nested_low_members_0_se": lambda: nested_rule(margin=0.0),
}
"""The rules measured, by name (docs/methods.md)."""


def costliest_rows(run: Replay, weights: Mapping[str, float], count: int = 5) -> str:
    """What the test log loss of the mixture ``weights`` on ``run`` is made of: the rows at the
    probability floor, the ``count`` costliest rows (and each member's probability of their
    class there) and the rest.

    >>> from bench.quality.replay import synthetic_replay
    >>> print(costliest_rows(synthetic_replay(0), {"identity": 1.0}, 2).splitlines()[0][:45])
    synthetic/0: test log loss 0.5405; 200 rows,
    """
    p = np.clip(shipped_predictions(run, weights), CLIP, 1.0 - CLIP)
    loss = -np.where(run.test_labels, np.log(p), np.log1p(-p))
    n = loss.shape[0]
    at_floor = np.isclose(np.where(run.test_labels, 1.0 - p, p), run.floor, rtol=1e-6)
    order = np.argsort(-loss)
    top, rest = order[:count], order[count:]
    lines = [f"{run.run_id}: test log loss {loss.mean():.4f}; {n} rows, {int(at_floor.sum())} "
             f"at the floor {run.floor:.5f} ({loss[at_floor].sum() / n:.4f}), the {count} "
             f"costliest {loss[top].sum() / n:.4f} (each {np.round(loss[top], 3).tolist()}), "
             f"the rest {loss[rest][~at_floor[rest]].sum() / n:.4f}"]
    for k, method in enumerate(run.methods):
        if method in weights:
            q = run.test[k][top]
            own = np.where(run.test_labels[top], q, 1.0 - q)
            lines.append(f"    {method:12s} weight {weights[method]:.3f}, its probability of "
                         f"those rows' class {np.round(own, 3).tolist()}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.replay_rules",
                                     description="What the shipped mixture's test log loss "
                                                 "of cached runs is made of")
    parser.add_argument("--cache", required=True, help="a cache of bench.quality.replay")
    parser.add_argument("runs", nargs="+", metavar="RUN_ID", help="dataset/model/seed")
    args = parser.parse_args(argv)
    for run_id in args.runs:
        print(costliest_rows(load(args.cache, run_id), current_rule(load(args.cache, run_id))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
