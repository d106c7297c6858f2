"""Folds from a stable row identity: each file's rows dealt on their own, stratified."""

from __future__ import annotations

import numpy as np
import pytest

from calibration_step.script.model_calibration.reading import Shard
from calibration_step.script.model_calibration.rowfolds import (FileRows, file_deal, file_folds,
                                                                  present_classes)


def _labels(rng: np.random.Generator, sizes: list[int]) -> list[np.ndarray]:
    return [(rng.uniform(size=n) < 0.3).astype(np.int8) for n in sizes]


def test_a_files_folds_do_not_depend_on_the_other_files_or_their_order() -> None:
    rng = np.random.default_rng(0)
    names = ["a.parquet", "b/c.parquet", "d.parquet"]
    parts = _labels(rng, [101, 57, 230])
    whole = file_folds(np.concatenate(parts), FileRows(tuple(names), tuple(map(len, parts))),
                       5, 42)
    alone = [file_folds(p, FileRows((n,), (len(p),)), 5, 42) for n, p in zip(names, parts)]
    np.testing.assert_array_equal(whole, np.concatenate(alone))
    reordered = file_folds(np.concatenate(parts[::-1]),
                           FileRows(tuple(names[::-1]), tuple(map(len, parts[::-1]))), 5, 42)
    np.testing.assert_array_equal(reordered, np.concatenate(alone[::-1]))
    # another seed or another name deals otherwise
    assert not np.array_equal(alone[0], file_folds(parts[0], FileRows(("a.parquet",), (101,)),
                                                   5, 43))
    assert not np.array_equal(alone[0], file_folds(parts[0], FileRows(("x.parquet",), (101,)),
                                                   5, 42))


def test_each_files_classes_are_spread_evenly_over_the_folds() -> None:
    rng = np.random.default_rng(1)
    parts = _labels(rng, [333, 1000])
    folds = file_folds(np.concatenate(parts), FileRows(("a", "b"), (333, 1000)), 4, 0)
    start = 0
    for part in parts:
        own = folds[start:start + len(part)]
        start += len(part)
        for cls in (0, 1):
            counts = np.bincount(own[part == cls], minlength=4)
            assert counts.max() - counts.min() <= 1


def test_the_extra_rows_of_many_small_files_land_on_every_fold() -> None:
    # one positive per file: a deal starting at fold 0 in every file would put them all there
    count = 200
    labels = np.tile(np.array([1, 0, 0], dtype=np.int8), count)
    files = FileRows(tuple(f"part-{i}.csv" for i in range(count)), (3,) * count)
    folds = file_folds(labels, files, 5, 0)
    per_fold = np.bincount(folds[labels == 1], minlength=5)
    assert per_fold.min() >= 20, per_fold


def test_kept_rows_are_counted_per_file_and_must_match_the_labels() -> None:
    shards = [Shard("a.csv", "csv", "/a.csv", ("s",), 3, 9), Shard("b.csv", "csv", "/b.csv",
                                                                   ("s",), 0, 9),
              Shard("c.csv", "csv", "/c.csv", ("s",), 2, 9)]
    files = FileRows.of(shards, np.array([True, False, True, False, True]))
    assert files == FileRows(("a.csv", "b.csv", "c.csv"), (2, 0, 1))
    with pytest.raises(ValueError, match="3 rows in the files, 4 labels"):
        file_folds(np.zeros(4, dtype=np.int8), files, 2, 0)


@pytest.mark.parametrize("folds", [5, 12])  # a table of permutations; a shuffle per block
def test_each_block_of_a_class_holds_every_fold_once(folds: int) -> None:
    labels = np.array([0, 1, 2] * 100 + [2] * 7, dtype=np.int8)  # three classes
    dealt = file_folds(labels, FileRows(("f.parquet",), (labels.shape[0],)), folds, 3)
    for cls in (0, 1, 2):
        own = dealt[labels == cls]
        whole = own.shape[0] // folds * folds
        blocks = np.sort(own[:whole].reshape(-1, folds), axis=1)
        np.testing.assert_array_equal(blocks, np.tile(np.arange(folds), (whole // folds, 1)))
        assert len(set(own[whole:].tolist())) == own.shape[0] - whole  # the rest: distinct


@pytest.mark.parametrize("folds", [5, 12])
def test_a_files_deal_per_class_is_its_folds_even_without_one_class(folds: int) -> None:
    for labels in (np.ones(23, dtype=np.int8), np.zeros(23, dtype=np.int8),
                   (np.arange(23) % 3 == 0).astype(np.int8)):
        whole = file_folds(labels, FileRows(("f",), (23,)), folds, 9)
        negatives, positives = file_deal(int((labels == 0).sum()), int(labels.sum()), "f",
                                         folds, 9)
        np.testing.assert_array_equal(whole[labels == 0], negatives)
        np.testing.assert_array_equal(whole[labels == 1], positives)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8"])
@pytest.mark.parametrize("values", [[0, 1], [0, 2, 5], [3, -1, 0], list(range(0, 40, 3))])
def test_present_byte_classes_are_those_a_count_of_their_bytes_finds(
        dtype: str, values: list[int]) -> None:
    """Spans under ``PRESENT_SCAN_SPAN`` are scanned value by value, wider ones counted: both
    give the classes in the order of their bytes (a missing class -1 last)."""
    if dtype == "bool" and max(values) > 1:
        pytest.skip("bool holds 0 and 1 only")
    rng = np.random.default_rng(len(values))
    labels = np.array(values, dtype=np.int64)[rng.integers(0, len(values), 500)].astype(dtype)
    labels[:len(values)] = np.array(values).astype(dtype)  # every value present
    by_count = np.flatnonzero(np.bincount(labels.view(np.uint8))).astype(dtype)
    found = present_classes(labels)
    assert found.dtype == labels.dtype
    np.testing.assert_array_equal(found, by_count)
    # a value inside the span that no row holds is not a class
    np.testing.assert_array_equal(present_classes(labels[labels != labels[1]]),
                                  by_count[by_count != labels[1]])
