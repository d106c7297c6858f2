"""The binary ``temperature`` fit: ``sigmoid(scale * z)``, one scale on the log-odds, no intercept.

``z`` is the log-odds as scikit-learn's temperature scaling takes a binary score
(``CalibratedClassifierCV(method="temperature")``, 1.8 and later): of a probability ``p``, the
difference of the class log-scores ``ln(p + LOG_OFFSET) - ln((1 - p) + LOG_OFFSET)``; of a
margin ``d``, scikit-learn's class logits are ``(-d, d)``, so its inverse temperature ``beta``
is ``scale / 2`` here and ``z = d``. scikit-learn bounds ``ln(beta)`` to ``[-10, 10]``:
:func:`scale_bounds` are those bounds in each score space.

``CALIBRATION_METHOD=temperature`` is scikit-learn's fit (the weighted maximum likelihood,
unpenalised). As an ``auto`` candidate or mixture member (``prior_rows`` given), the mean
negative log-likelihood gets ``COMMON_SCALE_PENALTY * scale ** 2 / prior_rows``, the prior
vector scaling puts on its common scale, in the same unit (times ``unit ** 2`` where the two
class log-scores spread less than ``SQUEEZED_SPREAD``: ``classscaling.log_score_unit``): a
separable set then gets a finite scale, and the penalty vanishes as rows grow; ``auto`` also
bounds the outputs by ``probability_floor``.

The objective is convex in the scale, so the fit is the root of its derivative inside the
bounds, found by Newton's method kept inside a shrinking bracket (a step leaving it bisects
the bracket geometrically).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .boundedscale import LOG_BETA_BOUND, binary_mean_loss, search_log_beta
from .classscaling import COMMON_SCALE_PENALTY, log_score_unit
from .jsonvalues import JsonDict
from .numerics import LOG_OFFSET, FloatArray, log_sigmoid, sigmoid

NAMED_OUTPUT_BOUND = 1e-6
"""The named fit's outputs lie in ``[1e-6, 1 - 1e-6]`` (its ``probability_floor``): no class
gets less than one in a million (no confident miss), and an output differs from
scikit-learn's only where scikit-learn's is beyond the bound, by less than the bound."""

MAX_ITERATIONS = 200
"""Newton or bisection steps of :func:`fit_binary_temperature` (bisection alone needs ~70)."""


def beta_factor(score_space: str) -> float:
    """The scale over scikit-learn's ``beta``: 1 on probabilities, 2 on margins (its class
    logits ``(-d, d)`` differ by ``2 d``).

    >>> beta_factor("probability"), beta_factor("logit")
    (1.0, 2.0)
    """
    return 1.0 if score_space == "probability" else 2.0


def scale_bounds(score_space: str) -> tuple[float, float]:
    """The bounds of the scale: scikit-learn's ``[exp(-10), exp(10)]`` on ``beta``, times
    :func:`beta_factor`.

    >>> [round(v, 6) for v in scale_bounds("probability")], scale_bounds("logit")[0] > 9e-5
    ([4.5e-05, 22026.465795], True)
    """
    factor = beta_factor(score_space)
    return factor * math.exp(-LOG_BETA_BOUND), factor * math.exp(LOG_BETA_BOUND)


def temperature_logits(scores: FloatArray, score_space: str, log_offset: float = LOG_OFFSET
                       ) -> FloatArray:
    """The log-odds ``z`` the scale multiplies: ``ln(p + log_offset) - ln((1 - p) +
    log_offset)`` of probabilities (scikit-learn's offset ``1e-12``), margins as they are.

    >>> temperature_logits(np.array([0.0, 0.5, 1.0]), "probability").round(4).tolist()
    [-27.631, 0.0, 27.631]
    """
    if score_space != "probability":
        return np.array(scores, dtype=np.float64)
    out = np.log(scores + log_offset)
    out -= np.log((1.0 - scores) + log_offset)
    return out


def sklearn_class_logits(values: FloatArray, score_space: str
                         ) -> tuple[FloatArray, FloatArray]:
    """The two class logits scikit-learn's temperature scaling takes of binary scores: of
    probabilities ``ln((1 - p) + LOG_OFFSET)`` and ``ln(p + LOG_OFFSET)``, of margins
    ``(-d, d)``; their difference is :func:`temperature_logits` times :func:`beta_factor`.

    >>> [v.tolist() for v in sklearn_class_logits(np.array([-1.5, 2.0]), "logit")]
    [[1.5, -2.0], [-1.5, 2.0]]
    """
    if score_space != "probability":
        margins = np.array(values, dtype=np.float64)
        return -margins, margins
    return np.log((1.0 - values) + LOG_OFFSET), np.log(values + LOG_OFFSET)


def _class_logit_pair(z: FloatArray, values: Optional[FloatArray], score_space: str
                      ) -> tuple[FloatArray, FloatArray]:
    """The two class logits of :func:`sklearn_class_logits` of ``values``; without them, of
    margins ``z`` itself, of probabilities ``(0, z)`` (the same difference)."""
    if values is not None or score_space != "probability":
        return sklearn_class_logits(z if values is None else values, score_space)
    return np.zeros_like(z), z


def _derivatives(scale: float, z: FloatArray, unit: FloatArray, size: float, n: FloatArray,
                 k: FloatArray, total: float, penalty: float) -> tuple[float, float]:
    """The first and second derivative in the scale of the penalised mean negative
    log-likelihood; ``size`` is ``max|z|`` and ``unit`` is ``z / size``.

    The sums run over ``unit``: on margins near the float limit (``1e308``) ``z * z``
    overflows, and times a saturated row's zero weight ``p (1 - p)`` gives NaN (numpy's
    overflow and invalid-value warnings in the job's log); scaled, a derivative at worst
    becomes an infinity of its sign, and an infinite curvature makes the root search bisect.
    """
    p = sigmoid(scale * z)
    grad = float(np.dot(unit, n * p - k)) / total * size + 2.0 * penalty * scale
    curve = float(np.dot(unit * unit, n * p * (1.0 - p))) / total * size * size + 2.0 * penalty
    return grad, curve


def fit_binary_temperature(z: FloatArray, n: FloatArray, k: FloatArray, score_space: str,
                           prior_rows: Optional[float] = None,
                           values: Optional[FloatArray] = None) -> tuple[float, JsonDict]:
    """The scale of ``sigmoid(scale * z)`` on aggregated rows (``n`` rows, ``k`` of them
    positive, at log-odds ``z``: :func:`temperature_logits`) and a record of the fit: the
    weighted maximum likelihood within :func:`scale_bounds`, under the prior
    ``COMMON_SCALE_PENALTY * scale ** 2 / prior_rows`` on the mean negative log-likelihood
    when ``prior_rows`` is given (in the class log-scores' unit: ``log_score_unit``, recorded
    where it is not 1). Every ``z`` 0 (scores of 0.5) leaves the scale at 1.

    >>> z = np.array([-2.0, -1.0, 1.0, 2.0])
    >>> scale, info = fit_binary_temperature(z, np.ones(4), np.array([0.0, 1.0, 0.0, 1.0]),
    ...                                      "logit")
    >>> round(scale, 4), info["converged"]
    (0.4196, True)
    >>> separable = fit_binary_temperature(z, np.ones(4), np.array([0.0, 0.0, 1.0, 1.0]),
    ...                                    "logit", prior_rows=4.0)[0]
    >>> unpenalised, record = fit_binary_temperature(z, np.ones(4), np.array(
    ...     [0.0, 0.0, 1.0, 1.0]), "logit")
    >>> 1.0 < separable < 100.0, 10.0 < unpenalised < scale_bounds("logit")[1], record["solver"]
    (True, True, 'bounded search')

    Unpenalised, where the likelihood still rises at the upper bound (a separable set), the
    scale is where scikit-learn's bounded search stops (:mod:`.boundedscale`), on the class
    logits of ``values`` (the scores ``z`` was taken from: :func:`sklearn_class_logits`; of
    probabilities without them, ``(0, z)``, whose loss differs from scikit-learn's in its last
    digits).
    """
    total = float(n.sum())
    weight = 0.0
    low, high = scale_bounds(score_space)
    info: JsonDict = {"solver": "bracketed newton", "scale_bounds": [low, high]}
    if prior_rows is not None:
        unit = log_score_unit(np.column_stack(_class_logit_pair(z, values, score_space)), n)
        weight = COMMON_SCALE_PENALTY * unit * unit
        info["prior_rows"] = prior_rows
        if unit != 1.0:
            info["log_score_unit"] = unit
    info["scale_penalty"] = weight
    penalty = weight / prior_rows if prior_rows is not None else 0.0
    scale, iterations, converged = 1.0, 0, True
    if np.any(z != 0.0):
        scale, iterations, converged = _root(z, n, k, total, penalty, low, high)
        if penalty == 0.0 and scale == high and iterations == 0:  # still rising at the bound
            beta, iterations = search_log_beta(binary_mean_loss(
                *_class_logit_pair(z, values, score_space), n, k))
            scale = beta_factor(score_space) * beta
            info["solver"] = "bounded search"
    eta = scale * z
    nll = -float(np.dot(k, log_sigmoid(eta)) + np.dot(n - k, log_sigmoid(-eta)))
    info.update(iterations=iterations, converged=converged, neg_log_likelihood=nll)
    return scale, info


def _root(z: FloatArray, n: FloatArray, k: FloatArray, total: float, penalty: float,
          low: float, high: float) -> tuple[float, int, bool]:
    """The root of the increasing derivative inside ``[low, high]`` (a bound where the
    derivative does not change sign there), the steps taken and whether it converged."""
    size = float(np.max(np.abs(z)))
    unit = z / size
    if _derivatives(low, z, unit, size, n, k, total, penalty)[0] >= 0.0:
        return low, 0, True
    if _derivatives(high, z, unit, size, n, k, total, penalty)[0] <= 0.0:
        return high, 0, True
    scale = min(max(1.0, low), high)
    for iteration in range(1, MAX_ITERATIONS + 1):
        grad, curve = _derivatives(scale, z, unit, size, n, k, total, penalty)
        if abs(grad) <= 1e-14 * (1.0 + scale) or high - low <= 1e-14 * high:
            return scale, iteration, True
        if grad > 0.0:
            high = scale
        else:
            low = scale
        step = scale - grad / curve if curve > 0.0 else math.nan
        scale = step if low < step < high else math.sqrt(low * high)
    return scale, MAX_ITERATIONS, False
