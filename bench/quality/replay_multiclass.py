"""Replay multi-class ``auto``'s selection rules on cached candidate predictions.

A rule of multi-class ``auto`` (which candidate or mixture it ships) is a function of each
candidate's inner cross-validated held-out class probabilities and its fit on every
calibration row. ``collect`` runs the script's own selection once per run (data set, model
kind, seed) with every multi-class method as a candidate and keeps, per candidate, the held-out
class probabilities of every inner repeat and fold, and the test split's probabilities of its
fit on all calibration rows; beside them the labels, the inner folds, and the test log loss of
the uncalibrated scores and of every multi-class peer. A rule is then replayed over many runs
in seconds (``replay``), without refitting anything.

Usage (from the repository root)::

    python -m bench.quality.replay_multiclass --seeds 0 1 2 --cache /tmp/replay
    python -m bench.quality.replay_multiclass --seeds 3 4 5 --cache /tmp/replay
    python -m bench.quality.replay_multiclass --seeds 3 4 5 --cache /tmp/replay \
        --rules script shrunk_toward_identity first_5_repeats
    python -m bench.quality.replay_multiclass --seeds 0 1 2 --cache /tmp/replay --odir \
        --rules script dirichlet_odir_by_inner_cv fixed_dirichlet_500_0.5

``--odir`` adds dirichlet fitted under each of ``ODIR_STRENGTHS`` to the cache (in the cached
inner folds and on every calibration row), which the ``*odir*`` rules replay.

Examples
--------
>>> cache = collect(RunSpec("iris", "logistic_c0005", 0), ["sklearn_sigmoid"],
...                 ["identity", "vector"])
>>> sorted(cache.held), cache.held["vector"].shape, cache.test_labels.shape[0]
(['identity', 'vector'], (10, 45, 3), 45)
>>> outcome = replay(script_rule(), [cache])[0]
>>> outcome.run_id, sorted(outcome.weights), list(outcome.lost_to)
('iris/logistic_c0005/0', ['vector'], [])
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.quality import ours, peers
from bench.quality.datasets import KNOWN_DATASETS, MODELS, MULTICLASS, prepare
from bench.quality.metrics import CLIP, FloatArray, IntArray, log_loss
from bench.quality.refits import held_out_refits
from bench.quality.runs import RunSpec

EVERY_CANDIDATE = ("identity", "platt", "gam", "beta", "venn_abers", "isotonic", "temperature",
                   "vector", "dirichlet")
"""The candidates cached: every multi-class method (``auto``'s defaults and the two it leaves
out)."""
DEFAULT_CANDIDATES = ("identity", "platt", "gam", "beta", "venn_abers", "vector", "dirichlet")
MULTICLASS_PEERS = tuple(name for name, p in peers.PEERS.items() if MULTICLASS in p.modes)
MULTICLASS_DATASETS = ("digits", "wine", "iris", "synthetic_5_classes",
                       "synthetic_8_classes_small")
WITHIN_RELATIVE = 0.01
WITHIN_NATS = 0.005
"""``auto`` loses a run to a peer when its test log loss exceeds the peer's by more than
``max(WITHIN_RELATIVE * peer, WITHIN_NATS)``; it is worse than uncalibrated by more than
``WITHIN_NATS``."""


@dataclasses.dataclass(frozen=True)
class RunCache:
    """One run's cached predictions: per candidate the held-out class probabilities
    (``(repeats, rows, classes)``) and the test probabilities of its fit on every row; the
    calibration labels, the inner folds (``(repeats, rows)``), the test labels, the
    uncalibrated test probabilities and the peers' test log loss."""

    run_id: str
    labels: IntArray
    folds: IntArray
    test_labels: IntArray
    uncalibrated: FloatArray
    held: dict[str, FloatArray]
    test: dict[str, FloatArray]
    peer_log_loss: dict[str, float]

    def save(self, folder: str) -> None:
        """Write the cache as ``<folder>/<run id with _>.npz`` and a ``.json``."""
        stem = os.path.join(folder, self.run_id.replace("/", "_"))
        arrays: dict[str, npt.NDArray[np.generic]] = {f"held_{m}": p
                                                       for m, p in self.held.items()}
        arrays.update({f"test_{m}": p for m, p in self.test.items()})
        arrays.update(labels=self.labels, folds=self.folds, test_labels=self.test_labels,
                      uncalibrated=self.uncalibrated)
        write: Callable[..., None] = np.savez_compressed
        write(stem + ".npz", **arrays)
        with open(stem + ".json", "w", encoding="utf-8") as handle:
            json.dump({"run_id": self.run_id, "peer_log_loss": self.peer_log_loss}, handle)

    @staticmethod
    def load(folder: str, run_id: str) -> RunCache:
        stem = os.path.join(folder, run_id.replace("/", "_"))
        with open(stem + ".json", encoding="utf-8") as handle:
            meta = json.load(handle)
        with np.load(stem + ".npz") as data:
            arrays = {name: data[name] for name in data.files}
        return RunCache(run_id, arrays["labels"], arrays["folds"], arrays["test_labels"],
                        arrays["uncalibrated"],
                        {n[5:]: a for n, a in arrays.items() if n.startswith("held_")},
                        {n[5:]: a for n, a in arrays.items()
                         if n.startswith("test_") and n != "test_labels"},
                        meta["peer_log_loss"])


@contextmanager
def _captured_stacking(found: dict[str, Any]) -> Iterator[None]:
    """Keep the arguments of the selection's call of ``stack_classes`` in ``found``."""
    from calibration_step.script.model_calibration import crossfit
    from calibration_step.script.model_calibration.multiclassmixture import stack_classes

    def capture(choice: Mapping[str, object], held: Mapping[str, FloatArray], labels: IntArray,
                row_weights: FloatArray, folds: npt.NDArray[np.int8]) -> dict[str, Any]:
        found.update(held=dict(held), labels=labels, folds=folds)
        return dict(stack_classes(choice, held, labels, row_weights, folds))

    setattr(crossfit, "stack_classes", capture)  # the name crossfit calls
    try:
        yield
    finally:
        setattr(crossfit, "stack_classes", stack_classes)


def _problem(scores: FloatArray, labels: IntArray, candidates: Sequence[str]) -> Any:
    """The script's multi-class problem and settings of ``auto`` among ``candidates``."""
    from calibration_step.script.model_calibration.problems import MulticlassProblem
    from calibration_step.script.model_calibration.settings import read_settings

    env = ours.environment("auto", scores.shape[1])
    env["AUTO_CANDIDATES"] = json.dumps(list(candidates))
    settings = read_settings(env)
    return MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), None,
                             settings), settings


def collect(spec: RunSpec, peer_names: Sequence[str] = MULTICLASS_PEERS,
            candidates: Sequence[str] = EVERY_CANDIDATE) -> RunCache:
    """Fit ``candidates`` on ``spec``'s run as multi-class ``auto`` does, judge ``peer_names``
    on its test split, and cache both."""
    from calibration_step.script.model_calibration.apply import apply_multiclass
    from calibration_step.script.model_calibration.crossfit import select_method

    run = prepare(spec.dataset, spec.model, spec.seed)
    calibration, test = run.calibration, run.test
    problem, settings = _problem(calibration.scores, calibration.labels, candidates)
    found: dict[str, Any] = {}
    with _captured_stacking(found):
        select_method(problem, settings, None, settings.seed, "replay")
    fitted = {m: problem.fit(m, None, "replay: full fit") for m in found["held"]}
    data = peers.PeerInput(run.fitted.estimator, calibration, test, run.classes)
    peer_loss = {name: log_loss(peers.PEERS[name].fit_predict(data), test.labels)
                 for name in peer_names if peers.unavailable(peers.PEERS[name]) is None}
    return RunCache(spec.run_id, calibration.labels, np.asarray(found["folds"], dtype=np.int64),
                    test.labels, test.scores,
                    {m: np.asarray(p) for m, p in found["held"].items()},
                    {m: np.asarray(apply_multiclass(model, test.scores), dtype=np.float64)
                     for m, model in fitted.items()},
                    peer_loss)


Rule = Callable[[RunCache], Mapping[str, float]]
"""A selection rule: a run's cache to the shipped calibrator's weights per candidate (one
candidate with weight 1 for a single pick)."""


def script_rule(candidates: Sequence[str] = DEFAULT_CANDIDATES,
                pick_only: Sequence[str] | None = None) -> Rule:
    """The script's own rule among ``candidates`` (default: ``auto``'s multi-class defaults):
    ``choose_by_log_loss`` among them and the ``pick_only`` ones; a pick-only one picked ships
    alone, otherwise ``choose_by_log_loss`` and ``stack_classes`` among ``candidates`` alone. ``pick_only`` defaults
    to the script's (``crossfit.AUTO_MULTICLASS_PICK_ONLY``, on at most ``MIXTURE_MAX_ROWS``
    rows) for the default candidates, none for others; ``()`` replays the rule before them."""
    from calibration_step.script.model_calibration.crossfit import AUTO_MULTICLASS_PICK_ONLY
    from calibration_step.script.model_calibration.mixture import MIXTURE_MAX_ROWS

    if pick_only is None:
        pick_only = AUTO_MULTICLASS_PICK_ONLY if set(candidates) == set(DEFAULT_CANDIDATES) else ()

    def rule(cache: RunCache) -> Mapping[str, float]:
        extra = [m for m in pick_only if m not in candidates and m in cache.held
                 and cache.labels.shape[0] <= MIXTURE_MAX_ROWS]
        choice, _, _ = _picked(cache, [*candidates, *extra])
        if choice["selected"] in extra:
            return {str(choice["selected"]): 1.0}
        choice, held, _ = _picked(cache, candidates)
        return stacked_weights(choice, held, cache) or {str(choice["selected"]): 1.0}

    return rule


def stacked_weights(choice: Mapping[str, object], held: Mapping[str, FloatArray],
                    cache: RunCache) -> dict[str, float] | None:
    """The weights of the script's stacked mixture (``stack_classes``) of the candidates
    ``held`` after the pick ``choice``, or None where it ships the pick instead."""
    from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
    from calibration_step.script.model_calibration.multiclassmixture import stack_classes

    w = np.ones(cache.labels.shape[0])
    mixed = stack_classes(choice, held, cache.labels, w, cache.folds.astype(np.int8))
    if mixed["selected"] != "mixture":
        return None
    return {m: json_number(v) for m, v in json_get(mixed, "mixture", "weights").items()}


def _picked(cache: RunCache, candidates: Sequence[str]
            ) -> tuple[dict[str, Any], dict[str, FloatArray], dict[str, FloatArray]]:
    """The script's single pick among ``candidates`` (``choose_by_log_loss``'s record), their
    held-out predictions and each one's per-row held-out losses."""
    from calibration_step.script.model_calibration.crossfit import choose_by_log_loss

    held = {m: cache.held[m] for m in candidates if m in cache.held}
    losses = {m: held_out_losses(p, cache.labels) for m, p in held.items()}
    w = np.ones(cache.labels.shape[0])
    return (dict(choose_by_log_loss(losses, w, float(w.shape[0]), {}, list(held), "replay")),
            held, losses)


def shrunk_rule(candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """The script's rule; where it ships a single candidate other than identity, that pick
    shrunk toward identity: the two-member mixture of the pick and identity, its weight fitted
    and shipped as the script's mixture (``stack_classes``: EM on the held-out predictions,
    shipped on its honest held-out loss at most the pick's)."""
    script = script_rule(candidates)

    def rule(cache: RunCache) -> Mapping[str, float]:
        shipped = script(cache)
        pick = next(iter(shipped))
        if len(shipped) > 1 or pick == "identity" or "identity" not in cache.held:
            return shipped
        choice, _, _ = _picked(cache, candidates)
        pair = {m: cache.held[m] for m in (pick, "identity")}
        return stacked_weights(choice, pair, cache) or shipped

    return rule


def _paired_gap(losses: Mapping[str, FloatArray], method: str, others: Sequence[str]
                ) -> tuple[float, float]:
    """``method``'s mean held-out loss minus the lowest of ``others``', and the standard error
    of that paired per-row difference.

    >>> gap, se = _paired_gap({"a": np.array([0.1, 0.2]), "b": np.array([0.2, 0.2])}, "a",
    ...                       ["b"])
    >>> round(gap, 6), round(se, 6)
    (-0.05, 0.035355)
    """
    best = min(others, key=lambda m: float(losses[m].mean()))
    diff = losses[method] - losses[best]
    return float(diff.mean()), float(diff.std() / np.sqrt(diff.shape[0]))


def identity_within_rule(z: float, candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """identity wherever its held-out loss is within ``z`` standard errors (of the paired
    per-row difference) of the best candidate's; the script's rule elsewhere (``z = 1`` is
    about the script's own one-standard-error preference for identity)."""
    script = script_rule(candidates)

    def rule(cache: RunCache) -> Mapping[str, float]:
        _, _, losses = _picked(cache, candidates)
        gap, se = _paired_gap(losses, "identity", list(losses))
        return {"identity": 1.0} if gap <= z * se else script(cache)

    return rule


def gated_rule(method: str, z: float, candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """``method`` (a cached candidate outside ``candidates``: bounded one-vs-rest isotonic,
    bounded temperature) shipped alone where its held-out loss is below the best of
    ``candidates``' by more than ``z`` standard errors of the paired difference; the script's
    rule without its pick-only candidates elsewhere."""
    script = script_rule(candidates, pick_only=())

    def rule(cache: RunCache) -> Mapping[str, float]:
        _, _, losses = _picked(cache, [*candidates, method])
        gap, se = _paired_gap(losses, method, [m for m in losses if m != method])
        return {method: 1.0} if gap < -z * se else script(cache)

    return rule


def repeats_rule(repeats: int, candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """The script's rule on the first ``repeats`` inner repeats only (what fewer repeats would
    have chosen; more cannot be replayed from the cache)."""
    script = script_rule(candidates)

    def rule(cache: RunCache) -> Mapping[str, float]:
        return script(dataclasses.replace(
            cache, held={m: p[:repeats] for m, p in cache.held.items()},
            folds=cache.folds[:repeats]))

    return rule


def uniform_share(p_true: FloatArray, classes: int) -> float:
    """The share ``u`` that maximises the log-likelihood of ``(1 - u) p + u / k`` given each
    row's probability of its own class ``p_true`` (``k`` = ``classes``): the likelihood is
    concave in ``u``, so bisection on its derivative.

    >>> uniform_share(np.array([0.99, 0.99, 0.99, 1e-6]), 3) > 0.1, uniform_share(np.ones(4), 3)
    (True, 0.0)
    """
    def slope(u: float) -> float:
        return float(np.sum((1.0 / classes - p_true) / ((1.0 - u) * p_true + u / classes)))

    if slope(0.0) <= 0.0:
        return 0.0
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if slope(mid) > 0.0 else (low, mid)
    return low


def _own_class(p: FloatArray, labels: IntArray) -> FloatArray:
    out: FloatArray = p[np.arange(labels.shape[0]), labels]
    return out


def _floored(p: FloatArray, u: float) -> FloatArray:
    out: FloatArray = (1.0 - u) * p + u / p.shape[-1]
    return out


FLOORED_IDENTITY = "floored_identity"
"""The name a rule's weights give :func:`floored_identity`'s identity (its test predictions
derived from the cache's, :func:`candidate_test_predictions`)."""


def floored_identity(cache: RunCache) -> RunCache:
    """``cache`` with identity replaced by identity mixed with the uniform distribution, its
    share fitted by maximum likelihood (:func:`uniform_share`) on each inner fold's training
    rows for the held-out predictions and on every calibration row for the test ones."""
    scores = cache.held["identity"]
    k = scores.shape[-1]
    held = np.empty_like(scores)
    for r in range(scores.shape[0]):
        for g in np.unique(cache.folds[r]):
            test = cache.folds[r] == g
            u = uniform_share(_own_class(scores[r, ~test], cache.labels[~test]), k)
            held[r, test] = _floored(scores[r, test], u)
    u_all = uniform_share(_own_class(scores[0], cache.labels), k)
    return dataclasses.replace(cache, held={**cache.held, "identity": held},
                               test={**cache.test,
                                     "identity": _floored(cache.test["identity"], u_all)})


def floored_identity_rule(candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """The script's rule with identity replaced by :func:`floored_identity` (shipped as
    :data:`FLOORED_IDENTITY`): the baseline it is never worse than (in its own estimate)
    hedges the scores' confident misses."""
    script = script_rule(candidates)

    def rule(cache: RunCache) -> Mapping[str, float]:
        shipped = script(floored_identity(cache))
        return {FLOORED_IDENTITY if m == "identity" else m: w for m, w in shipped.items()}

    return rule


def identity_beaten_rule(z: float, candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """The script's rule; where it ships anything but identity, identity instead unless the
    shipped calibrator's held-out loss (a mixture's: its weights on the held-out predictions)
    is below identity's by more than ``z`` standard errors of their paired per-row
    difference."""
    script = script_rule(candidates)

    def rule(cache: RunCache) -> Mapping[str, float]:
        shipped = script(cache)
        if "identity" in shipped or "identity" not in cache.held:
            return shipped
        total = sum(shipped.values())
        mixed = sum(w / total * cache.held[m] for m, w in shipped.items())
        losses = {"shipped": held_out_losses(np.asarray(mixed), cache.labels),
                  "identity": held_out_losses(cache.held["identity"], cache.labels)}
        gap, se = _paired_gap(losses, "shipped", ["identity"])
        return shipped if gap < -z * se else {"identity": 1.0}

    return rule


ODIR_STRENGTHS = ((50.0, 0.5), (500.0, 0.5), (5000.0, 0.5), (500.0, 5.0), (50.0, 0.05))
"""Dirichlet calibration's ODIR strengths replayed (off-diagonal, intercept): ``auto``'s are
``problems.AUTO_OFF_DIAGONAL_PENALTY`` and ``classscaling.INTERCEPT_PENALTY`` (50 and 0.5),
``CALIBRATION_METHOD=dirichlet``'s ``classscaling.OFF_DIAGONAL_PENALTY`` (500) and the same
intercept's."""


def odir_name(strength: tuple[float, float]) -> str:
    """The cached name of dirichlet fitted under the ODIR ``strength``.

    >>> odir_name((50.0, 0.5))
    'dirichlet_50_0.5'
    """
    return f"dirichlet_{strength[0]:g}_{strength[1]:g}"


@contextmanager
def _odir_strength(strength: tuple[float, float]) -> Iterator[None]:
    """``auto``'s ODIR strengths set to ``strength`` (off-diagonal, intercept)."""
    from calibration_step.script.model_calibration import classscaling, problems

    kept = problems.AUTO_OFF_DIAGONAL_PENALTY, classscaling.INTERCEPT_PENALTY
    setattr(problems, "AUTO_OFF_DIAGONAL_PENALTY", strength[0])
    setattr(classscaling, "INTERCEPT_PENALTY", strength[1])
    try:
        yield
    finally:
        setattr(problems, "AUTO_OFF_DIAGONAL_PENALTY", kept[0])
        setattr(classscaling, "INTERCEPT_PENALTY", kept[1])


def with_odir_strengths(spec: RunSpec, cache: RunCache,
                        strengths: Sequence[tuple[float, float]] = ODIR_STRENGTHS) -> RunCache:
    """``cache`` with dirichlet fitted under each ODIR strength in the cached inner folds (held
    out) and on every calibration row (test), as :func:`odir_name`."""
    from calibration_step.script.model_calibration.apply import apply_multiclass

    run = prepare(spec.dataset, spec.model, spec.seed)
    problem, _ = _problem(run.calibration.scores, run.calibration.labels, ["dirichlet"])
    held, test = dict(cache.held), dict(cache.test)
    for strength in strengths:
        name = odir_name(strength)
        with _odir_strength(strength):
            held[name] = held_out_refits(problem, "dirichlet", cache.folds)
            full = problem.fit("dirichlet", None, "replay: odir")
        test[name] = np.asarray(apply_multiclass(full, run.test.scores), dtype=np.float64)
    return dataclasses.replace(cache, held=held, test=test)


def odir_rule(strengths: Sequence[tuple[float, float]] = ODIR_STRENGTHS,
              candidates: Sequence[str] = DEFAULT_CANDIDATES) -> Rule:
    """The script's rule with dirichlet's held-out and test predictions those of the ODIR
    strength of ``strengths`` with the lowest inner held-out loss (the strengths as candidates
    in dirichlet's place; its weight goes to that strength's :func:`odir_name`)."""
    script = script_rule(candidates)

    def rule(cache: RunCache) -> Mapping[str, float]:
        names = [odir_name(s) for s in strengths if odir_name(s) in cache.held]
        if not names:
            return script(cache)
        best = min(names, key=lambda n: float(held_out_losses(cache.held[n],
                                                              cache.labels).mean()))
        shipped = script(dataclasses.replace(
            cache, held={**cache.held, "dirichlet": cache.held[best]},
            test={**cache.test, "dirichlet": cache.test[best]}))
        return {best if m == "dirichlet" else m: w for m, w in shipped.items()}

    return rule


RULES: dict[str, Callable[[], Rule]] = {
    "script": script_rule,
    "before_isotonic_pick": lambda: script_rule(pick_only=()),
    "shrunk_toward_identity": shrunk_rule,
    "identity_within_1.5_se": lambda: identity_within_rule(1.5),
    "identity_within_2_se": lambda: identity_within_rule(2.0),
    "isotonic_beyond_1_se": lambda: gated_rule("isotonic", 1.0),
    "temperature_beyond_1_se": lambda: gated_rule("temperature", 1.0),
    "first_5_repeats": lambda: repeats_rule(5),
    "first_2_repeats": lambda: repeats_rule(2),
    "floored_identity": floored_identity_rule,
    "identity_unless_beaten_by_1_se": lambda: identity_beaten_rule(1.0),
    "identity_unless_beaten_by_1.5_se": lambda: identity_beaten_rule(1.5),
    "dirichlet_odir_by_inner_cv": odir_rule,
    **{f"fixed_{odir_name(s)}": functools.partial(odir_rule, [s]) for s in ODIR_STRENGTHS},
}
"""The rules the command replays, by name (``--rules``): the script's and the variants measured
(docs/methods.md)."""


def held_out_losses(held: FloatArray, labels: IntArray) -> FloatArray:
    """Each row's held-out log loss averaged over the repeats (``held``: ``(repeats, rows,
    classes)``), as ``auto`` scores a candidate.

    >>> held_out_losses(np.array([[[0.5, 0.5]], [[0.25, 0.75]]]), np.array([0])).round(4)
    array([1.0397])
    """
    p = np.clip(held[:, np.arange(labels.shape[0]), labels], CLIP, 1.0)
    out: FloatArray = -np.log(p).mean(axis=0)
    return out


def mixture_probabilities(cache: RunCache, weights: Mapping[str, float]) -> FloatArray:
    """The test probabilities of the mixture ``weights`` of the cached candidates, as the
    shipped mixture gives them (``mix_class_probabilities``)."""
    from calibration_step.script.model_calibration.apply import mix_class_probabilities

    total = sum(weights.values())
    return mix_class_probabilities([w / total for w in weights.values()],
                                   (candidate_test_predictions(cache, m) for m in weights))


def candidate_test_predictions(cache: RunCache, name: str) -> FloatArray:
    """The test probabilities of the cached candidate ``name``, or of one derived from them
    (:data:`FLOORED_IDENTITY`)."""
    if name == FLOORED_IDENTITY:
        return floored_identity(cache).test["identity"]
    return cache.test[name]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A rule on one run: its test log loss, the uncalibrated one, the peers it loses to."""

    run_id: str
    weights: Mapping[str, float]
    log_loss: float
    uncalibrated: float
    lost_to: tuple[str, ...]

    @property
    def worse_than_uncalibrated(self) -> bool:
        return self.log_loss > self.uncalibrated + WITHIN_NATS


def replay(rule: Rule, caches: Sequence[RunCache]) -> list[Outcome]:
    """``rule`` on every cached run."""
    out = []
    for cache in caches:
        weights = rule(cache)
        loss = log_loss(mixture_probabilities(cache, weights), cache.test_labels)
        lost = tuple(p for p, peer in cache.peer_log_loss.items()
                     if loss > peer + max(WITHIN_RELATIVE * peer, WITHIN_NATS))
        out.append(Outcome(cache.run_id, dict(weights), loss,
                           log_loss(cache.uncalibrated, cache.test_labels), lost))
    return out


def summary(outcomes: Sequence[Outcome]) -> dict[str, object]:
    """Runs lost per peer, runs worse than uncalibrated, and the mean test log loss.

    >>> summary([Outcome("a", {"vector": 1.0}, 0.5, 0.6, ("sklearn_sigmoid",))])
    {'runs': 1, 'lost': {'sklearn_sigmoid': 1}, 'worse_than_uncalibrated': 0, 'mean_log_loss': 0.5}
    """
    lost: dict[str, int] = {}
    for outcome in outcomes:
        for peer in outcome.lost_to:
            lost[peer] = lost.get(peer, 0) + 1
    return {"runs": len(outcomes), "lost": dict(sorted(lost.items())),
            "worse_than_uncalibrated": sum(o.worse_than_uncalibrated for o in outcomes),
            "mean_log_loss": round(float(np.mean([o.log_loss for o in outcomes])), 6)}


def multiclass_specs(seeds: Sequence[int], datasets: Sequence[str] | None = None
                     ) -> list[RunSpec]:
    """Every multi-class run of ``seeds`` (of ``datasets``, default every multi-class one)."""
    names = list(MULTICLASS_DATASETS if datasets is None else datasets)
    return [RunSpec(d, m, s) for d in names for m in MODELS for s in seeds]


def cached(specs: Sequence[RunSpec], folder: str, odir: bool = False) -> list[RunCache]:
    """Each run's cache from ``folder``, collected (and written) where missing; with ``odir``
    holding dirichlet under every :data:`ODIR_STRENGTHS` too (added where missing)."""
    os.makedirs(folder, exist_ok=True)
    out = []
    for spec in specs:
        if not os.path.exists(os.path.join(folder, spec.run_id.replace("/", "_") + ".json")):
            collect(spec).save(folder)
        cache = RunCache.load(folder, spec.run_id)
        missing = [s for s in ODIR_STRENGTHS if odir_name(s) not in cache.held]
        if odir and missing:
            cache = with_odir_strengths(spec, cache, missing)
            cache.save(folder)
        out.append(cache)
    return out


def replay_parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """The command line of a replay module: its runs (``--seeds``, ``--datasets``) and cache."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", choices=sorted(KNOWN_DATASETS), help="multi-class")
    parser.add_argument("--cache", required=True, help="cache folder (created)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = replay_parser("bench.quality.replay_multiclass", __doc__)
    parser.add_argument("--rules", nargs="+", choices=sorted(RULES), default=["script"],
                        help="rules to replay (default: the script's)")
    parser.add_argument("--odir", action="store_true",
                        help="cache dirichlet under every ODIR_STRENGTHS too (the "
                             "dirichlet_odir rules need them)")
    args = parser.parse_args(argv)
    caches = cached(multiclass_specs(args.seeds, args.datasets), args.cache, args.odir)
    results = {name: summary(replay(RULES[name](), caches)) for name in args.rules}
    print(json.dumps(results["script"] if args.rules == ["script"] else results, indent=1))


if __name__ == "__main__":
    main()
