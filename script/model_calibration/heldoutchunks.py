"""Held-out multi-class predictions computed chunk by chunk, never held for every row.

On many rows the one-vs-rest (:mod:`.ovrbinned`) and temperature (:mod:`.temperaturefolds`)
fits score each held-out row by its fold's calibrator: a row's prediction depends on its own
scores and fold only, so the rows of any slice are scored on their own. One pass over the rows
sums the folds' held-out figures and finds the extremes of each class's probabilities and of
the highest (:class:`~.multiclassmetrics.ClassExtremes`, the spans of the metrics' row bins); the
calibrated metrics then ask for the probabilities again, chunk by chunk
(:func:`~.multiclassmetrics.multiclass_metrics_of` with those extremes). No n x classes matrix of
predictions is made: the predictions are computed twice, to the same values (each row alone),
or, where the caller has no further use for the score matrix (the script's run), stored over
the scores, chunk by chunk as the pass goes (each chunk's scores read before it is
overwritten), and read from there (:func:`stored_rows`): computed once, no new memory.
"""

from __future__ import annotations

import dataclasses

from .jsonvalues import JsonDict
from .multiclassmetrics import ClassColumn, ClassExtremes, ClassRows, columns_of
from .numerics import FloatArray


@dataclasses.dataclass(frozen=True)
class HeldOutChunks:
    """Every row's held-out class probabilities as ``score`` computes them for a slice of rows,
    their :class:`~.multiclassmetrics.ClassExtremes`, the per-fold records of
    :func:`~.crossfit.cross_fit` and the rows whose one-vs-rest outputs under the shipped
    calibrator are all 0 (``MulticlassProblem.zero_sum_rows``, counted before the pass).

    >>> import numpy as np
    >>> probs = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    >>> held = HeldOutChunks(lambda rows: probs[rows] + 0.0, ClassExtremes(2), [], 0)
    >>> column = held.column()
    >>> column(1, slice(0, 2)).tolist(), column(0, slice(2, 3)).tolist()
    ([0.8, 0.4], [0.5])
    """

    score: ClassRows
    extremes: ClassExtremes
    folds: list[JsonDict]
    zero_rows: int

    def column(self) -> ClassColumn:
        """A :data:`~.multiclassmetrics.ClassColumn` of the held-out probabilities (each slice scored
        once for all its classes)."""
        return columns_of(self.score)


def stored_rows(matrix: FloatArray) -> ClassRows:
    """The rows of a slice of the held-out predictions stored in ``matrix`` (a view, which the
    metrics only read).

    >>> import numpy as np
    >>> stored_rows(np.array([[0.2, 0.8], [0.6, 0.4]]))(slice(1, 2)).tolist()
    [[0.6, 0.4]]
    """
    def rows(part: slice) -> FloatArray:
        return matrix[part]

    return rows
