"""Ours: the shipped processing script, run in-process on the calibration split.

``fit_and_apply`` writes the calibration split as one parquet file (score columns
``prob_class_<k>`` and ``label``), runs the script's ``main`` on it as a calibration job, loads
the ``calibrator.json`` it wrote and applies it to the test split's scores. Only the script's
stable public names are used: ``main``, ``load_calibrator``, ``load_calibration_model``,
``apply_calibrator`` and ``apply_multiclass``.

The time of a fit is ``main``'s wall time: reading, the shipped fit, the cross-fitted metrics
(5 folds), the reliability diagram and the writes, since that is what a user runs; the
script's own ``fit_and_evaluate_seconds`` is kept beside it.

Examples
--------
>>> import tempfile
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.95, 200)
>>> y = (rng.uniform(size=200) < p).astype(np.int64)
>>> scores = np.column_stack([1 - p, p])
>>> fit = fit_and_apply("platt", scores, y, scores[:3], tempfile.mkdtemp())
>>> fit.probabilities.shape, fit.selected_method, fit.unconverged
((3, 2), 'platt', [])
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.arrow import write_parquet
from bench.quality.metrics import FloatArray, IntArray, binary_matrix

SCORE_PREFIX = "prob_class_"
LABEL = "label"
OUTPUTS = ("calibration_output", "metrics_output", "calibrated_data")
# Calibrator name -> CALIBRATION_METHOD, per mode (multi-class isotonic .. beta are one-vs-rest).
BINARY_METHODS = {"ours_isotonic": "isotonic", "ours_platt": "platt", "ours_gam": "gam",
                  "ours_beta": "beta", "ours_temperature": "temperature", "ours_auto": "auto"}
MULTICLASS_METHODS = {"ours_temperature": "temperature", "ours_vector": "vector",
                      "ours_dirichlet": "dirichlet", "ours_ovr_isotonic": "isotonic",
                      "ours_ovr_platt": "platt", "ours_ovr_gam": "gam", "ours_ovr_beta": "beta",
                      "ours_auto": "auto"}


@dataclasses.dataclass(frozen=True)
class ScriptFit:
    """One run of the script: the test probabilities (``n x K``), the method it shipped, which
    shipped fits say they did not converge (``fit``, ``<class>`` for a one-vs-rest member, or
    ``warning: ...`` for a metrics.json warning about convergence), the warnings metrics.json
    records, and times (``main`` and the script's own fit and evaluation)."""

    probabilities: FloatArray
    selected_method: str
    unconverged: list[str]
    warnings: list[str]
    main_seconds: float
    fit_and_evaluate_seconds: float


def environment(method: str, classes: int) -> dict[str, str]:
    """The script's environment for ``method`` on ``classes`` score columns.

    >>> environment("auto", 3)["NUM_CLASSES"], environment("gam", 2)["IS_BINARY"]
    ('3', 'true')
    """
    env = {"CALIBRATION_METHOD": method, "LABEL_FIELD": LABEL, "LOG_LEVEL": "ERROR",
           "IS_BINARY": "true" if classes == 2 else "false"}
    if classes == 2:
        env["SCORE_FIELD"] = f"{SCORE_PREFIX}1"
    else:
        env.update(NUM_CLASSES=str(classes), SCORE_FIELD_PREFIX=SCORE_PREFIX)
    return env


def _score_columns(scores: FloatArray) -> dict[str, npt.NDArray[np.generic]]:
    if scores.shape[1] == 2:
        return {f"{SCORE_PREFIX}1": np.ascontiguousarray(scores[:, 1])}
    return {f"{SCORE_PREFIX}{k}": np.ascontiguousarray(scores[:, k])
            for k in range(scores.shape[1])}


def unconverged_fits(calibrator: Mapping[str, Any]) -> list[str]:
    """Where a calibrator.json says a shipped fit did not converge: ``fit`` for its own fit,
    a member's name for a one-vs-rest member's, and a multi-class mixture's component's by its
    method.

    >>> unconverged_fits({"fit": {"converged": True},
    ...                   "members": [{"name": "2", "fit": {"converged": False}}]})
    ['2']
    >>> unconverged_fits({"params": {"components": [{"method": "vector",
    ...                                              "fit": {"converged": False}}]}})
    ['vector: fit']
    """
    found = ["fit"] if calibrator.get("fit", {}).get("converged") is False else []
    found += [str(m.get("name")) for m in calibrator.get("members", [])
              if m.get("fit", {}).get("converged") is False]
    for component in calibrator.get("params", {}).get("components", []):
        found += [f"{component.get('method')}: {where}" for where in unconverged_fits(component)]
    return found


def _load_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        content: dict[str, Any] = json.load(handle)
    return content


def fit_and_apply(method: str, scores: FloatArray, labels: IntArray, test_scores: FloatArray,
                  folder: str) -> ScriptFit:
    """Run the script with ``CALIBRATION_METHOD=method`` on the calibration split in
    ``folder`` (which it fills) and apply its calibrator to ``test_scores``."""
    from calibration_step.script import model_calibration as mc

    source = os.path.join(folder, "calibration.parquet")
    write_parquet(source, {**_score_columns(scores), LABEL: labels})
    outputs = {name: os.path.join(folder, name) for name in OUTPUTS}
    started = time.perf_counter()
    mc.main({"evaluation_data": source}, outputs, environment(method, scores.shape[1]),
            argparse.Namespace(job_type="calibration"))
    main_seconds = time.perf_counter() - started
    path = os.path.join(outputs["calibration_output"], "calibrator.json")
    if scores.shape[1] == 2:
        probabilities = binary_matrix(mc.apply_calibrator(mc.load_calibrator(path),
                                                          test_scores[:, 1]))
    else:
        # The loaded model's class is not among the script's stable names; apply_multiclass
        # checks the calibrator's mode.
        apply: Callable[[Any, FloatArray], FloatArray] = mc.apply_multiclass
        probabilities = np.asarray(apply(mc.load_calibration_model(path), test_scores),
                                   dtype=np.float64)
    metrics = _load_json(os.path.join(outputs["metrics_output"], "metrics.json"))
    warnings = [str(w) for w in metrics.get("warnings", [])]
    unconverged = unconverged_fits(_load_json(path))
    unconverged += [f"warning: {w}" for w in warnings if "converge" in w.lower()]
    return ScriptFit(probabilities, str(metrics.get("selected_method")), unconverged, warnings,
                     main_seconds,
                     float(metrics.get("timings", {}).get("fit_and_evaluate_seconds", 0.0)))
