"""Type variables shared by the generic core types (private)."""

from __future__ import annotations

import enum
from typing import TypeVar

# Covariant: the core types are frozen values, so a spec over one step's input-name enum can be
# read wherever a spec over ``enum.Enum`` is expected (the registry holds such an erased view).
InputName = TypeVar("InputName", bound=enum.Enum, covariant=True)
OutputName = TypeVar("OutputName", bound=enum.Enum, covariant=True)
EnvName = TypeVar("EnvName", bound=enum.Enum, covariant=True)

# Invariant twins, for functions that take a name of the step's type as a parameter.
InputNameT = TypeVar("InputNameT", bound=enum.Enum)
OutputNameT = TypeVar("OutputNameT", bound=enum.Enum)
EnvNameT = TypeVar("EnvNameT", bound=enum.Enum)

# A step's config class (any class: the registry only checks its name), and its contravariant
# twin for the builder protocols, which take a config.
ConfigT = TypeVar("ConfigT")
ConfigContra = TypeVar("ConfigContra", contravariant=True)
