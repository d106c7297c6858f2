"""The checks every platt, beta and gam fit passes before it is used: it converged and it is not
degenerate. A failing fit raises its own code, which fails a job with a named method and drops
the candidate under ``auto`` (recorded in the selection and in the run's warnings).

Degenerate means: a non-finite parameter; a slope beyond ``FIT_MAX_SLOPE`` (platt's ``a``,
beta's ``a`` or ``b``) that takes the fit's log-odds beyond ``FIT_MAX_SLOPE`` in magnitude on the
fitted scores, or, for gam, such log-odds alone (runaway parameters: the fit has found no finite
optimum); or a constant output on scores that rank significantly against the labels (reversed
labels or scores: the method's increasing family cannot follow them). A large slope alone is not
refused: scores squeezed into a narrow range (AdaBoost's multi-class probabilities on digits
span 0.003) need one, and their log-odds stay moderate. Constant scores (after the clip), and
scores without a significant ranking in either direction, legitimately give a constant
calibrator (the base rate): that is recorded as a warning in the fit block (``fit.warnings``),
not refused.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ..errors import CalibrationScriptError, WarningEntry, warning_entry
from ..error_codes import Code
from .aggregation import Aggregated
from .apply import platt_or_beta_logits
from .artifact import AnyCalibrator, Calibrator, MultiCalibrator
from .jsonvalues import JsonDict
from .metrics import auc_aggregated
from .numerics import FloatArray

FIT_MAX_SLOPE = 1e3
"""The largest slope a platt or beta fit may have where it takes its log-odds beyond this on the
fitted scores, and the largest ``|logit|`` of a gam's curve on its fitted range: beyond it the
fit has run away (the smoothed targets keep a sound fit far below it)."""

CONSTANT_OUTPUT = 1e-12
"""Fitted probabilities spanning at most this over the fitted scores are a constant output."""

_DOMAIN_PROBES = {
    "probability": np.array([0.0, 1e-15, 1e-9, 1e-6, 1e-3, 0.1, 0.5, 0.9, 1.0 - 1e-3, 1.0 - 1e-6,
                             1.0 - 1e-9, 1.0]),
    "logit": np.array([-1e3, -30.0, -5.0, -1.0, 0.0, 1.0, 5.0, 30.0, 1e3])}
"""Scores across each space's domain: a constant fit must be constant on them too (a runaway
slope on scores of a vanishing spread is constant on those scores alone)."""

AGAINST_THE_LABELS = 3.0
"""How many standard errors below 0.5 the scores' rank AUC lies where a constant fit is refused:
the scores then rank against the labels. Within it they carry no signal a monotone fit could
follow, and the constant base rate ships with ``MC-W303-NO-MONOTONE-SIGNAL``."""

FIT_FAILURE_CODES = (Code.MC_E303_FIT_FAILED, Code.MC_E304_FIT_NOT_CONVERGED,
                     Code.MC_E305_FIT_DEGENERATE)
"""The codes of a fit that cannot be used: ``auto`` drops such a candidate."""


def dropped_under_auto(exc: CalibrationScriptError, multiclass: bool) -> bool:
    """Whether ``auto`` drops a candidate whose fit raised ``exc`` (recording why) rather than
    failing the job: its fit failed, did not converge or is degenerate (``FIT_FAILURE_CODES``),
    or, multi-class, a one-vs-rest member met a single class (``MC-E301``: a class with no row,
    or every row, among the candidate's training rows), which the class scalings and the
    identity still calibrate. Binary, a single class leaves no candidate to fit: it fails.

    >>> single = CalibrationScriptError(Code.MC_E301_SINGLE_CLASS, "no row of class '3'", "add")
    >>> dropped_under_auto(single, True), dropped_under_auto(single, False)
    (True, False)
    """
    return exc.code in FIT_FAILURE_CODES or (multiclass and
                                             exc.code == Code.MC_E301_SINGLE_CLASS)


def check_fit(cal: Calibrator, agg: Aggregated, context: str,
              rows: Optional[float] = None) -> list[WarningEntry]:
    """Raise ``MC-E304-FIT-NOT-CONVERGED`` or ``MC-E305-FIT-DEGENERATE`` for a platt, beta or gam
    fit on ``agg`` that cannot be shipped; returns the fit's warnings (constant scores, or a
    constant fit on scores without signal). ``rows``: how many rows the weights of ``agg``
    sum (None: ``agg.n`` counts rows).

    >>> cal = Calibrator("platt", "probability", 1e-15, coef=(0.0, 0.0), fit={"converged": True})
    >>> no_signal = Aggregated(np.array([0.2, 0.8]), np.array([20.0, 20.0]), np.array([10.0, 10.0]))
    >>> [w["code"] for w in check_fit(cal, no_signal, "doc")]
    ['MC-W303-NO-MONOTONE-SIGNAL']
    >>> reversed_labels = Aggregated(no_signal.values, no_signal.n, np.array([20.0, 0.0]))
    >>> try:
    ...     check_fit(cal, reversed_labels, "doc")
    ... except CalibrationScriptError as exc:
    ...     print(exc.code)
    MC-E305-FIT-DEGENERATE
    """
    method = cal.method
    if cal.fit.get("converged") is False:
        raise CalibrationScriptError(
            Code.MC_E304_FIT_NOT_CONVERGED,
            f"{context}: the {method} fit did not converge in {cal.fit.get('iterations')} "
            "iterations", "choose another method (isotonic needs no iterations), or "
            "CALIBRATION_METHOD=auto, which drops such a candidate")
    values = agg.values if cal.score_space == "logit" else \
        np.clip(agg.values, cal.clip_epsilon, 1.0 - cal.clip_epsilon)
    problem = _degeneracy(cal, agg.values)
    constant_scores = bool(np.all(values == values[0]))
    if problem is None and not constant_scores:
        problem, no_signal = _constant_output(cal, agg, rows, context)
        if no_signal is not None:
            return [no_signal]
    if problem is not None:
        raise CalibrationScriptError(
            Code.MC_E305_FIT_DEGENERATE, f"{context}: the {method} fit is degenerate: {problem}",
            "the scores may separate the labels or rank against them; choose isotonic, or "
            "CALIBRATION_METHOD=auto, which drops such a candidate")
    if not constant_scores:
        return []
    return [warning_entry(Code.MC_W301_CONSTANT_SCORES,
                          f"{context}: every score is {float(values[0])!r} (after the clip "
                          f"{cal.clip_epsilon:g}); the {method} calibrator is the constant base "
                          "rate")]


def _constant_output(cal: Calibrator, agg: Aggregated, rows: Optional[float], context: str
                     ) -> tuple[Optional[str], Optional[WarningEntry]]:
    """Whether a fit on scores of more than one value has a constant output: ``(None, None)``
    where it has not; a problem where it is constant on the fitted scores alone, or on scores
    that rank against the labels; else ``MC-W303-NO-MONOTONE-SIGNAL``."""
    from .apply import apply_calibrator  # apply imports nothing of the fitting modules

    fitted = apply_calibrator(cal, agg.values)
    if float(np.max(fitted) - np.min(fitted)) > CONSTANT_OUTPUT:
        return None, None
    level = float(fitted[0])
    everywhere = apply_calibrator(cal, _DOMAIN_PROBES[cal.score_space])
    if float(np.max(np.abs(everywhere - level))) > CONSTANT_OUTPUT:
        return (f"its output is constant ({level:.6g}) on the fitted scores only (from "
                f"{float(np.min(everywhere)):.6g} to {float(np.max(everywhere)):.6g} across "
                "the scores' domain): their spread is too narrow for its parameters"), None
    auc, below = rank_signal(agg, rows)
    constant = (f"its output is constant ({level:.6g}) on scores of {agg.values.shape[0]} "
                f"values, whose rank AUC is {auc:.4f} ({below:.3g} standard errors below 0.5")
    if below > AGAINST_THE_LABELS:
        return (f"{constant}): the scores rank against the labels; check whether the labels "
                "or the score column are reversed"), None
    return None, warning_entry(
        Code.MC_W303_NO_MONOTONE_SIGNAL,
        f"{context}: the {cal.method} fit found no increasing relation: {constant}, at most "
        f"{AGAINST_THE_LABELS:g}); the calibrator is the constant base rate")


def rank_signal(agg: Aggregated, rows: Optional[float] = None) -> tuple[float, float]:
    """The rank AUC of the scores in ``agg`` and how many standard errors it lies below 0.5,
    the error being that of an AUC without signal (Mann and Whitney: ``sqrt((N1 + N0 + 1) /
    (12 N1 N0))`` for ``N1`` positive and ``N0`` negative rows; ties make it smaller, so the
    count is conservative). ``rows``: how many rows the weights of ``agg`` sum (None: ``agg.n``
    counts rows).

    >>> agg = Aggregated(np.arange(4.0), np.full(4, 25.0), np.array([25.0, 25.0, 0.0, 0.0]))
    >>> auc, below = rank_signal(agg)
    >>> auc, round(below, 2)
    (0.0, 8.62)
    """
    auc, _ = auc_aggregated(agg)
    total = float(agg.n.sum())
    scale = 1.0 if rows is None or total <= 0.0 else rows / total
    positives = float(agg.k.sum()) * scale
    negatives = (total - float(agg.k.sum())) * scale
    if auc is None or positives <= 0.0 or negatives <= 0.0:
        return 0.5, 0.0
    error = math.sqrt((positives + negatives + 1.0) / (12.0 * positives * negatives))
    return auc, (0.5 - auc) / error


def _degeneracy(cal: Calibrator, scores: FloatArray) -> str | None:
    """What makes the fitted parameters unusable (non-finite or runaway) on the fitted
    ``scores``, or None."""
    if cal.method == "gam":
        logit_max = cal.fit.get("max_abs_logit")
        assert isinstance(logit_max, float)
        if not math.isfinite(logit_max) or logit_max > FIT_MAX_SLOPE:
            return (f"its logit reaches {logit_max:.3g} on the fitted range (bound "
                    f"{FIT_MAX_SLOPE:g}): runaway coefficients")
        return None
    if not all(math.isfinite(v) for v in cal.coef):
        return f"non-finite parameters {cal.coef}"
    slope = max(abs(v) for v in cal.coef[:-1])
    if slope <= FIT_MAX_SLOPE:
        return None
    reach = float(np.max(np.abs(platt_or_beta_logits(cal, scores))))
    if reach <= FIT_MAX_SLOPE:
        return None
    return (f"a slope of {slope:.3g} takes its log-odds to {reach:.3g} on the fitted scores "
            f"(bound {FIT_MAX_SLOPE:g} for both): the scores (nearly) separate the labels")


def fit_warnings(calibrator: AnyCalibrator, records: object) -> list[JsonDict]:
    """The warnings a run records of its fits: the ``fit.warnings`` of the calibrator (or of
    its members) and one ``MC-W302-CANDIDATE-DROPPED`` per ``auto`` candidate and cause dropped
    in ``records`` (the selection and fold records: any ``{method: {"status": "failed", ...}}``),
    saying in how many of the selections it was dropped and the first one's message.

    >>> cal = Calibrator("platt", "probability", 1e-15, coef=(1.0, 0.0))
    >>> dropped = {"candidates": {"gam": {"status": "failed", "code": "MC-E305-FIT-DEGENERATE",
    ...                                   "error": "runaway"}}}
    >>> [w["message"] for w in fit_warnings(cal, [dropped, [dropped, dropped]])]
    ['auto dropped candidate gam (MC-E305-FIT-DEGENERATE) in 3 selections; the first: runaway']
    """
    members = calibrator.members if isinstance(calibrator, MultiCalibrator) else (calibrator,)
    out: list[JsonDict] = []
    for member in members:
        recorded = member.fit.get("warnings", [])
        if isinstance(recorded, list):
            out += [dict(w) for w in recorded if isinstance(w, dict)]
    dropped: dict[tuple[str, object], list[dict[str, object]]] = {}
    for method, record in _failed_candidates(records):
        dropped.setdefault((method, record.get("code")), []).append(record)
    for (method, code), found in dropped.items():
        where = "in 1 selection" if len(found) == 1 else f"in {len(found)} selections"
        out.append(dict(warning_entry(
            Code.MC_W302_CANDIDATE_DROPPED,
            f"auto dropped candidate {method} ({code}) {where}; the first: "
            f"{found[0].get('error')}")))
    return out


def _failed_candidates(records: object) -> list[tuple[str, dict[str, object]]]:
    """Every ``(method, record)`` whose record says ``"status": "failed"``, depth first."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(records, dict):
        for key, value in records.items():
            if isinstance(value, dict) and value.get("status") == "failed":
                found.append((str(key), value))
            else:
                found += _failed_candidates(value)
    elif isinstance(records, list):
        for item in records:
            found += _failed_candidates(item)
    return found
