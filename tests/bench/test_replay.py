"""The replay of binary ``auto``'s shipping rule (bench.quality.replay) on cached predictions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bench.quality import cli, ours, replay
from bench.quality.datasets import DATASETS, EXTRA_DATASETS, prepare
from bench.quality.metrics import log_loss

RUN_ID = "iris_versicolor_vs_rest/logistic_c0005/0"


def test_the_script_rule_replayed_reproduces_what_the_script_ships(tmp_path: Path) -> None:
    run = prepare("iris_versicolor_vs_rest", "logistic_c0005", 0)
    fit = ours.fit_and_apply("auto", run.calibration.scores, run.calibration.labels,
                             run.test.scores, str(tmp_path))
    shipped = log_loss(fit.probabilities, run.test.labels)
    replay.capture(RUN_ID, {replay.AUTO: shipped, replay.UNCALIBRATED: 1.0}, str(tmp_path))
    cached = replay.load(str(tmp_path), RUN_ID)
    assert cached.held.shape[:2] == (len(cached.methods), 23)  # 45 rows: 23 inner repeats
    assert cached.test.shape == (len(cached.methods), run.test.rows)
    assert replay.shipped_log_loss(cached, replay.current_rule(cached)) == pytest.approx(
        shipped, abs=1e-12)
    assert cached.held_raw is not None and cached.test_raw is not None
    assert cached.held_raw.shape == cached.held.shape
    assert cached.test_raw.shape == cached.test.shape
    inside = (cached.held_raw > 0.1) & (cached.held_raw < 0.9)  # where no floor binds
    np.testing.assert_array_equal(cached.held[inside], cached.held_raw[inside])
    floored = cached.methods.index("platt")
    assert np.min(cached.held[floored]) >= 0.5 / 46.0  # each fold's floor: 36 training rows
    # replayed at the script's own floor, the unbounded predictions give the shipped loss
    assert replay.shipped_log_loss(cached, replay.current_rule(cached),
                                   cached.floor) == pytest.approx(shipped, abs=1e-3)


def test_a_replay_bounds_what_it_ships_by_another_floor() -> None:
    run = replay.synthetic_replay(2)
    sharp = replay.shipped_predictions(run, {"platt": 1.0}, floor=0.2)
    assert np.min(sharp) == pytest.approx(0.2) and np.max(sharp) == pytest.approx(0.8)
    assert replay.shipped_predictions(run, {"identity": 1.0}, floor=0.2).min() < 0.2
    def platt(r: replay.Replay) -> dict[str, float]:
        return {"platt": 1.0}

    coarse = replay.judge(platt, [run], floor_divisor=0.1)  # a floor 10x the run's
    assert coarse.mean_log_loss == pytest.approx(
        replay.shipped_log_loss(run, {"platt": 1.0}, 10.0 * run.floor))
    assert coarse.mean_log_loss != pytest.approx(replay.judge(platt, [run]).mean_log_loss)
    old = dataclasses.replace(run, test_raw=None)  # a cache captured before
    with pytest.raises(ValueError, match="no unbounded predictions; capture it again"):
        replay.shipped_log_loss(old, {"platt": 1.0}, 0.01)


def test_each_candidate_alone_is_its_own_test_loss() -> None:
    run = replay.synthetic_replay(1)
    p = run.test[run.methods.index("platt")]
    expected = -np.mean(np.where(run.test_labels, np.log(p), np.log1p(-p)))
    assert replay.shipped_log_loss(run, {"platt": 1.0}) == pytest.approx(expected)
    half = replay.shipped_predictions(run, {"platt": 0.5, "identity": 0.5})
    np.testing.assert_allclose(half, 0.5 * (p + run.test[0]))


def test_judge_counts_the_runs_a_rule_loses() -> None:
    runs = [replay.synthetic_replay(seed) for seed in range(3)]
    kept = replay.judge(lambda run: {"identity": 1.0}, runs)
    assert kept.worse_than_uncalibrated == 0 and kept.runs == 3
    # the made-up peer sklearn_sigmoid has loss 0.5: the identity loses where it is above 0.505
    assert kept.lost["sklearn_sigmoid"] == sum(r.losses[replay.UNCALIBRATED] > 0.505
                                               for r in runs)
    assert "worse than uncalibrated 0" in kept.line()


def test_lost_to_is_the_benchmark_tolerance() -> None:
    assert replay.lost_to(0.5051, 0.5) and not replay.lost_to(0.5049, 0.5)
    assert replay.lost_to(0.0051, 0.0) and not replay.lost_to(0.0049, 0.0)


def test_binary_losses_read_the_binary_runs_of_a_results_file(tmp_path: Path) -> None:
    figures = {"figures": {"log_loss": 0.25}, "status": "ok"}
    content = {"runs": [
        {"mode": "binary", "spec": {"dataset": "d", "model": "m", "seed": 0},
         "calibrators": {"ours_auto": figures, "probcal": {"status": "failed"}}},
        {"mode": "multiclass", "spec": {"dataset": "e", "model": "m", "seed": 0},
         "calibrators": {"ours_auto": figures}}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    assert replay.binary_losses(str(path)) == {"d/m/0": {"ours_auto": 0.25}}


def write_cache(run: replay.Replay, directory: Path, losses: dict[str, float]) -> Path:
    """``run`` stored in ``directory`` as the replay cache of run ``d/m/0`` (captured against
    ``losses``), and a results file of that run with ``losses``; returns the results file."""
    base = str(directory / "d__m__0")
    np.savez(base + ".npz", held=run.held, labels=run.labels, w=run.w, folds=run.folds,
             test=run.test, test_labels=run.test_labels)
    meta = {"run_id": "d/m/0", "methods": list(run.methods), "eps": run.eps,
            "choice": run.choice, "floor": run.floor, "losses": losses}
    Path(base + ".json").write_text(json.dumps(meta), encoding="utf-8")
    results = directory / "r.json"
    results.write_text(json.dumps({"runs": [
        {"mode": "binary", "spec": {"dataset": "d", "model": "m", "seed": 0},
         "calibrators": {k: {"figures": {"log_loss": v}, "status": "ok"}
                         for k, v in losses.items()}}]}), encoding="utf-8")
    return results


def test_a_cache_is_judged_against_the_results_file_given(tmp_path: Path) -> None:
    results = write_cache(replay.synthetic_replay(0), tmp_path, {"ours_auto": 0.25})
    meta = json.loads((tmp_path / "d__m__0.json").read_text(encoding="utf-8"))
    meta["losses"] = {"ours_auto": 9.0}  # captured against another results file
    (tmp_path / "d__m__0.json").write_text(json.dumps(meta), encoding="utf-8")
    assert replay.load(str(tmp_path), "d/m/0").losses == {"ours_auto": 9.0}
    assert [r.losses for r in replay.load_all(str(results), str(tmp_path))] == [
        {"ours_auto": 0.25}]


def test_extra_data_sets_run_only_when_named() -> None:
    assert not set(EXTRA_DATASETS) & set(DATASETS)
    args = cli.build_parser().parse_args(["--datasets", "wine_0_vs_rest"])
    assert [s.dataset for s in cli.specs_of(args)][0] == "wine_0_vs_rest"
    assert {s.dataset for s in cli.specs_of(cli.build_parser().parse_args([]))} == set(DATASETS)
    run = prepare("wine_0_vs_rest", "naive_bayes", 0)
    assert run.classes == 2 and run.calibration.rows == 54


def test_without_a_candidate_the_rule_chooses_among_the_others() -> None:
    run = replay.synthetic_replay(2)
    alone = replay.without(run, {"platt"})
    assert alone.methods == ("identity",) and alone.test.shape[0] == 1
    assert replay.current_rule(alone) == {"identity": 1.0}
    kept = replay.without(run, set())
    # the record recomputed from the held-out predictions: the smoothed per-row losses' mean
    own = np.where(run.labels, run.held[1], 1.0 - run.held[1])
    expected = np.mean((1.0 - run.eps) * -np.log(own) + run.eps * -np.log1p(-own))
    assert kept.choice["candidates"]["platt"]["log_loss"] == pytest.approx(expected)
    assert set(kept.choice["candidates"]) == {"identity", "platt"}


def test_a_capture_can_repeat_the_inner_split_more_often(tmp_path: Path) -> None:
    from calibration_step.script.model_calibration import crossfit

    replay.capture(RUN_ID, {replay.AUTO: 0.5, replay.UNCALIBRATED: 1.0}, str(tmp_path), 12)
    assert crossfit.AUTO_BINARY_MAX_REPEATS == 25  # restored
    cached = replay.load(str(tmp_path), RUN_ID)
    assert cached.held.shape[1] == cached.folds.shape[0] == 12  # 45 rows: 12 of the 23 wanted


def test_the_stacking_rule_with_the_script_smoothing_is_the_script_rule() -> None:
    for seed in range(4):
        run = replay.synthetic_replay(seed, repeats=3, scores_scale=0.5)  # the mixture ships
        assert set(replay.current_rule(run)) == {"identity", "platt"}
        assert replay.stacking_rule()(run) == replay.current_rule(run)


def test_unsmoothed_weights_are_the_script_weights_of_unsmoothed_labels() -> None:
    run = replay.synthetic_replay(3, repeats=2, scores_scale=0.5)
    unsmoothed = replay.stacking_rule(0.0, None)(run)
    assert unsmoothed == replay.current_rule(dataclasses.replace(run, eps=0.0))
    assert unsmoothed["platt"] > replay.current_rule(run)["platt"]  # smoothing favours the
    assert replay.stacking_rule(40.0, None)(run) == {"identity": 1.0}  # less confident scores


def test_a_single_candidate_ships_where_the_mixture_does_not_beat_it_by_a_standard_error() -> None:
    run = replay.synthetic_replay(0, scores_scale=0.5)
    weights = replay.stacking_rule()(run)
    assert set(weights) == {"identity", "platt"}  # the mixture ships
    assert replay.stacking_rule(single=("platt",))(run) == {"platt": 1.0}
    # a margin no difference reaches: platt within it; a negative margin: the mixture wins
    assert replay.stacking_rule(single=("platt",), margin=-10.0)(run) == weights


def test_beats_by_one_se_weighs_the_rows() -> None:
    better, other = np.array([0.1, 0.5]), np.array([0.3, 0.2])
    assert replay.beats_by_one_se(better, other, np.array([1.0, 0.0001]))
    assert not replay.beats_by_one_se(better, other, np.array([0.0001, 1.0]))


def test_a_capture_can_standardise_the_temperature_prior(tmp_path: Path) -> None:
    from calibration_step.script.model_calibration import fitting

    original = getattr(fitting, "fit_binary_temperature")
    losses = {replay.AUTO: 0.5, replay.UNCALIBRATED: 1.0}
    for folder in ("plain", "std"):
        (tmp_path / folder).mkdir()
    replay.capture(RUN_ID, losses, str(tmp_path / "plain"))
    replay.capture(RUN_ID, losses, str(tmp_path / "std"), standardised_scale_prior=True)
    assert getattr(fitting, "fit_binary_temperature") is original  # restored
    plain, std = (replay.load(str(tmp_path / d), RUN_ID) for d in ("plain", "std"))
    k = plain.methods.index("temperature")
    assert not np.allclose(plain.held[k], std.held[k])  # the logits' sd is not 1 here
    others = [i for i, m in enumerate(plain.methods) if m != "temperature"]
    np.testing.assert_array_equal(plain.held[others], std.held[others])


def test_the_script_fits_unsmoothed_weights_where_a_candidate_separates_the_rows() -> None:
    run = replay.synthetic_replay(0, rows=8, scores_scale=0.5)
    assert replay.separated(run)
    assert replay.current_rule(run) == replay.stacking_rule(0.0, None)(run)
    smoothed = dataclasses.replace(run, eps=0.1)  # a rate whose smoothing shows
    assert replay.current_rule(smoothed) == replay.stacking_rule(0.0, None)(smoothed)
    assert replay.current_rule(smoothed) != replay.stacking_rule(1.0, None)(smoothed)
