"""The XGBoostModelEval builder: a config and input sources to a ``ProcessingStep`` (pure until the adapter).

Examples
--------
>>> from calibration_step.steps.model_evaluation.config import XGBoostModelEvalConfig
>>> config = XGBoostModelEvalConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0")
>>> definition = xgboost_model_eval_step_definition(config, {
...     XGBoostModelEvalInput.MODEL_INPUT: "s3://my-ml-bucket/model/",
...     XGBoostModelEvalInput.PROCESSED_DATA: "s3://my-ml-bucket/data/calibration/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1")
>>> definition.name, definition.arguments[:2]
('XGBoostModelEval-Calibration', ('--job_type', 'calibration'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from calibration_step.processing.names import step_name as default_step_name
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource, PipelineValue
from calibration_step.steps.model_evaluation.config import (
    XGBoostModelEvalConfig,
    xgboost_model_eval_arguments,
    xgboost_model_eval_environment,
)
from calibration_step.steps.model_evaluation.contract import XGBOOST_MODEL_EVAL_CONTRACT
from calibration_step.steps.model_evaluation.names import XGBoostModelEvalInput
from calibration_step.steps.model_evaluation.spec import XGBOOST_MODEL_EVAL_SPEC
from calibration_step.steps.processing_common import (
    build_processing_step,
    image_uri_for,
    processing_step_definition,
    script_code_for,
)

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import ProcessingStep, Step

__all__ = ["build_xgboost_model_eval_step", "xgboost_model_eval_step_definition"]


def xgboost_model_eval_step_definition(
    config: XGBoostModelEvalConfig,
    inputs: Mapping[XGBoostModelEvalInput, InputSource],
    *,
    image_uri: str,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str] = (),
) -> ProcessingStepDefinition:
    """The step as a value; both inputs are required.

    Raises
    ------
    BuildError
        A missing input or a bad S3 URI (named).
    """
    return processing_step_definition(
        XGBOOST_MODEL_EVAL_SPEC,
        XGBOOST_MODEL_EVAL_CONTRACT,
        config,
        inputs,
        name=default_step_name(XGBOOST_MODEL_EVAL_SPEC.step_type, config.job_type) if step_name is None else step_name,
        job_type=config.job_type,
        code=script_code_for(config, XGBOOST_MODEL_EVAL_CONTRACT.entry_point),
        environment=xgboost_model_eval_environment(config),
        argument_values=xgboost_model_eval_arguments(config),
        image_uri=image_uri,
        execution_prefix=execution_prefix,
        depends_on=depends_on,
    )


def build_xgboost_model_eval_step(
    config: XGBoostModelEvalConfig,
    inputs: Mapping[XGBoostModelEvalInput, InputSource],
    *,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str | Step] = (),
) -> ProcessingStep:
    """The SageMaker ``ProcessingStep`` of the config, built offline (``image_uri`` or the stock image)."""
    definition = xgboost_model_eval_step_definition(
        config, inputs, image_uri=image_uri_for(config), execution_prefix=execution_prefix, step_name=step_name
    )
    return build_processing_step(definition, config, depends_on=depends_on)
