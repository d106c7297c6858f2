"""Step specifications: what a step consumes and produces, by logical name.

A specification is generic over the step's input-name and output-name enums, so that naming an
input the step does not have is a type error. What types cannot say (unique names, aliases, node
type rules, the ``properties.`` prefix) is checked when the object is built
(:mod:`calibration_step.invariants`); a broken spec raises one :class:`SpecError` listing every
problem.

Examples
--------
>>> import enum
>>> class In(enum.Enum):
...     DATA = "data"
>>> class Out(enum.Enum):
...     RESULT = "result"
>>> spec: StepSpecification[In, Out] = StepSpecification(
...     step_type="Example",
...     node_type=NodeType.INTERNAL,
...     dependencies=(DependencySpec(logical_name=In.DATA,
...                                  dependency_type=DependencyType.PROCESSING_OUTPUT),),
...     outputs=(OutputSpec(logical_name=Out.RESULT, output_type=DependencyType.PROCESSING_OUTPUT,
...         property_path="properties.ProcessingOutputConfig.Outputs['result'].S3Output.S3Uri"),),
... )
>>> spec.dependency_map[In.DATA].required
True
>>> output_by_name(spec, "RESULT") is None, output_by_name(spec, "result") is not None
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, Literal

import attrs

from calibration_step._typevars import InputName, InputNameT, OutputName, OutputNameT
from calibration_step.enums import DependencyType, NodeType
from calibration_step.errors import Code, SpecError

__all__ = [
    "DataType",
    "DependencySpec",
    "OutputSpec",
    "StepSpecification",
    "dependency_of",
    "output_by_name",
    "output_of",
]

DataType = Literal["S3Uri", "String", "Integer", "Float", "Boolean"]
"""The SageMaker parameter type of a dependency or output."""



@attrs.frozen(kw_only=True)
class DependencySpec(Generic[InputName]):
    """One logical input of a step and how upstream outputs may satisfy it."""

    logical_name: InputName
    dependency_type: DependencyType
    required: bool = True
    compatible_sources: tuple[str, ...] = ()
    semantic_keywords: tuple[str, ...] = ()
    data_type: DataType = "S3Uri"
    description: str = ""

    @property
    def name(self) -> str:
        """The logical name as a string (the enum member's value)."""
        return str(self.logical_name.value)


@attrs.frozen(kw_only=True)
class OutputSpec(Generic[OutputName]):
    """One logical output of a step, with its aliases and SageMaker property path."""

    logical_name: OutputName
    output_type: DependencyType
    property_path: str
    aliases: tuple[str, ...] = ()
    data_type: DataType = "S3Uri"
    description: str = ""

    @property
    def name(self) -> str:
        """The logical name as a string (the enum member's value)."""
        return str(self.logical_name.value)


@attrs.frozen(kw_only=True)
class StepSpecification(Generic[InputName, OutputName]):
    """The logical interface of a step type: node type, dependencies and outputs.

    Raises
    ------
    SpecError
        ``SPEC-INVALID`` listing every broken invariant (see :func:`spec_problems`).
    """

    step_type: str
    node_type: NodeType
    dependencies: tuple[DependencySpec[InputName], ...] = ()
    outputs: tuple[OutputSpec[OutputName], ...] = ()
    description: str = ""

    @property
    def dependency_map(self) -> Mapping[InputName, DependencySpec[InputName]]:
        """Dependencies by logical name; indexing with another step's name is a type error."""
        return {dependency.logical_name: dependency for dependency in self.dependencies}

    @property
    def output_map(self) -> Mapping[OutputName, OutputSpec[OutputName]]:
        """Outputs by logical name; indexing with another step's name is a type error."""
        return {output.logical_name: output for output in self.outputs}

    def __attrs_post_init__(self) -> None:
        from calibration_step.invariants import spec_problems

        problems = spec_problems(self)
        if problems:
            raise SpecError.from_problems(Code.SPEC_INVALID, f"specification {self.step_type!r}", problems)


def dependency_of(spec: StepSpecification[InputNameT, OutputNameT], name: InputNameT) -> DependencySpec[InputNameT]:
    """The dependency of ``spec`` with logical name ``name`` (prefer ``spec.dependency_map[name]``,
    which mypy checks more strictly for a concretely typed spec).

    Raises
    ------
    SpecError
        ``SPEC-UNKNOWN-DEPENDENCY`` if the spec has no such dependency.
    """
    for dependency in spec.dependencies:
        if dependency.logical_name == name:
            return dependency
    raise SpecError(
        Code.SPEC_UNKNOWN_DEPENDENCY,
        f"{spec.step_type} has no dependency {name.value!r}",
        hint=f"use one of {[d.name for d in spec.dependencies]}",
    )


def output_of(spec: StepSpecification[InputNameT, OutputNameT], name: OutputNameT) -> OutputSpec[OutputNameT]:
    """The output of ``spec`` with logical name ``name``.

    Raises
    ------
    SpecError
        ``SPEC-UNKNOWN-OUTPUT`` if the spec has no such output.
    """
    for output in spec.outputs:
        if output.logical_name == name:
            return output
    raise SpecError(
        Code.SPEC_UNKNOWN_OUTPUT,
        f"{spec.step_type} has no output {name.value!r}",
        hint=f"use one of {[o.name for o in spec.outputs]}",
    )


def output_by_name(spec: StepSpecification[InputNameT, OutputNameT], name: str) -> OutputSpec[OutputNameT] | None:
    """The output whose logical name equals ``name`` exactly or whose alias matches it (case-insensitively)."""
    for output in spec.outputs:
        if output.name == name:
            return output
    folded = name.casefold()
    for output in spec.outputs:
        if any(alias.casefold() == folded for alias in output.aliases):
            return output
    return None
