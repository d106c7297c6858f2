"""Condition steps' conditions: the SageMaker condition types, evaluated on resolved operands.

The condition list of a condition step holds when every condition in it holds; then the step's
``IfSteps`` run, else its ``ElseSteps`` (the SDK's ``ConditionStep``:
https://sagemaker.readthedocs.io/en/stable/workflows/pipelines/sagemaker.workflow.pipelines.html#sagemaker.workflow.condition_step.ConditionStep).
The JSON shapes are those the SDK writes (``sagemaker.workflow.conditions``) and the published
definition schema: ``{"Type": "Equals"|"NotEquals"|"GreaterThan"|"GreaterThanOrEqualTo"|"LessThan"|
"LessThanOrEqualTo", "LeftValue": ..., "RightValue": ...}``, ``{"Type": "In"|"NotIn",
"QueryValue": ..., "Values": [...]}`` (the schema's ``Value``/``In`` are read too),
``{"Type": "Not", "Condition": {...}}`` (or ``Expression``) and ``{"Type": "Or", "Conditions": [...]}``.

Equality never takes a boolean for a number (``true`` is not ``1``); ordering compares two
numbers or two strings, and fails the step for anything else.

Examples
--------
>>> identity = lambda value: value
>>> conditions_hold([{"Type": "GreaterThanOrEqualTo", "LeftValue": 0.9, "RightValue": 0.8},
...                  {"Type": "Not", "Condition": {"Type": "In", "QueryValue": "a", "Values": ["b"]}}], identity)
True
>>> conditions_hold([{"Type": "Equals", "LeftValue": True, "RightValue": 1}], identity)
False
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final

from calibration_step.errors import Code, LocalExecutionError, StepFailure

__all__ = ["CONDITION_TYPES", "condition_operands", "conditions_hold"]

Resolve = Callable[[object], object]
_ORDERINGS: Final[Mapping[str, tuple[int, ...]]] = {
    "GreaterThan": (1,),
    "GreaterThanOrEqualTo": (0, 1),
    "LessThan": (-1,),
    "LessThanOrEqualTo": (-1, 0),
}
"""Each ordering condition: the signs of ``left - right`` for which it holds."""
CONDITION_TYPES: Final = ("Equals", "NotEquals", *_ORDERINGS, "In", "NotIn", "Not", "Or")
"""The condition types the executor evaluates."""


def _same(left: object, right: object) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return left == right


def _sign(left: object, right: object) -> int | None:
    """-1, 0 or 1 as ``left`` is below, equal to or above ``right`` (two numbers or two strings), else None."""
    if isinstance(left, bool) or isinstance(right, bool):
        return None
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    return None


def _ordered(kind: str, left: object, right: object) -> bool:
    sign = _sign(left, right)
    if sign is None:
        raise StepFailure(Code.LOCAL_CONDITION_OPERANDS, f"{kind} compares two numbers or two strings; got "
                          f"{json.dumps(left)} and {json.dumps(right)}.",
                          hint="compare values of one kind (a JsonGet gives the JSON value as written)")
    return sign in _ORDERINGS[kind]


def _shape(condition: object) -> tuple[str, Mapping[str, object]]:
    if not isinstance(condition, Mapping) or condition.get("Type") not in CONDITION_TYPES:
        kind = condition.get("Type") if isinstance(condition, Mapping) else condition
        raise LocalExecutionError(Code.LOCAL_CONDITION, f"unknown condition {json.dumps(kind)[:120]}.",
                                  hint=f"use one of {', '.join(CONDITION_TYPES)}")
    return str(condition["Type"]), condition


def _field(condition: Mapping[str, object], *names: str) -> object:
    for name in names:
        if name in condition:
            return condition[name]
    raise LocalExecutionError(Code.LOCAL_CONDITION, f"condition {condition.get('Type')} needs {' or '.join(names)}; "
                              f"got keys {sorted(condition)}.", hint="write the condition as the SDK does")


def _members(condition: Mapping[str, object]) -> list[object]:
    values = _field(condition, "Values", "In")
    if not isinstance(values, list):
        raise LocalExecutionError(Code.LOCAL_CONDITION, f"condition {condition['Type']}'s values must be a list.",
                                  hint='write "Values": [...]')
    return values


def _sub_conditions(condition: Mapping[str, object]) -> list[object]:
    kind = condition["Type"]
    inner = _field(condition, "Conditions") if kind == "Or" else [_field(condition, "Condition", "Expression")]
    if not isinstance(inner, list):
        raise LocalExecutionError(Code.LOCAL_CONDITION, "condition Or's Conditions must be a list.",
                                  hint='write "Conditions": [...]')
    return inner


def condition_operands(condition: object) -> Iterator[object]:
    """Every operand of ``condition`` (nested ones too), unresolved; checks the condition's shape.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-CONDITION`` for an unknown type or a missing field.
    """
    kind, body = _shape(condition)
    if kind in ("Not", "Or"):
        for inner in _sub_conditions(body):
            yield from condition_operands(inner)
    elif kind in ("In", "NotIn"):
        yield _field(body, "QueryValue", "Value")
        yield from _members(body)
    else:
        yield _field(body, "LeftValue")
        yield _field(body, "RightValue")


def _holds(condition: object, resolve: Resolve) -> bool:
    kind, body = _shape(condition)
    if kind == "Or":
        return any(_holds(inner, resolve) for inner in _sub_conditions(body))
    if kind == "Not":
        return not _holds(_sub_conditions(body)[0], resolve)
    if kind in ("In", "NotIn"):
        value = resolve(_field(body, "QueryValue", "Value"))
        found = any(_same(value, resolve(member)) for member in _members(body))
        return found if kind == "In" else not found
    left, right = resolve(_field(body, "LeftValue")), resolve(_field(body, "RightValue"))
    if kind in ("Equals", "NotEquals"):
        return _same(left, right) if kind == "Equals" else not _same(left, right)
    return _ordered(kind, left, right)


def conditions_hold(conditions: Sequence[object], resolve: Resolve) -> bool:
    """Whether every condition holds, each operand resolved by ``resolve`` (an expression evaluator).

    Raises
    ------
    LocalExecutionError
        ``LOCAL-CONDITION`` for a condition of unknown type or shape.
    StepFailure
        ``LOCAL-CONDITION-OPERANDS`` for an ordering of values that do not order.
    """
    return all(_holds(condition, resolve) for condition in conditions)
