"""The logarithmic pool replayed by bench.quality.replay_pools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.quality import replay, replay_pools, replay_rules, replay_weights
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, logit
from tests.bench.test_replay import write_cache
from tests.bench.test_replay_rules import three_members

ROOT = Path(__file__).resolve().parents[2]


def _pool_loss(held: np.ndarray, labels: np.ndarray, w: float) -> float:
    z = w * logit(held[0], CLIP_EPSILON) + (1.0 - w) * logit(held[1], CLIP_EPSILON)
    p = 1.0 / (1.0 + np.exp(-z))
    return -float(np.mean(np.where(labels, np.log(p), np.log1p(-p))))


def test_the_pool_weights_minimise_the_pool_log_loss() -> None:
    rng = np.random.default_rng(0)
    labels = rng.uniform(size=80) < 0.5
    sharp = np.where(labels, 0.8, 0.2) + rng.normal(0.0, 0.15, 80)
    held = np.clip(np.stack([sharp, rng.uniform(0.3, 0.7, 80)]), 0.02, 0.98)
    weights = replay_pools.logit_pool_weights(held, labels, np.ones(80), 0.0)
    assert weights.sum() == pytest.approx(1.0)
    grid = np.linspace(0.0, 1.0, 201)
    best = grid[int(np.argmin([_pool_loss(held, labels, w) for w in grid]))]
    assert weights[0] == pytest.approx(best, abs=0.01)
    assert _pool_loss(held, labels, float(weights[0])) <= min(
        _pool_loss(held, labels, w) for w in grid) + 1e-9


def test_logit_weights_are_mixed_in_log_odds_and_bounded_by_the_floor() -> None:
    run = three_members(0)
    weights = {"platt": 0.5, "isotonic": 0.5}
    linear = replay.shipped_predictions(run, weights)
    pooled = replay.shipped_predictions(run, replay.LogitWeights(weights))
    k, j = run.methods.index("platt"), run.methods.index("isotonic")
    z = 0.5 * logit(run.test[k], CLIP_EPSILON) + 0.5 * logit(run.test[j], CLIP_EPSILON)
    expected = np.clip(1.0 / (1.0 + np.exp(-z)), run.floor, 1.0 - run.floor)
    np.testing.assert_allclose(pooled, expected, rtol=1e-12)
    assert not np.allclose(pooled, linear)
    # where the members agree on a side, the log-odds pool is at least as sharp as the linear
    same_side = (run.test[k] - 0.5) * (run.test[j] - 0.5) > 0
    assert np.all(np.abs(pooled - 0.5)[same_side] >= np.abs(linear - 0.5)[same_side] - 1e-12)


def test_the_rule_is_the_script_rule_below_its_row_count() -> None:
    run = three_members(0)  # 60 calibration rows
    assert replay_pools.logit_pool_rule(61)(run) == replay.current_rule(run)
    pooled = replay_pools.logit_pool_rule(60)(run)
    assert isinstance(pooled, replay.LogitWeights)
    assert sum(pooled.values()) == pytest.approx(1.0)


def test_a_pool_of_one_member_falls_back_to_the_script_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    run = three_members(0)
    assert len(replay.current_rule(run)) >= 2

    def one_member(held: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        out = np.zeros(held.shape[0])
        out[0] = 1.0
        return out

    monkeypatch.setattr(replay_pools, "logit_pool_weights", one_member)
    assert replay_pools.logit_pool_rule()(run) == replay.current_rule(run)
    assert not isinstance(replay_pools.logit_pool_rule()(run), replay.LogitWeights)


def test_the_judge_takes_the_pool_rules() -> None:
    assert not set(replay_pools.RULES) & (set(replay.RULES) | set(replay_rules.RULES)
                                          | set(replay_weights.RULES))
    runs = [three_members(seed) for seed in range(2)]
    for make in replay_pools.RULES.values():
        judged = replay.judge(make(), runs)
        assert judged.runs == 2 and np.isfinite(judged.mean_log_loss)


def test_the_command_line_pools_logit_weights_in_log_odds(tmp_path: Path) -> None:
    run = three_members(0)
    results = write_cache(run, tmp_path, {replay.UNCALIBRATED: 0.7, "sklearn_sigmoid": 0.5})
    weights = replay_pools.logit_pool_rule()(run)
    assert isinstance(weights, replay.LogitWeights)
    assert replay.shipped_log_loss(run, weights) != pytest.approx(
        replay.shipped_log_loss(run, dict(weights)), abs=1e-6)
    expected = replay.judge(replay_pools.logit_pool_rule(),
                            replay.load_all(str(results), str(tmp_path))).line()
    out = subprocess.run([sys.executable, "-m", "bench.quality.replay", "judge", "--results",
                          str(results), "--cache", str(tmp_path), "--rules", "logit_pool"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert f"logit_pool: {expected}" in out.splitlines()


def test_the_sharpened_pool_scales_the_script_mixture_log_odds() -> None:
    run = three_members(0)
    script = replay.current_rule(run)
    sharpened = replay_pools.sharpened_pool_rule()(run)
    assert isinstance(sharpened, replay.SharpenedWeights) and dict(sharpened) == script
    assert sharpened.scale in replay_pools.SHARPENING_SCALES
    linear = replay.shipped_predictions(run, script)
    z = sharpened.scale * logit(linear, CLIP_EPSILON)
    np.testing.assert_allclose(replay.shipped_predictions(run, sharpened),
                               np.clip(1.0 / (1.0 + np.exp(-z)), run.floor, 1.0 - run.floor),
                               rtol=1e-12)
    single = replay.synthetic_replay(0, rows=200)  # the script ships identity alone
    assert replay.current_rule(single) == {"identity": 1.0}
    assert not isinstance(replay_pools.sharpened_pool_rule()(single), replay.SharpenedWeights)
