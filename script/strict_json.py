"""Strict JSON: the one reader of the JSON a user hands in (calibrator files, config files, the
list settings), and the check of parsed JSON values.

Standard library only (Python 3.10): this module ships with the processing script. Python's
``json`` lets the last of two equal keys win, recurses once per nesting level (a deep enough
document is a ``RecursionError``), reads ``NaN``/``Infinity`` and ``1e400`` (infinity), and reads
integers of any size, which then overflow where they become floats. :func:`strict_loads`
refuses all of these with :class:`JsonRefused` (a ``ValueError``) naming the JSON path:

- a key twice in one object;
- nesting deeper than :data:`MAX_JSON_DEPTH` (checked on the text before it is parsed);
- a number that is not a finite float: ``NaN``, ``Infinity``, a float literal beyond the
  float range, or an integer of magnitude :data:`MAX_JSON_INTEGER` or more.

:func:`check_json_value` applies the depth and number rules to values already parsed.

Examples
--------
>>> strict_loads('{"a": [1, 2.5, "x"]}')
{'a': [1, 2.5, 'x']}
>>> strict_loads('{"a": {"b": 1, "b": 2}}')
Traceback (most recent call last):
...
calibration_step.script.strict_json.JsonRefused: $.a: the key 'b' appears twice in one object
"""

from __future__ import annotations

import json
import math
import re
from typing import Final, Optional, Union

__all__ = ["JsonRefused", "MAX_JSON_DEPTH", "MAX_JSON_INTEGER", "check_json_value", "strict_loads"]

MAX_JSON_DEPTH: Final = 64
"""The deepest nesting of arrays and objects accepted (a calibrator file nests 4 deep, a config
file 5)."""
MAX_JSON_INTEGER: Final = 2**63
"""Integers must be smaller in magnitude (a count or a seed fits; ``10**400`` does not)."""

_STRING_OR_BRACKET: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonRefused(ValueError):
    """JSON this package does not read: the message names the JSON path and what is wrong.

    ``kind`` is ``repeated_key``, ``too_deep`` or ``number``.

    Examples
    --------
    >>> JsonRefused("number", "$.x", "NaN is not a finite number").kind
    'number'
    """

    def __init__(self, kind: str, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.kind = kind
        self.path = path


class _RepeatedKeys(dict):  # type: ignore[type-arg]  # a JSON object, like json's own dicts
    """A parsed object whose text repeats ``repeated`` (found and reported by the walk)."""

    repeated: str = ""


class _BadNumber:
    """A number of the text that is not a finite float (reported by the walk with its path)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            repeated = _RepeatedKeys(pairs)
            repeated.repeated = key
            return repeated
        result[key] = value
    return result


def _float(text: str) -> Union[float, _BadNumber]:
    value = float(text)
    return value if math.isfinite(value) else _BadNumber(text)


def _int(text: str) -> Union[int, _BadNumber]:
    if len(text) > 20:  # refused before int() reads thousands of digits
        return _BadNumber(text[:20] + "...")
    value = int(text)
    return value if abs(value) < MAX_JSON_INTEGER else _BadNumber(text)


def _check_depth(text: str, max_depth: int) -> None:
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonRefused("too_deep", "$", f"arrays and objects nest more than {max_depth} deep")
        elif token in "]}":
            depth -= 1


def _step(path: str, key: Union[str, int]) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def check_json_value(value: object, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JsonRefused` for the first repeated key, number that is not a finite float
    (or too large an integer) or nesting deeper than ``max_depth`` in a parsed JSON value.

    Examples
    --------
    >>> check_json_value({"x": [1.0, 10**400]})
    Traceback (most recent call last):
    ...
    calibration_step.script.strict_json.JsonRefused: $.x[1]: the integer 10000000000000000000... is not a finite float; numbers must be finite and integers smaller than 2**63
    """
    stack: list[tuple[object, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)) and depth >= max_depth:
            raise JsonRefused("too_deep", path, f"arrays and objects nest more than {max_depth} deep")
        if isinstance(item, _RepeatedKeys):
            raise JsonRefused("repeated_key", path, f"the key {item.repeated!r} appears twice in one object")
        if isinstance(item, dict):
            stack.extend((v, _step(path, str(k)), depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, _step(path, i), depth + 1) for i, v in enumerate(item))
        else:
            shown = _not_a_finite_float(item)
            if shown is not None:
                raise JsonRefused("number", path, f"{shown} is not a finite float; numbers must be finite and "
                                  "integers smaller than 2**63")


def _not_a_finite_float(item: object) -> Optional[str]:
    """How to name ``item`` when it is a number that is not a finite float, else None."""
    if isinstance(item, _BadNumber):
        return f"the number {item.text}"
    if isinstance(item, float) and not math.isfinite(item):
        return f"the number {item!r}"
    if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= MAX_JSON_INTEGER:
        digits = str(item) if abs(item) < 10**20 else f"{str(item)[:20]}..."
        return f"the integer {digits}"
    return None


def strict_loads(text: Union[str, bytes], max_depth: int = MAX_JSON_DEPTH) -> object:
    """Parse JSON ``text`` strictly (see the module docstring).

    Raises
    ------
    JsonRefused
        A repeated key, a nesting too deep or a number that is not a finite float, with its path.
    ValueError
        Text that is not JSON (``json.JSONDecodeError``), or bytes that are not UTF-8.

    Examples
    --------
    >>> strict_loads("[" * 65 + "]" * 65)
    Traceback (most recent call last):
    ...
    calibration_step.script.strict_json.JsonRefused: $: arrays and objects nest more than 64 deep
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    _check_depth(text, max_depth)
    value: object = json.loads(text, object_pairs_hook=_object, parse_float=_float, parse_int=_int,
                               parse_constant=_BadNumber)
    check_json_value(value, max_depth)
    return value
