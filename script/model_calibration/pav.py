"""The pool-adjacent-violators fit of the script's own, for rows at scale.

From ``BINNED_MIN_ROWS`` rows (the binned path: the fits on row bins and the exact fit from the
sorted rows) isotonic pools with :func:`pav_increasing`, so that path never imports
scikit-learn (about 1-1.5 s of CPU in a fresh process). Below, the exact path keeps
scikit-learn's ``isotonic_regression``. Both compute the one optimum; this one takes each
block's value as ``sum(k) / sum(n)`` of its points (for counts: correctly rounded), where
scikit-learn accumulates weighted means, so the two agree up to rounding (a few ulps).
"""

from __future__ import annotations

import numpy as np

from .numerics import FloatArray, IntArray

_FEW_MERGES = 8
"""A vectorised round that removes less than 1/``_FEW_MERGES`` of the blocks hands the rest to
the loop over a stack (the rounds are fast on many blocks, the loop on long cascades)."""


def pav_increasing(n: FloatArray, k: FloatArray) -> FloatArray:
    """The non-decreasing fit of the rates ``k / n`` weighted by ``n`` (every ``n > 0``): each
    point's value is the rate of its block, ``sum(k) / sum(n)`` over the block.

    Adjacent blocks whose rate does not rise belong to one block of the optimum (merging a
    violating pair is a step of pool-adjacent-violators; equal rates change nothing), so whole
    runs of them are pooled at once, in rounds over numpy arrays, while a round still removes
    many blocks; a loop over a stack of blocks finishes.

    >>> pav_increasing(np.array([1.0, 1.0, 2.0, 1.0]), np.array([1.0, 0.0, 1.0, 1.0])).tolist()
    [0.5, 0.5, 0.5, 1.0]
    >>> pav_increasing(np.array([], dtype=float), np.array([], dtype=float)).tolist()
    []
    """
    block_n, block_k = n, k
    size: IntArray = np.ones(n.shape[0], dtype=np.intp)
    while block_n.shape[0] > 1:
        count = block_n.shape[0]
        # block i + 1's rate above block i's: k[i + 1] / n[i + 1] > k[i] / n[i]
        rise = block_k[1:] * block_n[:-1] > block_k[:-1] * block_n[1:]
        heads = np.flatnonzero(np.r_[True, rise])
        if heads.shape[0] == count:
            break
        block_n = np.add.reduceat(block_n, heads)
        block_k = np.add.reduceat(block_k, heads)
        size = np.add.reduceat(size, heads)
        if count - heads.shape[0] < count // _FEW_MERGES:
            block_n, block_k, size = _pooled_by_stack(block_n, block_k, size)
            break
    rates = block_k / block_n
    fitted: FloatArray = np.repeat(rates, size)
    return fitted


def _pooled_by_stack(n: FloatArray, k: FloatArray, size: IntArray
                     ) -> tuple[FloatArray, FloatArray, IntArray]:
    """The blocks of the optimum from blocks ``(n, k, size)``, by one pass with a stack: each
    block is merged with the one before while that one's rate is higher."""
    sum_n: list[float] = []
    sum_k: list[float] = []
    sizes: list[int] = []
    for point_n, point_k, point_size in zip(n.tolist(), k.tolist(), size.tolist()):
        while sum_n and sum_k[-1] * point_n > point_k * sum_n[-1]:
            point_n += sum_n.pop()
            point_k += sum_k.pop()
            point_size += sizes.pop()
        sum_n.append(point_n)
        sum_k.append(point_k)
        sizes.append(point_size)
    return (np.asarray(sum_n, dtype=np.float64), np.asarray(sum_k, dtype=np.float64),
            np.asarray(sizes, dtype=np.intp))
