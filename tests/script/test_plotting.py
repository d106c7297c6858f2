"""The diagram's PNG writer (png_bytes) and the diagram drawn from stored metrics blocks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
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
