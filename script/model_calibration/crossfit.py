"""Cross-fitting and the automatic choice of method.

Calibrated metrics are cross-fitted: stratified K-fold, seeded; each row is scored by a
calibrator fitted without its fold. ``auto`` scores every candidate by inner cross-validated
log loss and picks the simplest (``AUTO_SIMPLICITY_ORDER``) within one standard error of the
lowest and no worse than ``identity`` (the scores as they are), inside each outer fold on its
training rows only (so the reported figures pay for the choice) and once on all rows for the
shipped calibrator.

On few rows one split into inner folds is a noisy estimate: a candidate that separates the
classes in one split can win by luck, and a confident miss may fall in no held-out fold.
So the inner cross-validation is repeated with ``auto_repeats`` different seeded splits (up
to ``AUTO_BINARY_MAX_REPEATS`` or, multi-class, ``AUTO_MAX_REPEATS``, until about
``AUTO_TARGET_HELD_OUT_ROWS`` held-out predictions), each row's loss averaged over the
repeats; from that many rows on it runs once, as before.

Nor can a few rows show a rare confident miss: a candidate that separates 45 rows predicts 0
and 1 and pays nothing in the folds, then ``ln(1e-15) = -34.5`` on a test row it misses. So a
binary selection scores each held-out row against its label smoothed by
``miss_rate(n_eff) = 1 / (2 (n_eff + 1))`` (the Krichevsky-Trofimov estimate, Jeffreys' prior:
the miss rate ``n_eff`` rows without a miss leave plausible): the row counts as its own class
with weight ``1 - eps`` and as the other with weight ``eps``. A prediction ``q`` away from the
true class then costs about ``eps * ln(1 / q)`` more: what a confidence that the rows cannot
back is expected to cost. And every binary candidate but identity is bounded by
``fitting.probability_floor`` of its training rows, the same rate (in each inner and outer fold
and in the shipped calibrator): a confident candidate is then charged at most what the rows
can rule out and never gives a confident miss or an exact 0 or 1, so a candidate that is right
to be confident (a separable calibration set) is not pushed below a fit that keeps every row
near ``1 - eps``; identity stays the scores as they are, the uncalibrated baseline. The
smoothing vanishes as rows grow (``5e-7`` at a million rows). The binned path (from
``limits.BINNED_MIN_ROWS`` rows) smooths by the same rate and bounds beta only: the bound is
below ``3e-7`` there.

A binary ``auto`` on at most ``MIXTURE_MAX_ROWS`` rows then ships the stacked mixture of the
candidates (:mod:`.mixture`), its weights fitted on the same held-out predictions, in place
of the rule's pick (identity included) when its honest held-out loss (each inner fold's weights
fitted on the other folds) is at most identity's: it rarely loses much to the best candidate,
where a single pick on a few hundred rows often does. A multi-class ``auto`` mixes the
candidates' class-probability vectors (:mod:`.multiclassmixture`), shipped on the same test.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from ..setting_rules import auto_default_candidates
from . import limits
from .artifact import MIXTURE_METHOD
from .candidateskips import skipped_candidate
from .fitchecks import dropped_under_auto
from .jsonvalues import JsonDict, json_get, json_number
from .logs import logger
from .mixture import MIXTURE_MAX_ROWS, fit_selection, stack
from .multiclassmixture import stack_classes
from .numerics import BoolArray, FloatArray
from .problems import ModelT, Problem
from .rowfolds import present_classes
from .settings import Settings

# auto prefers the simplest candidate within one standard error of the best (this order).
AUTO_SIMPLICITY_ORDER = ("identity", "temperature", "vector", "platt", "beta", "dirichlet",
                         "gam", "venn_abers", "isotonic")
AUTO_TARGET_HELD_OUT_ROWS = 1000
"""Inner cross-validation is repeated until about this many held-out predictions."""
AUTO_MAX_REPEATS = 10
"""The most repeats of a multi-class inner cross-validation (45 rows: 10 repeats)."""
AUTO_BINARY_MAX_REPEATS = 25
"""The most repeats of a binary inner cross-validation: every binary set of 40 rows or more
reaches ``AUTO_TARGET_HELD_OUT_ROWS`` (45 rows: 23 repeats); the stacked mixture's weights
are fitted on those repeats' held-out predictions (measured: docs/methods.md)."""
AUTO_REPEAT_SEED_STEP = 1000
"""Repeat ``r`` splits with seed ``inner_seed + r * AUTO_REPEAT_SEED_STEP``."""
AUTO_MULTICLASS_PICK_ONLY = ("isotonic",)
"""Multi-class methods a multi-class ``auto`` with its default candidates scores beside them on
at most ``MIXTURE_MAX_ROWS`` rows as candidates for its single pick only (bounded, as every
candidate under ``auto``): shipped alone when the rule picks one among every candidate (the
lowest inner loss, no simpler candidate within one standard error of it); otherwise the rule and
the stacked mixture run among the default candidates alone, as without them.
One-vs-rest isotonic is the best fit of the RBF SVM's scores on wine (54 rows; inner log loss
0.061 against dirichlet's 0.152, held out 0.026 against 0.035) but weighs in the mixture by luck
elsewhere (docs/methods.md)."""


def pick_only_candidates(settings: Settings, rows: int) -> tuple[str, ...]:
    """The :data:`AUTO_MULTICLASS_PICK_ONLY` methods ``auto`` adds on ``rows`` rows: for a
    multi-class selection among the default candidates (AUTO_CANDIDATES empty) on at most
    ``MIXTURE_MAX_ROWS`` rows, those not among them; none otherwise.

    >>> from .settings import read_settings
    >>> multi = read_settings({"CALIBRATION_METHOD": "auto", "IS_BINARY": "false",
    ...                        "NUM_CLASSES": "3"})
    >>> pick_only_candidates(multi, 45), pick_only_candidates(multi, 10**6)
    (('isotonic',), ())
    >>> pick_only_candidates(read_settings({"CALIBRATION_METHOD": "auto"}), 45)
    ()
    """
    if settings.mode != "multiclass" or rows > MIXTURE_MAX_ROWS or \
            settings.auto_candidates != auto_default_candidates("multiclass"):
        return ()
    return tuple(m for m in AUTO_MULTICLASS_PICK_ONLY if m not in settings.auto_candidates)


def miss_rate(n_eff: float) -> float:
    """The label smoothing of a binary selection on ``n_eff`` effective rows:
    ``1 / (2 (n_eff + 1))``.

    >>> round(miss_rate(45.0), 6), miss_rate(1e6) < 1.1e-6
    (0.01087, True)
    """
    return 0.5 / (n_eff + 1.0)


def smoothed_loss(loss: FloatArray, other: FloatArray, eps: float) -> FloatArray:
    """Per-row log loss against labels smoothed by ``eps``: ``(1 - eps) loss + eps other``, with
    ``other`` the loss had the row the other class.

    >>> smoothed_loss(np.array([0.0]), np.array([34.5]), 0.02).round(3).tolist()
    [0.69]
    """
    out: FloatArray = (1.0 - eps) * loss + eps * other
    return out


def auto_repeats(rows: int, binary: bool = False) -> int:
    """How many times ``auto`` repeats its inner cross-validation on ``rows`` rows (of a binary
    problem or task: up to ``AUTO_BINARY_MAX_REPEATS``, else ``AUTO_MAX_REPEATS``).

    >>> auto_repeats(45), auto_repeats(400), auto_repeats(1000), auto_repeats(10**6)
    (10, 3, 1, 1)
    >>> auto_repeats(45, binary=True), auto_repeats(20, binary=True), auto_repeats(400, True)
    (23, 25, 3)
    """
    most = AUTO_BINARY_MAX_REPEATS if binary else AUTO_MAX_REPEATS
    return max(1, min(most, -(-AUTO_TARGET_HELD_OUT_ROWS // max(rows, 1))))


def stratified_folds(labels: npt.ArrayLike, folds: int, seed: int) -> npt.NDArray[np.int8]:
    """Fold index per row (int8: at most 100 folds): each class's rows get the fold ids
    ``0, 1, ..., folds - 1, 0, 1, ...`` in a seeded random order (so every fold holds each
    class's rows within one of an equal share).

    >>> stratified_folds(np.array([0.0, 1.0, 0.0, 1.0]), 2, 0).tolist()
    [0, 0, 1, 1]
    """
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    out = np.empty(y.shape[0], dtype=np.int8)
    for cls in present_classes(y):
        rows = y == cls
        # shuffling the dealt ids (one byte each) costs less than permuting row indices
        count = int(np.count_nonzero(rows))
        deal = np.tile(np.arange(folds, dtype=np.int8), -(-count // folds))[:count]
        rng.shuffle(deal)
        out[rows] = deal
    return out


def selection_sample(labels: npt.NDArray[np.generic], size: int, seed: int
                     ) -> npt.NDArray[np.intp]:
    """The rows (increasing positions in ``labels``) of the stratified subsample ``auto``
    chooses on from ``limits.AUTO_SUBSAMPLE_MIN_ROWS`` rows: each class's rows, in row order,
    in blocks of ``stride = ceil(rows / size)`` (the last block shorter), one row of each block
    at a place drawn by a generator seeded with ``seed`` (classes in increasing order). Each
    class keeps ``ceil(its rows / stride)`` rows, spread evenly over the input: the sample is
    at most ``size`` plus one row per class.

    >>> y = np.array([0, 1] * 10)
    >>> picked = selection_sample(y, 5, 0)
    >>> np.bincount(y[picked]).tolist(), bool(np.all(np.diff(picked) > 0))
    ([3, 3], True)
    """
    stride = max(1, -(-labels.shape[0] // max(size, 1)))
    rng = np.random.default_rng(seed)
    parts = []
    for cls in present_classes(labels):
        rows = np.flatnonzero(labels == cls)
        blocks = -(-rows.shape[0] // stride)
        begin = np.arange(blocks) * stride
        parts.append(rows[begin + rng.integers(np.minimum(stride, rows.shape[0] - begin))])
    return np.sort(np.concatenate(parts))


def _select_on_sample(problem: Problem[ModelT], settings: Settings, rows: npt.NDArray[np.intp],
                      seed: int, context: str) -> JsonDict:
    """:func:`select_method` on the subsample :func:`selection_sample` of ``rows``, its
    record naming the subsample."""
    picked = rows[selection_sample(problem.strata[rows], limits.AUTO_SELECTION_ROWS, seed)]
    logger.info("%s: auto chooses on a stratified subsample of %d of %d rows", context,
                picked.shape[0], rows.shape[0])
    choice = select_method(problem.subset(picked), settings, None, seed, context, sampled=True)
    choice["subsample"] = {
        "rows": int(picked.shape[0]), "of_rows": int(rows.shape[0]), "seed": seed,
        "sample": "each class's rows in row order in blocks of ceil(of_rows / "
                  f"{limits.AUTO_SELECTION_ROWS}), one row per block at a seeded random place; "
                  "the chosen method (or the mixture's members) then fitted on every row"}
    return choice


@dataclasses.dataclass(frozen=True)
class CrossFit:
    """Held-out predictions of every row and the per-fold records of :func:`cross_fit`."""

    predictions: FloatArray
    folds: list[JsonDict]


def held_out_records(counts: npt.NDArray[np.intp], seconds: Sequence[float], sums: FloatArray
                     ) -> list[JsonDict]:
    """The per-fold records :func:`cross_fit` gives, from each fold's rows (``counts``), fit
    seconds and weighted sums of the held-out log loss, correct top labels and weights (rows
    0, 1, 2 of ``sums``); a fold holding no row is skipped (and logged).

    >>> held_out_records(np.array([2, 0]), [0.5, 0.0], np.array([[1.0, 0.0], [1.0, 0.0],
    ...                                                          [2.0, 0.0]]))
    [{'fold': 0, 'n_train': 0, 'n_test': 2, 'fit_seconds': 0.5, 'log_loss': 0.5, 'accuracy': 0.5}]
    """
    n = int(counts.sum())
    records: list[JsonDict] = []
    for f, count in enumerate(counts):
        if count == 0:
            logger.info("fold %d holds no row (CALIBRATION_FOLDS=%d); skipped", f,
                        counts.shape[0])
            continue
        records.append({"fold": f, "n_train": n - int(count), "n_test": int(count),
                        "fit_seconds": round(float(seconds[f]), 6),
                        "log_loss": float(sums[0, f] / sums[2, f]),
                        "accuracy": float(sums[1, f] / sums[2, f])})
    return records


def _weighted_mean(weights: FloatArray, values: FloatArray) -> float:
    return float(np.dot(weights, values) / weights.sum())


AUTO_RULE = ("simplest candidate within one standard error of the lowest log loss and no "
             "worse than identity; simplicity order " + ", ".join(AUTO_SIMPLICITY_ORDER))


def select_method(problem: Problem[ModelT], settings: Settings, mask: Optional[BoolArray],
                  seed: int, context: str, sampled: bool = False) -> JsonDict:
    """Choose among ``settings.auto_candidates`` by inner cross-validated log loss on ``mask``.

    Every candidate is fitted on K-1 inner folds and scored on the held-out one, for each of
    ``auto_repeats`` seeded splits (seeds ``seed + r * AUTO_REPEAT_SEED_STEP``), and each row's
    losses averaged over the splits; the winner is the simplest candidate
    (``AUTO_SIMPLICITY_ORDER``) whose mean log loss is within one standard error (of its paired
    per-row difference) of the lowest and at most identity's; the record names every
    candidate's score and why the winner won (:func:`choose_by_log_loss`). A candidate whose fit
    fails, does not converge or is degenerate in an inner fold, or a multi-class one-vs-rest
    candidate whose member meets a single class there (:func:`~.fitchecks.dropped_under_auto`),
    is dropped: its record holds ``status: failed``, the ``code`` and the ``error``. From
    ``limits.AUTO_SUBSAMPLE_MIN_ROWS`` rows all this runs on a stratified subsample
    (:func:`selection_sample`, ``sampled``), recorded under ``subsample``, without venn_abers
    (:func:`skipped_candidate`).
    """
    n = problem.strata.shape[0]
    rows = np.arange(n) if mask is None else np.flatnonzero(mask)
    if not sampled and rows.shape[0] >= limits.AUTO_SUBSAMPLE_MIN_ROWS:
        return _select_on_sample(problem, settings, rows, seed, context)
    repeats = auto_repeats(int(rows.shape[0]), settings.mode != "multiclass")
    w = problem.row_weights(rows)
    n_eff = float(w.sum()) ** 2 / float(np.dot(w, w))
    eps = miss_rate(n_eff) if settings.mode != "multiclass" else 0.0
    splits = []
    for r in range(repeats):
        inner = np.full(n, -1, dtype=np.int8)
        inner[rows] = stratified_folds(problem.strata[rows], settings.folds,
                                       seed + r * AUTO_REPEAT_SEED_STEP)
        splits.append(inner)
    losses: dict[str, FloatArray] = {}
    record: dict[str, JsonDict] = {}
    stacking = (eps > 0.0 or settings.mode == "multiclass") and \
        rows.shape[0] <= MIXTURE_MAX_ROWS
    held_predictions: dict[str, FloatArray] = {}
    pick_only = pick_only_candidates(settings, int(rows.shape[0]))
    for method in (*settings.auto_candidates, *pick_only):
        skipped = skipped_candidate(method, int(rows.shape[0]), settings.auto_candidates,
                                    settings.mode != "multiclass", sampled,
                                    (*problem.prediction_shape, 2)[0])
        if skipped is not None:
            record[method] = skipped
            continue
        kept = np.zeros((repeats, n, *problem.prediction_shape)) \
            if stacking and method not in pick_only else None
        try:
            held = sum(_held_out_loss(problem, method, inner, settings.folds, eps,
                                      f"{context}, candidate {method}, repeat {r}",
                                      None if kept is None else kept[r])
                       for r, inner in enumerate(splits))
        except CalibrationScriptError as exc:
            if not dropped_under_auto(exc, settings.mode == "multiclass"):
                raise
            record[method] = {"status": "failed", "code": exc.code, "error": exc.message}
            continue
        losses[method] = np.asarray(held)[rows] / repeats
        if kept is not None:
            held_predictions[method] = kept[:, rows]
    order = (*settings.auto_candidates, *pick_only)
    chosen = choose_by_log_loss(losses, w, n_eff, record, order, context)
    if pick_only and chosen["selected"] not in pick_only:  # the rule among the others alone
        chosen = choose_by_log_loss({m: v for m, v in losses.items() if m not in pick_only}, w,
                                    n_eff, record, order, context)
    if pick_only:
        chosen["pick_only"] = list(pick_only)
    if stacking and eps > 0.0:
        chosen = stack(chosen, held_predictions, problem.strata[rows] == 1, w, eps,
                       np.stack([inner[rows] for inner in splits]))
    elif stacking and chosen["selected"] not in pick_only:  # multi-class: its own smoothing
        chosen = stack_classes(chosen, held_predictions, problem.strata[rows], w,
                               np.stack([inner[rows] for inner in splits]))
    return selection_record(eps, settings.folds, seed, repeats,
                            "stratified folds of the rows, seeded by inner_seed; repeat r by "
                            f"inner_seed + {AUTO_REPEAT_SEED_STEP} r", int(rows.shape[0]),
                            chosen)


def selection_record(eps: float, inner_folds: int, seed: int, repeats: int, split: str,
                     rows: int, chosen: JsonDict) -> JsonDict:
    """The record of a selection on ``rows`` rows: its criterion, label smoothing ``eps``,
    rule, inner folds, seed, repeats and ``split`` (how the inner folds were made), and the
    rule's outcome ``chosen`` (:func:`choose_by_log_loss`).

    >>> selection_record(0.0, 5, 0, 1, "split", 10, {"selected": "vector"})["inner_folds"]
    5
    """
    return {"criterion": "inner cross-validated log loss (weighted mean over held-out rows, "
                         "each row's loss averaged over the repeats; binary: against labels "
                         "smoothed by label_smoothing = 1 / (2 (effective rows + 1)), every "
                         "candidate but identity bounded by probability_floor)",
            "label_smoothing": eps,
            "rule": AUTO_RULE, "inner_folds": inner_folds, "inner_seed": seed,
            "inner_repeats": repeats, "inner_split": split, "rows": rows, **chosen}


def _held_out_loss(problem: Problem[ModelT], method: str, inner: npt.NDArray[np.int8],
                   folds: int, eps: float, context: str, kept: Optional[FloatArray] = None
                   ) -> FloatArray:
    """Each row's log loss under ``method`` fitted without its inner fold (rows outside the
    folds, ``inner < 0``, get 0); binary predictions against labels smoothed by ``eps``, and
    kept in ``kept`` when given (for the stacked mixture)."""
    held = np.zeros(inner.shape[0])
    for g in range(folds):
        model = fit_fold(problem, method, (inner >= 0) & (inner != g), inner >= 0, folds,
                          f"{context}, inner fold {g}")
        test = inner == g
        pred = problem.predict(model, test)
        if kept is not None:
            kept[test] = pred
        held[test] = problem.row_loss(pred, test)
        if eps > 0.0:  # binary: 1 - p is the prediction of the other class
            held[test] = smoothed_loss(held[test], problem.row_loss(1.0 - pred, test), eps)
    return held


def choose_by_log_loss(losses: Mapping[str, FloatArray], w: FloatArray, n_eff: float,
                       record: dict[str, JsonDict], order: Sequence[str], context: str
                       ) -> JsonDict:
    """The selection rule of ``auto``: each candidate's held-out losses (one per row, or per group
    of rows with equal loss, weighing ``w``) against the lowest mean; the simplest candidate
    within one standard error (``n_eff`` effective rows) of it, and with a mean at most
    ``identity``'s (where identity is a candidate), wins: so ``auto`` is never worse than the
    uncalibrated scores in its own estimate. ``record`` holds the candidates that failed or were
    skipped and gets every other one's figures; returns ``candidates`` (in ``order``), ``best``,
    ``selected`` and ``reason``.

    >>> out = choose_by_log_loss({"platt": np.array([0.5, 0.7, 0.6]),
    ...                           "gam": np.array([0.5, 0.68, 0.61])}, np.ones(3), 3.0, {},
    ...                          ["platt", "gam"], "doc")
    >>> out["best"], out["selected"]
    ('gam', 'platt')
    """
    if not losses:
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, f"{context}: every auto candidate failed",
            "check the scores, or name other AUTO_CANDIDATES")
    for method, loss in losses.items():
        record[method] = {"status": "ok", "log_loss": _weighted_mean(w, loss)}
    best = min(losses, key=lambda m: (json_number(record[m]["log_loss"]),
                                      AUTO_SIMPLICITY_ORDER.index(m)))
    for method, loss in losses.items():
        diff = loss - losses[best]
        mean_d = _weighted_mean(w, diff)
        se = math.sqrt(max(_weighted_mean(w, (diff - mean_d) ** 2), 0.0) / n_eff)
        record[method].update(difference_to_best=mean_d, standard_error=se,
                              within_one_se=mean_d <= se)
    ceiling = json_number(record["identity"]["log_loss"]) if "identity" in losses else math.inf
    eligible = [m for m in AUTO_SIMPLICITY_ORDER if m in losses and record[m]["within_one_se"]
                and json_number(record[m]["log_loss"]) <= ceiling]
    winner = eligible[0]  # best is eligible: its difference is 0, its loss at most identity's
    bound = " and no worse than identity" if "identity" in losses else ""
    if winner == best:
        reason = (f"{winner} has the lowest inner cross-validated log loss "
                  f"({record[winner]['log_loss']:.6f}) and no simpler candidate is within one "
                  f"standard error of it{bound}")
    else:
        reason = (f"{winner} is the simplest candidate within one standard error of the lowest "
                  f"log loss{bound} ({best}: {record[best]['log_loss']:.6f}; {winner}: "
                  f"{record[winner]['log_loss']:.6f}, difference "
                  f"{record[winner]['difference_to_best']:.2e} <= standard error "
                  f"{record[winner]['standard_error']:.2e})")
    logger.info("%s: auto selected %s (%s)", context, winner, reason)
    return {"candidates": {m: record[m] for m in order if m in record},
            "best": best, "selected": winner, "reason": reason}


def fit_fold(problem: Problem[ModelT], method: str, train: BoolArray, rows: BoolArray,
              folds: int, context: str) -> ModelT:
    """``problem.fit`` on a fold's training rows; a single class there while ``rows`` (the rows
    the folds divide) hold more is reported as too few rows for the folds (``MC-E301``)."""
    try:
        return problem.fit(method, train, context)
    except CalibrationScriptError as exc:
        missing = np.setdiff1d(problem.strata[rows], problem.strata[train])
        if exc.code != Code.MC_E301_SINGLE_CLASS or missing.size == 0:
            raise
        raise CalibrationScriptError(
            Code.MC_E301_SINGLE_CLASS,
            f"too few rows for CALIBRATION_FOLDS={folds}: {context}'s training rows "
            f"({int(train.sum())}) hold no row of class "
            f"{', '.join(str(int(c)) for c in missing)} ({exc.message})",
            "every class needs at least 2 rows so that each fold trains on it; add "
            "rows or lower CALIBRATION_FOLDS") from exc


def _given_or_fitted(given: Optional[ModelT], fit: Callable[[], ModelT]) -> ModelT:
    """``given`` when there is one, else ``fit()``.

    >>> _given_or_fitted(None, lambda: "fitted"), _given_or_fitted("given", lambda: "fitted")
    ('fitted', 'given')
    """
    return given if given is not None else fit()


def cross_fit(problem: Problem[ModelT], settings: Settings, fold: npt.NDArray[np.int8],
              fold_model: Optional[Callable[[str, int], Optional[ModelT]]] = None,
              fold_choice: Optional[Callable[[int], JsonDict]] = None) -> CrossFit:
    """Held-out predictions: each row scored by a calibrator fitted without its fold (``fold``:
    each row's fold, from :func:`~.rowfolds.file_folds`).

    With ``auto`` the method (or the mixture and its weights) is chosen inside each outer fold
    by :func:`select_method` on that fold's training rows only, so the reported figures include
    the cost of choosing. A fold
    that holds no row (CALIBRATION_FOLDS above the largest class's row count) is skipped: every
    row is still scored once, by the calibrator of its own fold. ``fold_model(method, f)``,
    when given, may supply fold ``f``'s fit of ``method`` (None: fitted here), and
    ``fold_choice(f)`` fold ``f``'s ``auto`` selection (made here when not given).
    """
    predictions: Optional[FloatArray] = None
    info: list[JsonDict] = []
    for f in range(settings.folds):
        train = fold != f
        if train.all():  # more folds than the largest class has rows: this fold scores no row
            logger.info("fold %d holds no row (CALIBRATION_FOLDS=%d); skipped", f, settings.folds)
            continue
        start = time.perf_counter()
        entry: JsonDict = {"fold": f}
        choice: JsonDict = {"selected": settings.method}
        if settings.method == "auto":  # the fold's own choice: a method or a mixture
            choice = fold_choice(f) if fold_choice is not None else \
                select_method(problem, settings, train, settings.seed + 1 + f, f"fold {f}")
            entry.update(fold_selection(choice))
        model = fit_selection(choice, lambda method: _given_or_fitted(
            None if fold_model is None else fold_model(method, f),
            lambda: fit_fold(problem, method, train, np.ones_like(train), settings.folds,
                              f"fold {f}")), problem.mixed)
        fit_seconds = time.perf_counter() - start
        held = ~train
        pred = problem.predict(model, held)  # the held-out rows only
        if predictions is None:
            # column-major: one class's predictions contiguous, as the metrics read them
            predictions = np.empty((fold.shape[0],) + pred.shape[1:], order="F")
        if pred.ndim == 2:  # by index, column by column: a 2-D masked assignment is far slower
            index = np.flatnonzero(held)
            for j in range(pred.shape[1]):
                predictions[:, j].put(index, pred[:, j])
            del index
        else:
            predictions[held] = pred
        entry.update(n_train=int(train.sum()), n_test=int(held.sum()),
                     fit_seconds=round(fit_seconds, 6))
        entry.update(problem.held_out_summary(pred, held))
        info.append(entry)
        logger.info("fold %d: trained on %d rows, scored %d held-out rows in %.3fs", f,
                    int(train.sum()), int(held.sum()), fit_seconds)
    assert predictions is not None  # folds >= 2
    return CrossFit(predictions, info)


def sole_selection(choices: Iterable[Mapping[str, object]]) -> Optional[str]:
    """The method every one of the ``auto`` selection records ``choices`` chose, or None where
    they differ.

    >>> sole_selection([{"selected": "vector"}, {"selected": "vector"}])
    'vector'
    """
    chosen = {str(choice["selected"]) for choice in choices}
    return chosen.pop() if len(chosen) == 1 else None


def fold_selection(choice: Mapping[str, object]) -> JsonDict:
    """What a fold's record keeps of its ``auto`` selection: the method, every candidate's log
    loss, when some were dropped their records, and on a subsample its row count.

    >>> fold_selection({"selected": "platt", "candidates": {
    ...     "platt": {"status": "ok", "log_loss": 0.5},
    ...     "gam": {"status": "failed", "code": "MC-E304-FIT-NOT-CONVERGED", "error": "..."}}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'selected_method': 'platt', 'candidate_log_loss': {'platt': 0.5, 'gam': None},
     'dropped_candidates': {'gam': {'status': 'failed', 'code': 'MC-E304-FIT-NOT-CONVERGED',
                                    'error': '...'}}}
    """
    candidates = {m: c for m, c in json_get(choice, "candidates").items() if isinstance(c, dict)}
    out: JsonDict = {"selected_method": str(choice["selected"]),
                     "candidate_log_loss": {m: c.get("log_loss") for m, c in candidates.items()}}
    if choice["selected"] == MIXTURE_METHOD:
        out["mixture_weights"] = json_get(choice, "mixture")["weights"]
    dropped = {m: c for m, c in candidates.items() if c.get("status") == "failed"}
    if dropped:
        out["dropped_candidates"] = dropped
    if "subsample" in choice:
        out["selection_rows"] = json_get(choice, "subsample")["rows"]
    return out


def auto_summary(selection: Mapping[str, object]) -> JsonDict:
    """What the shipped calibrator's ``fit.auto`` records of ``auto``'s selection.

    >>> auto_summary({"selected": "platt", "reason": "simplest",
    ...               "candidates": {"platt": {"log_loss": 0.5}}})
    {'selected': 'platt', 'reason': 'simplest', 'log_loss': {'platt': 0.5}}
    """
    candidates = json_get(selection, "candidates")
    out: JsonDict = {"selected": selection["selected"], "reason": selection["reason"],
                     "log_loss": {m: c.get("log_loss") for m, c in candidates.items()
                                  if isinstance(c, dict)}}
    if "mixture" in selection:
        mixture = json_get(selection, "mixture")
        out["mixture"] = {key: mixture[key] for key in ("weights", "log_loss", "honest_log_loss",
                                                    "shipped") if key in mixture}
    return out
