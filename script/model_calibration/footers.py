"""A parquet file's score column described by its footer: the column statistics every row group
records (minimum, maximum and null count), read without a value of the column.

A streamed run's first pass (:mod:`.streaming`) needs of a score column only its smallest and
largest kept score and whether a score is missing; where the footer says so, it skips reading
the column. Statistics do not count NaN (Arrow leaves NaN out of the minimum and maximum and
counts only nulls), so a file described here may still hold a NaN score: the streamed run's
second pass, which reads every score, checks that it holds none.
"""

from __future__ import annotations

import math
from typing import Optional

FLOAT_TYPES = ("FLOAT", "DOUBLE")
"""Parquet physical types whose statistics are the values the score parser gives (float64)."""


def score_range(path: str, field: str, space: str,
                rows: int) -> Optional[tuple[float, float]]:
    """The smallest and largest value of the float column ``field`` of the parquet file at
    ``path``, from its footer, when the file holds ``rows`` rows, every row group records the
    column's extremes and no null, and the values need no look at the rows: finite, and for
    ``space='probability'`` strictly between 0 and 1 (then no score sets the probability
    clip). None otherwise (the column must be read).

    >>> import os, tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> path = os.path.join(tempfile.mkdtemp(), "a.parquet")
    >>> pq.write_table(pa.table({"s": [0.25, 0.5, 0.75]}), path)
    >>> score_range(path, "s", "probability", 3)
    (0.25, 0.75)
    >>> pq.write_table(pa.table({"s": [0.25, None]}), path)
    >>> score_range(path, "s", "probability", 2) is None
    True
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; footer only

    metadata = pq.ParquetFile(path).metadata
    if int(metadata.num_rows) != rows:
        return None
    low, high = math.inf, -math.inf
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        if row_group.num_rows == 0:
            continue
        column = next((row_group.column(j) for j in range(row_group.num_columns)
                       if row_group.column(j).path_in_schema == field), None)
        if column is None or column.physical_type not in FLOAT_TYPES or \
                not column.is_stats_set:
            return None
        stats = column.statistics
        if not (stats.has_min_max and stats.has_null_count) or stats.null_count != 0:
            return None
        low, high = min(low, float(stats.min)), max(high, float(stats.max))
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if space == "probability" and not (0.0 < low and high < 1.0):
        return None
    return low, high
