"""``auto``'s six selections on many multi-class rows from one shared subsample whose inner
folds are the cross-fitting folds (``sampledselection``)."""

from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
import pytest

from calibration_step.script.errors import CalibrationScriptError, Code
from calibration_step.script.interface import METRICS_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration import (limits, problems, sampledselection,
                                                      scalingfolds, sharedfolds)
from calibration_step.script.model_calibration.aggregation import Aggregated, aggregate
from calibration_step.script.model_calibration.artifact import MultiCalibrator
from calibration_step.script.model_calibration.classscaling import ScalingFit
from calibration_step.script.model_calibration.crossfit import selection_sample, stratified_folds
from calibration_step.script.model_calibration.heldoutchunks import HeldOutChunks
from calibration_step.script.model_calibration.jsonvalues import json_get, json_number
from calibration_step.script.model_calibration.numerics import BoolArray, NewtonResult
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.sampledselection import select_on_shared_sample
from calibration_step.script.model_calibration.settings import read_settings
from tests.script.synthetic import multiclass_scenario, read_json, run_main, write_multiclass

CANDIDATES = '["identity", "platt", "vector", "dirichlet"]'


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared path on a few thousand rows: a subsample of about 2,400 rows (one row in
    ceil(rows / 2400)) from 3,000 rows, every selection above the mixture's row limit."""
    monkeypatch.setattr(limits, "AUTO_SUBSAMPLE_MIN_ROWS", 3000)
    monkeypatch.setattr(limits, "AUTO_SELECTION_ROWS", 2400)
    monkeypatch.setattr(limits, "AUTO_SHARED_SELECTION_ROWS", 2400)
    monkeypatch.setattr(sampledselection, "MIXTURE_MAX_ROWS", 1000)


def _problem(n: int, folds: int = 5, candidates: str = CANDIDATES
             ) -> tuple[MulticlassProblem, np.ndarray]:
    scores, labels, _ = multiclass_scenario(n, 4)
    settings = read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3",
                              "CALIBRATION_METHOD": "auto", "CALIBRATION_FOLDS": str(folds),
                              "AUTO_CANDIDATES": candidates})
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), None, settings)
    return problem, stratified_folds(problem.labels, folds, 3)


def _held_out_log_loss(sample: MulticlassProblem, groups: np.ndarray, method: str,
                       left_out: Optional[int]) -> float:
    """``method``'s inner cross-validated log loss on the sample without fold ``left_out``, its
    inner folds the other folds: each fitted directly."""
    rows = groups != left_out
    total = 0.0
    for g in sorted(set(groups[rows].tolist())):
        train = rows & (groups != g)
        test = groups == g
        model = sample.fit(method, train, "test")
        total += float(sample.row_loss(sample.predict(model, test), test).sum())
    return total / int(rows.sum())


@pytest.mark.parametrize("candidates, compared, rel", [
    (CANDIDATES, ("platt", "vector", "dirichlet"), 1e-12),
    ('["identity", "beta", "gam", "vector", "dirichlet"]', ("beta", "gam"), 1e-8)])
def test_each_selection_scores_the_candidates_without_its_own_fold(
        small_limits: None, candidates: str, compared: tuple[str, ...], rel: float) -> None:
    """The shipped selection's inner folds are the cross-fitting folds in the subsample; fold
    f's leave out fold f's rows and use the other folds: every candidate's log loss equals the
    direct fits' (those from their usual starts: beta's, gam's, vector's and dirichlet's fits
    there start from their fit on the whole subsample, the same fits to their tolerance)."""
    problem, fold = _problem(4000, candidates=candidates)
    shared = select_on_shared_sample(problem, fold, 5)
    assert shared is not None
    picked = selection_sample(problem.strata, 2400, problem.settings.seed)
    sample, groups = problem.subset(picked), fold[picked]
    for left_out, choice in [(None, shared.shipped), *shared.folds.items()]:
        records = json_get(choice, "candidates")
        for method in compared:
            direct = _held_out_log_loss(sample, groups, method, left_out)
            assert json_number(json_get(records, method)["log_loss"]) == \
                pytest.approx(direct, rel=rel)
        assert choice["inner_folds"] == (5 if left_out is None else 4)
        subsample = json_get(choice, "subsample")
        assert subsample["rows"] == choice["rows"] == int(np.count_nonzero(groups != left_out))
        assert subsample["of_rows"] == (4000 if left_out is None else
                                        int(np.count_nonzero(fold != left_out)))
    assert sorted(shared.folds) == [0, 1, 2, 3, 4]


def test_the_candidates_without_the_same_folds_share_each_class_s_aggregate(
        small_limits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """identity and platt fitted without each fold and each pair of folds (15 row masks): each
    class's rows of a mask are aggregated once for both candidates."""
    calls: list[int] = []

    def counted(*args: Any) -> Aggregated:
        calls.append(1)
        return aggregate(*args)

    monkeypatch.setattr(problems, "aggregate", counted)
    problem, fold = _problem(4000)
    assert select_on_shared_sample(problem, fold, 5) is not None
    assert len(calls) == 3 * 15


def test_a_failed_fit_drops_the_candidate_from_the_selections_that_use_it(
        small_limits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """dirichlet failing without folds 0 and 1 is dropped (with its code) from folds 0's and
    1's selections only."""
    problem, fold = _problem(4000)
    fit = MulticlassProblem.fit

    def failing(self: MulticlassProblem, method: str, mask: Optional[BoolArray],
                context: str) -> MultiCalibrator:
        if method == "dirichlet" and context.endswith("without fold(s) 0, 1"):
            raise CalibrationScriptError(Code.MC_E304_FIT_NOT_CONVERGED, "no convergence", "")
        return fit(self, method, mask, context)

    monkeypatch.setattr(MulticlassProblem, "fit", failing)
    shared = select_on_shared_sample(problem, fold, 5)
    assert shared is not None
    for left_out, choice in [(None, shared.shipped), *shared.folds.items()]:
        record = json_get(json_get(choice, "candidates"), "dirichlet")
        if left_out in (0, 1):
            assert record["status"] == "failed"
            assert record["code"] == Code.MC_E304_FIT_NOT_CONVERGED
        else:
            assert record["status"] == "ok"


def test_selections_are_made_one_by_one_where_the_shared_path_does_not_apply(
        small_limits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Below AUTO_SUBSAMPLE_MIN_ROWS rows, with 2 folds, or with a selection of at most
    MIXTURE_MAX_ROWS rows (a stacked mixture possible) there is no shared subsample."""
    problem, fold = _problem(2900)
    assert select_on_shared_sample(problem, fold, 5) is None
    problem, fold = _problem(4000, folds=2)
    assert select_on_shared_sample(problem, fold, 2) is None
    monkeypatch.setattr(sampledselection, "MIXTURE_MAX_ROWS", 2000)
    problem, fold = _problem(4000)
    assert select_on_shared_sample(problem, fold, 5) is None


def test_the_script_records_the_shared_selections(
        tmp_path: str, no_plot: list[int], small_limits: None) -> None:
    """End to end: the shipped selection and every fold's name the shared subsample and its
    inner folds."""
    scores, labels, _ = multiclass_scenario(4000, 9)
    write_multiclass(os.path.join(tmp_path, "in", "d.csv"), scores, labels)
    out = run_main(os.path.join(tmp_path, "in"), os.path.join(tmp_path, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "auto",
                    "AUTO_CANDIDATES": CANDIDATES})
    metrics = read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                     METRICS_FILE))
    assert "inner folds: the cross-fitting folds" in str(metrics)
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 5
    for record in folds:  # about 4/5 of the subsample (2,001 rows: one in ceil(4000 / 2400))
        assert 1500 <= record["selection_rows"] <= 1700 < record["n_train"]


def _auto_metrics(root: str, seed: int) -> dict[str, object]:
    scores, labels, _ = multiclass_scenario(4000, seed)
    write_multiclass(os.path.join(root, "in", "d.parquet"), scores, labels)
    out = run_main(os.path.join(root, "in"), os.path.join(root, "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_METHOD": "auto",
                    "AUTO_CANDIDATES": '["identity", "vector"]'})
    return read_json(os.path.join(out[ModelCalibrationOutput.METRICS_OUTPUT.value],
                                  METRICS_FILE))


def test_folds_that_all_chose_the_shared_scaling_are_scored_in_one_pass(
        tmp_path: str, no_plot: list[int], small_limits: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fold choosing vector from the shared passes: the held-out rows scored in one
    chunked pass give the fold records and calibrated metrics of the fold by fold scoring."""
    monkeypatch.setattr(limits, "SCALING_FOLDS_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "SCALING_START_ROWS", 2000)
    calls: list[int] = []
    one_pass = sharedfolds.SharedFoldFits.cross_fit

    def counted(self: sharedfolds.SharedFoldFits,
                choices: dict[int, dict[str, object]]) -> Optional[HeldOutChunks]:
        found = one_pass(self, choices)
        calls.append(int(found is not None))
        return found

    monkeypatch.setattr(sharedfolds.SharedFoldFits, "cross_fit", counted)
    own_passes: list[int] = []  # passes that settle the shipped fit on their own
    settling: list[bool] = [False]  # the first step's gradient pass is not a settling pass
    own_pass, own_settle = scalingfolds.shipped_sums, scalingfolds.settle

    def counted_pass(*args: Any) -> scalingfolds.GradientSums:
        if settling[0]:
            own_passes.append(1)
        return own_pass(*args)

    def counted_settle(*args: Any, **kwargs: Any) -> Optional[ScalingFit]:
        settling[0] = True
        try:
            return own_settle(*args, **kwargs)
        finally:
            settling[0] = False

    monkeypatch.setattr(scalingfolds, "shipped_sums", counted_pass)
    monkeypatch.setattr(sharedfolds, "settle", counted_settle)
    fast = _auto_metrics(os.path.join(tmp_path, "a"), 10)
    assert calls == [1] and own_passes == []  # settled by the held-out pass's sums
    monkeypatch.setattr(sharedfolds.SharedFoldFits, "cross_fit",
                        lambda self, choices: None)
    slow = _auto_metrics(os.path.join(tmp_path, "b"), 10)
    assert own_passes == [1]  # the folds scored one by one: a pass of its own
    fast_folds, slow_folds = fast["folds"], slow["folds"]
    assert isinstance(fast_folds, list) and isinstance(slow_folds, list)
    assert len(fast_folds) == 5 and all(f["selected_method"] == "vector" for f in fast_folds)
    for a, b in zip(fast_folds, slow_folds):
        assert list(a) == list(b)
        for key in a:
            if key in ("log_loss", "accuracy"):
                assert a[key] == pytest.approx(b[key], rel=1e-12)
            elif key != "fit_seconds":
                assert a[key] == b[key]
    calibrated_a, calibrated_b = json_get(fast, "calibrated"), json_get(slow, "calibrated")
    assert calibrated_a.keys() == calibrated_b.keys()
    for key, value in calibrated_a.items():
        if isinstance(value, float):
            assert value == pytest.approx(calibrated_b[key], rel=1e-12, abs=1e-15)


def _timeless(value: object) -> object:
    """``value`` without its timings (``seconds`` and ``fit_seconds`` entries) and the
    checksum that covers them."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items()
                if k not in ("seconds", "fit_seconds", "checksum")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def test_a_unanimous_choice_whose_shared_passes_fail_fits_exactly_on_the_stored_log_scores(
        tmp_path: str, no_plot: list[int], small_limits: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every selection chose vector, so the first shared pass stored the class log-scores over
    the scores; Newton's passes then not converging, the exact fits on them give the
    calibrator, fold records and calibrated metrics of a run that took the exact path from the
    start."""
    with monkeypatch.context() as exact_path:
        exact_path.setattr(limits, "SCALING_FOLDS_MIN_ROWS", 1 << 40)
        exact = _auto_metrics(os.path.join(tmp_path, "exact"), 10)
    monkeypatch.setattr(limits, "SCALING_FOLDS_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "SCALING_START_ROWS", 2000)
    stored: list[int] = []
    own_store = problems.MulticlassProblem.logit_rows

    def logit_rows(self: MulticlassProblem, rows: slice, store: bool = False) -> np.ndarray:
        stored.append(int(store))
        return own_store(self, rows, store)

    def stalled(evaluate: object, start: np.ndarray, *args: object, **kwargs: object
                ) -> NewtonResult:
        return NewtonResult(start, 0.0, np.zeros_like(start), 50, False)

    monkeypatch.setattr(problems.MulticlassProblem, "logit_rows", logit_rows)
    monkeypatch.setattr(scalingfolds, "newton_minimize", stalled)
    fallen = _auto_metrics(os.path.join(tmp_path, "fallen"), 10)
    assert any(stored)  # the first shared pass stored the log-scores
    folds = fallen["folds"]
    assert isinstance(folds, list) and all(f["selected_method"] == "vector" for f in folds)
    assert scalingfolds.FOLD_FITS not in str(fallen["calibrator"])
    for key in ("calibrator", "folds", "calibrated"):
        assert _timeless(fallen[key]) == _timeless(exact[key])
