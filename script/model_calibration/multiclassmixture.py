"""Multi-class ``auto``'s stacked mixture: a convex combination of the multi-class candidates'
class-probability vectors, with weights fitted on the inner cross-validation's held-out
predictions.

The binary mixture (:mod:`.mixture`) carried over to classes: every candidate (identity,
temperature, vector, dirichlet, the one-vs-rest methods) is fitted on all rows and the mixture
ships ``p(s) = sum_k w_k p_k(s)``, a class-probability vector whose entries sum to 1 as each
member's do. The weights ``w`` on the simplex maximise the held-out log-likelihood of the
candidates' held-out predictions (the same folds and repeats ``auto`` scores them on) under the
Dirichlet prior of ``MIXTURE_PRIOR_ROWS`` pseudo-rows per candidate (maximum a posteriori by EM:
Dempster, Laird and Rubin 1977; stacking: Wolpert 1992, Breiman 1996). Weights below
``MIXTURE_MIN_WEIGHT`` are dropped and the others renormalised.

:func:`class_stacking_weights` can score each held-out row against a smoothed label (its own
class with weight ``1 - eps``, each other class with ``eps / (classes - 1)``), as the binary
weights do with ``eps = 1 / (2 (n_eff + 1))``; the shipped weights use none
(``MULTICLASS_MIXTURE_SMOOTHING``): with the Krichevsky-Trofimov rate the weights moved toward
the one-vs-rest candidates, whose bounded outputs hedge, and on the near-separable wine runs of
the quality benchmark that cost 0.01-0.02 nats a run (docs/methods.md). The candidates keep
their own bounds (every one-vs-rest member is bounded under ``auto``; vector and dirichlet mix
in a uniform share), so only identity (and temperature, when named) can give a class next to
nothing, and it takes weight only where its held-out predictions earn it.

As the binary one, the mixture ships on an honest held-out log loss
(:func:`class_honest_log_loss`: each inner fold's rows scored by weights fitted on the other
folds' held-out predictions), at every size up to ``MIXTURE_MAX_ROWS``: the weights fitted to
the same predictions they are judged on flatter the mixture on a few dozen rows (iris and wine:
45-54), the honest estimate does not. It ships in place of the rule's pick (identity included)
when two or more candidates keep weight and that loss is at most identity's, as the binary
mixture does. It is not held to the pick's own held-out loss: a selected candidate's loss is the
lowest of several noisy estimates, and that test kept the pick where the mixture was better on
data the rules were not tuned on (docs/methods.md).

Examples
--------
>>> held = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.4, 0.6]]])  # 2 candidates
>>> weights, loss = class_stacking_weights(held, np.array([0, 1]), np.ones(2), 0.0, 0.0)
>>> weights.round(3).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt

from .artifact import MIXTURE_METHOD, MultiCalibrator
from .jsonvalues import JsonDict, json_get, json_number
from .logs import logger
from .mixture import (HONEST_MAX_ITERATIONS, MIXTURE_MAX_ITERATIONS, MIXTURE_MIN_WEIGHT,
                      MIXTURE_PRIOR_ROWS, em_weights, kept_weights)
from .numerics import CLIP_EPSILON, BoolArray, FloatArray, IntArray

MULTICLASS_MIXTURE_SMOOTHING = 0.0
"""The label smoothing of the multi-class weights: none (measured: docs/methods.md)."""


def smoothed_targets(labels: IntArray, classes: int, eps: float) -> FloatArray:
    """Each row's target distribution: ``1 - eps`` on its label, ``eps / (classes - 1)`` on
    every other class.

    >>> smoothed_targets(np.array([1]), 3, 0.1).round(3).tolist()
    [[0.05, 0.9, 0.05]]
    """
    out: FloatArray = np.full((labels.shape[0], classes), eps / (classes - 1))
    out[np.arange(labels.shape[0]), labels] = 1.0 - eps
    return out


def class_stacking_weights(held: FloatArray, labels: IntArray, row_weights: FloatArray,
                           eps: float, prior_rows: float = MIXTURE_PRIOR_ROWS, repeats: int = 1,
                           start: Optional[FloatArray] = None,
                           max_iterations: int = MIXTURE_MAX_ITERATIONS
                           ) -> tuple[FloatArray, float]:
    """The mixture weights of the candidates' held-out class probabilities ``held``
    (``(candidates, predictions, classes)``; each row once per inner repeat, of ``repeats``)
    and their mixture's mean held-out log loss against the targets smoothed by ``eps``.

    Maximises ``sum_i v_i sum_c t_ic ln m_ic + prior_rows sum_k ln w_k`` over the simplex,
    ``m_i = sum_k w_k p_ki``, ``t_i`` the :func:`smoothed_targets` and ``v_i`` the row weights
    scaled to sum to the effective row count of the rows (not of their repeats), by EM from
    uniform weights (each step raises the objective).

    >>> held = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.4, 0.6]]])
    >>> w, loss = class_stacking_weights(held, np.array([0, 1]), np.ones(2), 0.0, 1.0)
    >>> w.round(3).tolist(), round(loss, 4)
    ([0.581, 0.419], 0.2947)
    """
    candidates = held.shape[0]
    n_eff = float(row_weights.sum()) ** 2 / float(np.dot(row_weights, row_weights)) / repeats
    v = row_weights * (n_eff / float(row_weights.sum()))
    p = np.clip(held, CLIP_EPSILON, 1.0)
    if eps > 0.0:  # every (row, class) pair is an observation, weighing its target share
        observed = p.reshape(candidates, -1)
        shares = (smoothed_targets(labels, held.shape[2], eps) * v[:, None]).ravel()
    else:  # only each row's own class
        observed, shares = p[:, np.arange(labels.shape[0]), labels], v
    weights = em_weights(observed, shares, prior_rows, start, max_iterations)
    return weights, class_mixture_log_loss(held, labels, row_weights, eps, weights)


def class_mixture_log_loss(held: FloatArray, labels: IntArray, row_weights: FloatArray,
                           eps: float, weights: FloatArray) -> float:
    """The weighted mean log loss of the mixture ``weights`` of ``held`` (``(candidates,
    predictions, classes)``) against the targets smoothed by ``eps``.

    >>> round(class_mixture_log_loss(np.full((1, 2, 2), 0.5), np.array([0, 1]), np.ones(2),
    ...                              0.1, np.array([1.0])), 4)
    0.6931
    """
    mixed = np.einsum("k,kic->ic", weights, np.clip(held, CLIP_EPSILON, 1.0))
    loss = -(smoothed_targets(labels, held.shape[2], eps) * np.log(mixed)).sum(axis=1)
    return float(np.dot(row_weights, loss) / row_weights.sum())


def class_honest_log_loss(held: FloatArray, labels: IntArray, row_weights: FloatArray,
                          folds: npt.NDArray[np.int8], methods: Sequence[str],
                          start: Optional[FloatArray] = None) -> float:
    """The held-out log loss of the stacked mixture, its weights for each inner fold fitted on
    the other folds' held-out predictions: ``held`` is ``(candidates, repeats, rows,
    classes)`` and ``folds`` each row's inner fold in each repeat (``(repeats, rows)``); the
    weights are fitted as :func:`class_stacking_weights` (one repeat, no smoothing; from
    ``start``, the weights fitted on every fold, whose maximum is near; at most
    ``HONEST_MAX_ITERATIONS`` steps) and kept as :func:`~.mixture.kept_weights`. The
    multi-class counterpart of :func:`~.mixture.honest_log_loss`.

    >>> held = np.array([[[[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7]]],
    ...                  [[[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.4, 0.6]]]])
    >>> round(class_honest_log_loss(held, np.array([0, 0, 1, 1]), np.ones(4),
    ...                             np.array([[0, 1, 0, 1]]), ["vector", "identity"]), 4)
    0.2373
    """
    mixed = np.empty(held.shape[1:])
    for r, test in _inner_folds(folds):
        fitted, _ = class_stacking_weights(held[:, r, ~test], labels[~test], row_weights[~test],
                                           0.0, start=start, max_iterations=HONEST_MAX_ITERATIONS)
        mixed[r, test] = np.einsum("k,kic->ic", _kept(methods, fitted), held[:, r, test])
    repeats = folds.shape[0]
    return class_mixture_log_loss(mixed.reshape(1, -1, held.shape[-1]),
                                  np.tile(labels, repeats), np.tile(row_weights, repeats), 0.0,
                                  np.ones(1))


def _inner_folds(folds: npt.NDArray[np.int8]) -> Iterator[tuple[int, BoolArray]]:
    """Each repeat's index and each of its inner folds' rows (a mask), of ``folds`` (each row's
    inner fold per repeat)."""
    for r in range(folds.shape[0]):
        for g in np.unique(folds[r]):
            yield r, folds[r] == g


def _kept(methods: Sequence[str], fitted: FloatArray) -> FloatArray:
    """The weights ``fitted`` to ``methods`` as :func:`~.mixture.kept_weights` keeps them, 0
    for a dropped one, in the order of ``methods``."""
    weights = kept_weights(methods, fitted)
    return np.array([weights.get(m, 0.0) for m in methods])


def stack_classes(choice: Mapping[str, object], held: Mapping[str, FloatArray],
                  labels: IntArray, row_weights: FloatArray, folds: npt.NDArray[np.int8]
                  ) -> JsonDict:
    """``choice`` (:func:`~.crossfit.choose_by_log_loss`'s record) with the stacked mixture of
    the candidates' held-out class probabilities ``held`` (``(repeats, rows, classes)`` each;
    ``labels`` and ``row_weights`` per row; ``folds`` each row's inner fold per repeat): its
    record under ``mixture`` and, when it ships (two or more members, and an honest held-out
    loss, :func:`class_honest_log_loss`, at most identity's), ``selected:
    mixture`` with the rule's own pick kept as ``rule_selected``.

    >>> choice = {"selected": "vector", "reason": "r",
    ...           "candidates": {"vector": {"log_loss": 0.9}, "dirichlet": {"log_loss": 0.95}}}
    >>> held = {"vector": np.array([[[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]]]),
    ...         "dirichlet": np.array([[[0.6, 0.4], [0.1, 0.9], [0.7, 0.3], [0.4, 0.6]]])}
    >>> out = stack_classes(choice, held, np.array([0, 1, 1, 0]), np.ones(4),
    ...                     np.array([[0, 0, 1, 1]]))
    >>> out["selected"], out["mixture"]["shipped"], sorted(out["mixture"]["weights"])
    ('mixture', True, ['dirichlet', 'vector'])
    """
    if len(held) < 2:
        return dict(choice)
    stacked, all_labels, all_weights, repeats = _every_repeat(held, labels, row_weights)
    methods = list(held)
    eps = MULTICLASS_MIXTURE_SMOOTHING
    raw, _ = class_stacking_weights(stacked, all_labels, all_weights, eps, repeats=repeats)
    weights = kept_weights(methods, raw)
    loss = class_mixture_log_loss(stacked, all_labels, all_weights, eps, _kept(methods, raw))
    selected = str(choice["selected"])
    ceiling = class_mixture_log_loss(stacked, all_labels, all_weights, eps, np.array(
        [float(m == "identity") for m in methods])) if "identity" in held else math.inf
    honest = class_honest_log_loss(np.stack([held[m] for m in methods]), labels, row_weights,
                                   folds, methods, raw)
    ships = len(weights) >= 2 and honest <= ceiling
    out: JsonDict = dict(choice)
    out["mixture"] = {
        "weights": weights, "log_loss": loss, "honest_log_loss": honest, "shipped": ships,
        "label_smoothing": eps,
        "fitted_weights": {m: float(w) for m, w in zip(methods, raw)},
        "rule": f"EM on the held-out class probabilities against labels smoothed by "
                f"label_smoothing (spread over the other classes; 0: none), Dirichlet prior of "
                f"{MIXTURE_PRIOR_ROWS:g} pseudo-rows per candidate; weights below "
                f"{MIXTURE_MIN_WEIGHT:g} dropped; shipped when two or more members remain and "
                "its honest held-out log loss (each inner fold's weights fitted on the other "
                "folds) is at most identity's"}
    if ships:
        out.update(rule_selected=selected, selected=MIXTURE_METHOD,
                   reason=_shipped_reason(choice, weights, honest))
        logger.info("auto ships the stacked multi-class mixture %s", weights)
    return out


def _every_repeat(held: Mapping[str, FloatArray], labels: IntArray, row_weights: FloatArray
                  ) -> tuple[FloatArray, IntArray, FloatArray, int]:
    """The candidates' held-out predictions of every repeat as one ``(candidates, repeats *
    rows, classes)`` array, with each prediction's label and row weight, and the repeats."""
    repeats = next(iter(held.values())).shape[0]
    stacked = np.stack([p.reshape(-1, p.shape[-1]) for p in held.values()])
    return stacked, np.tile(labels, repeats), np.tile(row_weights, repeats), repeats


def _shipped_reason(choice: Mapping[str, object], weights: Mapping[str, float], loss: float
                    ) -> str:
    """Why ``auto`` ships the mixture of ``weights`` (honest held-out ``loss``) in place of
    ``choice``'s pick."""
    selected = str(choice["selected"])
    pick = json_number(json_get(choice, "candidates", selected)["log_loss"])
    shares = ", ".join(f"{m} {w:.3f}" for m, w in weights.items())
    return (f"the stacked mixture ({shares}), honest held-out log loss {loss:.6f}, in place "
            f"of the rule's pick {selected} ({pick:.6f}: {choice['reason']})")


def class_mixture_calibrator(components: Sequence[MultiCalibrator], weights: Sequence[float]
                             ) -> MultiCalibrator:
    """The mixture of fitted multi-class calibrators ``components`` (of the same classes) with
    ``weights`` (summing to 1); its ``fit`` records the weights and the components' warnings.

    >>> from .apply import apply_multiclass
    >>> temp = MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...                        clip_epsilon=1e-15, names=("a", "b"), score_fields=("a", "b"),
    ...                        label_fields=("y",), scale=1.0, bias=(0.0, 0.0))
    >>> import dataclasses
    >>> flat = dataclasses.replace(temp, scale=1e-9)
    >>> mix = class_mixture_calibrator([temp, flat], [0.5, 0.5])
    >>> apply_multiclass(mix, np.array([[2.0, 0.0]])).round(4).tolist()
    [[0.6904, 0.3096]]
    """
    warnings = [w for c in components if isinstance(ws := c.fit.get("warnings"), list)
                for w in ws]
    fit: JsonDict = {"weights": {c.method: float(w) for c, w in zip(components, weights)}}
    if warnings:
        fit["warnings"] = warnings
    first = components[0]
    return MultiCalibrator(mode=first.mode, method=MIXTURE_METHOD, score_space=first.score_space,
                           clip_epsilon=first.clip_epsilon, names=first.names,
                           score_fields=first.score_fields, label_fields=first.label_fields,
                           components=tuple(components),
                           weights=tuple(float(w) for w in weights), fit=fit)
