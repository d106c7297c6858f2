"""``auto``'s stacked mixture: a convex combination of the binary candidates' calibrated
probabilities, with weights fitted on the inner cross-validation's held-out predictions.

On a few hundred rows the inner cross-validation cannot tell the candidates apart reliably, so
shipping the one that scored best (or the simplest one within a standard error of it) often
ships a loser by luck. Stacking (Wolpert 1992; Breiman, "Stacked regressions", 1996) ships
``p(s) = sum_k w_k p_k(s)`` instead, every candidate ``p_k`` fitted on all rows and the weights
``w`` on the simplex fitted to the held-out predictions ``p_k`` of every row (the same folds and
repeats ``auto`` scores the candidates on). Log loss is convex in the prediction, so the
mixture's loss is at most the weighted mean of its members': it cannot lose badly to any member
it gives weight, and identity (a candidate) keeps ``auto`` near the uncalibrated scores when no
calibrator helps.

The weights maximise the held-out log-likelihood (against the same smoothed labels as the
selection, :func:`~.crossfit.miss_rate`; against the labels as they are where some
candidate's held-out predictions put every row on its own side of 1/2, :func:`separated`:
there every member but identity is already bounded by the same rate, and the smoothing would
only discount the gain of the members right beyond the bound) under a light Dirichlet prior
toward uniform of
``MIXTURE_PRIOR_ROWS`` pseudo-rows per candidate (maximum a posteriori by EM: Dempster, Laird
and Rubin 1977); the repeated inner splits and the smoothed labels are what keep a candidate
lucky in one split from taking every weight, and a heavier prior pulls weight toward the
candidates that are poor on few rows (measured: docs/methods.md). Weights below
``MIXTURE_MIN_WEIGHT`` are dropped (the rest renormalised): on many rows the likelihood
concentrates on the best one or two candidates.

The weights are fitted on the very predictions their mixture would be judged on, so that
mixture's held-out loss flatters it (on 45 rows a sharp member takes weight by luck). So the
mixture is judged by honest stacking (the combiner cross-validated in turn): each inner fold's rows get the mixture whose weights were fitted on the
other folds' held-out predictions (of the same repeat), and that mixture's held-out log loss
(``honest_log_loss``) is what the mixture ships on: two or more members keep weight and it is
at most identity's, so ``auto`` stays no worse than the scores in its own, honest estimate. It
then ships in place of the rule's pick, identity included (the rule's one-standard-error margin
favours identity, whose heavy-tailed per-row losses have a large standard error; the honest
estimate needs no such margin). Above ``MIXTURE_MAX_ROWS`` rows ``auto`` ships its single
selection as before: there the inner cross-validation's standard errors are a few thousandths
of a nat, so the selection is stable, and fitting every candidate on every outer fold would
cost time for no measurable gain.

Examples
--------
>>> held = np.array([[0.9, 0.2, 0.8], [0.6, 0.4, 0.6]])  # two candidates, three rows
>>> weights, loss = stacking_weights(held, np.array([True, False, True]), np.ones(3), 0.0, 0.0)
>>> weights.round(3).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Optional, TypeVar

import numpy as np
import numpy.typing as npt

from .artifact import MIXTURE_METHOD, Calibrator
from .jsonvalues import JsonDict, json_number
from .logs import logger
from .numerics import CLIP_EPSILON, BoolArray, FloatArray

MIXTURE_PRIOR_ROWS = 0.02
"""The Dirichlet prior's pseudo-rows per candidate (concentration ``1 + MIXTURE_PRIOR_ROWS``)."""
MIXTURE_MIN_WEIGHT = 0.01
"""Weights below this are dropped and the others renormalised."""
MIXTURE_MAX_ROWS = 10_000
"""Above this many rows ``auto`` ships its single selection (no mixture)."""
MIXTURE_MAX_ITERATIONS = 1000
MIXTURE_TOLERANCE = 1e-9
"""EM stops once no weight moves by more than this."""
HONEST_MAX_ITERATIONS = 100
"""The most EM steps of each inner fold's weights behind the honest held-out loss, from the
weights of every fold: EM converges linearly (on thousands of rows it can take more than
``MIXTURE_MAX_ITERATIONS`` steps to ``MIXTURE_TOLERANCE``), and a few hundredths of a weight
do not change whether the mixture ships."""

T = TypeVar("T")


def _true_class_probabilities(held: FloatArray, labels: BoolArray) -> tuple[FloatArray,
                                                                             FloatArray]:
    """Each candidate's held-out probability of each row's own class and of the other class,
    clipped to ``[CLIP_EPSILON, 1 - CLIP_EPSILON]`` as the log loss clips them."""
    p = np.clip(held, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    own: FloatArray = np.where(labels, p, 1.0 - p)
    other: FloatArray = 1.0 - own
    return own, other


def stacking_weights(held: FloatArray, labels: BoolArray, row_weights: FloatArray, eps: float,
                     prior_rows: float | FloatArray = MIXTURE_PRIOR_ROWS, repeats: int = 1,
                     start: Optional[FloatArray] = None,
                     max_iterations: int = MIXTURE_MAX_ITERATIONS) -> tuple[FloatArray, float]:
    """The mixture weights of the candidates' held-out predictions ``held`` (``(candidates,
    predictions)``: probabilities of the positive class; each row once per inner repeat, of
    ``repeats``) and their mixture's mean held-out log loss.

    Maximises ``sum_i v_i [(1 - eps) ln m_i(y_i) + eps ln m_i(1 - y_i)] + prior_rows sum_k ln
    w_k`` over the simplex, ``m_i = sum_k w_k p_ki`` and ``v_i`` the weights scaled to sum to
    the effective row count of the rows (not of their repeats: a repeat adds no row), so the
    prior weighs as ``prior_rows`` rows per candidate (or candidate ``k`` as ``prior_rows[k]``)
    whatever the weights' unit; by :func:`em_weights` from ``start``, for at most
    ``max_iterations`` steps.

    >>> held = np.array([[0.9, 0.2], [0.6, 0.4]])
    >>> w, loss = stacking_weights(held, np.array([True, False]), np.ones(2), 0.0, 1.0)
    >>> w.round(3).tolist(), round(loss, 4)
    ([0.581, 0.419], 0.2947)
    """
    n_eff = float(row_weights.sum()) ** 2 / float(np.dot(row_weights, row_weights)) / repeats
    v = row_weights * (n_eff / float(row_weights.sum()))
    own, other = _true_class_probabilities(held, labels)
    if eps > 0.0:  # each row is observed as its own class and, with weight eps, as the other
        observed, shares = np.concatenate([own, other], axis=1), np.concatenate(
            [(1.0 - eps) * v, eps * v])
    else:
        observed, shares = own, v
    weights = em_weights(observed, shares, prior_rows, start, max_iterations)
    return weights, mixture_log_loss(held, labels, row_weights, eps, weights)


def em_weights(observed: FloatArray, shares: FloatArray, prior_rows: float | FloatArray,
               start: Optional[FloatArray] = None,
               max_iterations: int = MIXTURE_MAX_ITERATIONS) -> FloatArray:
    """The mixture weights on the simplex maximising ``sum_j shares_j ln (w @ observed[:, j]) +
    prior_rows sum_k ln w_k`` (``observed``: each candidate's probability of each observation;
    ``prior_rows`` one count for every candidate, or one per candidate: ``sum_k prior_rows[k] ln
    w_k``), by EM from ``start`` (uniform when None) until no weight moves by more than
    ``MIXTURE_TOLERANCE``, at most ``max_iterations`` steps; each step raises the objective,
    which is concave in the weights, so every start leads to its one maximum.

    >>> em_weights(np.array([[0.9, 0.8], [0.5, 0.5]]), np.ones(2), 0.0).round(3).tolist()
    [1.0, 0.0]
    >>> em_weights(np.array([[0.9, 0.8], [0.5, 0.5]]), np.ones(2),
    ...            np.array([0.0, 1.0])).round(3).tolist()  # a prior row on the second
    [0.189, 0.811]
    """
    candidates = observed.shape[0]
    weights = np.full(candidates, 1.0 / candidates) if start is None else start
    for _ in range(max_iterations):
        mixed = weights[:, None] * observed
        counts = prior_rows + (mixed / mixed.sum(axis=0)) @ shares
        updated = counts / counts.sum()
        moved = float(np.max(np.abs(updated - weights)))
        weights = updated
        if moved <= MIXTURE_TOLERANCE:
            break
    return weights


def mixture_log_loss(held: FloatArray, labels: BoolArray, row_weights: FloatArray, eps: float,
                     weights: FloatArray) -> float:
    """The weighted mean log loss of the mixture ``weights @ held`` against labels smoothed by
    ``eps`` (the selection's criterion).

    >>> round(mixture_log_loss(np.array([[0.5, 0.5]]), np.array([True, False]), np.ones(2),
    ...                        0.0, np.array([1.0])), 4)
    0.6931
    """
    own, other = _true_class_probabilities(held, labels)
    loss = -(1.0 - eps) * np.log(weights @ own)
    if eps > 0.0:
        loss -= eps * np.log(weights @ other)
    return float(np.dot(row_weights, loss) / row_weights.sum())


def kept_weights(methods: Sequence[str], weights: FloatArray) -> dict[str, float]:
    """The weights of at least ``MIXTURE_MIN_WEIGHT``, renormalised to sum to 1, by method.

    >>> kept = kept_weights(["identity", "platt", "gam"], np.array([0.005, 0.595, 0.4]))
    >>> {m: round(w, 4) for m, w in kept.items()}
    {'platt': 0.598, 'gam': 0.402}
    """
    keep = weights >= MIXTURE_MIN_WEIGHT
    total = float(weights[keep].sum())
    return {m: float(w) / total for m, w, k in zip(methods, weights, keep) if k}


def separated(held: FloatArray, labels: BoolArray) -> bool:
    """Whether some candidate's held-out predictions ``held`` (``(candidates, predictions)``)
    put every row on its own class's side of 1/2: the rows are separable as the inner
    cross-validation sees them.

    >>> labels = np.array([True, False, True])
    >>> separated(np.array([[0.9, 0.2, 0.6], [0.4, 0.3, 0.6]]), labels), separated(
    ...     np.array([[0.9, 0.6, 0.6]]), labels)
    (True, False)
    """
    own = np.where(labels, held, 1.0 - held)
    return bool(np.any(np.all(own > 0.5, axis=1)))


def honest_predictions(held: FloatArray, labels: BoolArray, row_weights: FloatArray,
                       eps: float, folds: npt.NDArray[np.int8], methods: Sequence[str],
                       start: Optional[FloatArray] = None,
                       prior_rows: float | FloatArray = MIXTURE_PRIOR_ROWS) -> FloatArray:
    """The stacked mixture's honest held-out predictions (``(repeats, rows)``), its weights for
    each inner fold fitted on the other folds' held-out predictions: ``held`` is
    ``(candidates, repeats, rows)`` and ``folds`` each row's inner fold in each repeat
    (``(repeats, rows)``); the weights are fitted as :func:`stacking_weights` against labels
    smoothed by ``eps`` (one repeat; from ``start``, the weights fitted on every fold, whose
    maximum is near; at most ``HONEST_MAX_ITERATIONS`` steps; under the Dirichlet prior of
    ``prior_rows``) and kept as :func:`kept_weights`.

    >>> held = np.array([[[0.9, 0.8, 0.2, 0.3]], [[0.6, 0.6, 0.4, 0.4]]])
    >>> honest_predictions(held, np.array([True, True, False, False]), np.ones(4), 0.0,
    ...                    np.array([[0, 1, 0, 1]]), ["platt", "identity"]).round(2).tolist()
    [[0.89, 0.79, 0.21, 0.3]]
    """
    repeats = folds.shape[0]
    mixed = np.empty(held.shape[1:])
    for r in range(repeats):
        for g in np.unique(folds[r]):
            test = folds[r] == g
            raw, _ = stacking_weights(held[:, r, ~test], labels[~test], row_weights[~test], eps,
                                      prior_rows, start=start,
                                      max_iterations=HONEST_MAX_ITERATIONS)
            weights = kept_weights(methods, raw)
            kept = np.array([weights.get(m, 0.0) for m in methods])
            mixed[r, test] = kept @ held[:, r, test]
    return mixed


def honest_log_loss(held: FloatArray, labels: BoolArray, row_weights: FloatArray, eps: float,
                    folds: npt.NDArray[np.int8], methods: Sequence[str],
                    start: Optional[FloatArray] = None, weight_eps: Optional[float] = None
                    ) -> float:
    """The held-out log loss, against labels smoothed by ``eps``, of the stacked mixture's
    honest predictions (:func:`honest_predictions`, the same arguments; its weights fitted
    against labels smoothed by ``weight_eps``, ``eps`` when None).

    >>> held = np.array([[[0.9, 0.8, 0.2, 0.3]], [[0.6, 0.6, 0.4, 0.4]]])
    >>> labels = np.array([True, True, False, False])
    >>> round(honest_log_loss(held, labels, np.ones(4), 0.0, np.array([[0, 1, 0, 1]]),
    ...                       ["platt", "identity"]), 4)
    0.2373
    """
    repeats = folds.shape[0]
    mixed = honest_predictions(held, labels, row_weights, eps if weight_eps is None
                               else weight_eps, folds, methods, start)
    return mixture_log_loss(mixed.reshape(1, -1), np.tile(labels, repeats),
                            np.tile(row_weights, repeats), eps, np.ones(1))


def stack(choice: Mapping[str, object], held: Mapping[str, FloatArray], labels: BoolArray,
          row_weights: FloatArray, eps: float, folds: npt.NDArray[np.int8]) -> JsonDict:
    """``choice`` (:func:`~.crossfit.choose_by_log_loss`'s record) with the stacked mixture of
    the candidates' held-out predictions ``held`` (``(repeats, rows)`` each; ``row_weights``
    per row; ``folds`` each row's inner fold per repeat; weights fitted against labels smoothed
    by ``eps``, or as they are where the predictions are :func:`separated`): its record under
    ``mixture`` and,
    when it ships (two or more members, and an honest held-out loss, :func:`honest_log_loss`,
    at most identity's), ``selected: mixture`` with the rule's own pick kept as
    ``rule_selected``.

    >>> choice = {"selected": "platt", "reason": "r",
    ...           "candidates": {"platt": {"log_loss": 0.4}, "gam": {"log_loss": 0.41}}}
    >>> held = {"platt": np.array([[0.9, 0.3, 0.6, 0.2]]), "gam": np.array([[0.6, 0.1, 0.3, 0.4]])}
    >>> out = stack(choice, held, np.array([True, False, False, True]), np.ones(4), 0.0,
    ...             np.array([[0, 0, 1, 1]]))
    >>> out["selected"], sorted(out["mixture"]["weights"])
    ('mixture', ['gam', 'platt'])
    """
    out: JsonDict = dict(choice)
    if len(held) < 2:
        return out
    methods = list(held)
    repeats = next(iter(held.values())).shape[0]
    by_repeat = np.stack([held[m] for m in methods])
    stacked = by_repeat.reshape(len(methods), -1)
    all_labels = np.tile(labels, repeats)
    all_weights = np.tile(row_weights, repeats)
    weight_eps = 0.0 if separated(stacked, all_labels) else eps
    raw, _ = stacking_weights(stacked, all_labels, all_weights, weight_eps, repeats=repeats)
    weights = kept_weights(methods, raw)
    kept = np.array([weights.get(m, 0.0) for m in methods])
    loss = mixture_log_loss(stacked, all_labels, all_weights, eps, kept)
    honest = honest_log_loss(by_repeat, labels, row_weights, eps, folds, methods, raw,
                             weight_eps)
    selected = str(choice["selected"])
    candidates = choice["candidates"]
    assert isinstance(candidates, dict)
    ceiling = json_number(candidates["identity"]["log_loss"]) if "identity" in held \
        else math.inf
    ships = len(weights) >= 2 and honest <= ceiling
    record: JsonDict = {
        "weights": weights, "log_loss": loss, "honest_log_loss": honest, "shipped": ships,
        "fitted_weights": {m: float(w) for m, w in zip(methods, raw)},
        "weight_label_smoothing": weight_eps,
        "rule": f"EM on the held-out predictions, Dirichlet prior of {MIXTURE_PRIOR_ROWS:g} "
                f"pseudo-rows per candidate, against the smoothed labels (the labels as they "
                f"are where a candidate's held-out predictions separate the rows); weights "
                f"below {MIXTURE_MIN_WEIGHT:g} dropped; "
                "shipped when two or more members remain and its honest held-out log loss "
                "(each inner fold's weights fitted on the other folds) is at most identity's"}
    out["mixture"] = record
    if ships:
        out["rule_selected"] = selected
        out["selected"] = MIXTURE_METHOD
        shares = ", ".join(f"{m} {w:.3f}" for m, w in weights.items())
        out["reason"] = (f"the stacked mixture ({shares}), honest held-out log loss "
                         f"{honest:.6f}, in place of the rule's pick {selected} "
                         f"({json_number(candidates[selected]['log_loss']):.6f}: "
                         f"{choice['reason']})")
        logger.info("auto ships the stacked mixture %s", shares)
    return out


def fit_selection(choice: Mapping[str, object], fit_one: Callable[[str], T],
                  mixed: Callable[[Sequence[T], Sequence[float]], T]) -> T:
    """The calibrator ``choice`` ships: its selected method fitted by ``fit_one``, or, for a
    mixture, every member fitted by ``fit_one`` and combined by ``mixed`` with the weights.

    >>> fit_selection({"selected": "platt"}, str.upper, lambda ms, ws: "+".join(ms))
    'PLATT'
    >>> fit_selection({"selected": "mixture", "mixture": {"weights": {"platt": 0.6, "gam": 0.4}}},
    ...               str.upper, lambda ms, ws: "+".join(ms))
    'PLATT+GAM'
    """
    selected = str(choice["selected"])
    if selected != MIXTURE_METHOD:
        return fit_one(selected)
    record = choice["mixture"]
    assert isinstance(record, dict)
    weights = record["weights"]
    assert isinstance(weights, dict)
    return mixed([fit_one(str(m)) for m in weights], [json_number(w) for w in weights.values()])


def mixture_calibrator(members: Sequence[Calibrator], weights: Sequence[float]) -> Calibrator:
    """The mixture of fitted binary calibrators ``members`` with ``weights`` (summing to 1): its
    ``fit`` records the weights, the members' clipped rows (the most of any) and their warnings.

    >>> from .apply import apply_calibrator
    >>> mix = mixture_calibrator([Calibrator("identity", "probability", 1e-15),
    ...                           Calibrator("platt", "probability", 1e-15, coef=(1.0, 1.0))],
    ...                          [0.5, 0.5])
    >>> apply_calibrator(mix, [0.5]).round(4).tolist()
    [0.6155]
    """
    warnings = [w for m in members for w in _listed(m.fit.get("warnings"))]
    clipped = max(json_number(m.fit.get("clipped_rows", 0)) for m in members)
    fit: JsonDict = {"weights": {m.method: float(w) for m, w in zip(members, weights)},
                     "clipped_rows": int(clipped)}
    if warnings:
        fit["warnings"] = warnings
    first = members[0]
    return Calibrator(MIXTURE_METHOD, first.score_space,
                      max(m.clip_epsilon for m in members), members=tuple(members),
                      weights=tuple(float(w) for w in weights), fit=fit)


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
