"""One run of the quality benchmark: a (data set, model kind, seed), every calibrator on it.

``execute`` prepares the run's splits and scores (``datasets.prepare``), then fits every
calibrator of the run's mode on the calibration split and judges it on the test split: the
uncalibrated scores (the baseline), ours (the script, one run per method) and the available
peers. A calibrator that raises is recorded as failed with its error, never fatal. It also
computes the agreement checks: ours isotonic against scikit-learn's ``IsotonicRegression``
(binary; recording whether the calibration scores have near ties, which scikit-learn pools) and
ours temperature against scikit-learn's temperature scaling on the same probabilities on
every run (both take ``ln(p + 1e-12)``; scikit-learn's bounded as ours is, binary to
``[1e-6, 1 - 1e-6]``, multi-class with every class lifted to ``1e-6``), recording whether the
scores hold an exact 0.

Examples
--------
>>> spec = RunSpec("iris_versicolor_vs_rest", "logistic_c0005", 0)
>>> spec.run_id
'iris_versicolor_vs_rest/logistic_c0005/0'
>>> result = execute(spec, calibrators=["uncalibrated", "sklearn_sigmoid"])
>>> sorted(result.calibrators), result.calibrators["sklearn_sigmoid"].status
(['sklearn_sigmoid', 'uncalibrated'], 'ok')
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Sequence

import numpy as np

from bench.quality import ours, peers
from calibration_step.script.model_calibration.apply import lift_to_class_floor
from calibration_step.script.model_calibration.binarytemperature import NAMED_OUTPUT_BOUND
from calibration_step.script.model_calibration.temperature import named_class_floor
from bench.quality.datasets import BINARY, RunData, prepare
from bench.quality.metrics import (Figures, FloatArray, IntArray, PairedDifference, ScoreShape,
                                   binary_matrix, figures, paired_difference, row_log_losses,
                                   score_shape)

UNCALIBRATED = "uncalibrated"
AUTO = "ours_auto"
# scikit-learn's IsotonicRegression pools scores closer than float64 resolution (1e-15), as ours
# does: runs with such near ties are recorded, so the agreement is reported with and without them.
NEAR_TIE = 1e-15


@dataclasses.dataclass(frozen=True)
class RunSpec:
    dataset: str
    model: str
    seed: int

    @property
    def run_id(self) -> str:
        return f"{self.dataset}/{self.model}/{self.seed}"


@dataclasses.dataclass(frozen=True)
class CalibratorResult:
    """A calibrator on one run: ``status`` ok | failed, the error of a failure, the held-out
    figures, the wall and CPU seconds to fit and apply, and what ours reports (selected method, shipped
    fits that did not converge, script warnings, the script's own fit-and-evaluate time)."""

    status: str
    seconds: float
    cpu_seconds: float
    figures: Figures | None = None
    error: str | None = None
    selected_method: str | None = None
    unconverged: list[str] | None = None
    warnings: list[str] | None = None
    script_fit_seconds: float | None = None

    @property
    def log_loss(self) -> float | None:
        return None if self.figures is None else self.figures.log_loss


@dataclasses.dataclass(frozen=True)
class RunResult:
    spec: RunSpec
    mode: str
    classes: int
    rows: dict[str, int]
    calibration_scores: ScoreShape
    calibrators: dict[str, CalibratorResult]
    # max |ours - scikit-learn| on the test predictions, None where not computed
    isotonic_vs_sklearn: float | None
    isotonic_near_ties: bool  # distinct calibration scores closer than NEAR_TIE (binary)
    temperature_vs_sklearn: float | None
    temperature_skipped: str | None  # why it was not compared (results from before every run was)
    seconds: float
    cpu_seconds: float
    # the calibration or test scores hold an exact 0 (the agreement target is on inputs
    # without zeros); results written before it was recorded read as False
    temperature_input_zeros: bool = False
    # ours_auto's per-row test log loss minus each other calibrator's that ran (None where auto
    # failed, and in results written before it was recorded)
    auto_paired: dict[str, PairedDifference] | None = None


def calibrators_of(mode: str) -> list[str]:
    """Every calibrator of ``mode``, in report order: the baseline, ours, then the peers.

    >>> calibrators_of("binary")[:3]
    ['uncalibrated', 'ours_isotonic', 'ours_platt']
    """
    own = ours.BINARY_METHODS if mode == BINARY else ours.MULTICLASS_METHODS
    return [UNCALIBRATED, *own, *(name for name, p in peers.PEERS.items() if mode in p.modes)]


def _judge(run: RunData, fit: Callable[[], FloatArray]) -> tuple[CalibratorResult, FloatArray]:
    started, cpu = time.perf_counter(), time.process_time()
    try:
        probabilities = fit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return CalibratorResult("ok", seconds, cpu, figures(probabilities, run.test.labels)), \
            probabilities
    except Exception as exc:  # a peer's or ours' failure is a result, not a crash
        return CalibratorResult("failed", time.perf_counter() - started,
                                time.process_time() - cpu,
                                error=f"{type(exc).__name__}: {exc}"[:500]), np.empty((0, 0))


def _ours(run: RunData, method: str) -> tuple[CalibratorResult, FloatArray]:
    fits: list[ours.ScriptFit] = []

    def fit() -> FloatArray:
        with tempfile.TemporaryDirectory(prefix="quality-ours-") as folder:
            fits.append(ours.fit_and_apply(method, run.calibration.scores,
                                           run.calibration.labels, run.test.scores, folder))
        return fits[0].probabilities

    result, probabilities = _judge(run, fit)
    if fits:
        result = dataclasses.replace(result, selected_method=fits[0].selected_method,
                                     unconverged=fits[0].unconverged,
                                     warnings=fits[0].warnings,
                                     script_fit_seconds=fits[0].fit_and_evaluate_seconds)
    return result, probabilities


def _uncalibrated(run: RunData) -> FloatArray:
    """The model's test probabilities (binary: ``[1 - p, p]`` from its P(class 1), like every
    binary calibrator's output)."""
    scores = run.test.scores
    return binary_matrix(scores[:, 1]) if run.classes == 2 else scores


def near_ties(scores: FloatArray) -> bool:
    """Whether two distinct scores are closer than ``NEAR_TIE``.

    >>> near_ties(np.array([0.0, 1e-17, 0.5])), near_ties(np.array([0.0, 0.5, 0.5]))
    (True, False)
    """
    return bool(np.any(np.diff(np.unique(scores)) < NEAR_TIE))


def _max_abs(a: FloatArray, b: FloatArray) -> float:
    return float(np.max(np.abs(a - b)))


def execute(spec: RunSpec, calibrators: Sequence[str] | None = None) -> RunResult:
    """Run every calibrator of ``spec``'s mode (or only those named in ``calibrators``; peers
    that are not available are left out)."""
    started, cpu = time.perf_counter(), time.process_time()
    run = prepare(spec.dataset, spec.model, spec.seed)
    wanted = [c for c in calibrators_of(run.mode) if calibrators is None or c in calibrators]
    methods = ours.BINARY_METHODS if run.mode == BINARY else ours.MULTICLASS_METHODS
    data = peers.PeerInput(run.fitted.estimator, run.calibration, run.test, run.classes)
    results: dict[str, CalibratorResult] = {}
    predictions: dict[str, FloatArray] = {}
    for name in wanted:
        if name == UNCALIBRATED:
            results[name], predictions[name] = _judge(run, lambda: _uncalibrated(run))
        elif name in methods:
            results[name], predictions[name] = _ours(run, methods[name])
        elif peers.unavailable(peers.PEERS[name]) is None:
            fit_predict = peers.PEERS[name].fit_predict
            results[name], predictions[name] = _judge(run, lambda: fit_predict(data))
    isotonic = temperature = None
    if run.mode == BINARY and _ok(results, "ours_isotonic"):
        reference = peers.sklearn_isotonic_reference(run.calibration, run.test)
        isotonic = _max_abs(predictions["ours_isotonic"], reference)
    if _ok(results, "ours_temperature"):
        reference = peers.sklearn_temperature_reference(run.calibration, run.test)
        if run.mode == BINARY:  # ours bounded to [1e-6, 1 - 1e-6]; compare likewise
            np.clip(reference, NAMED_OUTPUT_BOUND, 1.0 - NAMED_OUTPUT_BOUND, out=reference)
        else:  # ours lifts every class to 1e-6 from the top class; compare likewise
            lift_to_class_floor(reference, named_class_floor(run.classes), 1)
        temperature = _max_abs(predictions["ours_temperature"], reference)
    rows = {"train": run.train_rows, "calibration": run.calibration.rows,
            "test": run.test.rows}
    return RunResult(spec, run.mode, run.classes, rows,
                     score_shape(run.calibration.scores, run.calibration.labels), results,
                     isotonic, run.mode == BINARY and near_ties(run.calibration.scores[:, 1]),
                     temperature, None,
                     time.perf_counter() - started, time.process_time() - cpu,
                     bool(np.any(run.calibration.scores == 0.0) or np.any(run.test.scores == 0.0)),
                     _auto_paired(results, predictions, run.test.labels))


def _auto_paired(results: dict[str, CalibratorResult], predictions: dict[str, FloatArray],
                 labels: IntArray) -> dict[str, PairedDifference] | None:
    """``ours_auto``'s per-row test log loss against every other calibrator that ran."""
    if not _ok(results, AUTO):
        return None
    mine = row_log_losses(predictions[AUTO], labels)
    return {name: paired_difference(mine, row_log_losses(predictions[name], labels))
            for name in results if name != AUTO and _ok(results, name)}


def _ok(results: dict[str, CalibratorResult], name: str) -> bool:
    return name in results and results[name].status == "ok"
