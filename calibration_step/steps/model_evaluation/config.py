"""``XGBoostModelEvalConfig``: the processing job plus the evaluation script's parameters.

Examples
--------
>>> config = XGBoostModelEvalConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0")
>>> dict((k.value, v) for k, v in xgboost_model_eval_environment(config).items())
{'LABEL_FIELD': 'label', 'ID_FIELD': 'id'}
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from calibration_step.config.base import EXAMPLE_ESSENTIALS
from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import is_str, non_empty, one_of
from calibration_step.steps.model_evaluation.names import EVAL_JOB_TYPE_CHOICES, EvalJobType, XGBoostModelEvalEnv

__all__ = ["XGBoostModelEvalConfig", "example_config", "xgboost_model_eval_arguments", "xgboost_model_eval_environment"]


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


def xgboost_model_eval_environment(config: XGBoostModelEvalConfig) -> Mapping[XGBoostModelEvalEnv, str]:
    """The env vars of the job, keyed by the contract's names."""
    return {XGBoostModelEvalEnv.LABEL_FIELD: config.label_field, XGBoostModelEvalEnv.ID_FIELD: config.id_field}


def xgboost_model_eval_arguments(config: XGBoostModelEvalConfig) -> Mapping[str, str]:
    """The script's non-path arguments."""
    return {"job_type": config.job_type}


def example_config() -> XGBoostModelEvalConfig:
    """A complete, valid example with placeholder essentials; the alignment checker builds from it.

    Examples
    --------
    >>> example_config().region
    'us-east-1'
    """
    return XGBoostModelEvalConfig(**EXAMPLE_ESSENTIALS)
