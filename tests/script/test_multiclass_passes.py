"""Multi-class shortcuts on many rows give the figures of the plain computation, exactly.

- the metrics' top-label bins take the highest probability's logit from its class's logit (no
  logit of their own): the top-label and class blocks equal ``binary_metrics_of`` of the
  highest probability and of each class, row-binned the same way;
- ``MulticlassProblem.zero_sum_rows`` scores only the rows below every member's first positive
  knot: the count equals that of every row scored;
- the held-out predictions stored over the score matrix in the held-out pass (the script's
  run) are those scored again from the scores, with the same records and metrics;
- ``adaptive_clip_epsilon`` takes a chunk without a score at 0 or 1 from its extremes.

``BINNED_MIN_ROWS`` and ``BIN_CHUNK_ROWS`` are lowered so that a few thousand rows take the
many-rows paths, in several chunks with a shorter last one.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import limits, numerics
from calibration_step.script.model_calibration.apply import apply_calibrator, apply_multiclass
from calibration_step.script.model_calibration.artifact import Calibrator, MultiCalibrator
from calibration_step.script.model_calibration.heldoutchunks import HeldOutChunks
from calibration_step.script.model_calibration.metrics import binary_metrics_of
from calibration_step.script.model_calibration.multiclassmetrics import (
    multiclass_metrics, multiclass_metrics_of,
)
from calibration_step.script.model_calibration.ovrbinned import fit_ovr_binned
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.temperaturefolds import fit_temperature_folds
from tests.script.synthetic import multiclass_scenario

ROWS = 3000
NAMES = ("a", "b", "c")


def _probabilities(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities with exact ties between classes, rows at 0 and 1 (clipped logits)
    and repeated values, and labels."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(3, 0.7), ROWS)
    probs[:50] = [0.4, 0.4, 0.2]  # a tie for the highest: the first class is the top label
    probs[50:60] = [1.0, 0.0, 0.0]
    probs[60:70] = [0.0, 0.0, 1.0]
    probs[70:400] = probs[70]
    labels = rng.integers(0, 3, ROWS).astype(np.int8)
    return np.asfortranarray(probs), labels


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_top_label_bins_from_the_class_logits(seed: int, weighted: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    probs, labels = _probabilities(seed)
    weights = np.random.default_rng(seed + 9).uniform(0.5, 2.0, ROWS) if weighted else None
    figures = multiclass_metrics(probs, labels, weights, NAMES, 10)
    top = probs.max(axis=1)
    hit = probs.argmax(axis=1) == labels
    expected_top = binary_metrics_of(top, hit, weights, 10)
    assert expected_top["row_bins"] is not None  # the binned path on both sides
    assert figures["top_label"] == expected_top
    per_class = figures["per_class"]
    assert isinstance(per_class, dict)
    for j, name in enumerate(NAMES):
        assert per_class[name] == binary_metrics_of(np.ascontiguousarray(probs[:, j]),
                                                    labels == j, weights, 10)


def _knot_member(xs: list[float], ys: list[float]) -> Calibrator:
    return Calibrator("isotonic", "probability", 1e-15, knots_x=np.array(xs),
                      knots_y=np.array(ys))


def _problem(scores: np.ndarray) -> MulticlassProblem:
    settings = mc.read_settings({"CALIBRATION_METHOD": "isotonic", "IS_BINARY": "false",
                                 "NUM_CLASSES": "3"})
    labels: Any = np.random.default_rng(4).integers(0, 3, scores.shape[0]).astype(np.int8)
    return MulticlassProblem(np.asfortranarray(scores), labels, None, settings)


def _every_row_scored(scores: np.ndarray, members: list[Calibrator]) -> int:
    sums = np.zeros(scores.shape[0])
    for j, member in enumerate(members):
        sums += apply_calibrator(member, scores[:, j])
    return int(np.count_nonzero(~(sums > 0.0)))


@pytest.mark.parametrize("third", [
    _knot_member([0.0, 0.3, 0.3, 1.0], [0.0, 0.0, 0.5, 1.0]),  # a step to its first positive
    _knot_member([0.1, 0.9], [0.0, 0.0]),  # 0 everywhere: every row a candidate
    _knot_member([0.0, 0.5, 1.0], [0.0, 0.6, 0.2]),  # not monotone: every row scored
    Calibrator("platt", "probability", 1e-15, coef=(1.0, -800.0)),  # 0 where it underflows
])
def test_zero_sum_rows_equal_every_row_scored(third: Calibrator,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    rng = np.random.default_rng(8)
    scores = rng.uniform(0.0, 1.0, (ROWS, 3))
    scores[:300] *= 0.3  # many rows below the first two members' first positive knots
    scores[:40, 2] = 0.0
    scores[300:310] = [0.2, 0.25, 0.0]  # at the first two members' cuts: positive
    members = [_knot_member([0.0, 0.1, 0.2, 0.6], [0.0, 0.0, 0.1, 0.9]),
               _knot_member([0.05, 0.25, 0.25, 0.8], [0.0, 0.0, 0.3, 0.7]), third]
    problem = _problem(scores)
    model = dataclasses.replace(problem.unfitted("isotonic"), members=tuple(members))
    expected = _every_row_scored(scores, members)
    assert expected > 0
    assert problem.zero_sum_rows(model) == expected


def test_zero_sum_rows_none_below_the_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row at or above a member's first positive knot: no row is scored, none is 0."""
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    scores = np.random.default_rng(2).uniform(0.5, 1.0, (ROWS, 3))
    members = [_knot_member([0.0, 0.5, 1.0], [0.0, 0.2, 0.9])] * 3
    problem = _problem(scores)
    model = dataclasses.replace(problem.unfitted("isotonic"), members=tuple(members))
    assert problem.zero_sum_rows(model) == 0 == _every_row_scored(scores, members)


def _fitted(method: str, weights: Optional[np.ndarray], store: bool
            ) -> tuple[np.ndarray, object, HeldOutChunks]:
    """``method``'s many-rows fit on a fresh copy of the synthetic rows (its score matrix, the
    shipped calibrator and the held-out chunks)."""
    scores, labels, _ = multiclass_scenario(ROWS, seed=17)
    settings = mc.read_settings({"CALIBRATION_METHOD": method, "IS_BINARY": "false",
                                 "NUM_CLASSES": "3", "CALIBRATION_FOLDS": "4"})
    matrix = np.asfortranarray(scores)
    problem = MulticlassProblem(matrix, labels.astype(np.int8), weights, settings)
    fold = (np.random.default_rng(5).permutation(ROWS) % 4).astype(np.int8)
    fitted = fit_temperature_folds(problem, settings, fold, store=store) \
        if method == "temperature" else fit_ovr_binned(problem, settings, fold, "mc", store=store)
    assert fitted is not None
    return matrix, fitted[0], fitted[1]


def _records(held: HeldOutChunks) -> list[dict[str, object]]:
    return [{k: v for k, v in record.items() if k != "fit_seconds"} for record in held.folds]


@pytest.mark.parametrize("method,weighted", [("temperature", False), ("temperature", True),
                                             ("isotonic", False), ("gam", True)])
def test_held_out_predictions_stored_over_the_scores(method: str, weighted: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored over the score matrix in the held-out pass, the predictions are those scored
    again from the scores, and give the same calibrator, fold records, zero rows and metrics."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, ROWS) if weighted else None
    scores, calibrator, held = _fitted(method, weights, store=False)
    assert isinstance(calibrator, MultiCalibrator)
    stored, stored_calibrator, stored_held = _fitted(method, weights, store=True)
    assert isinstance(stored_calibrator, MultiCalibrator)
    fresh = np.asfortranarray(multiclass_scenario(ROWS, seed=17)[0])
    np.testing.assert_array_equal(apply_multiclass(stored_calibrator, fresh),
                                  apply_multiclass(calibrator, fresh))
    predictions = held.score(slice(None))
    assert not np.array_equal(predictions, scores)
    np.testing.assert_array_equal(stored, predictions)  # the scores overwritten
    np.testing.assert_array_equal(stored_held.score(slice(700, 1400)), predictions[700:1400])
    assert _records(stored_held) == _records(held)
    assert stored_held.zero_rows == held.zero_rows
    np.testing.assert_array_equal(stored_held.extremes.high, held.extremes.high)
    labels: Any = multiclass_scenario(ROWS, seed=17)[1].astype(np.int8)
    assert multiclass_metrics_of(stored_held.column(), labels, weights, NAMES, 10,
                                 stored_held.extremes) == \
        multiclass_metrics_of(held.column(), labels, weights, NAMES, 10, held.extremes)


@pytest.mark.parametrize("edges", [(), (0.0,), (1.0,), (0.0, 1.0)])
def test_adaptive_clip_from_chunk_extremes(edges: tuple[float, ...],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks without a score at 0 or 1 give their nearest distance from their extremes: the
    clip equals the one from every score's distance."""
    monkeypatch.setattr(numerics, "_CLIP_CHUNK", 700)
    scores = np.random.default_rng(12).uniform(1e-4, 1.0 - 3e-4, ROWS)
    scores[2100] = 2e-5  # the nearest, in a chunk of its own without 0 or 1
    for i, edge in enumerate(edges):
        scores[100 + 800 * i] = edge
    edge_distance = np.minimum(scores, 1.0 - scores)
    inside = edge_distance > 0.0
    expected = numerics.CLIP_EPSILON if inside.all() else min(max(
        0.5 * float(edge_distance[inside].min()), numerics.CLIP_EPSILON),
        numerics.CLIP_EPSILON_MAX)
    assert numerics.adaptive_clip_epsilon(scores) == expected
    assert (expected == 1e-5) == bool(edges)


@pytest.mark.parametrize("weighted", [False, True])
def test_binned_row_sums_chunk_by_chunk(weighted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``brier``, ``log_loss`` and ``accuracy`` on the binned path are the sums of each chunk's
    class by class (squares) and row figures, added in that order."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    probs, labels = _probabilities(3)
    weights = np.random.default_rng(4).uniform(0.5, 2.0, ROWS) if weighted else None
    figures = multiclass_metrics(probs, labels, weights, NAMES, 10)
    squares = p_true = log_p_true = correct = 0.0
    for start in range(0, ROWS, 700):
        part = slice(start, start + 700)
        w = None if weights is None else weights[part]
        for j in range(3):
            sq = np.square(probs[part, j])
            squares += float(np.sum(sq) if w is None else np.dot(w, sq))
        chunk_true = np.choose(labels[part].astype(np.intp), [probs[part, j] for j in range(3)])
        hit = probs[part].argmax(axis=1) == labels[part]
        logs = np.log(np.clip(chunk_true, 1e-15, 1.0))
        if w is None:
            p_true += float(np.sum(chunk_true))
            log_p_true += float(np.sum(logs))
            correct += float(np.count_nonzero(hit))
        else:
            p_true += float(np.dot(w, chunk_true))
            log_p_true += float(np.dot(w, logs))
            correct += float(np.dot(w, hit.astype(np.float64)))
    total = float(ROWS if weights is None else weights.sum())
    assert figures["brier"] == (squares - 2.0 * p_true + total) / total
    assert figures["log_loss"] == -log_p_true / total
    assert figures["accuracy"] == correct / total
