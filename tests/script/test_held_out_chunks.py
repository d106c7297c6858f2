"""Held-out multi-class predictions scored chunk by chunk (``heldoutchunks``): the calibrated
metrics from them equal those of the n x classes matrix of the same predictions, to the bit.

``BINNED_MIN_ROWS`` is lowered so that the many-rows fits run on a few thousand rows, and
``BIN_CHUNK_ROWS`` so that the metrics' pass has several chunks with a shorter last one.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import limits
from calibration_step.script.model_calibration.heldoutchunks import HeldOutChunks
from calibration_step.script.model_calibration.multiclassmetrics import (
    ClassExtremes, multiclass_metrics, multiclass_metrics_of,
)
from calibration_step.script.model_calibration.ovrbinned import fit_ovr_binned
from calibration_step.script.model_calibration.problems import MulticlassProblem
from calibration_step.script.model_calibration.temperaturefolds import fit_temperature_folds
from tests.script.synthetic import multiclass_scenario

ROWS = 3000
NAMES = ("a", "b", "c")


def _held_out(method: str, weighted: bool, monkeypatch: pytest.MonkeyPatch
              ) -> tuple[HeldOutChunks, np.ndarray, Optional[np.ndarray]]:
    """The held-out chunks of ``method``'s many-rows fit on ``ROWS`` synthetic rows, their
    labels and weights."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    scores, labels, _ = multiclass_scenario(ROWS, seed=31)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, ROWS) if weighted else None
    settings = mc.read_settings({"CALIBRATION_METHOD": method, "IS_BINARY": "false",
                                 "NUM_CLASSES": "3", "CALIBRATION_FOLDS": "4"})
    problem = MulticlassProblem(np.asfortranarray(scores), labels.astype(np.int8), weights,
                                settings)
    fold = (np.random.default_rng(5).permutation(ROWS) % 4).astype(np.int8)
    fitted = fit_temperature_folds(problem, settings, fold) if method == "temperature" else \
        fit_ovr_binned(problem, settings, fold, "multiclass")
    assert fitted is not None
    return fitted[1], labels.astype(np.int8), weights


@pytest.mark.parametrize("method,weighted", [("temperature", False), ("temperature", True),
                                             ("isotonic", False), ("gam", True)])
def test_chunked_calibrated_metrics_equal_those_of_the_matrix(
        method: str, weighted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    held, labels, weights = _held_out(method, weighted, monkeypatch)
    matrix = held.score(slice(None))
    assert matrix.shape == (ROWS, 3)
    # each row scored alone: any slicing gives the same values
    np.testing.assert_array_equal(
        np.vstack([held.score(slice(s, s + 700)) for s in range(0, ROWS, 700)]), matrix)
    expected = ClassExtremes(3)
    expected.add([matrix[:, j] for j in range(3)])
    np.testing.assert_array_equal(held.extremes.low, expected.low)
    np.testing.assert_array_equal(held.extremes.high, expected.high)
    chunked = multiclass_metrics_of(held.column(), labels, weights, NAMES, 10, held.extremes)
    assert chunked == multiclass_metrics(matrix, labels, weights, NAMES, 10)
    top_label = chunked["top_label"]
    assert isinstance(top_label, dict) and top_label["row_bins"] is not None  # the binned path
    assert len(held.folds) == 4


def test_given_extremes_take_the_place_of_the_metrics_own_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the extremes given, the metrics ask for each chunk's classes once (one pass); the
    grids come from the extremes given (other extremes: other bins)."""
    monkeypatch.setattr(limits, "BINNED_MIN_ROWS", 1000)
    monkeypatch.setattr(limits, "BIN_CHUNK_ROWS", 700)
    rng = np.random.default_rng(6)
    probs = rng.dirichlet(np.ones(3), ROWS)
    labels = rng.integers(0, 3, ROWS)
    asked: list[tuple[int, Optional[int]]] = []

    def column(j: int, part: slice) -> np.ndarray:
        asked.append((j, part.start))
        return np.asarray(probs[part, j])

    extremes = ClassExtremes(3)
    extremes.add([probs[:, j] for j in range(3)])
    given = multiclass_metrics_of(column, labels, None, NAMES, 10, extremes)
    assert len(asked) == 3 * len(range(0, ROWS, 700))
    assert given == multiclass_metrics(probs, labels, None, NAMES, 10)
    wider = ClassExtremes(3)
    wider.add([np.array([1e-3, 1 - 1e-3])] * 3)
    other = multiclass_metrics_of(column, labels, None, NAMES, 10, wider)
    assert other["top_label"] != given["top_label"]
