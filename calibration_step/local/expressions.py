"""Pipeline expressions: ``Get``, ``Std:Join`` and ``Std:JsonGet``, found, checked and evaluated.

A pipeline definition's values are JSON with three kinds of placeholder, resolved when the step
runs (https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html, "Step
properties"; the SDK's ``sagemaker.workflow.functions`` writes ``Std:Join`` and ``Std:JsonGet``):

- ``{"Get": "Parameters.<name>"}``, ``{"Get": "Execution.<variable>"}`` and
  ``{"Get": "Steps.<step>.<property path>"}``;
- ``{"Std:Join": {"On": sep, "Values": [...]}}``: the values as text, joined by ``sep``
  (booleans as ``true``/``false``, numbers as JSON writes them);
- ``{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.<step>.PropertyFiles.<file>"}, "Path": p}}``
  (or ``"S3Uri": ...`` in place of ``PropertyFile``): the value at ``p`` in a JSON document.

Examples
--------
>>> scope = Scope(parameters={"Prefix": "s3://b/runs"}, execution={"PipelineExecutionId": "e1"})
>>> evaluate({"Std:Join": {"On": "/", "Values": [{"Get": "Parameters.Prefix"},
...           {"Get": "Execution.PipelineExecutionId"}, "out"]}}, scope)
's3://b/runs/e1/out'
>>> sorted(references({"a": [{"Get": "Parameters.Prefix"}, {"Get": "Steps.Fit.ProcessingJobName"}]}))
['Parameters.Prefix', 'Steps.Fit.ProcessingJobName']
>>> lookup({"Outputs": [{"OutputName": "m", "S3Output": {"S3Uri": "s3://b/m"}}]},
...        "Outputs['m'].S3Output.S3Uri", where="a property")
's3://b/m'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Final

import attrs

from calibration_step.errors import Code, LocalExecutionError, StepFailure

__all__ = ["Scope", "evaluate", "lookup", "path_tokens", "references", "step_reference", "text_of"]

GET: Final = "Get"
JOIN: Final = "Std:Join"
JSON_GET: Final = "Std:JsonGet"
_TOKEN = re.compile(r"""\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[(['"])(.*?)\3\]""")


def _no_properties(step: str) -> Mapping[str, object]:
    raise LocalExecutionError(Code.LOCAL_STEP_UNKNOWN, f"no properties of step {step!r} are available here.",
                              hint="reference only steps of the definition")


def _no_document(step: str, name: str) -> object:
    raise LocalExecutionError(Code.LOCAL_PROPERTY_FILE, f"no property file {name!r} of step {step!r} is available here.",
                              hint="declare the property file on the step that writes it")


def _no_json(uri: str) -> object:
    raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"no JSON document at {uri!r} is available here.",
                              hint="read JSON documents only while executing")


@attrs.frozen(kw_only=True)
class Scope:
    """What expressions read: parameter values, execution variables, finished steps' properties and files.

    ``properties(step)`` gives a finished step's properties; ``property_file(step, name)`` the
    parsed JSON of one of its property files; ``json_document(uri)`` the parsed JSON object at an
    S3 URI (for ``Std:JsonGet`` with ``S3Uri``).
    """

    parameters: Mapping[str, object] = attrs.field(factory=dict)
    execution: Mapping[str, object] = attrs.field(factory=dict)
    properties: Callable[[str], Mapping[str, object]] = _no_properties
    property_file: Callable[[str, str], object] = _no_document
    json_document: Callable[[str], object] = _no_json


def path_tokens(path: str, *, where: str) -> tuple[str | int, ...]:
    """``a.b[0]['c d']`` as ``('a', 'b', 0, 'c d')``.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-PATH`` naming ``where`` when ``path`` is not of that form.
    """
    tokens: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or (position == 0 and match[0].startswith(".")):
            raise LocalExecutionError(Code.LOCAL_PATH, f"{where}: cannot read the path {path!r} at character {position}.",
                                      hint="write names separated by dots, [N] for a list index, ['name'] for a named item")
        name, index, _quote, key = match.groups()
        tokens.append(name if name is not None else int(index) if index is not None else key)
        position = match.end()
    return tuple(tokens)


def _named_item(items: list[object], name: str) -> object:
    """The item of a SageMaker list whose ``...Name`` field (``OutputName``, ``InputName`` ...) is ``name``."""
    for item in items:
        if isinstance(item, Mapping) and any(k.endswith("Name") and v == name for k, v in item.items()):
            return item
    raise KeyError(name)


def lookup(document: object, path: str, *, where: str) -> object:
    """The value at ``path`` in ``document``; ``['name']`` on a list picks the item named so.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-PATH`` when the path is malformed or leads nowhere (the message names ``where``).
    """
    value = document
    for token in path_tokens(path, where=where):
        try:
            if isinstance(value, Mapping) and isinstance(token, str):
                value = value[token]
            elif isinstance(value, list):
                value = value[token] if isinstance(token, int) else _named_item(value, token)
            else:
                raise KeyError(token)
        except (KeyError, IndexError):
            raise LocalExecutionError(Code.LOCAL_PATH, f"{where}: {path!r} has no {token!r}.",
                                      hint="check the path against the document it reads") from None
    return value


def text_of(value: object) -> str:
    """A value as text: strings as they are, booleans ``true``/``false``, numbers as JSON writes them."""
    return value if isinstance(value, str) else json.dumps(value)


def step_reference(reference: str) -> tuple[str, str] | None:
    """``("Fit", "ProcessingJobName")`` for ``"Steps.Fit.ProcessingJobName"``; None for other references."""
    if not reference.startswith("Steps."):
        return None
    step, _, rest = reference[len("Steps."):].partition(".")
    return step, rest


def references(value: object) -> Iterator[str]:
    """Every ``Get`` reference in ``value`` (in ``Std:Join`` and ``Std:JsonGet`` too), in order."""
    if isinstance(value, Mapping):
        if GET in value and isinstance(value[GET], str):
            yield value[GET]
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _function_body(value: Mapping[str, object], name: str) -> Mapping[str, object]:
    body = value[name]
    if len(value) != 1 or not isinstance(body, Mapping):
        raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"{name} must be the only key of its object, holding an object; "
                                  f"got {json.dumps(value)[:200]}.", hint=f"write {{\"{name}\": {{...}}}}")
    return body


def _get(reference: str, scope: Scope) -> object:
    kind, _, rest = reference.partition(".")
    if kind == "Parameters" and rest in scope.parameters:
        return scope.parameters[rest]
    if kind == "Execution" and rest in scope.execution:
        return scope.execution[rest]
    step = step_reference(reference)
    if step is not None:
        name, path = step
        if path.startswith("PropertyFiles."):
            raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"{reference!r} is a property file, not a value.",
                                      hint="read a property file with Std:JsonGet and a Path")
        return lookup(scope.properties(name), path, where=f"property {reference!r}")
    raise LocalExecutionError(Code.LOCAL_REFERENCE, f"{reference!r} is not available.",
                              hint="reference a declared parameter, an execution variable or a step property")


def _join(body: Mapping[str, object], scope: Scope) -> str:
    separator, values = body.get("On", ""), body.get("Values")
    if not isinstance(separator, str) or not isinstance(values, list):
        raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"Std:Join needs On (text) and Values (a list); got {body!r}.",
                                  hint='write {"Std:Join": {"On": "/", "Values": [...]}}')
    return separator.join(text_of(evaluate(item, scope)) for item in values)


def _json_get(body: Mapping[str, object], scope: Scope) -> object:
    path, source, uri = body.get("Path"), body.get("PropertyFile"), body.get("S3Uri")
    if not isinstance(path, str):
        raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"Std:JsonGet needs a Path (text); got {body!r}.",
                                  hint='write {"Std:JsonGet": {"PropertyFile": {"Get": ...}, "Path": "a.b"}}')
    if isinstance(source, Mapping) and isinstance(source.get(GET), str):
        step = step_reference(str(source[GET]))
        if step is None or not step[1].startswith("PropertyFiles."):
            raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"Std:JsonGet's PropertyFile must be Steps.<step>.PropertyFiles."
                                      f"<name>; got {source[GET]!r}.", hint="name a property file of a processing step")
        document = scope.property_file(step[0], step[1][len("PropertyFiles."):])
        where = f"property file {source[GET]!r}"
    elif uri is not None:
        location = text_of(evaluate(uri, scope))
        document, where = scope.json_document(location), f"JSON document {location!r}"
    else:
        raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"Std:JsonGet needs a PropertyFile or an S3Uri; got {body!r}.",
                                  hint="give PropertyFile: {\"Get\": \"Steps.<step>.PropertyFiles.<name>\"}")
    try:
        return lookup(document, path, where=where)
    except LocalExecutionError as error:
        raise StepFailure(Code.LOCAL_JSONGET, error.message, hint="write the value at that path, or fix the Path") from None


def evaluate(value: object, scope: Scope) -> object:
    """``value`` with every expression in it replaced by what it evaluates to.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-EXPRESSION`` for an unknown or malformed function, ``LOCAL-REFERENCE`` for a
        reference the scope lacks, ``LOCAL-PATH`` for a property path that leads nowhere.
    StepFailure
        ``LOCAL-JSONGET`` when a JSON document has nothing at a ``Std:JsonGet`` path.
    """
    if isinstance(value, Mapping):
        if GET in value:
            reference = value[GET]
            if len(value) != 1 or not isinstance(reference, str):
                raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"Get must be the only key, holding text; got {value!r}.",
                                          hint='write {"Get": "Parameters.<name>"}')
            return _get(reference, scope)
        if JOIN in value:
            return _join(_function_body(value, JOIN), scope)
        if JSON_GET in value:
            return _json_get(_function_body(value, JSON_GET), scope)
        unknown = [key for key in value if key.startswith("Std:")]
        if unknown:
            raise LocalExecutionError(Code.LOCAL_EXPRESSION, f"the function {unknown[0]!r} is not supported locally.",
                                      hint="the local executor evaluates Get, Std:Join and Std:JsonGet")
        return {key: evaluate(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    return value
