"""Parameter values of one execution: the declared defaults, overridden by the values given.

A parameter's ``Type`` is ``String`` (the default), ``Integer``, ``Float`` or ``Boolean``
(https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-parameters.html). A value
given as text (``--parameter NAME=VALUE``) is read as the declared type; a parameter with neither
a default nor a value, a value for an undeclared name, or a value that is not of the type stops
the execution before it starts.

Examples
--------
>>> declared = (ParameterDeclaration(name="Rows", type="Integer", default=10),
...             ParameterDeclaration(name="Strict", type="Boolean", default=False))
>>> bind_parameters(declared, {"Strict": "true"})
{'Rows': 10, 'Strict': True}
>>> bind_parameters(declared, {"Rows": "ten"})
Traceback (most recent call last):
...
calibration_step.errors.LocalExecutionError: [LOCAL-PARAMETER-VALUE] parameter 'Rows' is an Integer; got 'ten'. ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

import attrs

from calibration_step.errors import Code, LocalExecutionError

__all__ = ["PARAMETER_TYPES", "ParameterDeclaration", "bind_parameters"]


@attrs.frozen(kw_only=True)
class ParameterDeclaration:
    """One entry of a definition's ``Parameters``: a name, a type, maybe a default value."""

    name: str
    type: str
    default: object = None


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


_READERS: Final[Mapping[str, Callable[[str], object]]] = {"String": str, "Integer": int, "Float": float, "Boolean": _boolean}
PARAMETER_TYPES: Final = tuple(_READERS)
"""The parameter types of a pipeline definition."""


def _of_type(type_name: str, value: object) -> bool:
    if type_name == "Float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = {"String": str, "Integer": int, "Boolean": bool}[type_name]
    return isinstance(value, expected) and (type_name == "Boolean" or not isinstance(value, bool))


def _value(declaration: ParameterDeclaration, given: object) -> object:
    if isinstance(given, str) and declaration.type != "String":
        try:
            return _READERS[declaration.type](given)
        except ValueError:
            pass
    elif _of_type(declaration.type, given):
        return given
    raise LocalExecutionError(Code.LOCAL_PARAMETER_VALUE, f"parameter {declaration.name!r} is a{'n' if declaration.type[0] in 'IA' else ''} "
                              f"{declaration.type}; got {given!r}.",
                              hint="give a value of the declared type (Boolean: true or false)")


def bind_parameters(declared: Sequence[ParameterDeclaration], given: Mapping[str, object]) -> dict[str, object]:
    """Each declared parameter's value for one execution: ``given`` (text or typed), else its default.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-PARAMETER-TYPE`` (unknown type), ``LOCAL-PARAMETER-UNKNOWN`` (a value for an
        undeclared name), ``LOCAL-PARAMETER-MISSING`` (no default and no value),
        ``LOCAL-PARAMETER-VALUE`` (not of the declared type).
    """
    names = [declaration.name for declaration in declared]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise LocalExecutionError(Code.LOCAL_PARAMETER_UNKNOWN, f"values are given for {unknown}, which the definition does "
                                  f"not declare (declared: {names}).", hint="give values only for declared parameters")
    values: dict[str, object] = {}
    for declaration in declared:
        if declaration.type not in _READERS:
            raise LocalExecutionError(Code.LOCAL_PARAMETER_TYPE, f"parameter {declaration.name!r} has type {declaration.type!r}.",
                                      hint=f"use one of {', '.join(PARAMETER_TYPES)}")
        if declaration.name in given:
            values[declaration.name] = _value(declaration, given[declaration.name])
        elif declaration.default is not None:
            values[declaration.name] = _value(declaration, declaration.default)
        else:
            raise LocalExecutionError(Code.LOCAL_PARAMETER_MISSING, f"parameter {declaration.name!r} has no DefaultValue and "
                                      "no value is given.", hint=f"give one: --parameter {declaration.name}=VALUE")
    return values
