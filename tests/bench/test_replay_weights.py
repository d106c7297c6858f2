"""The mixture weights replayed by bench.quality.replay_weights."""

from __future__ import annotations

import numpy as np
import pytest

from bench.quality import replay, replay_rules, replay_weights
from tests.bench.test_replay_rules import three_members


def test_every_rule_is_the_script_rule_from_its_row_count_on() -> None:
    run = three_members(0)  # 60 calibration rows
    expected = replay.current_rule(run)
    for rule in (replay_weights.bootstrap_stacking_rule(5, below=60),
                 replay_weights.pseudo_bma_rule(5, below=60),
                 replay_weights.identity_margin_rule(1.0, below=60)):
        assert rule(run) == expected


def test_bootstrap_stacking_moves_the_weights_but_not_whether_the_mixture_ships() -> None:
    for seed in range(3):
        run = three_members(seed)
        script = replay.current_rule(run)
        boot = replay_weights.bootstrap_stacking_rule(10)(run)
        assert sum(boot.values()) == pytest.approx(1.0)
        assert (len(script) >= 2) == (len(boot) >= 2)
    run = three_members(0)
    assert replay_weights.bootstrap_stacking_rule(10)(run) != replay.current_rule(run)


def test_pseudo_bma_favours_the_member_of_best_held_out_score() -> None:
    run = three_members(0)
    weights = replay_weights.pseudo_bma_rule(50)(run)
    scores = {m: float(np.dot(run.w, replay.row_losses(run.held[k], run.labels, run.eps)))
              for k, m in enumerate(run.methods)}
    best = min(scores, key=lambda m: scores[m])
    assert max(weights, key=lambda m: weights[m]) == best


def test_the_identity_margin_falls_back_to_the_pick_where_the_mixture_cannot_beat_it() -> None:
    run = three_members(0)
    assert len(replay.current_rule(run)) >= 2
    assert replay_weights.identity_margin_rule(-100.0)(run) == replay.current_rule(run)
    assert replay_weights.identity_margin_rule(100.0)(run) == {
        str(run.choice["selected"]): 1.0}


def test_the_judge_takes_the_rules_of_every_module() -> None:
    assert not set(replay_weights.RULES) & (set(replay.RULES) | set(replay_rules.RULES))
    run = three_members(1)
    for make in replay_weights.RULES.values():
        assert sum(make()(run).values()) == pytest.approx(1.0)
