"""Cross-fitting folds from a stable row identity: the input file's relative name and the row's
place in it.

Each file's kept rows are dealt into folds on their own, stratified within each label, by a
generator seeded from a hash of ``CALIBRATION_SEED`` and the file's relative name: each class's
rows, in row order, in blocks of as many rows as folds, each block a random permutation of the
folds (:func:`class_deal`). A row's fold therefore depends on its file, its place among that
file's kept rows and the labels there, never on which other files are read with it: a run over
a subset of the files (one instance of a sharded run) gives its rows the folds a run over every
file gives them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .numerics import BoolArray
from .reading import Shard


@dataclasses.dataclass(frozen=True)
class FileRows:
    """The kept rows' files, in row order: each file's relative name and its kept row count."""

    names: tuple[str, ...]
    counts: tuple[int, ...]

    @classmethod
    def of(cls, shards: Sequence[Shard], keep: BoolArray) -> FileRows:
        """The files of ``shards`` (rows in shard order) with their rows kept by ``keep``.

        >>> from calibration_step.script.model_calibration.reading import Shard
        >>> shards = [Shard("a.csv", "csv", "/a.csv", ("s",), 3, 9),
        ...           Shard("b.csv", "csv", "/b.csv", ("s",), 2, 9)]
        >>> FileRows.of(shards, np.array([True, False, True, True, True])).counts
        (2, 2)
        """
        counts = []
        start = 0
        for shard in shards:
            counts.append(int(np.count_nonzero(keep[start:start + shard.rows])))
            start += shard.rows
        return cls(tuple(s.relative for s in shards), tuple(counts))


def file_seed(seed: int, relative: str) -> int:
    """The seed of one file's fold deal: 64 bits of ``sha256(seed, relative name)``.

    >>> file_seed(0, "part-0.parquet") == file_seed(0, "part-0.parquet") != file_seed(1,
    ...     "part-0.parquet")
    True
    """
    digest = hashlib.sha256(f"{seed}\0{relative}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


TABLE_MAX_FOLDS = 8
"""Up to this many folds a block's permutation is drawn from a table of every permutation (at
most 8! = 40,320 rows of 8 bytes); above it each block is shuffled on its own."""


@functools.lru_cache(maxsize=None)
def _permutations(folds: int) -> npt.NDArray[np.int8]:
    return np.array(list(itertools.permutations(range(folds))), dtype=np.int8)


def class_deal(count: int, folds: int, rng: np.random.Generator) -> npt.NDArray[np.int8]:
    """The folds of one class's ``count`` rows, in row order: blocks of ``folds`` rows, each a
    random permutation of the folds, the last (shorter) block the first entries of one. Every
    fold gets the class's rows within one of an equal share, and which folds get one more is
    random. One draw per block: a shuffle of the dealt ids (a draw per row) took 0.14 s for
    1e7 rows here, the blocks' draws 0.02 s. No draw for no row.

    >>> deal = class_deal(7, 3, np.random.default_rng(0))
    >>> sorted(deal[:3].tolist()) == sorted(deal[3:6].tolist()) == [0, 1, 2]
    True
    >>> class_deal(0, 3, np.random.default_rng(0)).shape
    (0,)
    """
    blocks = -(-count // folds)
    if folds <= TABLE_MAX_FOLDS:
        table = _permutations(folds)
        deal = table[rng.integers(table.shape[0], size=blocks)].reshape(-1)
    else:
        deal = rng.permuted(np.tile(np.arange(folds, dtype=np.int8), (blocks, 1)),
                            axis=1).reshape(-1)
    return deal[:count]


def file_folds(strata: npt.ArrayLike, files: FileRows, folds: int, seed: int
               ) -> npt.NDArray[np.int8]:
    """Each kept row's fold: every file's rows (``files``, in row order) dealt on their own,
    each class of ``strata`` present there in increasing order by :func:`class_deal`, from
    one generator seeded by :func:`file_seed`.

    >>> y = np.array([0, 1, 0, 1, 1, 0], dtype=np.int8)
    >>> whole = file_folds(y, FileRows(("a", "b"), (4, 2)), 2, 7)
    >>> bool((whole[4:] == file_folds(y[4:], FileRows(("b",), (2,)), 2, 7)).all())
    True
    """
    labels = np.asarray(strata)
    if sum(files.counts) != labels.shape[0]:
        raise ValueError(f"{sum(files.counts)} rows in the files, {labels.shape[0]} labels")
    out = np.empty(labels.shape[0], dtype=np.int8)
    start = 0
    for name, count in zip(files.names, files.counts):
        part = labels[start:start + count]
        own = out[start:start + count]
        rng = np.random.default_rng(file_seed(seed, name))
        for cls in present_classes(part):
            rows = np.flatnonzero(part == cls)
            own[rows] = class_deal(rows.shape[0], folds, rng)
        start += count
    return out


PRESENT_SCAN_SPAN = 16
"""Byte labels spanning fewer values than this are looked for value by value
(:func:`present_classes`): ``np.bincount`` widens every label to an index first."""


def present_classes(labels: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """The classes present in ``labels``, in increasing order (of their bytes for byte labels,
    found from their span, not a sort of every label).

    >>> present_classes(np.array([1, 0, 1], dtype=np.int8)).tolist()
    [0, 1]
    """
    if labels.dtype in (np.bool_, np.int8, np.uint8) and labels.shape[0]:
        codes = labels.view(np.uint8)  # in the byte order of the count below
        low, high = int(codes.min()), int(codes.max())
        if high - low < PRESENT_SCAN_SPAN:  # a few compares of bytes, not a count of intp
            present = [c for c in range(low, high + 1)
                       if c in (low, high) or bool(np.any(codes == c))]
            return np.array(present).astype(labels.dtype)
        return np.flatnonzero(np.bincount(codes, minlength=2)).astype(labels.dtype)
    return np.unique(labels)


def file_deal(negatives: int, positives: int, relative: str, folds: int, seed: int
              ) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """The folds :func:`file_folds` deals a file's kept negative rows and its kept positive rows,
    each class's in row order: all a pass over the file in chunks needs (the deal depends on
    the file's class counts only).

    >>> y = np.array([1, 0, 0, 1, 0], dtype=np.int8)
    >>> whole = file_folds(y, FileRows(("a",), (5,)), 2, 3)
    >>> neg, pos = file_deal(3, 2, "a", 2, 3)
    >>> whole[y == 0].tolist() == neg.tolist() and whole[y == 1].tolist() == pos.tolist()
    True
    """
    rng = np.random.default_rng(file_seed(seed, relative))
    return class_deal(negatives, folds, rng), class_deal(positives, folds, rng)
