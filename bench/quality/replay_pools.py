"""The logarithmic opinion pool as binary ``auto``'s mixture, replayed on the cached runs of
:mod:`bench.quality.replay`.

The script's stacked mixture is a linear pool, ``sum_k w_k p_k``. A linear pool of calibrated
members is less confident than they are wherever they disagree (Ranjan and Gneiting, "Combining
probability forecasts", JRSS B 2010: it is never calibrated unless the members agree), which
is what ``auto`` pays on a separable set's test rows between the classes. The logarithmic
pool (Genest and Zidek, "Combining probability distributions", Statistical Science 1986;
Heskes, "Selecting weighting factors in logarithmic opinion pools", NIPS 1998) mixes the
members' log-odds instead, ``sigmoid(sum_k w_k logit p_k)`` with ``w`` on the simplex: it keeps
the linear pool's guarantees (binary log loss is convex in the log-odds, so its loss on a row
is at most its members' weighted mean loss; no output beyond its members'), is sharper where
the members disagree, and its weights are a convex fit (a logistic regression on the members'
held-out log-odds, no intercept, coefficients on the simplex).

:func:`logit_pool_rule` weighs it as the script weighs its mixture (on every inner repeat's
held-out predictions, against the smoothed labels, or the labels as they are where the run is
:func:`~bench.quality.replay.separated`; members below ``MIXTURE_MIN_WEIGHT`` dropped; an
honest held-out loss with each inner fold's weights fitted on the other folds) and ships it
where two or more members keep weight and that honest loss is at most identity's, from a count
of calibration rows on; elsewhere the script's own rule ships. ``RULES`` names them for
``judge --rules`` (``python -m bench.quality.replay judge --results RESULTS.json --cache DIR
--rules logit_pool logit_pool_from_100``); the judge mixes the weights of a
:class:`~bench.quality.replay.LogitWeights` in log-odds.

>>> from bench.quality.replay import synthetic_replay
>>> pooled = logit_pool_rule()(synthetic_replay(0, scores_scale=0.5))
>>> isinstance(pooled, LogitWeights), sorted(pooled)
(True, ['identity', 'platt'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Optional

import numpy as np

from bench.quality.metrics import FloatArray
from bench.quality.replay import (LogitWeights, Replay, Rule, SharpenedWeights,
                                  current_rule, row_losses, separated)
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, logit, sigmoid


def logit_pool_weights(held: FloatArray, labels: Any, row_weights: FloatArray, eps: float,
                       start: Optional[FloatArray] = None) -> FloatArray:
    """The weights on the simplex of the logarithmic pool ``sigmoid(w @ logit(held))`` of the
    candidates' held-out predictions ``held`` (``(candidates, predictions)``) that minimise its
    weighted mean log loss against labels smoothed by ``eps`` (a convex problem; SLSQP from
    ``start``, uniform when None).

    >>> held = np.array([[0.9, 0.2, 0.8], [0.6, 0.4, 0.6]])
    >>> logit_pool_weights(held, np.array([True, False, True]), np.ones(3), 0.0).round(3).tolist()
    [1.0, 0.0]
    """
    from scipy.optimize import LinearConstraint, minimize

    z = logit(held, CLIP_EPSILON)
    sign = np.where(labels, 1.0, -1.0)
    total = float(row_weights.sum())

    def objective(w: FloatArray) -> tuple[float, FloatArray]:
        margin = sign * (w @ z)
        loss = (1.0 - eps) * np.logaddexp(0.0, -margin) + eps * np.logaddexp(0.0, margin)
        right = 0.5 * (1.0 + np.tanh(0.5 * margin))  # sigmoid(margin), without overflow
        slope = sign * (eps * right - (1.0 - eps) * (1.0 - right))
        return float(np.dot(row_weights, loss)) / total, (z @ (row_weights * slope)) / total

    k = held.shape[0]
    x0: FloatArray = np.full(k, 1.0 / k) if start is None else start
    fitted = minimize(objective, x0, jac=True, method="SLSQP", bounds=[(0.0, 1.0)] * k,
                      constraints=LinearConstraint(np.ones((1, k)), 1.0, 1.0),
                      options={"ftol": 1e-10, "maxiter": 200})
    weights = np.clip(np.asarray(fitted.x, dtype=np.float64), 0.0, None)
    out: FloatArray = weights / weights.sum()
    return out


def _kept(methods: list[str], raw: FloatArray) -> FloatArray:
    from calibration_step.script.model_calibration.mixture import kept_weights

    kept = kept_weights(methods, raw)
    return np.array([kept.get(m, 0.0) for m in methods])


def honest_logit_losses(run: Replay, eps: float, start: FloatArray) -> FloatArray:
    """Each calibration row's honest held-out loss of the logarithmic pool against the run's
    smoothed labels (averaged over the repeats): in each repeat, the rows of inner fold ``g``
    get the pool whose weights (against labels smoothed by ``eps``, kept as the script keeps
    its mixture's) were fitted on the other folds' held-out predictions."""
    methods = list(run.methods)
    z = logit(run.held, CLIP_EPSILON)
    mixed = np.empty(run.held.shape[1:])
    for r in range(run.held.shape[1]):
        for g in np.unique(run.folds[r]):
            test = run.folds[r] == g
            raw = logit_pool_weights(run.held[:, r, ~test], run.labels[~test], run.w[~test],
                                     eps, start)
            mixed[r, test] = sigmoid(_kept(methods, raw) @ z[:, r, test])
    return row_losses(mixed, run.labels, run.eps)


def logit_pool_rule(from_rows: int = 0) -> Rule:
    """The logarithmic pool where the script would weigh a mixture the same way and it keeps
    two or more members with an honest held-out loss at most identity's, on runs of at least
    ``from_rows`` calibration rows; elsewhere the script's rule (:func:`current_rule`)."""
    from calibration_step.script.model_calibration.mixture import kept_weights

    def rule(run: Replay) -> Mapping[str, float]:
        if run.labels.shape[0] < from_rows:
            return current_rule(run)
        methods = list(run.methods)
        repeats = run.held.shape[1]
        eps = 0.0 if separated(run) else run.eps
        raw = logit_pool_weights(run.held.reshape(len(methods), -1),
                                 np.tile(run.labels, repeats), np.tile(run.w, repeats), eps)
        weights = kept_weights(methods, raw)
        identity = run.choice["candidates"].get("identity", {}).get("log_loss")
        ceiling = math.inf if "identity" not in methods else float(identity)
        honest = honest_logit_losses(run, eps, raw)
        if len(weights) < 2 or float(np.dot(run.w, honest)) / float(run.w.sum()) > ceiling:
            return current_rule(run)
        return LogitWeights(weights)

    return rule


SHARPENING_SCALES = np.exp(np.linspace(math.log(0.5), math.log(3.0), 61))
"""The scales of the mixture's log-odds :func:`sharpened_pool_rule` chooses among."""


def sharpened_pool_rule(weights_smoothing: bool = False) -> Rule:
    """The script's mixture with its log-odds multiplied by the scale (of
    ``SHARPENING_SCALES``) whose honest held-out predictions (each inner fold's weights fitted
    on the other folds) have the least log loss against the run's smoothed labels, or with
    ``weights_smoothing`` against the labels the weights saw (as they are where the run is
    :func:`separated`): Ranjan and Gneiting's beta-transformed linear pool (2010) with one
    parameter; where the script ships no mixture, its rule."""
    from calibration_step.script.model_calibration.mixture import (honest_predictions,
                                                                   stacking_weights)

    def rule(run: Replay) -> Mapping[str, float]:
        shipped = current_rule(run)
        if len(shipped) < 2:
            return shipped
        methods = list(run.methods)
        repeats = run.held.shape[1]
        eps = 0.0 if separated(run) else run.eps
        raw, _ = stacking_weights(run.held.reshape(len(methods), -1),
                                  np.tile(run.labels, repeats), np.tile(run.w, repeats), eps,
                                  repeats=repeats)
        z = logit(honest_predictions(run.held, run.labels, run.w, eps, run.folds, methods, raw),
                  CLIP_EPSILON)
        smoothing = eps if weights_smoothing else run.eps
        losses = [float(np.dot(run.w, row_losses(sigmoid(a * z), run.labels,
                                                 smoothing))) for a in SHARPENING_SCALES]
        return SharpenedWeights(shipped, float(SHARPENING_SCALES[int(np.argmin(losses))]))

    return rule


RULES: Mapping[str, Callable[[], Rule]] = {
    "logit_pool": lambda: logit_pool_rule(),
    "logit_pool_from_100": lambda: logit_pool_rule(100),
    "sharpened_pool": lambda: sharpened_pool_rule(),
    "sharpened_pool_weights_smoothing": lambda: sharpened_pool_rule(True),
}
"""The rules measured, by name (docs/methods.md)."""
