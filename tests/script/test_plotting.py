"""The diagram's PNG writer (png_bytes) and the diagram drawn from stored metrics blocks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from calibration_step.script.model_calibration.plotting import (PLOT_DPI, metrics_panels,
                                                                png_bytes, reliability_png)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "script"


@pytest.mark.parametrize("rows", [1, 37, 600])  # 600: blocks of rows, each filtered from the last
def test_png_bytes_decode_to_the_pixels_and_the_dpi(rows: int) -> None:
    rng = np.random.default_rng(rows)
    rgba = rng.integers(0, 256, size=(rows, 53, 4), dtype=np.uint8)
    rgba[5:300] = rgba[min(4, rows - 1)]  # repeated rows, as a chart's are
    with Image.open(io.BytesIO(png_bytes(rgba, 150))) as image:
        image.load()
        assert image.mode == "RGB" and image.size == (53, rows)
        assert np.array_equal(np.asarray(image), rgba[:, :, :3])
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.05)


@pytest.mark.parametrize("run,panels", [("binary_isotonic", 1), ("multiclass_temperature", 4),
                                        ("multitask_platt", 2)])
def test_the_diagram_of_stored_metrics_is_a_png_of_its_grid(run: str, panels: int) -> None:
    metrics = json.loads((GOLDEN / run / "metrics.json").read_text(encoding="utf-8"))
    shown = metrics_panels(metrics["mode"], metrics["uncalibrated"], metrics["calibrated"])
    assert len(shown) == panels
    with Image.open(io.BytesIO(reliability_png(shown, "method x", "equal_mass"))) as image:
        image.load()
        cols = int(np.ceil(np.sqrt(panels)))
        rows = int(np.ceil(panels / cols))
        inches = (7.0, 8.4 + 0.9) if panels == 1 else (5.2 * cols, 6.4 * rows + 0.9)
        assert image.size == (round(inches[0] * PLOT_DPI), round(inches[1] * PLOT_DPI))
        pixels = np.asarray(image)
    assert pixels.min() < 64 and (pixels == 255).mean() > 0.5  # drawn on white


def _drawn_axes(ylim: tuple[float, float]) -> tuple[FigureCanvasAgg, Axes]:
    """Axes of a figure on an Agg canvas, the views and axis labels of a count histogram."""

    fig = Figure(figsize=(4, 3), dpi=PLOT_DPI)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(*ylim)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("rows per bin")
    return canvas, ax


def test_ticks_are_drawn_as_marks_and_texts_with_the_axis_labels_beyond_them() -> None:
    from calibration_step.script.model_calibration.plotting import _ticks_in_view

    canvas, ax = _drawn_axes((0.0, 350.0))
    expected = {}
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        low, high = axis.get_view_interval()
        locations = [float(v) for v in axis.get_majorticklocs() if low <= v <= high]
        expected[name] = (locations, axis.get_major_formatter().format_ticks(locations))
        _ticks_in_view(axis)
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's Agg canvas is unannotated
    assert len(ax.xaxis.get_majorticklocs()) == len(ax.yaxis.get_majorticklocs()) == 0
    assert expected["x"][1][0] == "0.0" and expected["y"][1][-1] == "350"
    n_x = len(expected["x"][0])
    x_texts, y_texts = ax.texts[:n_x], ax.texts[n_x:]
    assert [t.get_text() for t in x_texts] == expected["x"][1]
    assert [t.get_text() for t in y_texts] == expected["y"][1]
    assert [float(t.get_position()[0]) for t in x_texts] == expected["x"][0]
    assert [float(t.get_position()[1]) for t in y_texts] == expected["y"][0]
    x_marks, y_marks = (np.asarray(line.get_xydata()) for line in ax.lines)
    assert x_marks[:, 0].tolist() == expected["x"][0]
    assert y_marks[:, 1].tolist() == expected["y"][0]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]  # unannotated, as draw
    frame = ax.get_window_extent(renderer)
    x_boxes = [t.get_window_extent(renderer) for t in x_texts]
    y_boxes = [t.get_window_extent(renderer) for t in y_texts]
    xlabel = ax.xaxis.label.get_window_extent(renderer)
    ylabel = ax.yaxis.label.get_window_extent(renderer)
    # each tick label outside the axes, each axis label beyond its tick labels and near them
    assert all(b.y1 < frame.y0 for b in x_boxes) and all(b.x1 < frame.x0 for b in y_boxes)
    assert 0 < min(b.y0 for b in x_boxes) - xlabel.y1 < 0.2 * PLOT_DPI
    assert 0 < min(b.x0 for b in y_boxes) - ylabel.x1 < 0.2 * PLOT_DPI


def test_an_axis_whose_labels_need_an_offset_keeps_matplotlibs_ticks() -> None:
    from calibration_step.script.model_calibration.plotting import _ticks_in_view

    canvas, ax = _drawn_axes((0.0, 3.5e6))
    _ticks_in_view(ax.yaxis)
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's Agg canvas is unannotated
    locations = ax.yaxis.get_majorticklocs()
    assert len(locations) > 2 and max(locations) <= 3.5e6 and not ax.texts
    assert ax.yaxis.get_offset_text().get_text() == "1e6"


def test_inward_ticks_are_left_to_matplotlib() -> None:
    import matplotlib

    from calibration_step.script.model_calibration.plotting import _ticks_in_view

    with matplotlib.rc_context({"ytick.direction": "in"}):
        canvas, ax = _drawn_axes((0.0, 350.0))
        _ticks_in_view(ax.xaxis)
        _ticks_in_view(ax.yaxis)
        canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's Agg canvas is unannotated
    assert len(ax.yaxis.get_majorticklocs()) > 2 and len(ax.xaxis.get_majorticklocs()) == 0
    # the x axis's labels only: 0.0, 0.2, ..., 1.0
    assert [t.get_text() for t in ax.texts] == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
