"""The script contract of ``model_calibration.pyz``, built from the step's interface.

Container paths, env var names and defaults, the ``job_type`` argument and the output files all
come from :mod:`calibration_step.script.interface`; this module adds what only the library needs:
the framework requirements and the description. The builder passes each container path to the
script as ``--<logical_name> <container path>``, so the script holds no path literal.

Env vars
--------
Required (the builder always sets them; the script keeps a fallback only for local runs):
``CALIBRATION_METHOD``, ``LABEL_FIELD`` and ``IS_BINARY``. These three decide what is fitted,
against which column and in which mode; a step whose meaning silently follows the script's
defaults for them would be a step nobody reviewed. Every other env var is optional and declared
with the default the script applies when it is unset (the alignment checker compares them).

List-valued env vars (``MULTICLASS_CATEGORIES``, ``SCORE_FIELDS``, ``TASK_LABEL_NAMES``,
``AUTO_CANDIDATES``) use ``[]`` for "no list" and ``WEIGHT_FIELD`` uses ``""`` for "no weight
column"; ``AUTO_CANDIDATES=[]`` means every method that fits the mode.

Examples
--------
>>> MODEL_CALIBRATION_CONTRACT.input_paths[ModelCalibrationInput.EVALUATION_DATA]
'/opt/ml/processing/input/eval_data'
>>> [e.value for e in MODEL_CALIBRATION_CONTRACT.required_env_vars]
['CALIBRATION_METHOD', 'LABEL_FIELD', 'IS_BINARY']
>>> MODEL_CALIBRATION_CONTRACT.optional_env_vars[ModelCalibrationEnv.GAM_SPLINES]
'10'
>>> MODEL_CALIBRATION_CONTRACT.argument_flags()[:3]
('--job_type', '--phase', '--evaluation_data')
"""

from __future__ import annotations

from typing import Final

from calibration_step.contract import ArgumentSpec, ScriptContract
from calibration_step.script.interface import (
    DEFAULT_JOB_TYPE,
    DEFAULT_PHASE,
    INPUT_PATHS,
    JOB_TYPE_ARGUMENT,
    JOB_TYPE_CHOICES,
    MODEL_CALIBRATION_SCRIPT,
    OUTPUT_FILES,
    OUTPUT_PATHS,
    PHASE_ARGUMENT,
    PHASE_CHOICES,
    SETTING_SPECS,
    ModelCalibrationEnv,
    ModelCalibrationInput,
    ModelCalibrationOutput,
)

__all__ = ["MODEL_CALIBRATION_CONTRACT"]

MODEL_CALIBRATION_CONTRACT: Final[ScriptContract[ModelCalibrationInput, ModelCalibrationOutput, ModelCalibrationEnv]] = (
    ScriptContract(
        entry_point=MODEL_CALIBRATION_SCRIPT,
        input_paths=INPUT_PATHS,
        output_paths=OUTPUT_PATHS,
        container_kind="processing",
        required_env_vars=tuple(env for env, spec in SETTING_SPECS.items() if spec.required),
        optional_env_vars={env: spec.env_default for env, spec in SETTING_SPECS.items() if not spec.required},
        arguments=(
            ArgumentSpec(
                name=JOB_TYPE_ARGUMENT,
                required=False,
                choices=JOB_TYPE_CHOICES,
                default=DEFAULT_JOB_TYPE,
                description="training/calibration fit and evaluate; validation/testing apply "
                "the calibrator given on calibration_model and only evaluate",
            ),
            ArgumentSpec(
                name=PHASE_ARGUMENT,
                required=False,
                choices=PHASE_CHOICES,
                # not sent unless given: a whole-run step's arguments stay as they were
                default=None,
                description=f"{DEFAULT_PHASE} (the script's default): one job does everything; "
                "statistics, fit, apply: the three steps of a run sharded over instances",
            ),
        ),
        path_arguments=True,
        output_files=OUTPUT_FILES,
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
