"""scikit-learn's bounded search for the inverse temperature, used where the temperature
likelihood has no maximum inside scikit-learn's bounds.

Where the calibration scores put every row's own class first (a separable set), the likelihood
of ``softmax(beta * l)`` rises with ``beta`` without end: its maximum is at infinity.
scikit-learn's temperature scaling (``CalibratedClassifierCV(method="temperature")``, 1.8 and
later) minimises its mean loss over ``ln(beta)`` in ``[-10, 10]`` with scipy's bounded scalar
search (Brent's method, ``xatol = 64 eps``). In floating point that loss is exactly 0 once
``1 + exp(beta (l_j - l_y))`` rounds to 1 on every row, so the search stops where it first
meets that flat stretch, usually far below the bound ``e^10``: 45 to 2,400 on random separable
sets of 30-300 rows (95 to 810 on the quality benchmark's). ``temperature`` promises scikit-learn's fit, so there the scale is that search's
result, on the loss written as scikit-learn's ``HalfMultinomialLoss`` computes it (the
row's ``log(sum(exp(raw - max))) + max - raw[label]``, their mean or weighted average). Where
the maximum is inside the bounds, Newton's method finds it, as scikit-learn's search does.

Examples
--------
>>> margins = np.array([-2.0, -1.0, 1.0, 2.0])  # two negatives, then two positives
>>> beta, evaluations = search_log_beta(binary_mean_loss(-margins, margins, np.ones(4),
...                                                      np.array([0.0, 0.0, 1.0, 1.0])))
>>> 10.0 < beta < math.exp(LOG_BETA_BOUND), evaluations > 5
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Optional

import numpy as np

from ..errors import CalibrationScriptError, Code
from .numerics import BoolArray, FloatArray, IntArray

LOG_BETA_BOUND = 10.0
"""scikit-learn bounds the logarithm of its inverse temperature to ``[-10, 10]``."""

SEARCH_XATOL = 64 * float(np.finfo(np.float64).eps)
"""scikit-learn's absolute tolerance on ``ln(beta)``."""


def search_log_beta(mean_loss: Callable[[float], float]) -> tuple[float, int]:
    """``beta = exp(x)`` at the ``x`` in ``[-10, 10]`` where scipy's bounded scalar search on
    ``mean_loss(x)`` stops, as scikit-learn's temperature scaling runs it, and the
    evaluations it took; ``MC-E304`` if the search reports a failure."""
    try:
        from scipy.optimize import minimize_scalar
    except ImportError as exc:  # pragma: no cover - scipy ships with scikit-learn
        raise CalibrationScriptError(
            Code.MC_E302_MISSING_LIBRARY, f"scipy is required for temperature ({exc})",
            "install scipy (a scikit-learn dependency)") from exc
    result = minimize_scalar(mean_loss, bounds=(-LOG_BETA_BOUND, LOG_BETA_BOUND),
                             method="bounded", options={"xatol": SEARCH_XATOL})
    if not result.success:
        raise CalibrationScriptError(
            Code.MC_E304_FIT_NOT_CONVERGED,
            f"temperature's bounded search on a separable set failed: {result.message}",
            "check the score column, or choose auto")
    return float(np.exp(float(result.x))), int(result.nfev)


def binary_mean_loss(low: FloatArray, high: FloatArray, n: FloatArray, k: FloatArray
                     ) -> Callable[[float], float]:
    """scikit-learn's mean loss at ``ln(beta)`` of aggregated binary rows (``n`` rows, ``k``
    of them positive) whose two class logits are ``low`` (the negative class) and ``high``:
    as :func:`multiclass_mean_loss` computes each row's, the rows of a value counted ``n - k``
    times as negatives and ``k`` times as positives."""
    total = float(n.sum())

    def mean_loss(log_beta: float) -> float:
        beta = np.exp(log_beta)
        raw_low, raw_high = beta * low, beta * high
        top = np.maximum(raw_low, raw_high)
        shared = np.log(np.exp(raw_low - top) + np.exp(raw_high - top)) + top
        return float(np.dot(k, shared - raw_high) + np.dot(n - k, shared - raw_low)) / total

    return mean_loss


def multiclass_mean_loss(logits: FloatArray, labels: IntArray, weights: FloatArray,
                         rows: Optional[BoolArray] = None) -> Callable[[float], float]:
    """scikit-learn's mean loss at ``ln(beta)`` of ``softmax(beta * logits)`` on the rows of
    the mask ``rows`` (every row when None): each row's ``log(sum(exp(raw - max))) + max -
    raw[label]``, averaged with ``weights`` (a plain mean when they are all equal, as
    scikit-learn's without sample weights)."""
    x = logits if rows is None else logits[rows]
    y = labels if rows is None else labels[rows]
    w = weights if rows is None else weights[rows]
    equal = bool(np.all(w == w[0])) if w.shape[0] else True
    index = np.arange(x.shape[0])

    def mean_loss(log_beta: float) -> float:
        raw = np.exp(log_beta) * x
        top = raw.max(axis=1)
        row_loss = np.log(np.exp(raw - top[:, None]).sum(axis=1)) + top - raw[index, y]
        return float(np.mean(row_loss) if equal else np.average(row_loss, weights=w))

    return mean_loss
