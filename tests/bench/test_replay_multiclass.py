"""The multi-class replay harness: cached candidates, rules replayed on them, the tallies."""

from __future__ import annotations

import dataclasses
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
    assert set(loaded.test) == {"identity", "vector"}  # the test labels are no candidate


def _overconfident_cache() -> rm.RunCache:
    """Twenty rows, 2 repeats of 2 folds: vector is right at 0.95 on all but 4 rows (one in
    each fold), which it misses at 0.05; identity is a coin. On the 4 test rows vector misses
    one at 0.05."""
    rows = 20
    labels = np.arange(rows) % 2
    folds = np.array([np.arange(rows) % 4 // 2, (np.arange(rows) + 1) % 4 // 2])
    sharp = np.where(labels[:, None] == np.arange(2), 0.95, 0.05)
    sharp[[3, 6, 13, 16]] = sharp[[3, 6, 13, 16], ::-1]
    test_labels = np.array([0, 1, 0, 1])
    test_sharp = np.where(test_labels[:, None] == np.arange(2), 0.95, 0.05)
    test_sharp[0] = test_sharp[0, ::-1]
    return rm.RunCache("toy/overconfident/0", labels, folds, test_labels, np.full((4, 2), 0.5),
                       {"identity": np.full((2, rows, 2), 0.5),
                        "vector": np.stack([sharp] * 2)},
                       {"identity": np.full((4, 2), 0.5), "vector": test_sharp},
                       {"sklearn_sigmoid": 0.3})


def test_the_shrunk_rule_mixes_a_lone_pick_with_identity_on_its_honest_loss() -> None:
    cache = _overconfident_cache()
    assert rm.script_rule(["vector"])(cache) == {"vector": 1.0}
    shrunk = rm.shrunk_rule(["vector"])(cache)
    assert sorted(shrunk) == ["identity", "vector"] and 0.2 < shrunk["identity"] < 0.5
    assert sum(shrunk.values()) == pytest.approx(1.0)
    alone, mixed = rm.replay(rm.script_rule(["vector"]), [cache])[0], rm.replay(
        rm.shrunk_rule(["vector"]), [cache])[0]
    assert mixed.log_loss < alone.log_loss  # the missed test row is hedged
    # a pick the script ships with no room to shrink (identity keeps no weight) stays alone
    assert rm.shrunk_rule()(_cache()) == {"vector": 1.0}


def test_identity_within_z_standard_errors_overrides_the_pick() -> None:
    cache = _overconfident_cache()
    assert rm.identity_within_rule(0.0, ["identity", "vector"])(cache) != {"identity": 1.0}
    assert rm.identity_within_rule(100.0, ["identity", "vector"])(cache) == {"identity": 1.0}


def test_a_gated_or_pick_only_candidate_ships_alone() -> None:
    base = _cache()
    sure = np.where(np.arange(6) % 3 == 0, 0.97, 0.99)[:, None]
    perfect = np.where(base.labels[:, None] == np.arange(2), sure, 1.0 - sure)
    held = {**base.held, "isotonic": np.stack([perfect] * 2)}
    cache = dataclasses.replace(base, held=held, test={**base.test, "isotonic": base.test[
        "vector"]})
    assert rm.gated_rule("isotonic", 0.0)(cache) == {"isotonic": 1.0}
    assert rm.gated_rule("isotonic", 1e9)(cache) == rm.script_rule(pick_only=())(cache) == {
        "vector": 1.0}
    # the script's rule: isotonic a candidate for the single pick, shipped alone when picked
    assert rm.script_rule()(cache) == {"isotonic": 1.0}
    assert rm.script_rule(["identity", "vector"])(cache) == {"vector": 1.0}


def test_the_repeats_rule_sees_only_the_first_repeats() -> None:
    cache = _cache()
    # the second repeat alone makes identity the better candidate
    held = {"identity": cache.held["identity"],
            "vector": np.stack([cache.held["vector"][0], 1.0 - cache.held["vector"][1]])}
    flipped = dataclasses.replace(cache, held=held)
    assert rm.repeats_rule(1)(flipped) == {"vector": 1.0}
    both = rm.script_rule()(flipped)
    assert max(both, key=lambda m: both[m]) == "identity"


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
    rm.main(["--seeds", "0", "--datasets", "iris", "--cache", str(tmp_path), "--rules",
             "script", "first_2_repeats"])
    both = json.loads(capsys.readouterr().out)
    assert sorted(both) == ["first_2_repeats", "script"] and both["script"] == out


def test_the_uniform_share_maximises_the_likelihood_of_the_mixed_rows() -> None:
    p_true = np.array([0.99] * 9 + [1e-6])
    u = rm.uniform_share(p_true, 3)

    def likelihood(share: float) -> float:
        return float(np.log((1.0 - share) * p_true + share / 3).sum())

    assert 0.0 < u < 1.0
    assert likelihood(u) > max(likelihood(u - 1e-3), likelihood(u + 1e-3))
    assert rm.uniform_share(np.full(4, 0.9), 3) == 0.0  # no miss: the scores as they are


def test_floored_identity_hedges_the_scores_by_the_share_of_the_training_rows() -> None:
    cache = _overconfident_cache()
    cache = dataclasses.replace(cache, held={**cache.held, "identity": cache.held["vector"]},
                                test={**cache.test, "identity": cache.test["vector"]})
    floored = rm.floored_identity(cache)
    # 2 of the 10 training rows of each fold are misses at 0.05: a share near 0.2 is fitted
    share = 2 * (floored.test["identity"][1, 0] - 0.0)  # a 0.05 miss becomes 0.05 (1 - u) + u/2
    assert floored.test["identity"][1, 1] == pytest.approx(1.0 - floored.test["identity"][1, 0])
    assert floored.test["identity"][0, 0] > 0.05 and share > 0.1
    np.testing.assert_allclose(floored.held["identity"].sum(axis=2), 1.0)
    assert np.all(floored.held["identity"].min(axis=2) > 0.05)
    np.testing.assert_array_equal(floored.held["vector"], cache.held["vector"])


def test_identity_unless_beaten_by_z_standard_errors() -> None:
    cache = _overconfident_cache()  # identity a coin, vector right at 0.95 on 16 of 20 rows
    assert rm.script_rule(["vector"])(cache) == {"vector": 1.0}
    assert rm.identity_beaten_rule(0.0, ["vector"])(cache) == {"vector": 1.0}
    assert rm.identity_beaten_rule(100.0, ["vector"])(cache) == {"identity": 1.0}


def test_the_odir_rule_puts_the_strength_with_the_lowest_inner_loss_in_dirichlet_place() -> None:
    base = _cache()
    weak, strong = rm.odir_name((50.0, 0.05)), rm.odir_name((500.0, 0.5))
    cache = dataclasses.replace(
        base, held={"identity": base.held["identity"], "dirichlet": 1.0 - base.held["vector"],
                    weak: base.held["vector"], strong: 1.0 - base.held["vector"]},
        test={"identity": base.test["identity"], "dirichlet": 1.0 - base.test["vector"],
              weak: base.test["vector"], strong: 1.0 - base.test["vector"]})
    assert rm.script_rule(["identity", "dirichlet"])(cache) == {"identity": 1.0}
    rule = rm.odir_rule([(50.0, 0.05), (500.0, 0.5)], ["identity", "dirichlet"])
    assert rule(cache) == {weak: 1.0}
    outcome, = rm.replay(rule, [cache])
    assert outcome.log_loss == pytest.approx(-np.log(0.8))  # the weak strength's test rows


def test_with_odir_strengths_refits_dirichlet_in_the_cached_folds() -> None:
    from calibration_step.script.model_calibration import classscaling, problems

    spec = RunSpec("iris", "logistic_c0005", 0)
    cache = rm.collect(spec, [], ["identity", "dirichlet"])
    out = rm.with_odir_strengths(spec, cache, [(50.0, 0.5), (5000.0, 5.0)])
    today, strong = out.held["dirichlet_50_0.5"], out.held["dirichlet_5000_5"]
    # auto's own strengths reproduce its dirichlet; a stronger prior moves it
    np.testing.assert_allclose(today, cache.held["dirichlet"], atol=1e-6)
    np.testing.assert_allclose(out.test["dirichlet_50_0.5"], cache.test["dirichlet"],
                               atol=1e-6)
    assert np.abs(strong - today).max() > 1e-3
    np.testing.assert_allclose(strong.sum(axis=2), 1.0)
    assert (problems.AUTO_OFF_DIAGONAL_PENALTY, classscaling.INTERCEPT_PENALTY) == (50.0, 0.5)


def test_the_floored_identity_rule_is_judged_on_the_floored_test_predictions() -> None:
    cache = _overconfident_cache()
    cache = dataclasses.replace(cache, held={"identity": cache.held["vector"]},
                                test={"identity": cache.test["vector"]})
    rule = rm.floored_identity_rule(["identity"])
    assert rule(cache) == {rm.FLOORED_IDENTITY: 1.0}
    floored, = rm.replay(rule, [cache])
    plain, = rm.replay(rm.script_rule(["identity"]), [cache])
    # the test split's miss at 0.05 is hedged: better than the scores as they are
    assert floored.log_loss < plain.log_loss
    np.testing.assert_allclose(rm.candidate_test_predictions(cache, rm.FLOORED_IDENTITY),
                               rm.floored_identity(cache).test["identity"])
