"""What cross-fitting and ``auto`` fit, predict and score: one problem per mode.

A :class:`Problem` holds a mode's kept rows; it fits a method on a row mask, predicts any rows
and gives their per-row log loss. :class:`BinaryProblem` is one binary task,
:class:`MulticlassProblem` one calibrator per class (one-vs-rest), or temperature, vector or
dirichlet scaling of the class log-scores (vector and dirichlet mixed with the uniform
distribution by ``fitting.probability_floor`` of the rows over the classes, their
``uniform_share``), or a stacked mixture of those (:mod:`.multiclassmixture`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Sequence
from typing import Any, Optional, Protocol, TypeVar, Union

import numpy as np
import numpy.typing as npt

from ..errors import CalibrationScriptError, Code
from . import limits
from .aggregation import Aggregated, aggregate
from .apply import (CLASS_SCALING_METHODS, apply_calibrator, class_logits,
                    class_scaling_probabilities, mix_class_probabilities, renormalise)
from .artifact import MIXTURE_METHOD, Calibrator, MultiCalibrator
from .fitting import (STARTED_METHODS, class_floor, fit_calibrator, probability_floor,
                      uniform_share, with_probability_floor)
from .jsonvalues import JsonDict, int_if_integral, json_number
from .logs import logger
from .metrics import auc_aggregated
from .multiclassmetrics import row_figures
from .classscaling import fit_class_scaling, scaling_start
from .mixture import mixture_calibrator
from .multiclassmixture import class_mixture_calibrator
from .numerics import (CLIP_EPSILON, LOG_OFFSET, BoolArray, FloatArray, IntArray, LabelArray,
                       weighted_count)
from .settings import Settings
from .temperature import fit_temperature, named_class_floor


AUTO_OFF_DIAGONAL_PENALTY = 50.0
"""Dirichlet's ODIR lambda under ``auto`` (its candidate, mixture member and shipped fit):
a tenth of ``classscaling.OFF_DIAGONAL_PENALTY``, the prior of ``CALIBRATION_METHOD=dirichlet``.
Replayed on the quality benchmark's multi-class runs, the weaker prior lowered ``auto``'s mean
held-out log loss on the tuning seeds and on held-out ones (docs/methods.md)."""

ModelT = TypeVar("ModelT")


class Problem(Protocol[ModelT]):
    """A calibration problem on its kept rows: fit on a row mask, predict any rows.

    ``predict(model, rows)`` and ``row_loss(predictions, rows)`` work on the rows of the mask
    ``rows`` only (every row when None), so a fold scores just its held-out rows.
    """

    strata: LabelArray
    prediction_shape: tuple[int, ...]
    """The shape of one row's prediction: ``()`` for a probability, ``(classes,)``."""

    def row_weights(self, rows: npt.NDArray[np.intp]) -> FloatArray: ...

    def fit(self, method: str, mask: Optional[BoolArray], context: str) -> ModelT: ...

    def predict(self, model: ModelT, rows: Optional[BoolArray] = None) -> FloatArray: ...

    def row_loss(self, predictions: FloatArray, rows: Optional[BoolArray] = None
                 ) -> FloatArray: ...

    def held_out_summary(self, predictions: FloatArray, mask: BoolArray) -> JsonDict: ...

    def mixed(self, members: Sequence[ModelT], weights: Sequence[float]) -> ModelT: ...

    def subset(self, rows: npt.NDArray[np.intp]) -> Problem[ModelT]:
        """The problem on the rows ``rows`` only (copies of them)."""
        ...


class BinaryProblem:
    """One binary task: its kept rows' scores, labels (0/1, held as bool) and weights.

    ``weights`` None means every row weighs 1 (no all-ones array is made): a fit's rows are
    then aggregated by sorting (``aggregate``). ``repeated_fits`` (many fits on subsets of the
    same rows): a fit of beta or gam on a row mask starts from the fit of the same method on
    every row, once there is one (fewer Newton or PIRLS steps), and the aggregate of the last
    row mask is kept for the next fit on the same mask. With weights, the rows are indexed once by
    unique score (int32 when it fits) and every fit is a weighted bincount. The aggregate of all
    rows is computed once and shared (uncalibrated metrics, the class check, the full fit) until
    ``forget_all_rows``.
    """

    def __init__(self, scores: FloatArray, labels: npt.NDArray[np.generic],
                 weights: Optional[FloatArray], settings: Settings, *,
                 repeated_fits: bool = False) -> None:
        self.scores = scores
        self.labels: BoolArray = np.asarray(labels, dtype=np.bool_) if labels.dtype == np.bool_ \
            else np.asarray(labels, dtype=np.float64) > 0.5
        self.weights = weights
        self.strata: LabelArray = self.labels.view(np.int8)
        self.prediction_shape: tuple[int, ...] = ()
        self.settings = settings
        self._index: Optional[tuple[FloatArray, npt.NDArray[np.signedinteger[Any]]]] = None
        self._all_rows: Optional[Aggregated] = None
        self._repeated_fits = repeated_fits
        # with repeated_fits: the fits on every row, where the fits on a row mask start, and
        # the last row mask with its aggregate
        self._starts: dict[str, Calibrator] = {}
        self._last_mask: Optional[tuple[BoolArray, Aggregated]] = None

    def row_weights(self, rows: npt.NDArray[np.intp]) -> FloatArray:
        if self.weights is None:
            return np.ones(rows.shape[0])
        out: FloatArray = self.weights[rows]
        return out

    def _unique_index(self) -> tuple[FloatArray, npt.NDArray[np.signedinteger[Any]]]:
        if self._index is None:
            values, inverse = np.unique(self.scores, return_inverse=True)
            inv = inverse.ravel()
            self._index = (values, inv.astype(np.int32) if values.shape[0] < 2**31 else inv)
        return self._index

    def aggregated(self, mask: Optional[BoolArray] = None) -> Aggregated:
        if mask is None and self._all_rows is not None:
            return self._all_rows
        if mask is not None and self._last_mask is not None and \
                np.array_equal(self._last_mask[0], mask):
            return self._last_mask[1]
        if self.weights is None:
            if mask is None:
                agg = aggregate(self.scores, self.labels)
            else:
                agg = aggregate(self.scores[mask], self.labels[mask])
        else:
            values, inv = self._unique_index()
            u = values.shape[0]
            w, y = self.weights, self.labels
            if mask is not None:
                inv, w, y = inv[mask], w[mask], y[mask]
            agg = Aggregated(values, weighted_count(inv, w, u),
                             weighted_count(inv[y], w[y], u))
        if mask is None:
            self._all_rows = agg
        elif self._repeated_fits:
            self._last_mask = (mask, agg)
        return agg

    def forget_all_rows(self) -> None:
        """Drop the shared aggregate of all rows (and the unique-score index)."""
        self._all_rows = None
        self._index = None

    def fit(self, method: str, mask: Optional[BoolArray], context: str) -> Calibrator:
        """``method`` fitted on the rows of ``mask``; its outputs bounded
        (:func:`~.fitting.with_probability_floor`) under ``auto`` (every candidate, fold and the
        shipped fit; temperature's scale under its prior there too; a binary or multi-task
        identity by the smaller :func:`~.fitting.class_floor` of two classes, a multi-class
        one's members as :class:`MulticlassProblem` bounds them). platt, beta and gam bound their
        outputs by the same floor whatever the method setting (:func:`~.fitting.fit_calibrator`)."""
        count = int(self.scores.shape[0] if mask is None else np.count_nonzero(mask))
        rows = None if self.weights is None else count
        automatic = self.settings.method == "auto"
        cal = fit_calibrator(self.aggregated(mask), dataclasses.replace(self.settings,
                                                                        method=method), context,
                             weighted_rows=rows, scale_prior=automatic,
                             nearby_fit=None if mask is None else self._starts.get(method))
        if method == "identity":
            # the scores kept: bounded under auto as every candidate is, by the floor that
            # costs a row they get right about a quarter of the other candidates' bound
            bound = automatic and self.settings.mode != "multiclass"
            out = with_probability_floor(cal, class_floor(count, 2)) if bound else cal
        else:
            out = with_probability_floor(cal, probability_floor(count)) if automatic else cal
        if mask is None and self._repeated_fits and method in STARTED_METHODS:
            self._starts[method] = out
        return out

    def predict(self, model: Calibrator, rows: Optional[BoolArray] = None) -> FloatArray:
        return apply_calibrator(model, self.scores if rows is None else self.scores[rows])

    def mixed(self, members: Sequence[Calibrator], weights: Sequence[float]) -> Calibrator:
        """The stacked mixture of fitted ``members`` (:mod:`.mixture`), bounded by the largest
        ``probability_floor`` of theirs (an identity member's is the smaller class floor, so
        the weighted sum alone could fall below the others' bound)."""
        mixture = mixture_calibrator(members, weights)
        floors = [f for m in members
                  if isinstance(f := m.extra_params.get("probability_floor"), float)]
        if not floors:
            return mixture
        return dataclasses.replace(mixture, extra_params={**mixture.extra_params,
                                                          "probability_floor": max(floors)})

    def subset(self, rows: npt.NDArray[np.intp]) -> BinaryProblem:
        return BinaryProblem(self.scores[rows], self.labels[rows],
                             None if self.weights is None else self.weights[rows], self.settings)

    def row_loss(self, predictions: FloatArray, rows: Optional[BoolArray] = None
                 ) -> FloatArray:
        return _binary_row_loss(predictions, self.labels if rows is None else self.labels[rows])

    def held_out_summary(self, predictions: FloatArray, mask: BoolArray) -> JsonDict:
        labels = self.labels[mask]
        w = None if self.weights is None else self.weights[mask]
        auc, reason = auc_aggregated(aggregate(predictions, labels, w))
        loss = _binary_row_loss(predictions, labels)
        if w is None:
            positives: Union[int, float] = int(np.count_nonzero(labels))
            log_loss = float(loss.sum()) / labels.shape[0]
        else:
            positives = int_if_integral(float(w[labels].sum()))
            # (w * loss).sum(), not a dot product: unit weights then give the unweighted figure
            log_loss = float((w * loss).sum() / w.sum())
        return {"positives_test": positives, "log_loss": log_loss, "auc": auc,
                "auc_null_reason": reason}


def _binary_row_loss(predictions: FloatArray, labels: BoolArray) -> FloatArray:
    """Per-row log loss of probabilities (clipped to ``CLIP_EPSILON``) against 0/1 labels."""
    pc = np.clip(predictions, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    out: FloatArray = -np.where(labels, np.log(pc), np.log1p(-pc))
    return out


class MulticlassProblem:
    """Multi-class rows: one :class:`BinaryProblem` per class (one-vs-rest) and the class
    log-scores (``ln(p + LOG_OFFSET)``, or the margins; computed when first used, so a
    one-vs-rest fit never holds them).

    A column-major (Fortran-ordered) score matrix keeps each class's scores contiguous: the
    one-vs-rest members then read them without a copy, and the class log-scores (of the same
    layout) give class-major chunks by plain copies.

    A fit that reads only the class log-scores (temperature, vector or dirichlet on many rows)
    may have its first pass write them over the scores (:meth:`logit_rows` with ``store``);
    from then on the score matrix holds the log-scores, every later read of them takes it as
    it is (no ``log`` of it again), and the one-vs-rest members, whose scores are gone,
    cannot be asked for.
    """

    def __init__(self, scores: FloatArray, labels: IntArray, weights: Optional[FloatArray],
                 settings: Settings, *, repeated_fits: bool = False) -> None:
        self.names = settings.categories
        self.scores = scores
        self.labels = labels
        self.unit_weights = weights is None
        # the kept rows' weights; None: every row weighs 1 (an array of ones made if asked for)
        self.given_weights = weights
        self._weights = weights
        self.strata: LabelArray = labels
        self.prediction_shape: tuple[int, ...] = (int(scores.shape[1]),)
        self.settings = settings
        self._logits: Optional[FloatArray] = None
        # the leading rows of the score matrix that hold their class log-scores instead
        self._stored_logits = 0
        # the temperature fit on every row, where each fold's fit starts
        self._temperature: Optional[tuple[float, tuple[float, ...]]] = None
        # the vector and dirichlet fits on every row, where each fold's fit starts
        self._scalings: dict[str, FloatArray] = {}
        self._repeated_fits = repeated_fits

    @functools.cached_property
    def columns(self) -> list[BinaryProblem]:
        """One-vs-rest: each class's scores against whether it is the label (made when first
        asked for: a temperature or class-scaling run never holds its masks)."""
        if self._stored_logits:
            raise RuntimeError("the one-vs-rest members' scores were replaced by the class "
                               "log-scores")
        return [BinaryProblem(self.scores[:, c], self.labels == c, self.given_weights,
                              self.settings, repeated_fits=self._repeated_fits)
                for c in range(self.scores.shape[1])]

    @property
    def weights(self) -> FloatArray:
        """The rows' weights (ones without weights: made when first asked for)."""
        if self._weights is None:
            self._weights = np.ones(self.labels.shape[0])
        return self._weights

    @property
    def logits(self) -> FloatArray:
        """The class log-scores of every row (computed once, in the scores' layout; the score
        matrix itself once a pass has begun to store them over it, the rest then stored)."""
        if self._stored_logits:
            if self._stored_logits < self.labels.shape[0]:
                self._store_logits(slice(self._stored_logits, self.labels.shape[0]))
            return self.scores
        if self._logits is None:
            self._logits = class_logits(self.scores, self.settings.score_space, CLIP_EPSILON,
                                        LOG_OFFSET)
        return self._logits

    def logit_rows(self, rows: slice, store: bool = False) -> FloatArray:
        """The class log-scores of the rows ``rows``: a new array, or, with ``store`` and
        ``rows`` the next rows in order (step 1 from the first row not stored), their scores'
        place in the matrix, overwritten by them. Once any are stored, every read gets the
        stored values (the rest stored first).

        >>> from calibration_step.script.model_calibration.settings import read_settings
        >>> problem = MulticlassProblem(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0]),
        ...                             None, read_settings({"IS_BINARY": "false",
        ...                                                  "NUM_CLASSES": "2"}))
        >>> first = problem.logit_rows(slice(0, 1), store=True)
        >>> bool(np.shares_memory(first, problem.scores)), problem.scores[1].tolist()
        (True, [0.6, 0.4])
        >>> np.round(problem.logit_rows(slice(0, 2)), 4).tolist()  # the second row stored now
        [[-1.6094, -0.2231], [-0.5108, -0.9163]]
        """
        n = int(self.labels.shape[0])
        start, stop, step = rows.indices(n)
        if store and step == 1 and start == self._stored_logits < n:
            return self._store_logits(slice(start, max(start, stop)))
        if self._stored_logits:
            logits: FloatArray = self.logits[rows]
            return logits
        return class_logits(self.scores[rows], self.settings.score_space, CLIP_EPSILON,
                            LOG_OFFSET)

    def _store_logits(self, rows: slice) -> FloatArray:
        """The class log-scores of ``rows`` (from the first not stored) over their scores."""
        view: FloatArray = self.scores[rows]
        class_logits(view, self.settings.score_space, CLIP_EPSILON, LOG_OFFSET, out=view)
        self._stored_logits = int(rows.stop)
        return view

    def row_weights(self, rows: npt.NDArray[np.intp]) -> FloatArray:
        out: FloatArray = self.weights[rows]
        return out

    def unfitted(self, method: str) -> MultiCalibrator:
        """A calibrator of ``method`` for these classes, without its fitted parameters (a
        temperature's classes lifted to :func:`~.temperature.named_class_floor`)."""
        s = self.settings
        floor = named_class_floor(len(self.names)) if method == "temperature" else None
        return MultiCalibrator(mode="multiclass", method=method, score_space=s.score_space,
                               clip_epsilon=CLIP_EPSILON, names=self.names,
                               score_fields=tuple(s.score_field_prefix + c for c in self.names),
                               label_fields=(s.label_field,), log_offset=LOG_OFFSET,
                               probability_floor=floor)

    def fit(self, method: str, mask: Optional[BoolArray], context: str) -> MultiCalibrator:
        base = self.unfitted(method)
        if method in CLASS_SCALING_METHODS:
            return self._fit_scaling(base, mask, context)
        if method == "identity":
            members = tuple(self._scores_as_they_are(problem, mask, f"{context}, class {name!r}")
                            for name, problem in zip(self.names, self.columns))
        else:
            members = tuple(problem.fit(method, mask, f"{context}, class {name!r}")
                            for name, problem in zip(self.names, self.columns))
        return dataclasses.replace(base, members=members)

    def _scores_as_they_are(self, problem: BinaryProblem, mask: Optional[BoolArray],
                            context: str) -> Calibrator:
        """An identity member clipped at ``CLIP_EPSILON`` (the metrics' clip), not at the
        binary fit's data-adaptive clip: renormalised, the classes' identity members are then
        the uncalibrated class probabilities (the adaptive clip moves a saturated score only
        for a fit that can use it). Under ``auto`` its outputs are bounded by the
        :func:`~.fitting.class_floor` of the rows and classes, as every candidate of ``auto``
        is bounded: a class the scores give 0 (a random forest's) keeps that share, so
        keeping the scores gives no confident miss; with many classes and rows, by enough
        that the renormalised class keeps :func:`least_class_probability`. A class with no
        row, or every row, among ``mask``'s still has one: the scores need no second class."""
        labels = problem.labels if mask is None else problem.labels[mask]
        try:
            member = problem.fit("identity", mask, context)
        except CalibrationScriptError as exc:
            if exc.code != Code.MC_E301_SINGLE_CLASS:
                raise
            member = Calibrator("identity", self.settings.score_space, CLIP_EPSILON,
                                fit={"rows": int(labels.shape[0]),
                                     "positives": int(np.count_nonzero(labels))})
        if self.settings.method == "auto":
            rows, classes = float(labels.shape[0]), len(self.names)
            least = least_class_probability(rows, classes)  # where class_floor is below it
            bound = max(class_floor(rows, classes), least / (1.0 - classes * least))
            member = with_probability_floor(member, bound)
        if member.score_space != "probability":
            return member
        scores = problem.scores
        used = scores if mask is None else scores[mask]
        clipped = int(np.count_nonzero((used < CLIP_EPSILON) | (used > 1.0 - CLIP_EPSILON)))
        return dataclasses.replace(member, clip_epsilon=CLIP_EPSILON,
                                   fit={**member.fit, "clipped_rows": clipped})

    def _fit_scaling(self, base: MultiCalibrator, mask: Optional[BoolArray], context: str
                     ) -> MultiCalibrator:
        """``base`` with its temperature, vector or dirichlet fit on the rows of ``mask``."""
        start = time.perf_counter()
        if base.method == "temperature":
            scale, bias, info = fit_temperature(self.logits, self.labels, self.weights,
                                                self.settings.temperature_bias, mask,
                                                None if mask is None else self._temperature)
            if mask is None:
                self._temperature = (scale, bias)
            model = dataclasses.replace(base, scale=scale, bias=bias)
        else:
            strength = AUTO_OFF_DIAGONAL_PENALTY if self.settings.method == "auto" else None
            params, intercept, info = fit_class_scaling(
                self.logits, self.labels, self.weights, base.method, mask,
                None if mask is None else self._scalings.get(base.method), strength)
            if mask is None:
                self._scalings[base.method] = scaling_start(params, intercept,
                                                            json_number(info["common_scale"]))
            model = scaling_calibrator(base, params, intercept, info)
        info["seconds"] = round(time.perf_counter() - start, 6)
        if info["converged"] is False:
            logger.warning("%s: %s fit did not converge", context, base.method)
        return dataclasses.replace(model, fit=info)

    def predict(self, model: MultiCalibrator, rows: Optional[BoolArray] = None) -> FloatArray:
        return self.predict_counted(model, rows)[0]

    def subset(self, rows: npt.NDArray[np.intp], repeated_fits: bool = False
               ) -> MulticlassProblem:
        """The problem on the rows ``rows`` only (copies of them); ``repeated_fits``: its
        one-vs-rest members are fitted many times on subsets of them (:class:`BinaryProblem`)."""
        if self._stored_logits:
            raise RuntimeError("the scores were replaced by the class log-scores")
        return MulticlassProblem(np.asfortranarray(self.scores[rows]), self.labels[rows],
                                 None if self.unit_weights else self.weights[rows], self.settings,
                                 repeated_fits=repeated_fits)

    def mixed(self, members: Sequence[MultiCalibrator], weights: Sequence[float]
              ) -> MultiCalibrator:
        """The stacked mixture of fitted ``members`` (:mod:`.multiclassmixture`)."""
        return class_mixture_calibrator(members, weights)

    def predict_counted(self, model: MultiCalibrator, rows: Optional[BoolArray] = None
                        ) -> tuple[FloatArray, int]:
        """Predictions and the number of rows whose one-vs-rest outputs were all 0 (a
        mixture's: the most of any component's)."""
        if model.method == MIXTURE_METHOD:
            parts = [self.predict_counted(c, rows) for c in model.components]
            return (mix_class_probabilities(model.weights, (part for part, _ in parts)),
                    max(zero for _, zero in parts))
        if model.method in CLASS_SCALING_METHODS:
            return class_scaling_probabilities(model, self._class_logits(model, rows)), 0
        q = np.column_stack([problem.predict(member, rows)
                             for problem, member in zip(self.columns, model.members)])
        return renormalise(q)

    def _class_logits(self, model: MultiCalibrator, rows: Optional[BoolArray]) -> FloatArray:
        """The class log-scores ``model`` takes: the problem's own (once a fit has computed
        them) unless ``model`` was written with another log offset (a given calibrator), else
        computed from the scores of ``rows`` (no log-scores of every row held for a fit that
        did not need them: ``auto``'s shared passes on many rows)."""
        own = model.score_space == "logit" or model.log_offset == LOG_OFFSET
        if own and (self._logits is not None or self._stored_logits):
            logits = self.logits
            return logits if rows is None else logits[rows]
        if self._stored_logits:
            raise RuntimeError("the scores were replaced by the class log-scores of another "
                               "log offset")
        scores = self.scores if rows is None else self.scores[rows]
        return class_logits(scores, model.score_space, model.clip_epsilon, model.log_offset)

    def zero_sum_rows(self, model: MultiCalibrator) -> int:
        """Rows whose one-vs-rest outputs under ``model`` are all 0 (``renormalise`` makes them
        uniform), counted in chunks of ``BIN_CHUNK_ROWS`` rows; 0 for the class scalings, and
        with no pass over the rows when a member is positive everywhere; a mixture's: the most
        of any component's. Only the rows below every member's :func:`_zero_cut` are scored
        (the others have a positive output)."""
        if model.method == MIXTURE_METHOD:
            return max(self.zero_sum_rows(c) for c in model.components)
        if model.method in CLASS_SCALING_METHODS or any(_positive_everywhere(m)
                                                         for m in model.members):
            return 0
        cuts = [_zero_cut(member) for member in model.members]
        n = self.labels.shape[0]
        zero = 0
        for begin in range(0, n, limits.BIN_CHUNK_ROWS):
            part = slice(begin, begin + limits.BIN_CHUNK_ROWS)
            low = np.ones(min(limits.BIN_CHUNK_ROWS, n - begin), dtype=np.bool_)
            for problem, cut in zip(self.columns, cuts):
                if cut < math.inf:
                    low &= problem.scores[part] < cut
            rows = np.flatnonzero(low)
            sums = np.zeros(rows.shape[0])
            for problem, member in zip(self.columns, model.members):
                sums += apply_calibrator(member, problem.scores[part].take(rows))
            zero += int(np.count_nonzero(~(sums > 0.0)))
        return zero

    def row_loss(self, predictions: FloatArray, rows: Optional[BoolArray] = None
                 ) -> FloatArray:
        labels = self.labels if rows is None else self.labels[rows]
        return class_row_loss(predictions[np.arange(labels.shape[0]), labels])

    def held_out_summary(self, predictions: FloatArray, mask: BoolArray) -> JsonDict:
        w, labels = self.weights[mask], self.labels[mask]
        _, correct, p_true = row_figures(predictions, labels)
        loss = class_row_loss(p_true)
        return {"log_loss": float(np.dot(w, loss) / w.sum()),
                "accuracy": float(np.dot(w, correct) / w.sum())}


def scaling_calibrator(base: MultiCalibrator, params: FloatArray, intercept: FloatArray,
                       info: JsonDict) -> MultiCalibrator:
    """``base`` (vector or dirichlet) with the fitted class scales or matrix ``params`` and
    ``intercept``, mixed with the uniform distribution by the ``probability_floor`` of the fit's
    effective rows (``info``'s) over the classes; where that leaves a class less than
    :func:`least_class_probability`, its classes lifted to it (``probability_floor``)."""
    penalty = info["penalty"]
    assert isinstance(penalty, dict)
    rows, classes = float(penalty["effective_rows"]), len(base.names)
    share = uniform_share(rows, classes)
    least = least_class_probability(rows, classes)
    model = dataclasses.replace(base, bias=tuple(float(b) for b in intercept),
                                uniform_share=share,
                                probability_floor=least if share / classes < least else None)
    if base.method == "vector":
        return dataclasses.replace(model, class_scales=tuple(float(v) for v in params))
    return dataclasses.replace(model, matrix=params)


def least_class_probability(rows: float, classes: int) -> float:
    """The least probability vector and dirichlet give a class on ``rows`` effective rows:
    the named temperature's floor (``1e-6``: no confident miss) up to half a million rows, as
    binary outputs' ``probability_floor`` is, then that bound, vanishing as rows grow. Their
    mixing with the uniform distribution alone leaves ``uniform_share / classes``, below
    ``1e-6`` from ``classes ** 2 * (rows + 1) > 5e5`` (30 classes, 555 rows).

    >>> least_class_probability(900.0, 30), least_class_probability(1e7, 30) < 1e-7
    (1e-06, True)
    """
    return min(named_class_floor(classes), probability_floor(rows))


def class_row_loss(p_true: FloatArray) -> FloatArray:
    """Per-row log loss from each row's probability of its label (clipped to
    ``CLIP_EPSILON``)."""
    out: FloatArray = -np.log(np.clip(p_true, CLIP_EPSILON, 1.0))
    return out


def _zero_cut(member: Calibrator) -> float:
    """A score from which ``member`` is positive: the first knot with a positive value, for
    non-decreasing knot values (``interpolate_knots`` keeps each output at or above the lower
    of its segment's two knot values, and every segment from that knot on has positive ones);
    infinity for any other member (no score is known to give a positive output).

    >>> _zero_cut(Calibrator("isotonic", "probability", 1e-15, knots_x=np.array([0.1, 0.4, 0.9]),
    ...                      knots_y=np.array([0.0, 0.0, 0.8])))
    0.9
    >>> _zero_cut(Calibrator("platt", "probability", 1e-15, coef=(1.0, 0.0)))
    inf
    """
    xs, ys = member.knots_x, member.knots_y
    if xs is None or ys is None or not bool(np.all(np.diff(ys) >= 0.0)) or \
            not float(ys[0]) >= 0.0:
        return math.inf
    positive = np.flatnonzero(ys > 0.0)
    return float(xs[positive[0]]) if positive.size else math.inf


def _positive_everywhere(member: Calibrator) -> bool:
    """Whether ``member`` gives every score a positive probability: a knot table whose values
    are all above 0 (``interpolate_knots`` keeps each output between two knots' values).

    >>> _positive_everywhere(Calibrator("gam", "probability", 1e-15, knots_x=np.array([0.0, 1.0]),
    ...                                 knots_y=np.array([0.01, 0.9])))
    True
    """
    return member.knots_y is not None and member.knots_x is not None and \
        float(np.min(member.knots_y)) > 0.0
