"""Held-out multi-class predictions computed chunk by chunk, never held for every row.

On many rows the one-vs-rest (:mod:`.ovrbinned`) and temperature (:mod:`.temperaturefolds`)
fits score each held-out row by its fold's calibrator: a row's prediction depends on its own
scores and fold only, so the rows of any slice are scored on their own. One pass over the rows
sums the folds' held-out figures and finds the extremes of each class's probabilities and of
the highest (:class:`~.metrics.ClassExtremes`, the spans of the metrics' row bins); the
calibrated metrics then ask for the probabilities again, chunk by chunk
(:func:`~.metrics.multiclass_metrics_of` with those extremes). No n x classes matrix of
predictions is made: the predictions are computed twice, to the same values (each row alone).
"""

from __future__ import annotations

import dataclasses

from .jsonvalues import JsonDict
from .metrics import ClassColumn, ClassExtremes, ClassRows, columns_of


@dataclasses.dataclass(frozen=True)
class HeldOutChunks:
    """Every row's held-out class probabilities as ``score`` computes them for a slice of rows,
    their :class:`~.metrics.ClassExtremes` and the per-fold records of
    :func:`~.crossfit.cross_fit`.

    >>> import numpy as np
    >>> probs = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    >>> held = HeldOutChunks(lambda rows: probs[rows] + 0.0, ClassExtremes(2), [])
    >>> column = held.column()
    >>> column(1, slice(0, 2)).tolist(), column(0, slice(2, 3)).tolist()
    ([0.8, 0.4], [0.5])
    """

    score: ClassRows
    extremes: ClassExtremes
    folds: list[JsonDict]

    def column(self) -> ClassColumn:
        """A :data:`~.metrics.ClassColumn` of the held-out probabilities (each slice scored
        once for all its classes)."""
        return columns_of(self.score)
