"""Held-out figures of one calibrator's test probabilities, and descriptions of the scores.

Every calibrator's output is a class probability matrix (``n x K``; binary outputs are
``[1 - p, p]`` with ``p`` the calibrated P(class 1)). Figures:

- ``log_loss``: mean of ``-ln`` of the true class's probability clipped to ``[1e-15, 1 - 1e-15]``
  (for binary outputs the usual binary log loss with that clip);
- ``brier``: binary: mean ``(p - y)^2``; multi-class: mean over rows of the sum over classes;
- ``ece``: expected calibration error over ``ECE_BINS`` equal-width bins: binary on ``p``,
  multi-class on the top label (confidence = the largest probability, outcome = it is right);
- ``confident_misses``: rows whose true class got a probability below ``CONFIDENT_MISS``;
- ``exact_01``: whether any output probability is exactly 0 or 1.

Two calibrators on the same test rows are compared row by row as well
(:func:`paired_difference`): the mean of their per-row log-loss differences and its standard
error, so that a difference can be told from the noise of a few hundred test rows.

Examples
--------
>>> p = binary_matrix(np.array([0.9, 0.2, 0.0]))
>>> y = np.array([1, 0, 1])
>>> round(log_loss(p, y), 4), round(brier(p, y), 4), confident_misses(p, y), exact_01(p)
(11.6224, 0.35, 1, True)
>>> round(ece(binary_matrix(np.array([0.25, 0.25, 0.75, 0.75])), np.array([0, 1, 1, 1])), 4)
0.25
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CLIP = 1e-15
ECE_BINS = 15
CONFIDENT_MISS = 1e-6


def binary_matrix(p: FloatArray) -> FloatArray:
    """``[1 - p, p]`` as an ``n x 2`` matrix."""
    p = np.asarray(p, dtype=np.float64).reshape(-1)
    return np.column_stack([1.0 - p, p])


def true_class(probabilities: FloatArray, labels: IntArray) -> FloatArray:
    """Each row's probability of its true class."""
    out: FloatArray = probabilities[np.arange(labels.shape[0]), labels]
    return out


def row_log_losses(probabilities: FloatArray, labels: IntArray) -> FloatArray:
    """Each row's ``-ln`` of its true class's probability, clipped to ``[1e-15, 1 - 1e-15]``."""
    out: FloatArray = -np.log(np.clip(true_class(probabilities, labels), CLIP, 1.0 - CLIP))
    return out


def log_loss(probabilities: FloatArray, labels: IntArray) -> float:
    return float(np.mean(row_log_losses(probabilities, labels)))


@dataclasses.dataclass(frozen=True)
class PairedDifference:
    """One calibrator's test log loss minus another's on the same rows: the mean of the per-row
    differences and its standard error (the differences' sample standard deviation over the
    square root of the rows; 0 on a single row)."""

    mean: float
    se: float

    def beyond(self, z: float) -> int:
        """+1 where the mean is more than ``z`` standard errors above 0, -1 where below, else 0.

        >>> PairedDifference(0.03, 0.01).beyond(2.0), PairedDifference(-0.01, 0.01).beyond(2.0)
        (1, 0)
        """
        if self.mean > z * self.se:
            return 1
        return -1 if self.mean < -z * self.se else 0


def paired_difference(first: FloatArray, second: FloatArray) -> PairedDifference:
    """The paired difference of per-row losses ``first - second`` (:func:`row_log_losses`).

    >>> paired_difference(np.array([0.5, 0.7, 0.9]), np.array([0.4, 0.4, 0.4]))
    PairedDifference(mean=0.3, se=0.11547005383792516)
    """
    d = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    se = float(np.std(d, ddof=1) / np.sqrt(d.shape[0])) if d.shape[0] > 1 else 0.0
    return PairedDifference(float(np.mean(d)), se)


def brier(probabilities: FloatArray, labels: IntArray) -> float:
    if probabilities.shape[1] == 2:
        return float(np.mean((probabilities[:, 1] - labels) ** 2))
    onehot = np.eye(probabilities.shape[1])[labels]
    return float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1)))


def ece(probabilities: FloatArray, labels: IntArray, bins: int = ECE_BINS) -> float:
    if probabilities.shape[1] == 2:
        confidence, outcome = probabilities[:, 1], (labels == 1).astype(np.float64)
    else:
        confidence = probabilities.max(axis=1)
        outcome = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    which = np.minimum((np.clip(confidence, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    count = np.bincount(which, minlength=bins).astype(np.float64)
    gap = np.bincount(which, weights=confidence - outcome, minlength=bins)
    return float(np.sum(np.abs(gap)) / count.sum())


def confident_misses(probabilities: FloatArray, labels: IntArray) -> int:
    return int(np.sum(true_class(probabilities, labels) < CONFIDENT_MISS))


def exact_01(probabilities: FloatArray) -> bool:
    return bool(np.any((probabilities == 0.0) | (probabilities == 1.0)))


@dataclasses.dataclass(frozen=True)
class Figures:
    log_loss: float
    brier: float
    ece: float
    confident_misses: int
    exact_01: bool


def figures(probabilities: FloatArray, labels: IntArray) -> Figures:
    """Every held-out figure of ``probabilities`` against ``labels``; a ValueError when the
    matrix has the wrong shape, a value that is not finite, or one outside [0, 1]."""
    expected = (labels.shape[0], max(2, int(labels.max()) + 1))
    if probabilities.ndim != 2 or probabilities.shape[0] != expected[0] or \
            probabilities.shape[1] < expected[1]:
        raise ValueError(f"the probabilities have shape {probabilities.shape}; expected "
                         f"({expected[0]}, >= {expected[1]})")
    bad = ~np.isfinite(probabilities) | (probabilities < 0.0) | (probabilities > 1.0)
    if np.any(bad):
        raise ValueError(f"{int(np.sum(np.any(bad, axis=1)))} rows hold a probability that is "
                         "not finite or outside [0, 1]")
    return Figures(log_loss(probabilities, labels), brier(probabilities, labels),
                   ece(probabilities, labels), confident_misses(probabilities, labels),
                   exact_01(probabilities))


@dataclasses.dataclass(frozen=True)
class ScoreShape:
    """What the calibrators are given: the share of saturated calibration scores (exact 0/1 or
    within 1e-15 of either), of distinct score rows, and whether the calibration split is
    separable by its scores (binary: every positive scores above every negative)."""

    saturated: float
    distinct: float
    separable: bool


def score_shape(scores: FloatArray, labels: IntArray) -> ScoreShape:
    """
    >>> score_shape(binary_matrix(np.array([0.0, 0.3, 0.3, 1.0])), np.array([0, 0, 1, 1]))
    ScoreShape(saturated=0.5, distinct=0.75, separable=False)
    """
    saturated = np.any((scores <= CLIP) | (scores >= 1.0 - CLIP), axis=1)
    distinct = np.unique(scores, axis=0).shape[0] / scores.shape[0]
    separable = False
    if scores.shape[1] == 2 and 0 < int(labels.sum()) < labels.shape[0]:
        separable = bool(scores[labels == 1, 1].min() > scores[labels == 0, 1].max())
    return ScoreShape(float(np.mean(saturated)), float(distinct), separable)
