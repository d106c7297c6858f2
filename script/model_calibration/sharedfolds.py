"""``auto``'s vector and dirichlet fits on many rows from the shared passes of
:mod:`.scalingfolds`: its shipped fit (or a mixture's member) and each fold's, computed for a
method when first asked, and the held-out rows of folds that all chose one of them scored in
one chunked pass that also settles that method's shipped fit and stores the held-out
predictions over the scores when nothing needs the scores after it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from .artifact import MultiCalibrator
from .crossfit import fold_selection, held_out_records, sole_selection
from .heldoutchunks import HeldOutChunks, stored_rows
from .jsonvalues import JsonDict
from .logs import logger
from .problems import MulticlassProblem
from .scalingfolds import (FOLD_FITS, FoldedFit, GradientSums, calibrator_of, finite_fits,
                           fit_with_folds, held_out_pass, held_out_scorer, settle,
                           shared_passes_apply)


@dataclasses.dataclass
class _Shared:
    """One method's fits from the shared passes: their record, the fold models, the shipped
    calibrator before it is settled, and after (None until settled)."""

    found: FoldedFit
    models: list[Optional[MultiCalibrator]]
    unsettled: MultiCalibrator
    seconds: float
    settled: Optional[MultiCalibrator] = None
    at_shipped: Optional[GradientSums] = None


class SharedFoldFits:
    """``auto``'s vector and dirichlet fits on many rows (its shipped fit, or a mixture's
    member, and each fold's) from the shared passes of :func:`fit_with_folds`, computed for a
    method when first asked; None (the exact fit then) where :func:`shared_passes_apply` says
    no or those passes fail. The shipped fit is handed out before it is settled
    (:func:`settle`): :meth:`settled` gives the calibrator to ship, after the held-out pass.
    ``unanimous``: the method that the shipped selection and every fold's chose (None: they
    differ, or not known): its first pass stores the class log-scores over the problem's
    scores (:func:`fit_with_folds`), as the method's own run does, for the later passes to read
    (nothing else then needs the scores).

    >>> from calibration_step.script.model_calibration.settings import read_settings
    >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0]), None,
    ...                             read_settings({"IS_BINARY": "false", "NUM_CLASSES": "2"}))
    >>> shared = SharedFoldFits(problem, np.array([0, 1], dtype=np.int8), 2, 0, None)
    >>> shared.shipped("vector") is None, shared.fold_model("platt", 0) is None  # 2 rows
    (True, True)
    """

    def __init__(self, problem: MulticlassProblem, fold: npt.NDArray[np.int8], folds: int,
                 seed: int, unanimous: Optional[str]) -> None:
        self.problem = problem
        self.unanimous = unanimous
        self.fold = fold
        self.folds = folds
        self.seed = seed
        self._fits: dict[str, Optional[_Shared]] = {}
        self._handed: set[str] = set()  # the methods whose shipped fit was asked for
        self._stored = False  # the held-out predictions stored over the problem's scores

    def _shared(self, method: str) -> Optional[_Shared]:
        if not shared_passes_apply(self.problem, method):
            return None
        if method not in self._fits:
            begin = time.perf_counter()
            found = fit_with_folds(self.problem, method, self.fold, self.folds, self.seed,
                                   method == self.unanimous)
            unfitted = self.problem.unfitted(method)
            if found is None or not finite_fits([found.shipped, *found.folds]):
                self._fits[method] = None
            else:
                unsettled = calibrator_of(unfitted, found.shipped)
                self._fits[method] = _Shared(
                    found, [None if f is None else calibrator_of(unfitted, f) for f in found.folds],
                    dataclasses.replace(unsettled, fit={**unsettled.fit, "fold_fits": FOLD_FITS}),
                    time.perf_counter() - begin)
        return self._fits[method]

    def shipped(self, method: str) -> Optional[MultiCalibrator]:
        """``method`` fitted on every row (not yet settled: :meth:`settled`), or None."""
        shared = self._shared(method)
        self._handed.add(method)
        return None if shared is None else shared.unsettled

    def fold_model(self, method: str, fold: int) -> Optional[MultiCalibrator]:
        """``method`` fitted on every fold but ``fold``, or None."""
        shared = self._shared(method)
        return None if shared is None else shared.models[fold]

    def settled(self, calibrator: MultiCalibrator) -> MultiCalibrator:
        """``calibrator`` (the shipped one, or a mixture's components) with each fit of these
        shared passes settled (:func:`settle`; the exact fit where that fails), its record's
        other entries kept."""
        if calibrator.components:
            return dataclasses.replace(calibrator, components=tuple(
                self.settled(c) for c in calibrator.components))
        shared = self._fits.get(calibrator.method)
        if shared is None:
            return calibrator
        if shared.settled is None:
            begin = time.perf_counter()
            method = calibrator.method
            fit = settle(self.problem, method, self.fold, shared.found, shared.at_shipped,
                         not self._stored)
            if self._stored and (fit is None or not finite_fits([fit])):
                raise CalibrationScriptError(
                    Code.MC_E303_FIT_FAILED, f"{method}'s fit on every row is not finite",
                    "check the class scores")
            shared.settled = self.problem.fit(method, None, "multiclass: full fit") \
                if fit is None or not finite_fits([fit]) else \
                calibrator_of(self.problem.unfitted(method), fit)
            seconds = shared.seconds + time.perf_counter() - begin
            shared.settled = dataclasses.replace(shared.settled, fit={
                **shared.settled.fit, "fold_fits": FOLD_FITS, "seconds": round(seconds, 6)})
        return dataclasses.replace(shared.settled, fit={**calibrator.fit, **shared.settled.fit})

    def cross_fit(self, choices: Mapping[int, JsonDict]) -> Optional[HeldOutChunks]:
        """The held-out predictions (computed chunk by chunk when asked for) and fold records
        of ``auto`` whose every fold chose the same vector or dirichlet fit (``choices``: each
        fold's selection record) from these shared passes, in one chunked pass
        (:func:`held_out_pass`, as :func:`fit_scaling_folds` scores them; it also sums what
        settles that method's shipped fit); None otherwise (``cross_fit`` then scores each
        fold). Where no other shipped fit of these passes waits to be settled (the shipped
        calibrator is that method's, or was fitted already), the pass stores the held-out
        predictions over the problem's scores, where the metrics read them (no second scoring;
        the scores are gone then: :meth:`settled` settles without more passes)."""
        method = sole_selection(choices.values()) or ""
        shared = self._shared(method) if method else None
        if shared is None or any(rows and (f not in choices or shared.models[f] is None)
                                 for f, rows in enumerate(shared.found.rows)):
            return None
        begin = time.perf_counter()
        self._stored = all(m == method or self._fits.get(m) is None for m in self._handed)
        sums, extremes, shared.at_shipped = held_out_pass(
            self.problem, self.fold, shared.models,
            (shared.found.shipped.theta, method)
            if shared.settled is None and method in self._handed else None,
            self.problem.scores if self._stored else None)
        seconds = [0.0] * self.folds  # each fold's fit is the shared passes' (recorded there)
        counts = shared.found.rows
        records = [{"fold": int(f), **fold_selection(choices[int(f)]), **r}
                   for f, r in zip(np.flatnonzero(counts),
                                   held_out_records(counts, seconds, sums))]
        logger.info("multiclass: every fold chose %s; held-out rows scored in one pass in "
                    "%.3fs", method, time.perf_counter() - begin)
        score = stored_rows(self.problem.scores) if self._stored else \
            held_out_scorer(self.problem, self.fold, shared.models)
        return HeldOutChunks(score, extremes, records, 0)
