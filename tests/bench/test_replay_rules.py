"""The mixture rules replayed by bench.quality.replay_rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bench.quality import replay, replay_rules


def three_members(seed: int, scores_scale: float = 0.5) -> replay.Replay:
    """A made-up run with a third, noisy member ``isotonic`` beside identity and platt."""
    run = replay.synthetic_replay(seed, repeats=2, scores_scale=scores_scale)
    rng = np.random.default_rng(seed)
    noisy = np.clip(run.held[1] + rng.normal(0.0, 0.15, run.held[1].shape), 0.02, 0.98)
    test = np.clip(run.test[1] + rng.normal(0.0, 0.15, run.test[1].shape), 0.02, 0.98)
    return dataclasses.replace(run, methods=run.methods + ("isotonic",),
                               held=np.concatenate([run.held, noisy[None]]),
                               test=np.concatenate([run.test, test[None]]))


def test_every_member_and_no_extra_prior_is_the_script_rule() -> None:
    for seed in range(3):
        run = three_members(seed)
        expected = replay.current_rule(run)
        assert replay_rules.members_rule(run.methods)(run) == expected
        assert replay_rules.member_prior_rule({})(run) == expected
        assert replay_rules.chosen_prior_rule([{}])(run) == expected
    separated = replay.synthetic_replay(0, rows=8, scores_scale=0.5)
    assert replay.separated(separated)
    assert replay_rules.members_rule(separated.methods)(separated) == replay.current_rule(
        separated)


def test_members_rule_restricts_the_mixture_below_its_row_count_only() -> None:
    run = three_members(0)
    assert "isotonic" in replay.current_rule(run)
    low = replay_rules.members_rule(("identity", "platt"), below=61)(run)
    assert set(low) <= {"identity", "platt"}
    assert replay_rules.members_rule(("identity", "platt"), below=60)(run) == \
        replay.current_rule(run)  # 60 calibration rows: not below 60
    # only on separated runs: this one is not, so the script's mixture
    assert replay_rules.members_rule(("identity", "platt"), only_separated=True)(run) == \
        replay.current_rule(run)


def test_a_member_prior_pulls_weight_toward_that_member() -> None:
    run = three_members(0)
    before = replay.current_rule(run)
    pulled = replay_rules.member_prior_rule({"platt": 3.0})(run)
    assert pulled["platt"] > before["platt"]
    assert replay_rules.spread(4.0, ("identity", "platt", "beta")) == {"platt": 2.0,
                                                                        "beta": 2.0}


def test_the_chosen_prior_is_the_one_of_least_honest_loss() -> None:
    run = three_members(0)
    priors = [{}, {"platt": 20.0}, {"identity": 20.0}]
    losses = [float(np.dot(run.w, replay_rules.honest_mixture(run, run.methods, p)[1]))
              for p in priors]
    best = priors[int(np.argmin(losses))]
    assert replay_rules.chosen_prior_rule(priors)(run) == \
        replay_rules.member_prior_rule(best)(run)
    assert len(set(losses)) == 3  # the priors do change the honest loss


def test_nested_rule_keeps_the_low_members_unless_the_whole_mixture_beats_them() -> None:
    run = three_members(0)  # both mixtures ship
    low, low_honest = replay_rules.honest_mixture(run, ("identity", "platt"), {})
    full, full_honest = replay_rules.honest_mixture(run, run.methods, {})
    assert low != full
    assert replay_rules.nested_rule(("identity", "platt"), margin=100.0)(run) == low
    assert replay_rules.nested_rule(("identity", "platt"), margin=-100.0)(run) == full
    beats = replay.beats_by_one_se(full_honest, low_honest, run.w, 1.0)
    assert replay_rules.nested_rule(("identity", "platt"))(run) == (full if beats else low)


def test_the_costliest_rows_add_up_to_the_test_loss() -> None:
    run = replay.synthetic_replay(3)
    weights = {"identity": 0.5, "platt": 0.5}
    text = replay_rules.costliest_rows(run, weights, 3)
    first = text.splitlines()[0]
    total = float(first.split("test log loss ")[1].split(";")[0])
    assert total == pytest.approx(replay.shipped_log_loss(run, weights), abs=1e-4)
    parts = [float(first.split(key)[1].split()[0].strip("(),"))
             for key in ("(", "costliest ", "the rest ")]
    assert sum(parts) == pytest.approx(total, abs=3e-4)
    assert len(text.splitlines()) == 3  # one line per member with weight


def test_the_judge_takes_the_rules_of_both_modules() -> None:
    assert not set(replay.RULES) & set(replay_rules.RULES)
    for make in replay_rules.RULES.values():
        weights = make()(three_members(0))
        assert sum(weights.values()) == pytest.approx(1.0)
