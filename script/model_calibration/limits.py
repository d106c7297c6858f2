"""Row counts that set how the script works through its rows: chunk sizes, and the task size
from which a binary task is fitted and evaluated on row bins.

The chunk sizes change no result (the chunks' sums are the same additions in the same order),
only the size of the temporaries; ``BINNED_MIN_ROWS`` chooses the binned path. Every module reads
them as ``limits.NAME`` when it runs, so a test that sets one here changes it for every module.
"""

from __future__ import annotations

METRICS_CHUNK_ROWS = 1 << 18
"""Predictions per chunk of the metrics' passes (no n-length temporary)."""

APPLY_CHUNK_ROWS = 1 << 16
"""Rows interpolated at a time by ``interpolate_knots`` (temporaries stay in cache)."""

BIN_CHUNK_ROWS = 1 << 20
"""Rows per chunk of the passes over every row: binning, the temperature sums, the logistic fit
on every row and the count of rows whose one-vs-rest outputs are all 0."""

CLASS_CHUNK_VALUES = 1 << 14
"""Class scores per chunk of the vector and dirichlet passes (rows x classes): their dozen
temporaries of that size then stay in the processor's cache (2 to 5 times faster here than
chunks of ``BIN_CHUNK_ROWS``)."""

WRITE_CHUNK_ROWS = 1 << 20
"""Rows of a csv/tsv shard read, calibrated and written at a time when the outputs are written."""

JSON_CHUNK_RECORDS = 1 << 17
"""At most this many lines of a JSON-lines file are parsed at a time (the duplicate-key scan's
chunk, a streamed pass's, or one read, calibrated and written; at most ``BIN_CHUNK_ROWS`` or
``WRITE_CHUNK_ROWS``): Arrow's table of them, or, for a chunk left to Python or pandas, a
Python object of several hundred bytes a record until its frame is built."""

BINNED_MIN_ROWS = 1 << 21
"""Binary tasks with at least this many kept rows are cross-fitted and evaluated on row bins
(``rowbins.RowBins``, see ``binned.run_task_binned``)."""

STREAM_MIN_ROWS = 1 << 21
"""A binary or multi-task job whose input files are all parquet, csv, tsv or JSON lines and hold
at least this many rows is run streamed (``streaming.run_streamed``): its rows are read in
chunks, twice (the first pass also counts a csv/tsv file's rows), and never held (when every
task keeps at least ``BINNED_MIN_ROWS`` of them)."""

AUTO_SUBSAMPLE_MIN_ROWS = 1 << 21
"""From this many rows ``auto`` chooses its method on a stratified subsample of about
``AUTO_SELECTION_ROWS`` of them (``crossfit.selection_sample``: a multi-class job, or a binary
task whose rows the binned path declines; other binary and multi-task tasks this large select
on their row bins) and fits the choice on every row."""

AUTO_SELECTION_ROWS = 1 << 16
"""About this many rows make the subsample ``auto`` chooses on from ``AUTO_SUBSAMPLE_MIN_ROWS``
rows (a multi-class run's 6 selections share one of ``AUTO_SHARED_SELECTION_ROWS`` instead,
where ``sampledselection`` applies), so its cost grows with this size (docs/performance.md
measures the choice against one on every row)."""

AUTO_SHARED_SELECTION_ROWS = 1 << 14
"""About this many rows make the one subsample that a multi-class run's 6 selections share
from ``AUTO_SUBSAMPLE_MIN_ROWS`` rows (``sampledselection``; a quarter of
``AUTO_SELECTION_ROWS``, its 4/5 in a fold's selection still above ``MIXTURE_MAX_ROWS``): their
cost grows with it (docs/performance.md measures the choices against those on
``AUTO_SELECTION_ROWS``)."""

SCALING_FOLDS_MIN_ROWS = 1 << 21
"""From this many kept rows ``vector`` and ``dirichlet`` fit the shipped calibrator and every
cross-fitting fold's from shared passes over the rows (``scalingfolds.fit_scaling_folds``: each
fold's fit one Newton step from the full fit's last pass, its error measured in
docs/methods.md); below, each fold is fitted to convergence on its own rows."""

SCALING_START_ROWS = 1 << 17
"""About this many rows make the stratified subsample whose fit starts the full ``vector`` or
``dirichlet`` fit from ``SCALING_FOLDS_MIN_ROWS`` rows (and whose Hessian takes its first step:
Newton's method then needs a pass for the gradient and one or two with the Hessian)."""
