"""The check every loaded calibrator passes: applied to fixed probe scores, it must compute
finite probabilities in [0, 1] (multi-class rows summing to 1), ``MC-E407-CALIBRATOR-OUTPUTS``
otherwise. A re-signed file whose fields are each in range can still compute NaN.

Examples
--------
>>> probe_matrix("logit", 2).shape[1]
2
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .apply import apply_calibrator, apply_multiclass
from .artifact import AnyCalibrator, Calibrator, MultiCalibrator
from ..errors import CalibrationScriptError, Code
from .numerics import FloatArray

__all__ = ["PROBE_SCORES", "check_outputs", "probe_matrix"]


_PROBE_PROBABILITIES = (0.0, 5e-324, 1e-300, 1e-15, 1e-8, 1e-4, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9,
                        0.99, 1.0 - 1e-8, 1.0 - 2.0**-53, 1.0)
_PROBE_MARGINS = tuple(sorted({sign * v for v in (0.0, 5e-324, 1e-8, 0.5, 1.0, 5.0, 40.0, 745.0,
                                                   1e10, 1e100, 1e300, float(np.finfo(np.float64).max))
                               for sign in (1.0, -1.0)}))
PROBE_SCORES: Mapping[str, tuple[float, ...]] = {"probability": _PROBE_PROBABILITIES, "logit": _PROBE_MARGINS}
"""The scores every loaded calibrator is applied to, by score space: its outputs there must be
finite probabilities (``MC-E407``). Multi-class calibrators get the matrix of
:func:`probe_matrix`."""


def probe_matrix(score_space: str, classes: int) -> FloatArray:
    """Probe rows for a multi-class calibrator: every probe score in all columns, then two
    Latin squares of them (column ``c`` of row ``i`` holds probe ``i + c`` and ``i + 2 c``), so
    each column meets every probe score next to others.

    >>> probe_matrix("probability", 3).shape
    (48, 3)
    """
    grid = np.asarray(PROBE_SCORES[score_space])
    rows = np.arange(grid.shape[0])[:, None]
    columns = np.arange(classes)[None, :]
    blocks = [np.broadcast_to(grid[:, None], (grid.shape[0], classes)),
              grid[(rows + columns) % grid.shape[0]], grid[(rows + 2 * columns) % grid.shape[0]]]
    out: FloatArray = np.vstack(blocks)
    return out


def check_outputs(calibrator: AnyCalibrator) -> None:
    """``MC-E407-CALIBRATOR-OUTPUTS`` unless ``calibrator`` maps the probe scores
    (:data:`PROBE_SCORES`, :func:`probe_matrix`) to finite probabilities in [0, 1], each
    multi-class row summing to 1: a re-signed file whose values are each in range can still
    compute NaN (a temperature scale of 1e308 times a margin). A binary mixture's members are
    each checked, then the mixture.

    >>> check_outputs(Calibrator("platt", "logit", 1e-15, coef=(1.0, 1e308)))
    >>> check_outputs(MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...     clip_epsilon=1e-15, names=("a", "b"), score_fields=("a", "b"), label_fields=("y",),
    ...     scale=1e308, bias=(0.0, 0.0)))
    Traceback (most recent call last):
    ...
    calibration_step.script.errors.CalibrationScriptError: MC-E407-CALIBRATOR-OUTPUTS: ...
    """
    tops = [calibrator] if isinstance(calibrator, Calibrator) else list(calibrator.members)
    # a mixture's members each, then the mixture: a bad member is named as itself
    binary = [member for top in tops for member in (*top.members, top)]
    found: list[str] = []
    with np.errstate(all="ignore"):
        try:
            for member in binary:
                scores = np.asarray(PROBE_SCORES[member.score_space])
                found += _output_problems(apply_calibrator(member, scores), scores, member.method)
            if isinstance(calibrator, MultiCalibrator) and calibrator.mode == "multiclass":
                matrix = probe_matrix(calibrator.score_space, len(calibrator.names))
                outputs = apply_multiclass(calibrator, matrix)
                found += _output_problems(outputs, matrix, calibrator.method)
                sums = outputs.sum(axis=1)
                if not np.all(np.abs(sums - 1.0) <= 1e-6):
                    at = int(np.argmax(~(np.abs(sums - 1.0) <= 1e-6)))
                    found.append(f"{calibrator.method}: the class probabilities of scores "
                                 f"{matrix[at].tolist()[:4]} sum to {float(sums[at])!r}, not 1")
        except (ArithmeticError, ValueError) as exc:
            found.append(f"{calibrator.method}: applying it raised {type(exc).__name__}: {exc}")
    if found:
        raise CalibrationScriptError(
            Code.MC_E407_CALIBRATOR_OUTPUTS,
            f"the calibrator does not compute probabilities: {found[0]}",
            "use a calibrator.json written by this script, unmodified")


def _output_problems(outputs: FloatArray, scores: FloatArray, method: str) -> list[str]:
    bad = ~((outputs >= 0.0) & (outputs <= 1.0))  # NaN is neither
    if not np.any(bad):
        return []
    at = np.unravel_index(int(np.argmax(bad)), bad.shape)
    row = scores[at[0]] if scores.ndim == 2 else scores[at]
    shown = np.asarray(row).ravel().tolist()[:4]
    return [f"{method} maps the score(s) {shown} to {float(outputs[at])!r}"]
