"""Other ways of weighing binary ``auto``'s stacked mixture on few rows, replayed on the cached
runs of :mod:`bench.quality.replay`.

On 45-171 rows the stacking weights are a noisy estimate: they are fitted on the very inner
held-out predictions whose rows are few, so a member that a few rows favour takes weight. Yao,
Vehtari, Simpson and Gelman ("Using stacking to average Bayesian predictive distributions",
Bayesian Analysis 2018) regularise such weights by the Bayesian bootstrap (Rubin 1981: each
row's weight drawn from ``Dirichlet(1, ..., 1)``), which takes the weights' uncertainty into
account where rows are few and vanishes as they grow. The rules here:

- :func:`bootstrap_stacking_rule`: the stacking weights averaged over Bayesian-bootstrap draws
  of the calibration rows (the same draw for every inner repeat of a row);
- :func:`pseudo_bma_rule`: pseudo-BMA+ (Yao et al. 2018, section 3.3): each draw's weights
  ``softmax(n sum_i a_i elpd_ki)`` from the candidates' per-row held-out log scores, averaged;
- :func:`identity_margin_rule`: the script's mixture, shipped only where its honest per-row
  losses beat identity's by more than a margin of standard errors (else the selection's pick);

each below a count of calibration rows (the script's mixture elsewhere), each shipped where the
script would ship its own mixture (two or more members keep weight and the honest loss of the
stacked mixture is at most identity's), else the selection rule's pick. ``RULES`` lists them by
the names ``python -m bench.quality.replay judge --rules`` takes.

Usage::

    python -m bench.quality.replay judge --results RESULTS.json --cache DIR \
        --rules bootstrap_stacking_below_200 pseudo_bma_below_200

Examples
--------
>>> from bench.quality.replay import synthetic_replay
>>> run = synthetic_replay(0, scores_scale=0.5)
>>> weights = bootstrap_stacking_rule(20)(run)
>>> sorted(weights), round(sum(weights.values()), 6)
(['identity', 'platt'], 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Optional

import numpy as np

from bench.quality.metrics import FloatArray
from bench.quality.replay import (Replay, Rule, beats_by_one_se, current_rule,
                                  row_losses, separated)

SEED = 20180917
"""The Bayesian bootstrap's seed (fixed: a rule replays the same on every run)."""


def _mixture_weights(run: Replay) -> tuple[dict[str, float], FloatArray, float]:
    """The script's stacked mixture of ``run``: its kept weights, its honest per-row losses and
    the smoothing its weights were fitted against."""
    from calibration_step.script.model_calibration.mixture import (honest_predictions,
                                                                   kept_weights,
                                                                   stacking_weights)

    methods = list(run.methods)
    repeats = run.held.shape[1]
    eps = 0.0 if separated(run) else run.eps
    raw, _ = stacking_weights(run.held.reshape(len(methods), -1), np.tile(run.labels, repeats),
                              np.tile(run.w, repeats), eps, repeats=repeats)
    honest = honest_predictions(run.held, run.labels, run.w, eps, run.folds, methods, raw)
    return kept_weights(methods, raw), row_losses(honest, run.labels, run.eps), eps


def _identity_ceiling(run: Replay) -> float:
    identity = run.choice["candidates"].get("identity", {}).get("log_loss")
    return math.inf if "identity" not in run.methods else float(identity)


def _gated(run: Replay, weights: Callable[[Replay, float], dict[str, float]],
           below: Optional[int]) -> dict[str, float]:
    """``weights(run, eps)`` where the script would ship its mixture on ``run`` (and ``run`` has
    fewer than ``below`` calibration rows; every run when None), the script's own mixture on
    larger runs, else the selection rule's pick."""
    if below is not None and run.labels.shape[0] >= below:
        return current_rule(run)
    kept, honest, eps = _mixture_weights(run)
    if len(kept) < 2 or float(np.dot(run.w, honest)) / float(run.w.sum()) > \
            _identity_ceiling(run):
        return {str(run.choice["selected"]): 1.0}
    out = weights(run, eps)
    return out if len(out) >= 2 else kept


def _draws(rows: int, count: int) -> FloatArray:
    """``count`` Bayesian-bootstrap draws of ``rows`` row weights (``Dirichlet(1, ..., 1)``,
    scaled to sum to ``rows``)."""
    out: FloatArray = np.random.default_rng(SEED).dirichlet(np.ones(rows), size=count) * rows
    return out


def bootstrap_stacking_rule(draws: int, below: Optional[int] = None) -> Rule:
    """The stacking weights averaged over ``draws`` Bayesian-bootstrap draws of the calibration
    rows' weights (each draw fitted as the script fits its weights; the average kept as
    ``kept_weights``), below ``below`` calibration rows."""
    from calibration_step.script.model_calibration.mixture import kept_weights, stacking_weights

    def weights(run: Replay, eps: float) -> dict[str, float]:
        repeats = run.held.shape[1]
        held = run.held.reshape(len(run.methods), -1)
        labels = np.tile(run.labels, repeats)
        total = np.zeros(len(run.methods))
        for draw in _draws(run.labels.shape[0], draws):
            raw, _ = stacking_weights(held, labels, np.tile(run.w * draw, repeats), eps,
                                      repeats=repeats)
            total += raw
        return kept_weights(run.methods, total / draws)

    return lambda run: _gated(run, weights, below)


def pseudo_bma_rule(draws: int, below: Optional[int] = None) -> Rule:
    """Pseudo-BMA+ weights (Yao et al. 2018): for each of ``draws`` Bayesian-bootstrap draws
    ``a`` of the rows (mean 1), ``softmax_k(sum_i v_i a_i elpd_ki)``, ``v`` the row weights
    scaled to sum to the effective rows and ``elpd_ki`` candidate ``k``'s held-out log score of
    row ``i`` (its smoothed loss averaged over the repeats, negated), averaged over the draws,
    below ``below`` calibration rows."""
    from calibration_step.script.model_calibration.mixture import kept_weights

    def weights(run: Replay, eps: float) -> dict[str, float]:
        n = run.labels.shape[0]
        elpd = -np.stack([row_losses(run.held[k], run.labels, eps)
                          for k in range(len(run.methods))])
        v = run.w * (float(run.w.sum()) / float(np.dot(run.w, run.w)))  # sums to n_eff
        total = np.zeros(len(run.methods))
        for draw in _draws(n, draws):
            z = (elpd * (v * draw)).sum(axis=1)
            z = np.exp(z - z.max())
            total += z / z.sum()
        return kept_weights(run.methods, total / draws)

    return lambda run: _gated(run, weights, below)


def identity_margin_rule(margin: float, below: Optional[int] = None) -> Rule:
    """The script's mixture where its honest per-row losses beat identity's inner held-out
    per-row losses by more than ``margin`` standard errors of their paired difference (or
    identity is no candidate), else the selection rule's pick; below ``below`` rows."""
    def rule(run: Replay) -> dict[str, float]:
        if below is not None and run.labels.shape[0] >= below:
            return current_rule(run)
        shipped = current_rule(run)
        if len(shipped) < 2 or "identity" not in run.methods:
            return shipped
        _, honest, _ = _mixture_weights(run)
        identity = row_losses(run.held[run.methods.index("identity")], run.labels, run.eps)
        if beats_by_one_se(honest, identity, run.w, margin):
            return shipped
        return {str(run.choice["selected"]): 1.0}

    return rule


RULES: Mapping[str, Callable[[], Rule]] = {
    "bootstrap_stacking": lambda: bootstrap_stacking_rule(20),
    "bootstrap_stacking_below_200": lambda: bootstrap_stacking_rule(20, 200),
    "bootstrap_stacking_below_100": lambda: bootstrap_stacking_rule(20, 100),
    "bootstrap_stacking_50_draws_below_100": lambda: bootstrap_stacking_rule(50, 100),
    "pseudo_bma_below_200": lambda: pseudo_bma_rule(100, 200),
    "pseudo_bma_below_100": lambda: pseudo_bma_rule(100, 100),
    "identity_margin_1_se": lambda: identity_margin_rule(1.0),
    "identity_margin_0.5_se": lambda: identity_margin_rule(0.5),
    "identity_margin_1_se_below_200": lambda: identity_margin_rule(1.0, 200),
}
"""The rules measured, by name (docs/methods.md)."""
