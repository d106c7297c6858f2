"""The binned path of a binary task with many rows: fit, cross-fit and evaluate on row bins.

Folds fit on the other folds' bins and predict their own bins at their mean logit; ``auto`` uses
the folds as its inner folds; both metric blocks record ``row_bins``. isotonic, platt and beta
still ship their exact fit (from the sorted rows, or refitted on every row from the bins' fit);
gam and temperature ship their fit on the bins (temperature's one scale, fitted at the bins'
mean log-odds, is within the bins' width of the fit on every row).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Optional, Union

import numpy as np
import numpy.typing as npt

from .aggregation import Aggregated
from .apply import apply_calibrator
from .artifact import Calibrator
from .candidateskips import skipped_candidate
from .crossfit import (AUTO_RULE, auto_summary, choose_by_log_loss, fold_selection, miss_rate,
                       smoothed_loss)
from ..errors import CalibrationScriptError, Code
from .fitting import check_two_classes, fit_calibrator, fit_isotonic_rows
from .fitchecks import FIT_FAILURE_CODES
from .jsonvalues import JsonDict, int_if_integral, json_number
from .logs import logger
from .metrics import auc_aggregated, binary_metrics
from .fitchecks import check_fit
from .numerics import (CLIP_EPSILON, BoolArray, Evaluation, FloatArray, LogisticFit,
                       adaptive_clip_epsilon, beta_features, cauchy_prior, CauchyPrior, logit,
                       newton_minimize)
from .problems import BinaryProblem
from .rowbins import RowBins, bin_rows, group_predictions
from .rowpasses import ArrayRows, RowPasses
from .settings import Settings


def _binned_summary(pred: Aggregated, positives: Union[int, float]) -> JsonDict:
    """A fold's held-out summary (as ``BinaryProblem.held_out_summary``) from its predictions
    per bin."""
    agg = group_predictions(pred.values, pred.n, pred.k)
    auc, reason = auc_aggregated(agg)
    pc = np.clip(agg.values, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    loss = -(float(np.dot(agg.k, np.log(pc))) + float(np.dot(agg.n - agg.k, np.log1p(-pc))))
    return {"positives_test": positives, "log_loss": loss / float(agg.n.sum()), "auc": auc,
            "auc_null_reason": reason}


def fit_on_bins(train: Aggregated, settings: Settings, method: str, context: str,
                 clip_epsilon: Optional[float], rows: int) -> Calibrator:
    """``fit_calibrator`` with ``method`` on a fold's training bins (``rows`` rows; probabilities
    clipped at ``clip_epsilon``, the clip of every row's score); a single class there is
    reported as too few rows for the folds (``MC-E301``), as ``crossfit.cross_fit`` does."""
    try:
        return fit_calibrator(train, dataclasses.replace(settings, method=method), context,
                              clip_epsilon=clip_epsilon, weighted_rows=rows,
                              scale_prior=settings.method == "auto", at_scale=True)
    except CalibrationScriptError as exc:
        if exc.code != Code.MC_E301_SINGLE_CLASS:
            raise
        raise CalibrationScriptError(
            Code.MC_E301_SINGLE_CLASS,
            f"too few rows for CALIBRATION_FOLDS={settings.folds}: {context}'s training "
            f"rows hold a single class ({exc.message})",
            "every class needs at least 2 rows so that each fold trains on it; add "
            "rows or lower CALIBRATION_FOLDS") from exc


def select_method_binned(rb: RowBins, settings: Settings, groups: Sequence[int], context: str,
                         clip_epsilon: Optional[float] = None) -> JsonDict:
    """:func:`select_method` on the bins of the cross-fitting folds ``groups``: the inner folds
    are those folds (each candidate fitted on all but one, scored on that one's bins), so a
    fold's selection never sees its own rows and no row is binned twice. Each bin's positive
    and negative rows share a held-out loss, so the losses and their paired differences are
    summed per bin and label (exact for the per-bin predictions). A candidate whose fit fails
    in an inner fold is dropped and its code recorded. ``clip_epsilon`` is the probability clip
    of every row (``adaptive_clip_epsilon`` of the scores; None: of the bins' values).
    """
    space = settings.score_space
    held = {g: rb.group(g, space) for g in groups}
    train = {g: rb.aggregated([h for h in groups if h != g], space) for g in groups}
    w = np.concatenate([np.concatenate((held[g].k, held[g].n - held[g].k)) for g in groups])
    losses: dict[str, FloatArray] = {}
    record: dict[str, JsonDict] = {}
    pick = list(groups)
    n_eff = float(rb.n[pick].sum()) ** 2 / float(rb.sum_w2[pick].sum())
    eps = miss_rate(n_eff)
    for method in settings.auto_candidates:
        skipped = skipped_candidate(method, int(rb.rows[pick].sum()), settings.auto_candidates)
        if skipped is not None:
            record[method] = skipped
            continue
        parts: list[FloatArray] = []
        try:
            for g in groups:
                train_rows = int(rb.rows[[h for h in groups if h != g]].sum())
                model = fit_on_bins(train[g], settings, method,
                                     f"{context}, candidate {method}, inner fold {g}",
                                     clip_epsilon, train_rows)
                p = np.clip(apply_calibrator(model, held[g].values), CLIP_EPSILON,
                            1.0 - CLIP_EPSILON)
                hit, miss = -np.log(p), -np.log1p(-p)
                parts += [smoothed_loss(hit, miss, eps), smoothed_loss(miss, hit, eps)]
        except CalibrationScriptError as exc:
            if exc.code not in FIT_FAILURE_CODES:
                raise
            record[method] = {"status": "failed", "code": exc.code, "error": exc.message}
            continue
        losses[method] = np.concatenate(parts)
    chosen = choose_by_log_loss(losses, w, n_eff, record, settings.auto_candidates, context)
    return {"criterion": "inner cross-validated log loss (weighted mean over held-out rows, "
                         "against labels smoothed by label_smoothing = 1 / (2 (effective rows "
                         "+ 1)))",
            "label_smoothing": eps,
            "rule": AUTO_RULE, "inner_folds": len(pick), "inner_seed": settings.seed,
            "inner_split": "the cross-fitting folds, on row bins",
            "rows": int(rb.rows[pick].sum()), **chosen}


DesignChunk = tuple[FloatArray, BoolArray, Optional[FloatArray]]
"""A chunk of rows for a logistic fit: its design (intercept column included), positive labels
and weights (None: every row weighs 1)."""


def fit_logistic_rows(design_chunks: Callable[[], Iterator[DesignChunk]],
                      start: Sequence[float], max_iter: int = 100, tol: float = 1e-12,
                      targets: tuple[float, float] = (1.0, 0.0),
                      prior: Optional[CauchyPrior] = None) -> LogisticFit:
    """``fit_logistic`` on every row, chunk by chunk: the exact maximum likelihood with no
    per-row working array, for a start a few Newton steps away (a fit on row bins).
    ``design_chunks()`` is one pass over the rows (:class:`DesignChunk` each); each Newton
    step is one pass (objective, gradient and Hessian together), and a halved step one more.
    A positive row's target is ``targets[0]``, a negative's ``targets[1]`` (Platt's smoothed
    targets: ``numerics.platt_targets``); ``prior`` adds a prior's negative log-density,
    gradient and curvature (beta's ``cauchy_prior``).

    >>> z = np.array([-1.0, 0.0, 1.0] * 4)
    >>> y = np.array([1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    >>> design = np.column_stack([z, np.ones(z.size)])
    >>> fit = fit_logistic_rows(lambda: iter([(design[:5], y[:5], None),
    ...                                       (design[5:], y[5:], None)]), [1.0, 0.1])
    >>> fit.converged, round(float(fit.coef[0]), 9), round(float(fit.coef[1]), 9)
    (True, 1.098612289, 0.0)
    """
    def sums(beta: FloatArray) -> Evaluation:
        obj = 0.0
        grad = np.zeros(beta.shape[0])
        hess = np.zeros((beta.shape[0], beta.shape[0]))
        for x, positive, weights in design_chunks():
            y = np.where(positive, targets[0], targets[1])
            eta = x @ beta
            e = np.exp(-np.abs(eta))
            loss = np.maximum(eta, 0.0)
            loss += np.log1p(e)
            loss -= y * eta
            p = np.where(eta >= 0.0, 1.0, e)
            d = e + 1.0
            p /= d
            r = p - y
            v = e / (d * d)
            if weights is not None:
                loss *= weights
                r *= weights
                v *= weights
            obj += float(loss.sum())
            grad += x.T @ r
            hess += (x * v[:, None]).T @ x
        return (obj, grad, hess) if prior is None else prior(beta, (obj, grad, hess))

    res = newton_minimize(sums, np.asarray(start, dtype=np.float64), max_iter, tol)
    beta = res.theta
    if not np.all(np.isfinite(beta)):
        raise CalibrationScriptError(
            Code.MC_E303_FIT_FAILED, "logistic fit produced non-finite parameters",
            "check that the scores are not perfectly separating the labels")
    return LogisticFit(beta, res.iterations, res.converged, res.value)


def polish_on_rows(binned: Calibrator, rows: RowPasses) -> Optional[Calibrator]:
    """A platt or beta calibrator fitted on row bins, refitted on every row
    (:func:`fit_logistic_rows` from its coefficients, one pass over ``rows`` per Newton step):
    the exact fit, as on the aggregate of every distinct score. beta keeps the bins' active set
    (the coefficients held at 0); None when the refit leaves it (a bound coefficient turned
    negative), for the exact path.
    """
    eps = binned.clip_epsilon
    space = binned.score_space
    if binned.method == "platt":
        def platt_design(scores: FloatArray) -> FloatArray:
            z = logit(scores, eps) if space == "probability" else scores
            return np.column_stack([z, np.ones(scores.shape[0])])
        start: list[float] = list(binned.coef)
        design = platt_design
        active: tuple[str, ...] = ("a", "b")
    else:
        a, b, c = binned.coef
        active = tuple(name for name, value in (("a", a), ("b", b)) if value > 0.0)
        start = [v for name, v in (("a", a), ("b", b)) if name in active] + [c]

        def beta_design(scores: FloatArray) -> FloatArray:
            ln_s, ln_1ms = beta_features(scores, space, eps)
            columns = {"a": ln_s, "b": -ln_1ms}
            return np.column_stack([columns[name] for name in active] +
                                   [np.ones(ln_s.shape[0])])
        design = beta_design

    def design_chunks() -> Iterator[DesignChunk]:
        return ((design(s), y, w) for s, y, w in rows.chunks())

    if binned.method == "beta":  # the labels under beta's prior (fitting.PRIOR_RULE)
        unit = 1.0
        if rows.weighted:  # the prior's unit is the mean weight: one more pass
            unit = sum(float(w.sum()) for _, _, w in rows.chunks() if w is not None) / rows.rows
        scale = binned.fit.get("prior_slope_scale")
        assert isinstance(scale, float)  # fit_calibrator's beta block
        res = fit_logistic_rows(design_chunks, start, prior=cauchy_prior(len(start), unit, scale))
    else:
        t_pos, t_neg = binned.fit.get("target_positive"), binned.fit.get("target_negative")
        assert isinstance(t_pos, float) and isinstance(t_neg, float)  # fit_calibrator's block
        res = fit_logistic_rows(design_chunks, start, targets=(t_pos, t_neg))
    coef = [float(v) for v in res.coef]
    if binned.method == "beta":
        values = dict(zip(active, coef))
        if min(values.values(), default=0.0) < 0.0:
            return None
        coef = [values.get("a", 0.0), values.get("b", 0.0), coef[-1]]
    fit = {key: value for key, value in binned.fit.items() if key != "row_bins"}
    fit.update(iterations=res.iterations, converged=res.converged,
               neg_log_likelihood=res.neg_log_lik,
               fitted_on="every row, from a fit on row bins",
               start_iterations=binned.fit.get("iterations"))
    return dataclasses.replace(binned, coef=tuple(coef), fit=fit)


@dataclasses.dataclass(frozen=True)
class BinnedResult:
    """What :func:`run_task_binned` gives ``run_task``."""

    calibrator: Calibrator
    uncalibrated: JsonDict
    calibrated: JsonDict
    folds: list[JsonDict]
    selection: Optional[JsonDict]
    clipped_rows: int


def run_task_binned(scores: FloatArray, labels: BoolArray, weights: Optional[FloatArray],
                    settings: Settings, given: Optional[Calibrator], context: str,
                    fold: Optional[npt.NDArray[np.int8]]) -> Optional[BinnedResult]:
    """``run_task``'s fit and evaluation on :class:`RowBins` (None when the scores cannot be
    binned finely enough: the caller then takes the exact path).

    One pass bins every row by fold and logit, then :func:`evaluate_binned`. ``fold`` is each
    row's cross-fitting fold (ignored when a calibrator is ``given``).
    """
    space = settings.score_space
    if given is not None:
        fold = None
    rb = bin_rows(scores, labels, weights, fold, 1 if fold is None else settings.folds, space)
    if rb is None:
        return None
    eps = adaptive_clip_epsilon(scores) if space == "probability" and given is None else None
    return evaluate_binned(rb, ArrayRows(scores, labels, weights), settings, given, context, eps)


def evaluate_binned(rb: RowBins, rows: RowPasses, settings: Settings,
                    given: Optional[Calibrator], context: str,
                    clip_epsilon: Optional[float]) -> BinnedResult:
    """Fit and evaluate a task from its bins (by fold, or one group with a ``given``
    calibrator) and passes over its kept ``rows`` (``clip_epsilon``: the probability clip of
    every kept score, ``adaptive_clip_epsilon``).

    The shipped calibrator comes from :func:`full_fit_binned`, the held-out predictions per bin
    from :func:`cross_fit_binned` (or from ``given``, applied at each bin's mean logit); the
    metrics are computed from those per-bin predictions, and the uncalibrated ones from the
    bins' mean logits.
    """
    space = settings.score_space
    binning = rb.describe()
    n_rows = rows.rows
    uncal = binary_metrics(rb.aggregated(range(rb.n.shape[0]), "probability"), settings.bins,
                           rows=n_rows)
    uncal["row_bins"] = binning
    info: list[JsonDict] = []
    selection: Optional[JsonDict] = None
    if given is not None:
        held = rb.group(0, space)
        parts = [Aggregated(apply_calibrator(given, held.values), held.n, held.k)]
        calibrator = given
        clipped = 0
    else:
        calibrator, selection = full_fit_binned(rb, rows, settings, context, clip_epsilon)
        clipped = int(json_number(calibrator.fit.get("clipped_rows", 0)))
        parts, info = cross_fit_binned(rb, settings, weighted=rows.weighted,
                                       clip_epsilon=clip_epsilon)
    calibrated_agg = group_predictions(np.concatenate([p.values for p in parts]),
                                       np.concatenate([p.n for p in parts]),
                                       np.concatenate([p.k for p in parts]))
    calibrated = binary_metrics(calibrated_agg, settings.bins, rows=n_rows)
    calibrated["row_bins"] = binning
    return BinnedResult(calibrator, uncal, calibrated, info, selection, clipped)


def full_fit_binned(rb: RowBins, rows: RowPasses, settings: Settings, context: str,
                    clip_epsilon: Optional[float] = None
                    ) -> tuple[Calibrator, Optional[JsonDict]]:
    """The shipped calibrator of a binned task, and ``auto``'s selection record.

    ``auto`` selects on the bins (:func:`select_method_binned`). gam is fitted on the bins (it
    bins finer than its own ``GAM_BINS``); identity has nothing to fit; isotonic, venn_abers,
    platt and beta ship their exact fit, found without the aggregate of every distinct score
    where they can: platt and beta refitted on every row from their fit on the bins
    (:func:`polish_on_rows`), isotonic from the sorted rows (:func:`fit_isotonic_rows`); else
    (venn_abers, weighted isotonic, tied or near-tied scores, a beta leaving its active set)
    from that aggregate. When the rows are not in memory (a streamed run), isotonic,
    venn_abers and a beta leaving its active set ship their fit on the bins instead.
    """
    every = range(rb.n.shape[0])
    space = settings.score_space
    all_rows = rb.aggregated(every, space)
    check_two_classes(all_rows, f"{context}: all kept rows")
    start = time.perf_counter()
    selection: Optional[JsonDict] = None
    method = settings.method
    if method == "auto":
        selection = select_method_binned(rb, settings, every, context, clip_epsilon)
        method = str(selection["selected"])
    chosen = dataclasses.replace(settings, method=method)
    in_memory = rows.arrays()
    exact: Optional[Calibrator] = None
    if method in ("isotonic", "venn_abers") and in_memory is not None:
        if method == "isotonic" and in_memory[2] is None:
            exact = fit_isotonic_rows(in_memory[0], in_memory[1], chosen)
    else:
        calibrator = fit_calibrator(all_rows, chosen, f"{context}: full fit",
                                    row_bins=rb.describe(), clipped_rows=rb.clipped_rows,
                                    clip_epsilon=clip_epsilon, weighted_rows=rows.rows,
                                    scale_prior=settings.method == "auto")
        exact = calibrator
        if method in ("platt", "beta"):
            exact = polish_on_rows(calibrator, rows)
            if exact is not None:
                check_fit(exact, all_rows, f"{context}: full fit on every row", rows.rows)
            elif in_memory is None:
                exact = calibrator
    del all_rows
    if exact is not None:
        calibrator = exact
    else:
        assert in_memory is not None  # a streamed run ships the bins' fit above
        calibrator = BinaryProblem(*in_memory, settings).fit(method, None,
                                                             f"{context}: full fit")
    if selection is not None:
        calibrator = dataclasses.replace(calibrator, fit={**calibrator.fit,
                                                          "auto": auto_summary(selection)})
    logger.info("%s: fitted %s on %d rows (%d clipped to epsilon %g) in %.3fs", context, method,
                rows.rows, int(json_number(calibrator.fit.get("clipped_rows", 0))),
                calibrator.clip_epsilon, time.perf_counter() - start)
    return calibrator, selection


def cross_fit_binned(rb: RowBins, settings: Settings, weighted: bool,
                     clip_epsilon: Optional[float] = None
                     ) -> tuple[list[Aggregated], list[JsonDict]]:
    """Each fold's calibrator fitted on the other folds' bins (with ``auto``: the method chosen
    on them) and applied to its own bins at their mean logits; returns the held-out predictions
    per fold (``values``, with each bin's ``n`` and ``k``) and the fold records, as
    :func:`cross_fit` gives them."""
    space = settings.score_space
    every = range(rb.n.shape[0])
    n_rows = int(rb.rows.sum())
    parts: list[Aggregated] = []
    info: list[JsonDict] = []
    for f in every:
        start = time.perf_counter()
        others = [g for g in every if g != f]
        entry: JsonDict = {"fold": f}
        method = settings.method
        if method == "auto":
            choice = select_method_binned(rb, settings, others, f"fold {f}", clip_epsilon)
            method = str(choice["selected"])
            entry.update(fold_selection(choice))
        model = fit_on_bins(rb.aggregated(others, space), settings, method, f"fold {f}",
                             clip_epsilon, n_rows - int(rb.rows[f]))
        fit_seconds = time.perf_counter() - start
        held = rb.group(f, space)
        pred = Aggregated(apply_calibrator(model, held.values), held.n, held.k)
        parts.append(pred)
        n_test = int(rb.rows[f])
        positives = int_if_integral(float(held.k.sum())) if weighted else int(held.k.sum())
        entry.update(n_train=n_rows - n_test, n_test=n_test, fit_seconds=round(fit_seconds, 6))
        entry.update(_binned_summary(pred, positives))
        info.append(entry)
        logger.info("fold %d: trained on %d rows, scored %d held-out rows in %.3fs", f,
                    n_rows - n_test, n_test, fit_seconds)
    return parts, info
