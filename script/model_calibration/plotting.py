"""The reliability diagram, ``reliability_diagram.png``: uncalibrated vs calibrated
reliability curves and the score histogram, one panel per task or class in a grid.

matplotlib is imported on a background thread while the job fits (:func:`preload_plotting`);
a plotting failure is recorded in ``metrics.plot`` by the caller, never fatal.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np

from .jsonvalues import json_get, json_number
from .logs import logger
from .numerics import FloatArray

if TYPE_CHECKING:  # matplotlib is imported lazily, by plot_reliability only
    from matplotlib.axes import Axes

Panel = tuple[str, Mapping[str, object], Mapping[str, object]]
MAX_PLOT_PANELS = 36


def _import_plotting() -> None:
    """Import matplotlib with the Agg backend (what :func:`plot_reliability` needs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  # the import is the point


def preload_plotting() -> Optional[threading.Thread]:
    """Start importing matplotlib on a background thread, so that its ~0.3 s import overlaps
    reading and fitting instead of adding to the run (the reliability diagram is drawn last).
    Any failure is left for :func:`plot_reliability` to meet and report; None when matplotlib
    is imported already.
    """
    if "matplotlib.pyplot" in sys.modules:
        return None

    def run() -> None:
        try:
            _import_plotting()
        except Exception:  # plot_reliability imports again and records the error
            logger.debug("preloading matplotlib failed", exc_info=True)

    thread = threading.Thread(target=run, name="preload-matplotlib", daemon=True)
    thread.start()
    return thread


def plot_reliability(path: str, panels: Sequence[Panel],
                     evaluation: str = "cross-fitted calibration") -> None:
    """Reliability diagram (equal-width bins): one panel per class or task, in a grid.

    Each panel holds the uncalibrated and calibrated reliability curves over the diagonal and,
    below them, the histogram of predictions; at most ``MAX_PLOT_PANELS`` panels are drawn.
    """
    _import_plotting()
    import matplotlib.pyplot as plt

    shown = list(panels)[:MAX_PLOT_PANELS]
    cols = max(1, math.ceil(math.sqrt(len(shown))))
    grid_rows = math.ceil(len(shown) / cols)
    single = len(shown) == 1
    fig, axes = plt.subplots(2 * grid_rows, cols, figsize=(6, 8) if single else
                             (4.5 * cols, 6 * grid_rows), height_ratios=[3, 1] * grid_rows,
                             squeeze=False)
    try:
        for i in range(grid_rows * cols):
            top, bottom = axes[2 * (i // cols)][i % cols], axes[2 * (i // cols) + 1][i % cols]
            if i >= len(shown):
                top.axis("off")
                bottom.axis("off")
                continue
            title, uncalibrated, calibrated = shown[i]
            _reliability_panel(top, bottom, uncalibrated, calibrated)
            top.set_title(f"{title} ({evaluation})" if title else
                          f"Reliability diagram ({evaluation})")
        if len(panels) > len(shown):
            fig.suptitle(f"first {len(shown)} of {len(panels)} panels")
        # tight_layout costs ~0.4 s per panel; fixed spacing is enough for this layout.
        fig.subplots_adjust(hspace=0.3 if single else 0.5, wspace=0.25)
        fig.savefig(path, dpi=100 if single else 80)
    finally:
        plt.close(fig)


def _reliability_panel(top_ax: Axes, bottom_ax: Axes, uncalibrated: Mapping[str, object],
                       calibrated: Mapping[str, object]) -> None:
    top_ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for label, block in (("uncalibrated", uncalibrated), ("calibrated", calibrated)):
        bins = json_get(block, "bins", "equal_width")
        xs = _json_floats(bins.get("mean_predicted"))
        ys = _json_floats(bins.get("observed_rate"))
        keep = ~(np.isnan(xs) | np.isnan(ys))
        top_ax.plot(xs[keep], ys[keep], marker="o", label=f"{label} (ECE "
                    f"{json_number(block.get('ece_equal_width')):.4f})")
        counts = _json_floats(bins.get("count"))
        n_bins = counts.shape[0]
        edges = np.arange(n_bins) / n_bins
        bottom_ax.bar(edges, counts, width=1.0 / n_bins, align="edge", alpha=0.5, label=label)
    top_ax.set_ylabel("observed positive rate")
    top_ax.legend(loc="upper left")
    bottom_ax.set_xlabel("predicted probability")
    bottom_ax.set_ylabel("rows")
    bottom_ax.legend(loc="upper center")


def _json_floats(value: object) -> FloatArray:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return np.array([math.nan if v is None else float(v) for v in value], dtype=np.float64)
