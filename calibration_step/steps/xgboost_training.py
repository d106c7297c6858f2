"""The XGBoostTraining step: trains an XGBoost model on a processing job and scores its validation split.

The model is trained on a processing job (the adapter has no ``TrainingStep`` yet), so its outputs
are processing outputs and downstream steps reference them with ``ProcessingOutputConfig`` paths.
The script, ``xgboost_training.py``, is the user's own (set ``image_uri`` to an XGBoost image).

Examples
--------
>>> config = attrs.evolve(XGBOOST_TRAINING.example_config(), num_round=50)
>>> definition = xgboost_training_step_definition(config,
...     {XGBoostTrainingInput.INPUT_PATH: "s3://my-ml-bucket/data/"},
...     image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1")
>>> definition.name, definition.environment["NUM_ROUND"], definition.environment["OBJECTIVE"]
('XGBoostTraining', '50', 'binary:logistic')
>>> sorted(XGBOOST_TRAINING.contract.env_var_names())
['ETA', 'LABEL_FIELD', 'MAX_DEPTH', 'NUM_ROUND', 'OBJECTIVE']
>>> attrs.evolve(config, eta=0.0)
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CONFIG-VALUE] XGBoostTrainingConfig.eta must be ...
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final, Literal, get_args

import attrs

from calibration_step._typevars import InputNameT
from calibration_step.config.processing import ProcessingConfig
from calibration_step.config.validation import (
    float_in_unit_interval,
    int_between,
    is_float,
    is_str,
    non_empty,
    one_of,
    to_float,
)
from calibration_step.enums import DependencyType
from calibration_step.steps.companion import CompanionStep, InputChannel, OutputChannel

__all__ = [
    "OBJECTIVE_CHOICES",
    "Objective",
    "XGBOOST_REQUIREMENTS",
    "XGBOOST_TRAINING",
    "XGBoostTrainingConfig",
    "XGBoostTrainingEnv",
    "XGBoostTrainingInput",
    "XGBoostTrainingOutput",
    "build_xgboost_training_step",
    "trained_model_input",
    "xgboost_training_environment",
    "xgboost_training_step_definition",
]

XGBOOST_REQUIREMENTS: Final[Mapping[str, str]] = {"xgboost": ">=1.7"}
"""What the XGBoost steps' scripts need beside the image's libraries."""


class XGBoostTrainingInput(enum.Enum):
    """Logical input: the training data (train/ and val/ folders)."""

    INPUT_PATH = "input_path"


class XGBoostTrainingOutput(enum.Enum):
    """Logical outputs: the model and the predictions on the validation split."""

    MODEL_OUTPUT = "model_output"
    EVALUATION_OUTPUT = "evaluation_output"


Objective = Literal["binary:logistic", "multi:softprob", "reg:squarederror"]
"""XGBoost objectives the step supports."""
OBJECTIVE_CHOICES: Final[tuple[str, ...]] = get_args(Objective)


@attrs.frozen(kw_only=True)
class XGBoostTrainingConfig(ProcessingConfig):
    """Settings of the XGBoostTraining step.

    The model is trained on a processing job: set ``image_uri`` to an image with XGBoost.

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


class XGBoostTrainingEnv(enum.Enum):
    """Env vars (hyperparameters) the training script reads."""

    LABEL_FIELD = "LABEL_FIELD"
    OBJECTIVE = "OBJECTIVE"
    NUM_ROUND = "NUM_ROUND"
    MAX_DEPTH = "MAX_DEPTH"
    ETA = "ETA"


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


XGBOOST_TRAINING: Final = CompanionStep(
    summary="Trains an XGBoost model on a processing job (model, validation predictions).",
    description="Trains an XGBoost model (on a processing job) and scores its validation split.",
    script_description="Trains an XGBoost booster; writes the model and validation predictions.",
    entry_point="xgboost_training.py",
    required_env=(XGBoostTrainingEnv.LABEL_FIELD, XGBoostTrainingEnv.OBJECTIVE),
    optional_env={XGBoostTrainingEnv.NUM_ROUND: "100", XGBoostTrainingEnv.MAX_DEPTH: "6", XGBoostTrainingEnv.ETA: "0.3"},
    config_class=XGBoostTrainingConfig,
    job_type="training",
    inputs=(
        InputChannel(
            name=XGBoostTrainingInput.INPUT_PATH, container_path="/opt/ml/processing/input/data",
            dependency_type=DependencyType.TRAINING_DATA, sources=("TabularPreprocessing",),
            keywords=("data", "processed", "training", "train", "dataset"),
            description="Training data with train/ and val/ sub-folders.",
        ),
    ),
    outputs=(
        OutputChannel(
            name=XGBoostTrainingOutput.MODEL_OUTPUT, container_path="/opt/ml/processing/output/model",
            output_type=DependencyType.MODEL_ARTIFACTS, aliases=("model_artifacts", "ModelArtifacts", "trained_model"),
            files=("xgboost_model.json",), description="The trained booster (xgboost_model.json).",
        ),
        OutputChannel(
            name=XGBoostTrainingOutput.EVALUATION_OUTPUT, container_path="/opt/ml/processing/output/evaluation",
            output_type=DependencyType.PROCESSING_OUTPUT, aliases=("validation_predictions",),
            description="Validation rows with the model's scores.",
        ),
    ),
    environment=xgboost_training_environment,
    framework_requirements=XGBOOST_REQUIREMENTS,
)
"""The XGBoostTraining step: its ``spec``, ``contract``, builders and ``registration()``."""

xgboost_training_step_definition: Final = XGBOOST_TRAINING.step_definition
build_xgboost_training_step: Final = XGBOOST_TRAINING.build_step


def trained_model_input(name: InputNameT, description: str) -> InputChannel[InputNameT]:
    """How a downstream step takes this step's model: at ``/opt/ml/processing/input/model``.

    Examples
    --------
    >>> import enum
    >>> class In(enum.Enum):
    ...     MODEL = "model_input"
    >>> trained_model_input(In.MODEL, "The model.").sources
    ('XGBoostTraining',)
    """
    return InputChannel(
        name=name,
        container_path="/opt/ml/processing/input/model",
        dependency_type=DependencyType.MODEL_ARTIFACTS,
        sources=(XGBOOST_TRAINING.step_type,),
        keywords=("model", "artifacts", "trained"),
        description=description,
    )
