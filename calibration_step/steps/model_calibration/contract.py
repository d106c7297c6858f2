"""The script contract of ``model_calibration.pyz``: container paths, env vars, arguments, files.

The contract is the single source of truth for container paths: the builder passes each path to
the script as ``--<logical_name> <container path>``, so the script holds no path literal.

Env vars
--------
Required (the builder always sets them; the script keeps a fallback only for local runs):
``CALIBRATION_METHOD``, ``LABEL_FIELD`` and ``IS_BINARY``. These three decide what is fitted,
against which column and in which mode; a step whose meaning silently follows the script's
defaults for them would be a step nobody reviewed. Every other env var is optional and declared
with the default the script applies when it is unset (the alignment checker compares them).

Engine II env vars (``NUM_CLASSES`` ... ``AUTO_CANDIDATES``) use ``[]`` for "no list" and ``""``
for "no weight column"; ``AUTO_CANDIDATES=[]`` means every method that fits the mode.

Examples
--------
>>> MODEL_CALIBRATION_CONTRACT.input_paths[ModelCalibrationInput.EVALUATION_DATA]
'/opt/ml/processing/input/eval_data'
>>> [e.value for e in MODEL_CALIBRATION_CONTRACT.required_env_vars]
['CALIBRATION_METHOD', 'LABEL_FIELD', 'IS_BINARY']
>>> MODEL_CALIBRATION_CONTRACT.optional_env_vars[ModelCalibrationEnv.GAM_SPLINES]
'10'
>>> MODEL_CALIBRATION_CONTRACT.argument_flags()[:2]
('--job_type', '--evaluation_data')
"""

from __future__ import annotations

from typing import Final

from calibration_step.contract import ArgumentSpec, ScriptContract
from calibration_step.steps.model_calibration.names import (
    JOB_TYPE_CHOICES,
    MODEL_CALIBRATION_SCRIPT,
    ModelCalibrationEnv,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)

__all__ = [
    "CALIBRATOR_FILE",
    "METRICS_FILE",
    "MODEL_CALIBRATION_CONTRACT",
    "RELIABILITY_DIAGRAM_FILE",
    "SUMMARY_FILE",
]

CALIBRATOR_FILE: Final = "calibrator.json"
"""The calibrator artifact in ``calibration_output``."""
METRICS_FILE: Final = "metrics.json"
"""Metrics in ``metrics_output``; ``calibrated.ece_equal_width`` and ``threshold.passed`` are fixed paths."""
SUMMARY_FILE: Final = "summary.json"
"""Written last into ``metrics_output``: the completion marker."""
RELIABILITY_DIAGRAM_FILE: Final = "reliability_diagram.png"
"""The reliability diagram in ``metrics_output`` (its failure is recorded, never fatal)."""

_In = ModelCalibrationInput
_Out = ModelCalibrationOutput
_Env = ModelCalibrationEnv

MODEL_CALIBRATION_CONTRACT: Final[ScriptContract[ModelCalibrationInput, ModelCalibrationOutput, ModelCalibrationEnv]] = (
    ScriptContract(
        entry_point=MODEL_CALIBRATION_SCRIPT,
        input_paths={
            _In.EVALUATION_DATA: "/opt/ml/processing/input/eval_data",
            _In.CALIBRATION_MODEL: "/opt/ml/processing/input/calibration_model",
        },
        output_paths={
            _Out.CALIBRATION_OUTPUT: "/opt/ml/processing/output/calibration",
            _Out.METRICS_OUTPUT: "/opt/ml/processing/output/metrics",
            _Out.CALIBRATED_DATA: "/opt/ml/processing/output/calibrated_data",
        },
        container_kind="processing",
        required_env_vars=(_Env.CALIBRATION_METHOD, _Env.LABEL_FIELD, _Env.IS_BINARY),
        optional_env_vars={
            _Env.SCORE_FIELD: "prob_class_1",
            _Env.MONOTONIC_CONSTRAINT: "true",
            _Env.GAM_SPLINES: "10",
            _Env.ERROR_THRESHOLD: "0.05",
            _Env.CALIBRATION_BINS: "15",
            _Env.CALIBRATION_FOLDS: "5",
            _Env.CALIBRATION_SEED: "0",
            _Env.SCORE_SPACE: "probability",
            _Env.LOG_LEVEL: "INFO",
            _Env.NUM_CLASSES: "2",
            _Env.SCORE_FIELD_PREFIX: "prob_class_",
            _Env.MULTICLASS_CATEGORIES: "[]",
            _Env.SCORE_FIELDS: "[]",
            _Env.TASK_LABEL_NAMES: "[]",
            _Env.WEIGHT_FIELD: "",
            _Env.AUTO_CANDIDATES: "[]",
            _Env.NEGATIVE_SAMPLING_RATE: "1",
            _Env.TEMPERATURE_BIAS: "false",
        },
        arguments=(
            ArgumentSpec(
                name="job_type",
                required=False,
                choices=JOB_TYPE_CHOICES,
                default="calibration",
                description="training/calibration fit and evaluate; validation/testing apply "
                "the calibrator given on calibration_model and only evaluate",
            ),
        ),
        path_arguments=True,
        output_files={
            _Out.CALIBRATION_OUTPUT: (CALIBRATOR_FILE,),
            _Out.METRICS_OUTPUT: (METRICS_FILE, SUMMARY_FILE, RELIABILITY_DIAGRAM_FILE),
        },
        # The stock scikit-learn image 1.4-2 provides Python 3.10, numpy, pandas, scipy and
        # scikit-learn 1.4.2; pyarrow and matplotlib come from the script's requirements.txt.
        framework_requirements={
            "numpy": ">=1.23",
            "pandas": ">=1.5",
            "scipy": ">=1.10",
            "scikit-learn": ">=1.4",
            "pyarrow": ">=14,<28",
            "matplotlib": ">=3.7,<4",
        },
        description="Fits a score calibrator on evaluation data (or applies a given one), "
        "writes the calibrator JSON, metrics and calibrated rows.",
    )
)
"""The container-side interface of ``model_calibration.pyz`` (the zipapp of ``script/model_calibration/``)."""
