"""Held-out refits of one multi-class candidate for the replay harnesses.

A replayed rule sometimes needs a candidate the cache does not hold: dirichlet under another
prior, or one-vs-rest isotonic in other inner folds. :func:`held_out_refits` fits it, as
multi-class ``auto`` does, without each inner fold of each repeat and predicts that fold's rows.

Examples
--------
>>> import numpy as np
>>> from bench.quality.replay_multiclass import _problem
>>> scores = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]] * 4)
>>> labels = np.array([0, 1, 2] * 4)
>>> problem, _ = _problem(scores, labels, ["vector"])
>>> folds = np.array([np.arange(12) // 3 % 2])  # one repeat of 2 folds
>>> held = held_out_refits(problem, "vector", folds)
>>> held.shape, bool(np.allclose(held.sum(axis=2), 1.0))
((1, 12, 3), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.quality.metrics import FloatArray, IntArray


def held_out_refits(problem: Any, method: str, folds: IntArray) -> FloatArray:
    """``method`` fitted by ``problem`` (the script's ``MulticlassProblem``) without each fold
    of each repeat of ``folds`` (``(repeats, rows)``, a fold id per row), scoring that fold's
    rows: the held-out class probabilities, ``(repeats, rows, classes)``."""
    out: FloatArray | None = None
    for r, split in enumerate(folds):
        for g in np.unique(split):
            rows = split == g
            model = problem.fit(method, ~rows, f"replay: {method}, repeat {r}, fold {g}")
            pred = problem.predict(model, rows)
            if out is None:
                out = np.empty((folds.shape[0], folds.shape[1], pred.shape[1]))
            out[r, rows] = pred
    assert out is not None  # at least one repeat of one fold
    return out
