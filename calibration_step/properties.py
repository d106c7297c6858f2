"""References to runtime properties of another step, e.g. an output's S3 URI.

A property path is written as in the SageMaker API reference, starting with lowercase
``properties.``: ``properties.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri``.
"""

from __future__ import annotations

import re

import attrs

from calibration_step.errors import Code, SpecError

__all__ = ["PropertyReference", "PropertyStep", "parse_property_path"]

PROPERTIES_PREFIX = "properties."

_TOKEN = re.compile(r"\.(?P<attr>[A-Za-z_][A-Za-z0-9_]*)|\['(?P<key>[^'\]]+)'\]|\[(?P<index>\d+)\]")


@attrs.frozen
class PropertyStep:
    """One step of a property path: an attribute, a string key or an integer index."""

    kind: str  # "attr" | "key" | "index"
    value: str | int

    def render(self) -> str:
        """The step as it is written in a path: ``.Attr``, ``['key']`` or ``[0]``."""
        if self.kind == "attr":
            return f".{self.value}"
        if self.kind == "key":
            return f"['{self.value}']"
        return f"[{self.value}]"


def parse_property_path(path: str) -> tuple[PropertyStep, ...]:
    """Split a property path into its steps; the leading ``properties`` is not one of them.

    Raises
    ------
    SpecError
        ``PROPERTY-PATH-PREFIX`` when the path does not start with lowercase ``properties.``,
        ``PROPERTY-PATH-SYNTAX`` when a part cannot be read.

    Examples
    --------
    >>> [s.render() for s in parse_property_path("properties.Outputs['a'].S3Uri")]
    ['.Outputs', "['a']", '.S3Uri']
    >>> [s.value for s in parse_property_path("properties.Items[0]")]
    ['Items', 0]
    """
    if not path.startswith(PROPERTIES_PREFIX):
        raise SpecError(
            Code.PROPERTY_PATH_PREFIX,
            f"property path {path!r} does not start with lowercase 'properties.'",
            hint="write it as in the SageMaker API, e.g. "
            "properties.ProcessingOutputConfig.Outputs['name'].S3Output.S3Uri",
        )
    rest = path[len("properties") :]
    steps: list[PropertyStep] = []
    position = 0
    while position < len(rest):
        match = _TOKEN.match(rest, position)
        if match is None:
            raise SpecError(
                Code.PROPERTY_PATH_SYNTAX,
                f"property path {path!r} cannot be read at {rest[position:]!r}",
                hint="use .Attribute, ['key'] and [0] parts only",
            )
        if match.group("attr") is not None:
            steps.append(PropertyStep("attr", match.group("attr")))
        elif match.group("key") is not None:
            steps.append(PropertyStep("key", match.group("key")))
        else:
            steps.append(PropertyStep("index", int(match.group("index"))))
        position = match.end()
    if not steps:
        raise SpecError(
            Code.PROPERTY_PATH_SYNTAX,
            f"property path {path!r} names no property",
            hint="name at least one property after 'properties.'",
        )
    return tuple(steps)


@attrs.frozen(kw_only=True)
class PropertyReference:
    """A property of a named step, usable in a pipeline definition or on a step object.

    Examples
    --------
    >>> ref = PropertyReference(
    ...     step_name="Calibrate",
    ...     property_path="properties.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri",
    ... )
    >>> ref.to_get()
    {'Get': "Steps.Calibrate.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri"}
    >>> class Node:
    ...     def __init__(self, **kw: object) -> None: self.__dict__.update(kw)
    >>> step = Node(properties=Node(ProcessingOutputConfig=Node(Outputs={
    ...     "metrics_output": Node(S3Output=Node(S3Uri="s3://b/m"))})))
    >>> ref.resolve(step)
    's3://b/m'
    """

    step_name: str
    property_path: str = attrs.field()

    @property_path.validator
    def _check_path(self, _attribute: object, value: str) -> None:
        parse_property_path(value)

    @property
    def steps(self) -> tuple[PropertyStep, ...]:
        """The parsed steps of the path, after ``properties``."""
        return parse_property_path(self.property_path)

    def to_get(self) -> dict[str, str]:
        """The ``{"Get": "Steps.<name>.<path>"}`` form used in a pipeline definition."""
        tail = "".join(step.render() for step in self.steps)
        return {"Get": f"Steps.{self.step_name}{tail}"}

    def resolve(self, step: object) -> object:
        """Navigate ``step.properties`` along the path by attribute and item access.

        Works on a SageMaker step object (its ``properties`` tree) without importing sagemaker.

        Raises
        ------
        SpecError
            ``PROPERTY-PATH-UNRESOLVED`` naming the part that the object does not have.
        """
        try:
            current: object = getattr(step, "properties")
        except AttributeError as exc:
            raise SpecError(
                Code.PROPERTY_PATH_UNRESOLVED,
                f"step {self.step_name!r} has no 'properties'",
                hint="pass a SageMaker step object (or anything with a properties tree)",
            ) from exc
        walked = "properties"
        for part in self.steps:
            try:
                if part.kind == "attr":
                    current = getattr(current, str(part.value))
                else:
                    current = current.__getitem__(part.value)  # type: ignore[index]  # any object with item access
            except (AttributeError, KeyError, IndexError, TypeError) as exc:
                raise SpecError(
                    Code.PROPERTY_PATH_UNRESOLVED,
                    f"step {self.step_name!r} has no property {walked}{part.render()} ({exc!r})",
                    hint="check the property path against the step type's properties",
                ) from exc
            walked += part.render()
        return current
