"""Parsing the columns of the input data: scores, labels (binary or class) and weights.

Scores must be numeric (``MC-E206``) and, as probabilities, in [0, 1] (``MC-E207``); binary
labels may be 0/1, 0.0/1.0, booleans or the strings "0", "1", "true", "false" in any case
(``MC-E208``); class labels compare to the categories as strings (``" cat "`` is ``cat``, the
numbers ``7``, ``7.0`` and the text ``"7.0"`` are category ``7``). Weights must be finite and
>= 0 (``MC-E211``). Missing values become NaN, for the caller to drop and count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import CalibrationScriptError, Code, quoted
from ..interface import ModelCalibrationEnv
from ..setting_rules import label_key
from .logs import logger
from .numerics import BoolArray, FloatArray, LabelArray
from .reading import Shard
from .settings import Settings

_MULTICLASS_HINT_LABELS = 100
"""Up to this many distinct values, ``MC-E208``'s hint takes binary labels that are not 0/1
for a multi-class task's labels; beyond it, for a column that holds no labels at all."""
_LABEL_WORDS = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0, "true": 1.0, "false": 0.0}


def parse_labels(series: pd.Series, name: str) -> FloatArray:
    """Labels as 0.0/1.0 with NaN where missing; anything else raises ``MC-E208``.

    >>> parse_labels(pd.Series(["1", "false", None, "TRUE"]), "label").tolist()
    [1.0, 0.0, nan, 1.0]
    """
    values = _binary_label_values(series)
    return _factorized_labels(series, name) if values is None else values.astype(np.float64)


def _factorized_labels(series: pd.Series, name: str) -> FloatArray:
    """``parse_labels`` of any column: each distinct value parsed once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=np.float64)
    bad: list[str] = []
    labelled: list[str] = []  # every value that is not a missing label, quoted
    for i, value in enumerate(list(uniques)):
        parsed: Optional[float]
        if isinstance(value, (bool, np.bool_)):
            parsed = 1.0 if value else 0.0
        elif isinstance(value, (int, float, np.integer, np.floating)):
            parsed = float(value) if float(value) in (0.0, 1.0) else None
            if parsed is None and math.isnan(float(value)):
                parsed = math.nan
        elif isinstance(value, str):
            text = value.strip().lower()
            parsed = math.nan if text in ("", "nan", "null", "none") else _LABEL_WORDS.get(text)
        else:
            parsed = None
        if parsed is None:
            bad.append(quoted(value))
            labelled.append(bad[-1])
            parsed = math.nan
        elif not math.isnan(parsed):
            labelled.append(quoted(value))
        mapped[i] = parsed
    if bad:
        raise CalibrationScriptError(
            Code.MC_E208_INVALID_LABEL,
            f"column {name!r} holds non-binary labels: {', '.join(sorted(bad)[:5])}",
            _binary_labels_hint(labelled))
    mapped[-1] = math.nan
    result: FloatArray = mapped[codes]
    return result


def _binary_labels_hint(present: Sequence[str]) -> str:
    """How to fix binary labels that are not 0/1 or true/false, given the distinct labels
    present (missing ones left out, in any order): two labels are a binary task coded
    otherwise (-1/1, yes/no), a few more a multi-class task run as binary, many more not
    labels at all.

    >>> _binary_labels_hint(["'-1'", "'1'"])
    "labels must be 0/1, true/false or their strings: map '-1' and '1' to 0 and 1 upstream (1 for the positive class)"
    >>> _binary_labels_hint(["'0'", "'1'", "'2'"])
    'labels must be 0/1, true/false or their strings; 3 distinct labels are a multi-class task: set IS_BINARY=false and NUM_CLASSES=3 (or MULTICLASS_CATEGORIES to every label value), with one score column per class'
    >>> _binary_labels_hint([str(i / 1000) for i in range(1000)])
    'labels must be 0/1, true/false or their strings; the column holds 1000 distinct values: check that LABEL_FIELD names the label column'
    """
    rule = "labels must be 0/1, true/false or their strings"
    if len(present) == 2:
        first, second = sorted(present)
        return f"{rule}: map {first} and {second} to 0 and 1 upstream (1 for the positive class)"
    if 2 < len(present) <= _MULTICLASS_HINT_LABELS:
        return (f"{rule}; {len(present)} distinct labels are a multi-class task: set "
                f"{ModelCalibrationEnv.IS_BINARY.value}=false and "
                f"{ModelCalibrationEnv.NUM_CLASSES.value}={len(present)} (or "
                f"{ModelCalibrationEnv.MULTICLASS_CATEGORIES.value} to every label value), with "
                "one score column per class")
    if len(present) > _MULTICLASS_HINT_LABELS:
        return (f"{rule}; the column holds {len(present)} distinct values: check that "
                f"{ModelCalibrationEnv.LABEL_FIELD.value} names the label column")
    return rule


def _binary_label_values(series: pd.Series) -> Optional[npt.NDArray[Any]]:
    """The column's values, uncopied, when it is a numpy bool, integer or float column of 0, 1
    and NaN only (what ``parse_labels`` accepts of such a column); None otherwise, for
    ``parse_labels``' general path to parse or refuse (vectorised checks, no factorisation).

    >>> _binary_label_values(pd.Series([1, 0, 1])).tolist()
    [1, 0, 1]
    >>> _binary_label_values(pd.Series([0.0, 2.0])) is None
    True
    """
    dtype = series.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        return None
    values = series.to_numpy()
    if dtype.kind == "b" or values.size == 0:
        return values
    if dtype.kind in "iu":
        return values if values.min() >= 0 and values.max() <= 1 else None
    with np.errstate(invalid="ignore"):
        bad = (values != 0.0) & (values != 1.0)
        bad &= ~np.isnan(values)
    return None if bad.any() else values


def label_values(series: pd.Series, name: str) -> npt.NDArray[Any]:
    """``parse_labels``' result, or the same values uncopied in their own dtype (bool, integer
    or float) for a numeric 0/1 column: ``np.concatenate(..., dtype=np.float64)`` of the parts
    then makes the only copy."""
    values = _binary_label_values(series)
    return _factorized_labels(series, name) if values is None else values


def _all_missing(series: pd.Series) -> bool:
    """Whether the column has no value at all (no rows, or every cell missing)."""
    return bool(series.isna().all())


def parse_scores(series: pd.Series, name: str, score_space: str) -> FloatArray:
    """Scores as float64 (NaN where missing), validated for the score space.

    An empty or all-missing column has no score to check (its rows are dropped: ``MC-E210``),
    whatever type the reader gave it (a header-only CSV gives ``object``).

    >>> parse_scores(pd.Series([], dtype=object), "s", "probability").tolist()
    []
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf" and len(series):
        # A numpy number column (float64: no copy): when its min and max are finite and in
        # the space, no value needs looking at (NaN in the column makes them NaN).
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        lo, hi = float(values.min()), float(values.max())
        if math.isfinite(lo) and math.isfinite(hi) and (
                score_space != "probability" or (lo >= 0.0 and hi <= 1.0)):
            return values
    return _checked_scores(series, name, score_space)


def _checked_scores(series: pd.Series, name: str, score_space: str) -> FloatArray:
    """``parse_scores`` of any column, every value looked at."""
    if _all_missing(series):
        return np.full(len(series), np.nan)
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
            series.dtype):
        raise CalibrationScriptError(Code.MC_E206_NON_NUMERIC_SCORE,
                                     f"column {name!r} has non-numeric type {series.dtype}",
                                     "scores must be numbers (probabilities or margins)")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[~np.isnan(values)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if score_space == "probability" and (lo < 0.0 or hi > 1.0):
            bad = int(np.count_nonzero((finite < 0.0) | (finite > 1.0)))
            raise CalibrationScriptError(
                Code.MC_E207_SCORE_OUT_OF_RANGE,
                f"column {name!r}: {bad} scores outside [0, 1] (min {lo}, max {hi})",
                "set SCORE_SPACE=logit for raw margins, or fix the scores")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise CalibrationScriptError(
                Code.MC_E207_SCORE_OUT_OF_RANGE, f"column {name!r} holds infinite scores",
                "scores must be finite")
    return values


def require_columns(shards: Sequence[Shard], fields: Sequence[str], hint: str) -> None:
    """``MC-E205-MISSING-COLUMN`` when the shards (which share one schema) lack a field."""
    columns = list(shards[0].columns)
    for field in fields:
        if field not in columns:
            raise CalibrationScriptError(
                Code.MC_E205_MISSING_COLUMN,
                f"column {quoted(field)} not found; columns present: {quoted(columns)}",
                hint)


def parse_weights(shards: Sequence[Shard], settings: Settings) -> Optional[FloatArray]:
    """WEIGHT_FIELD as float64 (NaN where missing); negative, infinite or non-numeric: MC-E211."""
    if not settings.weight_field:
        return None
    name = settings.weight_field
    require_columns(shards, [name], "set WEIGHT_FIELD to an existing column, or leave it empty")
    parts = []
    for shard in shards:
        series = shard.fitting[name]
        numbers = isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf"
        if not numbers and _all_missing(series):  # (a number column is NaN there anyway)
            parts.append(np.full(len(series), np.nan))
            continue
        if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
                series.dtype):
            raise CalibrationScriptError(
                Code.MC_E211_INVALID_WEIGHT,
                f"weight column {name!r} has non-numeric type {series.dtype}",
                "weights must be finite numbers >= 0")
        parts.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
    weights = np.concatenate(parts)
    lo, hi = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
    if lo >= 0.0 and hi < math.inf:  # (False with a NaN weight: then look at each)
        return weights
    bad = (weights < 0.0) | np.isinf(weights)
    if bad.any():
        raise CalibrationScriptError(
            Code.MC_E211_INVALID_WEIGHT,
            f"weight column {name!r} holds {int(bad.sum())} negative or infinite values "
            f"(min {float(np.nanmin(weights))})",
            "weights must be finite numbers >= 0")
    return weights


WEIGHT_SAFE_RANGE = (2.0 ** -64, 2.0 ** 64)
"""Largest kept weight outside this range: the weights are rescaled (sums would overflow or
underflow in the fits and metrics)."""


def sampling_weights(weights: Optional[FloatArray], negatives: BoolArray, rate: float,
                     top: Optional[float] = None) -> FloatArray:
    """The row weights with each negative standing for ``1 / rate`` rows (negatives kept with
    probability ``rate``). Where the product would overflow, the weights are first divided by a
    power of two (exact; the calibration depends on weight ratios only, see
    :func:`rescale_weights`). ``top`` is the largest finite weight of every row (None: of
    ``weights``; a pass over the files in chunks gives it from a first pass).

    >>> sampling_weights(None, np.array([True, False]), 0.25).tolist()
    [4.0, 1.0]
    >>> sampling_weights(np.array([2.0**1023, 2.0**1000]), np.array([True, False]), 0.25).tolist() == [
    ...     2.0, 2.0**-24]
    True
    """
    factor = 1.0 / rate
    if weights is None:
        out: FloatArray = np.where(negatives, factor, 1.0)
        return out
    if top is None:
        finite = weights[np.isfinite(weights)]
        top = float(np.max(np.abs(finite))) if finite.size else 0.0
    if top * factor > np.finfo(np.float64).max:
        weights = weights * math.ldexp(1.0, -math.frexp(top)[1])  # the largest into [0.5, 1)
    out = np.where(negatives, weights * factor, weights)
    return out


def weight_scale(top: float) -> float:
    """The power of two :func:`rescale_weights` divides every weight by when the largest kept
    weight is ``top`` (1.0 when ``top`` is within WEIGHT_SAFE_RANGE, 0 or not finite).

    >>> weight_scale(3.0), weight_scale(2.0 ** 70)
    (1.0, 1.1805916207174113e+21)
    """
    if top == 0.0 or not math.isfinite(top) or WEIGHT_SAFE_RANGE[0] <= top <= WEIGHT_SAFE_RANGE[1]:
        return 1.0
    return math.ldexp(1.0, math.frexp(top)[1] - 1)


def rescale_weights(weights: Optional[FloatArray], keep: BoolArray) -> Optional[FloatArray]:
    """Weights divided by a power of two when the largest kept one is outside WEIGHT_SAFE_RANGE.

    The division is exact and brings the largest kept weight into [1, 2). The unpenalised fits
    (isotonic, platt, beta, temperature) and every metric depend on weight ratios only; for gam
    the rescaling sets the data's weight against the penalty as if the largest weight were 1.
    Sums such as ``weight_sum`` are then reported in the rescaled unit.

    >>> rescale_weights(np.array([2.0 ** 70, 2.0 ** 68, np.nan]), np.array([True, True, True])
    ...                 ).tolist()
    [1.0, 0.25, nan]
    >>> rescale_weights(np.array([3.0, 0.5]), np.array([True, True])).tolist()
    [3.0, 0.5]
    """
    if weights is None:
        return None
    kept = weights[keep & ~np.isnan(weights)]
    top = float(kept.max()) if kept.size else 0.0
    scale = weight_scale(top)
    if scale == 1.0:
        return weights
    logger.warning("the largest weight is %g: every weight is divided by %g (exact; the "
                   "calibration does not depend on the weights' unit)", top, scale)
    with np.errstate(over="ignore"):  # a dropped row's weight may overflow: it is never used
        out: FloatArray = weights / scale
    return out


def _category_name(value: object) -> Optional[str]:
    """A label value as a category name: integral numbers as integers, strings stripped."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, str):
        text = value.strip()
        return None if text.lower() in ("", "nan", "null", "none") else text
    return str(value)


MISSING_CLASS = -1
"""The class index of a row whose label is missing."""


def class_index_dtype(classes: int) -> type[np.signedinteger[Any]]:
    """The integer type of class indices: one byte a row up to 127 classes (with
    :data:`MISSING_CLASS`), else eight.

    >>> class_index_dtype(3).__name__, class_index_dtype(200).__name__
    ('int8', 'int64')
    """
    return np.int8 if classes <= 127 else np.int64


def parse_class_labels(series: pd.Series, name: str, categories: Sequence[str]
                       ) -> LabelArray:
    """Class indices (:func:`class_index_dtype` of the categories; :data:`MISSING_CLASS` where
    missing); labels compare to categories as strings, ``1.0`` as 1.

    >>> parse_class_labels(pd.Series([2.0, "a", None]), "y", ["a", "2"]).tolist()
    [1, 0, -1]
    """
    index = {category: i for i, category in enumerate(categories)}
    kind = class_index_dtype(len(categories))
    dtype = series.dtype
    # signed integers of any width, unsigned below 64 bits (whose span fits an int64)
    if isinstance(dtype, np.dtype) and (dtype.kind == "i" or (
            dtype.kind == "u" and dtype.itemsize < 8)) and len(series):
        values = series.to_numpy()
        low, high = int(values.min()), int(values.max())
        if high - low < INTEGER_LABEL_SPAN:  # one lookup a row, not a hash table
            offsets = values - low if low else values
            present = np.flatnonzero(np.bincount(offsets))
            by_offset = np.full(high - low + 1, MISSING_CLASS, dtype=kind)
            by_offset[present] = _class_table((present + low).tolist(), name, categories, index)
            result: LabelArray = by_offset.take(offsets)
            return result
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # the sentinel -1 takes the last entry: the missing class
    mapped = np.append(_class_table(list(uniques), name, categories, index),
                       MISSING_CLASS).astype(kind)
    out: LabelArray = mapped[codes]
    return out


INTEGER_LABEL_SPAN = 1 << 16
"""Integer labels spanning fewer values than this are mapped to class indices by a table over
their span (one lookup a row) instead of by hashing every row."""


def _class_table(uniques: Sequence[object], name: str, categories: Sequence[str],
                 index: dict[str, int]) -> npt.NDArray[np.int64]:
    """The class index of each distinct label value (:data:`MISSING_CLASS` where missing);
    ``MC-E208`` naming the values that are not categories."""
    mapped = np.empty(len(uniques), dtype=np.int64)
    bad: list[str] = []
    bad_keys: list[str] = []
    for i, value in enumerate(uniques):
        category = _category_name(value)
        if category is None:
            mapped[i] = MISSING_CLASS
        elif category in index:
            mapped[i] = index[category]
        elif label_key(category) in index:
            mapped[i] = index[label_key(category)]
        else:
            bad.append(quoted(value))
            bad_keys.append(label_key(category))
            mapped[i] = MISSING_CLASS
    if bad:
        raise CalibrationScriptError(
            Code.MC_E208_INVALID_LABEL,
            f"column {name!r} holds labels that are not categories: "
            f"{', '.join(sorted(bad)[:5])}; categories are {list(categories)[:20]}",
            _unknown_labels_hint(categories, bad_keys))
    return mapped


def _unknown_labels_hint(categories: Sequence[str], bad_keys: Sequence[str]) -> str:
    """How to fix labels outside the categories: where the categories are ``NUM_CLASSES``'
    ``0 .. K-1`` and with the labels outside them fill ``0 .. top``, ``NUM_CLASSES=top + 1``.

    >>> _unknown_labels_hint(["0", "1"], ["6", "2", "3", "4", "5"])
    'set NUM_CLASSES=7 (the labels run from 0 to 6), or MULTICLASS_CATEGORIES to every label value'
    >>> _unknown_labels_hint(["0", "1"], ["6"])
    'set MULTICLASS_CATEGORIES (or NUM_CLASSES) to every label value'
    """
    numbered = list(categories) == [str(c) for c in range(len(categories))]
    if numbered and all(key.isascii() and key.isdecimal() for key in bad_keys):  # not '²'
        labels = {int(key) for key in (*categories, *bad_keys)}
        if len(labels) == max(labels) + 1:
            return (f"set {ModelCalibrationEnv.NUM_CLASSES.value}={len(labels)} (the labels run "
                    f"from 0 to {len(labels) - 1}), or "
                    f"{ModelCalibrationEnv.MULTICLASS_CATEGORIES.value} to every label value")
    return (f"set {ModelCalibrationEnv.MULTICLASS_CATEGORIES.value} (or "
            f"{ModelCalibrationEnv.NUM_CLASSES.value}) to every label value")
