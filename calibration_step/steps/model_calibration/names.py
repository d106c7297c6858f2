"""Every name of the ModelCalibration step, written once.

The contract, the specification, the config, the builder and the checker import these names;
no logical name, env var name or choice is spelt anywhere else in the package.

- :class:`ModelCalibrationInput` / :class:`ModelCalibrationOutput`: logical input and output names
  (snake_case values; they are also the script's path arguments ``--<logical_name>``).
- :class:`ModelCalibrationEnv`: the env vars the script reads (values are the env var names).
  These are the users' interface (DESIGN.md section 1): add new ones, never rename.
- :data:`JobType`, :data:`CalibrationMethod`, :data:`ScoreSpace`, :data:`LogLevel`: the choices of
  the script's parameters as ``Literal`` types, so that attrs configs, cattrs and mypy all check
  them; the matching ``*_CHOICES`` tuples are derived from the types, never written twice.

``JobType`` is a ``Literal`` rather than an enum because it travels as a plain string everywhere
(config JSON, the ``--job_type`` argument, output S3 paths) and a ``Literal`` needs no conversion.

Examples
--------
>>> ModelCalibrationInput.EVALUATION_DATA.value
'evaluation_data'
>>> ModelCalibrationEnv("GAM_SPLINES") is ModelCalibrationEnv.GAM_SPLINES
True
>>> JOB_TYPE_CHOICES
('training', 'calibration', 'validation', 'testing')
>>> BINARY_METHODS
('isotonic', 'platt', 'gam', 'beta')
"""

from __future__ import annotations

import enum
from typing import Final, Literal, get_args

__all__ = [
    "BINARY_METHODS",
    "BinaryMethod",
    "CALIBRATION_METHOD_CHOICES",
    "CalibrationMethod",
    "JOB_TYPE_CHOICES",
    "JobType",
    "LOG_LEVEL_CHOICES",
    "LogLevel",
    "MODEL_CALIBRATION_SCRIPT",
    "MODEL_CALIBRATION_STEP_TYPE",
    "ModelCalibrationEnv",
    "ModelCalibrationInput",
    "ModelCalibrationOutput",
    "SCORE_SPACE_CHOICES",
    "ScoreSpace",
]

MODEL_CALIBRATION_STEP_TYPE: Final = "ModelCalibration"
"""The canonical step type (registry key, spec step type, config class prefix)."""

MODEL_CALIBRATION_SCRIPT: Final = "model_calibration.pyz"
"""The entry point of the processing script: the zipapp packed from the script package
``script/model_calibration/`` when it is uploaded (``python3 model_calibration.pyz``)."""


class ModelCalibrationInput(enum.Enum):
    """Logical inputs of the step."""

    EVALUATION_DATA = "evaluation_data"
    """Scored rows: a label column and one score column (binary), one per class, or several pairs."""
    CALIBRATION_MODEL = "calibration_model"
    """Optional: an existing ``calibrator.json`` applied (not fitted) by validation/testing jobs."""


class ModelCalibrationOutput(enum.Enum):
    """Logical outputs of the step."""

    CALIBRATION_OUTPUT = "calibration_output"
    """The calibrator artifact, ``calibrator.json``."""
    METRICS_OUTPUT = "metrics_output"
    """``metrics.json``, ``summary.json`` (completion marker) and ``reliability_diagram.png``."""
    CALIBRATED_DATA = "calibrated_data"
    """The input rows plus ``calibrated_<score column>`` columns, one file per input shard."""


class ModelCalibrationEnv(enum.Enum):
    """Env vars the script reads; each value is the env var's name."""

    CALIBRATION_METHOD = "CALIBRATION_METHOD"
    LABEL_FIELD = "LABEL_FIELD"
    SCORE_FIELD = "SCORE_FIELD"
    IS_BINARY = "IS_BINARY"
    MONOTONIC_CONSTRAINT = "MONOTONIC_CONSTRAINT"
    GAM_SPLINES = "GAM_SPLINES"
    ERROR_THRESHOLD = "ERROR_THRESHOLD"
    CALIBRATION_BINS = "CALIBRATION_BINS"
    CALIBRATION_FOLDS = "CALIBRATION_FOLDS"
    CALIBRATION_SEED = "CALIBRATION_SEED"
    SCORE_SPACE = "SCORE_SPACE"
    LOG_LEVEL = "LOG_LEVEL"
    NUM_CLASSES = "NUM_CLASSES"
    SCORE_FIELD_PREFIX = "SCORE_FIELD_PREFIX"
    MULTICLASS_CATEGORIES = "MULTICLASS_CATEGORIES"
    SCORE_FIELDS = "SCORE_FIELDS"
    TASK_LABEL_NAMES = "TASK_LABEL_NAMES"
    WEIGHT_FIELD = "WEIGHT_FIELD"
    AUTO_CANDIDATES = "AUTO_CANDIDATES"
    NEGATIVE_SAMPLING_RATE = "NEGATIVE_SAMPLING_RATE"
    TEMPERATURE_BIAS = "TEMPERATURE_BIAS"


JobType = Literal["training", "calibration", "validation", "testing"]
"""``--job_type``: ``training``/``calibration`` fit and evaluate; ``validation``/``testing`` apply
the calibrator given on ``calibration_model`` and only evaluate (engine II)."""

BinaryMethod = Literal["isotonic", "platt", "gam", "beta"]
"""Methods that fit one binary calibrator (per task, or per class one-vs-rest): engine I."""

CalibrationMethod = Literal[BinaryMethod, "temperature", "auto"]
"""``CALIBRATION_METHOD``: a :data:`BinaryMethod`; ``temperature`` (multi-class only); or ``auto``,
which chooses among ``AUTO_CANDIDATES`` by inner cross-validated log loss (engine II)."""

ScoreSpace = Literal["probability", "logit"]
"""``SCORE_SPACE``: scores are probabilities in [0, 1], or raw margins (logits)."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
"""``LOG_LEVEL``: the levels the script accepts."""

JOB_TYPE_CHOICES: Final[tuple[str, ...]] = get_args(JobType)
CALIBRATION_METHOD_CHOICES: Final[tuple[str, ...]] = get_args(CalibrationMethod)
SCORE_SPACE_CHOICES: Final[tuple[str, ...]] = get_args(ScoreSpace)
LOG_LEVEL_CHOICES: Final[tuple[str, ...]] = get_args(LogLevel)
BINARY_METHODS: Final[tuple[str, ...]] = get_args(BinaryMethod)
