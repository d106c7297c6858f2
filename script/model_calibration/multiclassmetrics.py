"""The multi-class blocks of ``metrics.json``: top-label and per-class one-vs-rest blocks
(each a binary block of :mod:`.metrics`), computed class by class over column views of the
probabilities, exactly up to ``limits.BINNED_MIN_ROWS`` rows and on row bins above.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt

from . import limits
from .aggregation import aggregate
from .jsonvalues import JsonDict, int_if_integral, json_number
from .metrics import binary_metrics_of, row_bins_block
from .numerics import (CLIP_EPSILON, BoolArray, FloatArray, IntArray, logit, row_reduce,
                       weighted_count)
from .rowbins import BinGrid, RowBinner, RowBins, clipped_rows


def row_figures(probs: FloatArray, labels: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
    """Per row: the highest class probability, whether its class (the first of equal
    highest, as ``argmax``) is the label, and the label's probability; computed class by class
    (a few whole columns, not numpy's slow short rows), with no n-length index array.

    >>> top, hit, p_true = row_figures(np.array([[0.5, 0.5], [0.2, 0.8]]), np.array([1, 1]))
    >>> top.tolist(), hit.tolist(), p_true.tolist()
    ([0.5, 0.8], [False, True], [0.5, 0.8])
    """
    n, k = probs.shape
    top = probs[:, 0].copy()
    hit = labels == 0
    for j in range(1, k):
        _update_top(probs[:, j], labels == j, top, hit, probs[:, j] > top)
    if k > 32:
        p_true: FloatArray = probs[np.arange(n), labels]
    elif labels.dtype == np.intp:
        p_true = np.choose(labels, [probs[:, j] for j in range(k)])
    else:  # np.choose would convert byte labels to intp first: a masked copy per class
        p_true = probs[:, 0].copy()
        for j in range(1, k):
            np.copyto(p_true, probs[:, j], where=labels == j)
    return top, hit, p_true


def _update_top(probs: FloatArray, is_label: BoolArray, top: FloatArray, hit: BoolArray,
                higher: BoolArray) -> None:
    """A class's probabilities ``probs`` (``is_label``: the rows it is the label of) taken
    into the highest so far ``top`` and the rows whose first highest class is the label ``hit``
    (both changed in place): a row's first highest class becomes this class where ``probs`` is
    strictly higher, ``higher`` (``probs > top``, changed here), as ``argmax`` picks it (boolean
    updates, several times faster than storing the class index by a mask)."""
    hit &= ~higher
    higher &= is_label
    hit |= higher
    np.maximum(top, probs, out=top)


ClassColumn = Callable[[int, slice], FloatArray]
"""Class ``j``'s probabilities of the rows ``part`` (an array the caller does not change)."""

ClassRows = Callable[[slice], FloatArray]
"""The class probabilities of the rows of a slice: a new ``(rows, classes)`` array."""


def columns_of(rows: ClassRows) -> ClassColumn:
    """The :data:`ClassColumn` of ``rows``: each slice computed once for all its classes (the
    metrics ask for a slice's classes one after another; the last slice's are kept).

    >>> calls = []
    >>> column = columns_of(lambda part: calls.append(part) or np.ones((2, 3))[part] * 0.5)
    >>> column(0, slice(0, 2)).tolist(), column(2, slice(0, 2)).tolist(), len(calls)
    ([0.5, 0.5], [0.5, 0.5], 1)
    """
    last: list[tuple[tuple[Optional[int], Optional[int], Optional[int]], FloatArray]] = []

    def column(j: int, part: slice) -> FloatArray:
        key = (part.start, part.stop, part.step)
        if not last or last[0][0] != key:
            last.clear()  # the previous slice's rows let go before the next are computed
            last.append((key, rows(part)))
        return last[0][1][:, j]

    return column


def _sum_counts(sums: FloatArray) -> tuple[int, int]:
    """The rows whose class scores sum to 0 (or less, or NaN) and those whose sum is off 1 by
    more than ``1e-6``."""
    gap = sums - 1.0
    np.abs(gap, out=gap)
    return int(np.count_nonzero(~(sums > 0.0))), int(np.count_nonzero(gap > 1e-6))


def renormalised_columns(scores: FloatArray
                         ) -> tuple[ClassColumn, int, int, Optional[ClassExtremes]]:
    """The columns of ``renormalise(scores)`` computed for the rows asked for (the same values,
    with no n x classes matrix and no n-length array of row sums), the number of rows summing
    to 0 (uniform), the number whose sum is off 1 by more than ``1e-6`` and, from
    ``BINNED_MIN_ROWS`` rows, the columns' :class:`ClassExtremes` (for the metrics' row bins),
    found in one pass in chunks of ``BIN_CHUNK_ROWS`` rows.

    >>> column, zero, off, extremes = renormalised_columns(np.array([[0.2, 0.6], [0.0, 0.0]]))
    >>> column(1, slice(None)).round(3).tolist(), zero, off, extremes
    ([0.75, 0.5], 1, 2, None)
    """
    k = scores.shape[1]

    def renormalised(part: slice, count: bool) -> tuple[FloatArray, tuple[int, int]]:
        """The rows' renormalised probabilities, class-major (each class's column contiguous:
        the metrics' work on a strided column takes several times longer), and their
        :func:`_sum_counts` when ``count`` (else zeros)."""
        block = scores[part]
        sums = row_reduce(np.add, block)
        counts = _sum_counts(sums) if count else (0, 0)
        empty = ~(sums > 0.0)
        sums[empty] = 1.0
        out: FloatArray = np.empty((k, block.shape[0]))
        for j in range(k):
            np.divide(block[:, j], sums, out=out[j])
        out[:, empty] = 1.0 / k
        return out, counts

    n = scores.shape[0]
    extremes = ClassExtremes(k) if n >= limits.BINNED_MIN_ROWS else None
    zero = off = 0
    for part in _chunks(n):
        if extremes is None:
            counts = _sum_counts(row_reduce(np.add, scores[part]))
        else:
            out, counts = renormalised(part, True)
            extremes.add(list(out))
            del out
        zero += counts[0]
        off += counts[1]

    def rows(part: slice) -> FloatArray:
        by_row: FloatArray = renormalised(part, False)[0].T
        return by_row

    return columns_of(rows), zero, off, extremes


def multiclass_metrics(probs: FloatArray, labels: IntArray, weights: Optional[FloatArray],
                       names: Sequence[str], bins: int) -> JsonDict:
    """Multi-class metrics: top-label, per-class (one-vs-rest) and macro figures, all weighted
    (``weights`` None: each row weighs 1, the same figures as weights of 1).

    ``ece_equal_width`` is the top-label ECE (confidence = the highest class probability,
    outcome = whether that class is the label): the figure the gate compares with the threshold.
    """
    return multiclass_metrics_of(lambda j, part: probs[part, j], labels, weights, names, bins)


@dataclasses.dataclass
class _RowSums:
    """The multi-class figures summed over rows: squared probabilities, the label's probability
    and its clipped log, the rows clipped and the correct top labels (weighted)."""

    squares: float = 0.0
    p_true: float = 0.0
    log_p_true: float = 0.0
    clipped: int = 0
    correct: float = 0.0

    def add(self, weights: Optional[FloatArray], p_true: FloatArray, hit: BoolArray) -> None:
        """Add the rows' label probabilities ``p_true`` and top-label hits ``hit`` (``weights``
        None: each row weighs 1)."""
        self.clipped += int(np.count_nonzero(p_true < CLIP_EPSILON))
        log_p_true = np.clip(p_true, CLIP_EPSILON, 1.0)
        np.log(log_p_true, out=log_p_true)
        if weights is None:
            self.p_true += float(np.sum(p_true))
            self.log_p_true += float(np.sum(log_p_true))
            self.correct += float(np.count_nonzero(hit))
            return
        self.p_true += float(np.dot(weights, p_true))
        self.log_p_true += float(np.dot(weights, log_p_true))
        self.correct += float(np.dot(weights, hit.astype(np.float64)))

    def add_squares(self, weights: Optional[FloatArray], probs: FloatArray,
                    out: FloatArray) -> None:
        """Add the rows' squared probabilities of a class ``probs`` (squared into ``out``, of
        their length)."""
        np.square(probs, out=out)
        self.squares += float(np.sum(out) if weights is None else np.dot(weights, out))


def _top_label_step(j: int, probs: FloatArray, labels: IntArray,
                    state: Optional[tuple[FloatArray, BoolArray, FloatArray]]
                    ) -> tuple[FloatArray, BoolArray, FloatArray]:
    """The highest probability so far, whether its class (the first of equal highest, as
    ``argmax``) is the label, and the label's probability, after class ``j``'s probabilities
    ``probs``."""
    if state is None:
        return probs.copy(), labels == j, probs.copy()
    top, hit, p_true = state
    is_label = labels == j
    _update_top(probs, is_label, top, hit, probs > top)
    np.copyto(p_true, probs, where=is_label)
    return top, hit, p_true


def _exact_figures(column: ClassColumn, labels: IntArray, weights: Optional[FloatArray],
                   k: int, bins: int) -> tuple[list[JsonDict], JsonDict, _RowSums]:
    """Each class's block, the top-label block and the row sums, each class's probabilities
    asked for once, whole (every per-row figure accumulated class by class)."""
    blocks: list[JsonDict] = []
    sums = _RowSums()
    square = np.empty(labels.shape[0])
    state: Optional[tuple[FloatArray, BoolArray, FloatArray]] = None
    for j in range(k):
        probs = np.ascontiguousarray(column(j, slice(None)))
        blocks.append(binary_metrics_of(probs, labels == j, weights, bins))
        state = _top_label_step(j, probs, labels, state)
        sums.add_squares(weights, probs, square)
        del probs
    del square
    assert state is not None
    top, hit, p_true = state
    del state
    top_block = binary_metrics_of(top, hit, weights, bins)
    del top
    sums.add(weights, p_true, hit)
    return blocks, top_block, sums


def _select(into: FloatArray, values: FloatArray, where: BoolArray, scratch: FloatArray) -> None:
    """``np.copyto(into, values, where=where)`` (the same bits) by integer operations on the
    floats' bits, about twice as fast: ``into ^= (into ^ values) * where``; ``scratch`` is an
    array of their length, neither of the two.

    >>> into = np.array([1.0, -0.0, np.inf])
    >>> _select(into, np.array([2.0, 0.0, 3.0]), np.array([False, True, True]), np.empty(3))
    >>> into.tolist()
    [1.0, 0.0, 3.0]
    """
    bits, diff = into.view(np.uint64), scratch.view(np.uint64)
    np.bitwise_xor(bits, values.view(np.uint64), out=diff)
    np.multiply(diff, where, out=diff)
    np.bitwise_xor(bits, diff, out=bits)


class _ChunkBuffers:
    """The arrays :func:`_binned_figures` computes a chunk's rows in, made once for every chunk:
    five of floats, one of bin indices, three of booleans and, when a class's probabilities
    come strided, one to copy them into."""

    def __init__(self, size: int) -> None:
        self._floats: FloatArray = np.empty((5, size))
        self._indices: npt.NDArray[np.intp] = np.empty(size, dtype=np.intp)
        self._flags: BoolArray = np.empty((3, size), dtype=bool)
        self._column: Optional[FloatArray] = None

    def floats(self, m: int) -> tuple[FloatArray, ...]:
        """The five float buffers' first ``m`` rows."""
        return tuple(self._floats[:, :m])

    def indices(self, m: int) -> npt.NDArray[np.intp]:
        """The index buffer's first ``m`` entries."""
        return self._indices[:m]

    def flags(self, m: int) -> tuple[BoolArray, ...]:
        """The three boolean buffers' first ``m`` rows."""
        return tuple(self._flags[:, :m])

    def contiguous(self, values: FloatArray) -> FloatArray:
        """``values`` if contiguous, else their copy in a buffer of its own (every whole-column
        operation on a strided column takes several times longer)."""
        if values.flags.c_contiguous:
            return values
        if self._column is None:
            self._column = np.empty(self._floats.shape[1])
        out = self._column[:values.shape[0]]
        np.copyto(out, values)
        return out


def _chunks(n: int) -> list[slice]:
    return [slice(start, start + limits.BIN_CHUNK_ROWS)
            for start in range(0, n, limits.BIN_CHUNK_ROWS)]


class ClassExtremes:
    """The lowest and highest probability of each class and of the highest class probability
    of a row (last), over the chunks of rows added: the span of the metrics' row-bin grids.

    >>> extremes = ClassExtremes(2)
    >>> extremes.add([np.array([0.2, 0.7]), np.array([0.8, 0.3])])
    >>> extremes.low.tolist(), extremes.high.tolist()
    ([0.2, 0.3, 0.7], [0.7, 0.8, 0.8])
    """

    def __init__(self, k: int) -> None:
        self.low: FloatArray = np.full(k + 1, np.inf)
        self.high: FloatArray = np.full(k + 1, -np.inf)

    def add(self, columns: Sequence[FloatArray]) -> None:
        """Take in a chunk of rows given as its class columns (NaN propagates, as a grid of
        NaN is refused)."""
        top: Optional[FloatArray] = None
        for j, probs in enumerate(columns):
            self._take(j, probs)
            top = probs.copy() if top is None else np.maximum(top, probs, out=top)
        assert top is not None
        self._take(len(columns), top)

    def _take(self, j: int, values: FloatArray) -> None:
        self.low[j] = np.minimum(self.low[j], np.min(values))
        self.high[j] = np.maximum(self.high[j], np.max(values))

    def grids(self) -> Optional[list[BinGrid]]:
        """Each class's row-bin grid and the highest probability's (last); None when one
        cannot be binned."""
        grids = [BinGrid.spanning(float(low), float(high), "probability")
                 for low, high in zip(self.low, self.high)]
        return None if any(grid is None for grid in grids) else \
            [grid for grid in grids if grid is not None]


def _class_extremes(column: ClassColumn, n: int, k: int) -> ClassExtremes:
    """:class:`ClassExtremes` of the probabilities ``column`` gives, from one pass over the
    rows."""
    extremes = ClassExtremes(k)
    for part in _chunks(n):
        extremes.add([column(j, part) for j in range(k)])
    return extremes


def _binned_figures(column: ClassColumn, labels: IntArray, weights: Optional[FloatArray],
                    k: int, bins: int, extremes: Optional[ClassExtremes],
                    class_bins: Optional[Sequence[RowBins]] = None
                    ) -> Optional[tuple[list[JsonDict], JsonDict, _RowSums]]:
    """:func:`_exact_figures` on row bins, in chunks of ``BIN_CHUNK_ROWS`` rows: a pass for the
    bins' extremes (unless given), then one that bins every class (unless ``class_bins`` has
    them) and the top label and sums the row figures (no n-length array). The blocks equal
    :func:`binary_metrics_of`'s (the same chunks); the row sums are added chunk by chunk. None
    when a class cannot be binned."""
    n = labels.shape[0]
    grids = (extremes if extremes is not None else _class_extremes(column, n, k)).grids()
    if grids is None:
        return None
    binners = [RowBinner(grid, 1, weighted=weights is not None)
               for grid in (grids if class_bins is None else grids[k:])]
    top_binner = binners[-1]
    sums = _RowSums()
    chunk = _ChunkBuffers(min(n, limits.BIN_CHUNK_ROWS))
    for part in _chunks(n):
        part_labels = labels[part]
        part_weights = None if weights is None else weights[part]
        top, top_z, p_true, z, scratch = chunk.floats(part_labels.shape[0])
        is_label, hit, higher = chunk.flags(part_labels.shape[0])
        for j in range(k):
            probs = chunk.contiguous(column(j, part))
            np.equal(part_labels, j, out=is_label)
            if class_bins is None:
                logit(probs, CLIP_EPSILON, z, scratch)
                binners[j].add_logits(z, clipped_rows(probs), is_label, part_weights, None,
                                      scratch, chunk.indices(part_labels.shape[0]))
            if j == 0:
                for first, value in ((top, probs), (p_true, probs), (hit, is_label)):
                    np.copyto(first, value)
            else:
                np.greater(probs, top, out=higher)
                _update_top(probs, is_label, top, hit, higher)
                _select(p_true, probs, is_label, scratch)
            sums.add_squares(part_weights, probs, z)  # the logits done with: their room
            del probs  # a view of the chunk's rows, which the next chunk's replace
        logit(top, CLIP_EPSILON, top_z, scratch)  # the same bits as the top class's own logit
        top_binner.add_logits(top_z, clipped_rows(top), hit, part_weights, None, scratch,
                              chunk.indices(part_labels.shape[0]))
        sums.add(part_weights, p_true, hit)
    blocks = [row_bins_block(rb, n, bins) for rb in
              [*(b.result() for b in binners[:-1]), *(class_bins or [])]]
    return blocks, row_bins_block(top_binner.result(), n, bins), sums


def _class_counts(labels: IntArray, k: int) -> IntArray:
    """Each class's rows, counted a chunk at a time (``np.bincount`` of all byte labels at once
    would widen them to an n-length array of indices first)."""
    counts: IntArray = np.zeros(k, dtype=np.int64)
    for part in _chunks(labels.shape[0]):
        counts += np.bincount(labels[part], minlength=k)
    return counts


def multiclass_metrics_of(column: ClassColumn, labels: IntArray, weights: Optional[FloatArray],
                          names: Sequence[str], bins: int,
                          extremes: Optional[ClassExtremes] = None,
                          class_bins: Optional[Sequence[RowBins]] = None) -> JsonDict:
    """:func:`multiclass_metrics` of the class probabilities ``column(j, rows)``, asked for one
    class at a time (from ``BINNED_MIN_ROWS`` rows: in chunks of rows, every block on row
    bins, whose spans are ``extremes`` when the caller has them, else a first pass finds them,
    each class's block from its bins in ``class_bins`` when given, every group together;
    below: once each, whole, every block exact). Weights all 1 are taken as None (the same
    figures): unit weights aggregate by one sort of bool-labelled keys, not by ``np.unique``,
    and sum without products."""
    n = labels.shape[0]
    k = len(names)
    if weights is not None and bool(np.all(weights == 1.0)):
        weights = None
    total = float(n if weights is None else weights.sum())
    found = _binned_figures(column, labels, weights, k, bins, extremes, class_bins) \
        if n >= limits.BINNED_MIN_ROWS else None
    blocks, top_block, sums = found if found is not None else \
        _exact_figures(column, labels, weights, k, bins)
    per_class: JsonDict = dict(zip(names, blocks))
    aucs: dict[str, Optional[float]] = {}
    reasons: dict[str, str] = {}
    for name, block in zip(names, blocks):
        auc = block["auc"]
        aucs[name] = float(auc) if isinstance(auc, float) else None
        if auc is None:
            reasons[name] = f"class {name!r} is absent or is every row's label"
    defined = [a for a in aucs.values() if a is not None]
    class_weight = _class_counts(labels, k) if weights is None else \
        weighted_count(labels, weights, k)
    return {
        "n": n, "weight_sum": total, "classes": list(names),
        "class_counts": {name: int_if_integral(float(v)) for name, v in zip(names, class_weight)},
        "ece_equal_width": top_block["ece_equal_width"],
        "ece_equal_mass": top_block["ece_equal_mass"],
        "ece_definition": "top-label: confidence = highest class probability, outcome = "
                          "that class is the label",
        "top_label": top_block,
        "macro": {"ece_equal_width": float(np.mean([json_number(b["ece_equal_width"])
                                                    for b in blocks])),
                  "ece_equal_mass": float(np.mean([json_number(b["ece_equal_mass"])
                                                   for b in blocks])),
                  "definition": "mean over classes of the one-vs-rest (class-wise) figures"},
        "brier": (sums.squares - 2.0 * sums.p_true + total) / total,
        "brier_definition": "sum over classes of squared errors",
        "log_loss": -sums.log_p_true / total, "log_loss_clip_epsilon": CLIP_EPSILON,
        "log_loss_clipped_rows": sums.clipped,
        "accuracy": sums.correct / total,
        "auc_ovr": {"per_class": aucs, "null_reasons": reasons,
                    "macro": float(np.mean(defined)) if defined else None,
                    "macro_over_classes": len(defined),
                    "macro_null_reason": None if defined else "no class has both outcomes"},
        "per_class": per_class,
    }

