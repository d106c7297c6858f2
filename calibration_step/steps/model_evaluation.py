"""The XGBoostModelEval step: scores rows with a trained XGBoost model (the usual upstream of calibration).

The script, ``xgboost_model_eval.py``, is the user's own. The step is named after the split it
scores (``--job_type``), as ModelCalibration is.

Examples
--------
>>> definition = xgboost_model_eval_step_definition(XGBOOST_MODEL_EVAL.example_config(), {
...     XGBoostModelEvalInput.MODEL_INPUT: "s3://my-ml-bucket/model/",
...     XGBoostModelEvalInput.PROCESSED_DATA: "s3://my-ml-bucket/data/calibration/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1")
>>> definition.name, definition.arguments[:2]
('XGBoostModelEval-Calibration', ('--job_type', 'calibration'))
>>> dict((k.value, v) for k, v in xgboost_model_eval_environment(XGBOOST_MODEL_EVAL.example_config()).items())
{'LABEL_FIELD': 'label', 'ID_FIELD': 'id'}
>>> from calibration_step.spec import output_by_name
>>> output_by_name(XGBOOST_MODEL_EVAL.spec, "evaluation_data").name
'eval_output'
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final, Literal, get_args

import attrs

from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import is_str, non_empty, one_of
from calibration_step.contract import ArgumentSpec
from calibration_step.enums import DependencyType
from calibration_step.steps.companion import CompanionStep, InputChannel, OutputChannel
from calibration_step.steps.xgboost_training import XGBOOST_REQUIREMENTS, trained_model_input

__all__ = [
    "EVAL_JOB_TYPE_CHOICES",
    "EvalJobType",
    "XGBOOST_MODEL_EVAL",
    "XGBoostModelEvalConfig",
    "XGBoostModelEvalEnv",
    "XGBoostModelEvalInput",
    "XGBoostModelEvalOutput",
    "build_xgboost_model_eval_step",
    "xgboost_model_eval_arguments",
    "xgboost_model_eval_environment",
    "xgboost_model_eval_step_definition",
]


class XGBoostModelEvalInput(enum.Enum):
    """Logical inputs: the trained model and the rows to score.

    ``model_input`` takes XGBoostTraining's model; ``processed_data`` the rows of the split that
    ``job_type`` names, with the label column.
    """

    MODEL_INPUT = "model_input"
    PROCESSED_DATA = "processed_data"


class XGBoostModelEvalOutput(enum.Enum):
    """Logical outputs: the scored rows and the evaluation metrics."""

    EVAL_OUTPUT = "eval_output"
    METRICS_OUTPUT = "metrics_output"


EvalJobType = Literal["training", "calibration", "validation", "testing"]
"""``--job_type`` of the evaluation: which split is scored."""
EVAL_JOB_TYPE_CHOICES: Final[tuple[str, ...]] = get_args(EvalJobType)


@attrs.frozen(kw_only=True)
class XGBoostModelEvalConfig(ProcessingConfig):
    """Settings of the XGBoostModelEval step.

    Parameters
    ----------
    label_field : str, default "label"
        The label column of the rows.
    id_field : str, default "id"
        The row id column, copied into the scored rows.
    job_type : {"training", "calibration", "validation", "testing"}, default "calibration"
        Which split is scored.
    """

    label_field: str = attrs.field(default="label", validator=[is_str, non_empty])
    id_field: str = attrs.field(default="id", validator=[is_str, non_empty])
    job_type: EvalJobType = attrs.field(default="calibration", validator=one_of(EVAL_JOB_TYPE_CHOICES))


class XGBoostModelEvalEnv(enum.Enum):
    """Env vars the evaluation script reads."""

    LABEL_FIELD = "LABEL_FIELD"
    ID_FIELD = "ID_FIELD"


def xgboost_model_eval_environment(config: XGBoostModelEvalConfig) -> Mapping[XGBoostModelEvalEnv, str]:
    """The env vars of the job, keyed by the contract's names."""
    return {XGBoostModelEvalEnv.LABEL_FIELD: config.label_field, XGBoostModelEvalEnv.ID_FIELD: config.id_field}


def xgboost_model_eval_arguments(config: XGBoostModelEvalConfig) -> Mapping[str, str]:
    """The script's non-path arguments."""
    return {"job_type": config.job_type}


def _job_type(config: XGBoostModelEvalConfig) -> str:
    return config.job_type


XGBOOST_MODEL_EVAL: Final = CompanionStep(
    summary="Scores rows with a trained XGBoost model on a processing job (scored rows, metrics).",
    description="Scores rows with a trained XGBoost model and reports evaluation metrics.",
    script_description="Scores rows with an XGBoost model; writes the scored rows and metrics.json.",
    entry_point="xgboost_model_eval.py",
    required_env=(XGBoostModelEvalEnv.LABEL_FIELD,),
    optional_env={XGBoostModelEvalEnv.ID_FIELD: "id"},
    config_class=XGBoostModelEvalConfig,
    job_type=_job_type,
    inputs=(
        trained_model_input(XGBoostModelEvalInput.MODEL_INPUT, "The trained XGBoost model (model.tar.gz or its folder)."),
        InputChannel(
            name=XGBoostModelEvalInput.PROCESSED_DATA, container_path="/opt/ml/processing/input/eval_data",
            dependency_type=DependencyType.PROCESSING_OUTPUT, sources=("TabularPreprocessing",),
            keywords=("data", "processed", "evaluation", "test"), description="Rows to score, with the label column.",
        ),
    ),
    outputs=(
        OutputChannel(
            name=XGBoostModelEvalOutput.EVAL_OUTPUT, container_path="/opt/ml/processing/output/eval",
            output_type=DependencyType.PROCESSING_OUTPUT, aliases=("evaluation_data", "predictions", "scored_data"),
            description="The input rows with the model's score column(s).",
        ),
        OutputChannel(
            name=XGBoostModelEvalOutput.METRICS_OUTPUT, container_path="/opt/ml/processing/output/metrics",
            output_type=DependencyType.PROCESSING_OUTPUT, aliases=("evaluation_metrics",), files=("metrics.json",),
            description="Evaluation metrics (metrics.json).",
        ),
    ),
    environment=xgboost_model_eval_environment,
    arguments=(ArgumentSpec(name="job_type", required=True, choices=EVAL_JOB_TYPE_CHOICES),),
    argument_values=xgboost_model_eval_arguments,
    framework_requirements=XGBOOST_REQUIREMENTS,
)
"""The XGBoostModelEval step: its ``spec``, ``contract``, builders and ``registration()``."""

xgboost_model_eval_step_definition: Final = XGBOOST_MODEL_EVAL.step_definition
build_xgboost_model_eval_step: Final = XGBOOST_MODEL_EVAL.build_step
