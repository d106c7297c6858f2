"""The package's own steps and the registry that holds them."""

from __future__ import annotations

from calibration_step.registry import StepRegistry, build_registry

__all__ = ["default_registry"]


def default_registry() -> StepRegistry:
    """The registry of every step shipped with the package, built on each call (cheap, no I/O).

    Examples
    --------
    >>> registry = default_registry()
    >>> isinstance(registry, StepRegistry), registry.names()
    (True, ('ModelCalibration',))
    """
    from calibration_step.steps.model_calibration.registration import model_calibration_registration

    return build_registry((model_calibration_registration(),))
