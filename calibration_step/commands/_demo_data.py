"""The demo's scored rows: a model whose scores are over-confident in a known way.

Each row has a true probability ``p = sigmoid(z)`` with ``z ~ Normal(-1, 1.5)`` and a label drawn
from it. The "model" reports ``sigmoid(2 * z + 0.5)``: twice as sharp as the truth and
shifted up, so its scores are too extreme and too high, the typical fault of boosted trees. A
perfect calibrator maps score ``s`` back to ``sigmoid((logit(s) - 0.5) / 2)``; in logit
space its slope is ``1 / 2 = 0.5``, which is what the uncalibrated calibration slope
reports.

Examples
--------
>>> frame = miscalibrated_scores(rows=1000, seed=0)
>>> list(frame.columns)
['id', 'label', 'prob_class_1', 'true_probability']
>>> bool(frame["prob_class_1"].between(0, 1).all()), int(frame["label"].isin([0, 1]).sum())
(True, 1000)
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["DESCRIPTION", "miscalibrated_scores"]

_SHARPNESS: Final = 2.0
"""How much sharper than the truth the model's logits are."""
_SHIFT: Final = 0.5
"""How far up the model's logits are shifted."""
DESCRIPTION: Final = (
    f"score = sigmoid({_SHARPNESS:g} * z + {_SHIFT:g}) where the true probability is sigmoid(z): "
    "over-confident and too high"
)


def _sigmoid(z: np.ndarray[tuple[int], np.dtype[np.float64]]) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    out: np.ndarray[tuple[int], np.dtype[np.float64]] = 1.0 / (1.0 + np.exp(-z))
    return out


def miscalibrated_scores(*, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` scored rows: ``id``, ``label`` (0/1), ``prob_class_1`` (the score) and ``true_probability``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(-1.0, 1.5, size=rows)
    truth = _sigmoid(z)
    labels = (rng.random(rows) < truth).astype(np.int64)
    scores = _sigmoid(_SHARPNESS * z + _SHIFT)
    return pd.DataFrame(
        {"id": np.arange(rows, dtype=np.int64), "label": labels, "prob_class_1": scores, "true_probability": truth}
    )
