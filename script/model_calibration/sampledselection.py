"""``auto``'s selections on many rows from one subsample whose inner folds are the
cross-fitting folds.

From ``limits.AUTO_SUBSAMPLE_MIN_ROWS`` rows a multi-class ``auto`` chooses its method on a
stratified subsample (:func:`~.crossfit.selection_sample`), once for the shipped calibrator and
once in each cross-fitting fold. Here the six selections share one subsample of every row (of
about ``limits.AUTO_SHARED_SELECTION_ROWS`` rows, a quarter of the per-selection one) and their
fits: the shipped selection's inner folds are the cross-fitting folds' rows in the subsample
(each candidate fitted without one fold, scored on it), and fold ``f``'s selection is the same
on the subsample without fold ``f``'s rows, its inner folds the other folds (fitted
without folds ``f`` and ``g``, scored on ``g``). A fit without folds ``f`` and ``g`` scores the
rows of ``g`` for fold ``f``'s selection and those of ``f`` for fold ``g``'s, so each candidate
takes ``K + K (K - 1) / 2`` fits (15 at 5 folds) where six separate selections took ``K (K +
1)`` (30), each on fewer rows; no selection sees the rows of its own fold, as before. The
binned binary path chooses the same way on its row bins (``binned.select_method_binned``).

It applies where the per-selection path (:func:`~.crossfit.select_method`) would run its
inner cross-validation once and ship no stacked mixture: at least 3 folds holding rows of the
subsample and more than ``MIXTURE_MAX_ROWS`` subsample rows in every selection (so every
selection skips the same candidates: venn_abers in each, as on any subsample of many rows).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError
from . import limits
from .apply import CLASS_SCALING_METHODS
from .candidateskips import skipped_candidate
from .crossfit import (AUTO_TARGET_HELD_OUT_ROWS, choose_by_log_loss, fit_fold, selection_record,
                       selection_sample, sole_selection)
from .fitchecks import dropped_under_auto
from .fitting import STARTED_METHODS
from .jsonvalues import JsonDict
from .logs import logger
from .mixture import MIXTURE_MAX_ROWS
from .numerics import FloatArray
from .problems import MulticlassProblem

SHARED_SAMPLE = ("each class's rows in row order in blocks of ceil(rows / {size}), one row per "
                 "block at a seeded random place, drawn once from every row for the shipped "
                 "selection and every fold's (a fold's: without its own rows); inner folds: the "
                 "cross-fitting folds; the chosen method then fitted on every row")
"""How the shared subsample was drawn, in each selection's ``subsample`` record."""


@dataclasses.dataclass(frozen=True)
class SampledSelections:
    """The shipped selection's record and each fold's (by fold; a fold holding no row of the
    subsample has none)."""

    shipped: JsonDict
    folds: dict[int, JsonDict]

    def fold_choice(self, fold: int) -> JsonDict:
        """Fold ``fold``'s selection record."""
        return self.folds[fold]

    def unanimous(self) -> Optional[str]:
        """The method the shipped selection and every fold's chose, or None where they differ.

        >>> SampledSelections({"selected": "vector"}, {0: {"selected": "vector"}}).unanimous()
        'vector'
        """
        return sole_selection([self.shipped, *self.folds.values()])


@dataclasses.dataclass
class _Held:
    """Per selection (None: the shipped one; else the fold left out), each candidate's held-out
    losses on the subsample's rows (NaN on the rows it does not score) and its failures."""

    losses: dict[Optional[int], dict[str, FloatArray]]
    failed: dict[Optional[int], dict[str, JsonDict]]


def select_on_shared_sample(problem: MulticlassProblem, fold: npt.NDArray[np.int8],
                            folds: int) -> Optional[SampledSelections]:
    """The shipped selection and every fold's from one shared subsample (module docstring), or
    None where they are made one by one (``auto`` not set, fewer than
    ``AUTO_SUBSAMPLE_MIN_ROWS`` rows, fewer than 3 folds with rows in the subsample, or a
    selection of at most ``MIXTURE_MAX_ROWS`` rows)."""
    settings = problem.settings
    n = int(problem.labels.shape[0])
    if settings.method != "auto" or n < limits.AUTO_SUBSAMPLE_MIN_ROWS:
        return None
    picked = selection_sample(problem.strata, limits.AUTO_SHARED_SELECTION_ROWS, settings.seed)
    groups = fold[picked]
    counts = np.bincount(groups, minlength=folds)
    present = [int(g) for g in np.flatnonzero(counts)]
    smallest = picked.shape[0] - int(counts.max())
    if len(present) < 3 or smallest <= max(MIXTURE_MAX_ROWS, AUTO_TARGET_HELD_OUT_ROWS):
        return None
    logger.info("multiclass: auto chooses on one stratified subsample of %d of %d rows, its "
                "inner folds the cross-fitting folds", picked.shape[0], n)
    sample = problem.subset(picked, repeated_fits=True)
    held = _held_out_losses(sample, groups, present)
    train_rows = n - np.bincount(fold, minlength=folds)
    shipped = _choose(sample, groups, None, present, held, n, "multiclass")
    return SampledSelections(shipped, {f: _choose(sample, groups, f, present, held,
                                                  int(train_rows[f]), f"fold {f}")
                                       for f in present})


def _held_out_losses(sample: MulticlassProblem, groups: npt.NDArray[np.int8],
                     present: list[int]) -> _Held:
    """Every candidate's held-out losses for every selection: one fit without each fold, and
    one without each pair of folds."""
    settings = sample.settings
    n = int(groups.shape[0])
    selections: list[Optional[int]] = [None, *present]
    held = _Held({s: {} for s in selections}, {s: {} for s in selections})
    every = np.ones(n, dtype=np.bool_)
    methods = [m for m in settings.auto_candidates
               if skipped_candidate(m, n, settings.auto_candidates, False, True,
                                    len(sample.names)) is None]
    for method in methods:
        for s in selections:
            held.losses[s][method] = np.full(n, np.nan)
        if method in CLASS_SCALING_METHODS or method in STARTED_METHODS:
            _start_fit(sample, method)
    for left_out in [(g,) for g in present] + list(itertools.combinations(present, 2)):
        # the shipped selection's fit (one fold left out), or folds f's and g's (two)
        users = [None] if len(left_out) == 1 else list(left_out)
        train = ~np.isin(groups, left_out)
        for method in methods:  # one after another on the same rows: one aggregate per class
            try:
                model = fit_fold(sample, method, train, every, settings.folds,
                                 f"auto, candidate {method}, without fold(s) "
                                 f"{', '.join(str(g) for g in left_out)}")
            except CalibrationScriptError as exc:
                if not dropped_under_auto(exc, True):
                    raise
                for s in users:
                    held.failed[s][method] = {"status": "failed", "code": exc.code,
                                              "error": exc.message}
                continue
            for s in users:
                test = groups == (left_out[0] if s is None else
                                  next(g for g in left_out if g != s))
                held.losses[s][method][test] = sample.row_loss(sample.predict(model, test),
                                                               test)
    return held


def _start_fit(sample: MulticlassProblem, method: str) -> None:
    """``method`` (a class scaling, or one-vs-rest beta or gam) fitted on the whole subsample,
    where its fits without one or two folds then start (``MulticlassProblem.fit`` on every
    row): fewer Newton or PIRLS steps. A fit that fails is logged and its fits start as
    without it."""
    try:
        sample.fit(method, None, f"auto, candidate {method}, start on the subsample")
    except CalibrationScriptError as exc:
        if not dropped_under_auto(exc, True):
            raise
        logger.info("auto, candidate %s: no fit on the whole subsample to start from (%s)",
                    method, exc.message)


def _choose(sample: MulticlassProblem, groups: npt.NDArray[np.int8], left_out: Optional[int],
            present: list[int], held: _Held, of_rows: int, context: str) -> JsonDict:
    """The selection record without fold ``left_out``'s rows (None: the shipped one), as
    :func:`~.crossfit.select_method` gives it, its ``subsample`` naming the shared one."""
    settings = sample.settings
    index = np.flatnonzero(groups != left_out) if left_out is not None else \
        np.arange(groups.shape[0])
    rows = int(index.shape[0])
    w = sample.row_weights(index)
    n_eff = float(w.sum()) ** 2 / float(np.dot(w, w))
    failed = held.failed[left_out]
    record: dict[str, JsonDict] = {m: failed[m] for m in settings.auto_candidates if m in failed}
    for method in settings.auto_candidates:
        skipped = skipped_candidate(method, rows, settings.auto_candidates, False, True,
                                    len(sample.names))
        if skipped is not None:
            record[method] = skipped
    losses = {m: loss[index] for m, loss in held.losses[left_out].items() if m not in record}
    chosen = choose_by_log_loss(losses, w, n_eff, record, settings.auto_candidates, context)
    inner = [g for g in present if g != left_out]
    out = selection_record(0.0, len(inner), settings.seed, 1,
                           "the cross-fitting folds' rows in the subsample"
                           f" (folds {', '.join(str(g) for g in inner)})", rows, chosen)
    out["subsample"] = {"rows": rows, "of_rows": of_rows, "seed": settings.seed,
                        "sample": SHARED_SAMPLE.format(size=limits.AUTO_SHARED_SELECTION_ROWS)}
    return out
