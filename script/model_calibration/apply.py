"""Applying a calibrator: calibrated probabilities for scores, vectorised (no per-row Python).

Scores are checked first (``MC-E404-INVALID-SCORES`` for NaN, infinite or out-of-space
values). A binary ``mixture`` is the weighted sum of its members' outputs; a binary
``temperature`` is ``sigmoid(scale * z)`` of the log-odds ``z`` (``binarytemperature``), ``scale * z``
bounded to ``+-SOFTMAX_LOG_RANGE`` as the multi-class softmax is. Multi-class
one-vs-rest outputs are divided by their row sum, and a row whose outputs
are all 0 becomes uniform; temperature is ``softmax(scale * l + bias)`` of the class log-scores
``l``, vector ``softmax(scales * l + bias)`` (a scale per class) and dirichlet
``softmax(l @ matrix.T + bias)``, each bounded (:func:`bounded_softmax`) so that no output is
exactly 0 or 1, vector and dirichlet then mixed with the uniform distribution by their
``uniform_share``, a named temperature's classes lifted to its ``probability_floor``
(:func:`lift_to_class_floor`). A multi-class ``mixture`` is the weighted sum of its
components' class probabilities, divided by its row sum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from .artifact import MIXTURE_METHOD
from .binarytemperature import temperature_logits
from .knots import KnotTable, interpolate_knots
from .numerics import (CLIP_EPSILON, LOG_OFFSET, LOGIT_LIMIT, ROW_REDUCE_COLUMNS, FloatArray,
                       beta_features, logit, row_reduce, sigmoid)
from .venn_abers import venn_abers_probabilities

if TYPE_CHECKING:  # annotations only
    from .artifact import Calibrator, MultiCalibrator

CLASS_SCALING_METHODS = ("temperature", "vector", "dirichlet")
"""Multi-class methods that map the class log-scores through one softmax (no members)."""


def _check_scores(scores: FloatArray, score_space: str) -> None:
    if scores.size == 0:
        return
    lo = float(np.min(scores))
    hi = float(np.max(scores))
    if score_space == "probability":
        ok = lo >= 0.0 and hi <= 1.0
        hint = "probability scores must lie in [0, 1] with no NaN"
    else:
        ok = math.isfinite(lo) and math.isfinite(hi)
        hint = "logit scores must be finite numbers"
    if not ok:
        raise CalibrationScriptError(
            Code.MC_E404_INVALID_SCORES,
            f"scores contain NaN, infinite or out-of-space values (min {lo}, max {hi})", hint)


def apply_calibrator(calibrator: Calibrator, scores: npt.ArrayLike) -> FloatArray:
    """Calibrated probabilities for ``scores`` (vectorised; no per-row Python code).

    Raises ``MC-E404-INVALID-SCORES`` for NaN, infinite or out-of-space scores. A calibrator
    whose parameters hold ``probability_floor`` (beta, and every calibrator ``auto`` ships)
    gives outputs within ``[probability_floor, 1 - probability_floor]``.

    >>> from calibration_step.script.model_calibration.artifact import Calibrator
    >>> iso = Calibrator("isotonic", "probability", 1e-15,
    ...                  knots_x=np.array([0.2, 0.8]), knots_y=np.array([0.1, 0.9]))
    >>> apply_calibrator(iso, [0.0, 0.5, 1.0]).tolist()
    [0.1, 0.5, 0.9]
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        s = s.ravel()
    _check_scores(s, calibrator.score_space)
    return _apply_checked(calibrator, s)


def calibrator_function(calibrator: Calibrator) -> Callable[[FloatArray], FloatArray]:
    """:func:`apply_calibrator` of ``calibrator`` for many arrays of scores, the same values:
    a knot calibrator's knots prepared once (:class:`~.knots.KnotTable`), not for each array.

    >>> from calibration_step.script.model_calibration.artifact import Calibrator
    >>> iso = Calibrator("isotonic", "probability", 1e-15,
    ...                  knots_x=np.array([0.2, 0.8]), knots_y=np.array([0.1, 0.9]))
    >>> calibrate = calibrator_function(iso)
    >>> calibrate(np.array([0.0, 0.5])).tolist(), calibrate(np.array([1.0])).tolist()
    ([0.1, 0.5], [0.9])
    """
    knots_x, knots_y = calibrator.knots_x, calibrator.knots_y
    if calibrator.method == MIXTURE_METHOD or knots_x is None or knots_y is None:
        return lambda s: apply_calibrator(calibrator, s)
    table = KnotTable(knots_x, knots_y)

    def calibrate(scores: FloatArray) -> FloatArray:
        s = np.asarray(scores, dtype=np.float64).ravel()
        _check_scores(s, calibrator.score_space)  # finite, as the table asks
        return _bounded(calibrator, table(s))

    return calibrate


def _apply_checked(calibrator: Calibrator, s: FloatArray) -> FloatArray:
    """:func:`apply_calibrator` on checked 1-d float scores ``s``, bounded by the calibrator's
    ``probability_floor`` where it holds one (older files hold none)."""
    return _bounded(calibrator, _calibrated(calibrator, s))


def _bounded(calibrator: Calibrator, out: FloatArray) -> FloatArray:
    """A calibrator's outputs ``out`` bounded (in place) by its ``probability_floor`` where it
    holds one."""
    floor = calibrator.extra_params.get("probability_floor")
    if isinstance(floor, (int, float)) and floor > 0.0:
        np.clip(out, floor, 1.0 - floor, out=out)
    return out


def _calibrated(calibrator: Calibrator, s: FloatArray) -> FloatArray:
    """:func:`_apply_checked` before the bound ``probability_floor``."""
    if calibrator.method == MIXTURE_METHOD:
        mixed: FloatArray = np.zeros(s.shape[0])
        for weight, member in zip(calibrator.weights, calibrator.members):
            part = _apply_checked(member, s)
            part *= weight
            mixed += part
        # the weights sum to 1 within rounding: keep the sum a probability
        np.clip(mixed, 0.0, 1.0, out=mixed)
        return mixed
    if calibrator.knots_x is not None and calibrator.knots_y is not None:
        return interpolate_knots(s, calibrator.knots_x, calibrator.knots_y)
    if calibrator.knots_x is not None and calibrator.p0_p1 is not None:
        return venn_abers_probabilities(s, calibrator.knots_x, *calibrator.p0_p1)
    eps = calibrator.clip_epsilon
    if calibrator.method == "identity":
        if calibrator.score_space == "logit":
            return sigmoid(s)
        out: FloatArray = np.clip(s, eps, 1.0 - eps)
        return out
    if calibrator.method == "temperature":
        offset = calibrator.extra_params.get("log_offset", LOG_OFFSET)
        z = temperature_logits(s, calibrator.score_space,
                               float(offset) if isinstance(offset, float) else LOG_OFFSET)
        with np.errstate(over="ignore"):  # an overflow is +-inf, bounded next
            z *= calibrator.coef[0]
        # the two-class bounded softmax: scikit-learn's scale bound saturates a separable set's
        # outputs to exactly 0 or 1; bounded, every output stays within [1e-15, 1 - 1e-15]
        np.clip(z, -SOFTMAX_LOG_RANGE, SOFTMAX_LOG_RANGE, out=z)
        return sigmoid(z)
    return sigmoid(platt_or_beta_logits(calibrator, s))


def platt_or_beta_logits(calibrator: Calibrator, s: FloatArray) -> FloatArray:
    """The log-odds a platt or beta calibrator gives the scores ``s`` (its output before the
    sigmoid and the bound).

    >>> from .artifact import Calibrator
    >>> platt = Calibrator("platt", "logit", 1e-15, coef=(2.0, -1.0))
    >>> platt_or_beta_logits(platt, np.array([0.0, 1.0])).tolist()
    [-1.0, 1.0]
    """
    eps = calibrator.clip_epsilon
    if calibrator.method == "platt":
        a, b = calibrator.coef
        z = logit(s, eps) if calibrator.score_space == "probability" else s.copy()
        with np.errstate(over="ignore"):  # a huge slope times a margin is +-inf: sigmoid 1 or 0
            z *= a
        z += b
        return z
    a, b, c = calibrator.coef
    ln_s, ln_1ms = beta_features(s, calibrator.score_space, eps)
    with np.errstate(over="ignore"):  # as platt: an overflow is +-inf, which sigmoid takes to 1 or 0
        eta = a * ln_s
        eta -= b * ln_1ms
        eta += c
    return eta


def class_logits(scores: FloatArray, score_space: str, eps: float,
                 log_offset: Optional[float] = None, out: Optional[FloatArray] = None
                 ) -> FloatArray:
    """Per-class log-scores: for probabilities ``ln(p + log_offset)``, or ``ln(max(p, eps))``
    when ``log_offset`` is None (calibrators written before the offset); the margins for logits,
    clipped to ``[-LOGIT_LIMIT, LOGIT_LIMIT]`` (the softmax is saturated beyond, and a scale or
    matrix times them stays finite). A new array, or ``out`` (of ``scores``' shape) filled.

    >>> class_logits(np.array([[0.0, 1.0]]), "probability", 1e-15, 1e-12).round(4).tolist()
    [[-27.631, 0.0]]
    """
    if score_space == "logit":
        clipped: FloatArray = np.clip(scores, -LOGIT_LIMIT, LOGIT_LIMIT, dtype=np.float64,
                                      out=out)
        return clipped
    if log_offset is None:
        logs: FloatArray = np.clip(scores, eps, 1.0, out=out)
    else:
        logs = np.add(scores, log_offset, out=out)
    np.log(logs, out=logs)
    return logs


def scaled_class_logits(calibrator: MultiCalibrator, logits: FloatArray,
                        overwrite: bool = False) -> FloatArray:
    """The softmax argument of a temperature, vector or dirichlet calibrator for the class
    log-scores ``logits`` (a new array; with ``overwrite``, a temperature's or vector's is
    ``logits`` itself, changed in place)."""
    bias = np.asarray(calibrator.bias)
    if calibrator.method == "dirichlet":
        assert calibrator.matrix is not None
        out: FloatArray = logits @ calibrator.matrix.T
    else:
        factor = np.asarray(calibrator.class_scales) if calibrator.method == "vector" \
            else np.float64(calibrator.scale)
        out = np.multiply(logits, factor, out=logits if overwrite else None)
    out += bias
    return out


SOFTMAX_LOG_RANGE = -math.log(CLIP_EPSILON)
"""The class-scaling methods' outputs: no class's softmax argument lies more than this (34.5)
below its row's largest, so each class gets at least ``CLIP_EPSILON / classes`` and the top
class at most ``1 - CLIP_EPSILON``: never exactly 0 or 1 (``exp`` of a gap beyond 745 is 0,
and ``1 - exp(-37)`` rounds to 1). Outputs change only where a class's probability relative to
the top class is below ``CLIP_EPSILON`` (the metrics clip there too)."""


def bounded_softmax(eta: FloatArray, overwrite: bool = False) -> FloatArray:
    """Row-wise softmax of ``eta`` (a new array; with ``overwrite``, ``eta`` itself, changed in
    place) with every gap below the row's largest bounded by ``SOFTMAX_LOG_RANGE``.

    >>> p = bounded_softmax(np.array([[0.0, -50.0, -2000.0], [0.0, 0.0, 0.0]]))
    >>> bool(np.all((p > 0.0) & (p < 1.0))), p[1].tolist()
    (True, [0.3333333333333333, 0.3333333333333333, 0.3333333333333333])
    """
    out: FloatArray = np.subtract(eta, row_reduce(np.maximum, eta)[:, None],
                                  out=eta if overwrite else None)
    np.maximum(out, -SOFTMAX_LOG_RANGE, out=out)
    np.exp(out, out=out)
    out /= row_reduce(np.add, out)[:, None]
    return out


def lift_to_class_floor(p: FloatArray, floor: float, class_axis: int) -> FloatArray:
    """Class probabilities ``p`` (rows along the other axis; changed in place and returned)
    with every class below ``floor`` lifted to it and the lifted mass taken from its row's
    most probable class: rows keep their sum, a row with no class below ``floor`` is
    unchanged, and each lifted probability moves by at most ``floor``, the top class by their
    sum (at most ``(classes - 1) floor``). With ``floor <= 1 / classes**2`` the top
    class keeps at least ``floor``.

    >>> lift_to_class_floor(np.array([[0.9999995, 2e-7, 3e-7], [0.5, 0.3, 0.2]]), 1e-6,
    ...                     1).tolist()
    [[0.999998, 1e-06, 1e-06], [0.5, 0.3, 0.2]]
    """
    # class-major: one comparison of contiguous class rows; row-major: the row minima by
    # row_reduce, not numpy's slow reduction over a short inner axis
    low = (p < floor).any(axis=0) if class_axis == 0 else row_reduce(np.minimum, p) < floor
    below = np.flatnonzero(low)
    if below.size == 0:
        return p
    rows = p[:, below] if class_axis == 0 else p[below]
    lifted = np.maximum(rows, floor)
    top = np.argmax(rows, axis=class_axis)
    gained = (lifted - rows).sum(axis=class_axis)
    if class_axis == 0:
        lifted[top, np.arange(below.size)] -= gained
        p[:, below] = lifted
    else:
        lifted[np.arange(below.size), top] -= gained
        p[below] = lifted
    return p


def class_scaling_probabilities(calibrator: MultiCalibrator, logits: FloatArray,
                                overwrite: bool = False) -> FloatArray:
    """The class probabilities of a temperature, vector or dirichlet calibrator for the class
    log-scores ``logits``: :func:`bounded_softmax` of :func:`scaled_class_logits`, mixed with
    the uniform distribution by ``uniform_share`` ``u``: ``(1 - u) p + u / classes`` (a new
    array; with ``overwrite``, a temperature's or vector's is ``logits`` itself, changed in
    place: no temporary of their shape)."""
    out = bounded_softmax(scaled_class_logits(calibrator, logits, overwrite), overwrite=True)
    share = calibrator.uniform_share
    if share:
        out *= 1.0 - share
        out += share / out.shape[1]
    if calibrator.probability_floor:
        lift_to_class_floor(out, calibrator.probability_floor, 1)
    return out


def class_major_softmax(eta: FloatArray) -> FloatArray:
    """:func:`bounded_softmax` of the class-major ``eta`` (classes x rows; changed in place
    and returned): the same operations in the same order, so the same values, on contiguous
    rows where that takes numpy's slow short ones.

    >>> class_major_softmax(np.array([[0.0, 0.0], [np.log(3.0), -2000.0]])).round(6).tolist()
    [[0.25, 1.0], [0.75, 0.0]]
    """
    eta -= eta.max(axis=0)
    np.maximum(eta, -SOFTMAX_LOG_RANGE, out=eta)
    np.exp(eta, out=eta)
    eta /= eta.sum(axis=0)
    return eta


def class_major_probabilities(calibrator: MultiCalibrator, x: FloatArray) -> FloatArray:
    """:func:`class_scaling_probabilities` of a temperature, vector or dirichlet calibrator for
    the class-major log-scores ``x`` (classes x rows; changed in place for temperature and
    vector, its result returned class-major): the same operations, so the same values (for at
    most ``ROW_REDUCE_COLUMNS`` classes, which ``row_reduce`` sums in order too), on
    contiguous class rows.

    >>> from calibration_step.script.model_calibration.artifact import MultiCalibrator
    >>> model = MultiCalibrator(mode="multiclass", method="vector", score_space="probability",
    ...                         clip_epsilon=1e-15, names=("a", "b"),
    ...                         score_fields=("p_a", "p_b"), label_fields=("y",),
    ...                         class_scales=(2.0, 1.0), bias=(0.0, 0.5))
    >>> x = np.log(np.array([[0.2, 0.6], [0.8, 0.4]]))
    >>> expected = class_scaling_probabilities(model, x.T.copy()).T
    >>> bool(np.array_equal(class_major_probabilities(model, x), expected))
    True
    """
    if calibrator.method == "dirichlet":
        assert calibrator.matrix is not None
        eta: FloatArray = np.asarray(calibrator.matrix) @ x
    else:
        eta = x
        eta *= np.asarray(calibrator.class_scales)[:, None] if calibrator.method == "vector" \
            else np.float64(calibrator.scale)
    eta += np.asarray(calibrator.bias)[:, None]
    out = class_major_softmax(eta)
    share = calibrator.uniform_share
    if share:
        out *= 1.0 - share
        out += share / out.shape[0]
    if calibrator.probability_floor:
        lift_to_class_floor(out, calibrator.probability_floor, 0)
    return out


def mix_class_probabilities(weights: Sequence[float], parts: Iterable[FloatArray]
                            ) -> FloatArray:
    """The weighted sum of the class-probability matrices ``parts`` (a multi-class mixture's
    components), divided by its row sum: the weights sum to 1 within rounding, and each row
    stays a distribution.

    >>> mix_class_probabilities([0.25, 0.75], [np.array([[1.0, 0.0]]),
    ...                                         np.array([[0.5, 0.5]])]).tolist()
    [[0.625, 0.375]]
    """
    mixed: Optional[FloatArray] = None
    for weight, part in zip(weights, parts):
        part = part * weight
        if mixed is None:
            mixed = np.asfortranarray(part)
        else:
            mixed += part
    assert mixed is not None, "a mixture has components"
    mixed /= row_reduce(np.add, mixed)[:, None]
    return mixed


def renormalise(q: FloatArray, overwrite: bool = False) -> tuple[FloatArray, int]:
    """Rows divided by their sum (a new array; with ``overwrite``, ``q`` itself, changed in
    place); rows summing to 0 become uniform (never a division by zero).

    >>> out, zero = renormalise(np.array([[0.2, 0.6], [0.0, 0.0]]))
    >>> out.round(3).tolist(), zero
    ([[0.25, 0.75], [0.5, 0.5]], 1)
    """
    sums = row_reduce(np.add, q)
    zero = ~(sums > 0.0)
    sums[zero] = 1.0
    # q's layout; filled column by column
    out: FloatArray = q if overwrite else np.empty_like(q)
    for j in range(q.shape[1]):
        np.divide(q[:, j], sums, out=out[:, j])
    out[zero] = 1.0 / q.shape[1]
    return out, int(zero.sum())


def apply_multiclass(calibrator: MultiCalibrator, scores: npt.ArrayLike) -> FloatArray:
    """Calibrated class probabilities (rows sum to 1) for an ``(n, classes)`` score matrix.

    Raises ``MC-E404-INVALID-SCORES`` for a matrix of another shape, or NaN, infinite or
    out-of-space scores.

    >>> from calibration_step.script.model_calibration.artifact import MultiCalibrator
    >>> temp = MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...                        clip_epsilon=1e-15, names=("a", "b"),
    ...                        score_fields=("p_a", "p_b"), label_fields=("y",), scale=0.5,
    ...                        bias=(0.0, 0.0))
    >>> apply_multiclass(temp, np.array([[2.0, 0.0]])).round(4).tolist()
    [[0.7311, 0.2689]]
    """
    s = np.asarray(scores, dtype=np.float64)
    if calibrator.mode != "multiclass" or s.ndim != 2 or s.shape[1] != len(calibrator.names):
        raise CalibrationScriptError(
            Code.MC_E404_INVALID_SCORES,
            f"expected an (n, {len(calibrator.names)}) score "
            f"matrix for a multiclass calibrator; got shape {s.shape}",
            "pass one column per category, in the calibrator's order")
    _check_scores(s.ravel(order="K"), calibrator.score_space)  # no copy, in either layout
    return _multiclass_checked(calibrator, s)


def _multiclass_checked(calibrator: MultiCalibrator, s: FloatArray) -> FloatArray:
    """:func:`apply_multiclass` on a checked score matrix ``s``."""
    if calibrator.method == MIXTURE_METHOD:
        return mix_class_probabilities(calibrator.weights, (
            _multiclass_checked(component, s) for component in calibrator.components))
    if calibrator.method in CLASS_SCALING_METHODS:
        logits = class_logits(s, calibrator.score_space, calibrator.clip_epsilon,
                              calibrator.log_offset)  # a new array: the probabilities take it
        return class_scaling_probabilities(calibrator, logits, overwrite=True)
    q = np.empty(s.shape, order="F")
    for c, member in enumerate(calibrator.members):
        q[:, c] = apply_calibrator(member, s[:, c])
    return renormalise(q, overwrite=True)[0]


def apply_multiclass_columns(calibrator: MultiCalibrator, columns: Sequence[FloatArray]
                             ) -> FloatArray:
    """Calibrated class probabilities (a new matrix) for a column of scores a class
    (``columns``, as :func:`~.columns.parse_scores` gives them under the calibrator's score
    space: checked, NaN where a score is missing): a row missing a score is NaN in every class,
    every other row :func:`apply_multiclass`'s, to the bit.

    A temperature or vector calibrator writes each column's class log-scores straight into the
    result and computes the softmax there in place: each step is row by row and NaN goes
    through it, so no row needs masking. The others apply to the columns as they are when no
    score is missing (each column's minimum tells), else to a score matrix of the complete
    rows, checked again by :func:`apply_multiclass`.
    """
    assert len(columns) == len(calibrator.names), "a column of scores a class"
    if calibrator.method in ("temperature", "vector") or \
            not any(c.size and math.isnan(float(np.min(c))) for c in columns):
        return _multiclass_columns(calibrator, columns)
    raw = np.empty((columns[0].shape[0], len(columns)), order="F")  # as the fit's
    valid = np.ones(raw.shape[0], dtype=np.bool_)
    for j, column in enumerate(columns):
        raw[:, j] = column
        valid &= ~np.isnan(column)
    out: FloatArray = np.full(raw.shape, np.nan, order="F")
    if valid.any():
        out[valid] = apply_multiclass(calibrator, raw[valid])
    return out


def _multiclass_columns(calibrator: MultiCalibrator, columns: Sequence[FloatArray]
                        ) -> FloatArray:
    """:func:`apply_multiclass_columns` when no score is missing, or for a temperature or
    vector calibrator."""
    if calibrator.method == MIXTURE_METHOD:
        return mix_class_probabilities(calibrator.weights, (
            _multiclass_columns(component, columns) for component in calibrator.components))
    out: FloatArray = np.empty((columns[0].shape[0], len(columns)), order="F")
    if calibrator.method in CLASS_SCALING_METHODS:
        for j, column in enumerate(columns):
            class_logits(column, calibrator.score_space, calibrator.clip_epsilon,
                         calibrator.log_offset, out=out[:, j])
        if len(columns) > ROW_REDUCE_COLUMNS:
            return class_scaling_probabilities(calibrator, out, overwrite=True)
        # class-major: out.T is contiguous class rows, and a dirichlet's product keeps them
        probabilities: FloatArray = class_major_probabilities(calibrator, out.T).T
        return probabilities
    for j, (member, column) in enumerate(zip(calibrator.members, columns)):
        out[:, j] = _apply_checked(member, column)
    return renormalise(out, overwrite=True)[0]
