"""``XGBoostTrainingConfig``: the job plus the hyperparameters the training script reads.

Examples
--------
>>> config = XGBoostTrainingConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0", num_round=50)
>>> xgboost_training_environment(config)[XGBoostTrainingEnv.NUM_ROUND]
'50'
>>> import attrs
>>> attrs.evolve(config, eta=0.0)
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CONFIG-VALUE] XGBoostTrainingConfig.eta must be ...
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from calibration_step.config.validation import (
    float_in_unit_interval,
    int_between,
    is_float,
    is_str,
    non_empty,
    one_of,
    to_float,
)
from calibration_step.config.base import EXAMPLE_ESSENTIALS
from calibration_step.config.processing import ProcessingConfig
from calibration_step.steps.xgboost_training.names import OBJECTIVE_CHOICES, Objective, XGBoostTrainingEnv

__all__ = ["XGBoostTrainingConfig", "example_config", "xgboost_training_environment"]


@attrs.frozen(kw_only=True)
class XGBoostTrainingConfig(ProcessingConfig):
    """Settings of the XGBoostTraining step (run as a processing job; set ``image_uri`` to an XGBoost image).

    Parameters
    ----------
    label_field : str, default "label"
    objective : {"binary:logistic", "multi:softprob", "reg:squarederror"}, default "binary:logistic"
    num_round : int, default 100
        Boosting rounds, 1 to 100000.
    max_depth : int, default 6
        0 to 100.
    eta : float, default 0.3
        Learning rate in (0, 1].
    """

    label_field: str = attrs.field(default="label", validator=[is_str, non_empty])
    objective: Objective = attrs.field(default="binary:logistic", validator=one_of(OBJECTIVE_CHOICES))
    num_round: int = attrs.field(default=100, validator=int_between(1, 100000))
    max_depth: int = attrs.field(default=6, validator=int_between(0, 100))
    eta: float = attrs.field(default=0.3, converter=to_float, validator=[is_float, float_in_unit_interval])


def xgboost_training_environment(config: XGBoostTrainingConfig) -> Mapping[XGBoostTrainingEnv, str]:
    """The env vars of the job, keyed by the contract's names."""
    env = XGBoostTrainingEnv
    return {
        env.LABEL_FIELD: config.label_field,
        env.OBJECTIVE: config.objective,
        env.NUM_ROUND: str(config.num_round),
        env.MAX_DEPTH: str(config.max_depth),
        env.ETA: repr(config.eta),
    }


def example_config() -> XGBoostTrainingConfig:
    """A complete, valid example with placeholder essentials; the alignment checker builds from it.

    Examples
    --------
    >>> example_config().region
    'us-east-1'
    """
    return XGBoostTrainingConfig(**EXAMPLE_ESSENTIALS)
