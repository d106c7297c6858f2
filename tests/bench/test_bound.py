"""The bound of what any ``auto`` rule can ship: its own candidates picked on the test split."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bench.quality import bound, replay
from bench.quality import replay_multiclass as rm


def _misjudged(seed: int) -> replay.Replay:
    """A made-up binary run whose inner predictions say keep the scores (platt's held-out rows
    all wrong) while platt is right on every test row."""
    run = replay.synthetic_replay(seed)
    platt = run.methods.index("platt")
    held, test = run.held.copy(), run.test.copy()
    held[platt] = np.where(run.labels, 0.01, 0.99)
    test[platt] = np.where(run.test_labels, 0.9, 0.1)
    return dataclasses.replace(run, held=held, test=test)


def test_the_binary_bound_ships_the_option_with_the_lowest_test_loss() -> None:
    runs = [_misjudged(seed) for seed in range(3)]
    for run in runs:
        assert replay.current_rule(run) == {"identity": 1.0}
    shipped = replay.judge(replay.current_rule, runs)
    best = bound.binary_bound(runs)
    losses = [min(replay.shipped_log_loss(r, w) for w in bound.binary_options(r).values())
              for r in runs]
    assert best.mean_log_loss == pytest.approx(float(np.mean(losses)))
    assert best.mean_log_loss < shipped.mean_log_loss  # platt: ln(1 / 0.9) a row
    assert best.lost["sklearn_sigmoid"] == 0 < shipped.lost["sklearn_sigmoid"]
    assert best.runs == shipped.runs == 3


def test_the_shipped_mixture_is_an_option_of_its_own() -> None:
    run = replay.synthetic_replay(4)
    options = bound.binary_options(run)
    assert options[bound.SHIPPED] == replay.current_rule(run)
    assert set(options) == {*run.methods, bound.SHIPPED}
    name, loss = bound.best_on_test(options, lambda w: replay.shipped_log_loss(run, w))
    assert loss == min(replay.shipped_log_loss(run, w) for w in options.values())
    assert loss == replay.shipped_log_loss(run, options[name])


def _multiclass_cache() -> rm.RunCache:
    """Vector is right and confident on the inner held-out rows (the script ships it) but wrong
    on the test rows, where identity's coin is better; temperature, which auto leaves out, is best."""
    labels = np.array([0, 1, 0, 1, 0, 1])
    sharp = np.where(labels[:, None] == np.arange(2), 0.9, 0.1)
    test_labels = np.array([1, 0, 1])
    wrong = np.where(test_labels[:, None] == np.arange(2), 0.2, 0.8)
    right = np.where(test_labels[:, None] == np.arange(2), 0.7, 0.3)
    return rm.RunCache("toy/model/0", labels, np.array([[0, 0, 1, 1, 0, 1], [1, 0, 0, 1, 1, 0]]),
                       test_labels, np.full((3, 2), 0.5),
                       {"identity": np.full((2, 6, 2), 0.5), "vector": np.stack([sharp] * 2),
                        "temperature": np.stack([sharp] * 2)},
                       {"identity": np.full((3, 2), 0.5), "vector": wrong, "temperature": right},
                       {"sklearn_sigmoid": 0.7, "sklearn_isotonic": 0.3})


def test_the_multiclass_bound_picks_the_best_default_candidate_on_the_test_split() -> None:
    cache = _multiclass_cache()
    shipped = rm.summary(rm.replay(rm.script_rule(), [cache]))
    assert shipped["lost"] == {"sklearn_isotonic": 1, "sklearn_sigmoid": 1}
    assert shipped["worse_than_uncalibrated"] == 1
    best = bound.multiclass_bound([cache])
    assert best["mean_log_loss"] == pytest.approx(round(np.log(2.0), 6))  # identity's coin
    assert best["lost"] == {"sklearn_isotonic": 1}  # ln 2 = 0.693: within 0.707 of sigmoid
    assert best["worse_than_uncalibrated"] == 0


def test_every_candidate_lets_the_bound_pick_the_methods_auto_leaves_out() -> None:
    cache = _multiclass_cache()
    assert "temperature" not in bound.multiclass_options(cache)
    assert "temperature" in bound.multiclass_options(cache, every_candidate=True)
    best = bound.multiclass_bound([cache], every_candidate=True)
    assert best["mean_log_loss"] == pytest.approx(round(-np.log(0.7), 6))
    assert best["lost"] == {"sklearn_isotonic": 1}  # ln(1 / 0.7) = 0.357 against 0.3


def test_the_command_wants_a_cache_with_its_results() -> None:
    with pytest.raises(SystemExit):
        bound.main(["--results", "r.json"])
    with pytest.raises(SystemExit):
        bound.main([])
