"""The XGBoostTraining builder: a config and the training data to a ``ProcessingStep``.

The model is trained on a processing job (the adapter has no ``TrainingStep`` yet), so its outputs
are processing outputs and downstream steps reference them with ``ProcessingOutputConfig`` paths.

Examples
--------
>>> from calibration_step.steps.xgboost_training.config import XGBoostTrainingConfig
>>> config = XGBoostTrainingConfig(author="jane", bucket="my-ml-bucket",
...     role="arn:aws:iam::123456789012:role/SageMakerRole", region="us-east-1",
...     service_name="risk", pipeline_version="1.0")
>>> definition = xgboost_training_step_definition(config,
...     {XGBoostTrainingInput.INPUT_PATH: "s3://my-ml-bucket/data/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1")
>>> definition.name, definition.environment["OBJECTIVE"]
('XGBoostTraining', 'binary:logistic')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from calibration_step.processing.names import step_name as default_step_name
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource, PipelineValue
from calibration_step.steps.processing_common import (
    build_processing_step,
    image_uri_for,
    processing_step_definition,
    script_code_for,
)
from calibration_step.steps.xgboost_training.config import XGBoostTrainingConfig, xgboost_training_environment
from calibration_step.steps.xgboost_training.contract import XGBOOST_TRAINING_CONTRACT
from calibration_step.steps.xgboost_training.names import (
    XGBOOST_TRAINING_JOB_FOLDER,
    XGBOOST_TRAINING_STEP_TYPE,
    XGBoostTrainingInput,
)
from calibration_step.steps.xgboost_training.spec import XGBOOST_TRAINING_SPEC

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import ProcessingStep, Step

__all__ = ["build_xgboost_training_step", "xgboost_training_step_definition"]


def xgboost_training_step_definition(
    config: XGBoostTrainingConfig,
    inputs: Mapping[XGBoostTrainingInput, InputSource],
    *,
    image_uri: str,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str] = (),
) -> ProcessingStepDefinition:
    """The step as a value; ``input_path`` is required; named ``XGBoostTraining`` by default.

    Raises
    ------
    BuildError
        A missing input or a bad S3 URI (named).
    """
    return processing_step_definition(
        XGBOOST_TRAINING_SPEC,
        XGBOOST_TRAINING_CONTRACT,
        config,
        inputs,
        name=default_step_name(XGBOOST_TRAINING_STEP_TYPE) if step_name is None else step_name,
        job_type=XGBOOST_TRAINING_JOB_FOLDER,
        code=script_code_for(config, XGBOOST_TRAINING_CONTRACT.entry_point),
        environment=xgboost_training_environment(config),
        argument_values={},
        image_uri=image_uri,
        execution_prefix=execution_prefix,
        depends_on=depends_on,
    )


def build_xgboost_training_step(
    config: XGBoostTrainingConfig,
    inputs: Mapping[XGBoostTrainingInput, InputSource],
    *,
    execution_prefix: str | PipelineValue | None = None,
    step_name: str | None = None,
    depends_on: Sequence[str | Step] = (),
) -> ProcessingStep:
    """The SageMaker ``ProcessingStep`` of the config, built offline."""
    definition = xgboost_training_step_definition(
        config, inputs, image_uri=image_uri_for(config), execution_prefix=execution_prefix, step_name=step_name
    )
    return build_processing_step(definition, config, depends_on=depends_on)
