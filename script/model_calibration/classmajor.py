"""Class probabilities of temperature, vector and dirichlet calibrators on class-major
log-scores (classes x rows): ``apply``'s operations in the same order, so the same values, on
contiguous class rows where the row-major layout takes numpy's slow short rows.
"""

from __future__ import annotations

import numpy as np

from .apply import SOFTMAX_LOG_RANGE
from .artifact import MultiCalibrator
from .numerics import FloatArray


def class_major_softmax(eta: FloatArray) -> FloatArray:
    """``apply.bounded_softmax`` of the class-major ``eta`` (classes x rows; changed in place
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
    """``class_scaling_probabilities`` of a vector or dirichlet calibrator for the class-major
    log-scores ``x`` (classes x rows; changed in place for vector, its result returned
    class-major): the same operations, so the same values, on contiguous class rows.

    >>> from calibration_step.script.model_calibration.apply import class_scaling_probabilities
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
        eta *= np.asarray(calibrator.class_scales)[:, None]
    eta += np.asarray(calibrator.bias)[:, None]
    out = class_major_softmax(eta)
    share = calibrator.uniform_share
    if share:
        out *= 1.0 - share
        out += share / out.shape[0]
    return out
