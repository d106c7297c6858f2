"""Cross-fitting folds from a stable row identity: the input file's relative name and the row's
place in it.

Each file's kept rows are dealt into folds on their own, stratified within each label
(:func:`~.crossfit.stratified_folds` with a random first fold per class), by a generator seeded
from a hash of ``CALIBRATION_SEED`` and the file's relative name. A row's fold therefore depends
on its file, its place among that file's kept rows and the labels there, never on which other
files are read with it: a run over a subset of the files (one instance of a sharded run) gives
its rows the folds a run over every file gives them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .crossfit import stratified_folds
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


def file_folds(strata: npt.ArrayLike, files: FileRows, folds: int, seed: int
               ) -> npt.NDArray[np.int8]:
    """Each kept row's fold: every file's rows (``files``, in row order) dealt on their own,
    stratified by ``strata``, seeded by :func:`file_seed`.

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
        part = slice(start, start + count)
        out[part] = stratified_folds(labels[part], folds, file_seed(seed, name), rotate=True)
        start += count
    return out


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
    classes = np.repeat(np.array([0, 1], dtype=np.int8), [negatives, positives])
    deal = stratified_folds(classes, folds, file_seed(seed, relative), rotate=True)
    return deal[:negatives], deal[negatives:]
