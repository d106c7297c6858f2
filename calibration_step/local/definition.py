"""A pipeline definition document read into steps and parameters, checked before anything runs.

What is read (the published definition schema, as vendored in
``calibration_step/schemas/sagemaker-pipeline-definition.extended.schema.json``): ``Parameters``
(``Name``, ``Type``, ``DefaultValue``) and ``Steps`` of type ``Processing``, ``Condition`` and
``Fail``, with ``DependsOn``, ``PropertyFiles`` and the steps nested in a condition's ``IfSteps``
and ``ElseSteps``. Each step depends on the steps its ``Get`` references read (data
dependencies), the steps in its ``DependsOn`` (custom dependencies), and, inside a branch, its
condition step (https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html,
"Data dependency between steps" and "Custom dependency between steps"). Steps run in a
topological order of those dependencies, ties broken by their order in the document.

Every reference is checked first: a ``Get`` of an undeclared parameter, an unknown execution
variable, a missing step or property file, an unknown function or step type, or a cycle stops
the execution before its first step, with the code of the problem.

Examples
--------
>>> document = read_definition({"Parameters": [{"Name": "Prefix", "Type": "String", "DefaultValue": "s3://b/p"}],
...     "Steps": [{"Name": "Stop", "Type": "Fail", "DependsOn": ["Check"],
...                "Arguments": {"ErrorMessage": {"Get": "Parameters.Prefix"}}},
...               {"Name": "Check", "Type": "Condition", "Arguments": {"Conditions": [], "IfSteps": [], "ElseSteps": []}}]})
>>> [step.name for step in execution_order(document)]
['Check', 'Stop']
>>> read_definition({"Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Parameters.X"}}}]})
Traceback (most recent call last):
...
calibration_step.errors.LocalExecutionError: [LOCAL-PARAMETER-UNDECLARED] step 'Stop' reads parameter 'X', ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Final

import attrs

from calibration_step.errors import Code, LocalExecutionError
from calibration_step.local.conditions import condition_operands
from calibration_step.local.expressions import JOIN, JSON_GET, references, step_reference
from calibration_step.local.parameters import ParameterDeclaration
from calibration_step.processing.step import PropertyFileDefinition

__all__ = [
    "EXECUTION_VARIABLES",
    "PipelineDocument",
    "STEP_TYPES",
    "StepNode",
    "execution_order",
    "read_definition",
]

STEP_TYPES: Final = ("Processing", "Condition", "Fail")
"""The step types the executor runs."""
EXECUTION_VARIABLES: Final = (
    "StartDateTime", "CurrentDateTime", "PipelineName", "PipelineArn", "PipelineExecutionId", "PipelineExecutionArn",
)
"""The ``Execution.<name>`` variables of ``sagemaker.workflow.execution_variables.ExecutionVariables`` read here."""


@attrs.frozen(kw_only=True)
class StepNode:
    """One step: its name, type, raw arguments, property files and every step it depends on.

    A step nested in a condition step has that step's name as ``condition``, and ``if_branch``
    tells whether it is in its ``IfSteps`` (else in its ``ElseSteps``).
    """

    name: str
    step_type: str
    arguments: Mapping[str, object]
    property_files: Mapping[str, PropertyFileDefinition] = attrs.field(factory=dict)
    condition: str | None = None
    if_branch: bool = True
    upstream: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class PipelineDocument:
    """The definition's parameters and its steps (nested ones included, after their condition)."""

    parameters: tuple[ParameterDeclaration, ...]
    steps: tuple[StepNode, ...]

    def step(self, name: str) -> StepNode:
        """The step called ``name``."""
        return next(step for step in self.steps if step.name == name)


def _bad(message: str, hint: str) -> LocalExecutionError:
    return LocalExecutionError(Code.LOCAL_DEFINITION, message, hint=hint)


def _parameters(raw: object) -> tuple[ParameterDeclaration, ...]:
    if not isinstance(raw, list):
        raise _bad("Parameters must be a list.", 'write "Parameters": [{"Name": ..., "Type": "String", ...}]')
    declared = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("Name"), str):
            raise _bad(f"a parameter needs a Name; got {json.dumps(item)[:200]}.", "give every parameter a Name")
        declared.append(ParameterDeclaration(name=item["Name"], type=str(item.get("Type", "String")),
                                             default=item.get("DefaultValue")))
    return tuple(declared)


def _property_files(step: Mapping[str, object], name: str) -> dict[str, PropertyFileDefinition]:
    files: dict[str, PropertyFileDefinition] = {}
    declared = step.get("PropertyFiles") or []
    if not isinstance(declared, list):
        raise _bad(f"step {name!r} has PropertyFiles that are not a list.", "write PropertyFiles as a list")
    for item in declared:
        fields = [item.get(key) if isinstance(item, Mapping) else None for key in ("PropertyFileName", "OutputName", "FilePath")]
        if not all(isinstance(value, str) for value in fields):
            raise _bad(f"step {name!r} has a property file without PropertyFileName, OutputName and FilePath.",
                       "write each property file as the SDK does")
        file = PropertyFileDefinition(name=str(fields[0]), output_name=str(fields[1]), path=str(fields[2]))
        files[file.name] = file
    return files


Placement = tuple[str, bool] | None
"""Where a nested step sits: its condition step and whether in the ``IfSteps``; None at the top."""


def _flatten(raw_steps: object, branch: Placement) -> Iterator[tuple[Mapping[str, object], Placement]]:
    if not isinstance(raw_steps, list):
        raise _bad("Steps, IfSteps and ElseSteps must be lists of steps.", 'write "Steps": [{...}, ...]')
    for raw in raw_steps:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("Name"), str) or not isinstance(raw.get("Type"), str):
            raise _bad(f"a step needs a Name and a Type; got {json.dumps(raw)[:200]}.", "give every step a Name and a Type")
        if raw["Type"] not in STEP_TYPES:
            raise LocalExecutionError(Code.LOCAL_STEP_TYPE, f"step {raw['Name']!r} is of type {raw['Type']!r}, which the "
                                      "local executor does not run.", hint=f"it runs steps of type {', '.join(STEP_TYPES)}")
        yield raw, branch
        if raw["Type"] == "Condition":
            arguments = raw.get("Arguments")
            if not isinstance(arguments, Mapping):
                raise _bad(f"condition step {raw['Name']!r} has no Arguments object.", "give it Arguments.Conditions")
            yield from _flatten(arguments.get("IfSteps", []), (raw["Name"], True))
            yield from _flatten(arguments.get("ElseSteps", []), (raw["Name"], False))


def _evaluated_parts(step_type: str, arguments: Mapping[str, object], name: str) -> list[object]:
    """The parts of a step's arguments the executor evaluates (the nested steps of a condition are steps)."""
    if step_type != "Condition":
        return [arguments]
    conditions = arguments.get("Conditions")
    if not isinstance(conditions, list):
        raise _bad(f"condition step {name!r} needs Arguments.Conditions (a list).", 'write "Conditions": [{...}]')
    return [operand for condition in conditions for operand in condition_operands(condition)]


def _unknown_functions(value: object) -> Iterator[str]:
    if isinstance(value, Mapping):
        yield from (key for key in value if key.startswith("Std:") and key not in (JOIN, JSON_GET))
        for item in value.values():
            yield from _unknown_functions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _unknown_functions(item)


def _check_reference(reference: str, where: str, parameters: Sequence[str], steps: Mapping[str, Mapping[str, object]]) -> str | None:
    """The step ``reference`` reads (None for a parameter or variable); raises for what does not exist."""
    kind, _, rest = reference.partition(".")
    if kind == "Parameters":
        if rest not in parameters:
            raise LocalExecutionError(Code.LOCAL_PARAMETER_UNDECLARED, f"step {where!r} reads parameter {rest!r}, which "
                                      f"the definition does not declare (declared: {list(parameters)}).",
                                      hint="declare it under Parameters, or fix the name")
        return None
    if kind == "Execution":
        if rest not in EXECUTION_VARIABLES:
            raise LocalExecutionError(Code.LOCAL_EXECUTION_VARIABLE, f"step {where!r} reads Execution.{rest}, which the "
                                      "local executor does not know.", hint=f"use one of {', '.join(EXECUTION_VARIABLES)}")
        return None
    found = step_reference(reference)
    if found is None or found[0] not in steps or found[0] == where:
        raise LocalExecutionError(Code.LOCAL_STEP_UNKNOWN, f"step {where!r} reads {reference!r}, and no other step of the "
                                  "definition has that name.", hint="reference Parameters.<name>, Execution.<variable> "
                                  "or Steps.<another step>.<property>")
    step, path = found
    if path.startswith("PropertyFiles."):
        declared = _property_files(steps[step], step)
        if path[len("PropertyFiles."):] not in declared:
            raise LocalExecutionError(Code.LOCAL_PROPERTY_FILE, f"step {where!r} reads {reference!r}, but step {step!r} "
                                      f"declares the property files {sorted(declared)}.", hint="declare it under PropertyFiles")
    return step


def _node(raw: Mapping[str, object], branch: Placement, parameters: Sequence[str],
          steps: Mapping[str, Mapping[str, object]]) -> StepNode:
    name, step_type = str(raw["Name"]), str(raw["Type"])
    arguments = raw.get("Arguments", {})
    if not isinstance(arguments, Mapping):
        raise _bad(f"step {name!r} has Arguments that are not an object.", "write Arguments as an object")
    parts = _evaluated_parts(step_type, arguments, name)
    for function in _unknown_functions(parts):
        raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"step {name!r} uses the function {function!r}, which the local "
                                  "executor does not evaluate.", hint="it evaluates Get, Std:Join and Std:JsonGet")
    upstream = [step for ref in references(parts) if (step := _check_reference(ref, name, parameters, steps))]
    depends_on = raw.get("DependsOn", [])
    if not isinstance(depends_on, list) or any(d not in steps or d == name for d in depends_on):
        raise LocalExecutionError(Code.LOCAL_STEP_UNKNOWN, f"step {name!r} has DependsOn {depends_on!r}, which names a "
                                  "step the definition lacks.", hint="list names of other steps of the definition")
    upstream += [str(d) for d in depends_on] + ([branch[0]] if branch else [])
    return StepNode(name=name, step_type=step_type, arguments=arguments, property_files=_property_files(raw, name),
                    condition=branch[0] if branch else None, if_branch=branch[1] if branch else True,
                    upstream=tuple(dict.fromkeys(upstream)))


def read_definition(definition: Mapping[str, object]) -> PipelineDocument:
    """The document's parameters and steps, every reference checked.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-DEFINITION`` (malformed), ``LOCAL-STEP-TYPE``, ``LOCAL-PARAMETER-UNDECLARED``,
        ``LOCAL-EXECUTION-VARIABLE``, ``LOCAL-STEP-UNKNOWN``, ``LOCAL-PROPERTY-FILE``,
        ``LOCAL-EXPRESSION``, ``LOCAL-CONDITION`` or ``LOCAL-CYCLE``.
    """
    if "Steps" not in definition:
        raise _bad("a pipeline definition is a JSON object with Steps.", "pass the JSON document the pipeline is created with")
    parameters = _parameters(definition.get("Parameters", []))
    flat = list(_flatten(definition["Steps"], None))
    raw_steps = {str(raw["Name"]): raw for raw, _ in flat}
    if len(raw_steps) != len(flat):
        names = [str(raw["Name"]) for raw, _ in flat]
        raise _bad(f"step names {sorted({n for n in names if names.count(n) > 1})} are used twice.", "name each step once")
    names = [p.name for p in parameters]
    document = PipelineDocument(parameters=parameters,
                                steps=tuple(_node(raw, branch, names, raw_steps) for raw, branch in flat))
    execution_order(document)
    return document


def execution_order(document: PipelineDocument) -> tuple[StepNode, ...]:
    """The steps in a topological order of their dependencies, ties in document order.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-CYCLE`` naming the steps that wait on each other.
    """
    done: dict[str, StepNode] = {}
    waiting = list(document.steps)
    while waiting:
        ready = next((step for step in waiting if all(up in done for up in step.upstream)), None)
        if ready is None:
            raise LocalExecutionError(Code.LOCAL_CYCLE, f"steps {[s.name for s in waiting]} depend on each other in a cycle.",
                                      hint="remove a Get or DependsOn so that the steps form a DAG")
        done[ready.name] = ready
        waiting.remove(ready)
    return tuple(done.values())
