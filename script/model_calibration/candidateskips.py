"""The candidates ``auto`` leaves unfitted on a selection, and why: each is recorded in the
selection as ``{"status": "skipped", "reason": ...}``, and naming the method in
CALIBRATION_METHOD fits it whatever the rows or classes.

- venn_abers above ``AUTO_VENN_ABERS_MAX_ROWS`` rows (isotonic a candidate too), or on the
  subsample of many rows a multi-class ``auto`` selects on;
- isotonic below ``AUTO_ISOTONIC_MIN_ROWS`` binary rows (venn_abers a candidate too);
- dirichlet above ``AUTO_DIRICHLET_MAX_CLASSES`` classes (vector a candidate too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from .jsonvalues import JsonDict

AUTO_VENN_ABERS_MAX_ROWS = 20_000
"""``auto`` skips venn_abers above this many rows when isotonic is a candidate too: its fit is a
Python pass over the distinct scores (a second a hundred thousand), and on that many rows its
``p0``-``p1`` interval is narrow, so it is isotonic's fit within about one row's share;
CALIBRATION_METHOD=venn_abers fits it at any size."""
AUTO_ISOTONIC_MIN_ROWS = 100
"""``auto`` skips isotonic below this many rows when venn_abers is a candidate too: on a few
dozen rows isotonic's steps fit the rows' noise, take the stacked mixture's weight by luck in
the inner folds and lose on new rows; venn_abers, isotonic's fit with its small-sample interval,
stands in for it (measured: docs/methods.md); CALIBRATION_METHOD=isotonic fits it at any
size."""
AUTO_DIRICHLET_MAX_CLASSES = 32
"""``auto`` skips dirichlet above this many classes when vector is a candidate too: its
``k x k`` matrix is fitted by L-BFGS-B from 11 classes on, about 1 CPU second a fit on 3,000
rows at 20-30 classes, 7-12 s at 40-64 and minutes at 100, and ``auto`` fits each candidate
some 30 times (inner folds of six selections): at 100 classes an ``auto`` run took more than
15 minutes with it and 1.5 without; vector scaling, its diagonal, stands in for it (measured:
docs/methods.md); CALIBRATION_METHOD=dirichlet fits it up to ``DIRICHLET_MAX_CLASSES``."""


def skipped_candidate(method: str, rows: int, candidates: Sequence[str], binary: bool = True,
                      sampled: bool = False, classes: int = 2) -> Optional[JsonDict]:
    """The record of a candidate ``auto`` does not fit on ``rows`` rows of ``classes`` classes
    among ``candidates`` (``sampled``: a subsample of many more rows,
    :func:`~.crossfit.selection_sample`, which skips venn_abers whatever its size), or None; a
    multi-class selection (``binary`` False) skips no isotonic.

    >>> every = ("isotonic", "venn_abers")
    >>> skipped_candidate("venn_abers", 10**6, every)["status"]
    'skipped'
    >>> skipped_candidate("venn_abers", 10**6, ("venn_abers",)), skipped_candidate(
    ...     "venn_abers", 10**4, every)
    (None, None)
    >>> skipped_candidate("venn_abers", 10**4, ("venn_abers",), sampled=True)["status"]
    'skipped'
    >>> skipped_candidate("isotonic", 45, every)["status"], skipped_candidate(
    ...     "isotonic", 45, ("isotonic",)), skipped_candidate("isotonic", 171, every)
    ('skipped', None, None)
    >>> skipped_candidate("isotonic", 45, every, binary=False) is None
    True
    >>> scalings = ("vector", "dirichlet")
    >>> skipped_candidate("dirichlet", 5000, scalings, False, classes=100)["status"]
    'skipped'
    >>> skipped_candidate("dirichlet", 5000, scalings, False, classes=10), skipped_candidate(
    ...     "dirichlet", 5000, ("dirichlet",), False, classes=100)
    (None, None)
    """
    if method == "venn_abers" and sampled:
        return {"status": "skipped",
                "reason": "chosen on a subsample of many rows, the choice then fitted on every "
                          "row: there venn_abers' p0-p1 interval is narrow and its fit a Python "
                          "pass over the distinct scores (name it in CALIBRATION_METHOD to fit "
                          "it)"}
    if method == "venn_abers" and rows > AUTO_VENN_ABERS_MAX_ROWS and "isotonic" in candidates:
        return {"status": "skipped",
                "reason": f"{rows} rows > {AUTO_VENN_ABERS_MAX_ROWS}: venn_abers is isotonic's "
                          "fit within about one row's share there (name it in "
                          "CALIBRATION_METHOD to fit it)"}
    if method == "isotonic" and binary and rows < AUTO_ISOTONIC_MIN_ROWS and \
            "venn_abers" in candidates:
        return {"status": "skipped",
                "reason": f"{rows} rows < {AUTO_ISOTONIC_MIN_ROWS}: isotonic's steps fit the "
                          "rows' noise there; venn_abers stands in for it (name isotonic in "
                          "CALIBRATION_METHOD to fit it)"}
    if method == "dirichlet" and classes > AUTO_DIRICHLET_MAX_CLASSES and "vector" in candidates:
        return {"status": "skipped",
                "reason": f"{classes} classes > {AUTO_DIRICHLET_MAX_CLASSES}: dirichlet's "
                          f"{classes} x {classes} matrix takes seconds to minutes a fit there, "
                          "and auto fits each candidate in every inner fold; vector scaling, "
                          "its diagonal, stands in for it (name dirichlet in "
                          "CALIBRATION_METHOD to fit it)"}
    return None
