"""The names the script shares with its contract and its users: the logical input and output
names (the keys of ``main``'s path mappings and the ``--<name>`` arguments), the output file
names, and the values its settings and ``--job_type`` accept."""

from __future__ import annotations

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
BINARY_METHODS = ("isotonic", "platt", "gam", "beta", "venn_abers", "identity")
METHODS = BINARY_METHODS + ("temperature", "auto")
MODES = ("binary", "multitask", "multiclass")
SCORE_SPACES = ("probability", "logit")
JOB_TYPES = ("training", "calibration", "validation", "testing")
APPLY_JOB_TYPES = ("validation", "testing")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
