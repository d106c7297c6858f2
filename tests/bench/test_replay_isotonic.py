"""The isotonic rules of the multi-class replay: isotonic's loss re-estimated, isotonic mixed
in where it is the lowest, and the refits in other inner folds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bench.quality import replay_isotonic as ri
from bench.quality import replay_multiclass as rm
from bench.quality.datasets import MODELS, prepare
from bench.quality.refits import held_out_refits
from bench.quality.runs import RunSpec


def _cache(run_id: str = "toy/model/0") -> rm.RunCache:
    """Twenty rows of 2 classes, 2 repeats of 2 folds: identity a coin; vector right at 0.8 on
    every row; isotonic right at 0.95 on 18 rows and wrong at 0.3 on 2 (its mean loss the
    lowest, vector within one standard error of it). On the test rows isotonic is right at
    0.95 and vector at 0.8."""
    rows = 20
    labels = np.arange(rows) % 2
    folds = np.array([np.arange(rows) % 4 // 2, (np.arange(rows) + 1) % 4 // 2])

    def right(p: float, n: int, y: np.ndarray) -> np.ndarray:
        return np.where(y[:, None] == np.arange(2), p, 1.0 - p)[:n]

    iso = right(0.95, rows, labels)
    iso[[4, 15]] = right(0.3, rows, labels)[[4, 15]]
    test_labels = np.array([0, 1, 0, 1])
    held = {"identity": np.full((2, rows, 2), 0.5),
            "vector": np.stack([right(0.8, rows, labels)] * 2),
            "isotonic": np.stack([iso] * 2)}
    test = {"identity": np.full((4, 2), 0.5), "vector": right(0.8, 4, test_labels),
            "isotonic": right(0.95, 4, test_labels)}
    return rm.RunCache(run_id, labels, folds, test_labels, np.full((4, 2), 0.5), held, test,
                       {"sklearn_isotonic": 0.06})


def test_the_toy_run_has_isotonic_lowest_and_vector_within_one_standard_error() -> None:
    cache = _cache()
    choice, _, _ = rm._picked(cache, ["identity", "vector", "isotonic"])
    assert choice["best"] == "isotonic" and choice["selected"] == "vector"
    assert rm.script_rule()(cache) == {"vector": 1.0}


def test_an_estimate_that_lowers_isotonic_enough_makes_it_the_single_pick() -> None:
    cache = _cache()
    optimistic = ri.estimated_isotonic_rule(lambda c: np.full(c.labels.shape[0], 0.01))
    pessimistic = ri.estimated_isotonic_rule(lambda c: np.full(c.labels.shape[0], 5.0))
    assert optimistic(cache) == {"isotonic": 1.0}
    assert pessimistic(cache) == rm.script_rule(pick_only=())(cache) == {"vector": 1.0}
    # the script's own estimate (5 inner folds, the cached predictions) is the script's rule
    assert ri.estimated_isotonic_rule(ri.folds_estimate(5))(cache) == rm.script_rule()(cache)


def test_the_learning_curve_lowers_a_loss_that_falls_with_the_rows() -> None:
    at_80, at_67 = np.array([0.30, 0.20]), np.array([0.40, 0.20])
    out = ri.extrapolated_losses(at_80, at_67, 0.8, 2.0 / 3.0, 1.0)
    # L(m) = L_inf + b / m through (2/3, 0.4) and (0.8, 0.3): b = 0.4, L(1) = 0.2
    np.testing.assert_allclose(out, [0.2, 0.2])
    cache = _cache()
    cache = dataclasses.replace(cache, held={**cache.held,
                                             ri.inner_folds_name(3): cache.held["identity"]})
    # isotonic much worse in 3 folds than in 5: extrapolated to every row it is far better
    estimate = ri.learning_curve_estimate(2.0 / 3.0)(cache)
    assert estimate.mean() < rm.held_out_losses(cache.held["isotonic"], cache.labels).mean()
    assert ri.estimated_isotonic_rule(ri.learning_curve_estimate(2.0 / 3.0))(cache) == {
        "isotonic": 1.0}


def test_isotonic_is_mixed_in_only_where_it_is_the_lowest() -> None:
    cache = _cache()
    every = ri.mixture_when_lowest_rule(pair=False)(cache)
    pair = ri.mixture_when_lowest_rule(pair=True)(cache)
    assert "isotonic" in every and sum(every.values()) == pytest.approx(1.0)
    assert set(pair) == {"vector", "isotonic"} and sum(pair.values()) == pytest.approx(1.0)
    mixed, alone = rm.replay(ri.mixture_when_lowest_rule(pair=True), [cache])[0], rm.replay(
        rm.script_rule(), [cache])[0]
    assert mixed.log_loss < alone.log_loss
    # isotonic no longer the lowest: the script's rule, unchanged
    worse = dataclasses.replace(cache, held={**cache.held,
                                             "isotonic": cache.held["identity"]})
    assert ri.mixture_when_lowest_rule(pair=False)(worse) == rm.script_rule()(worse)


def test_isotonic_refitted_in_the_cached_folds_reproduces_the_cached_one() -> None:
    spec = RunSpec("iris", "logistic_c0005", 0)
    cache = rm.collect(spec, [], ["identity", "isotonic"])
    run = prepare(spec.dataset, spec.model, spec.seed)
    problem, _ = rm._problem(run.calibration.scores, run.calibration.labels, ["isotonic"])
    np.testing.assert_allclose(held_out_refits(problem, "isotonic", cache.folds),
                               cache.held["isotonic"], atol=1e-12)
    out = ri.with_isotonic_folds(spec, cache, [10])
    ten = out.held[ri.inner_folds_name(10)]
    assert ten.shape == cache.held["isotonic"].shape == (10, 45, 3)
    np.testing.assert_allclose(ten.sum(axis=2), 1.0)
    assert 0.0 < ten.min() and ten.max() < 1.0  # bounded as under auto
    assert np.abs(ten - cache.held["isotonic"]).max() > 1e-3  # other folds, other fits
    splits = ri.inner_splits(cache.labels, 10, 2)
    assert splits.shape == (2, 45) and set(np.unique(splits)) == set(range(10))


def test_the_command_replays_every_isotonic_rule_on_complete_caches(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for model in MODELS:
        cache = _cache(f"iris/{model}/0")
        held = {**cache.held, **{ri.inner_folds_name(k): cache.held["isotonic"]
                                 for k in ri.INNER_FOLDS}}
        dataclasses.replace(cache, held=held).save(str(tmp_path))
    ri.main(["--seeds", "0", "--datasets", "iris", "--cache", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert sorted(out) == sorted(ri.RULES)
    assert out["script"]["runs"] == len(MODELS)
    # vector (0.223 held out) loses every run to the peer's 0.06; isotonic alone (0.051) none
    assert out["script"]["lost"] == {"sklearn_isotonic": len(MODELS)}
    assert out["isotonic_lowest"]["lost"] == {}
