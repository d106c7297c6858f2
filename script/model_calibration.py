"""Model calibration processing script: binary, multi-task and multi-class calibration.

SageMaker uploads and runs this one file; it is also importable as
``calibration_step.script.model_calibration``. It never imports ``calibration_step`` and stays
compatible with Python 3.10 and scikit-learn 1.4 (the stock SageMaker scikit-learn image 1.4-2).
scikit-learn, scipy and matplotlib are imported lazily, only by the functions that need them, so
that importing this module (``load_calibrator`` / ``apply_calibrator``) stays cheap. pygam is not
used at run time: the ``gam`` method is fitted by the penalised IRLS below, whose objective is the
one of pygam's ``LogisticGAM(s(0, n_splines=GAM_SPLINES, constraints='monotonic_inc'))``.

Interface
---------
``main(input_paths, output_paths, environ, job_args)``: the keys of ``input_paths`` and
``output_paths`` are the contract's logical names; the command-line entry passes each one as an
argument of the same name (``--evaluation_data DIR``, the optional ``--calibration_model DIR``,
``--calibration_output DIR``, ``--metrics_output DIR``, ``--calibrated_data DIR``) plus
``--job_type``. There is no path literal in this file.

Job types (``--job_type``, default calibration):

- ``training`` and ``calibration`` fit a calibrator and evaluate it by cross-fitting. A
  ``training`` job logs (and records in ``metrics.warnings``) that the scores are in-sample.
  A ``calibration_model`` input given to them is ignored, with a warning.
- ``validation`` and ``testing`` fit nothing: they apply the calibrator given on the input
  ``calibration_model`` (a ``calibrator.json`` file, or a folder holding exactly one; its checksum
  is verified) to every row and evaluate those predictions. The calibrator must match the job's
  mode, columns and score space (``MC-E405``); it is copied unchanged to ``calibration_output``.

Modes:

- binary (``IS_BINARY=true``, ``SCORE_FIELDS=[]``): ``LABEL_FIELD`` against ``SCORE_FIELD``.
- multi-task binary (``SCORE_FIELDS`` and ``TASK_LABEL_NAMES``, JSON arrays of equal length):
  task *i* is ``SCORE_FIELDS[i]`` against ``TASK_LABEL_NAMES[i]`` with its own missing-value
  handling (a row missing task *i*'s score or label is dropped for task *i* only), calibrator,
  metrics and, with ``auto``, its own method. ``LABEL_FIELD``/``SCORE_FIELD`` are unused.
- multi-class (``IS_BINARY=false``): the score columns are ``SCORE_FIELD_PREFIX + category`` for
  the categories in ``MULTICLASS_CATEGORIES`` or, when it is ``[]``, ``0 .. NUM_CLASSES-1``.
  Labels compare to the categories as strings (``" cat "`` is ``cat``; the numbers ``7``, ``7.0``
  and the text ``"7.0"`` are category ``7``); an unknown label is ``MC-E208`` naming it. A row
  missing any class score, or its label, is dropped. In probability space rows not summing to 1
  are renormalised for the uncalibrated figures (counted in a warning); logit-space scores are
  class margins (softmax).

Environment variables (all optional; defaults in brackets):

- ``CALIBRATION_METHOD`` [gam]: isotonic | platt | gam | beta | temperature (multi-class only)
  | auto
- ``LABEL_FIELD`` [label], ``SCORE_FIELD`` [prob_class_1]
- ``IS_BINARY`` [true]: false selects multi-class
- ``MONOTONIC_CONSTRAINT`` [true]: gam monotone increasing (isotonic is always monotone, beta
  always has a, b >= 0, platt is unconstrained)
- ``GAM_SPLINES`` [10] (4..200), ``ERROR_THRESHOLD`` [0.05] (0 < t <= 1)
- ``CALIBRATION_BINS`` [15] (2..1000), ``CALIBRATION_FOLDS`` [5] (2..100),
  ``CALIBRATION_SEED`` [0] (>= 0)
- ``SCORE_SPACE`` [probability]: probability (scores in the closed interval [0, 1]) | logit
  (raw margins, any finite value)
- ``LOG_LEVEL`` [INFO]: DEBUG | INFO | WARNING | ERROR
- ``NUM_CLASSES`` [2] (2..10000): multi-class category count when ``MULTICLASS_CATEGORIES`` is
  ``[]``; must be 2 (or unset) with IS_BINARY=true, and must equal the number of categories when
  both are set
- ``SCORE_FIELD_PREFIX`` [prob_class_], ``MULTICLASS_CATEGORIES`` [[]] (JSON array of names or
  integers)
- ``SCORE_FIELDS`` [[]], ``TASK_LABEL_NAMES`` [[]] (JSON arrays; score fields unique, a label
  column may serve several tasks, no column both)
- ``WEIGHT_FIELD`` [""]: column of sample weights (finite, >= 0; a missing weight drops the row,
  counted as ``missing_weight``); empty means every row weighs 1
- ``AUTO_CANDIDATES`` [[]]: the methods ``auto`` chooses among; ``[]`` means every method of the
  mode (isotonic, platt, gam, beta; plus temperature for multi-class); only with ``auto``
- ``NEGATIVE_SAMPLING_RATE`` [1] (0 < r <= 1), new in engine II: the fraction of negatives kept
  when the evaluation data was down-sampled (binary and multi-task labels only)
- ``TEMPERATURE_BIAS`` [false], new in engine II: temperature also fits one bias per class

Booleans accept true/false/1/0 in any case.

Weights and down-sampling. Every fit and every metric uses the row weights: the sufficient
statistics per unique score are sums of weights and of weighted positives (rows aggregated
exactly, as in engine I), so unit weights reproduce the unweighted figures exactly and an integer
weight equals repeating the row. Temperature maximises the weighted likelihood; metrics report
``n`` (rows) and ``weight_sum``. Down-sampled negatives: if the negatives of the evaluation data
were kept with probability ``r`` (all positives kept), set ``NEGATIVE_SAMPLING_RATE=r``: each
kept negative then weighs ``1/r`` (times its ``WEIGHT_FIELD`` weight), so the calibrator and the
metrics target the population's positive rate, not the sample's (for Platt this is the classic
intercept shift ``b + ln r``). Classes of a multi-class sample are re-weighted with
``WEIGHT_FIELD`` instead. When the largest kept weight is outside [2**-64, 2**64] every weight is
divided by a power of two (exact) that brings it into [1, 2), so that sums neither overflow nor
underflow; weight sums are then reported in that unit (``rescale_weights``).

Data: every ``.csv``, ``.tsv``, ``.parquet``/``.pq``, ``.jsonl`` and ``.json`` (JSON lines or
one JSON array of records) file under the input folder, recursively, sorted by relative path, plus
the data files inside any ``.tar.gz``/``.tgz`` archive there (a training job's
``output.tar.gz``), extracted member by member into a temporary folder; absolute member paths,
``..``, links and special files are refused. Hidden files (``.*``, ``_*``) are skipped. A single
file path is accepted too. All shards must have the same column names, and no file may repeat
one (``MC-E204``). A header-only or all-missing column has no type to check: its rows are
dropped (``MC-E210`` when none is left). Scores must be numeric;
binary labels may be 0/1, 0.0/1.0, booleans or the strings "0", "1", "true", "false" (any case).
Rows with a missing score or label are dropped and counted. All validation happens before any
fitting.

Methods. Logit-based methods (platt, beta, gam in probability space) clip probabilities to
``[CLIP_EPSILON, 1 - CLIP_EPSILON]`` with ``CLIP_EPSILON = 1e-15`` and count the clipped rows.

- ``isotonic``: pool-adjacent-violators on the scores aggregated exactly by unique value
  (identical to ``IsotonicRegression(out_of_bounds='clip')``); applied by linear interpolation on
  its knots (``interpolate_knots``: ``np.interp``'s values, each clipped to the y of its two
  knots), so constant outside the fitted range, never NaN and never decreasing; knots less than
  1e-300 apart are merged into a step when fitted.
- ``platt``: ``sigmoid(a * logit(s) + b)``, unpenalised maximum likelihood by Newton's method on
  aggregated sufficient statistics (margins are used as they are in logit space).
- ``beta``: ``sigmoid(a * ln(s) - b * ln(1 - s) + c)`` with ``a, b >= 0`` (monotone).
- ``gam``: penalised logistic cubic B-spline on logit(score) with ``GAM_SPLINES`` basis functions
  on equally spaced knots over the fitted range, second-difference penalty ``lam = 0.6`` and
  pygam's monotonicity penalty (1e9 on decreasing neighbouring coefficients), fitted by PIRLS on
  rows aggregated by unique score (or, above 20,000 unique scores, on 8,192 equal-width bins of
  logit(score) with their mean). The shipped calibrator is the fitted curve tabulated at
  2,049 equally spaced logits over the fitted range and interpolated the same way (constant outside
  the range); the in-memory calibrator is that same table.
- multi-class one-vs-rest (any of the four above): class *c*'s calibrator is fitted on column
  *c* against "label is *c*"; the outputs are divided by their row sum, and a row whose outputs
  are all 0 becomes uniform (never a division by zero; counted for the shipped or given
  calibrator in ``rows.ovr_zero_sum_rows``).
- ``temperature`` (multi-class): ``softmax(scale * l + bias)`` where ``l`` is ``ln(max(p, eps))``
  of the class probabilities (or the margins in logit space), ``scale = 1 / T`` and ``bias`` one
  per class with ``bias[0] = 0`` (all 0 unless TEMPERATURE_BIAS=true); weighted maximum
  likelihood by Newton's method on the exact Hessian (L-BFGS-B from scipy when the scale
  reaches its bound 1e-6).
- ``auto``: every candidate is scored by log loss in a K-fold (CALIBRATION_FOLDS) inner
  cross-validation; the winner is the simplest candidate (order temperature, platt, beta, gam,
  isotonic) whose mean log loss is within one standard error (of the paired per-row
  difference) of the lowest, so a nesting family wins only by a real margin. The choice runs
  inside each outer fold on that fold's training rows only (nested: the reported calibrated
  figures pay for the choice), and once on all rows for the shipped calibrator;
  ``metrics.selection`` records every candidate's score, the rule and why the winner won.

Evaluation: calibrated metrics are cross-fitted (stratified K-fold, seeded): each row is scored by
a calibrator fitted without its fold. The shipped calibrator is fitted on all kept rows.
Validation and testing jobs evaluate the given calibrator's predictions instead.

Many rows: a binary task (or a task of a multi-task run) with at least ``BINNED_MIN_ROWS``
(2**21) kept rows is cross-fitted and evaluated on sufficient statistics of ``ROW_BINS``
(65,536) equal-width bins of the clipped logit per fold (``run_task_binned``): one pass over the
rows, no sort for ``gam``. Folds fit on the other folds' bins and predict their own bins at their
mean logit; ``auto`` uses the folds as its inner folds; both metric blocks record ``row_bins``.
isotonic, platt and beta still ship their exact fits (from the sorted rows, or refitted on every
row from the bins' fit); gam ships its fit on the bins. Margins spread so wide that a bin would
be wider than ``ROW_BIN_MAX_WIDTH`` take the exact path.

Outputs (file names are fixed):

- ``calibration_output/calibrator.json``: binary: see ``Calibrator.to_json_dict``. Keys:
  ``schema_version`` (1), ``kind`` (``calibration_step.calibrator``), ``method``,
  ``score_space``, ``clip_epsilon``, ``params`` (isotonic/gam: ``x``, ``y`` knots; platt: ``a``,
  ``b``; beta: ``a``, ``b``, ``c``; gam also ``spline_coef``, ``intercept``, ``edge_knots``,
  ``n_splines``, ``lam``, ``monotonic``), ``fit`` (fit statistics; with auto also ``auto``:
  selected method, reason, candidates' log loss), ``rows``, ``input_fingerprint``, ``producer``
  and ``checksum`` (``sha256:`` + hex digest of the canonical JSON of every other key: sorted
  keys, separators ``,`` and ``:``, no NaN). Multi-class and multi-task (``MultiCalibrator``):
  ``kind`` ``calibration_step.multiclass_calibrator`` / ``calibration_step.multitask_calibrator``,
  ``mode``, ``method``, ``score_space``, ``clip_epsilon``, ``names`` (categories or tasks),
  ``score_fields``, ``label_fields``, ``params`` (temperature: ``scale``, ``temperature``,
  ``bias``; one-vs-rest: ``renormalisation``), ``members`` (one per class or task: ``name``,
  ``method``, ``score_space``, ``clip_epsilon``, ``params``, ``fit``, ``rows``), ``fit``,
  ``rows``, ``input_fingerprint``, ``producer`` and one ``checksum`` over everything.
  ``load_calibration_model`` reads any kind; ``apply_multiclass`` applies a multi-class one.
- ``metrics_output/metrics.json``: ``schema_version``; ``job_type``; ``mode``; ``method``
  (as configured, or the given calibrator's); ``selected_method``; ``settings``; ``rows`` (read,
  used, positives, dropped by reason, clipped, weight sums; multi-task: per task under
  ``tasks``); ``evaluation`` (scheme ``stratified_kfold_crossfit`` or
  ``applied_given_calibrator``, folds, seed, bins, weighted, negative_sampling_rate);
  ``uncalibrated`` and ``calibrated`` blocks; ``folds`` (per fold sizes, timings, held-out
  metrics, with auto the fold's choice; multi-task: per task; [] when applying); ``selection``
  (auto's record, per task for multi-task, else null); ``threshold`` (``metric``, ``value``,
  ``threshold``, ``passed``); ``calibrator`` (method, kind, source fitted|given, checksum,
  params); ``warnings``; ``plot`` (written, error, panels); ``timings``.
  Binary blocks hold ``n`` (rows), ``weight_sum``, ``positives``, ``ece_equal_width``,
  ``ece_equal_mass``, ``mce_*``, ``rmsce_*``, ``bins`` (per strategy: n_bins, count,
  mean_predicted, observed_rate, lower, upper), ``brier``, ``brier_decomposition`` (reliability,
  resolution, uncertainty over equal-width bins), ``log_loss`` (+ clip epsilon and clipped rows),
  ``auc`` (+ ``auc_null_reason``), ``calibration_slope``/``calibration_intercept`` (+ null
  reason; ``calibration_slope_bins``: null when fitted on every distinct prediction, else
  ``SLOPE_BINS`` = 65536 when fitted on the weight, positive weight and mean logit of that many
  equal-width bins of the clipped logit), ``spiegelhalter_z`` and its two-sided p-value. Multi-task blocks: ``tasks`` (a binary
  block per task), ``aggregate`` (max and mean ECE, mean Brier, log loss and AUC),
  ``worst_task`` and ``ece_equal_width`` = the worst task's. Multi-class blocks: ``top_label`` (a
  binary block of confidence vs correctness), ``ece_equal_width``/``ece_equal_mass`` = the
  top-label figures, ``per_class`` (a one-vs-rest binary block per category), ``macro`` (mean
  class-wise ECE), multi-class ``brier`` (sum over classes) and ``log_loss``, ``accuracy``,
  ``auc_ovr`` (per class, null with a reason where a class is absent or is every label; macro
  over defined classes), ``class_counts``. Fixed paths read by the pipeline condition:
  ``calibrated.ece_equal_width`` (number: binary ECE, multi-class top-label ECE, multi-task worst
  task) and ``threshold.passed`` (that value <= ERROR_THRESHOLD).
- ``metrics_output/reliability_diagram.png``: uncalibrated vs calibrated reliability curve and
  score histogram; a grid with one panel per task, or the top label and one panel per class
  (at most 36 panels); a plotting failure is logged and recorded in ``metrics.plot``, never fatal.
- ``calibrated_data/<relative shard path>``: each input shard in its own format with a
  ``calibrated_<score column>`` column per task or class (unrounded; empty where a needed score
  is missing).
- ``metrics_output/summary.json``: written last, the completion marker.

Every output is first written into a hidden ``.staging-<random>`` folder inside its destination
and moved into place with ``os.replace`` only when all outputs are complete, summary.json last;
on error the staging folders are removed, so every output folder is left without visible entries.
Before the first move a hidden journal (``.staging-journal.json``) listing the files to move is
written into every output folder, and removed after the last. At start, a staging folder left by
a killed run is removed, and journals left by a run killed while moving its files are resolved:
if summary.json had been moved the outputs are complete and kept, otherwise the files listed
(only inside their own folder) are removed and the run goes on. Output folders that already hold
visible entries are refused.

Error codes (``CalibrationScriptError.code``; the command-line entry logs ``code: message (hint)``
once and exits with status 2):

- ``MC-E101-INVALID-ENV``: an environment variable has a bad value
- ``MC-E102-MULTICLASS-UNSUPPORTED``: retired (engine I refused IS_BINARY=false); never raised
- ``MC-E103-MISSING-PATH``: a logical input/output path was not given (also: a validation or
  testing job without ``calibration_model``)
- ``MC-E104-INVALID-JOB-TYPE``: job_type not one of the four job types
- ``MC-E105-MODE-CONFLICT``: environment variables that contradict each other (temperature with
  IS_BINARY=true, SCORE_FIELDS with IS_BINARY=false, unequal SCORE_FIELDS/TASK_LABEL_NAMES,
  NUM_CLASSES vs MULTICLASS_CATEGORIES, AUTO_CANDIDATES without auto or outside the mode,
  WEIGHT_FIELD naming a label or score column, NEGATIVE_SAMPLING_RATE with multi-class)
- ``MC-E201-NO-INPUT-FILES``: no data file found / input path missing
- ``MC-E202-UNSUPPORTED-FORMAT``: a file given directly has an unknown extension
- ``MC-E203-READ-FAILED``: a data file could not be parsed
- ``MC-E204-SCHEMA-MISMATCH``: shards have different columns, or a file repeats a column name
  (a csv/tsv header, a parquet schema or a JSON object with the same key twice)
- ``MC-E205-MISSING-COLUMN``: a score, label or weight column is absent
- ``MC-E206-NON-NUMERIC-SCORE``: a score column is not numeric
- ``MC-E207-SCORE-OUT-OF-RANGE``: score outside [0, 1] (probability) or infinite
- ``MC-E208-INVALID-LABEL``: a label value is not binary, or not a category (multi-class)
- ``MC-E209-UNSAFE-ARCHIVE``: an archive member is absolute, has ``..``, is a link or special file
- ``MC-E210-NO-ROWS``: no row left after dropping missing values, or the kept rows weigh 0
- ``MC-E211-INVALID-WEIGHT``: the weight column is non-numeric, negative or infinite
- ``MC-E301-SINGLE-CLASS``: the rows to fit hold a single class (for one-vs-rest: a class with
  no row, or every row)
- ``MC-E302-MISSING-LIBRARY``: a required library (scikit-learn for isotonic, scipy for
  temperature) is not installed
- ``MC-E303-FIT-FAILED``: the fit produced non-finite parameters (``auto`` skips such a
  candidate and records it)
- ``MC-E401-CALIBRATOR-INVALID``: a calibrator JSON is malformed (or of the wrong kind for
  ``load_calibrator``), or holds a value outside its range even with a correct checksum
  (``clip_epsilon`` not in (0, 0.5); knot ``y`` outside [0, 1], or decreasing for isotonic and
  monotone gam; beta ``a`` or ``b`` < 0; temperature ``scale`` <= 0); the message names the field
- ``MC-E402-CHECKSUM-MISMATCH``: a calibrator JSON's checksum does not match its content
- ``MC-E403-SCHEMA-VERSION``: a calibrator JSON has an unsupported schema version
- ``MC-E404-INVALID-SCORES``: scores given to ``apply_calibrator``/``apply_multiclass`` are NaN,
  infinite, outside the score space or of the wrong shape
- ``MC-E405-CALIBRATOR-MISMATCH``: the given calibrator's mode, columns or score space differ
  from the job's
- ``MC-E406-NO-CALIBRATOR-FILE``: ``calibration_model`` holds no (or several) calibrator.json
- ``MC-E501-OUTPUT-NOT-EMPTY``: an output folder already holds visible entries
- ``MC-E502-WRITE-FAILED``: an output could not be written (an OS error, or a value that is not
  finite, which JSON cannot hold; undefined figures are written as null)

Example:

>>> import numpy as np
>>> cal = Calibrator(method="platt", score_space="probability", clip_epsilon=CLIP_EPSILON,
...                  coef=(1.0, 0.0))
>>> loaded = load_calibrator(cal.to_json_dict())
>>> apply_calibrator(loaded, np.array([0.0, 0.25, 1.0])).round(6).tolist()
[0.0, 0.25, 1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import logging
import math
import os
import shutil
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Protocol, TypeVar, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:  # matplotlib is imported lazily, by plot_reliability only
    from matplotlib.axes import Axes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
LabelArray = npt.NDArray[np.signedinteger[Any]]  # 0/1 labels as int8, class indices as int64
JsonDict = dict[str, object]

SCRIPT_VERSION = "0.1.0"
CALIBRATOR_SCHEMA_VERSION = 1
METRICS_SCHEMA_VERSION = 1
CALIBRATOR_KIND = "calibration_step.calibrator"
CLIP_EPSILON = 1e-15
GAM_LAMBDA = 0.6
GAM_CONSTRAINT_LAMBDA = 1e9
GAM_TABLE_POINTS = 2049
GAM_MAX_EXACT_POINTS = 20000
GAM_BINS = 8192
SLOPE_BINS = 1 << 16
METRICS_CHUNK_ROWS = 1 << 18

# Logical names (the contract's keys).
INPUT_EVALUATION_DATA = "evaluation_data"
INPUT_CALIBRATION_MODEL = "calibration_model"
OUTPUT_CALIBRATION = "calibration_output"
OUTPUT_METRICS = "metrics_output"
OUTPUT_CALIBRATED_DATA = "calibrated_data"
OUTPUT_NAMES = (OUTPUT_CALIBRATION, OUTPUT_METRICS, OUTPUT_CALIBRATED_DATA)

# Output file names.
CALIBRATOR_FILE = "calibrator.json"
METRICS_FILE = "metrics.json"
SUMMARY_FILE = "summary.json"
RELIABILITY_PLOT_FILE = "reliability_diagram.png"
STAGING_PREFIX = ".staging-"

# Environment variable names.
ENV_CALIBRATION_METHOD = "CALIBRATION_METHOD"
ENV_LABEL_FIELD = "LABEL_FIELD"
ENV_SCORE_FIELD = "SCORE_FIELD"
ENV_IS_BINARY = "IS_BINARY"
ENV_MONOTONIC_CONSTRAINT = "MONOTONIC_CONSTRAINT"
ENV_GAM_SPLINES = "GAM_SPLINES"
ENV_ERROR_THRESHOLD = "ERROR_THRESHOLD"
ENV_CALIBRATION_BINS = "CALIBRATION_BINS"
ENV_CALIBRATION_FOLDS = "CALIBRATION_FOLDS"
ENV_CALIBRATION_SEED = "CALIBRATION_SEED"
ENV_SCORE_SPACE = "SCORE_SPACE"
ENV_LOG_LEVEL = "LOG_LEVEL"
ENV_NUM_CLASSES = "NUM_CLASSES"
ENV_SCORE_FIELD_PREFIX = "SCORE_FIELD_PREFIX"
ENV_MULTICLASS_CATEGORIES = "MULTICLASS_CATEGORIES"
ENV_SCORE_FIELDS = "SCORE_FIELDS"
ENV_TASK_LABEL_NAMES = "TASK_LABEL_NAMES"
ENV_WEIGHT_FIELD = "WEIGHT_FIELD"
ENV_AUTO_CANDIDATES = "AUTO_CANDIDATES"
ENV_NEGATIVE_SAMPLING_RATE = "NEGATIVE_SAMPLING_RATE"
ENV_TEMPERATURE_BIAS = "TEMPERATURE_BIAS"

BINARY_METHODS = ("isotonic", "platt", "gam", "beta")
METHODS = BINARY_METHODS + ("temperature", "auto")
# auto prefers the simplest candidate within one standard error of the best (this order).
AUTO_SIMPLICITY_ORDER = ("temperature", "platt", "beta", "gam", "isotonic")
MODES = ("binary", "multitask", "multiclass")
SCORE_SPACES = ("probability", "logit")
JOB_TYPES = ("training", "calibration", "validation", "testing")
APPLY_JOB_TYPES = ("validation", "testing")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATA_EXTENSIONS = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".json")
ARCHIVE_EXTENSIONS = (".tar.gz", ".tgz")

logger = logging.getLogger("model_calibration")

# Test-only hook: when set, called with a stage name ("before_staging", "during_staging",
# "after_staging", "during_publish") so tests can interrupt the run at that point.
TEST_HOOK: Optional[Callable[[str], None]] = None


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class CalibrationScriptError(Exception):
    """The script's only error type: a stable ``code``, a message and a ``hint``.

    >>> str(CalibrationScriptError("MC-E101-INVALID-ENV", "bad", "fix it"))
    'MC-E101-INVALID-ENV: bad (fix it)'
    """

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(f"{code}: {message} ({hint})")
        self.code = code
        self.message = message
        self.hint = hint


def _error(code: str, message: str, hint: str) -> CalibrationScriptError:
    return CalibrationScriptError(code, message, hint)


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Settings:
    """Every environment variable the script reads, parsed and validated."""

    method: str = "gam"
    label_field: str = "label"
    score_field: str = "prob_class_1"
    is_binary: bool = True
    monotonic: bool = True
    gam_splines: int = 10
    error_threshold: float = 0.05
    bins: int = 15
    folds: int = 5
    seed: int = 0
    score_space: str = "probability"
    log_level: str = "INFO"
    num_classes: int = 2
    score_field_prefix: str = "prob_class_"
    categories: tuple[str, ...] = ()
    score_fields: tuple[str, ...] = ()
    task_label_names: tuple[str, ...] = ()
    weight_field: str = ""
    auto_candidates: tuple[str, ...] = ()
    negative_sampling_rate: float = 1.0
    temperature_bias: bool = False

    @property
    def mode(self) -> str:
        """``binary`` (one score column), ``multitask`` (SCORE_FIELDS) or ``multiclass``."""
        if not self.is_binary:
            return "multiclass"
        return "multitask" if self.score_fields else "binary"

    def mode_methods(self) -> tuple[str, ...]:
        """The concrete methods that fit this mode (``temperature`` is multi-class only)."""
        return METHODS[:5] if self.mode == "multiclass" else BINARY_METHODS


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise _error("MC-E101-INVALID-ENV", f"{name}={raw!r} is not a boolean",
                 f"set {name} to one of true, false, 1, 0")


def _parse_choice(name: str, raw: str, choices: Sequence[str], lower: bool = True) -> str:
    value = raw.strip().lower() if lower else raw.strip().upper()
    if value not in choices:
        raise _error("MC-E101-INVALID-ENV", f"{name}={raw!r} is not accepted",
                     f"set {name} to one of {', '.join(choices)}")
    return value


def _parse_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise _error("MC-E101-INVALID-ENV", f"{name}={raw!r} is not accepted",
                     f"set {name} to an integer from {low} to {high}")
    return value


def _parse_fraction(name: str, raw: str, meaning: str = "a number") -> float:
    """A number in (0, 1]: the error threshold, or the fraction of negatives kept."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise _error("MC-E101-INVALID-ENV", f"{name}={raw!r} is not accepted",
                     f"set {name} to {meaning} in (0, 1]")
    return value


def _parse_field(name: str, raw: str) -> str:
    if not raw.strip():
        raise _error("MC-E101-INVALID-ENV", f"{name} is empty", f"set {name} to a column name")
    return raw.strip()


def _parse_json_list(name: str, raw: str) -> list[object]:
    text = raw.strip() or "[]"
    try:
        value: object = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise _error("MC-E101-INVALID-ENV", f"{name}={raw!r} is not a JSON array",
                     f'set {name} to a JSON array such as ["a", "b"] (or [] for none)')
    return value


def _parse_name_list(name: str, raw: str, integers: bool = False,
                     unique: bool = True) -> tuple[str, ...]:
    """A JSON array of non-empty names; with ``integers``, integral numbers become names."""
    names: list[str] = []
    for item in _parse_json_list(name, raw):
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
        elif integers and isinstance(item, (int, float)) and not isinstance(item, bool) \
                and math.isfinite(item) and float(item).is_integer():
            names.append(str(int(item)))
        else:
            raise _error("MC-E101-INVALID-ENV", f"{name} holds {item!r}, not a non-empty name",
                         f"list {'names or integers' if integers else 'column names'} in {name}")
    if unique and len(set(names)) != len(names):
        raise _error("MC-E101-INVALID-ENV", f"{name} repeats a name: {names}",
                     f"list each name once in {name}")
    return tuple(names)


def _conflict(message: str, hint: str) -> CalibrationScriptError:
    return _error("MC-E105-MODE-CONFLICT", message, hint)


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate every environment variable (the only place env vars are read).

    >>> read_settings({"CALIBRATION_METHOD": "Platt", "IS_BINARY": "1"}).method
    'platt'
    >>> read_settings({"IS_BINARY": "false", "NUM_CLASSES": "3"}).categories
    ('0', '1', '2')
    """
    is_binary = _parse_bool(ENV_IS_BINARY, environ.get(ENV_IS_BINARY, "true"))
    method = _parse_choice(ENV_CALIBRATION_METHOD, environ.get(ENV_CALIBRATION_METHOD, "gam"),
                           METHODS)
    num_classes = _parse_int(ENV_NUM_CLASSES, environ.get(ENV_NUM_CLASSES, "2"), 2, 10000)
    categories = _parse_name_list(ENV_MULTICLASS_CATEGORIES,
                                  environ.get(ENV_MULTICLASS_CATEGORIES, "[]"), integers=True)
    score_fields = _parse_name_list(ENV_SCORE_FIELDS, environ.get(ENV_SCORE_FIELDS, "[]"))
    # Two tasks may share a label column (two models of one target).
    task_labels = _parse_name_list(ENV_TASK_LABEL_NAMES, environ.get(ENV_TASK_LABEL_NAMES, "[]"),
                                   unique=False)
    candidates = _parse_name_list(ENV_AUTO_CANDIDATES, environ.get(ENV_AUTO_CANDIDATES, "[]"))
    settings = Settings(
        method=method,
        label_field=_parse_field(ENV_LABEL_FIELD, environ.get(ENV_LABEL_FIELD, "label")),
        score_field=_parse_field(ENV_SCORE_FIELD, environ.get(ENV_SCORE_FIELD, "prob_class_1")),
        is_binary=is_binary,
        monotonic=_parse_bool(ENV_MONOTONIC_CONSTRAINT,
                              environ.get(ENV_MONOTONIC_CONSTRAINT, "true")),
        gam_splines=_parse_int(ENV_GAM_SPLINES, environ.get(ENV_GAM_SPLINES, "10"), 4, 200),
        error_threshold=_parse_fraction(ENV_ERROR_THRESHOLD,
                                        environ.get(ENV_ERROR_THRESHOLD, "0.05")),
        bins=_parse_int(ENV_CALIBRATION_BINS, environ.get(ENV_CALIBRATION_BINS, "15"), 2, 1000),
        folds=_parse_int(ENV_CALIBRATION_FOLDS, environ.get(ENV_CALIBRATION_FOLDS, "5"), 2, 100),
        seed=_parse_int(ENV_CALIBRATION_SEED, environ.get(ENV_CALIBRATION_SEED, "0"), 0,
                        2**32 - 1),
        score_space=_parse_choice(ENV_SCORE_SPACE, environ.get(ENV_SCORE_SPACE, "probability"),
                                  SCORE_SPACES),
        log_level=_parse_choice(ENV_LOG_LEVEL, environ.get(ENV_LOG_LEVEL, "INFO"), LOG_LEVELS,
                                lower=False),
        num_classes=num_classes,
        score_field_prefix=_parse_field(ENV_SCORE_FIELD_PREFIX,
                                        environ.get(ENV_SCORE_FIELD_PREFIX, "prob_class_")),
        categories=categories,
        score_fields=score_fields,
        task_label_names=task_labels,
        weight_field=environ.get(ENV_WEIGHT_FIELD, "").strip(),
        auto_candidates=tuple(c.lower() for c in candidates),
        negative_sampling_rate=_parse_fraction(ENV_NEGATIVE_SAMPLING_RATE,
                                               environ.get(ENV_NEGATIVE_SAMPLING_RATE, "1"),
                                               "the fraction of negatives kept, a number"),
        temperature_bias=_parse_bool(ENV_TEMPERATURE_BIAS,
                                     environ.get(ENV_TEMPERATURE_BIAS, "false")),
    )
    num_classes_given = ENV_NUM_CLASSES in environ
    return _check_modes(settings, num_classes_given)


def _check_modes(settings: Settings, num_classes_given: bool) -> Settings:
    """Cross-variable checks (``MC-E105-MODE-CONFLICT``); resolves categories and candidates."""
    if len(settings.score_fields) != len(settings.task_label_names):
        raise _conflict(f"SCORE_FIELDS has {len(settings.score_fields)} columns and "
                        f"TASK_LABEL_NAMES {len(settings.task_label_names)}",
                        "give one label column per score column (JSON arrays of equal length)")
    if set(settings.score_fields) & set(settings.task_label_names):
        raise _conflict(f"{sorted(set(settings.score_fields) & set(settings.task_label_names))} "
                        "is both a task score and a task label", "a column is one or the other")
    categories = settings.categories
    if settings.is_binary:
        if settings.num_classes != 2:
            raise _conflict(f"NUM_CLASSES={settings.num_classes} with IS_BINARY=true",
                            "set IS_BINARY=false for multi-class, or NUM_CLASSES=2")
        if categories:
            raise _conflict(f"MULTICLASS_CATEGORIES={list(categories)} with IS_BINARY=true",
                            "set IS_BINARY=false for multi-class, or MULTICLASS_CATEGORIES=[]")
        if settings.method == "temperature":
            raise _conflict("CALIBRATION_METHOD=temperature needs IS_BINARY=false",
                            "use a binary method (isotonic, platt, gam, beta) or auto")
        if not settings.score_fields and settings.label_field == settings.score_field:
            raise _error("MC-E101-INVALID-ENV", "LABEL_FIELD and SCORE_FIELD name the same column",
                         "set LABEL_FIELD and SCORE_FIELD to two different columns")
    else:
        if settings.score_fields:
            raise _conflict("SCORE_FIELDS is set with IS_BINARY=false; multi-task calibration "
                            "is binary", "set IS_BINARY=true for multi-task, or SCORE_FIELDS=[]")
        if not categories:
            categories = tuple(str(i) for i in range(settings.num_classes))
        elif len(categories) < 2:
            raise _conflict(f"MULTICLASS_CATEGORIES={list(categories)} holds fewer than two "
                            "categories", "list every category (at least two)")
        elif num_classes_given and len(categories) != settings.num_classes:
            raise _conflict(f"MULTICLASS_CATEGORIES holds {len(categories)} categories, "
                            f"NUM_CLASSES={settings.num_classes}",
                            "make NUM_CLASSES the number of categories, or leave it unset")
        if settings.negative_sampling_rate != 1.0:
            raise _conflict("NEGATIVE_SAMPLING_RATE applies to binary labels only",
                            "unset NEGATIVE_SAMPLING_RATE, or express the sampling in "
                            "WEIGHT_FIELD")
    candidates = settings.auto_candidates
    allowed = settings.mode_methods()
    if candidates and settings.method != "auto":
        raise _conflict(f"AUTO_CANDIDATES={list(candidates)} with CALIBRATION_METHOD="
                        f"{settings.method}", "set CALIBRATION_METHOD=auto or AUTO_CANDIDATES=[]")
    unknown = [c for c in candidates if c not in allowed]
    if unknown:
        raise _conflict(f"AUTO_CANDIDATES names {unknown}, not a method of {settings.mode} "
                        "calibration", f"choose among {', '.join(allowed)}")
    if settings.method == "auto" and not candidates:
        candidates = allowed
    columns = set(settings.score_fields) | set(settings.task_label_names) if settings.score_fields \
        else {settings.label_field, settings.score_field} if settings.is_binary \
        else {settings.label_field} | {settings.score_field_prefix + c for c in categories}
    if settings.weight_field and settings.weight_field in columns:
        raise _conflict(f"WEIGHT_FIELD={settings.weight_field!r} is a label or score column",
                        "name the column of sample weights")
    return dataclasses.replace(settings, categories=categories, auto_candidates=candidates)


# --------------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------------
def _weighted_count(idx: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """``np.bincount`` with float weights, typed."""
    out: FloatArray = np.bincount(idx, weights=weights, minlength=length).astype(np.float64,
                                                                                copy=False)
    return out


def _sigmoid(z: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        out = np.exp(-z)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def _logit(p: FloatArray, eps: float) -> FloatArray:
    t = np.clip(p, eps, 1.0 - eps)
    out = np.log(t)
    np.negative(t, out=t)  # in place: two n-length buffers, the same arithmetic
    out -= np.log1p(t, out=t)
    return out


def _log_sigmoid(z: FloatArray) -> FloatArray:
    """ln(sigmoid(z)) computed stably."""
    return -np.logaddexp(0.0, -z)


@dataclasses.dataclass(frozen=True)
class LogisticFit:
    coef: FloatArray
    iterations: int
    converged: bool
    neg_log_lik: float


def _neg_log_lik(eta: FloatArray, n: FloatArray, k: FloatArray) -> float:
    # -sum k ln s(eta) + (n - k) ln(1 - s(eta)) = sum n softplus(eta) - k eta
    return float(np.dot(n, np.logaddexp(0.0, eta)) - np.dot(k, eta))


Evaluation = tuple[float, FloatArray, FloatArray]
"""An objective's value, gradient and Hessian at a point."""


@dataclasses.dataclass(frozen=True)
class NewtonResult:
    theta: FloatArray
    value: float
    gradient: FloatArray
    iterations: int
    converged: bool


def newton_minimize(evaluate: Callable[[FloatArray], Evaluation], start: FloatArray,
                    max_iter: int = 100, tol: float = 1e-12, rel_decrease: float = 1e-12,
                    allowed: Optional[Callable[[FloatArray], bool]] = None) -> NewtonResult:
    """Newton's method with step halving for a smooth convex objective: ``evaluate(theta)``
    gives its value, gradient and Hessian. A step is halved until the value does not rise
    (above ``rel_decrease`` of itself); the iterations stop when a step moves no coordinate by
    more than ``tol * (1 + max |theta|)`` (converged), after ``max_iter`` steps, when halving
    reaches ``1e-10``, or when the full step leaves the region ``allowed`` (not converged).

    >>> res = newton_minimize(lambda t: (float((t[0] - 3.0) ** 2), 2.0 * (t - 3.0),
    ...                                  np.array([[2.0]])), np.array([0.0]))
    >>> res.converged, res.theta.tolist()
    (True, [3.0])
    """
    theta = np.asarray(start, dtype=np.float64)
    value, grad, hess = evaluate(theta)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        try:
            step = np.asarray(np.linalg.solve(hess, grad), dtype=np.float64)
        except np.linalg.LinAlgError:
            step = np.asarray(np.linalg.lstsq(hess, grad, rcond=None)[0], dtype=np.float64)
        if allowed is not None and not allowed(theta - step):
            break
        t = 1.0
        while True:
            candidate = theta - t * step
            value_c, grad_c, hess_c = evaluate(candidate)
            if value_c <= value + rel_decrease * abs(value) or t < 1e-10:
                break
            t *= 0.5
        theta, value, grad, hess = candidate, value_c, grad_c, hess_c
        if float(np.max(np.abs(t * step))) <= tol * (1.0 + float(np.max(np.abs(theta)))):
            converged = True
            break
        if t < 1e-10:
            break
    return NewtonResult(theta, value, grad, iterations, converged)


def fit_logistic(x: FloatArray, n: FloatArray, k: FloatArray, max_iter: int = 100,
                 tol: float = 1e-12, start: Optional[FloatArray] = None) -> LogisticFit:
    """Unpenalised logistic regression on aggregated rows by Newton's method with step halving.

    ``x`` is the (m, d) design (with its own intercept column), ``n`` the row counts and ``k``
    the positive counts per aggregated row.

    >>> x = np.column_stack([np.array([-1.0, 0.0, 1.0]), np.ones(3)])
    >>> fit = fit_logistic(x, np.array([4.0, 4.0, 4.0]), np.array([1.0, 2.0, 3.0]))
    >>> fit.converged, round(float(fit.coef[1]), 9)
    (True, 0.0)
    """
    d = x.shape[1]
    beta = np.zeros(d)
    total_n = float(n.sum())
    rate = min(max(float(k.sum()) / total_n, 1e-6), 1.0 - 1e-6)
    beta[d - 1] = math.log(rate / (1.0 - rate))
    if start is not None:
        beta = start.copy()
    elif x.shape[0] > 200_000:
        # Warm start from every 64th aggregated row: the exact Newton polish then needs ~3 steps.
        stride = slice(None, None, 64)
        sub_k = k[stride]
        if 0.0 < float(sub_k.sum()) < float(n[stride].sum()):
            beta = fit_logistic(x[stride], n[stride], sub_k, max_iter, 1e-8).coef

    def evaluate(b: FloatArray) -> Evaluation:
        eta = x @ b
        p = _sigmoid(eta)
        w = n * p * (1.0 - p)
        return _neg_log_lik(eta, n, k), x.T @ (n * p - k), (x * w[:, None]).T @ x

    res = newton_minimize(evaluate, beta, max_iter, tol)
    beta, iterations, converged, obj = res.theta, res.iterations, res.converged, res.value
    if not np.all(np.isfinite(beta)):
        raise _error("MC-E303-FIT-FAILED", "logistic fit produced non-finite parameters",
                     "check that the scores are not perfectly separating the labels")
    return LogisticFit(beta, iterations, converged, obj)


def _softplus_terms(eta: FloatArray, n: FloatArray, k: FloatArray) -> tuple[float, FloatArray]:
    """The negative log-likelihood ``n . softplus(eta) - k . eta`` and ``exp(-|eta|)``.

    ``softplus(eta) = max(eta, 0) + log1p(exp(-|eta|))`` (stable for any ``eta``); the
    returned ``exp(-|eta|)`` gives the probabilities of the next Newton step without a second
    exponential.
    """
    e = np.abs(eta)
    np.negative(e, out=e)
    np.exp(e, out=e)
    # One temporary at a time (the peak memory of a fit on 1e7 unique scores counts).
    positive_part = float(np.dot(n, np.maximum(eta, 0.0)))
    return positive_part + float(np.dot(n, np.log1p(e))) - float(np.dot(k, eta)), e


def fit_logistic_line(z: FloatArray, n: FloatArray, k: FloatArray, max_iter: int = 100,
                      tol: float = 1e-12, start: Optional[tuple[float, float]] = None
                      ) -> LogisticFit:
    """``fit_logistic`` of ``sigmoid(a * z + b)``: the two-parameter fast path (platt, the
    calibration slope and intercept, beta's one-feature sub-models).

    Works on the 1-D column ``z`` (no design matrix): the gradient and the 2x2 Hessian are dot
    products, the Newton step is solved in closed form, and ``exp(-|eta|)`` is computed once
    per evaluation for both the objective and the probabilities. Same start (the base rate's
    logit, or a fit on every 64th aggregated row above 200,000 rows), step halving and stopping
    rule as ``fit_logistic``; ``coef`` is ``[a, b]``.

    >>> fit = fit_logistic_line(np.array([-1.0, 0.0, 1.0]), np.array([4.0, 4.0, 4.0]),
    ...                         np.array([1.0, 2.0, 3.0]))
    >>> fit.converged, round(float(fit.coef[0]), 9), round(float(fit.coef[1]), 9)
    (True, 1.098612289, 0.0)
    """
    total_n = float(n.sum())
    rate = min(max(float(k.sum()) / total_n, 1e-6), 1.0 - 1e-6)
    a, b = 0.0, math.log(rate / (1.0 - rate))
    if start is not None:
        a, b = start
    elif z.shape[0] > 200_000:
        # Warm start from every 64th aggregated row: the exact Newton polish then needs ~3 steps.
        stride = slice(None, None, 64)
        sub_k = k[stride]
        if 0.0 < float(sub_k.sum()) < float(n[stride].sum()):
            warm = fit_logistic_line(z[stride], n[stride], sub_k, max_iter, 1e-8).coef
            a, b = float(warm[0]), float(warm[1])
    eta = z * a
    eta += b
    obj, e = _softplus_terms(eta, n, k)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        # p = sigmoid(eta) from e = exp(-|eta|); p (1 - p) = e / (1 + e)**2 for either sign.
        # Three n-length buffers: r (new), d (in eta's) and w (in e's).
        r = np.where(eta >= 0.0, 1.0, e)
        d = np.add(e, 1.0, out=eta)
        r /= d  # p
        r *= n
        r -= k
        g_a, g_b = float(np.dot(z, r)), float(r.sum())
        del r
        w = np.divide(e, d, out=e)
        w /= d
        w *= n
        h_ab, h_bb = float(np.dot(w, z)), float(w.sum())
        w *= z
        h_aa = float(np.dot(w, z))
        del d, w, eta, e  # the line search below needs only obj
        det = h_aa * h_bb - h_ab * h_ab
        if det > 0.0 and math.isfinite(det):
            step_a = (h_bb * g_a - h_ab * g_b) / det
            step_b = (h_aa * g_b - h_ab * g_a) / det
        else:
            step_a, step_b = (float(v) for v in np.linalg.lstsq(
                np.array([[h_aa, h_ab], [h_ab, h_bb]]), np.array([g_a, g_b]), rcond=None)[0])
        t = 1.0
        while True:
            cand_a, cand_b = a - t * step_a, b - t * step_b
            eta_c = z * cand_a
            eta_c += cand_b
            obj_c, e_c = _softplus_terms(eta_c, n, k)
            if obj_c <= obj + 1e-12 * abs(obj) or t < 1e-10:
                break
            t *= 0.5
        a, b, eta, obj, e = cand_a, cand_b, eta_c, obj_c, e_c
        if max(abs(t * step_a), abs(t * step_b)) <= tol * (1.0 + max(abs(a), abs(b))):
            converged = True
            break
    if not (math.isfinite(a) and math.isfinite(b)):
        raise _error("MC-E303-FIT-FAILED", "logistic fit produced non-finite parameters",
                     "check that the scores are not perfectly separating the labels")
    return LogisticFit(np.array([a, b]), iterations, converged, obj)


def pav_aggregated(x_unique: FloatArray, n: FloatArray, k: FloatArray) -> FloatArray:
    """Isotonic (increasing) fit of the per-value positive rates ``k / n`` weighted by ``n``."""
    try:
        from sklearn.isotonic import isotonic_regression
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching sys.modules
        raise _error("MC-E302-MISSING-LIBRARY", f"scikit-learn is required for isotonic ({exc})",
                     "install scikit-learn>=1.4 (see requirements.txt)") from exc
    del x_unique
    fitted = isotonic_regression(k / n, sample_weight=n, increasing=True)
    return np.asarray(fitted, dtype=np.float64)


def _bspline_basis(x01: FloatArray, n_splines: int) -> FloatArray:
    """Cubic B-spline basis on ``n_splines - 3`` equal intervals of [0, 1] (pygam's basis)."""
    intervals = n_splines - 3
    t = np.clip(x01, 0.0, 1.0) * intervals
    i = np.minimum(np.floor(t), intervals - 1).astype(np.int64)
    u = t - i
    u2 = u * u
    u3 = u2 * u
    pieces = (
        (1.0 - u) ** 3 / 6.0,
        (3.0 * u3 - 6.0 * u2 + 4.0) / 6.0,
        (-3.0 * u3 + 3.0 * u2 + 3.0 * u + 1.0) / 6.0,
        u3 / 6.0,
    )
    basis = np.zeros((x01.shape[0], n_splines))
    rows = np.arange(x01.shape[0])
    for offset, piece in enumerate(pieces):
        basis[rows, i + offset] = piece
    return basis


@dataclasses.dataclass(frozen=True)
class GamFit:
    spline_coef: FloatArray
    intercept: float
    edge_knots: tuple[float, float]
    iterations: int
    converged: bool
    points: int
    binned: bool


def _aggregate_for_gam(z: FloatArray, n: FloatArray, k: FloatArray
                       ) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    if z.shape[0] <= GAM_MAX_EXACT_POINTS:
        return z, n, k, False
    lo, hi = float(z.min()), float(z.max())
    scaled = z - lo  # ((z - lo) / (hi - lo) * GAM_BINS) in place
    scaled /= hi - lo
    scaled *= GAM_BINS
    idx = scaled.astype(np.int64)
    del scaled
    np.minimum(idx, GAM_BINS - 1, out=idx)
    nb = _weighted_count(idx, n, GAM_BINS)
    kb = _weighted_count(idx, k, GAM_BINS)
    zb = _weighted_count(idx, n * z, GAM_BINS)
    keep = nb > 0
    zb = zb[keep] / nb[keep]
    # Keep the exact extremes so the edge knots are unchanged.
    zb[0], zb[-1] = lo, hi
    return zb, nb[keep], kb[keep], True


def fit_gam(z: FloatArray, n: FloatArray, k: FloatArray, n_splines: int, monotonic: bool,
            lam: float = GAM_LAMBDA, max_iter: int = 100) -> GamFit:
    """Penalised logistic B-spline by PIRLS (pygam's LogisticGAM objective) on aggregated rows."""
    zf, nf, kf, binned = _aggregate_for_gam(z, n, k)
    lo, hi = float(zf.min()), float(zf.max())
    scale = hi - lo if hi > lo else 1.0
    basis = _bspline_basis((zf - lo) / scale, n_splines)
    x = np.column_stack([basis, np.ones(zf.shape[0])])
    m = n_splines + 1
    d2 = np.diff(np.eye(n_splines), n=2, axis=0)
    penalty = np.zeros((m, m))
    penalty[:n_splines, :n_splines] = lam * (d2.T @ d2)
    penalty[np.diag_indices(m)] += math.sqrt(np.finfo(np.float64).eps)
    d1 = np.diff(np.eye(n_splines), n=1, axis=0)
    sticky = np.zeros(n_splines - 1, dtype=bool)
    beta = np.zeros(m)
    rate = min(max(float(kf.sum() / nf.sum()), 1e-6), 1.0 - 1e-6)
    beta[n_splines] = math.log(rate / (1.0 - rate))
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        full = penalty.copy()
        if monotonic:
            violated = np.diff(beta[:n_splines]) < 0
            # After 30 iterations the active set only grows, so PIRLS cannot cycle.
            sticky = violated | sticky if iterations > 30 else violated
            mask = sticky.astype(np.float64)
            if mask.any():
                full[:n_splines, :n_splines] += GAM_CONSTRAINT_LAMBDA * (d1.T * mask) @ d1
                full[np.diag_indices(n_splines)] += 1e-3
        eta = x @ beta
        p = _sigmoid(eta)
        w = nf * p * (1.0 - p)
        rhs = x.T @ (w * eta + (kf - nf * p))
        lhs = (x * w[:, None]).T @ x + full
        beta = np.asarray(np.linalg.solve(lhs, rhs), dtype=np.float64)
        # The intercept and the spline level are only separated by the tiny ridge, so judge
        # convergence on the linear predictor, not on the coefficients.
        change = float(np.max(np.abs(x @ beta - eta)))
        # The 1e9 constraint penalty limits attainable accuracy to about 1e-8 in eta.
        if change <= 1e-7 * (1.0 + float(np.max(np.abs(eta)))):
            converged = True
            break
    if not np.all(np.isfinite(beta)):
        raise _error("MC-E303-FIT-FAILED", "gam fit produced non-finite parameters",
                     "reduce GAM_SPLINES or check the score distribution")
    return GamFit(beta[:n_splines].copy(), float(beta[n_splines]), (lo, hi), iterations,
                  converged, int(zf.shape[0]), binned)


def gam_predict_logit(fit: GamFit, z: FloatArray) -> FloatArray:
    """The fitted GAM's linear predictor at logits ``z`` (clamped to the fitted range)."""
    lo, hi = fit.edge_knots
    scale = hi - lo if hi > lo else 1.0
    basis = _bspline_basis((z - lo) / scale, fit.spline_coef.shape[0])
    out: FloatArray = basis @ fit.spline_coef + fit.intercept
    return out


# --------------------------------------------------------------------------------------------
# Calibrator
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class Calibrator:
    """A fitted calibrator, exactly what ``calibrator.json`` holds.

    ``knots_x``/``knots_y`` (isotonic, gam) are interpolated in the score space; ``coef``
    holds ``(a, b)`` for platt and ``(a, b, c)`` for beta. ``extra_params``, ``fit``, ``rows``,
    ``input_fingerprint`` and ``producer`` are descriptive JSON values.
    """

    method: str
    score_space: str
    clip_epsilon: float
    knots_x: Optional[FloatArray] = None
    knots_y: Optional[FloatArray] = None
    coef: tuple[float, ...] = ()
    extra_params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    fit: Mapping[str, object] = dataclasses.field(default_factory=dict)
    rows: Mapping[str, object] = dataclasses.field(default_factory=dict)
    input_fingerprint: Mapping[str, object] = dataclasses.field(default_factory=dict)
    producer: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def params(self) -> JsonDict:
        params: JsonDict = dict(self.extra_params)
        if self.method in ("isotonic", "gam"):
            assert self.knots_x is not None and self.knots_y is not None
            params["x"] = [float(v) for v in self.knots_x]
            params["y"] = [float(v) for v in self.knots_y]
        else:
            for name, value in zip("abc", self.coef):
                params[name] = float(value)
        return params

    def member_dict(self) -> JsonDict:
        """The calibrator's own fields, as held inside a multi-class or multi-task calibrator."""
        return {"method": self.method, "score_space": self.score_space,
                "clip_epsilon": float(self.clip_epsilon), "params": self.params(),
                "fit": dict(self.fit), "rows": dict(self.rows)}

    def to_json_dict(self) -> JsonDict:
        """The versioned JSON content with its checksum."""
        content: JsonDict = {
            "schema_version": CALIBRATOR_SCHEMA_VERSION,
            "kind": CALIBRATOR_KIND,
            "method": self.method,
            "score_space": self.score_space,
            "clip_epsilon": float(self.clip_epsilon),
            "params": self.params(),
            "fit": dict(self.fit),
            "rows": dict(self.rows),
            "input_fingerprint": dict(self.input_fingerprint),
            "producer": dict(self.producer) or {"script": "model_calibration.py",
                                                "version": SCRIPT_VERSION},
        }
        content["checksum"] = _checksum(content)
        return content


def _canonical_json(content: Mapping[str, object]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _checksum(content: Mapping[str, object]) -> str:
    body = {key: value for key, value in content.items() if key != "checksum"}
    return "sha256:" + hashlib.sha256(_canonical_json(body).encode("utf-8")).hexdigest()


def _invalid(message: str) -> CalibrationScriptError:
    return _error("MC-E401-CALIBRATOR-INVALID", message,
                  "use a calibrator.json written by this script, unmodified")


def _float_list(value: object, name: str) -> FloatArray:
    if not isinstance(value, list) or not value:
        raise _invalid(f"params.{name} must be a non-empty list of numbers")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise _invalid(f"params.{name} must hold numbers only")
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise _invalid(f"params.{name} holds non-finite numbers")
    return arr


def _number(value: object, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise _invalid(f"{name} must be a finite number")
    return float(value)


def _clip_epsilon(value: object, name: str) -> float:
    """A clip epsilon: a finite number strictly between 0 and 0.5 (else ``[eps, 1 - eps]`` is
    empty, or clipping at 0 makes the logit of 0 and 1 infinite)."""
    eps = _number(value, name)
    if not 0.0 < eps < 0.5:
        raise _invalid(f"{name} must lie strictly between 0 and 0.5; got {eps!r}")
    return eps


def _knot_values(ys: FloatArray, name: str, monotone: bool) -> FloatArray:
    """Knot probabilities: in [0, 1] and, for a monotone fit, never decreasing."""
    if float(ys.min()) < 0.0 or float(ys.max()) > 1.0:
        raise _invalid(f"{name} must hold probabilities in [0, 1]; got min {float(ys.min())!r}, "
                       f"max {float(ys.max())!r}")
    if monotone and np.any(np.diff(ys) < 0.0):
        at = int(np.argmax(np.diff(ys) < 0.0))
        raise _invalid(f"{name} must not decrease for a monotone fit; y[{at + 1}] = "
                       f"{float(ys[at + 1])!r} < y[{at}] = {float(ys[at])!r}")
    return ys


def _mapping(value: object, name: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _invalid(f"{name} must be an object")
    return {str(key): item for key, item in value.items()}


def load_calibrator(source: Union[str, os.PathLike[str], Mapping[str, object]]) -> Calibrator:
    """Load a calibrator from a ``calibrator.json`` path or its parsed content.

    Verifies the schema version (``MC-E403-SCHEMA-VERSION``), the checksum
    (``MC-E402-CHECKSUM-MISMATCH``) and the fields (``MC-E401-CALIBRATOR-INVALID``).

    >>> good = Calibrator("platt", "probability", CLIP_EPSILON, coef=(2.0, 0.5)).to_json_dict()
    >>> load_calibrator(good).coef
    (2.0, 0.5)
    >>> try:
    ...     load_calibrator({**good, "method": "beta"})
    ... except CalibrationScriptError as exc:
    ...     print(exc.code)
    MC-E402-CHECKSUM-MISMATCH
    """
    content = _verified_content(source)
    kind = content.get("kind", CALIBRATOR_KIND)
    if kind != CALIBRATOR_KIND:
        raise _invalid(f"kind {kind!r} is not a single binary calibrator; read it with "
                       "load_calibration_model")
    return _parse_member(content, "calibrator")


def _verified_content(source: Union[str, os.PathLike[str], Mapping[str, object]]
                      ) -> Mapping[str, object]:
    """The calibrator JSON content, its schema version and checksum verified."""
    if isinstance(source, Mapping):
        content: Mapping[str, object] = source
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                parsed: object = json.load(handle)
        except (OSError, ValueError) as exc:
            raise _invalid(f"cannot read calibrator JSON {os.fspath(source)!r}: {exc}") from exc
        content = _mapping(parsed, "calibrator")
    version = content.get("schema_version")
    if version != CALIBRATOR_SCHEMA_VERSION or isinstance(version, bool):
        raise _error("MC-E403-SCHEMA-VERSION", f"calibrator schema_version {version!r} "
                     f"is not supported", f"this script reads schema_version "
                     f"{CALIBRATOR_SCHEMA_VERSION}; refit with a matching script version")
    checksum = content.get("checksum")
    try:
        expected = _checksum(content)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"calibrator content is not canonical JSON: {exc}") from exc
    if checksum != expected:
        raise _error("MC-E402-CHECKSUM-MISMATCH", "calibrator checksum does not match its content",
                     "the file was modified or truncated; use the file written by the script")
    return content


def _parse_member(content: Mapping[str, object], where: str) -> Calibrator:
    """One binary calibrator from its JSON fields (checksum verified by the caller)."""
    method = content.get("method")
    space = content.get("score_space")
    if method not in BINARY_METHODS or not isinstance(method, str):
        raise _invalid(f"{where}: unknown method {method!r}")
    if space not in SCORE_SPACES or not isinstance(space, str):
        raise _invalid(f"{where}: unknown score_space {space!r}")
    eps = _clip_epsilon(content.get("clip_epsilon"), f"{where}.clip_epsilon")
    params = _mapping(content.get("params"), f"{where}.params")
    common = dict(
        fit=_mapping(content.get("fit", {}), "fit"),
        rows=_mapping(content.get("rows", {}), "rows"),
        input_fingerprint=_mapping(content.get("input_fingerprint", {}), "input_fingerprint"),
        producer=_mapping(content.get("producer", {}), "producer"),
    )
    if method in ("isotonic", "gam"):
        xs = _float_list(params.get("x"), "x")
        ys = _float_list(params.get("y"), "y")
        if xs.shape != ys.shape or np.any(np.diff(xs) < 0):
            raise _invalid(f"{where}: params.x must be increasing and as long as params.y")
        # isotonic is always monotone; gam unless it was fitted with MONOTONIC_CONSTRAINT=false
        _knot_values(ys, f"{where}.params.y",
                     monotone=method == "isotonic" or params.get("monotonic") is not False)
        extra = {key: value for key, value in params.items() if key not in ("x", "y")}
        return Calibrator(method, space, eps, knots_x=xs, knots_y=ys, extra_params=extra,
                          fit=common["fit"], rows=common["rows"],
                          input_fingerprint=common["input_fingerprint"],
                          producer=common["producer"])
    names = "ab" if method == "platt" else "abc"
    coef = tuple(_number(params.get(name), f"{where}.params.{name}") for name in names)
    if method == "beta":
        for name, value in zip("ab", coef):
            if value < 0.0:
                raise _invalid(f"{where}.params.{name} must be >= 0 (beta is monotone); "
                               f"got {value!r}")
    return Calibrator(method, space, eps, coef=coef, fit=common["fit"], rows=common["rows"],
                      input_fingerprint=common["input_fingerprint"], producer=common["producer"])


def _check_scores(scores: FloatArray, score_space: str) -> None:
    if scores.size == 0:
        return
    lo = float(np.min(scores))
    hi = float(np.max(scores))
    if score_space == "probability":
        ok = lo >= 0.0 and hi <= 1.0
        hint = "probability scores must lie in [0, 1] with no NaN"
    else:
        ok = math.isfinite(lo) and math.isfinite(hi)
        hint = "logit scores must be finite numbers"
    if not ok:
        raise _error("MC-E404-INVALID-SCORES",
                     f"scores contain NaN, infinite or out-of-space values (min {lo}, max {hi})",
                     hint)


def apply_calibrator(calibrator: Calibrator, scores: npt.ArrayLike) -> FloatArray:
    """Calibrated probabilities for ``scores`` (vectorised; no per-row Python code).

    Raises ``MC-E404-INVALID-SCORES`` for NaN, infinite or out-of-space scores.

    >>> iso = Calibrator("isotonic", "probability", CLIP_EPSILON,
    ...                  knots_x=np.array([0.2, 0.8]), knots_y=np.array([0.1, 0.9]))
    >>> apply_calibrator(iso, [0.0, 0.5, 1.0]).tolist()
    [0.1, 0.5, 0.9]
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        s = s.ravel()
    _check_scores(s, calibrator.score_space)
    if calibrator.knots_x is not None and calibrator.knots_y is not None:
        return interpolate_knots(s, calibrator.knots_x, calibrator.knots_y)
    eps = calibrator.clip_epsilon
    if calibrator.method == "platt":
        a, b = calibrator.coef
        z = _logit(s, eps) if calibrator.score_space == "probability" else s.copy()
        with np.errstate(over="ignore"):  # a huge slope times a margin is +-inf: sigmoid 1 or 0
            z *= a
        z += b
        return _sigmoid(z)
    a, b, c = calibrator.coef
    ln_s, ln_1ms = _beta_features(s, calibrator.score_space, eps)
    eta = a * ln_s
    eta -= b * ln_1ms
    eta += c
    return _sigmoid(eta)


APPLY_CHUNK_ROWS = 1 << 16
"""Rows interpolated at a time by ``interpolate_knots`` (temporaries stay in cache)."""


def interpolate_knots(s: FloatArray, knots_x: FloatArray, knots_y: FloatArray) -> FloatArray:
    """Linear interpolation on the knots (``np.interp``'s formula and its constant ends), each
    value clipped to the y of the two knots around its score.

    ``np.interp`` computes ``y[j] + slope * (s - x[j])`` without a bound: just left of a knot the
    rounded product can overshoot that knot's y by an ulp (more for a subnormal slope), and a
    subnormal gap between knots gives an infinite slope. Here every value stays between ``y[j]`` and ``y[j + 1]``, so
    non-decreasing knots give a result that never decreases, exactly. The segment search and the
    arithmetic run in chunks of ``APPLY_CHUNK_ROWS`` rows (the search: ``KnotSearch``).
    Knots with equal x are a step (the value at that x is the last one's y).

    >>> interpolate_knots(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0]),
    ...                   np.array([0.2, 0.4])).tolist()
    [0.2, 0.2, 0.30000000000000004, 0.4, 0.4]
    >>> interpolate_knots(np.array([0.1, 0.3, 0.5]), np.array([0.0, 0.3, 0.3, 1.0]),
    ...                   np.array([0.0, 0.2, 0.6, 1.0])).round(6).tolist()
    [0.066667, 0.6, 0.714286]
    """
    n_knots = knots_x.shape[0]
    if n_knots == 1:
        return np.full(s.shape, float(knots_y[0]))
    # Segment j runs from knot j to knot j + 1; one more, from the last knot on, is constant.
    last = knots_y[-1:]
    dx = np.r_[np.diff(knots_x), 0.0]
    steps = ~(dx > 0.0)  # equal x: a step, only reached by scores below the first knot
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope = np.where(steps, 0.0, np.r_[np.diff(knots_y), 0.0] / np.where(steps, 1.0, dx))
    base = knots_y
    low = np.r_[np.minimum(knots_y[:-1], knots_y[1:]), last]
    high = np.r_[np.maximum(knots_y[:-1], knots_y[1:]), last]
    out = np.empty_like(s)
    search = KnotSearch(knots_x, s)
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, s.shape[0], APPLY_CHUNK_ROWS):
            part = s[start:start + APPLY_CHUNK_ROWS]
            j = search.right(part)
            j -= 1
            np.maximum(j, 0, out=j)  # below the first knot: segment 0, clipped to its y
            chunk = out[start:start + APPLY_CHUNK_ROWS]
            np.subtract(part, knots_x.take(j), out=chunk)
            np.minimum(chunk, dx.take(j), out=chunk)
            chunk *= slope.take(j)
            chunk += base.take(j)
            # fmax/fmin, not clip: 0 * inf (an infinite gap or slope) is NaN, and becomes a bound
            np.fmax(chunk, low.take(j), out=chunk)
            np.fmin(chunk, high.take(j), out=chunk)
    return out


class KnotSearch:
    """``np.searchsorted(knots_x, values, side="right")``, exactly, in a quarter of its time on
    many values: a table over equal-width buckets of ``[knots_x[0], knots_x[-1]]`` gives the
    knots before each value's bucket, and a branch-free binary search over the few knots in
    the bucket finishes (a plain binary search is slow from mispredicted branches).

    Exact because the bucket of a value, ``floor((v - x0) * scale)`` clipped, never decreases
    as v grows, in floating point too, and the knots' buckets are computed the same way: a
    knot in an earlier bucket is below the value, one in a later bucket above it. Used for
    ``values`` with at least as many rows as buckets and no NaN or infinity; otherwise (and for
    knots spanning no or an infinite width) ``right`` is ``np.searchsorted``.

    >>> knots = np.array([0.0, 0.1, 0.1, 0.5, 2.0])
    >>> values = np.linspace(-1.0, 3.0, 40001)
    >>> search = KnotSearch(knots, values, buckets=8)
    >>> bool((search.right(values) == np.searchsorted(knots, values, side="right")).all())
    True
    """

    def __init__(self, knots_x: FloatArray, values: FloatArray,
                 buckets: Optional[int] = None) -> None:
        self.knots_x = knots_x
        self.buckets = buckets if buckets is not None else min(
            1 << 16, 1 << max(4, int(8 * knots_x.shape[0] - 1).bit_length()))
        self.first: Optional[npt.NDArray[np.intp]] = None
        x0, x1 = float(knots_x[0]), float(knots_x[-1])
        with np.errstate(over="ignore"):
            width = x1 - x0
        if values.shape[0] < self.buckets or not (0.0 < width < math.inf):
            return
        scale = self.buckets / width
        lo, hi = float(values.min()), float(values.max())
        if not (0.0 < scale < math.inf and math.isfinite(lo) and math.isfinite(hi)):
            return
        self.x0, self.scale = x0, scale
        knot_buckets = self._bucket(knots_x)
        every = np.arange(self.buckets)
        self.first = np.searchsorted(knot_buckets, every, side="left")
        most = int((np.searchsorted(knot_buckets, every, side="right") - self.first).max())
        self.steps = [1 << k for k in reversed(range(max(1, most.bit_length())))]
        # +inf after the last knot: a step past a bucket's knots compares False, in bounds.
        self.padded = np.concatenate([knots_x, np.full(2 * self.steps[0], np.inf)])

    def _bucket(self, v: FloatArray) -> npt.NDArray[np.intp]:
        t = v - self.x0
        with np.errstate(over="ignore"):
            t *= self.scale
        np.clip(t, 0.0, self.buckets - 1, out=t)
        return t.astype(np.intp)

    def right(self, values: FloatArray) -> npt.NDArray[np.intp]:
        """Per value, the number of knots at or below it (``side="right"``)."""
        if self.first is None:
            return np.searchsorted(self.knots_x, values, side="right")
        j = self.first.take(self._bucket(values))
        for step in self.steps:  # j + step knots at or below the value: j moves there
            j += (self.padded.take(j + (step - 1)) <= values) * step
        return j


def _beta_features(s: FloatArray, score_space: str, eps: float) -> tuple[FloatArray, FloatArray]:
    if score_space == "probability":
        t = np.clip(s, eps, 1.0 - eps)
        return np.log(t), np.log1p(-t)
    return _log_sigmoid(s), _log_sigmoid(-s)


# --------------------------------------------------------------------------------------------
# Fitting on aggregated statistics
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Aggregated:
    """Rows aggregated by unique score: ``values`` ascending, ``n`` rows, ``k`` positives."""

    values: FloatArray
    n: FloatArray
    k: FloatArray


def _runs(ordered: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The distinct values of a sorted array and how many times each occurs."""
    m = ordered.shape[0]
    change = np.empty(m, dtype=bool)
    change[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    del change
    counts = np.diff(starts, append=m).astype(np.float64)
    values: FloatArray = ordered[starts]
    return values, counts


def _sort_with_labels(scores: FloatArray, positive: BoolArray
                      ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
    """Scores >= 0 sorted (as the bits of their floats: read them with ``.view(np.float64)``)
    and their 0/1 labels in that order, by one sort of 64-bit keys, negatives first within a
    score (see ``_aggregate_by_keys``).

    >>> keys, label = _sort_with_labels(np.array([0.5, 0.25, 0.5]),
    ...                                 np.array([True, False, False]))
    >>> keys.view(np.float64).tolist(), label.tolist()
    ([0.25, 0.5, 0.5], [0, 0, 1])
    """
    one = np.uint64(1)
    keys = np.left_shift(scores.view(np.uint64), one)
    keys |= positive
    keys.sort()
    label = np.empty(scores.shape[0], dtype=np.uint8)
    np.bitwise_and(keys, one, out=label, casting="unsafe")
    keys >>= one
    return keys, label


def _aggregate_by_keys(scores: FloatArray, positive: BoolArray) -> Aggregated:
    """``aggregate`` of scores >= 0 with 0/1 labels and unit weights, by one sort.

    The bits of a float >= 0 read as an unsigned integer sort as the float does, and their top
    (sign) bit is 0: shifted left by one, the label fits in the lowest bit. One sort of these
    keys orders the rows by score (negatives first within a score); the counts are run lengths
    and the positives a sum per run. -0.0 becomes 0.0.
    """
    m = scores.shape[0]
    keys, label = _sort_with_labels(scores, positive)
    ordered = keys.view(np.float64)
    change = np.empty(m, dtype=bool)
    change[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    del change
    values: FloatArray = ordered[starts]
    del keys, ordered
    k: FloatArray = np.add.reduceat(label, starts, dtype=np.float64)
    del label
    n: FloatArray = np.diff(starts, append=m).astype(np.float64)
    return Aggregated(values, n, k)


def aggregate(scores: FloatArray, labels: npt.NDArray[np.generic],
              weights: Optional[FloatArray] = None) -> Aggregated:
    """Exact aggregation of equal scores: sums of weights (row counts) and of weighted labels.

    Without weights and with 0/1 labels (bool or numbers) the rows are counted by sorting all
    scores and the positives' scores (no permutation, no per-row index); otherwise by
    ``np.unique`` and weighted bincounts. Scores must not be NaN.

    >>> agg = aggregate(np.array([0.2, 0.2, 0.7]), np.array([1.0, 0.0, 1.0]),
    ...                 np.array([2.0, 1.0, 0.5]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.2, 0.7], [3.0, 0.5], [2.0, 0.5])
    >>> agg = aggregate(np.array([0.7, 0.2, 0.2]), np.array([True, False, True]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.2, 0.7], [2.0, 1.0], [1.0, 1.0])
    """
    if weights is None:
        positive = labels if labels.dtype == np.bool_ else labels == 1
        binary = labels.dtype == np.bool_ or (
            int(np.count_nonzero(positive)) + int(np.count_nonzero(labels == 0)) ==
            labels.shape[0])
        if binary and scores.shape[0] and scores.dtype == np.float64 and \
                float(np.min(scores)) >= 0.0:
            return _aggregate_by_keys(scores, np.asarray(positive, dtype=np.bool_))
        if binary:
            values, n = _runs(np.sort(scores))
            k = np.zeros(values.shape[0])
            if values.shape[0]:
                pos_values, pos_counts = _runs(np.sort(scores[positive]))
                k[np.searchsorted(values, pos_values)] = pos_counts
            return Aggregated(values, n, k)
    values, inverse = np.unique(scores, return_inverse=True)
    inv = inverse.ravel()
    y = np.asarray(labels, dtype=np.float64)
    if weights is None:
        n = np.bincount(inv, minlength=values.shape[0]).astype(np.float64)
        k = _weighted_count(inv, y, values.shape[0])
    else:
        n = _weighted_count(inv, weights, values.shape[0])
        k = _weighted_count(inv, y * weights, values.shape[0])
    return Aggregated(values, n, k)


def _check_two_classes(agg: Aggregated, context: str) -> None:
    positives = float(agg.k.sum())
    total = float(agg.n.sum())
    if positives <= 0.0 or positives >= total:
        only = "positive" if positives > 0 else "negative"
        raise _error("MC-E301-SINGLE-CLASS",
                     f"{context}: all {int(total)} rows are {only}; a calibrator needs both classes",
                     "provide evaluation data with both label values")


def fit_calibrator(agg: Aggregated, settings: Settings, context: str = "fit",
                   row_bins: Optional[JsonDict] = None,
                   clipped_rows: Optional[int] = None) -> Calibrator:
    """Fit the configured method on aggregated rows (counts with zero rows are ignored).

    ``row_bins`` (a :meth:`RowBins.describe`) says ``agg`` holds logit bins of the rows, not
    their distinct scores: the fit statistics then record it instead of ``unique_scores``, with
    the ``clipped_rows`` counted on the rows.
    """
    keep = agg.n > 0
    if not np.all(keep):
        agg = Aggregated(agg.values[keep], agg.n[keep], agg.k[keep])
    _check_two_classes(agg, context)
    eps = CLIP_EPSILON
    space = settings.score_space
    start = time.perf_counter()
    fit: JsonDict = {"rows": int(agg.n.sum()), "positives": int(agg.k.sum())}
    if row_bins is None:
        fit["unique_scores"] = int(agg.values.shape[0])
    else:
        fit["row_bins"] = row_bins
    if space == "probability":
        clipped = (agg.values < eps) | (agg.values > 1.0 - eps)
        fit["clipped_rows"] = 0 if settings.method == "isotonic" else \
            int(agg.n[clipped].sum()) if clipped_rows is None else clipped_rows
    if settings.method == "isotonic":
        xs, ys = isotonic_knots(agg.values, agg.n, agg.k)
        cal = Calibrator("isotonic", space, eps, knots_x=xs, knots_y=ys, fit=fit)
    elif settings.method == "platt":
        z = _logit(agg.values, eps) if space == "probability" else agg.values
        res = fit_logistic_line(z, agg.n, agg.k)
        fit.update(iterations=res.iterations, converged=res.converged,
                   neg_log_likelihood=res.neg_log_lik)
        cal = Calibrator("platt", space, eps, coef=(float(res.coef[0]), float(res.coef[1])),
                         fit=fit)
    elif settings.method == "beta":
        coef, res = _fit_beta(agg, space, eps)
        fit.update(iterations=res.iterations, converged=res.converged,
                   neg_log_likelihood=res.neg_log_lik)
        cal = Calibrator("beta", space, eps, coef=coef, fit=fit)
    else:
        z = _logit(agg.values, eps) if space == "probability" else agg.values
        gam = fit_gam(z, agg.n, agg.k, settings.gam_splines, settings.monotonic)
        grid = np.linspace(gam.edge_knots[0], gam.edge_knots[1], GAM_TABLE_POINTS)
        table = _sigmoid(gam_predict_logit(gam, grid))
        if settings.monotonic:
            table = np.maximum.accumulate(table)
        xs = _sigmoid(grid) if space == "probability" else grid
        xs, unique_idx = np.unique(xs, return_index=True)
        fit.update(iterations=gam.iterations, converged=gam.converged, fit_points=gam.points,
                   binned=gam.binned)
        extra: JsonDict = {"spline_coef": [float(v) for v in gam.spline_coef],
                           "intercept": gam.intercept, "edge_knots": list(gam.edge_knots),
                           "n_splines": settings.gam_splines, "lam": GAM_LAMBDA,
                           "monotonic": settings.monotonic, "knot_space": "logit grid"}
        xs, ys = merge_close_knots(xs, table[unique_idx])
        cal = Calibrator("gam", space, eps, knots_x=xs, knots_y=ys, extra_params=extra, fit=fit)
    fit["seconds"] = round(time.perf_counter() - start, 6)
    if settings.method != "isotonic" and fit.get("converged") is False:
        logger.warning("%s: %s fit did not converge in %s iterations", context, settings.method,
                       fit.get("iterations"))
    return cal


def isotonic_knots(values: FloatArray, n: FloatArray, k: FloatArray
                   ) -> tuple[FloatArray, FloatArray]:
    """The exact isotonic fit of the rates ``k / n`` at ascending ``values`` (weights ``n``),
    as knots: the first and last value of each constant block.

    A block of the fit can only end where the rate rises (the last rate of a block is at most
    its mean, the first of the next at least that block's higher mean), so each maximal run of
    values whose rate does not rise lies inside one block: the runs are pooled first and the
    pool-adjacent-violators fit runs on them (about 4x fewer points for continuous scores with
    0/1 labels). The optimum is unique, so this is the fit on every value, up to rounding.

    >>> xs, ys = isotonic_knots(np.array([0.1, 0.2, 0.3, 0.4]), np.ones(4),
    ...                         np.array([0.0, 1.0, 0.0, 1.0]))
    >>> xs.tolist(), ys.tolist()
    ([0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 1.0])
    """
    rate = k / n
    rise = rate[1:] > rate[:-1]
    del rate
    starts = np.flatnonzero(np.r_[True, rise])
    del rise
    fitted = pav_aggregated(values[starts], np.add.reduceat(n, starts),
                            np.add.reduceat(k, starts))
    return _block_knots(values, starts, fitted)


def _block_knots(values: FloatArray, starts: IntArray, fitted: FloatArray
                 ) -> tuple[FloatArray, FloatArray]:
    """Knots of a fit constant on the runs of ``values`` beginning at ``starts`` (``fitted``
    per run): the first and last value of each block of equal fitted runs (one knot for a
    single value), knots closer than ``KNOT_MIN_GAP`` merged (``merge_close_knots``)."""
    m = values.shape[0]
    block = np.flatnonzero(np.r_[True, fitted[1:] != fitted[:-1]])
    first = starts[block]
    last = np.r_[first[1:] - 1, m - 1]
    xs = np.empty(2 * block.shape[0])
    xs[0::2] = values[first]
    xs[1::2] = values[last]
    ys = np.repeat(fitted[block], 2)
    keep = np.ones(xs.shape[0], dtype=bool)
    keep[1::2] = last > first
    return merge_close_knots(xs[keep], ys[keep])


def isotonic_rows(scores: FloatArray, positive: BoolArray
                  ) -> Optional[tuple[FloatArray, FloatArray]]:
    """:func:`isotonic_knots` of unweighted rows with scores >= 0, from one sort of 64-bit keys
    (as ``_aggregate_by_keys``) and no aggregate: with every score distinct, a block can only
    end between a negative and the positive after it, so the rows between such pairs are
    pooled straight from the sorted labels. None when two rows share a score (the caller then
    aggregates).
    """
    m = scores.shape[0]
    keys, label = _sort_with_labels(scores, positive)
    ordered = keys.view(np.float64)
    if not bool((ordered[1:] != ordered[:-1]).all()):
        return None
    starts = np.flatnonzero(np.r_[True, label[1:] > label[:-1]])
    n = np.diff(starts, append=m).astype(np.float64)
    k = np.add.reduceat(label, starts, dtype=np.float64)
    del label
    fitted = pav_aggregated(ordered[starts], n, k)
    return _block_knots(ordered, starts, fitted)


def fit_isotonic_rows(scores: FloatArray, positive: BoolArray, settings: Settings
                      ) -> Optional[Calibrator]:
    """The isotonic calibrator of unweighted rows by :func:`isotonic_rows` (the same knots and
    fit statistics as ``fit_calibrator`` on their aggregate); None when it does not apply
    (a negative score, or a score shared by two rows)."""
    if scores.shape[0] == 0 or scores.dtype != np.float64 or not float(np.min(scores)) >= 0.0:
        return None
    start = time.perf_counter()
    knots = isotonic_rows(scores, positive)
    if knots is None:
        return None
    m = int(scores.shape[0])
    fit: JsonDict = {"rows": m, "positives": int(np.count_nonzero(positive)),
                     "unique_scores": m}
    if settings.score_space == "probability":
        fit["clipped_rows"] = 0
    fit["seconds"] = round(time.perf_counter() - start, 6)
    return Calibrator("isotonic", settings.score_space, CLIP_EPSILON, knots_x=knots[0],
                      knots_y=knots[1], fit=fit)


KNOT_MIN_GAP = 1e-300
"""Knots closer than this are merged: ``np.interp``'s slope between them, (y1 - y0) / (x1 - x0)
with probabilities y, would be infinite for a subnormal gap."""


def merge_close_knots(xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Interpolation knots with every gap >= ``KNOT_MIN_GAP``, or exactly 0 (a step).

    Each run of knots less than ``KNOT_MIN_GAP`` apart becomes a step at the run's last ``x``:
    ``(x_last, y_first)`` and ``(x_last, y_last)``. ``np.interp`` never interpolates across a
    zero-width segment (at ``x_last`` it returns ``y_last``), so the values at the run's first
    and last knots are kept, scores inside the run get ``y_first``, and non-decreasing ``y``
    stay non-decreasing. Knots without such a run are returned as they are (the same arrays).

    >>> xs, ys = merge_close_knots(np.array([2e-311, 4e-311, 0.3]), np.array([0.0, 0.5, 0.9]))
    >>> xs.tolist(), ys.tolist()
    ([4e-311, 4e-311, 0.3], [0.0, 0.5, 0.9])
    >>> np.interp([3e-311, 4e-311, 0.15], xs, ys).tolist()
    [0.0, 0.5, 0.7]
    """
    if xs.shape[0] < 2:
        return xs, ys
    close = np.diff(xs) < KNOT_MIN_GAP
    if not close.any():
        return xs, ys
    starts = np.flatnonzero(np.r_[True, ~close])
    ends = np.r_[starts[1:] - 1, xs.shape[0] - 1]
    step = (ends > starts) & (ys[ends] != ys[starts])
    kept = np.sort(np.concatenate([starts, ends[step]]))
    run = np.searchsorted(starts, kept, side="right") - 1
    merged_x: FloatArray = xs[ends[run]]
    merged_y: FloatArray = ys[kept]
    return merged_x, merged_y


def _fit_beta(agg: Aggregated, space: str, eps: float
              ) -> tuple[tuple[float, float, float], LogisticFit]:
    ln_s, ln_1ms = _beta_features(agg.values, space, eps)
    features = {"a": ln_s, "b": -ln_1ms}
    best: Optional[tuple[tuple[float, float, float], LogisticFit]] = None
    for active in (("a", "b"), ("a",), ("b",), ()):
        if len(active) == 1:
            res = fit_logistic_line(features[active[0]], agg.n, agg.k)
        else:
            cols = [features[name] for name in active] + [np.ones_like(ln_s)]
            res = fit_logistic(np.column_stack(cols), agg.n, agg.k)
        values = dict(zip(active, (float(v) for v in res.coef)))
        a, b = values.get("a", 0.0), values.get("b", 0.0)
        if a < 0.0 or b < 0.0:
            continue
        coef = (a, b, float(res.coef[-1]))
        if best is None or res.neg_log_lik < best[1].neg_log_lik - 1e-9:
            best = (coef, res)
        if len(active) == 2:
            break
    assert best is not None  # the intercept-only model is always feasible
    return best


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------
def _num(value: float) -> Union[int, float]:
    """An integral sum as ``int`` (row counts), any other as ``float`` (sums of weights)."""
    return int(value) if float(value).is_integer() else float(value)


def _nan_to_none(value: float) -> Optional[float]:
    return float(value) if math.isfinite(value) else None


def _bin_block(agg: Aggregated, bins: int, strategy: str, total: float
               ) -> tuple[JsonDict, FloatArray, FloatArray, FloatArray]:
    """One ``bins`` block of ``binary_metrics`` (``equal_width`` or ``equal_mass``).

    The bin index of each prediction is computed in chunks of ``METRICS_CHUNK_ROWS`` (equal mass:
    the running sum of weights carried over, the same additions as one cumsum), so no
    n-length temporary is made.
    """
    count = np.zeros(bins)
    sum_p = np.zeros(bins)
    pos = np.zeros(bins)
    lower = np.full(bins, np.nan)
    upper = np.full(bins, np.nan)
    ids = np.arange(bins)
    carry = 0.0
    for start in range(0, agg.values.shape[0], METRICS_CHUNK_ROWS):
        part = slice(start, start + METRICS_CHUNK_ROWS)
        p, n = agg.values[part], agg.n[part]
        if strategy == "equal_width":
            idx = np.minimum((p * bins).astype(np.int64), bins - 1)
        else:
            running = np.cumsum(np.concatenate(([carry], n)))[1:]
            carry = float(running[-1])
            running -= n  # the weight before each prediction
            running *= bins
            running /= total
            idx = np.minimum(running.astype(np.int64), bins - 1)
            del running
        count += _weighted_count(idx, n, bins)
        sum_p += _weighted_count(idx, n * p, bins)
        pos += _weighted_count(idx, agg.k[part], bins)
        # idx is non-decreasing along the ascending values: a bin's edges are its first/last
        # value (the first from the first chunk that holds the bin, the last from the last).
        first = np.searchsorted(idx, ids, side="left")
        last = np.searchsorted(idx, ids, side="right") - 1
        filled = last >= first
        new = filled & np.isnan(lower)
        lower[new] = p[first[new]]
        upper[filled] = p[last[filled]]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = sum_p / count
        rate = pos / count
    block: JsonDict = {
        "strategy": strategy, "n_bins": bins,
        "count": [_num(c) for c in count],
        "mean_predicted": [_nan_to_none(v) for v in mean_p],
        "observed_rate": [_nan_to_none(v) for v in rate],
        "lower": [_nan_to_none(v) for v in lower],
        "upper": [_nan_to_none(v) for v in upper],
    }
    return block, count, mean_p, rate


def _calibration_errors(count: FloatArray, mean_p: FloatArray, rate: FloatArray
                        ) -> tuple[float, float, float]:
    nonempty = count > 0
    weight = count[nonempty] / count.sum()
    gap = np.abs(mean_p[nonempty] - rate[nonempty])
    return float(np.dot(weight, gap)), float(gap.max()), float(math.sqrt(np.dot(weight, gap**2)))


def auc_aggregated(agg: Aggregated) -> tuple[Optional[float], Optional[str]]:
    """Rank AUC (ties count one half) from rows aggregated by ascending unique score."""
    pos_total = float(agg.k.sum())
    neg = agg.n - agg.k
    neg_total = float(neg.sum())
    if pos_total <= 0 or neg_total <= 0:
        return None, "only one class present"
    del neg
    # Each class's weights as fractions of its total: no product of two sums over- or underflows.
    # In chunks of METRICS_CHUNK_ROWS (the running sum carried over: the same additions in the
    # same order as one cumsum), so no n-length temporary is made.
    auc = 0.0
    carry = 0.0
    for start in range(0, agg.n.shape[0], METRICS_CHUNK_ROWS):
        part = slice(start, start + METRICS_CHUNK_ROWS)
        pos = agg.k[part] / pos_total
        neg = agg.n[part] - agg.k[part]
        neg /= neg_total
        running = np.cumsum(np.concatenate(([carry], neg)))
        carry = float(running[-1])
        neg_below = running[:-1]
        auc += float(np.dot(pos, neg_below)) + 0.5 * float(np.dot(pos, neg))
    return min(max(auc, 0.0), 1.0), None


def logit_bin_stats(agg: Aggregated, bins: int = SLOPE_BINS) -> Optional[Aggregated]:
    """Sufficient statistics of ``logit(p)`` over ``bins`` equal-width bins, for the slope fit.

    The clipped logit of the predictions ``agg.values`` (clip ``CLIP_EPSILON``) is cut into
    ``bins`` equal-width bins between its minimum and maximum; each non-empty bin gives its
    weight (``n``), positive weight (``k``) and weighted mean logit (``values``, ascending). One
    pass in chunks of ``METRICS_CHUNK_ROWS`` with ``np.bincount``: no n-length temporary.
    ``None`` when every logit is equal.

    >>> stats = logit_bin_stats(aggregate(np.array([0.1, 0.5, 0.9]), np.array([0, 1, 1])), 2)
    >>> [round(v, 6) for v in stats.values.tolist()], stats.n.tolist(), stats.k.tolist()
    ([-2.197225, 1.098612], [1.0, 2.0], [0.0, 2.0])
    """
    p = agg.values
    lo_hi = _logit(np.array([np.min(p), np.max(p)]), CLIP_EPSILON)
    lo, hi = float(lo_hi[0]), float(lo_hi[1])
    if not hi > lo:
        return None
    scale = bins / (hi - lo)
    count = np.zeros(bins)
    pos = np.zeros(bins)
    sum_z = np.zeros(bins)
    for start in range(0, p.shape[0], METRICS_CHUNK_ROWS):
        part = slice(start, start + METRICS_CHUNK_ROWS)
        z = _logit(p[part], CLIP_EPSILON)
        idx = np.minimum(((z - lo) * scale).astype(np.int64), bins - 1)
        np.maximum(idx, 0, out=idx)
        n = agg.n[part]
        count += _weighted_count(idx, n, bins)
        pos += _weighted_count(idx, agg.k[part], bins)
        z *= n
        sum_z += _weighted_count(idx, z, bins)
    filled = count > 0
    mean_z: FloatArray = sum_z[filled] / count[filled]
    return Aggregated(mean_z, count[filled], pos[filled])


def binary_metrics(agg: Aggregated, bins: int, rows: Optional[int] = None) -> JsonDict:
    """All binary calibration metrics of predictions ``agg.values`` (probabilities).

    ``agg.n``/``agg.k`` may be sums of weights: every figure is then weighted, ``n`` is the
    row count ``rows`` and ``weight_sum`` the total weight.
    """
    total = float(agg.n.sum())
    positives = float(agg.k.sum())
    p = agg.values
    width_block, w_count, w_mean, w_rate = _bin_block(agg, bins, "equal_width", total)
    mass_block, m_count, m_mean, m_rate = _bin_block(agg, bins, "equal_mass", total)
    ece_w, mce_w, rms_w = _calibration_errors(w_count, w_mean, w_rate)
    ece_m, mce_m, rms_m = _calibration_errors(m_count, m_mean, m_rate)
    base = positives / total
    # Brier, log loss and Spiegelhalter's sums in chunks of METRICS_CHUNK_ROWS predictions: no
    # n-length temporary (the same terms, summed chunk by chunk).
    sq = k_p = ll = var = z_num = 0.0
    clipped_sum = 0.0
    for start in range(0, p.shape[0], METRICS_CHUNK_ROWS):
        part = slice(start, start + METRICS_CHUNK_ROWS)
        pp, nn, kk = p[part], agg.n[part], agg.k[part]
        sq += float(np.dot(nn, pp * pp))
        k_p += float(np.dot(kk, pp))
        pc = np.clip(pp, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
        clipped_sum += float(nn[(pp < CLIP_EPSILON) | (pp > 1.0 - CLIP_EPSILON)].sum())
        ll += float(np.dot(kk, np.log(pc)) + np.dot(nn - kk, np.log1p(-pc)))
        var += float(np.dot(nn, (1.0 - 2.0 * pp) ** 2 * pp * (1.0 - pp)))
        z_num += float(np.dot(kk - nn * pp, 1.0 - 2.0 * pp))
    brier = (sq - 2.0 * k_p + positives) / total
    nonempty = w_count > 0
    weight = w_count[nonempty] / total
    reliability = float(np.dot(weight, (w_mean[nonempty] - w_rate[nonempty]) ** 2))
    resolution = float(np.dot(weight, (w_rate[nonempty] - base) ** 2))
    clipped = _num(clipped_sum)
    log_loss = -ll / total
    auc, auc_reason = auc_aggregated(agg)
    slope: Optional[float] = None
    intercept: Optional[float] = None
    slope_reason: Optional[str] = None
    slope_bins: Optional[int] = None
    if 0 < positives < total:
        if p.shape[0] <= SLOPE_BINS:  # few distinct predictions: the exact fit on all of them
            z = _logit(p, CLIP_EPSILON)
            line: Optional[Aggregated] = Aggregated(z, agg.n, agg.k) if np.ptp(z) > 0 else None
        else:
            line = logit_bin_stats(agg, SLOPE_BINS)
            slope_bins = SLOPE_BINS
        if line is not None:
            res = fit_logistic_line(line.values, line.n, line.k)
            slope, intercept = float(res.coef[0]), float(res.coef[1])
        else:
            slope_reason = "all predictions are equal"
            slope_bins = None
        del line
    else:
        slope_reason = "only one class present"
    spiegel = z_num / math.sqrt(var) if var > 0 else None
    return {
        "n": int(total) if rows is None else rows, "weight_sum": float(total),
        "positives": _num(positives), "base_rate": base,
        "ece_equal_width": ece_w, "ece_equal_mass": ece_m,
        "mce_equal_width": mce_w, "mce_equal_mass": mce_m,
        "rmsce_equal_width": rms_w, "rmsce_equal_mass": rms_m,
        "bins": {"equal_width": width_block, "equal_mass": mass_block},
        "brier": brier,
        "brier_decomposition": {"reliability": reliability, "resolution": resolution,
                                "uncertainty": base * (1.0 - base), "bins": "equal_width"},
        "log_loss": log_loss, "log_loss_clip_epsilon": CLIP_EPSILON,
        "log_loss_clipped_rows": clipped,
        "auc": auc, "auc_null_reason": auc_reason,
        "calibration_slope": slope, "calibration_intercept": intercept,
        "calibration_slope_null_reason": slope_reason, "calibration_slope_bins": slope_bins,
        "spiegelhalter_z": spiegel,
        "spiegelhalter_p_value": math.erfc(abs(spiegel) / math.sqrt(2.0))
        if spiegel is not None else None,
    }


def binary_metrics_of(p: FloatArray, positive: BoolArray, weights: Optional[FloatArray],
                      bins: int) -> JsonDict:
    """``binary_metrics`` of per-row predictions ``p``: aggregated exactly by distinct value,
    or from ``BINNED_MIN_ROWS`` rows on :class:`RowBins` of their logit (recorded in
    ``row_bins``, as the binned binary path does).

    >>> round(binary_metrics_of(np.array([0.2, 0.8]), np.array([False, True]), None, 2)["brier"],
    ...       12)
    0.04
    """
    agg: Optional[Aggregated] = None
    binning: Optional[JsonDict] = None
    if p.shape[0] >= BINNED_MIN_ROWS:
        rb = bin_rows(p, positive, weights, None, 1, "probability")
        if rb is not None:
            agg, binning = rb.aggregated((0,), "probability"), rb.describe()
    if agg is None:
        agg = aggregate(p, positive, weights)
    block = binary_metrics(agg, bins, rows=int(p.shape[0]))
    block["row_bins"] = binning
    return block


def multiclass_metrics(probs: FloatArray, labels: IntArray, weights: FloatArray,
                       names: Sequence[str], bins: int) -> JsonDict:
    """Multi-class metrics: top-label, per-class (one-vs-rest) and macro figures, all weighted.

    ``ece_equal_width`` is the top-label ECE (confidence = the highest class probability,
    outcome = whether that class is the label): the figure the gate compares with the threshold.
    """
    n = probs.shape[0]
    total = float(weights.sum())
    # unit weights aggregate by one sort of bool-labelled keys, not by np.unique
    agg_weights = None if bool(np.all(weights == 1.0)) else weights
    per_class: JsonDict = {}
    eces_w: list[float] = []
    eces_m: list[float] = []
    aucs: dict[str, Optional[float]] = {}
    reasons: dict[str, str] = {}
    for j, name in enumerate(names):
        block = binary_metrics_of(np.ascontiguousarray(probs[:, j]), labels == j, agg_weights,
                                  bins)
        per_class[name] = block
        eces_w.append(_json_number(block["ece_equal_width"]))
        eces_m.append(_json_number(block["ece_equal_mass"]))
        auc = block["auc"]
        aucs[name] = float(auc) if isinstance(auc, float) else None
        if auc is None:
            reasons[name] = f"class {name!r} is absent or is every row's label"
    rows = np.arange(n)
    hit = probs.argmax(axis=1) == labels
    top = binary_metrics_of(probs.max(axis=1), hit, agg_weights, bins)
    correct = hit.astype(np.float64)
    p_true = probs[rows, labels]
    brier = float(np.dot(weights, np.einsum("ij,ij->i", probs, probs) - 2.0 * p_true + 1.0))
    clipped = p_true < CLIP_EPSILON
    log_loss = -float(np.dot(weights, np.log(np.clip(p_true, CLIP_EPSILON, 1.0)))) / total
    defined = [a for a in aucs.values() if a is not None]
    class_weight = _weighted_count(labels, weights, len(names))
    return {
        "n": n, "weight_sum": total, "classes": list(names),
        "class_counts": {name: _num(float(v)) for name, v in zip(names, class_weight)},
        "ece_equal_width": top["ece_equal_width"], "ece_equal_mass": top["ece_equal_mass"],
        "ece_definition": "top-label: confidence = highest class probability, outcome = "
                          "that class is the label",
        "top_label": top,
        "macro": {"ece_equal_width": float(np.mean(eces_w)),
                  "ece_equal_mass": float(np.mean(eces_m)),
                  "definition": "mean over classes of the one-vs-rest (class-wise) figures"},
        "brier": brier / total, "brier_definition": "sum over classes of squared errors",
        "log_loss": log_loss, "log_loss_clip_epsilon": CLIP_EPSILON,
        "log_loss_clipped_rows": int(clipped.sum()),
        "accuracy": float(np.dot(weights, correct)) / total,
        "auc_ovr": {"per_class": aucs, "null_reasons": reasons,
                    "macro": float(np.mean(defined)) if defined else None,
                    "macro_over_classes": len(defined),
                    "macro_null_reason": None if defined else "no class has both outcomes"},
        "per_class": per_class,
    }


def multitask_metrics(tasks: Mapping[str, JsonDict]) -> JsonDict:
    """Per-task blocks and their aggregate; ``ece_equal_width`` is the worst task's."""
    eces = {name: _json_number(block["ece_equal_width"]) for name, block in tasks.items()}
    worst = max(eces, key=lambda name: eces[name])

    def mean_of(key: str) -> Optional[float]:
        values = [float(v) for v in (block.get(key) for block in tasks.values())
                  if isinstance(v, (int, float))]
        return float(np.mean(values)) if values else None

    return {"ece_equal_width": eces[worst], "worst_task": worst,
            "aggregate": {"max_ece_equal_width": eces[worst],
                          "mean_ece_equal_width": mean_of("ece_equal_width"),
                          "mean_ece_equal_mass": mean_of("ece_equal_mass"),
                          "mean_brier": mean_of("brier"), "mean_log_loss": mean_of("log_loss"),
                          "mean_auc": mean_of("auc"), "tasks": len(tasks)},
            "tasks": dict(tasks)}


# --------------------------------------------------------------------------------------------
# Multi-class and multi-task calibrators
# --------------------------------------------------------------------------------------------
MULTICLASS_KIND = "calibration_step.multiclass_calibrator"
MULTITASK_KIND = "calibration_step.multitask_calibrator"
RENORMALISATION = ("one-vs-rest outputs divided by their row sum; a row whose outputs are all 0 "
                   "becomes uniform")


@dataclasses.dataclass(frozen=True, eq=False)
class MultiCalibrator:
    """A multi-class or multi-task calibrator: one ``calibrator.json`` for every class or task.

    ``mode="multiclass"``: ``names`` are the categories, ``score_fields`` their columns and
    ``label_fields`` the one label column; ``members`` hold one binary calibrator per class
    (one-vs-rest, renormalised) or nothing for ``temperature``, which keeps ``scale`` (1/T) and
    ``bias`` (one per class; zeros without TEMPERATURE_BIAS). ``mode="multitask"``: ``names`` are
    the tasks (their score columns), ``label_fields`` one per task, ``members`` one per task.

    >>> temp = MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...                        clip_epsilon=CLIP_EPSILON, names=("a", "b"),
    ...                        score_fields=("p_a", "p_b"), label_fields=("y",), scale=0.5,
    ...                        bias=(0.0, 0.0))
    >>> loaded = load_calibration_model(temp.to_json_dict())
    >>> apply_multiclass(loaded, np.array([[2.0, 0.0]])).round(4).tolist()
    [[0.7311, 0.2689]]
    """

    mode: str
    method: str
    score_space: str
    clip_epsilon: float
    names: tuple[str, ...]
    score_fields: tuple[str, ...]
    label_fields: tuple[str, ...]
    members: tuple[Calibrator, ...] = ()
    scale: float = 1.0
    bias: tuple[float, ...] = ()
    fit: Mapping[str, object] = dataclasses.field(default_factory=dict)
    rows: Mapping[str, object] = dataclasses.field(default_factory=dict)
    input_fingerprint: Mapping[str, object] = dataclasses.field(default_factory=dict)
    producer: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def params(self) -> JsonDict:
        if self.method == "temperature":
            return {"scale": float(self.scale), "temperature": 1.0 / float(self.scale),
                    "bias": [float(b) for b in self.bias]}
        if self.mode == "multiclass":
            return {"renormalisation": RENORMALISATION}
        return {}

    def to_json_dict(self) -> JsonDict:
        """The versioned JSON content with its checksum (members carry no checksum of their own)."""
        content: JsonDict = {
            "schema_version": CALIBRATOR_SCHEMA_VERSION,
            "kind": MULTICLASS_KIND if self.mode == "multiclass" else MULTITASK_KIND,
            "mode": self.mode,
            "method": self.method,
            "score_space": self.score_space,
            "clip_epsilon": float(self.clip_epsilon),
            "names": list(self.names),
            "score_fields": list(self.score_fields),
            "label_fields": list(self.label_fields),
            "params": self.params(),
            "members": [{"name": name, **member.member_dict()}
                        for name, member in zip(self.names, self.members)],
            "fit": dict(self.fit),
            "rows": dict(self.rows),
            "input_fingerprint": dict(self.input_fingerprint),
            "producer": dict(self.producer) or {"script": "model_calibration.py",
                                                "version": SCRIPT_VERSION},
        }
        content["checksum"] = _checksum(content)
        return content


AnyCalibrator = Union[Calibrator, MultiCalibrator]


def _name_list(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _invalid(f"{name} must be a list of non-empty strings")
    return tuple(str(v) for v in value)


def load_calibration_model(source: Union[str, os.PathLike[str], Mapping[str, object]]
                           ) -> AnyCalibrator:
    """Load any ``calibrator.json`` (binary, multi-class or multi-task), checksum verified.

    >>> good = Calibrator("platt", "probability", CLIP_EPSILON, coef=(2.0, 0.5)).to_json_dict()
    >>> type(load_calibration_model(good)).__name__
    'Calibrator'
    """
    content = _verified_content(source)
    kind = content.get("kind", CALIBRATOR_KIND)
    if kind == CALIBRATOR_KIND:
        return _parse_member(content, "calibrator")
    if kind not in (MULTICLASS_KIND, MULTITASK_KIND):
        raise _invalid(f"unknown calibrator kind {kind!r}")
    mode = "multiclass" if kind == MULTICLASS_KIND else "multitask"
    method = content.get("method")
    allowed = METHODS[:5] if mode == "multiclass" else METHODS
    if not isinstance(method, str) or method not in allowed:
        raise _invalid(f"unknown {mode} method {method!r}")
    space = content.get("score_space")
    if not isinstance(space, str) or space not in SCORE_SPACES:
        raise _invalid(f"unknown score_space {space!r}")
    names = _name_list(content.get("names"), "names")
    fields = _name_list(content.get("score_fields"), "score_fields")
    labels = _name_list(content.get("label_fields"), "label_fields")
    if len(fields) != len(names) or len(names) < (2 if mode == "multiclass" else 1):
        raise _invalid("names and score_fields must be lists of equal length")
    if len(labels) != (1 if mode == "multiclass" else len(names)):
        raise _invalid("label_fields must hold one label column per task (one for multiclass)")
    raw_members = content.get("members")
    if not isinstance(raw_members, list):
        raise _invalid("members must be a list")
    members = tuple(_parse_member(_mapping(item, f"members[{i}]"), f"members[{i}]")
                    for i, item in enumerate(raw_members))
    member_names = [_mapping(item, "member").get("name") for item in raw_members]
    params = _mapping(content.get("params"), "params")
    scale = 1.0
    bias: tuple[float, ...] = ()
    if method == "temperature":
        scale = _number(params.get("scale"), "params.scale")
        bias_list = _float_list(params.get("bias"), "bias")
        bias = tuple(float(b) for b in bias_list)
        if scale <= 0.0 or len(bias) != len(names) or members:
            raise _invalid("temperature needs scale > 0, one bias per class and no members")
    elif member_names != list(names):
        raise _invalid("members must hold one calibrator per name, in the order of names")
    return MultiCalibrator(
        mode=mode, method=method, score_space=space,
        clip_epsilon=_clip_epsilon(content.get("clip_epsilon"), "clip_epsilon"), names=names,
        score_fields=fields, label_fields=labels, members=members, scale=scale, bias=bias,
        fit=_mapping(content.get("fit", {}), "fit"), rows=_mapping(content.get("rows", {}), "rows"),
        input_fingerprint=_mapping(content.get("input_fingerprint", {}), "input_fingerprint"),
        producer=_mapping(content.get("producer", {}), "producer"))


def _row_reduce(ufunc: np.ufunc, values: FloatArray) -> FloatArray:
    """``ufunc.reduce(values, axis=1)``; for a few columns, column by column (numpy reduces a
    short inner axis far slower than it combines whole columns)."""
    if values.shape[1] > 32 or values.shape[1] == 0:
        out: FloatArray = ufunc.reduce(values, axis=1)
        return out
    out = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        ufunc(out, values[:, j], out=out)
    return out


def _softmax(eta: FloatArray) -> FloatArray:
    """Row-wise softmax (stable: each row shifted by its maximum).

    >>> _softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    out: FloatArray = eta - _row_reduce(np.maximum, eta)[:, None]
    np.exp(out, out=out)
    out /= _row_reduce(np.add, out)[:, None]
    return out


def class_logits(scores: FloatArray, score_space: str, eps: float) -> FloatArray:
    """Per-class log-scores: ``ln(max(p, eps))`` for probabilities, the margins for logits."""
    if score_space == "logit":
        return scores.astype(np.float64, copy=True)
    out: FloatArray = np.log(np.clip(scores, eps, 1.0))
    return out


def renormalise(q: FloatArray) -> tuple[FloatArray, int]:
    """Rows divided by their sum; rows summing to 0 become uniform (never a division by zero).

    >>> out, zero = renormalise(np.array([[0.2, 0.6], [0.0, 0.0]]))
    >>> out.round(3).tolist(), zero
    ([[0.25, 0.75], [0.5, 0.5]], 1)
    """
    sums = _row_reduce(np.add, q)
    zero = ~(sums > 0.0)
    out: FloatArray = q / np.where(zero, 1.0, sums)[:, None]
    out[zero] = 1.0 / q.shape[1]
    return out, int(zero.sum())


def apply_multiclass(calibrator: MultiCalibrator, scores: npt.ArrayLike) -> FloatArray:
    """Calibrated class probabilities (rows sum to 1) for an ``(n, classes)`` score matrix."""
    s = np.asarray(scores, dtype=np.float64)
    if calibrator.mode != "multiclass" or s.ndim != 2 or s.shape[1] != len(calibrator.names):
        raise _error("MC-E404-INVALID-SCORES", f"expected an (n, {len(calibrator.names)}) score "
                     f"matrix for a multiclass calibrator; got shape {s.shape}",
                     "pass one column per category, in the calibrator's order")
    _check_scores(s.ravel(), calibrator.score_space)
    if calibrator.method == "temperature":
        eta = class_logits(s, calibrator.score_space, calibrator.clip_epsilon)
        eta *= calibrator.scale
        eta += np.asarray(calibrator.bias)
        return _softmax(eta)
    q = np.column_stack([apply_calibrator(member, s[:, c])
                         for c, member in enumerate(calibrator.members)])
    return renormalise(q)[0]


def _temperature_sums(theta: FloatArray, logits: FloatArray, labels: IntArray,
                      w: FloatArray, bias: bool, hessian: bool,
                      rows: Optional[BoolArray] = None
                      ) -> tuple[float, FloatArray, Optional[FloatArray]]:
    """Negative log-likelihood of ``softmax(theta[0] * logits + (0, theta[1:]))`` with row
    weights ``w``, its gradient and (``hessian``) its Hessian, over the rows of the mask
    ``rows`` (every row when None), summed over chunks of ``BIN_CHUNK_ROWS`` rows (no
    n x classes temporary)."""
    n, c = logits.shape
    d = theta.shape[0]
    b = np.zeros(c)
    if bias:
        b[1:] = theta[1:]
    loss = 0.0
    grad = np.zeros(d)
    hess = np.zeros((d, d)) if hessian else None
    step = max(1, BIN_CHUNK_ROWS // c)
    for begin in range(0, n, step):
        part = slice(begin, begin + step)
        chunk, y, wi = logits[part], labels[part], w[part]
        if rows is not None:
            keep = rows[part]
            chunk, y, wi = chunk[keep], y[keep], wi[keep]
        # class-major (classes x rows): the per-row reductions over a few classes then run
        # along contiguous rows instead of numpy's slow short inner axis
        x = np.ascontiguousarray(chunk.T)
        index = np.arange(x.shape[1])
        eta = theta[0] * x
        eta += b[:, None]
        top = eta.max(axis=0)
        p = np.exp(eta - top)
        sums = p.sum(axis=0)
        p /= sums
        loss += float(np.dot(wi, top + np.log(sums) - eta[y, index]))
        del eta
        mean_x = (p * x).sum(axis=0)  # the logit expected under p, per row
        grad[0] += float(np.dot(wi, mean_x - x[y, index]))
        wp = p * wi
        if bias:
            counts = np.bincount(y, weights=wi, minlength=c)
            grad[1:] += (wp.sum(axis=1) - counts)[1:]
        if hess is not None:
            x -= mean_x  # centred, in place
            hess[0, 0] += float(np.dot((wp * x).ravel(), x.ravel()))
            if bias:
                cross = (wp * x).sum(axis=1)
                hess[0, 1:] += cross[1:]
                hess[1:, 0] += cross[1:]
                block = np.diag(wp.sum(axis=1)) - wp @ p.T
                hess[1:, 1:] += block[1:, 1:]
    return loss, grad, hess


def fit_temperature(logits: FloatArray, labels: IntArray, weights: FloatArray,
                    bias: bool, rows: Optional[BoolArray] = None
                    ) -> tuple[float, tuple[float, ...], JsonDict]:
    """Weighted maximum likelihood of ``softmax(scale * logits + bias)`` (``bias[0] = 0``) on
    the rows of the mask ``rows`` (every row when None; the rows are not copied).

    Newton's method with step halving on the exact Hessian (a convex problem in the scale and
    the biases), summed over chunks of rows; ``scale >= 1e-6``: a step that would cross the bound
    (scores ranked against the labels) hands over to L-BFGS-B (scipy) with the bound.

    >>> logits = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 2.0]])
    >>> scale, bias, info = fit_temperature(logits, np.array([0, 1, 1, 0]), np.ones(4), False)
    >>> info["converged"], info["solver"], scale
    (True, 'L-BFGS-B', 1e-06)
    """
    c = logits.shape[1]
    n = logits.shape[0] if rows is None else int(np.count_nonzero(rows))
    total = float(weights.sum() if rows is None else weights[rows].sum())
    w = weights / total
    n_free = c - 1 if bias else 0
    theta = np.zeros(1 + n_free)
    theta[0] = 1.0
    if n > 200_000:
        # Warm start from every 64th row: the exact Newton polish then needs about 3 steps.
        sub_scale, sub_bias, _ = fit_temperature(logits[::64], labels[::64], weights[::64],
                                                 bias, None if rows is None else rows[::64])
        theta[0] = max(sub_scale, 1e-6)
        if bias:
            theta[1:] = sub_bias[1:]

    def evaluate(t: FloatArray) -> Evaluation:
        loss, grad, hess = _temperature_sums(t, logits, labels, w, bias, True, rows)
        assert hess is not None
        return loss, grad, hess

    # a step that would leave scale >= 1e-6 hands over to the bounded fit
    res = newton_minimize(evaluate, theta, 100, 1e-10, 1e-15, lambda t: float(t[0]) >= 1e-6)
    theta, loss, grad = res.theta, res.value, res.gradient
    iterations, converged, solver = res.iterations, res.converged, "newton"
    if not converged:  # at the scale bound, or stalled: the bounded quasi-Newton fit
        solver = "L-BFGS-B"
        theta, iterations = _temperature_lbfgs(logits, labels, w, bias, theta, rows)
        loss, grad, _ = _temperature_sums(theta, logits, labels, w, bias, False, rows)
    if not np.all(np.isfinite(theta)):
        raise _error("MC-E303-FIT-FAILED", "temperature fit produced non-finite parameters",
                     "check the class scores")
    b_out = np.zeros(c)
    if bias:
        b_out[1:] = theta[1:]
    grad_max = float(np.max(np.abs(grad)))
    if theta[0] <= 1e-6:  # at the bound the scale's gradient need not vanish
        grad_max = float(np.max(np.abs(grad[1:]), initial=0.0))
    info: JsonDict = {"iterations": iterations, "solver": solver,
                      "converged": converged or grad_max <= 1e-6,
                      "max_abs_gradient": grad_max,
                      "neg_log_likelihood": loss * total, "bias": bias}
    return float(theta[0]), tuple(float(v) for v in b_out), info


def _temperature_lbfgs(logits: FloatArray, labels: IntArray, w: FloatArray, bias: bool,
                       start: FloatArray, rows: Optional[BoolArray] = None
                       ) -> tuple[FloatArray, int]:
    """The temperature fit by L-BFGS-B with the bound ``scale >= 1e-6``."""
    try:
        from scipy.optimize import minimize
    except ImportError as exc:  # pragma: no cover - scipy ships with scikit-learn
        raise _error("MC-E302-MISSING-LIBRARY", f"scipy is required for temperature ({exc})",
                     "install scipy (a scikit-learn dependency)") from exc

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        loss, grad, _ = _temperature_sums(theta, logits, labels, w, bias, False, rows)
        return loss, grad

    x0 = start.copy()
    x0[0] = max(float(x0[0]), 1e-6)
    result = minimize(objective, x0, jac=True, method="L-BFGS-B",
                      bounds=[(1e-6, None)] + [(None, None)] * (start.shape[0] - 1),
                      options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-10})
    return np.asarray(result.x, dtype=np.float64), int(result.nit)


# --------------------------------------------------------------------------------------------
# Problems: what cross-fitting and auto fit, predict and score
# --------------------------------------------------------------------------------------------
ModelT = TypeVar("ModelT")


class Problem(Protocol[ModelT]):
    """A calibration problem on its kept rows: fit on a row mask, predict any rows.

    ``predict(model, rows)`` and ``row_loss(predictions, rows)`` work on the rows of the mask
    ``rows`` only (every row when None), so a fold scores just its held-out rows.
    """

    strata: LabelArray

    def row_weights(self, rows: npt.NDArray[np.intp]) -> FloatArray: ...

    def fit(self, method: str, mask: Optional[BoolArray], context: str) -> ModelT: ...

    def predict(self, model: ModelT, rows: Optional[BoolArray] = None) -> FloatArray: ...

    def row_loss(self, predictions: FloatArray, rows: Optional[BoolArray] = None
                 ) -> FloatArray: ...

    def held_out_summary(self, predictions: FloatArray, mask: BoolArray) -> JsonDict: ...


class BinaryProblem:
    """One binary task: its kept rows' scores, labels (0/1, held as bool) and weights.

    ``weights`` None means every row weighs 1 (no all-ones array is made): a fit's rows are
    then aggregated by sorting (``aggregate``). With weights, the rows are indexed once by
    unique score (int32 when it fits) and every fit is a weighted bincount. The aggregate of all
    rows is computed once and shared (uncalibrated metrics, the class check, the full fit) until
    ``forget_all_rows``.
    """

    def __init__(self, scores: FloatArray, labels: npt.NDArray[np.generic],
                 weights: Optional[FloatArray], settings: Settings) -> None:
        self.scores = scores
        self.labels: BoolArray = np.asarray(labels, dtype=np.bool_) if labels.dtype == np.bool_ \
            else np.asarray(labels, dtype=np.float64) > 0.5
        self.weights = weights
        self.strata: LabelArray = self.labels.view(np.int8)
        self.settings = settings
        self._index: Optional[tuple[FloatArray, npt.NDArray[np.signedinteger[Any]]]] = None
        self._all_rows: Optional[Aggregated] = None

    def row_weights(self, rows: npt.NDArray[np.intp]) -> FloatArray:
        if self.weights is None:
            return np.ones(rows.shape[0])
        out: FloatArray = self.weights[rows]
        return out

    def _unique_index(self) -> tuple[FloatArray, npt.NDArray[np.signedinteger[Any]]]:
        if self._index is None:
            values, inverse = np.unique(self.scores, return_inverse=True)
            inv = inverse.ravel()
            self._index = (values, inv.astype(np.int32) if values.shape[0] < 2**31 else inv)
        return self._index

    def aggregated(self, mask: Optional[BoolArray] = None) -> Aggregated:
        if mask is None and self._all_rows is not None:
            return self._all_rows
        if self.weights is None:
            if mask is None:
                agg = aggregate(self.scores, self.labels)
            else:
                agg = aggregate(self.scores[mask], self.labels[mask])
        else:
            values, inv = self._unique_index()
            u = values.shape[0]
            w, y = self.weights, self.labels
            if mask is not None:
                inv, w, y = inv[mask], w[mask], y[mask]
            agg = Aggregated(values, _weighted_count(inv, w, u),
                             _weighted_count(inv[y], w[y], u))
        if mask is None:
            self._all_rows = agg
        return agg

    def forget_all_rows(self) -> None:
        """Drop the shared aggregate of all rows (and the unique-score index)."""
        self._all_rows = None
        self._index = None

    def fit(self, method: str, mask: Optional[BoolArray], context: str) -> Calibrator:
        return fit_calibrator(self.aggregated(mask), dataclasses.replace(self.settings,
                                                                         method=method), context)

    def predict(self, model: Calibrator, rows: Optional[BoolArray] = None) -> FloatArray:
        return apply_calibrator(model, self.scores if rows is None else self.scores[rows])

    def row_loss(self, predictions: FloatArray, rows: Optional[BoolArray] = None
                 ) -> FloatArray:
        return _binary_row_loss(predictions, self.labels if rows is None else self.labels[rows])

    def held_out_summary(self, predictions: FloatArray, mask: BoolArray) -> JsonDict:
        labels = self.labels[mask]
        w = None if self.weights is None else self.weights[mask]
        auc, reason = auc_aggregated(aggregate(predictions, labels, w))
        loss = _binary_row_loss(predictions, labels)
        if w is None:
            positives: Union[int, float] = int(np.count_nonzero(labels))
            log_loss = float(loss.sum()) / labels.shape[0]
        else:
            positives = _num(float(w[labels].sum()))
            # (w * loss).sum(), not a dot product: unit weights then give the unweighted figure
            log_loss = float((w * loss).sum() / w.sum())
        return {"positives_test": positives, "log_loss": log_loss, "auc": auc,
                "auc_null_reason": reason}


def _binary_row_loss(predictions: FloatArray, labels: BoolArray) -> FloatArray:
    """Per-row log loss of probabilities (clipped to ``CLIP_EPSILON``) against 0/1 labels."""
    pc = np.clip(predictions, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    out: FloatArray = -np.where(labels, np.log(pc), np.log1p(-pc))
    return out


class MulticlassProblem:
    """Multi-class rows: one :class:`BinaryProblem` per class (one-vs-rest) and the log-scores."""

    def __init__(self, scores: FloatArray, labels: IntArray, weights: Optional[FloatArray],
                 settings: Settings) -> None:
        self.names = settings.categories
        self.columns = [BinaryProblem(scores[:, c], labels == c, weights, settings)
                        for c in range(scores.shape[1])]
        self.logits = class_logits(scores, settings.score_space, CLIP_EPSILON)
        self.labels = labels
        self.weights: FloatArray = np.ones(labels.shape[0]) if weights is None else weights
        self.strata: LabelArray = labels
        self.settings = settings

    def row_weights(self, rows: npt.NDArray[np.intp]) -> FloatArray:
        out: FloatArray = self.weights[rows]
        return out

    def fit(self, method: str, mask: Optional[BoolArray], context: str) -> MultiCalibrator:
        s = self.settings
        base = MultiCalibrator(mode="multiclass", method=method, score_space=s.score_space,
                               clip_epsilon=CLIP_EPSILON, names=self.names,
                               score_fields=tuple(s.score_field_prefix + c for c in self.names),
                               label_fields=(s.label_field,))
        if method == "temperature":
            start = time.perf_counter()
            scale, bias, info = fit_temperature(self.logits, self.labels, self.weights,
                                                s.temperature_bias, mask)
            info["seconds"] = round(time.perf_counter() - start, 6)
            if info["converged"] is False:
                logger.warning("%s: temperature fit did not converge", context)
            return dataclasses.replace(base, scale=scale, bias=bias, fit=info)
        members = tuple(problem.fit(method, mask, f"{context}, class {name!r}")
                        for name, problem in zip(self.names, self.columns))
        return dataclasses.replace(base, members=members)

    def predict(self, model: MultiCalibrator, rows: Optional[BoolArray] = None) -> FloatArray:
        return self.predict_counted(model, rows)[0]

    def predict_counted(self, model: MultiCalibrator, rows: Optional[BoolArray] = None
                        ) -> tuple[FloatArray, int]:
        """Predictions and the number of rows whose one-vs-rest outputs were all 0."""
        if model.method == "temperature":
            logits = self.logits if rows is None else self.logits[rows]
            return _softmax(model.scale * logits + np.asarray(model.bias)), 0
        q = np.column_stack([problem.predict(member, rows)
                             for problem, member in zip(self.columns, model.members)])
        return renormalise(q)

    def zero_sum_rows(self, model: MultiCalibrator) -> int:
        """Rows whose one-vs-rest outputs under ``model`` are all 0 (``renormalise`` makes them
        uniform), counted in chunks of ``BIN_CHUNK_ROWS`` rows; 0 for temperature."""
        if model.method == "temperature":
            return 0
        n = self.labels.shape[0]
        zero = 0
        for begin in range(0, n, BIN_CHUNK_ROWS):
            part = slice(begin, begin + BIN_CHUNK_ROWS)
            sums = np.zeros(min(BIN_CHUNK_ROWS, n - begin))
            for problem, member in zip(self.columns, model.members):
                sums += apply_calibrator(member, problem.scores[part])
            zero += int(np.count_nonzero(~(sums > 0.0)))
        return zero

    def row_loss(self, predictions: FloatArray, rows: Optional[BoolArray] = None
                 ) -> FloatArray:
        labels = self.labels if rows is None else self.labels[rows]
        p_true = predictions[np.arange(labels.shape[0]), labels]
        out: FloatArray = -np.log(np.clip(p_true, CLIP_EPSILON, 1.0))
        return out

    def held_out_summary(self, predictions: FloatArray, mask: BoolArray) -> JsonDict:
        w, labels = self.weights[mask], self.labels[mask]
        correct = predictions.argmax(axis=1) == labels
        return {"log_loss": float(np.dot(w, self.row_loss(predictions, mask)) / w.sum()),
                "accuracy": float(np.dot(w, correct) / w.sum())}


# --------------------------------------------------------------------------------------------
# Cross-fitting and automatic method choice
# --------------------------------------------------------------------------------------------
def stratified_folds(labels: npt.ArrayLike, folds: int, seed: int) -> npt.NDArray[np.int8]:
    """Fold index per row (int8: at most 100 folds): each class's rows get the fold ids
    ``0, 1, ..., folds - 1, 0, 1, ...`` in a seeded random order (so every fold holds each
    class's rows within one of an equal share).

    >>> stratified_folds(np.array([0.0, 1.0, 0.0, 1.0]), 2, 0).tolist()
    [0, 0, 1, 1]
    """
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    out = np.empty(y.shape[0], dtype=np.int8)
    if y.dtype in (np.bool_, np.int8, np.uint8) and y.shape[0]:
        # a byte per label: the classes present from one count, not a sort of every label
        classes = np.flatnonzero(np.bincount(y.view(np.uint8), minlength=2)).astype(y.dtype)
    else:
        classes = np.unique(y)
    for cls in classes:
        rows = y == cls
        # shuffling the dealt ids (one byte each) costs less than permuting row indices
        count = int(np.count_nonzero(rows))
        deal = np.tile(np.arange(folds, dtype=np.int8), -(-count // folds))[:count]
        rng.shuffle(deal)
        out[rows] = deal
    return out


@dataclasses.dataclass(frozen=True)
class CrossFit:
    predictions: FloatArray
    folds: list[JsonDict]


def _weighted_mean(weights: FloatArray, values: FloatArray) -> float:
    return float(np.dot(weights, values) / weights.sum())


def select_method(problem: Problem[ModelT], settings: Settings, mask: Optional[BoolArray],
                  seed: int, context: str) -> JsonDict:
    """Choose among ``settings.auto_candidates`` by inner cross-validated log loss on ``mask``.

    Every candidate is fitted on K-1 inner folds and scored on the held-out one; the winner is
    the simplest candidate (``AUTO_SIMPLICITY_ORDER``) whose mean log loss is within one
    standard error (of its paired per-row difference) of the lowest; the record names every
    candidate's score and why the winner won (:func:`choose_by_log_loss`).
    """
    n = problem.strata.shape[0]
    rows = np.arange(n) if mask is None else np.flatnonzero(mask)
    inner = np.full(n, -1, dtype=np.int8)
    inner[rows] = stratified_folds(problem.strata[rows], settings.folds, seed)
    w = problem.row_weights(rows)
    losses: dict[str, FloatArray] = {}
    record: dict[str, JsonDict] = {}
    for method in settings.auto_candidates:
        held = np.empty(n)
        try:
            for g in range(settings.folds):
                model = _fit_fold(problem, method, (inner >= 0) & (inner != g), inner >= 0,
                                  settings.folds, f"{context}, candidate {method}, inner fold {g}")
                test = inner == g
                held[test] = problem.row_loss(problem.predict(model, test), test)
        except CalibrationScriptError as exc:
            if exc.code != "MC-E303-FIT-FAILED":
                raise
            record[method] = {"status": "failed", "error": exc.message}
            continue
        losses[method] = held[rows]
    n_eff = float(w.sum()) ** 2 / float(np.dot(w, w))
    chosen = choose_by_log_loss(losses, w, n_eff, record, settings.auto_candidates, context)
    return {"criterion": "inner cross-validated log loss (weighted mean over held-out rows)",
            "rule": "simplest candidate within one standard error of the lowest log loss; "
                    f"simplicity order {', '.join(AUTO_SIMPLICITY_ORDER)}",
            "inner_folds": settings.folds, "inner_seed": seed,
            "inner_split": "stratified folds of the rows, seeded by inner_seed",
            "rows": int(rows.shape[0]), **chosen}


def choose_by_log_loss(losses: Mapping[str, FloatArray], w: FloatArray, n_eff: float,
                       record: dict[str, JsonDict], order: Sequence[str], context: str
                       ) -> JsonDict:
    """The selection rule of ``auto``: each candidate's held-out losses (one per row, or per group
    of rows with equal loss, weighing ``w``) against the lowest mean; the simplest candidate
    within one standard error (``n_eff`` effective rows) of it wins. ``record`` holds the
    candidates that failed and gets every other one's figures; returns ``candidates`` (in
    ``order``), ``best``, ``selected`` and ``reason``.

    >>> out = choose_by_log_loss({"platt": np.array([0.5, 0.7, 0.6]),
    ...                           "gam": np.array([0.5, 0.68, 0.61])}, np.ones(3), 3.0, {},
    ...                          ["platt", "gam"], "doc")
    >>> out["best"], out["selected"]
    ('gam', 'platt')
    """
    if not losses:
        raise _error("MC-E303-FIT-FAILED", f"{context}: every auto candidate failed",
                     "check the scores, or name other AUTO_CANDIDATES")
    for method, loss in losses.items():
        record[method] = {"status": "ok", "log_loss": _weighted_mean(w, loss)}
    best = min(losses, key=lambda m: (_json_number(record[m]["log_loss"]),
                                      AUTO_SIMPLICITY_ORDER.index(m)))
    for method, loss in losses.items():
        diff = loss - losses[best]
        mean_d = _weighted_mean(w, diff)
        se = math.sqrt(max(_weighted_mean(w, (diff - mean_d) ** 2), 0.0) / n_eff)
        record[method].update(difference_to_best=mean_d, standard_error=se,
                              within_one_se=mean_d <= se)
    eligible = [m for m in AUTO_SIMPLICITY_ORDER if m in losses and record[m]["within_one_se"]]
    winner = eligible[0]
    if winner == best:
        reason = (f"{winner} has the lowest inner cross-validated log loss "
                  f"({record[winner]['log_loss']:.6f}) and no simpler candidate is within one "
                  "standard error of it")
    else:
        reason = (f"{winner} is the simplest candidate within one standard error of the lowest "
                  f"log loss ({best}: {record[best]['log_loss']:.6f}; {winner}: "
                  f"{record[winner]['log_loss']:.6f}, difference "
                  f"{record[winner]['difference_to_best']:.2e} <= standard error "
                  f"{record[winner]['standard_error']:.2e})")
    logger.info("%s: auto selected %s (%s)", context, winner, reason)
    return {"candidates": {m: record[m] for m in order if m in record},
            "best": best, "selected": winner, "reason": reason}


def _fit_fold(problem: Problem[ModelT], method: str, train: BoolArray, rows: BoolArray,
              folds: int, context: str) -> ModelT:
    """``problem.fit`` on a fold's training rows; a single class there while ``rows`` (the rows
    the folds divide) hold more is reported as too few rows for the folds (``MC-E301``)."""
    try:
        return problem.fit(method, train, context)
    except CalibrationScriptError as exc:
        missing = np.setdiff1d(problem.strata[rows], problem.strata[train])
        if exc.code != "MC-E301-SINGLE-CLASS" or missing.size == 0:
            raise
        raise _error("MC-E301-SINGLE-CLASS",
                     f"too few rows for CALIBRATION_FOLDS={folds}: {context}'s training rows "
                     f"({int(train.sum())}) hold no row of class "
                     f"{', '.join(str(int(c)) for c in missing)} ({exc.message})",
                     "every class needs at least 2 rows so that each fold trains on it; add "
                     "rows or lower CALIBRATION_FOLDS") from exc


def cross_fit(problem: Problem[ModelT], settings: Settings) -> CrossFit:
    """Held-out predictions: each row scored by a calibrator fitted without its fold.

    With ``auto`` the method is chosen inside each outer fold by :func:`select_method` on that
    fold's training rows only, so the reported figures include the cost of choosing.
    """
    fold = stratified_folds(problem.strata, settings.folds, settings.seed)
    predictions: Optional[FloatArray] = None
    info: list[JsonDict] = []
    for f in range(settings.folds):
        train = fold != f
        start = time.perf_counter()
        entry: JsonDict = {"fold": f}
        method = settings.method
        if method == "auto":
            choice = select_method(problem, settings, train, settings.seed + 1 + f, f"fold {f}")
            method = str(choice["selected"])
            entry["selected_method"] = method
            entry["candidate_log_loss"] = {
                m: c.get("log_loss") for m, c in _json_get(choice, "candidates").items()
                if isinstance(c, dict)}
        model = _fit_fold(problem, method, train, np.ones_like(train), settings.folds,
                          f"fold {f}")
        fit_seconds = time.perf_counter() - start
        held = ~train
        pred = problem.predict(model, held)  # the held-out rows only
        if predictions is None:
            predictions = np.empty((fold.shape[0],) + pred.shape[1:])
        predictions[held] = pred
        entry.update(n_train=int(train.sum()), n_test=int(held.sum()),
                     fit_seconds=round(fit_seconds, 6))
        entry.update(problem.held_out_summary(pred, held))
        info.append(entry)
        logger.info("fold %d: trained on %d rows, scored %d held-out rows in %.3fs", f,
                    int(train.sum()), int(held.sum()), fit_seconds)
    assert predictions is not None  # folds >= 2
    return CrossFit(predictions, info)


# --------------------------------------------------------------------------------------------
# Many rows: cross-fitting and metrics on sufficient statistics of fine logit bins
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RowBins:
    """The kept rows' sufficient statistics per (group, logit bin): ``(groups, bins)`` arrays.

    The score's logit (``logit(clip(s, CLIP_EPSILON))`` for probabilities, the score itself in
    logit space) is cut into ``bins`` equal-width bins between its minimum ``lo`` and maximum
    ``hi``; a group is a cross-fitting fold (one group when there are no folds). ``n`` is each
    group and bin's weight (its row count without weights), ``k`` its positive weight and
    ``sum_z`` its weighted sum of logits, so ``sum_z / n`` is the bin's weighted mean logit:
    the value that stands for its rows. ``rows`` counts each group's rows and ``sum_w2`` sums
    their squared weights (for effective sample sizes).
    """

    bins: int
    lo: float
    hi: float
    n: FloatArray
    k: FloatArray
    sum_z: FloatArray
    rows: IntArray
    sum_w2: FloatArray
    clipped_rows: int

    def describe(self) -> JsonDict:
        """The binning, as recorded in the metrics (``row_bins``)."""
        return {"bins": self.bins, "groups": int(self.n.shape[0]), "logit_low": self.lo,
                "logit_high": self.hi, "bin_width": (self.hi - self.lo) / self.bins}

    def aggregated(self, groups: Sequence[int], space: str) -> Aggregated:
        """The rows of ``groups`` as an :class:`Aggregated`: one value per non-empty bin, its
        weighted mean logit (``space='logit'``) or that logit's sigmoid (``'probability'``)."""
        pick = list(groups)
        n = self.n[pick].sum(axis=0)
        filled = n > 0
        n = n[filled]
        k = self.k[pick].sum(axis=0)[filled]
        z = self.sum_z[pick].sum(axis=0)[filled]
        z /= n
        return _merge_equal(z if space == "logit" else _sigmoid(z), n, k)

    def group(self, g: int, space: str) -> Aggregated:
        """The rows of group ``g``, as :meth:`aggregated` gives them."""
        return self.aggregated((g,), space)


BINNED_MIN_ROWS = 1 << 21
"""Binary tasks with at least this many kept rows are cross-fitted and evaluated on
:class:`RowBins` (see :func:`run_task_binned`)."""
ROW_BINS = 1 << 16
ROW_BIN_MAX_WIDTH = 2.0 ** -9
"""Widest logit bin used (probability scores: at most 2 * 34.5 / ROW_BINS, always below); wider
bins (logit scores spread over more than ``ROW_BINS * ROW_BIN_MAX_WIDTH``) mean the exact path."""
BIN_CHUNK_ROWS = 1 << 20


def _merge_equal(values: FloatArray, n: FloatArray, k: FloatArray) -> Aggregated:
    """Runs of equal ``values`` (non-decreasing) merged into one value with summed ``n``, ``k``.

    >>> agg = _merge_equal(np.array([0.1, 0.1, 0.3]), np.array([1.0, 2.0, 3.0]),
    ...                    np.array([0.0, 1.0, 3.0]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.1, 0.3], [3.0, 3.0], [1.0, 3.0])
    """
    if values.shape[0] < 2:
        return Aggregated(values, n, k)
    change = values[1:] != values[:-1]
    if change.all():
        return Aggregated(values, n, k)
    starts = np.flatnonzero(np.r_[True, change])
    return Aggregated(values[starts], np.add.reduceat(n, starts), np.add.reduceat(k, starts))


def group_predictions(values: FloatArray, n: FloatArray, k: FloatArray) -> Aggregated:
    """Predictions given per group of rows (weight ``n``, positive weight ``k``) as an
    :class:`Aggregated`: sorted, equal predictions merged.

    >>> agg = group_predictions(np.array([0.7, 0.2, 0.7]), np.array([1.0, 2.0, 3.0]),
    ...                         np.array([1.0, 0.0, 2.0]))
    >>> agg.values.tolist(), agg.n.tolist(), agg.k.tolist()
    ([0.2, 0.7], [2.0, 4.0], [0.0, 3.0])
    """
    order = np.argsort(values, kind="stable")
    return _merge_equal(values[order], n[order], k[order])


def bin_rows(scores: FloatArray, positive: BoolArray, weights: Optional[FloatArray],
             groups: Optional[npt.NDArray[np.int8]], n_groups: int, space: str,
             bins: Optional[int] = None) -> Optional[RowBins]:
    """:class:`RowBins` of the rows in one pass, in chunks of ``BIN_CHUNK_ROWS`` (no n-length
    temporary); ``groups`` gives each row's group (None: one group); ``bins`` defaults to
    ``ROW_BINS``. None when the logit is constant or its bins would be wider than
    ``ROW_BIN_MAX_WIDTH``.

    >>> rb = bin_rows(np.array([0.0, 0.0005, 0.001, 0.001]),
    ...               np.array([False, True, True, False]), None, None, 1, "logit", bins=2)
    >>> rb.n.tolist(), rb.k.tolist(), rb.sum_z.tolist(), rb.rows.tolist()
    ([[1.0, 3.0]], [[0.0, 2.0]], [[0.0, 0.0025]], [4])
    """
    m = scores.shape[0]
    if m == 0:
        return None
    bins = ROW_BINS if bins is None else bins
    ends = np.array([np.min(scores), np.max(scores)])
    if space == "probability":
        ends = _logit(ends, CLIP_EPSILON)
    lo, hi = float(ends[0]), float(ends[1])
    if not hi > lo or (hi - lo) / bins > ROW_BIN_MAX_WIDTH:
        return None
    scale = bins / (hi - lo)
    size = n_groups * bins
    n = np.zeros(size)
    k = np.zeros(size)
    sum_z = np.zeros(size)
    clipped = 0
    sum_w2 = np.zeros(n_groups)
    for start in range(0, m, BIN_CHUNK_ROWS):
        part = slice(start, start + BIN_CHUNK_ROWS)
        s = scores[part]
        if space == "probability":
            z = _logit(s, CLIP_EPSILON)
            clipped += int(np.count_nonzero(s < CLIP_EPSILON)) + \
                int(np.count_nonzero(s > 1.0 - CLIP_EPSILON))
        else:
            z = s
        t = z - lo
        t *= scale
        idx = t.astype(np.intp)
        del t
        np.clip(idx, 0, bins - 1, out=idx)
        if groups is not None:
            idx += groups[part].astype(np.intp) * bins
        y = positive[part]
        if weights is None:
            n += np.bincount(idx, minlength=size)
            k += np.bincount(idx[y], minlength=size)
            sum_z += _weighted_count(idx, z, size)
        else:
            w = weights[part]
            n += _weighted_count(idx, w, size)
            k += _weighted_count(idx[y], w[y], size)
            sum_z += _weighted_count(idx, z * w, size)
            if groups is None:
                sum_w2[0] += float(np.dot(w, w))
            else:
                sum_w2 += np.bincount(groups[part], weights=w * w, minlength=n_groups)
    rows = np.bincount(groups, minlength=n_groups).astype(np.int64) if groups is not None \
        else np.array([m], dtype=np.int64)
    if weights is None:
        sum_w2 = rows.astype(np.float64)
    shape = (n_groups, bins)
    return RowBins(bins, lo, hi, n.reshape(shape), k.reshape(shape), sum_z.reshape(shape),
                   rows, sum_w2, clipped)


def _binned_summary(pred: Aggregated, positives: Union[int, float]) -> JsonDict:
    """A fold's held-out summary (as ``BinaryProblem.held_out_summary``) from its predictions
    per bin."""
    agg = group_predictions(pred.values, pred.n, pred.k)
    auc, reason = auc_aggregated(agg)
    pc = np.clip(agg.values, CLIP_EPSILON, 1.0 - CLIP_EPSILON)
    loss = -(float(np.dot(agg.k, np.log(pc))) + float(np.dot(agg.n - agg.k, np.log1p(-pc))))
    return {"positives_test": positives, "log_loss": loss / float(agg.n.sum()), "auc": auc,
            "auc_null_reason": reason}


def _fit_on_bins(train: Aggregated, settings: Settings, method: str, context: str
                 ) -> Calibrator:
    """``fit_calibrator`` with ``method`` on a fold's training bins; a single class there is
    reported as too few rows for the folds (``MC-E301``), as ``_fit_fold`` does."""
    try:
        return fit_calibrator(train, dataclasses.replace(settings, method=method), context)
    except CalibrationScriptError as exc:
        if exc.code != "MC-E301-SINGLE-CLASS":
            raise
        raise _error("MC-E301-SINGLE-CLASS",
                     f"too few rows for CALIBRATION_FOLDS={settings.folds}: {context}'s training "
                     f"rows hold a single class ({exc.message})",
                     "every class needs at least 2 rows so that each fold trains on it; add "
                     "rows or lower CALIBRATION_FOLDS") from exc


def select_method_binned(rb: RowBins, settings: Settings, groups: Sequence[int], context: str
                         ) -> JsonDict:
    """:func:`select_method` on the bins of the cross-fitting folds ``groups``: the inner folds
    are those folds (each candidate fitted on all but one, scored on that one's bins), so a
    fold's selection never sees its own rows and no row is binned twice. Each bin's positive
    and negative rows share a held-out loss, so the losses and their paired differences are
    summed per bin and label (exact for the per-bin predictions).
    """
    space = settings.score_space
    held = {g: rb.group(g, space) for g in groups}
    train = {g: rb.aggregated([h for h in groups if h != g], space) for g in groups}
    w = np.concatenate([np.concatenate((held[g].k, held[g].n - held[g].k)) for g in groups])
    losses: dict[str, FloatArray] = {}
    record: dict[str, JsonDict] = {}
    for method in settings.auto_candidates:
        parts: list[FloatArray] = []
        try:
            for g in groups:
                model = _fit_on_bins(train[g], settings, method,
                                     f"{context}, candidate {method}, inner fold {g}")
                p = np.clip(apply_calibrator(model, held[g].values), CLIP_EPSILON,
                            1.0 - CLIP_EPSILON)
                parts += [-np.log(p), -np.log1p(-p)]
        except CalibrationScriptError as exc:
            if exc.code != "MC-E303-FIT-FAILED":
                raise
            record[method] = {"status": "failed", "error": exc.message}
            continue
        losses[method] = np.concatenate(parts)
    pick = list(groups)
    n_eff = float(rb.n[pick].sum()) ** 2 / float(rb.sum_w2[pick].sum())
    chosen = choose_by_log_loss(losses, w, n_eff, record, settings.auto_candidates, context)
    return {"criterion": "inner cross-validated log loss (weighted mean over held-out rows)",
            "rule": "simplest candidate within one standard error of the lowest log loss; "
                    f"simplicity order {', '.join(AUTO_SIMPLICITY_ORDER)}",
            "inner_folds": len(pick), "inner_seed": settings.seed,
            "inner_split": "the cross-fitting folds, on row bins",
            "rows": int(rb.rows[pick].sum()), **chosen}


def fit_logistic_rows(features: Callable[[slice], FloatArray], positive: BoolArray,
                      weights: Optional[FloatArray], start: Sequence[float],
                      max_iter: int = 100, tol: float = 1e-12) -> LogisticFit:
    """``fit_logistic`` on every row, in chunks of ``BIN_CHUNK_ROWS``: the exact maximum
    likelihood with no per-row working array, for a start a few Newton steps away (a fit on
    row bins). ``features(rows)`` gives the design of a slice of rows (intercept column
    included); each Newton step is one pass (objective, gradient and Hessian together), and a
    halved step one more.

    >>> z = np.array([-1.0, 0.0, 1.0] * 4)
    >>> y = np.array([1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    >>> fit = fit_logistic_rows(lambda rows: np.column_stack([z[rows], np.ones(z[rows].size)]),
    ...                         y, None, [1.0, 0.1])
    >>> fit.converged, round(float(fit.coef[0]), 9), round(float(fit.coef[1]), 9)
    (True, 1.098612289, 0.0)
    """
    m = positive.shape[0]

    def sums(beta: FloatArray) -> Evaluation:
        obj = 0.0
        grad = np.zeros(beta.shape[0])
        hess = np.zeros((beta.shape[0], beta.shape[0]))
        for begin in range(0, m, BIN_CHUNK_ROWS):
            part = slice(begin, begin + BIN_CHUNK_ROWS)
            x = features(part)
            y = positive[part]
            eta = x @ beta
            e = np.exp(-np.abs(eta))
            loss = np.maximum(eta, 0.0)
            loss += np.log1p(e)
            loss -= np.where(y, eta, 0.0)
            p = np.where(eta >= 0.0, 1.0, e)
            d = e + 1.0
            p /= d
            r = p - y
            v = e / (d * d)
            if weights is not None:
                w = weights[part]
                loss *= w
                r *= w
                v *= w
            obj += float(loss.sum())
            grad += x.T @ r
            hess += (x * v[:, None]).T @ x
        return obj, grad, hess

    res = newton_minimize(sums, np.asarray(start, dtype=np.float64), max_iter, tol)
    beta = res.theta
    if not np.all(np.isfinite(beta)):
        raise _error("MC-E303-FIT-FAILED", "logistic fit produced non-finite parameters",
                     "check that the scores are not perfectly separating the labels")
    return LogisticFit(beta, res.iterations, res.converged, res.value)


def polish_on_rows(binned: Calibrator, scores: FloatArray, positive: BoolArray,
                   weights: Optional[FloatArray]) -> Optional[Calibrator]:
    """A platt or beta calibrator fitted on row bins, refitted on every row
    (:func:`fit_logistic_rows` from its coefficients): the exact fit, as on the aggregate of
    every distinct score. beta keeps the bins' active set (the coefficients held at 0); None
    when the refit leaves it (a bound coefficient turned negative), for the exact path.
    """
    eps = binned.clip_epsilon
    space = binned.score_space
    if binned.method == "platt":
        def platt_design(rows: slice) -> FloatArray:
            s = scores[rows]
            z = _logit(s, eps) if space == "probability" else s
            return np.column_stack([z, np.ones(s.shape[0])])
        start: list[float] = list(binned.coef)
        design = platt_design
        active: tuple[str, ...] = ("a", "b")
    else:
        a, b, c = binned.coef
        active = tuple(name for name, value in (("a", a), ("b", b)) if value > 0.0)
        start = [v for name, v in (("a", a), ("b", b)) if name in active] + [c]

        def beta_design(rows: slice) -> FloatArray:
            ln_s, ln_1ms = _beta_features(scores[rows], space, eps)
            columns = {"a": ln_s, "b": -ln_1ms}
            return np.column_stack([columns[name] for name in active] +
                                   [np.ones(ln_s.shape[0])])
        design = beta_design
    res = fit_logistic_rows(design, positive, weights, start)
    coef = [float(v) for v in res.coef]
    if binned.method == "beta":
        values = dict(zip(active, coef))
        if min(values.values(), default=0.0) < 0.0:
            return None
        coef = [values.get("a", 0.0), values.get("b", 0.0), coef[-1]]
    fit = {key: value for key, value in binned.fit.items() if key != "row_bins"}
    fit.update(iterations=res.iterations, converged=res.converged,
               neg_log_likelihood=res.neg_log_lik,
               fitted_on="every row, from a fit on row bins",
               start_iterations=binned.fit.get("iterations"))
    return dataclasses.replace(binned, coef=tuple(coef), fit=fit)


@dataclasses.dataclass(frozen=True)
class BinnedResult:
    """What :func:`run_task_binned` gives ``run_task``."""

    calibrator: Calibrator
    uncalibrated: JsonDict
    calibrated: JsonDict
    folds: list[JsonDict]
    selection: Optional[JsonDict]
    clipped_rows: int


def run_task_binned(scores: FloatArray, labels: BoolArray, weights: Optional[FloatArray],
                    settings: Settings, given: Optional[Calibrator], context: str
                    ) -> Optional[BinnedResult]:
    """``run_task``'s fit and evaluation on :class:`RowBins` (None when the scores cannot be
    binned finely enough: the caller then takes the exact path).

    One pass bins every row by fold and logit; the shipped calibrator comes from
    :func:`full_fit_binned`, the held-out predictions per bin from :func:`cross_fit_binned`
    (or from ``given``, applied at each bin's mean logit); the metrics are computed from those
    per-bin predictions, and the uncalibrated ones from the bins' mean logits.
    """
    space = settings.score_space
    fold = None if given is not None else stratified_folds(labels.view(np.int8), settings.folds,
                                                           settings.seed)
    rb = bin_rows(scores, labels, weights, fold, 1 if fold is None else settings.folds, space)
    if rb is None:
        return None
    binning = rb.describe()
    n_rows = int(scores.shape[0])
    uncal = binary_metrics(rb.aggregated(range(rb.n.shape[0]), "probability"), settings.bins,
                           rows=n_rows)
    uncal["row_bins"] = binning
    info: list[JsonDict] = []
    selection: Optional[JsonDict] = None
    if given is not None:
        held = rb.group(0, space)
        parts = [Aggregated(apply_calibrator(given, held.values), held.n, held.k)]
        calibrator = given
        clipped = 0
    else:
        calibrator, selection = full_fit_binned(rb, scores, labels, weights, settings, context)
        clipped = int(_json_number(calibrator.fit.get("clipped_rows", 0)))
        parts, info = cross_fit_binned(rb, settings, weighted=weights is not None)
    calibrated_agg = group_predictions(np.concatenate([p.values for p in parts]),
                                       np.concatenate([p.n for p in parts]),
                                       np.concatenate([p.k for p in parts]))
    calibrated = binary_metrics(calibrated_agg, settings.bins, rows=n_rows)
    calibrated["row_bins"] = binning
    return BinnedResult(calibrator, uncal, calibrated, info, selection, clipped)


def full_fit_binned(rb: RowBins, scores: FloatArray, labels: BoolArray,
                    weights: Optional[FloatArray], settings: Settings, context: str
                    ) -> tuple[Calibrator, Optional[JsonDict]]:
    """The shipped calibrator of a binned task, and ``auto``'s selection record.

    ``auto`` selects on the bins (:func:`select_method_binned`). gam is fitted on the bins (it
    bins finer than its own ``GAM_BINS``); isotonic, platt and beta ship their exact fit,
    found without the aggregate of every distinct score where they can: platt and beta
    refitted on every row from their fit on the bins (:func:`polish_on_rows`), isotonic from
    the sorted rows (:func:`fit_isotonic_rows`); else (weighted isotonic, tied scores, a beta
    leaving its active set) from that aggregate.
    """
    every = range(rb.n.shape[0])
    space = settings.score_space
    all_rows = rb.aggregated(every, space)
    _check_two_classes(all_rows, f"{context}: all kept rows")
    start = time.perf_counter()
    selection: Optional[JsonDict] = None
    method = settings.method
    if method == "auto":
        selection = select_method_binned(rb, settings, every, context)
        method = str(selection["selected"])
    chosen = dataclasses.replace(settings, method=method)
    exact: Optional[Calibrator] = None
    if method == "isotonic":
        if weights is None:
            exact = fit_isotonic_rows(scores, labels, chosen)
    else:
        calibrator = fit_calibrator(all_rows, chosen, f"{context}: full fit",
                                    row_bins=rb.describe(), clipped_rows=rb.clipped_rows)
        if method != "gam":
            exact = polish_on_rows(calibrator, scores, labels, weights)
    del all_rows
    if exact is not None:
        calibrator = exact
    elif method != "gam":
        calibrator = fit_calibrator(BinaryProblem(scores, labels, weights, settings).aggregated(),
                                    chosen, f"{context}: full fit")
    if selection is not None:
        calibrator = dataclasses.replace(calibrator, fit={**calibrator.fit,
                                                          "auto": _auto_summary(selection)})
    logger.info("%s: fitted %s on %d rows (%d clipped to epsilon %g) in %.3fs", context, method,
                int(scores.shape[0]), int(_json_number(calibrator.fit.get("clipped_rows", 0))),
                CLIP_EPSILON, time.perf_counter() - start)
    return calibrator, selection


def cross_fit_binned(rb: RowBins, settings: Settings, weighted: bool
                     ) -> tuple[list[Aggregated], list[JsonDict]]:
    """Each fold's calibrator fitted on the other folds' bins (with ``auto``: the method chosen
    on them) and applied to its own bins at their mean logits; returns the held-out predictions
    per fold (``values``, with each bin's ``n`` and ``k``) and the fold records, as
    :func:`cross_fit` gives them."""
    space = settings.score_space
    every = range(rb.n.shape[0])
    n_rows = int(rb.rows.sum())
    parts: list[Aggregated] = []
    info: list[JsonDict] = []
    for f in every:
        start = time.perf_counter()
        others = [g for g in every if g != f]
        entry: JsonDict = {"fold": f}
        method = settings.method
        if method == "auto":
            choice = select_method_binned(rb, settings, others, f"fold {f}")
            method = str(choice["selected"])
            entry["selected_method"] = method
            entry["candidate_log_loss"] = {
                m: c.get("log_loss") for m, c in _json_get(choice, "candidates").items()
                if isinstance(c, dict)}
        model = _fit_on_bins(rb.aggregated(others, space), settings, method, f"fold {f}")
        fit_seconds = time.perf_counter() - start
        held = rb.group(f, space)
        pred = Aggregated(apply_calibrator(model, held.values), held.n, held.k)
        parts.append(pred)
        n_test = int(rb.rows[f])
        positives = _num(float(held.k.sum())) if weighted else int(held.k.sum())
        entry.update(n_train=n_rows - n_test, n_test=n_test, fit_seconds=round(fit_seconds, 6))
        entry.update(_binned_summary(pred, positives))
        info.append(entry)
        logger.info("fold %d: trained on %d rows, scored %d held-out rows in %.3fs", f,
                    n_rows - n_test, n_test, fit_seconds)
    return parts, info


# --------------------------------------------------------------------------------------------
# Reading data
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Shard:
    """One input data file: path relative to the input root, format, columns and rows.

    ``fitting`` holds only the columns the fits need (score, label, weight columns; every
    column when ``read_shards`` was given no fields) until the mode has parsed them: the runner
    empties it (``release_fitting``), so the run does not keep the shards' data. The other
    columns are read again, one shard at a time, when the calibrated shard is written.
    """

    relative: str
    fmt: str
    path: str
    columns: tuple[str, ...]
    rows: int
    size: int
    json_array: bool = False
    fitting: dict[str, pd.Series] = dataclasses.field(default_factory=dict, compare=False,
                                                      repr=False)


def _format_of(name: str) -> Optional[str]:
    lower = name.lower()
    for ext in DATA_EXTENSIONS:
        if lower.endswith(ext):
            return {".pq": "parquet"}.get(ext, ext.lstrip("."))
    return None


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_EXTENSIONS)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def safe_extract(archive: str, destination: str) -> list[str]:
    """Extract regular files of a tar archive, refusing unsafe members (``MC-E209``)."""
    extracted: list[str] = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                name = member.name
                parts = name.replace("\\", "/").split("/")
                if name.startswith(("/", "\\")) or os.path.isabs(name) or ".." in parts or (
                        len(name) > 1 and name[1] == ":"):
                    raise _error("MC-E209-UNSAFE-ARCHIVE",
                                 f"{os.path.basename(archive)}: member {name!r} escapes the "
                                 "extraction folder", "rebuild the archive with relative paths")
                if not (member.isfile() or member.isdir()):
                    raise _error("MC-E209-UNSAFE-ARCHIVE",
                                 f"{os.path.basename(archive)}: member {name!r} is a link or "
                                 "special file", "rebuild the archive with regular files only")
            for member in members:
                if not member.isfile():
                    continue
                target = os.path.join(destination, *[p for p in member.name.split("/")
                                                     if p not in ("", ".")])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # regular file
                with source, open(target, "wb") as handle:
                    shutil.copyfileobj(source, handle)
                extracted.append(target)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _error("MC-E203-READ-FAILED", f"cannot read archive {os.path.basename(archive)}: "
                     f"{exc}", "provide a valid .tar.gz archive") from exc
    return extracted


def _walk_files(root: str) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        found.extend(os.path.join(folder, f) for f in files if not _hidden(f))
    return sorted(found, key=lambda p: os.path.relpath(p, root))


def discover_files(path: str, scratch: str) -> list[tuple[str, str, str]]:
    """``(absolute path, relative name, format)`` of every data file (archives extracted)."""
    if not os.path.exists(path):
        raise _error("MC-E201-NO-INPUT-FILES", f"input path {path!r} does not exist",
                     "pass the folder or file holding the evaluation data")
    if os.path.isfile(path):
        name = os.path.basename(path)
        candidates = [(path, name)]
    else:
        candidates = [(p, os.path.relpath(p, path).replace(os.sep, "/"))
                      for p in _walk_files(path)]
    result: list[tuple[str, str, str]] = []
    skipped: list[str] = []
    for absolute, relative in candidates:
        fmt = _format_of(relative)
        if fmt is not None:
            result.append((absolute, relative, fmt))
        elif _is_archive(relative):
            target = tempfile.mkdtemp(prefix="archive-", dir=scratch)
            stem = relative[: -len(".tar.gz")] if relative.lower().endswith(".tar.gz") else \
                relative[: -len(".tgz")]
            for member in sorted(safe_extract(absolute, target)):
                inner = os.path.relpath(member, target).replace(os.sep, "/")
                inner_fmt = _format_of(inner)
                if inner_fmt is not None and not any(_hidden(p) for p in inner.split("/")):
                    result.append((member, f"{stem}/{inner}", inner_fmt))
                else:
                    skipped.append(f"{relative}:{inner}")
        else:
            skipped.append(relative)
    if os.path.isfile(path) and not result:
        raise _error("MC-E202-UNSUPPORTED-FORMAT", f"{os.path.basename(path)} is not a "
                     "supported data file", f"use one of {', '.join(DATA_EXTENSIONS)} or "
                     f"{', '.join(ARCHIVE_EXTENSIONS)}")
    if skipped:
        logger.warning("skipped %d non-data files: %s", len(skipped), ", ".join(skipped[:10]))
    if not result:
        raise _error("MC-E201-NO-INPUT-FILES", f"no data file found under {path!r}",
                     f"provide files ending in {', '.join(DATA_EXTENSIONS)}")
    return result


def _json_is_array(path: str) -> bool:
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1)
            if not chunk or not chunk.isspace():
                return chunk == b"["


class _DuplicateKey(ValueError):
    """A JSON object repeats a key (raised by the duplicate scan's ``object_pairs_hook``)."""


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> None:
    if len(dict(pairs)) != len(pairs):
        keys = [key for key, _ in pairs]
        raise _DuplicateKey(sorted({key for key in keys if keys.count(key) > 1}))


def _json_duplicate_keys(path: str, array: bool) -> list[str]:
    """Keys an object of the JSON file repeats (the JSON readers keep only the last value).

    JSON lines are decoded in batches of lines as one array: a Python call per object, no
    object built.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            if array:
                json.load(handle, object_pairs_hook=_no_duplicate_keys)
                return []
            while True:
                lines = [line for line in itertools.islice(handle, 65536) if line.strip()]
                if not lines:
                    return []
                json.loads("[" + ",".join(lines) + "]", object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        return list(exc.args[0])


CSV_FLOAT_PRECISION: Optional[Literal["round_trip"]] = (
    "round_trip" if int(pd.__version__.split(".")[0]) < 3 else None)
"""pandas < 3 parses CSV floats with a fast converter that can be an ulp off; ``round_trip``
parses them exactly (pandas 3 does by default and deprecates the option)."""

WRITE_CHUNK_ROWS = 1 << 20
"""Rows of a csv/tsv shard read, calibrated and written at a time when the outputs are written."""


def _header_duplicates(path: str, sep: str) -> list[str]:
    """Names the text file's header repeats (pandas renames the second ``a`` to ``a.1``)."""
    header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    names = [str(v) for v in header.iloc[0]] if len(header) else []
    return sorted({n for n in names if n and names.count(n) > 1})


def _parquet_schema(path: str) -> tuple[list[str], list[str], int]:
    """The columns pandas would give (index columns of pandas metadata excluded), the names the
    schema repeats (pandas cannot read such a file) and the row count, from the footer only."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; footer only

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    names = [str(n) for n in schema.names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    return ([n for n in names if n not in _pandas_index_columns(schema)], duplicates,
            int(parquet.metadata.num_rows))


def _pandas_index_columns(schema: object) -> set[str]:
    """Columns a pandas-written parquet schema stores the frame's index in."""
    metadata = getattr(schema, "pandas_metadata", None)
    if not isinstance(metadata, dict):
        return set()
    return {c for c in metadata.get("index_columns", []) if isinstance(c, str)}


def read_frame(path: str, fmt: str, fields: Optional[Sequence[str]] = None
               ) -> tuple[pd.DataFrame, bool, list[str], int]:
    """The file's rows (only the columns of ``fields`` it has, or all when None), whether it is
    a JSON array (else JSON lines for json formats), its column names and its row count.

    A file whose header, schema or JSON object repeats a column name is refused
    (``MC-E204-SCHEMA-MISMATCH``): the readers would rename or drop one of the two columns.
    CSV/TSV floats are parsed exactly (``CSV_FLOAT_PRECISION``). A parquet file is read for the
    requested columns only; a csv/tsv or JSON file is parsed whole (which validates its
    structure) and the other columns are dropped at once.
    """
    try:
        array = False
        if fmt in ("csv", "tsv"):
            sep = "," if fmt == "csv" else "\t"
            # Every column is parsed (``usecols`` would skip the check that each row has as
            # many fields as the header); only the fitting ones are kept.
            frame = pd.read_csv(path, sep=sep, float_precision=CSV_FLOAT_PRECISION)
            duplicates = _header_duplicates(path, sep)
            names = [str(c) for c in frame.columns]
            rows = len(frame)
            if fields is not None:
                frame = frame[[c for c in frame.columns if str(c) in fields]]
        elif fmt == "parquet":
            names, duplicates, rows = _parquet_schema(path)
            wanted = names if fields is None else [n for n in names if n in fields]
            frame = pd.read_parquet(path, columns=wanted) if not duplicates else pd.DataFrame()
        else:
            array = fmt == "json" and _json_is_array(path)
            frame = pd.read_json(path, lines=not array, orient="records", precise_float=True)
            if frame.shape[1] == 0:  # as pandas says of an empty csv
                raise ValueError("no records, so no columns to parse from file")
            duplicates = _json_duplicate_keys(path, array)
            names = [str(c) for c in frame.columns]
            rows = len(frame)
            if fields is not None:
                frame = frame[[c for c in frame.columns if str(c) in fields]]
    except Exception as exc:  # pandas raises many types for malformed files
        raise _error("MC-E203-READ-FAILED", f"cannot read {os.path.basename(path)} as {fmt}: "
                     f"{type(exc).__name__}: {exc}", "check the file's format and content") \
            from exc
    if duplicates:
        raise _error("MC-E204-SCHEMA-MISMATCH", f"{os.path.basename(path)} repeats the column "
                     f"names {duplicates}", "give every column a unique name")
    return frame, array, names, rows


def read_shards(path: str, scratch: str, fields: Optional[Sequence[str]] = None) -> list[Shard]:
    """Every data file under ``path``: schema checks, row counts and the ``fields`` columns
    (all columns when None) of each, in ``Shard.fitting``."""
    files = discover_files(path, scratch)
    shards: list[Shard] = []
    columns: Optional[list[str]] = None
    for absolute, relative, fmt in files:
        frame, json_array, names, rows = read_frame(absolute, fmt, fields)
        if columns is None:
            columns = names
        elif names != columns:
            raise _error("MC-E204-SCHEMA-MISMATCH",
                         f"{relative} has columns {names}, the first shard has {columns}",
                         "all shards must share one schema")
        fitting = {str(c): frame[c] for c in frame.columns}
        del frame
        shards.append(Shard(relative, fmt, absolute, tuple(names), rows,
                            os.path.getsize(absolute), json_array, fitting))
        logger.info("read %s (%s): %d rows", relative, fmt, rows)
    _release_arrow_memory()
    return shards


def _release_arrow_memory() -> None:
    """Return the memory Arrow's pool keeps cached after a read or write to the system (the
    pool's allocator would otherwise hold the freed tables' pages for the rest of the run)."""
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()


def release_fitting(shards: Sequence[Shard]) -> None:
    """Drop the fitting columns the runner has parsed (``Shard.fitting``)."""
    for shard in shards:
        shard.fitting.clear()
    _release_arrow_memory()  # the parquet columns' buffers were Arrow's (zero-copy to pandas)


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
            bad.append(repr(value))
            parsed = math.nan
        mapped[i] = parsed
    if bad:
        raise _error("MC-E208-INVALID-LABEL",
                     f"column {name!r} holds non-binary labels: {', '.join(sorted(bad)[:5])}",
                     "labels must be 0/1, true/false or their strings")
    mapped[-1] = math.nan
    result: FloatArray = mapped[codes]
    return result


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


def _label_values(series: pd.Series, name: str) -> npt.NDArray[Any]:
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
        raise _error("MC-E206-NON-NUMERIC-SCORE",
                     f"column {name!r} has non-numeric type {series.dtype}",
                     "scores must be numbers (probabilities or margins)")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[~np.isnan(values)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if score_space == "probability" and (lo < 0.0 or hi > 1.0):
            bad = int(np.count_nonzero((finite < 0.0) | (finite > 1.0)))
            raise _error("MC-E207-SCORE-OUT-OF-RANGE",
                         f"column {name!r}: {bad} scores outside [0, 1] (min {lo}, max {hi})",
                         "set SCORE_SPACE=logit for raw margins, or fix the scores")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise _error("MC-E207-SCORE-OUT-OF-RANGE", f"column {name!r} holds infinite scores",
                         "scores must be finite")
    return values


@dataclasses.dataclass(frozen=True)
class InputData:
    """One binary task over every row read; ``keep`` marks the rows used.

    ``weights`` are the effective row weights (WEIGHT_FIELD times the negative-sampling
    correction; NaN where the weight is missing), or None when every row weighs 1.
    """

    shards: list[Shard]
    scores: FloatArray
    labels: FloatArray
    keep: BoolArray
    rows_read: int
    dropped_missing_score: int
    dropped_missing_label: int
    weights: Optional[FloatArray] = None
    dropped_missing_weight: int = 0
    score_field: str = ""
    label_field: str = ""

    def kept_weights(self) -> FloatArray:
        if self.weights is None:
            return np.ones(int(self.keep.sum()))
        out: FloatArray = self.weights[self.keep]
        return out

    def rows_block(self) -> JsonDict:
        block: JsonDict = {
            "read": self.rows_read, "used": int(np.count_nonzero(self.keep)),
            "positives": int(np.count_nonzero((self.labels == 1.0) & self.keep)),
            "dropped": {"missing_score": self.dropped_missing_score,
                        "missing_label": self.dropped_missing_label}}
        if self.weights is not None:
            w = self.kept_weights()
            block["dropped"] = {**_json_get(block, "dropped"),
                                "missing_weight": self.dropped_missing_weight}
            block["weight_sum"] = float(w.sum())
            block["positive_weight_sum"] = float(np.dot(w, self.labels[self.keep]))
        return block


def _require_columns(shards: Sequence[Shard], fields: Sequence[str], hint: str) -> None:
    columns = list(shards[0].columns)
    for field in fields:
        if field not in columns:
            raise _error("MC-E205-MISSING-COLUMN",
                         f"column {field!r} not found; columns present: {columns}", hint)


def parse_weights(shards: Sequence[Shard], settings: Settings) -> Optional[FloatArray]:
    """WEIGHT_FIELD as float64 (NaN where missing); negative, infinite or non-numeric: MC-E211."""
    if not settings.weight_field:
        return None
    name = settings.weight_field
    _require_columns(shards, [name], "set WEIGHT_FIELD to an existing column, or leave it empty")
    parts = []
    for shard in shards:
        series = shard.fitting[name]
        numbers = isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf"
        if not numbers and _all_missing(series):  # (a number column is NaN there anyway)
            parts.append(np.full(len(series), np.nan))
            continue
        if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
                series.dtype):
            raise _error("MC-E211-INVALID-WEIGHT",
                         f"weight column {name!r} has non-numeric type {series.dtype}",
                         "weights must be finite numbers >= 0")
        parts.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
    weights = np.concatenate(parts)
    lo, hi = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
    if lo >= 0.0 and hi < math.inf:  # (False with a NaN weight: then look at each)
        return weights
    bad = (weights < 0.0) | np.isinf(weights)
    if bad.any():
        raise _error("MC-E211-INVALID-WEIGHT",
                     f"weight column {name!r} holds {int(bad.sum())} negative or infinite values "
                     f"(min {float(np.nanmin(weights))})", "weights must be finite numbers >= 0")
    return weights


WEIGHT_SAFE_RANGE = (2.0 ** -64, 2.0 ** 64)
"""Largest kept weight outside this range: the weights are rescaled (sums would overflow or
underflow in the fits and metrics)."""


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
    if top == 0.0 or not math.isfinite(top) or WEIGHT_SAFE_RANGE[0] <= top <= WEIGHT_SAFE_RANGE[1]:
        return weights
    scale = math.ldexp(1.0, math.frexp(top)[1] - 1)
    logger.warning("the largest weight is %g: every weight is divided by %g (exact; the "
                   "calibration does not depend on the weights' unit)", top, scale)
    with np.errstate(over="ignore"):  # a dropped row's weight may overflow: it is never used
        out: FloatArray = weights / scale
    return out


def task_data(shards: list[Shard], score_field: str, label_field: str,
              raw_weights: Optional[FloatArray], settings: Settings, task: str) -> InputData:
    """One binary task's scores, labels and effective weights; rows missing any are dropped."""
    scores = np.concatenate([parse_scores(s.fitting[score_field], score_field,
                                          settings.score_space) for s in shards])
    labels = np.concatenate([_label_values(s.fitting[label_field], label_field)
                             for s in shards], dtype=np.float64)
    keep = np.isnan(scores)  # missing score, then missing either, then kept
    dropped_score = int(np.count_nonzero(keep))
    keep |= np.isnan(labels)
    dropped_label = int(np.count_nonzero(keep)) - dropped_score
    np.logical_not(keep, out=keep)
    weights = raw_weights
    missing_weight = 0
    if settings.negative_sampling_rate < 1.0:
        # Negatives were kept with probability r: each kept negative stands for 1/r negatives.
        factor = np.where(labels == 0.0, 1.0 / settings.negative_sampling_rate, 1.0)
        weights = factor if weights is None else weights * factor
    if weights is not None:
        lost = np.isnan(weights) & keep
        missing_weight = int(lost.sum())
        keep &= ~lost
        weights = rescale_weights(weights, keep)
    data = InputData(shards, scores, labels, keep, int(scores.shape[0]), dropped_score,
                     dropped_label, weights, missing_weight, score_field, label_field)
    logger.info("%s: %d rows; dropped %d with missing score, %d with missing label, %d with "
                "missing weight; %d rows kept", task, data.rows_read, data.dropped_missing_score,
                data.dropped_missing_label, missing_weight, int(np.count_nonzero(keep)))
    if not keep.any():
        raise _error("MC-E210-NO-ROWS", f"{task}: no row has both a score and a label",
                     "check SCORE_FIELD / LABEL_FIELD and missing values")
    if weights is not None and not float(data.kept_weights().sum()) > 0.0:
        raise _error("MC-E210-NO-ROWS", f"{task}: the kept rows weigh 0 in total",
                     "check WEIGHT_FIELD")
    return data


def fitting_fields(settings: Settings) -> list[str]:
    """The columns the mode fits on (scores, labels and the weight column); only these are read
    before fitting.

    >>> fitting_fields(read_settings({"WEIGHT_FIELD": "w"}))
    ['prob_class_1', 'label', 'w']
    """
    if settings.mode == "multitask":
        fields = list(settings.score_fields) + list(settings.task_label_names)
    elif settings.mode == "multiclass":
        fields = [settings.score_field_prefix + c for c in settings.categories]
        fields.append(settings.label_field)
    else:
        fields = [settings.score_field, settings.label_field]
    if settings.weight_field:
        fields.append(settings.weight_field)
    return list(dict.fromkeys(fields))


def load_input(path: str, settings: Settings, scratch: str) -> InputData:
    """Read every shard and the binary task of SCORE_FIELD / LABEL_FIELD."""
    shards = read_shards(path, scratch, fitting_fields(settings))
    _require_columns(shards, [settings.score_field, settings.label_field],
                     "set SCORE_FIELD / LABEL_FIELD to existing columns")
    logger.info("read %d files", len(shards))
    return task_data(shards, settings.score_field, settings.label_field,
                     parse_weights(shards, settings), settings, "binary task")


def load_tasks(shards: list[Shard], settings: Settings) -> list[InputData]:
    """The multi-task tasks (SCORE_FIELDS / TASK_LABEL_NAMES), each keeping its own rows."""
    _require_columns(shards, list(settings.score_fields) + list(settings.task_label_names),
                     "set SCORE_FIELDS / TASK_LABEL_NAMES to existing columns")
    weights = parse_weights(shards, settings)
    return [task_data(shards, score, label, weights, settings, f"task {score!r}")
            for score, label in zip(settings.score_fields, settings.task_label_names)]


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


def _integral_text(text: str) -> str:
    """``"7.0"`` as ``"7"`` (a label written as an integral float); any other text unchanged."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


def parse_class_labels(series: pd.Series, name: str, categories: Sequence[str]) -> FloatArray:
    """Class indices (NaN where missing); labels compare to categories as strings, ``1.0`` as 1.

    >>> parse_class_labels(pd.Series([2.0, "a", None]), "y", ["a", "2"]).tolist()
    [1.0, 0.0, nan]
    """
    index = {category: float(i) for i, category in enumerate(categories)}
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=np.float64)
    bad: list[str] = []
    for i, value in enumerate(list(uniques)):
        category = _category_name(value)
        if category is None:
            mapped[i] = math.nan
        elif category in index:
            mapped[i] = index[category]
        elif _integral_text(category) in index:
            mapped[i] = index[_integral_text(category)]
        else:
            bad.append(repr(value))
            mapped[i] = math.nan
    if bad:
        raise _error("MC-E208-INVALID-LABEL",
                     f"column {name!r} holds labels that are not categories: "
                     f"{', '.join(sorted(bad)[:5])}; categories are {list(categories)[:20]}",
                     "set MULTICLASS_CATEGORIES (or NUM_CLASSES) to every label value")
    mapped[-1] = math.nan
    result: FloatArray = mapped[codes]
    return result


@dataclasses.dataclass(frozen=True)
class MulticlassData:
    """Multi-class rows: an ``(n, classes)`` score matrix, class indices, kept rows, weights."""

    shards: list[Shard]
    scores: FloatArray
    labels: FloatArray
    keep: BoolArray
    rows_read: int
    dropped_missing_score: int
    dropped_missing_label: int
    weights: Optional[FloatArray] = None
    dropped_missing_weight: int = 0

    def kept_weights(self) -> FloatArray:
        if self.weights is None:
            return np.ones(int(self.keep.sum()))
        out: FloatArray = self.weights[self.keep]
        return out

    def rows_block(self) -> JsonDict:
        block: JsonDict = {"read": self.rows_read, "used": int(self.keep.sum()),
                           "dropped": {"missing_score": self.dropped_missing_score,
                                       "missing_label": self.dropped_missing_label}}
        if self.weights is not None:
            block["dropped"] = {**_json_get(block, "dropped"),
                                "missing_weight": self.dropped_missing_weight}
            block["weight_sum"] = float(self.kept_weights().sum())
        return block


def load_multiclass(shards: list[Shard], settings: Settings) -> MulticlassData:
    """Class score columns ``SCORE_FIELD_PREFIX + category`` and the label column."""
    fields = [settings.score_field_prefix + c for c in settings.categories]
    _require_columns(shards, fields + [settings.label_field],
                     "set SCORE_FIELD_PREFIX / MULTICLASS_CATEGORIES (or NUM_CLASSES) / "
                     "LABEL_FIELD to existing columns")
    scores = np.column_stack([
        np.concatenate([parse_scores(s.fitting[f], f, settings.score_space) for s in shards])
        for f in fields])
    labels = np.concatenate([parse_class_labels(s.fitting[settings.label_field],
                                                settings.label_field, settings.categories)
                             for s in shards])
    missing_score = np.isnan(scores).any(axis=1)
    missing_label = np.isnan(labels) & ~missing_score
    keep = ~(missing_score | np.isnan(labels))
    weights = parse_weights(shards, settings)
    missing_weight = 0
    if weights is not None:
        lost = np.isnan(weights) & keep
        missing_weight = int(lost.sum())
        keep &= ~lost
        weights = rescale_weights(weights, keep)
    data = MulticlassData(shards, scores, labels, keep, int(labels.shape[0]),
                          int(missing_score.sum()), int(missing_label.sum()), weights,
                          missing_weight)
    logger.info("read %d files, %d rows, %d classes; dropped %d with a missing class score, %d "
                "with missing label, %d with missing weight; %d rows kept", len(shards),
                data.rows_read, len(fields), data.dropped_missing_score,
                data.dropped_missing_label, missing_weight, int(keep.sum()))
    if not keep.any() or not float(data.kept_weights().sum()) > 0.0:
        raise _error("MC-E210-NO-ROWS", "no row has every class score, a label and a weight",
                     "check the score columns, LABEL_FIELD and missing values")
    return data


# --------------------------------------------------------------------------------------------
# Writing outputs
# --------------------------------------------------------------------------------------------
def _write_failed(path: str, exc: Exception) -> CalibrationScriptError:
    return _error("MC-E502-WRITE-FAILED", f"cannot write {os.path.basename(path)}: "
                  f"{type(exc).__name__}: {exc}", "check the output volume (space, permissions); "
                  "a value that is not finite is a bug of the script: report it with the input")


def _write_json(path: str, content: Mapping[str, object]) -> None:
    """Write ``content`` as JSON; NaN or infinity (never valid JSON) or an OS error: MC-E502."""
    try:
        text = json.dumps(content, indent=2, sort_keys=True, allow_nan=False)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except (OSError, ValueError, TypeError) as exc:
        raise _write_failed(path, exc) from exc


def write_frame(frame: pd.DataFrame, path: str, fmt: str, json_array: bool) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        with open(path, "w", encoding="utf-8") as handle:
            if json_array:
                json.dump(records, handle, allow_nan=False, default=str)
            else:
                for record in records:
                    handle.write(json.dumps(record, allow_nan=False, default=str))
                    handle.write("\n")


def write_calibrated_shard(shard: Shard, target: str,
                           columns: Callable[[pd.DataFrame], dict[str, FloatArray]],
                           score_columns: Sequence[str]) -> int:
    """Read ``shard`` again in full (every column), add the calibrated columns and write it to
    ``target`` in its format; returns the rows written. One shard (a csv/tsv: one chunk of
    ``WRITE_CHUNK_ROWS`` rows) is in memory at a time.

    parquet goes through pyarrow tables (columns keep their Arrow types; a pandas index column
    is dropped, as ``to_parquet(index=False)`` did); csv/tsv through pandas in chunks; JSON is
    read and written whole. An OS error or a value JSON cannot hold is ``MC-E502``; a file that
    changed since it was read is ``MC-E203``.
    """
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        if shard.fmt == "parquet":
            return _write_parquet_shard(shard, target, columns, score_columns)
        if shard.fmt in ("csv", "tsv"):
            sep = "," if shard.fmt == "csv" else "\t"
            rows = 0
            chunks = pd.read_csv(shard.path, sep=sep, chunksize=WRITE_CHUNK_ROWS,
                                 float_precision=CSV_FLOAT_PRECISION)
            with chunks:
                for i, chunk in enumerate(chunks):
                    out = chunk.assign(**columns(chunk))
                    out.to_csv(target, index=False, sep=sep, mode="w" if i == 0 else "a",
                               header=i == 0)
                    rows += len(out)
            return rows
        frame = read_frame(shard.path, shard.fmt)[0]
        out = frame.assign(**columns(frame))
        write_frame(out, target, shard.fmt, shard.json_array)
        return len(out)
    except CalibrationScriptError:
        raise
    except (OSError, ValueError) as exc:
        raise _write_failed(target, exc) from exc


def _write_parquet_shard(shard: Shard, target: str,
                         columns: Callable[[pd.DataFrame], dict[str, FloatArray]],
                         score_columns: Sequence[str]) -> int:
    import pyarrow
    import pyarrow.parquet as pq

    # Memory-mapped: the column chunks are decoded from the page cache without a read copy.
    table = pq.read_table(shard.path, memory_map=True)
    index_columns = _pandas_index_columns(table.schema)
    if index_columns:
        table = table.drop_columns(sorted(index_columns))
    if table.schema.metadata and b"pandas" in table.schema.metadata:
        # pandas metadata would not describe the added columns (pandas reads them regardless).
        table = table.replace_schema_metadata(
            {k: v for k, v in table.schema.metadata.items() if k != b"pandas"} or None)
    scores = pd.DataFrame({name: table.column(name).to_pandas() for name in score_columns})
    for name, values in columns(scores).items():
        array = pyarrow.array(values, type=pyarrow.float64())
        position = table.schema.get_field_index(name)
        if position >= 0:
            table = table.set_column(position, name, array)
        else:
            table = table.append_column(name, array)
    del scores
    pq.write_table(table, target)
    return int(table.num_rows)


def _hook(stage: str) -> None:
    if TEST_HOOK is not None:
        TEST_HOOK(stage)


PUBLISH_JOURNAL = STAGING_PREFIX + "journal.json"
"""Hidden file written into every output folder before the first move of a publish: the files
that folder is about to receive (``targets``) and, for the folder receiving summary.json, that
``final`` file. Its name starts with STAGING_PREFIX, as every leftover of a run does."""


def _remove_entry(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _journal_path(folder: str) -> str:
    return os.path.join(folder, PUBLISH_JOURNAL)


def _read_journal(folder: str) -> Optional[Mapping[str, object]]:
    """The folder's publish journal; ``{}`` if it cannot be read, None if there is none."""
    path = _journal_path(folder)
    if not os.path.lexists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            content: object = json.load(handle)
    except (OSError, ValueError):
        content = None
    if not isinstance(content, dict):
        logger.warning("ignoring an unreadable publish journal in %s", folder)
        return {}
    return content


def _inside(folder: str, relative: object) -> Optional[str]:
    """``folder/relative`` if ``relative`` is a plain relative path that stays inside ``folder``
    (a journal is never trusted to name another file), else None."""
    if not isinstance(relative, str) or not relative or relative.startswith(("/", "\\")):
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") or "\\" in part for part in parts):
        return None
    path = os.path.join(folder, *parts)
    root = os.path.realpath(folder)
    parent = os.path.realpath(os.path.dirname(path))
    if parent != root and not parent.startswith(root + os.sep):
        return None
    return path


class Staging:
    """Hidden staging folders inside each output folder, published with ``os.replace``.

    A publish writes a journal (``PUBLISH_JOURNAL``) into every output folder before its first
    move (the folder receiving summary.json first) and removes them after its last move (that
    folder's last), so a run killed while publishing leaves journals behind. ``prepare`` then
    finishes or undoes it: if the final file (summary.json) is in place the publish had
    completed and only the journals are removed; otherwise every file the journals list is
    removed (with the folders the publish created), leaving each output folder without visible
    entries, and the run goes on.
    """

    def __init__(self, outputs: Mapping[str, str]) -> None:
        self.outputs = dict(outputs)
        self.dirs: dict[str, str] = {}

    def prepare(self) -> None:
        for folder in self.outputs.values():
            os.makedirs(folder, exist_ok=True)
        self.recover()
        for name, folder in self.outputs.items():
            for entry in os.listdir(folder):
                if entry.startswith(STAGING_PREFIX):
                    logger.warning("removing staging folder %s left by an earlier run in %s",
                                   entry, name)
                    _remove_entry(os.path.join(folder, entry))
        for name, folder in self.outputs.items():
            visible = [e for e in os.listdir(folder) if not e.startswith(".")]
            if visible:
                raise _error("MC-E501-OUTPUT-NOT-EMPTY",
                             f"output {name} already holds {sorted(visible)[:5]}",
                             "point the output at an empty folder")

    def recover(self) -> None:
        """Finish or undo a publish interrupted by a kill (see the class docstring)."""
        journals = {name: journal for name, folder in self.outputs.items()
                    if (journal := _read_journal(folder)) is not None}
        if not journals:
            return
        completed = any(
            (path := _inside(self.outputs[name], journal.get("final"))) is not None
            and os.path.lexists(path) for name, journal in journals.items())
        removed = 0
        if not completed:
            for name, journal in journals.items():
                folder = self.outputs[name]
                targets = journal.get("targets")
                for relative in targets if isinstance(targets, list) else []:
                    path = _inside(folder, relative)
                    if path is None or not (os.path.isfile(path) or os.path.islink(path)):
                        continue
                    os.remove(path)
                    removed += 1
                    parent = os.path.dirname(path)
                    while os.path.realpath(parent) != os.path.realpath(folder):
                        if os.listdir(parent):
                            break
                        os.rmdir(parent)
                        parent = os.path.dirname(parent)
        logger.warning("an earlier run was killed while publishing its outputs: %s",
                       "it had completed; removing its journals" if completed else
                       f"removed the {removed} files it had moved into place")
        for name in journals:
            os.remove(_journal_path(self.outputs[name]))

    def open(self) -> None:
        for name, folder in self.outputs.items():
            self.dirs[name] = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder)

    def path(self, name: str, relative: str) -> str:
        return os.path.join(self.dirs[name], *relative.split("/"))

    def publish(self, last: tuple[str, str]) -> None:
        """Move every staged file into place, ``last`` (summary.json) last, under journals."""
        moves: list[tuple[str, str]] = []
        targets: dict[str, list[str]] = {name: [] for name in self.dirs}
        for name, staging in self.dirs.items():
            for folder, _dirs, files in os.walk(staging):
                for file in sorted(files):
                    source = os.path.join(folder, file)
                    relative = os.path.relpath(source, staging)
                    targets[name].append(relative.replace(os.sep, "/"))
                    moves.append((source, os.path.join(self.outputs[name], relative)))
        final = (self.path(*last), os.path.join(self.outputs[last[0]], last[1]))
        moves.sort(key=lambda move: move == final)
        order = [last[0]] + [name for name in self.dirs if name != last[0]]
        for name in order:
            journal = _journal_path(self.outputs[name])
            with open(journal + ".tmp", "w", encoding="utf-8") as handle:
                json.dump({"targets": targets[name],
                           "final": last[1] if name == last[0] else None}, handle)
            os.replace(journal + ".tmp", journal)
        for i, (source, target) in enumerate(moves):
            if i == len(moves) - 1:
                _hook("before_final_move")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
            if i == 0:
                _hook("during_publish")
        _hook("after_final_move")
        for name in reversed(order):
            os.remove(_journal_path(self.outputs[name]))
        self.cleanup()

    def cleanup(self) -> None:
        for staging in self.dirs.values():
            shutil.rmtree(staging, ignore_errors=True)
        self.dirs.clear()

    def remove_published(self) -> None:
        """On error after a partial publish: remove every visible entry we may have written, and
        the journals."""
        for folder in self.outputs.values():
            for entry in os.listdir(folder):
                if not entry.startswith(".") or entry.startswith(PUBLISH_JOURNAL):
                    _remove_entry(os.path.join(folder, entry))


Panel = tuple[str, Mapping[str, object], Mapping[str, object]]
MAX_PLOT_PANELS = 36


def _import_plotting() -> None:
    """Import matplotlib with the Agg backend (what :func:`plot_reliability` needs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  # the import is the point


def preload_plotting() -> Optional[threading.Thread]:
    """Start importing matplotlib on a background thread, so that its ~0.3 s import overlaps
    reading and fitting instead of adding to the run (the reliability diagram is drawn last).
    Any failure is left for :func:`plot_reliability` to meet and report; None when matplotlib
    is imported already.
    """
    if "matplotlib.pyplot" in sys.modules:
        return None

    def run() -> None:
        try:
            _import_plotting()
        except Exception:  # plot_reliability imports again and records the error
            logger.debug("preloading matplotlib failed", exc_info=True)

    thread = threading.Thread(target=run, name="preload-matplotlib", daemon=True)
    thread.start()
    return thread


def plot_reliability(path: str, panels: Sequence[Panel],
                     evaluation: str = "cross-fitted calibration") -> None:
    """Reliability diagram (equal-width bins): one panel per class or task, in a grid.

    Each panel holds the uncalibrated and calibrated reliability curves over the diagonal and,
    below them, the histogram of predictions; at most ``MAX_PLOT_PANELS`` panels are drawn.
    """
    _import_plotting()
    import matplotlib.pyplot as plt

    shown = list(panels)[:MAX_PLOT_PANELS]
    cols = max(1, math.ceil(math.sqrt(len(shown))))
    grid_rows = math.ceil(len(shown) / cols)
    single = len(shown) == 1
    fig, axes = plt.subplots(2 * grid_rows, cols, figsize=(6, 8) if single else
                             (4.5 * cols, 6 * grid_rows), height_ratios=[3, 1] * grid_rows,
                             squeeze=False)
    try:
        for i in range(grid_rows * cols):
            top, bottom = axes[2 * (i // cols)][i % cols], axes[2 * (i // cols) + 1][i % cols]
            if i >= len(shown):
                top.axis("off")
                bottom.axis("off")
                continue
            title, uncalibrated, calibrated = shown[i]
            _reliability_panel(top, bottom, uncalibrated, calibrated)
            top.set_title(f"{title} ({evaluation})" if title else
                          f"Reliability diagram ({evaluation})")
        if len(panels) > len(shown):
            fig.suptitle(f"first {len(shown)} of {len(panels)} panels")
        # tight_layout costs ~0.4 s per panel; fixed spacing is enough for this layout.
        fig.subplots_adjust(hspace=0.3 if single else 0.5, wspace=0.25)
        fig.savefig(path, dpi=100 if single else 80)
    finally:
        plt.close(fig)


def _reliability_panel(top_ax: Axes, bottom_ax: Axes, uncalibrated: Mapping[str, object],
                       calibrated: Mapping[str, object]) -> None:
    top_ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for label, block in (("uncalibrated", uncalibrated), ("calibrated", calibrated)):
        bins = _json_get(block, "bins", "equal_width")
        xs = _json_floats(bins.get("mean_predicted"))
        ys = _json_floats(bins.get("observed_rate"))
        keep = ~(np.isnan(xs) | np.isnan(ys))
        top_ax.plot(xs[keep], ys[keep], marker="o", label=f"{label} (ECE "
                    f"{_json_number(block.get('ece_equal_width')):.4f})")
        counts = _json_floats(bins.get("count"))
        n_bins = counts.shape[0]
        edges = np.arange(n_bins) / n_bins
        bottom_ax.bar(edges, counts, width=1.0 / n_bins, align="edge", alpha=0.5, label=label)
    top_ax.set_ylabel("observed positive rate")
    top_ax.legend(loc="upper left")
    bottom_ax.set_xlabel("predicted probability")
    bottom_ax.set_ylabel("rows")
    bottom_ax.legend(loc="upper center")


def _json_get(block: Mapping[str, object], *keys: str) -> Mapping[str, object]:
    current: object = block
    for key in keys:
        if not isinstance(current, Mapping):
            raise TypeError(f"{key} is not an object")
        current = current[key]
    if not isinstance(current, Mapping):
        raise TypeError("not an object")
    return current


def _json_floats(value: object) -> FloatArray:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return np.array([math.nan if v is None else float(v) for v in value], dtype=np.float64)


def _json_number(value: object) -> float:
    if not isinstance(value, (int, float)):
        raise TypeError("not a number")
    return float(value)


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------
def _fingerprint(shards: Sequence[Shard]) -> JsonDict:
    digest = hashlib.sha256()
    for shard in shards:
        digest.update(f"{shard.relative}\0{shard.size}\n".encode("utf-8"))
    return {"algorithm": "sha256", "of": "relative file names and sizes",
            "files": len(shards), "digest": digest.hexdigest()}


def _required(paths: Mapping[str, str], names: Sequence[str], kind: str) -> dict[str, str]:
    missing = [name for name in names if not paths.get(name)]
    if missing:
        raise _error("MC-E103-MISSING-PATH", f"missing {kind} path(s): {', '.join(missing)}",
                     f"pass --{missing[0]} DIR")
    return {name: paths[name] for name in names}


def _uncalibrated_class_probabilities(scores: FloatArray, space: str) -> tuple[FloatArray, int]:
    """Class scores as probabilities: softmax of margins, or probabilities renormalised."""
    if space == "logit":
        return _softmax(scores.astype(np.float64, copy=True)), 0
    return renormalise(scores)


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """One binary task's calibrator (fitted or given), metrics, folds and auto record."""

    calibrator: Calibrator
    uncalibrated: JsonDict
    calibrated: JsonDict
    folds: list[JsonDict]
    selection: Optional[JsonDict]
    rows: JsonDict


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Everything a mode produces for the writing stage."""

    method: str
    calibrator: AnyCalibrator
    rows: JsonDict
    uncalibrated: JsonDict
    calibrated: JsonDict
    folds: object
    selection: object
    panels: list[Panel]
    gate_metric: str
    columns: Callable[[pd.DataFrame], dict[str, FloatArray]]
    score_columns: tuple[str, ...]


def _choose_and_fit(problem: Problem[ModelT], settings: Settings, context: str
                    ) -> tuple[ModelT, Optional[JsonDict], str]:
    selection: Optional[JsonDict] = None
    method = settings.method
    if method == "auto":
        selection = select_method(problem, settings, None, settings.seed, context)
        method = str(selection["selected"])
    return problem.fit(method, None, f"{context}: full fit"), selection, method


def run_task(data: InputData, settings: Settings, given: Optional[Calibrator],
             context: str) -> TaskResult:
    """Fit (with cross-fitted metrics) or apply ``given`` (metrics of its predictions)."""
    every_row = bool(data.keep.all())  # then no copies of the columns
    scores = data.scores if every_row else data.scores[data.keep]
    labels = data.labels == 1.0 if every_row else data.labels[data.keep] == 1.0
    weights = None if data.weights is None else \
        data.weights if every_row else data.weights[data.keep]
    n = int(scores.shape[0])
    if n >= BINNED_MIN_ROWS:
        binned = run_task_binned(scores, labels, weights, settings, given, context)
        if binned is not None:
            rows = data.rows_block()
            if given is None:
                rows["clipped_for_logit"] = binned.clipped_rows
            return TaskResult(binned.calibrator, binned.uncalibrated, binned.calibrated,
                              binned.folds, binned.selection, rows)
    problem = BinaryProblem(scores, labels, weights, settings)
    if settings.score_space == "probability":
        uncal_agg = problem.aggregated()  # shared with the class check and the full fit
    else:
        uncal_agg = aggregate(_sigmoid(scores), labels, weights)
    uncal = binary_metrics(uncal_agg, settings.bins, rows=n)
    uncal["row_bins"] = None  # every distinct score (run_task_binned records its bins here)
    del uncal_agg
    rows = data.rows_block()
    selection: Optional[JsonDict] = None
    folds: list[JsonDict] = []
    if given is None:
        _check_two_classes(problem.aggregated(), f"{context}: all kept rows")
        start = time.perf_counter()
        unique_scores = problem.aggregated().values.shape[0]
        calibrator, selection, method = _choose_and_fit(problem, settings, context)
        problem.forget_all_rows()
        clipped = int(_json_number(calibrator.fit.get("clipped_rows", 0)))
        logger.info("%s: fitted %s on %d rows (%d unique scores, %d clipped to epsilon %g) in "
                    "%.3fs", context, method, n, unique_scores, clipped, CLIP_EPSILON,
                    time.perf_counter() - start)
        if selection is not None:
            calibrator = dataclasses.replace(calibrator, fit={**calibrator.fit,
                                                              "auto": _auto_summary(selection)})
        crossed = cross_fit(problem, settings)
        predictions, folds = crossed.predictions, crossed.folds
        del crossed
        rows["clipped_for_logit"] = clipped
    else:
        predictions = problem.predict(given)
        calibrator = given
    calibrated_agg = aggregate(predictions, labels, weights)
    del predictions, problem  # the metrics' own temporaries need the room at 1e7 rows
    calibrated = binary_metrics(calibrated_agg, settings.bins, rows=n)
    calibrated["row_bins"] = None
    return TaskResult(calibrator, uncal, calibrated, folds, selection, rows)


def _auto_summary(selection: Mapping[str, object]) -> JsonDict:
    candidates = _json_get(selection, "candidates")
    return {"selected": selection["selected"], "reason": selection["reason"],
            "log_loss": {m: c.get("log_loss") for m, c in candidates.items()
                         if isinstance(c, dict)}}


def _calibrated_column(calibrator: Calibrator, raw: FloatArray) -> FloatArray:
    valid = ~np.isnan(raw)
    if valid.all():
        return apply_calibrator(calibrator, raw)
    out = np.full(raw.shape[0], np.nan)
    out[valid] = apply_calibrator(calibrator, raw[valid])
    return out


def run_binary(shards: list[Shard], settings: Settings, given: Optional[AnyCalibrator]
               ) -> Outcome:
    _require_columns(shards, [settings.score_field, settings.label_field],
                     "set SCORE_FIELD / LABEL_FIELD to existing columns")
    data = task_data(shards, settings.score_field, settings.label_field,
                     parse_weights(shards, settings), settings, "binary task")
    release_fitting(shards)
    assert given is None or isinstance(given, Calibrator)  # check_given
    result = run_task(data, settings, given, "binary task")
    cal = result.calibrator

    def columns(frame: pd.DataFrame) -> dict[str, FloatArray]:
        raw = parse_scores(frame[settings.score_field], settings.score_field,
                           settings.score_space)
        return {f"calibrated_{settings.score_field}": _calibrated_column(cal, raw)}

    return Outcome(cal.method, cal, result.rows, result.uncalibrated, result.calibrated,
                   result.folds, result.selection, [("", result.uncalibrated, result.calibrated)],
                   "calibrated.ece_equal_width", columns, (settings.score_field,))


def run_multitask(shards: list[Shard], settings: Settings, given: Optional[AnyCalibrator]
                  ) -> Outcome:
    tasks = load_tasks(shards, settings)
    release_fitting(shards)
    names = settings.score_fields
    members: list[Optional[Calibrator]] = [None] * len(names)
    if given is not None:
        assert isinstance(given, MultiCalibrator)  # check_given
        members = list(given.members)
    results = [run_task(data, settings, member, f"task {name!r}")
               for data, member, name in zip(tasks, members, names)]
    calibrator = given if given is not None else MultiCalibrator(
        mode="multitask", method=settings.method, score_space=settings.score_space,
        clip_epsilon=CLIP_EPSILON, names=names, score_fields=names,
        label_fields=settings.task_label_names, members=tuple(r.calibrator for r in results))
    assert isinstance(calibrator, MultiCalibrator)
    fitted = calibrator.members

    def columns(frame: pd.DataFrame) -> dict[str, FloatArray]:
        return {f"calibrated_{name}": _calibrated_column(
            member, parse_scores(frame[name], name, settings.score_space))
            for name, member in zip(names, fitted)}

    uncal = multitask_metrics({n: r.uncalibrated for n, r in zip(names, results)})
    cal = multitask_metrics({n: r.calibrated for n, r in zip(names, results)})
    selection = {n: r.selection for n, r in zip(names, results)} \
        if settings.method == "auto" and given is None else None
    return Outcome(settings.method if given is None else calibrator.method, calibrator,
                   {"read": tasks[0].rows_read, "tasks": {n: r.rows for n, r in zip(names, results)}},
                   uncal, cal, {n: r.folds for n, r in zip(names, results)}, selection,
                   [(f"task {n}", r.uncalibrated, r.calibrated) for n, r in zip(names, results)],
                   "max over tasks of calibrated.tasks.<task>.ece_equal_width", columns,
                   tuple(names))


def run_multiclass(shards: list[Shard], settings: Settings, given: Optional[AnyCalibrator]
                   ) -> Outcome:
    data = load_multiclass(shards, settings)
    release_fitting(shards)
    fields = tuple(settings.score_field_prefix + c for c in settings.categories)
    assert given is None or isinstance(given, MultiCalibrator)  # check_given
    scores = data.scores[data.keep]
    labels = data.labels[data.keep].astype(np.int64)
    weights = data.kept_weights()
    problem = MulticlassProblem(scores, labels, None if data.weights is None else weights,
                                settings)
    uncal_probs, zero_rows = _uncalibrated_class_probabilities(scores, settings.score_space)
    if settings.score_space == "probability":
        off = int(np.count_nonzero(np.abs(scores.sum(axis=1) - 1.0) > 1e-6))
        if off:
            logger.warning("%d rows' class probabilities do not sum to 1 (tolerance 1e-6); the "
                           "uncalibrated figures use them renormalised", off)
    uncal = multiclass_metrics(uncal_probs, labels, weights, settings.categories, settings.bins)
    del uncal_probs
    rows = data.rows_block()
    rows["uncalibrated_zero_sum_rows"] = zero_rows
    selection: Optional[JsonDict] = None
    folds: list[JsonDict] = []
    if given is None:
        start = time.perf_counter()
        calibrator, selection, method = _choose_and_fit(problem, settings, "multiclass")
        logger.info("multiclass: fitted %s on %d rows, %d classes in %.3fs", method,
                    scores.shape[0], scores.shape[1], time.perf_counter() - start)
        if selection is not None:
            calibrator = dataclasses.replace(calibrator, fit={**calibrator.fit,
                                                              "auto": _auto_summary(selection)})
        crossed = cross_fit(problem, settings)
        predictions, folds = crossed.predictions, crossed.folds
    else:
        calibrator = given
        predictions = problem.predict(given)
    cal = multiclass_metrics(predictions, labels, weights, settings.categories, settings.bins)
    del predictions
    fitted = calibrator
    zero = problem.zero_sum_rows(calibrator)
    rows["ovr_zero_sum_rows"] = zero
    if zero:
        logger.warning("%d rows' one-vs-rest outputs are all 0 under the %s calibrator; they "
                       "become uniform", zero, "given" if given is not None else "shipped")

    def columns(frame: pd.DataFrame) -> dict[str, FloatArray]:
        raw = np.column_stack([parse_scores(frame[f], f, settings.score_space) for f in fields])
        valid = ~np.isnan(raw).any(axis=1)
        out = np.full(raw.shape, np.nan)
        if valid.any():
            out[valid] = apply_multiclass(fitted, raw[valid])
        return {f"calibrated_{f}": out[:, j] for j, f in enumerate(fields)}

    panels: list[Panel] = [("top label", _json_get(uncal, "top_label"),
                            _json_get(cal, "top_label"))]
    panels += [(f"class {c}", _json_get(uncal, "per_class", c), _json_get(cal, "per_class", c))
               for c in settings.categories]
    return Outcome(calibrator.method, calibrator, rows, uncal, cal, folds, selection, panels,
                   "calibrated.ece_equal_width (top-label)", columns, fields)


def _mismatch(message: str) -> CalibrationScriptError:
    return _error("MC-E405-CALIBRATOR-MISMATCH", message,
                  "pass the calibrator.json fitted for these columns and this mode")


def check_given(given: AnyCalibrator, settings: Settings) -> None:
    """A given calibrator must match the job's mode, columns and score space (``MC-E405``)."""
    kind = "binary" if isinstance(given, Calibrator) else given.mode
    if kind != settings.mode:
        raise _mismatch(f"calibration_model is a {kind} calibrator; this job is {settings.mode}")
    if given.score_space != settings.score_space:
        raise _mismatch(f"calibration_model works on {given.score_space} scores; "
                        f"SCORE_SPACE={settings.score_space}")
    if isinstance(given, Calibrator):
        return
    if settings.mode == "multitask" and (given.score_fields != settings.score_fields or
                                         given.label_fields != settings.task_label_names):
        raise _mismatch(f"calibration_model holds tasks {list(given.score_fields)} with labels "
                        f"{list(given.label_fields)}; SCORE_FIELDS={list(settings.score_fields)}, "
                        f"TASK_LABEL_NAMES={list(settings.task_label_names)}")
    fields = tuple(settings.score_field_prefix + c for c in settings.categories)
    if settings.mode == "multiclass" and (given.names != settings.categories or
                                          given.score_fields != fields):
        raise _mismatch(f"calibration_model holds categories {list(given.names)} in columns "
                        f"{list(given.score_fields)}; the job has {list(settings.categories)} "
                        f"in {list(fields)}")


def find_calibrator_file(path: str) -> str:
    """The calibrator JSON given on ``calibration_model``: the file, or the one in the folder."""
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        found = [p for p in _walk_files(path) if os.path.basename(p) == CALIBRATOR_FILE]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise _error("MC-E406-NO-CALIBRATOR-FILE", f"calibration_model holds {len(found)} "
                         f"{CALIBRATOR_FILE} files", "give a folder with exactly one")
    raise _error("MC-E406-NO-CALIBRATOR-FILE", f"no {CALIBRATOR_FILE} under calibration_model "
                 f"{path!r}", f"pass the calibration_output folder (holding {CALIBRATOR_FILE}) of "
                 "a calibration job")


def _producer() -> JsonDict:
    return {"script": "model_calibration.py", "version": SCRIPT_VERSION,
            "python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__}


def _public_params(content: Mapping[str, object]) -> JsonDict:
    params = content.get("params")
    if not isinstance(params, dict):
        return {}
    return {k: v for k, v in params.items() if k not in ("x", "y")}


def main(input_paths: Mapping[str, str], output_paths: Mapping[str, str],
         environ: Mapping[str, str], job_args: argparse.Namespace) -> None:
    """Run the calibration step: read, validate, fit (or apply), evaluate, write.

    Raises ``CalibrationScriptError`` (every output folder is then left without visible entries).
    """
    started = time.perf_counter()
    settings = read_settings(environ)
    logger.setLevel(settings.log_level)
    job_type = str(getattr(job_args, "job_type", "calibration"))
    if job_type not in JOB_TYPES:
        raise _error("MC-E104-INVALID-JOB-TYPE", f"job_type {job_type!r} is not accepted",
                     f"use one of {', '.join(JOB_TYPES)}")
    applies = job_type in APPLY_JOB_TYPES
    inputs = _required(input_paths, (INPUT_EVALUATION_DATA,), "input")
    outputs = _required(output_paths, OUTPUT_NAMES, "output")
    warnings: list[str] = []
    given_content: Optional[Mapping[str, object]] = None
    given: Optional[AnyCalibrator] = None
    model_path = input_paths.get(INPUT_CALIBRATION_MODEL)
    if applies:
        if not model_path:
            raise _error("MC-E103-MISSING-PATH", f"a {job_type} job applies a given calibrator: "
                         "missing input path calibration_model",
                         "pass --calibration_model DIR (a calibration job's calibration_output)")
        given_content = _verified_content(find_calibrator_file(model_path))
        given = load_calibration_model(given_content)
        check_given(given, settings)
        if settings.method != given.method and settings.method != "auto":
            logger.info("CALIBRATION_METHOD=%s is not used: a %s job applies the given %s "
                        "calibrator", settings.method, job_type, given.method)
    elif model_path:
        warnings.append(f"the calibration_model input is ignored: a {job_type} job fits its own "
                        "calibrator")
    if job_type == "training":
        warnings.append("calibrating on training data: the scores are in-sample (the model saw "
                        "these rows), so they are usually over-confident in a way held-out data "
                        "is not; prefer a calibration or validation split")
    for warning in warnings:
        logger.warning("%s", warning)
    logger.info("job_type=%s mode=%s method=%s score_space=%s folds=%d bins=%d seed=%d weights=%s",
                job_type, settings.mode, settings.method, settings.score_space, settings.folds,
                settings.bins, settings.seed, settings.weight_field or "none")
    staging = Staging(outputs)
    staging.prepare()
    published = False
    try:
        with tempfile.TemporaryDirectory(prefix="calibration-") as scratch:
            timings: JsonDict = {}
            t0 = time.perf_counter()
            shards = read_shards(inputs[INPUT_EVALUATION_DATA], scratch,
                                 fitting_fields(settings))
            timings["read_seconds"] = round(time.perf_counter() - t0, 6)
            preload_plotting()  # overlaps fitting, which spends its time in numpy
            t0 = time.perf_counter()
            runner = {"binary": run_binary, "multitask": run_multitask,
                      "multiclass": run_multiclass}[settings.mode]
            outcome = runner(shards, settings, given)
            timings["fit_and_evaluate_seconds"] = round(time.perf_counter() - t0, 6)
            ece = _json_number(outcome.calibrated["ece_equal_width"])
            passed = ece <= settings.error_threshold
            logger.info("ECE (equal width, %d bins): uncalibrated %.6f, calibrated (%s) %.6f; "
                        "threshold %g %s", settings.bins,
                        _json_number(outcome.uncalibrated["ece_equal_width"]),
                        "applied" if applies else "cross-fitted", ece, settings.error_threshold,
                        "passed" if passed else "NOT passed")
            if not passed:
                logger.warning("calibrated ECE %.6f exceeds ERROR_THRESHOLD %g", ece,
                               settings.error_threshold)
            if given_content is not None:
                calibrator_json: JsonDict = dict(given_content)
            else:
                calibrator = dataclasses.replace(outcome.calibrator, rows=outcome.rows,
                                                 input_fingerprint=_fingerprint(shards),
                                                 producer=_producer())
                try:
                    calibrator_json = calibrator.to_json_dict()
                except ValueError as exc:  # a value that is not finite has no canonical JSON
                    raise _write_failed(CALIBRATOR_FILE, exc) from exc

            _hook("before_staging")
            staging.open()
            t0 = time.perf_counter()
            _write_json(staging.path(OUTPUT_CALIBRATION, CALIBRATOR_FILE), calibrator_json)
            written_rows = 0
            for shard in shards:
                target = staging.path(OUTPUT_CALIBRATED_DATA, shard.relative)
                written_rows += write_calibrated_shard(shard, target, outcome.columns,
                                                       outcome.score_columns)
            # Once, not per shard: the pool's pages then serve every shard (one shard's worth
            # of memory) instead of being returned and faulted in again for the next.
            _release_arrow_memory()
            _hook("during_staging")
            plot: JsonDict = {"file": RELIABILITY_PLOT_FILE, "written": False, "error": None,
                              "panels": len(outcome.panels)}
            try:
                plot_reliability(staging.path(OUTPUT_METRICS, RELIABILITY_PLOT_FILE),
                                 outcome.panels, "given calibrator applied" if applies else
                                 "cross-fitted calibration")
                plot["written"] = True
            except Exception as exc:  # plotting must never fail the job
                plot["error"] = f"{type(exc).__name__}: {exc}"
                logger.warning("reliability diagram not written: %s", plot["error"])
            timings["write_seconds"] = round(time.perf_counter() - t0, 6)
            evaluation: JsonDict = {
                "scheme": "applied_given_calibrator" if applies else "stratified_kfold_crossfit",
                "folds": None if applies else settings.folds, "seed": settings.seed,
                "bins": settings.bins, "weighted": bool(settings.weight_field) or
                settings.negative_sampling_rate < 1.0,
                "negative_sampling_rate": settings.negative_sampling_rate,
                "calibrated_predictions": "the given calibrator applied to every row" if applies
                else "held-out (cross-fitted)"}
            metrics: JsonDict = {
                "schema_version": METRICS_SCHEMA_VERSION,
                "job_type": job_type,
                "mode": settings.mode,
                "method": settings.method if not applies else outcome.method,
                "selected_method": outcome.method,
                "settings": dataclasses.asdict(settings),
                "rows": outcome.rows,
                "evaluation": evaluation,
                "uncalibrated": outcome.uncalibrated,
                "calibrated": outcome.calibrated,
                "folds": outcome.folds,
                "selection": outcome.selection,
                "threshold": {"metric": outcome.gate_metric, "value": ece,
                              "threshold": settings.error_threshold, "passed": passed},
                "calibrator": {"method": calibrator_json.get("method"),
                               "kind": calibrator_json.get("kind"),
                               "source": "given" if applies else "fitted",
                               "checksum": calibrator_json["checksum"],
                               "params": _public_params(calibrator_json)},
                "warnings": warnings,
                "plot": plot,
                "timings": timings,
            }
            _write_json(staging.path(OUTPUT_METRICS, METRICS_FILE), metrics)
            summary: JsonDict = {
                "schema_version": METRICS_SCHEMA_VERSION, "status": "completed",
                "job_type": job_type, "mode": settings.mode, "method": outcome.method,
                "ece_equal_width": ece, "threshold_passed": passed,
                "rows_read": sum(s.rows for s in shards),
                "rows_written": written_rows,
                "files": {OUTPUT_CALIBRATION: [CALIBRATOR_FILE],
                          OUTPUT_METRICS: [METRICS_FILE] + (
                              [RELIABILITY_PLOT_FILE] if plot["written"] else []) +
                          [SUMMARY_FILE],
                          OUTPUT_CALIBRATED_DATA: [s.relative for s in shards]},
                "seconds": round(time.perf_counter() - started, 6),
            }
            _write_json(staging.path(OUTPUT_METRICS, SUMMARY_FILE), summary)
            _hook("after_staging")
            published = True
            try:
                staging.publish(last=(OUTPUT_METRICS, SUMMARY_FILE))
            except OSError as exc:
                raise _write_failed(exc.filename or SUMMARY_FILE, exc) from exc
            logger.info("wrote %s, %d calibrated rows in %d files, metrics and summary in %.3fs",
                        CALIBRATOR_FILE, written_rows, len(shards),
                        time.perf_counter() - started)
    except BaseException:
        staging.cleanup()
        if published:
            staging.remove_published()
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Fit and evaluate a score calibrator, or apply "
                                                 "a given one.")
    parser.add_argument("--job_type", default="calibration", choices=JOB_TYPES)
    parser.add_argument("--evaluation_data", required=True)
    parser.add_argument("--calibration_model", default=None)
    parser.add_argument("--calibration_output", required=True)
    parser.add_argument("--metrics_output", required=True)
    parser.add_argument("--calibrated_data", required=True)
    return parser


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry: returns 0 on success, 2 on a ``CalibrationScriptError``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    inputs = {INPUT_EVALUATION_DATA: args.evaluation_data}
    if args.calibration_model:
        inputs[INPUT_CALIBRATION_MODEL] = args.calibration_model
    try:
        main(inputs, {name: getattr(args, name) for name in OUTPUT_NAMES}, os.environ, args)
    except CalibrationScriptError as exc:
        logger.error("%s: %s (%s)", exc.code, exc.message, exc.hint)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run_cli())
