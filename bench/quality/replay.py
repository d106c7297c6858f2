"""Replay binary ``auto``'s shipping rule on cached candidate predictions.

``python -m bench.quality`` runs the whole script per run; comparing two rules that way costs
minutes each. A rule that decides what ``auto`` ships (a single candidate, or mixture weights)
only needs, per run, what the script's inner cross-validation saw and what each candidate
predicts on the test split. ``capture`` computes that once per binary run (the script's
``select_method`` on the calibration split, every candidate's held-out predictions of every
inner repeat and fold, each candidate fitted on every row and applied to the test split) and
``load`` reads it back; replaying a rule over a hundred runs then takes seconds to a minute
(the honest held-out loss of the stacked mixture is the slow part).

A rule is a function of a :class:`Replay` to mixture weights by method (one method with weight
1 ships that candidate). ``current_rule`` is the script's own (``mixture.stack``): replayed, it
reproduces ``ours_auto``'s test log loss of a results file. ``judge`` compares a rule's test
losses with every calibrator's of a results file (``python -m bench.quality --out ...``).

Usage::

    python -m bench.quality.replay capture --results RESULTS.json --cache DIR
    python -m bench.quality.replay judge --results RESULTS.json --cache DIR
    python -m bench.quality.replay judge --results RESULTS.json --cache DIR \
        --without isotonic --below 100    # as if auto skipped isotonic below 100 rows
    python -m bench.quality.replay capture --results RESULTS.json --cache DIR2 \
        --max-repeats 10    # as if auto repeated its inner split up to 10 times
    python -m bench.quality.replay judge --results RESULTS.json --cache DIR \
        --floor-divisor 10    # as if the mixture shipped were bounded by a tenth of the floor
    python -m bench.quality.replay judge --results RESULTS.json --cache DIR \
        --rules unsmoothed_weights temperature_within_1_se    # other shipping rules (RULES)
    python -m bench.quality.replay capture --results RESULTS.json --cache DIR3 \
        --standardised-scale-prior    # as if temperature's prior were on scale * sd(log-odds)

Examples
--------
>>> run = synthetic_replay(0)  # calibrated scores and an over-confident candidate
>>> current_rule(run)
{'identity': 1.0}
>>> round(shipped_log_loss(run, {"identity": 1.0}), 4), round(run.losses["uncalibrated"], 4)
(0.5405, 0.5405)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from bench.quality.datasets import BINARY
from bench.quality.metrics import CLIP, FloatArray

BoolArray = npt.NDArray[np.bool_]
Rule = Callable[["Replay"], Mapping[str, float]]
PEERS = ("sklearn_sigmoid", "sklearn_isotonic", "sklearn_temperature", "betacal",
         "venn_abers", "splinecalib", "probcal")
UNCALIBRATED = "uncalibrated"
AUTO = "ours_auto"


@dataclasses.dataclass(frozen=True)
class Replay:
    """One binary run as ``auto`` saw it: the candidates ``methods`` (those that fitted), their
    held-out predictions ``held`` (``(methods, repeats, rows)``), the calibration ``labels``,
    row weights ``w``, the label smoothing ``eps``, each row's inner fold per repeat ``folds``,
    the selection record ``choice`` (:func:`~crossfit.choose_by_log_loss`'s), each candidate's
    full fit on the test split ``test`` (``(methods, test rows)``, each bounded as the script
    bounds it; ``floor`` the bound of a mixture),
    the test labels, every calibrator's test log loss of the results file (``losses``), and
    the same held-out and test predictions without the probability floor (``held_raw``,
    ``test_raw``; None in caches captured before they were stored), to replay other floors."""

    run_id: str
    methods: tuple[str, ...]
    held: FloatArray
    labels: BoolArray
    w: FloatArray
    eps: float
    folds: npt.NDArray[np.int8]
    choice: dict[str, Any]
    test: FloatArray
    test_labels: BoolArray
    floor: float
    losses: dict[str, float]
    held_raw: Optional[FloatArray] = None
    test_raw: Optional[FloatArray] = None


class LogitWeights(dict[str, float]):
    """A rule's weights of a logarithmic pool (``sigmoid(sum_k w_k logit p_k)``,
    :mod:`bench.quality.replay_pools`) rather than the script's linear mixture: what
    :func:`shipped_predictions` mixes in log-odds."""


class SharpenedWeights(dict[str, float]):
    """A rule's weights of the script's linear mixture whose log-odds :func:`shipped_predictions`
    then multiplies by ``scale`` (a beta-transformed linear pool with one parameter,
    :mod:`bench.quality.replay_pools`)."""

    def __init__(self, weights: Mapping[str, float], scale: float) -> None:
        super().__init__(weights)
        self.scale = scale


def _file(cache: str, run_id: str) -> str:
    return os.path.join(cache, run_id.replace("/", "__"))


def _unfloored(cal: Any, floor: float) -> Any:
    """Stands in for ``problems.with_probability_floor`` where the capture wants predictions
    without the floor."""
    return cal


def _captured_selection(problem: Any, settings: Any, floored: bool = True) -> dict[str, Any]:
    """The script's shipped ``auto`` selection on ``problem``, with the arguments its stacking
    step saw (``held``, ``labels``, ``w``, ``eps``, ``folds``); with ``floored`` False, every
    candidate's outputs left unbounded by the probability floor (the same fits and folds)."""
    from calibration_step.script.model_calibration import crossfit, problems

    seen: dict[str, Any] = {}
    original = getattr(crossfit, "stack")
    bound = getattr(problems, "with_probability_floor")
    if not floored:
        setattr(problems, "with_probability_floor", _unfloored)  # restored below

    def capturing(choice: Any, held: Any, labels: Any, w: Any, eps: float, folds: Any) -> Any:
        seen.update(choice=dict(choice), held=held, labels=labels, w=w, eps=eps, folds=folds)
        return original(choice, held, labels, w, eps, folds)

    setattr(crossfit, "stack", capturing)  # restored below
    try:
        seen["selection"] = crossfit.select_method(problem, settings, None, settings.seed,
                                                   "replay")
    finally:
        setattr(crossfit, "stack", original)
        setattr(problems, "with_probability_floor", bound)
    return seen


def capture(run_id: str, losses: Mapping[str, float], cache: str,
            max_repeats: Optional[int] = None, standardised_scale_prior: bool = False) -> None:
    """Compute and store the :class:`Replay` of binary run ``run_id`` (``dataset/model/seed``);
    with ``max_repeats``, as if ``crossfit.AUTO_BINARY_MAX_REPEATS`` were that many inner
    repeats;
    with ``standardised_scale_prior``, as if ``auto``'s temperature put its prior on the scale
    times the log-odds' standard deviation (:func:`standardised_prior`)."""
    from calibration_step.script.model_calibration import crossfit, fitting

    default = crossfit.AUTO_BINARY_MAX_REPEATS
    crossfit.AUTO_BINARY_MAX_REPEATS = default if max_repeats is None else max_repeats
    fit = getattr(fitting, "fit_binary_temperature")
    if standardised_scale_prior:
        setattr(fitting, "fit_binary_temperature", standardised_prior(fit))  # restored below
    try:
        _capture(run_id, losses, cache)
    finally:
        crossfit.AUTO_BINARY_MAX_REPEATS = default
        setattr(fitting, "fit_binary_temperature", fit)


def standardised_prior(fit: Callable[..., Any]) -> Callable[..., Any]:
    """``binarytemperature.fit_binary_temperature`` with its prior on ``scale * sd(z)`` (the
    scale of standardised log-odds, as Gelman et al. 2008 rescale inputs) instead of the scale:
    ``prior_rows`` divided by the weighted variance of ``z``.

    >>> seen = standardised_prior(lambda z, n, k, space, prior_rows=None: prior_rows)
    >>> seen(np.array([-2.0, 2.0]), np.ones(2), np.ones(2), "logit", 8.0)
    2.0
    """
    def fitted(z: FloatArray, n: FloatArray, k: FloatArray, space: str,
               prior_rows: Optional[float] = None, values: Optional[FloatArray] = None) -> Any:
        if prior_rows is not None:
            mean = float(np.dot(n, z)) / float(n.sum())
            variance = float(np.dot(n, (z - mean) ** 2)) / float(n.sum())
            prior_rows = prior_rows / max(variance, 1e-24)
        return fit(z, n, k, space, prior_rows) if values is None else \
            fit(z, n, k, space, prior_rows, values)

    return fitted


def _capture(run_id: str, losses: Mapping[str, float], cache: str) -> None:
    from bench.quality.datasets import prepare
    from bench.quality.ours import environment
    from calibration_step.script.model_calibration.apply import apply_calibrator
    from calibration_step.script.model_calibration.problems import BinaryProblem
    from calibration_step.script.model_calibration.settings import read_settings

    dataset, model, seed = run_id.split("/")
    run = prepare(dataset, model, int(seed))
    settings = read_settings(environment("auto", 2))
    problem = BinaryProblem(run.calibration.scores[:, 1], run.calibration.labels == 1, None,
                            settings)
    seen = _captured_selection(problem, settings)
    methods = tuple(seen["held"])
    fitted = [problem.fit(m, None, "replay: full fit") for m in methods]
    test = np.stack([apply_calibrator(c, run.test.scores[:, 1]) for c in fitted])
    floors = [f for c in fitted if isinstance(f := c.extra_params.get("probability_floor"), float)]
    raw = _captured_selection(problem, settings, floored=False)["held"]
    unbounded = [dataclasses.replace(c, extra_params={k: v for k, v in c.extra_params.items()
                                                      if k != "probability_floor"})
                 for c in fitted]
    np.savez(_file(cache, run_id) + ".npz", held=np.stack([seen["held"][m] for m in methods]),
             labels=seen["labels"], w=seen["w"], folds=seen["folds"], test=test,
             test_labels=run.test.labels == 1,
             held_raw=np.stack([raw[m] for m in methods]),
             test_raw=np.stack([apply_calibrator(c, run.test.scores[:, 1]) for c in unbounded]))
    meta = {"run_id": run_id, "methods": methods, "eps": seen["eps"], "choice": seen["choice"],
            "selection": seen["selection"], "floor": max(floors, default=0.0),
            "losses": dict(losses)}
    with open(_file(cache, run_id) + ".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, default=float)


def load(cache: str, run_id: str) -> Replay:
    """The cached :class:`Replay` of ``run_id``."""
    arrays = np.load(_file(cache, run_id) + ".npz")
    with open(_file(cache, run_id) + ".json", encoding="utf-8") as handle:
        meta = json.load(handle)
    stored = set(arrays.files)
    return Replay(run_id, tuple(meta["methods"]), arrays["held"], arrays["labels"],
                  arrays["w"], float(meta["eps"]), arrays["folds"], meta["choice"],
                  arrays["test"], arrays["test_labels"], float(meta["floor"]),
                  {k: float(v) for k, v in meta["losses"].items()},
                  arrays["held_raw"] if "held_raw" in stored else None,
                  arrays["test_raw"] if "test_raw" in stored else None)


def current_rule(run: Replay) -> dict[str, float]:
    """The script's rule: the stacked mixture where it ships, else the selection rule's pick."""
    from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
    from calibration_step.script.model_calibration.mixture import stack

    held = {m: run.held[k] for k, m in enumerate(run.methods)}
    out = stack(run.choice, held, run.labels, run.w, run.eps, run.folds)
    if out["selected"] == "mixture":
        return {str(m): json_number(v)
                for m, v in json_get(out, "mixture", "weights").items()}
    return {str(out["selected"]): 1.0}


def without(run: Replay, dropped: set[str]) -> Replay:
    """``run`` as ``auto`` would have seen it without the candidates ``dropped``: their
    predictions removed and the selection rule's record recomputed from the others' held-out
    predictions (each row's smoothed loss averaged over the repeats, as the script scores
    them)."""
    from calibration_step.script.model_calibration.crossfit import (AUTO_SIMPLICITY_ORDER,
                                                                    choose_by_log_loss)

    keep = [k for k, m in enumerate(run.methods) if m not in dropped]
    methods = tuple(run.methods[k] for k in keep)
    losses = [row_losses(run.held[k], run.labels, run.eps) for k in keep]
    n_eff = float(run.w.sum()) ** 2 / float(np.dot(run.w, run.w))
    choice = choose_by_log_loss(dict(zip(methods, losses)), run.w, n_eff, {},
                                [m for m in AUTO_SIMPLICITY_ORDER if m in methods], "replay")
    return dataclasses.replace(run, methods=methods, held=run.held[keep], choice=choice,
                               test=run.test[keep])


def row_losses(held: FloatArray, labels: BoolArray, eps: float) -> FloatArray:
    """Each row's held-out log loss against labels smoothed by ``eps``, averaged over the
    repeats (``held``: ``(repeats, rows)`` probabilities), as the script scores a candidate.

    >>> row_losses(np.array([[0.5, 0.5], [0.25, 0.75]]), np.array([True, True]), 0.0).round(4)
    array([1.0397, 0.4904])
    """
    from calibration_step.script.model_calibration.crossfit import smoothed_loss
    from calibration_step.script.model_calibration.numerics import CLIP_EPSILON

    p = np.clip(held, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    own = np.where(labels, p, 1.0 - p)
    out: FloatArray = smoothed_loss(-np.log(own), -np.log1p(-own), eps).mean(axis=0)
    return out


def beats_by_one_se(better: FloatArray, other: FloatArray, w: FloatArray,
                    margin: float = 1.0) -> bool:
    """Whether the per-row losses ``better`` have a weighted mean below ``other``'s by more than
    ``margin`` standard errors of their paired difference (on the effective rows of ``w``).

    >>> beats_by_one_se(np.array([0.1, 0.2, 0.1]), np.array([0.3, 0.4, 0.3]), np.ones(3))
    True
    >>> beats_by_one_se(np.array([0.1, 0.5, 0.1]), np.array([0.3, 0.1, 0.3]), np.ones(3))
    False
    """
    n_eff = float(w.sum()) ** 2 / float(np.dot(w, w))
    diff = other - better
    mean = float(np.dot(w, diff)) / float(w.sum())
    variance = float(np.dot(w, (diff - mean) ** 2)) / float(w.sum())
    return mean > margin * math.sqrt(max(variance, 0.0) / n_eff)


def separated(run: Replay) -> bool:
    """Whether the script fits ``run``'s mixture weights on the labels as they are
    (``mixture.separated`` of its held-out predictions).

    >>> separated(synthetic_replay(0)), separated(synthetic_replay(0, rows=8))
    (False, True)
    """
    from calibration_step.script.model_calibration.mixture import separated as split

    repeats = run.held.shape[1]
    return split(run.held.reshape(len(run.methods), -1), np.tile(run.labels, repeats))


def stacking_rule(weight_smoothing: float = 1.0, separated_smoothing: Optional[float] = 0.0,
                  single: Sequence[str] = (), margin: float = 1.0) -> Rule:
    """The script's stacked mixture with its weights (on every fold, and on each inner fold's
    others behind the honest loss) fitted against labels smoothed by ``weight_smoothing`` times
    the selection's rate, ``separated_smoothing`` times it on runs :func:`separated` (None: no
    exception; 0: the labels as they are; whether it ships is still judged on the selection's
    smoothing); with ``single``, the first of those candidates that the mixture's honest
    per-row losses do not beat by more than ``margin`` standard errors
    (:func:`beats_by_one_se`), and whose inner held-out loss is at most identity's, ships
    alone in its place. ``stacking_rule()`` is :func:`current_rule`.

    >>> run = synthetic_replay(0, repeats=3)
    >>> stacking_rule()(run) == current_rule(run)
    True
    """
    from calibration_step.script.model_calibration.jsonvalues import json_number
    from calibration_step.script.model_calibration.mixture import (honest_predictions,
                                                                   kept_weights,
                                                                   stacking_weights)

    def rule(run: Replay) -> dict[str, float]:
        methods = list(run.methods)
        repeats = run.held.shape[1]
        smoothing = separated_smoothing if separated_smoothing is not None and \
            separated(run) else weight_smoothing
        eps = smoothing * run.eps
        raw, _ = stacking_weights(run.held.reshape(len(methods), -1),
                                  np.tile(run.labels, repeats), np.tile(run.w, repeats), eps,
                                  repeats=repeats)
        weights = kept_weights(methods, raw)
        honest = row_losses(honest_predictions(run.held, run.labels, run.w, eps, run.folds,
                                               methods, raw), run.labels, run.eps)
        identity = run.choice["candidates"].get("identity", {}).get("log_loss")
        ceiling = math.inf if "identity" not in methods else json_number(identity)
        if len(weights) < 2 or float(np.dot(run.w, honest)) / float(run.w.sum()) > ceiling:
            return {str(run.choice["selected"]): 1.0}
        for method in (m for m in single if m in methods):
            alone = row_losses(run.held[methods.index(method)], run.labels, run.eps)
            if not beats_by_one_se(honest, alone, run.w, margin) and \
                    float(np.dot(run.w, alone)) / float(run.w.sum()) <= ceiling:
                return {method: 1.0}
        return weights

    return rule


RULES: dict[str, Callable[[], Rule]] = {
    "script": lambda: current_rule,
    "smoothed_weights": lambda: stacking_rule(1.0, None),
    "unsmoothed_weights": lambda: stacking_rule(0.0, None),
    "half_smoothed_weights": lambda: stacking_rule(0.5, None),
    "temperature_within_1_se": lambda: stacking_rule(1.0, None, ("temperature",)),
    "temperature_or_platt_within_1_se": lambda: stacking_rule(1.0, None,
                                                              ("temperature", "platt")),
    "temperature_or_platt_within_0.5_se": lambda: stacking_rule(
        1.0, None, ("temperature", "platt"), 0.5),
}
"""The rules ``judge --rules`` replays, by name: the script's, the one before it
(``smoothed_weights``: the weights against the smoothed labels on every run) and the variants
measured (docs/methods.md); ``judge --rules`` also takes those of
:mod:`bench.quality.replay_rules`, :mod:`bench.quality.replay_weights` and
:mod:`bench.quality.replay_pools`."""


def shipped_predictions(run: Replay, weights: Mapping[str, float],
                        floor: Optional[float] = None) -> FloatArray:
    """The test probabilities of the mixture ``weights`` of the candidates' full fits (mixed in
    log-odds where they are :class:`LogitWeights`; its log-odds scaled where they are
    :class:`SharpenedWeights`), bounded
    as the script bounds what it ships (by the floor, unless identity ships alone); with
    ``floor``, the unbounded fits (``test_raw``) mixed and bounded by ``floor`` instead."""
    if floor is None:
        test, bound = run.test, run.floor
    elif run.test_raw is None:
        raise ValueError(f"{run.run_id}: the cache holds no unbounded predictions; capture "
                         "it again to replay another floor")
    else:
        test, bound = run.test_raw, floor
    from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, logit, sigmoid

    if isinstance(weights, LogitWeights):
        z = sum(w * logit(test[run.methods.index(m)], CLIP_EPSILON)
                for m, w in weights.items())
        out = sigmoid(np.asarray(z, dtype=np.float64))
    else:
        p = sum(w * test[run.methods.index(m)] for m, w in weights.items())
        out = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        if isinstance(weights, SharpenedWeights):
            out = sigmoid(weights.scale * logit(out, CLIP_EPSILON))
    if set(weights) != {"identity"} and bound > 0.0:
        out = np.clip(out, bound, 1.0 - bound)
    return out


def shipped_log_loss(run: Replay, weights: Mapping[str, float],
                     floor: Optional[float] = None) -> float:
    """The test log loss (clipped at ``CLIP``, as the benchmark's) of the mixture ``weights``
    (bounded by ``floor`` where given: :func:`shipped_predictions`)."""
    p = np.clip(shipped_predictions(run, weights, floor), CLIP, 1.0 - CLIP)
    return -float(np.mean(np.where(run.test_labels, np.log(p), np.log1p(-p))))


def lost_to(loss: float, peer_loss: float) -> bool:
    """Whether ``loss`` is beyond ``max(1%, 0.005 nats)`` of ``peer_loss``.

    >>> lost_to(0.206, 0.2), lost_to(0.104, 0.1)
    (True, False)
    """
    return loss > peer_loss + max(0.01 * peer_loss, 0.005)


@dataclasses.dataclass(frozen=True)
class Judgement:
    """A rule over runs: runs lost per peer, runs worse than uncalibrated by more than 0.005
    nats, the mean rank among every calibrator of the results and the mean test log loss."""

    lost: dict[str, int]
    worse_than_uncalibrated: int
    mean_rank: float
    mean_log_loss: float
    runs: int

    def line(self) -> str:
        lost = " ".join(f"{p}:{n}" for p, n in self.lost.items())
        return (f"runs {self.runs}; lost {lost} (max {max(self.lost.values(), default=0)}); "
                f"worse than uncalibrated {self.worse_than_uncalibrated}; mean rank "
                f"{self.mean_rank:.2f}; mean log loss {self.mean_log_loss:.4f}")


def judge(rule: Rule, runs: Sequence[Replay], floor_divisor: Optional[float] = None
          ) -> Judgement:
    """``rule``'s test losses against every calibrator of the runs' results; with
    ``floor_divisor``, what it ships bounded by the run's floor divided by it instead."""
    lost = {p: 0 for p in PEERS}
    worse, ranks, total = 0, [], 0.0
    for run in runs:
        floor = None if floor_divisor is None else run.floor / floor_divisor
        loss = shipped_log_loss(run, rule(run), floor)
        total += loss
        for peer in PEERS:
            if peer in run.losses and lost_to(loss, run.losses[peer]):
                lost[peer] += 1
        worse += loss > run.losses[UNCALIBRATED] + 0.005
        others = [v for k, v in run.losses.items() if k != AUTO]
        ranks.append(1.0 + sum(v < loss for v in others) + 0.5 * sum(v == loss for v in others))
    return Judgement(lost, worse, float(np.mean(ranks)) if ranks else 0.0,
                     total / max(len(runs), 1), len(runs))


def binary_losses(results: str) -> dict[str, dict[str, float]]:
    """Every binary run's calibrators' test log loss in a results file, by run id."""
    with open(results, encoding="utf-8") as handle:
        content = json.load(handle)
    out: dict[str, dict[str, float]] = {}
    for r in content["runs"]:
        if r["mode"] != BINARY:
            continue
        spec = r["spec"]
        out[f"{spec['dataset']}/{spec['model']}/{spec['seed']}"] = {
            name: float(c["figures"]["log_loss"]) for name, c in r["calibrators"].items()
            if c["status"] == "ok"}
    return out


def load_all(results: str, cache: str) -> list[Replay]:
    """The cached replays of every binary run of ``results``, each judged against the test log
    losses of ``results`` (not those stored when it was captured: a cache captured against one
    results file serves another of the same runs)."""
    return [dataclasses.replace(load(cache, run_id), losses=losses)
            for run_id, losses in binary_losses(results).items()]


def synthetic_replay(seed: int, rows: int = 60, repeats: int = 2, scores_scale: float = 1.0
                     ) -> Replay:
    """A small made-up :class:`Replay` (identity and a sharper candidate; for the examples and
    tests): labels drawn from ``p``, the scores ``sigmoid(scores_scale logit(p))`` (calibrated
    at 1), the candidate ``sigmoid(2 logit(p))``."""
    rng = np.random.default_rng(seed)
    true = rng.uniform(0.1, 0.9, rows + 200)
    y = rng.uniform(size=true.shape[0]) < true
    logit = np.log(true / (1.0 - true))
    p = 1.0 / (1.0 + np.exp(-scores_scale * logit))
    sharp = 1.0 / (1.0 + np.exp(-2.0 * logit))
    folds = np.stack([np.arange(rows) % 5 for _ in range(repeats)]).astype(np.int8)
    held = np.stack([np.tile(p[:rows], (repeats, 1)), np.tile(sharp[:rows], (repeats, 1))])
    losses = {UNCALIBRATED: -float(np.mean(np.where(y[rows:], np.log(p[rows:]),
                                                     np.log1p(-p[rows:])))), "sklearn_sigmoid": 0.5}
    eps = 0.5 / (rows + 1.0)
    choice = {"selected": "identity", "reason": "made up", "candidates": {
        m: {"log_loss": float(np.mean(-np.where(y[:rows], np.log(q), np.log1p(-q))))}
        for m, q in (("identity", p[:rows]), ("platt", sharp[:rows]))}}
    test = np.stack([p[rows:], sharp[rows:]])
    return Replay(f"synthetic/{seed}", ("identity", "platt"), held, y[:rows], np.ones(rows),
                  eps, folds, choice, test, y[rows:], eps, losses, held, test)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.quality.replay_pools import RULES as POOL_RULES
    from bench.quality.replay_rules import RULES as SHRINKING_RULES
    from bench.quality.replay_weights import RULES as WEIGHT_RULES

    rules = {**RULES, **SHRINKING_RULES, **WEIGHT_RULES, **POOL_RULES}
    parser = argparse.ArgumentParser(prog="python -m bench.quality.replay",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("capture", "judge"))
    parser.add_argument("--results", required=True, help="a results .json of bench.quality")
    parser.add_argument("--cache", required=True, help="the cache folder")
    parser.add_argument("--without", nargs="*", default=[], metavar="METHOD",
                        help="judge: replay as if these candidates were not fitted (on runs "
                             "of fewer than --below calibration rows)")
    parser.add_argument("--below", type=int, default=sys.maxsize, metavar="ROWS")
    parser.add_argument("--max-repeats", type=int, default=None, metavar="N",
                        help="capture: as if auto ran at most N repeats of its inner split")
    parser.add_argument("--standardised-scale-prior", action="store_true",
                        help="capture: as if auto's temperature put its prior on the scale "
                             "times the log-odds' standard deviation")
    parser.add_argument("--rules", nargs="+", choices=sorted(rules), default=[],
                        help="judge: replay these rules too (each in turn)")
    parser.add_argument("--floor-divisor", type=float, default=None, metavar="D",
                        help="judge: bound what the rule ships by the probability floor "
                             "divided by D (the same weights; caches that hold the unbounded "
                             "predictions)")
    args = parser.parse_args(argv)
    os.makedirs(args.cache, exist_ok=True)
    losses = binary_losses(args.results)
    if args.action == "capture":
        for k, (run_id, by_name) in enumerate(losses.items()):
            if not os.path.exists(_file(args.cache, run_id) + ".json"):
                capture(run_id, by_name, args.cache, args.max_repeats,
                        args.standardised_scale_prior)
            print(f"[{k + 1}/{len(losses)}] {run_id}", flush=True)
        return 0
    runs = [without(r, set(args.without)) if r.labels.shape[0] < args.below else r
            for r in load_all(args.results, args.cache)]
    recorded = [abs(r.losses[AUTO] - shipped_log_loss(r, current_rule(r))) for r in runs
                if AUTO in r.losses]  # a results file of the peers alone has no ours_auto
    if recorded:
        print(f"the script's rule replayed against the recorded ours_auto: largest difference "
              f"{max(recorded):.2e} nats")
    print(judge(current_rule, runs).line())
    if args.floor_divisor is not None:
        print(f"bounded by the floor / {args.floor_divisor:g}: "
              f"{judge(current_rule, runs, args.floor_divisor).line()}")
    for name in args.rules:
        print(f"{name}: {judge(rules[name](), runs).line()}", flush=True)
    return 0


if __name__ == "__main__":  # run the imported module's main: the rules of the other replay
    from bench.quality import replay  # modules return its classes (LogitWeights), not __main__'s

    sys.exit(replay.main())
