"""The package's own steps and the registry that holds them."""

from __future__ import annotations

from calibration_step.registry import StepRegistry, build_registry

__all__ = ["default_registry"]


def default_registry() -> StepRegistry:
    """The registry of every step shipped with the package, built on each call (cheap, no I/O).

    ModelCalibration ships its script; the companion steps users pair with it (XGBoost training,
    model evaluation, packaging) run the user's own scripts.

    Examples
    --------
    >>> registry = default_registry()
    >>> registry.names()
    ('ModelCalibration', 'Package', 'XGBoostModelEval', 'XGBoostTraining')
    >>> registry.get("ModelCalibration").script_shipped
    True
    """
    from calibration_step.steps.model_calibration.registration import model_calibration_registration
    from calibration_step.steps.model_evaluation import XGBOOST_MODEL_EVAL
    from calibration_step.steps.package import PACKAGE
    from calibration_step.steps.xgboost_training import XGBOOST_TRAINING

    return build_registry(
        (
            model_calibration_registration(),
            XGBOOST_MODEL_EVAL.registration(),
            PACKAGE.registration(),
            XGBOOST_TRAINING.registration(),
        )
    )
