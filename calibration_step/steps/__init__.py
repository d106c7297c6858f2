"""The package's own steps and the registry that holds them."""

from __future__ import annotations

from calibration_step.registry import StepRegistry, build_registry

__all__ = ["default_registry"]


def default_registry() -> StepRegistry:
    """The registry of every step shipped with the package, built on each call (cheap, no I/O).

    Examples
    --------
    >>> isinstance(default_registry(), StepRegistry)
    True
    """
    return build_registry(())
