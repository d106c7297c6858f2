"""Blocks made of other metric blocks: the multi-task aggregate of ``metrics.json`` and the
warning that the gate measured constant scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

import numpy as np

from ..errors import Code, WarningEntry, warning_entry
from .jsonvalues import JsonDict, json_number
from .metrics import ALL_PREDICTIONS_EQUAL


def multitask_metrics(tasks: Mapping[str, JsonDict]) -> JsonDict:
    """Per-task blocks and their aggregate; ``ece_equal_width`` is the worst task's."""
    eces = {name: json_number(block["ece_equal_width"]) for name, block in tasks.items()}
    worst = max(eces, key=lambda name: eces[name])

    def mean_of(key: str) -> Optional[float]:
        values = [float(v) for v in (block.get(key) for block in tasks.values())
                  if isinstance(v, (int, float))]
        return float(np.mean(values)) if values else None

    return {"ece_equal_width": eces[worst], "worst_task": worst,
            "aggregate": {"max_ece_equal_width": eces[worst],
                          "mean_ece_equal_width": mean_of("ece_equal_width"),
                          "mean_ece_equal_mass": mean_of("ece_equal_mass"),
                          "mean_brier": mean_of("brier"), "mean_log_loss": mean_of("log_loss"),
                          "mean_auc": mean_of("auc"), "tasks": len(tasks)},
            "tasks": dict(tasks)}


def uninformative_gate_warnings(uncalibrated: Mapping[str, object]) -> list[WarningEntry]:
    """``MC-W201-UNINFORMATIVE-GATE`` when the scores evaluated are all equal: in the
    uncalibrated block, or in any task's or class's block inside it. The gate's ECE then measures
    the base rate only (a constant score's calibrated value is the base rate), so its pass says
    nothing about the scores.

    >>> [w["code"] for w in uninformative_gate_warnings(
    ...     {"calibration_slope_null_reason": ALL_PREDICTIONS_EQUAL, "ece_equal_width": 0.0})]
    ['MC-W201-UNINFORMATIVE-GATE']
    """
    constant: list[str] = []
    stack: list[tuple[str, Mapping[str, object]]] = [("", uncalibrated)]
    while stack:
        where, block = stack.pop()
        if block.get("calibration_slope_null_reason") == ALL_PREDICTIONS_EQUAL:
            constant.append(where or "all rows")
        stack.extend((f"{where}.{key}" if where else str(key), value)
                     for key, value in sorted(block.items(), reverse=True)
                     if isinstance(value, Mapping) and key != "bins")
    if not constant:
        return []
    return [warning_entry(
        Code.MC_W201_UNINFORMATIVE_GATE,
        f"every score is the same value (uncalibrated block: {', '.join(constant[:10])}): the ECE gate "
        "measures the base rate only, so passing it says nothing about the scores (they rank no row "
        "above another)")]
