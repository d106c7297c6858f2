"""Pipeline values of our own: string parameters, ``Join`` expressions and input sources.

Builders work on these frozen values; only :mod:`calibration_step.sagemaker_adapter` turns them
into SageMaker objects, so builders are testable without importing sagemaker. A SageMaker pipeline
variable that a user already holds (anything with an ``expr``, e.g. a ``ParameterString`` or a
step's ``properties....S3Uri``) is accepted as an input source too and passes through untouched.

Examples
--------
>>> prefix = StringParameter(name="ExecutionPrefix", default_value="s3://bucket/runs")
>>> Join(on="/", values=(prefix, "model_calibration", "metrics_output")).to_expr()
{'Std:Join': {'On': '/', 'Values': [{'Get': 'Parameters.ExecutionPrefix'}, 'model_calibration', 'metrics_output']}}
>>> is_pipeline_value("s3://bucket/data"), is_pipeline_value(prefix)
(False, True)
"""

from __future__ import annotations

from typing import Final, Protocol, Union, runtime_checkable

import attrs

from calibration_step.properties import PropertyReference

__all__ = [
    "EXECUTION_ID",
    "ExecutionVariable",
    "InputSource",
    "Join",
    "JoinValue",
    "PipelineValue",
    "PipelineVariableLike",
    "StringParameter",
    "is_pipeline_value",
    "value_expr",
]


@runtime_checkable
class PipelineVariableLike(Protocol):
    """Anything with a SageMaker ``expr`` (every ``sagemaker...PipelineVariable`` has one)."""

    @property
    def expr(self) -> object:
        """The JSON expression SageMaker writes into the pipeline definition."""


@attrs.frozen(kw_only=True)
class StringParameter:
    """A pipeline parameter of type ``String``; its value is chosen per execution.

    Examples
    --------
    >>> StringParameter(name="ExecutionPrefix").to_expr()
    {'Get': 'Parameters.ExecutionPrefix'}
    """

    name: str
    default_value: str | None = None

    def to_expr(self) -> dict[str, str]:
        """The ``{"Get": "Parameters.<name>"}`` form of a pipeline definition."""
        return {"Get": f"Parameters.{self.name}"}


@attrs.frozen(kw_only=True)
class ExecutionVariable:
    """A variable of the running execution (SageMaker's ``ExecutionVariables``), such as its id.

    Examples
    --------
    >>> EXECUTION_ID.to_expr()
    {'Get': 'Execution.PipelineExecutionId'}
    """

    name: str

    def to_expr(self) -> dict[str, str]:
        """The ``{"Get": "Execution.<name>"}`` form of a pipeline definition."""
        return {"Get": f"Execution.{self.name}"}


EXECUTION_ID: Final = ExecutionVariable(name="PipelineExecutionId")
"""The id of the running execution: part of every output URI, so executions never share outputs."""

JoinValue = Union[str, int, float, StringParameter, ExecutionVariable, PropertyReference, "Join", PipelineVariableLike]
"""One value of a :class:`Join`: a primitive or another pipeline value."""


@attrs.frozen(kw_only=True)
class Join:
    """Values joined at run time with ``on`` between them (SageMaker's ``Std:Join``)."""

    on: str = ""
    values: tuple[JoinValue, ...] = ()

    def to_expr(self) -> dict[str, object]:
        """The ``{"Std:Join": ...}`` form of a pipeline definition."""
        return {"Std:Join": {"On": self.on, "Values": [value_expr(value) for value in self.values]}}


PipelineValue = Union[StringParameter, ExecutionVariable, Join, PropertyReference, PipelineVariableLike]
"""A value only known when the pipeline runs."""

InputSource = Union[str, PipelineValue]
"""Where a processing input comes from: an ``s3://`` URI or a pipeline value."""


def is_pipeline_value(value: object) -> bool:
    """Whether ``value`` is resolved at run time (anything but a plain primitive)."""
    return isinstance(value, (StringParameter, ExecutionVariable, Join, PropertyReference, PipelineVariableLike))


def value_expr(value: JoinValue) -> object:
    """The pipeline-definition form of ``value`` (primitives as they are).

    Examples
    --------
    >>> value_expr(PropertyReference(step_name="Prep", property_path="properties.Outputs['a'].S3Uri"))
    {'Get': "Steps.Prep.Outputs['a'].S3Uri"}
    >>> value_expr(3)
    3
    """
    if isinstance(value, (StringParameter, ExecutionVariable, Join)):
        return value.to_expr()
    if isinstance(value, PropertyReference):
        return value.to_get()
    if isinstance(value, PipelineVariableLike):
        return value.expr
    return value
