"""JSON values: the type of the JSON objects the script writes, and typed reads of the values
inside them (the metrics blocks are built as JSON and read back by the selection, the gate and
the plot)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Union

JsonDict = dict[str, object]


def int_if_integral(value: float) -> Union[int, float]:
    """An integral sum as ``int`` (row counts), any other as ``float`` (sums of weights).

    >>> int_if_integral(3.0), int_if_integral(2.5)
    (3, 2.5)
    """
    return int(value) if float(value).is_integer() else float(value)


def json_get(block: Mapping[str, object], *keys: str) -> Mapping[str, object]:
    """The JSON object at ``keys`` inside ``block``; ``TypeError`` where a value is no object.

    >>> json_get({"bins": {"equal_width": {"n_bins": 15}}}, "bins", "equal_width")
    {'n_bins': 15}
    """
    current: object = block
    for key in keys:
        if not isinstance(current, Mapping):
            raise TypeError(f"{key} is not an object")
        current = current[key]
    if not isinstance(current, Mapping):
        raise TypeError("not an object")
    return current


def json_number(value: object) -> float:
    """A JSON number as a float; ``TypeError`` for anything else (null included).

    >>> json_number(1)
    1.0
    """
    if not isinstance(value, (int, float)):
        raise TypeError("not a number")
    return float(value)
