"""The step-name registry: canonical step type -> config class, builder, spec, contract.

The registry is a value: built explicitly from registrations by :func:`build_registry`, immutable
afterwards, with no import-time discovery and no I/O. The package's own steps are collected by
:func:`calibration_step.steps.default_registry`.

Examples
--------
>>> registry = build_registry(())
>>> len(registry)
0
>>> registry.get("ModelCalibraton")
Traceback (most recent call last):
...
calibration_step.errors.RegistryError: [REGISTRY-UNKNOWN-STEP] no step type 'ModelCalibraton' is registered ...
"""

from __future__ import annotations

import difflib
import enum
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, Literal, Protocol, TypeAlias

import attrs

from calibration_step._typevars import ConfigContra, ConfigT, InputNameT
from calibration_step.contract import ScriptContract
from calibration_step.errors import Code, Problem, RegistryError, SpecError
from calibration_step.invariants import alignment_problems, config_class_problems
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource
from calibration_step.spec import StepSpecification

__all__ = [
    "AnyStepRegistration",
    "DefinitionBuilder",
    "SageMakerStepType",
    "StepBuilder",
    "StepRegistration",
    "StepRegistry",
    "build_registry",
    "registration_problems",
]

SageMakerStepType = Literal["Processing", "Training", "Transform", "CreateModel", "RegisterModel"]
"""The SageMaker pipeline step type a registered step produces."""


class StepBuilder(Protocol[ConfigContra, InputNameT]):
    """A step's builder: its config and its inputs, keyed by its own input enum, to the built step.

    Builders may take keyword options after these two (step name, execution prefix, ...).
    """

    def __call__(self, config: ConfigContra, inputs: Mapping[InputNameT, InputSource], /) -> object:
        """The built step (a SageMaker step, or a value holding one)."""


class DefinitionBuilder(Protocol[ConfigContra, InputNameT]):
    """A processing step's pure builder: config, inputs and image to a :class:`ProcessingStepDefinition`.

    The definition holds what the step sends (env vars, arguments, channels), made without sagemaker.
    """

    def __call__(
        self, config: ConfigContra, inputs: Mapping[InputNameT, InputSource], /, *, image_uri: str
    ) -> ProcessingStepDefinition:
        """The step as a value."""


@attrs.frozen(kw_only=True)
class StepRegistration(Generic[ConfigT, InputNameT]):
    """Everything the framework knows about one step type, typed by its config class and input enum.

    The builders take the step's own config and inputs; ``spec`` and ``contract`` are read through
    their (covariant) output and env-var name types.

    Raises
    ------
    SpecError
        ``REGISTRATION-INVALID`` listing every problem of :func:`registration_problems`.
    """

    step_type: str
    config_class: type[ConfigT]
    builder: StepBuilder[ConfigT, InputNameT]
    spec: StepSpecification[InputNameT, enum.Enum]
    contract: ScriptContract[InputNameT, enum.Enum, enum.Enum]
    sagemaker_step_type: SageMakerStepType
    description: str
    definition_builder: DefinitionBuilder[ConfigT, InputNameT] | None = None
    """The step's pure counterpart of ``builder``; the alignment checker builds the step with it."""
    example_config: Callable[[], ConfigT] | None = None
    """A complete, valid config of the step; the alignment checker builds the step from it."""
    script_shipped: bool = True
    """False when the step's script is the user's own (their image or ``script_uri``), so the package
    holds no copy to check against the contract; the alignment checker says so instead."""

    def __attrs_post_init__(self) -> None:
        problems = registration_problems(self)
        if problems:
            raise SpecError.from_problems(Code.REGISTRATION_INVALID, f"registration of {self.step_type!r}", problems)


AnyStepRegistration: TypeAlias = "StepRegistration[Any, Any]"
"""A registration of any step. The registry holds steps of different config and input types; code
that uses a registration's typed pieces is generic over them (as the alignment checker's level 4
is), so mypy checks each use against the registration's own types."""


def registration_problems(registration: AnyStepRegistration) -> tuple[Problem, ...]:
    """Spec and contract agree, the spec's step type is the registered one, the config class is named right."""
    problems: list[Problem] = []
    if registration.spec.step_type != registration.step_type:
        problems.append(
            Problem(
                code=Code.REGISTRATION_STEP_TYPE,
                message=f"registered as {registration.step_type!r} but its spec says {registration.spec.step_type!r}",
                hint="register the step under its spec's step type",
                location=registration.step_type,
            )
        )
    problems += alignment_problems(registration.spec, registration.contract)
    problems += config_class_problems(registration.step_type, registration.config_class)
    return tuple(problems)


def _read_only(entries: Mapping[str, AnyStepRegistration]) -> Mapping[str, AnyStepRegistration]:
    return types.MappingProxyType(dict(entries))


@attrs.frozen
class StepRegistry:
    """An immutable mapping of step type to :class:`StepRegistration`; see :func:`build_registry`."""

    _entries: Mapping[str, AnyStepRegistration] = attrs.field(converter=_read_only)

    def get(self, step_type: str) -> AnyStepRegistration:
        """The registration of ``step_type``.

        Raises
        ------
        RegistryError
            ``REGISTRY-UNKNOWN-STEP``, naming the closest registered step types.
        """
        try:
            return self._entries[step_type]
        except KeyError:
            close = difflib.get_close_matches(step_type, list(self._entries), n=3, cutoff=0.5)
            suggestion = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "no registered name is close"
            raise RegistryError(
                Code.REGISTRY_UNKNOWN_STEP,
                f"no step type {step_type!r} is registered ({suggestion})",
                hint=f"use one of {sorted(self._entries)}",
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered step types, sorted."""
        return tuple(sorted(self._entries))

    def __contains__(self, step_type: object) -> bool:
        return step_type in self._entries

    def __iter__(self) -> Iterator[AnyStepRegistration]:
        return iter(self._entries[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._entries)


def build_registry(registrations: Iterable[AnyStepRegistration]) -> StepRegistry:
    """Build an immutable registry; each step type may be registered once.

    Raises
    ------
    RegistryError
        ``REGISTRY-DUPLICATE-STEP`` when a step type is registered twice.
    """
    entries: dict[str, AnyStepRegistration] = {}
    for registration in registrations:
        if registration.step_type in entries:
            raise RegistryError(
                Code.REGISTRY_DUPLICATE_STEP,
                f"step type {registration.step_type!r} is registered twice",
                hint="register each step type once",
            )
        entries[registration.step_type] = registration
    return StepRegistry(entries)
