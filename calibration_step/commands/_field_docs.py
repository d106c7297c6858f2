"""Each config field's JSON type, default and meaning, read from the classes themselves.

The meaning is the field's entry in the numpydoc ``Parameters`` section of the class that declares
it (``BasePipelineConfig``, ``ProcessingConfig``, then the step's class); the JSON type comes from
the field's annotation and the default from its attrs default. ``tests/commands/test_config.py``
checks that every field of every config class is described, so a new field without a docstring
entry fails the suite. A field named in a docstring without a description takes its meaning from
:data:`_FALLBACK_MEANINGS`.

Examples
--------
>>> from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
>>> doc = {d.name: d for d in field_docs(ModelCalibrationConfig)}["gam_splines"]
>>> doc.json_type, doc.default, doc.meaning
('integer', '10', 'Number of splines of ``gam``, 4 to 200.')
>>> {d.name: d for d in field_docs(ModelCalibrationConfig)}["author"].default
'(required)'
>>> json_type(tuple[str, ...]), json_type(int | None)
('array of string', 'integer or null')
>>> {d.name: d for d in field_docs(ModelCalibrationConfig, env_vars={"GAM_SPLINES"})}["gam_splines"].env_var
'GAM_SPLINES'
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Collection, Mapping
from typing import Final

import attrs

from calibration_step.config.base import BasePipelineConfig
from calibration_step.converter import unstructure

__all__ = ["FieldDoc", "contract_env_vars", "field_docs", "json_type"]

_FALLBACK_MEANINGS: Final[Mapping[str, str]] = {
    "label_field": "The label column of the rows.",
    "objective": "The XGBoost learning objective (binary, multi-class probabilities or regression).",
}
"""Meanings of fields whose class docstring names them without a description, keyed by field name."""

_ENTRY = re.compile(r"(?P<names>[A-Za-z_]\w*(?:, [A-Za-z_]\w*)*)(?: : (?P<type>.*))?")


@attrs.frozen(kw_only=True)
class FieldDoc:
    """One field: its name, JSON type, docstring type line, default (JSON text) and meaning."""

    name: str
    json_type: str
    doc_type: str
    default: str
    meaning: str
    declared_in: str
    env_var: str | None = None
    """The env var the step's job receives the field's value in, if any."""


def _docstring_parameters(cls: type) -> dict[str, tuple[str, str]]:
    """``name -> (type line, description)`` from the numpydoc ``Parameters`` section of ``cls``'s own docstring."""
    lines = (inspect.cleandoc(cls.__dict__.get("__doc__") or "")).splitlines()
    try:
        start = next(i for i, line in enumerate(lines[:-1]) if line == "Parameters" and set(lines[i + 1]) == {"-"}) + 2
    except StopIteration:
        return {}
    entries: dict[str, tuple[str, str]] = {}
    current: list[str] = []
    description: list[str] = []
    type_line = ""
    for index in range(start, len(lines)):
        line = lines[index]
        if index + 1 < len(lines) and line and set(lines[index + 1]) == {"-"}:
            break  # the next section
        match = _ENTRY.fullmatch(line)
        if line and not line.startswith(" ") and match is not None:
            for name in current:
                entries[name] = (type_line, " ".join(description))
            current, description, type_line = match["names"].split(", "), [], match["type"] or ""
        elif line.strip():
            description.append(line.strip())
    for name in current:
        entries[name] = (type_line, " ".join(description))
    return entries


def json_type(hint: object) -> str:
    """How a field's annotation is written in the config JSON."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(arg) for arg in args)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(json_type(arg) for arg in args)
    if origin is tuple:
        return f"array of {json_type(args[0])}"
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return f"object of {json_type(args[1])}"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if isinstance(hint, type) and hint in names:
        return names[hint]
    return str(hint)


def _default(field: attrs.Attribute[object]) -> str:
    default = field.default
    if default is attrs.NOTHING:
        return "(required)"
    factory: object = getattr(default, "factory", None)
    if callable(factory):  # an attrs.Factory
        if getattr(default, "takes_self", False):
            return "(derived; see meaning)"
        return json.dumps(unstructure(factory()))
    return json.dumps(unstructure(default))


def contract_env_vars(cls: type[BasePipelineConfig]) -> frozenset[str]:
    """The env vars of the contract of the step ``cls`` configures (none for a class of no registered step).

    Examples
    --------
    >>> from calibration_step.steps.package import PackageConfig
    >>> sorted(contract_env_vars(PackageConfig))
    ['CALIBRATOR_FILE']
    """
    from calibration_step.steps import default_registry

    registry = default_registry()
    for name in registry.names():
        registration = registry.get(name)
        if registration.config_class is cls:
            contract = registration.contract
            return frozenset(str(env.value) for env in (*contract.required_env_vars, *contract.optional_env_vars))
    return frozenset()


def field_docs(cls: type[BasePipelineConfig], env_vars: Collection[str] = ()) -> list[FieldDoc]:
    """Every init field of ``cls`` in declaration order; ``meaning`` is ``""`` for an undescribed field.

    ``env_vars`` are the env vars of the step's contract: a field whose upper-cased name is one of
    them (the settings' naming rule) gets it as ``env_var``.
    """
    hints = typing.get_type_hints(cls)
    described: dict[str, tuple[str, str, str]] = {}
    for klass in reversed(cls.__mro__):
        for name, (doc_type, meaning) in _docstring_parameters(klass).items():
            described[name] = (doc_type, meaning, klass.__name__)
    docs = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        doc_type, meaning, declared_in = described.get(field.name, ("", "", ""))
        meaning = meaning or _FALLBACK_MEANINGS.get(field.name, "")
        docs.append(FieldDoc(name=field.name, json_type=json_type(hints[field.name]), doc_type=doc_type,
                             default=_default(field), meaning=meaning, declared_in=declared_in,
                             env_var=field.name.upper() if field.name.upper() in env_vars else None))
    return docs
