"""The multi-class replay harness: cached candidates, rules replayed on them, the tallies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.quality import replay_multiclass as rm
from bench.quality.datasets import MODELS
from bench.quality.runs import RunSpec


def _cache(run_id: str = "toy/model/0") -> rm.RunCache:
    """Six calibration rows of 2 classes, 2 repeats of 2 folds: vector's held-out predictions
    are right and confident, identity's a coin; on the test rows vector is right too."""
    labels = np.array([0, 1, 0, 1, 0, 1])
    sharp = np.where(labels[:, None] == np.arange(2), 0.9, 0.1)
    test_labels = np.array([1, 0, 1])
    test_sharp = np.where(test_labels[:, None] == np.arange(2), 0.8, 0.2)
    return rm.RunCache(run_id, labels, np.array([[0, 0, 1, 1, 0, 1], [1, 0, 0, 1, 1, 0]]),
                       test_labels, np.full((3, 2), 0.5),
                       {"identity": np.full((2, 6, 2), 0.5), "vector": np.stack([sharp] * 2)},
                       {"identity": np.full((3, 2), 0.5), "vector": test_sharp},
                       {"sklearn_sigmoid": 0.3, "sklearn_isotonic": 0.1})


def test_the_script_rule_picks_the_better_candidate_and_tallies_the_peers() -> None:
    outcome, = rm.replay(rm.script_rule(), [_cache()])
    assert outcome.weights == {"vector": 1.0}
    assert outcome.log_loss == pytest.approx(-np.log(0.8))
    assert outcome.uncalibrated == pytest.approx(np.log(2.0))
    # ln(1 / 0.8) = 0.223: below sigmoid's 0.3, above isotonic's 0.1 by more than 0.005
    assert outcome.lost_to == ("sklearn_isotonic",)
    assert not outcome.worse_than_uncalibrated
    assert rm.summary([outcome])["lost"] == {"sklearn_isotonic": 1}


def test_a_rule_restricted_to_identity_is_the_uncalibrated_baseline() -> None:
    outcome, = rm.replay(rm.script_rule(["identity"]), [_cache()])
    assert outcome.weights == {"identity": 1.0}
    assert outcome.log_loss == pytest.approx(outcome.uncalibrated)
    assert outcome.lost_to == ("sklearn_sigmoid", "sklearn_isotonic")


def test_mixture_probabilities_are_the_weighted_rows() -> None:
    mixed = rm.mixture_probabilities(_cache(), {"identity": 0.5, "vector": 0.5})
    np.testing.assert_allclose(mixed, [[0.35, 0.65], [0.65, 0.35], [0.35, 0.65]])
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0)


def test_held_out_losses_average_the_repeats() -> None:
    held = np.array([[[0.5, 0.5], [0.1, 0.9]], [[0.25, 0.75], [0.0, 1.0]]])
    np.testing.assert_allclose(rm.held_out_losses(held, np.array([0, 1])),
                               [(np.log(2) + np.log(4)) / 2, -np.log(0.9) / 2])


def test_a_cache_saves_and_loads_unchanged(tmp_path: Path) -> None:
    cache = _cache("wine/svm/3")
    cache.save(str(tmp_path))
    loaded = rm.RunCache.load(str(tmp_path), "wine/svm/3")
    assert loaded.run_id == "wine/svm/3" and loaded.peer_log_loss == cache.peer_log_loss
    for name in ("identity", "vector"):
        np.testing.assert_array_equal(loaded.held[name], cache.held[name])
        np.testing.assert_array_equal(loaded.test[name], cache.test[name])
    np.testing.assert_array_equal(loaded.folds, cache.folds)


def test_collect_keeps_the_script_selection_inputs() -> None:
    cache = rm.collect(RunSpec("iris", "logistic_c0005", 0), ["sklearn_sigmoid"],
                       ["identity", "vector"])
    assert cache.held["vector"].shape == (10, 45, 3)  # 10 inner repeats on 45 rows
    assert cache.folds.shape == (10, 45) and set(np.unique(cache.folds)) == set(range(5))
    np.testing.assert_allclose(cache.test["vector"].sum(axis=1), 1.0)
    np.testing.assert_allclose(cache.held["vector"].sum(axis=2), 1.0)
    assert set(cache.peer_log_loss) == {"sklearn_sigmoid"}
    assert rm.multiclass_specs([0], ["iris"])[0] == RunSpec("iris", "naive_bayes", 0)


def test_the_command_replays_the_cached_runs_without_refitting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for model in MODELS:
        _cache(f"iris/{model}/0").save(str(tmp_path))
    rm.main(["--seeds", "0", "--datasets", "iris", "--cache", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert out["runs"] == len(MODELS) and out["lost"] == {"sklearn_isotonic": len(MODELS)}
