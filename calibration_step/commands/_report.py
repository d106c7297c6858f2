"""Text the commands print: the metrics table (uncalibrated vs calibrated) and file listings.

Examples
--------
>>> metrics = {"uncalibrated": {"ece_equal_width": 0.0969, "auc": 0.81, "auc_null_reason": None},
...            "calibrated": {"ece_equal_width": 0.0075, "auc": None, "auc_null_reason": "single class"},
...            "threshold": {"metric": "calibrated.ece_equal_width", "value": 0.0075,
...                          "threshold": 0.05, "passed": True}}
>>> print(metrics_table(metrics))  # doctest: +NORMALIZE_WHITESPACE
metric                     uncalibrated  calibrated
ECE (equal width)              0.096900    0.007500
AUC                            0.810000           -
threshold: calibrated.ece_equal_width = 0.0075 <= 0.05: passed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

__all__ = ["file_listing", "metrics_table"]

_METRIC_ROWS: Final[Sequence[tuple[str, str]]] = (
    ("ece_equal_width", "ECE (equal width)"),
    ("ece_equal_mass", "ECE (equal mass)"),
    ("mce_equal_width", "MCE (equal width)"),
    ("rmsce_equal_width", "RMSCE (equal width)"),
    ("brier", "Brier score"),
    ("log_loss", "log loss"),
    ("auc", "AUC"),
    ("calibration_slope", "calibration slope"),
    ("calibration_intercept", "calibration intercept"),
    ("spiegelhalter_z", "Spiegelhalter Z"),
)
"""Keys of a metrics block (``metrics.json``'s ``uncalibrated``/``calibrated``) and their labels, in table order."""


def _cell(block: object, key: str) -> str:
    value = block.get(key) if isinstance(block, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-"
    return f"{value:.6f}"


def metrics_table(metrics: Mapping[str, object]) -> str:
    """The metrics of ``metrics.json`` found in both blocks, one row each, then the threshold verdict."""
    before, after = metrics.get("uncalibrated"), metrics.get("calibrated")
    rows = [(label, _cell(before, key), _cell(after, key)) for key, label in _METRIC_ROWS]
    rows = [row for row in rows if row[1:] != ("-", "-")]
    width = max([len("metric")] + [len(label) for label, _, _ in rows])
    lines = [f"{'metric':<{width}}  {'uncalibrated':>12}  {'calibrated':>10}"]
    lines += [f"{label:<{width}}  {left:>12}  {right:>10}" for label, left, right in rows]
    threshold = metrics.get("threshold")
    if isinstance(threshold, Mapping):
        verdict = "passed" if threshold.get("passed") is True else "NOT passed"
        value = threshold.get("value")
        shown = f"{value:.4g}" if isinstance(value, (int, float)) else str(value)
        lines.append(f"threshold: {threshold.get('metric')} = {shown} <= {threshold.get('threshold')}: {verdict}")
    return "\n".join(lines)


def file_listing(root: Path) -> list[str]:
    """Every visible file under ``root``, as sorted POSIX paths relative to it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     (Path(folder) / "a").mkdir()
    ...     _ = (Path(folder) / "a" / "x.json").write_text("{}")
    ...     _ = (Path(folder) / ".hidden").write_text("")
    ...     file_listing(Path(folder))
    ['a/x.json']
    """
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
