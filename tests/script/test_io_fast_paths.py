"""The fast paths of reading and parsing give what the general paths give: the same values, or
the same error (code and message)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.columns import (_checked_scores, _factorized_labels,
                                                               label_values, parse_labels,
                                                               parse_weights)
from calibration_step.script.model_calibration.inputs import task_data
from calibration_step.script.model_calibration.knots import (KnotSearch, KnotTable,
                                                              interpolate_knots)
from calibration_step.script.model_calibration.reading import Shard


LABEL_COLUMNS = [
    pd.Series([0, 1, 1, 0], dtype=np.int64),
    pd.Series([0, 1, 1], dtype=np.uint8),
    pd.Series([1, 1], dtype=np.int32),
    pd.Series([True, False, True]),
    pd.Series([0.0, 1.0, np.nan, -0.0], dtype=np.float64),
    pd.Series([1.0, 0.0], dtype=np.float32),
    pd.Series([np.nan, np.nan]),
    pd.Series([], dtype=np.int64),
    pd.Series([], dtype=np.float64),
    pd.Series([0, 2, 1], dtype=np.int64),
    pd.Series([-1, 0], dtype=np.int64),
    pd.Series([0.0, 0.5, np.nan]),
    pd.Series([1.0, np.inf]),
    pd.Series([0.0, -np.inf]),
    pd.Series([2, 3], dtype=np.uint64),
]

SCORE_COLUMNS = [
    pd.Series([0.1, 0.9, 0.5]),
    pd.Series([0.0, 1.0]),
    pd.Series([0.25, 0.75], dtype=np.float32),
    pd.Series([0, 1, 1], dtype=np.int64),
    pd.Series([-3.0, 7.5]),
    pd.Series([0.2, np.nan, 0.4]),
    pd.Series([np.nan, np.nan]),
    pd.Series([], dtype=np.float64),
    pd.Series([0.5, 1.5, -0.5, np.nan]),
    pd.Series([0.5, np.inf]),
    pd.Series([-np.inf, 0.5]),
    pd.Series([-2, 5], dtype=np.int16),
    pd.Series([np.nan, -1.0]),
]


def _outcome(parse: Callable[[], np.ndarray]) -> tuple[str, object]:
    try:
        values = parse()
    except mc.CalibrationScriptError as exc:
        return "error", str(exc)
    return "values", [None if math.isnan(v) else v for v in values.tolist()]


@pytest.mark.parametrize("series", LABEL_COLUMNS, ids=lambda s: f"{s.dtype}:{s.tolist()}")
def test_numeric_labels_parse_as_the_general_path_does(series: pd.Series) -> None:
    general = _outcome(lambda: _factorized_labels(series, "y"))
    assert _outcome(lambda: parse_labels(series, "y")) == general
    if general[0] == "values":
        assert parse_labels(series, "y").dtype == np.float64
    parts = _outcome(lambda: np.concatenate([label_values(series, "y")], dtype=np.float64))
    assert parts == general


def test_numeric_label_errors_name_the_bad_values() -> None:
    with pytest.raises(mc.CalibrationScriptError, match="MC-E208-INVALID-LABEL.*2"):
        parse_labels(pd.Series([0, 2, 1]), "label")


def test_label_errors_say_how_the_labels_they_found_are_fixed() -> None:
    def hint(labels: list[object]) -> str:
        with pytest.raises(mc.CalibrationScriptError, match="MC-E208-INVALID-LABEL") as raised:
            parse_labels(pd.Series(labels), "label")
        return raised.value.hint

    assert "map -1 and 1 to 0 and 1 upstream" in hint([-1, 1, 1, -1])
    assert "map 'no' and 'yes' to 0 and 1 upstream" in hint(["yes", "no", "", "yes"])
    assert "3 distinct labels are a multi-class task: set IS_BINARY=false and NUM_CLASSES=3" in \
        hint([0, 1, 2, 1])
    assert "holds 500 distinct values: check that LABEL_FIELD" in hint(
        list(np.linspace(0.0, 1.0, 500)))


@pytest.mark.parametrize("space", ["probability", "logit"])
@pytest.mark.parametrize("series", SCORE_COLUMNS, ids=lambda s: f"{s.dtype}:{s.tolist()}")
def test_numeric_scores_parse_as_the_general_path_does(series: pd.Series, space: str) -> None:
    general = _outcome(lambda: _checked_scores(series, "s", space))
    assert _outcome(lambda: mc.parse_scores(series, "s", space)) == general


def _shards(*columns: pd.Series) -> list[Shard]:
    return [Shard(f"p{i}.parquet", "parquet", f"p{i}.parquet", ("s", "y", "w"), len(c),
                  0, False, {"s": pd.Series(np.full(len(c), 0.5)),
                             "y": pd.Series(np.zeros(len(c), dtype=np.int64)), "w": c})
            for i, c in enumerate(columns)]


@pytest.mark.parametrize("weights", [
    [pd.Series([1.0, 2.0]), pd.Series([0, 3], dtype=np.int64)],
    [pd.Series([1.0, np.nan]), pd.Series([np.nan, np.nan])],
    [pd.Series([1.0, -2.0])],
    [pd.Series([np.nan, np.inf])],
    [pd.Series([np.nan, -np.inf]), pd.Series([1.0])],
    [pd.Series([], dtype=np.float64)],
    [pd.Series([None, None], dtype=object), pd.Series([2.0, 1.0])],
    [pd.Series(["a", "b"])],
], ids=str)
def test_weights_parse_as_each_value_checked(weights: list[pd.Series]) -> None:
    settings = mc.read_settings({"WEIGHT_FIELD": "w", "SCORE_FIELD": "s", "LABEL_FIELD": "y"})
    try:
        parsed = parse_weights(_shards(*weights), settings)
    except mc.CalibrationScriptError as exc:
        got: tuple[str, object] = ("error", exc.code)
    else:
        assert parsed is not None
        got = ("values", [None if math.isnan(v) else v for v in parsed.tolist()])
    every = np.concatenate([np.full(len(w), np.nan) if w.isna().all() else
                            pd.to_numeric(w, errors="coerce").to_numpy(np.float64, na_value=np.nan)
                            for w in weights])
    non_numeric = any(not w.isna().all() and not pd.api.types.is_numeric_dtype(w.dtype)
                      for w in weights)
    if non_numeric or ((every < 0) | np.isinf(every)).any():
        assert got == ("error", "MC-E211-INVALID-WEIGHT")
    else:
        assert got == ("values", [None if math.isnan(v) else v for v in every.tolist()])


def test_task_data_counts_and_keeps_as_before() -> None:
    settings = mc.read_settings({"SCORE_FIELD": "s", "LABEL_FIELD": "y"})
    shards = [Shard("a", "parquet", "a", ("s", "y"), 4, 0, False,
                    {"s": pd.Series([0.1, np.nan, 0.3, np.nan]),
                     "y": pd.Series([1.0, 0.0, np.nan, np.nan])}),
              Shard("b", "parquet", "b", ("s", "y"), 3, 0, False,
                    {"s": pd.Series([0.6, 0.7, 0.8]),
                     "y": pd.Series(["1", "false", None], dtype=object)}),
              Shard("c", "parquet", "c", ("s", "y"), 2, 0, False,
                    {"s": pd.Series([0.2, 0.9]), "y": pd.Series([0, 1], dtype=np.int64)})]
    data = task_data(shards, "s", "y", None, settings, "t")
    assert data.rows_read == 9
    assert (data.dropped_missing_score, data.dropped_missing_label) == (2, 2)
    assert data.keep.tolist() == [True, False, False, False, True, True, False, True, True]
    assert [None if math.isnan(v) else v for v in data.labels.tolist()] == [
        1.0, 0.0, None, None, 1.0, 0.0, None, 0.0, 1.0]
    assert data.labels.dtype == np.float64 and data.scores.dtype == np.float64


def _around(points: np.ndarray) -> np.ndarray:
    """The points, their neighbouring floats and the points' midpoints."""
    return np.concatenate([points, np.nextafter(points, -np.inf), np.nextafter(points, np.inf),
                           (points[:-1] + points[1:]) / 2])


def _between(lo: float, hi: float, u: np.ndarray) -> np.ndarray:
    return (1.0 - u) * lo + u * hi  # (no hi - lo: it overflows for the widest knots)


KNOT_SETS = {
    "logit grid": 1.0 / (1.0 + np.exp(-np.linspace(-7.0, 7.0, 2049))),
    # a fit on fine logit bins: knots crowd near 0 and 1, most buckets hold one knot or none
    "wide logit grid": 1.0 / (1.0 + np.exp(-np.linspace(-16.0, 15.0, 3001))),
    "steps": np.array([0.0, 0.1, 0.1, 0.1, 0.5, 0.5, 1.0]),
    "dense at one end": np.r_[np.geomspace(1e-300, 1e-3, 500), [0.5, 1.0]],
    "wide": np.array([-1e308, -1.0, 0.0, 1.0, 1e308]),
    "subnormal width": np.array([0.0, 5e-324, 1e-323]),
    "negative zero": np.array([-0.0, 0.0, 0.25]),
    "one width": np.array([3.0, 3.0, 3.0]),
}


@pytest.mark.parametrize("name", list(KNOT_SETS))
def test_bucketed_knot_search_is_searchsorted(name: str) -> None:
    knots = KNOT_SETS[name]
    rng = np.random.default_rng(7)
    values = np.concatenate([_around(knots), _between(knots[0], knots[-1], rng.uniform(0.0, 1.0, 50_000)),
                             rng.choice(knots, 20_000), [-0.0, 0.0, -1e308, 1e308]])
    values = values[np.isfinite(values)]
    for buckets in (4, 64, None):
        search = KnotSearch(knots, values, buckets=buckets)
        expected = np.searchsorted(knots, values, side="right")
        assert np.array_equal(search.right(values), expected), buckets
        # a chunk of the values, as interpolate_knots asks for
        assert np.array_equal(search.right(values[:1000]), expected[:1000])


def test_knot_search_falls_back_for_values_that_are_not_finite() -> None:
    knots = KNOT_SETS["logit grid"]
    values = np.r_[np.linspace(0.0, 1.0, 100_000), np.nan, np.inf, -np.inf]
    search = KnotSearch(knots, values)
    assert search.first is None
    assert np.array_equal(search.right(values), np.searchsorted(knots, values, side="right"))


def test_interpolation_through_the_bucketed_search_stays_monotone_and_equal() -> None:
    knots_x = KNOT_SETS["logit grid"]
    knots_y = np.sort(np.random.default_rng(3).uniform(0.0, 1.0, knots_x.shape[0]))
    s = np.sort(np.concatenate([_around(knots_x), np.linspace(0.0, 1.0, 200_001)]))
    fast = interpolate_knots(s, knots_x, knots_y)
    slow = np.concatenate([interpolate_knots(s[i:i + 100], knots_x, knots_y)
                           for i in range(0, s.shape[0], 100)])  # too few rows: searchsorted
    assert np.array_equal(fast, slow)
    assert (np.diff(fast) >= 0.0).all()


def _bounded_interp(s: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``np.interp``'s formula with its bounds written out: each score's offset in its segment
    capped at the segment's width, the value clipped to the y of the segment's two knots."""
    j = np.maximum(np.searchsorted(x, s, side="right") - 1, 0)
    dx = np.r_[np.diff(x), 0.0]
    ends = np.r_[y[1:], y[-1:]]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope = np.where(dx > 0.0, (ends - y) / np.where(dx > 0.0, dx, 1.0), 0.0)
        value = y[j] + slope[j] * np.minimum(s - x[j], dx[j])
    bounded: np.ndarray = np.fmin(np.fmax(value, np.minimum(y, ends)[j]), np.maximum(y, ends)[j])
    return bounded


@pytest.mark.parametrize("name", list(KNOT_SETS))
@pytest.mark.parametrize("order", ["rising", "falling", "mixed"])
def test_interpolation_is_the_bounded_formula_to_the_bit(name: str, order: str) -> None:
    knots_x = KNOT_SETS[name]
    rng = np.random.default_rng(11)
    knots_y = rng.uniform(0.0, 1.0, knots_x.shape[0])
    if order != "mixed":
        knots_y = np.sort(knots_y)[::1 if order == "rising" else -1].copy()
    s = np.concatenate([_around(knots_x), _between(knots_x[0], knots_x[-1],
                                                   rng.uniform(0.0, 1.0, 100_000))])
    s = s[np.isfinite(s)]
    ours = interpolate_knots(s, knots_x, knots_y)
    assert np.array_equal(ours.view(np.uint64), _bounded_interp(s, knots_x, knots_y).view(np.uint64))


@pytest.mark.parametrize("name", ["logit grid", "steps", "dense at one end", "subnormal width"])
def test_a_knot_table_made_once_gives_each_arrays_interpolation(name: str) -> None:
    """A table made without the scores (its buckets built for any number of them) gives, for
    arrays of a few scores and of many, what ``interpolate_knots`` gives for each."""
    knots_x = KNOT_SETS[name]
    rng = np.random.default_rng(5)
    knots_y = np.sort(rng.uniform(0.0, 1.0, knots_x.shape[0]))
    table = KnotTable(knots_x, knots_y)
    many = np.concatenate([_around(knots_x), _between(knots_x[0], knots_x[-1],
                                                      rng.uniform(0.0, 1.0, 100_000))])
    for s in (many[:7], many[-3:], many, many[::-1].copy()):
        assert np.array_equal(table(s).view(np.uint64),
                              interpolate_knots(s, knots_x, knots_y).view(np.uint64))
