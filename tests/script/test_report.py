"""The diagram and the HTML report: drawn without warnings for binary, multi-class and multi-task
runs and both binnings (``RELIABILITY_BINS``), self-contained, every section present;
``calibration-step report`` renders a finished run from its metrics.json alone, with the bins the
run drew or ``--bins``."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration_step.cli import main as cli_main
from calibration_step.script.interface import (METRICS_FILE, RELIABILITY_DIAGRAM_FILE, REPORT_FILE,
                                               ModelCalibrationOutput)
from calibration_step.script.model_calibration.plotting import metrics_panels, wilson_interval
from calibration_step.script.model_calibration.report import REPORT_SECTIONS
from tests.script.synthetic import (multiclass_scenario, read_json, run_main, scenario, write_csv,
                                    write_multiclass)

PNG = b"\x89PNG\r\n\x1a\n"


def _binary_run(root: Path, rows: int, env: dict[str, str] | None = None) -> Path:
    s, y, _ = scenario("nonlinear", rows, seed=5)
    write_csv(str(root / "in" / "d.csv"), s, y)
    out = run_main(str(root / "in"), str(root / "out"), {"CALIBRATION_FOLDS": "3", **(env or {})})
    return Path(out[ModelCalibrationOutput.METRICS_OUTPUT.value])


def _multiclass_run(root: Path, env: dict[str, str] | None = None) -> Path:
    scores, labels, _ = multiclass_scenario(1500, seed=3)
    write_multiclass(str(root / "in" / "d.csv"), scores, labels)
    out = run_main(str(root / "in"), str(root / "out"),
                   {"IS_BINARY": "false", "NUM_CLASSES": "3", "CALIBRATION_FOLDS": "3",
                    "CALIBRATION_METHOD": "temperature", **(env or {})})
    return Path(out[ModelCalibrationOutput.METRICS_OUTPUT.value])


def _multitask_run(root: Path, env: dict[str, str] | None = None) -> Path:
    s_a, y_a, _ = scenario("linear", 2000, seed=7)
    s_b, y_b, _ = scenario("nonlinear", 2000, seed=8)
    (root / "in").mkdir(parents=True)
    frame = pd.DataFrame({"score_a": s_a, "label_a": y_a, "score_b": s_b, "label_b": y_b})
    frame.loc[:49, "label_b"] = np.nan
    frame.to_parquet(root / "in" / "d.parquet", index=False)
    out = run_main(str(root / "in"), str(root / "out"),
                   {"SCORE_FIELDS": '["score_a", "score_b"]',
                    "TASK_LABEL_NAMES": '["label_a", "label_b"]', "CALIBRATION_FOLDS": "3",
                    "CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["platt", "isotonic"]',
                    **(env or {})})
    return Path(out[ModelCalibrationOutput.METRICS_OUTPUT.value])


def _check_page(page: str, mode: str, bins: str = "equal-width") -> None:
    assert page.startswith("<!DOCTYPE html>")
    for section in REPORT_SECTIONS:
        assert f'<section id="{section}">' in page, section
    # self-contained: no link, script or image from anywhere else
    assert not re.search(r"(src|href)=\"(?!data:image/png;base64,)", page)
    bare = re.sub(r"base64,[A-Za-z0-9+/=]+", "", page)  # the image's bytes may spell anything
    assert "<script" not in bare and "http" not in bare
    image = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert image is not None and base64.b64decode(image.group(1))[:8] == PNG
    assert "Metrics before and after" in page and "CORP MCB" in page
    assert f"Calibration report: {mode}" in page
    assert f"points: {bins} bins with Wilson 95% intervals" in page


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("kind,bins", [
    ("binary_300", "equal_width"), ("binary_auto", "equal_width"), ("multiclass", "equal_width"),
    ("multitask", "equal_width"), ("binary_300", "equal_mass"), ("multiclass", "equal_mass"),
    ("multitask", "equal_mass")])
def test_runs_draw_the_diagram_and_the_report_without_warnings(tmp_path: Path, kind: str,
                                                              bins: str) -> None:
    env = {"RELIABILITY_BINS": bins}
    folder = {"binary_300": lambda: _binary_run(tmp_path, 300, env),
              "binary_auto": lambda: _binary_run(tmp_path, 3000, {
                  "CALIBRATION_METHOD": "auto", "AUTO_CANDIDATES": '["platt", "gam"]', **env}),
              "multiclass": lambda: _multiclass_run(tmp_path, env),
              "multitask": lambda: _multitask_run(tmp_path, env)}[kind]()
    metrics = read_json(str(folder / METRICS_FILE))
    assert metrics["plot"]["written"] is True  # type: ignore[index]
    assert metrics["plot"]["bins"] == bins  # type: ignore[index]
    assert metrics["report"] == {"file": REPORT_FILE, "written": True, "error": None}
    assert (folder / RELIABILITY_DIAGRAM_FILE).read_bytes()[:8] == PNG
    page = (folder / REPORT_FILE).read_text(encoding="utf-8")
    mode = str(metrics["mode"])
    _check_page(page, mode, bins.replace("_", "-"))
    summary = read_json(str(folder / "summary.json"))
    assert REPORT_FILE in summary["files"]["metrics_output"]  # type: ignore[index]
    if kind == "binary_auto":  # auto's table: every candidate and the reason
        assert "<th>candidate</th>" in page and "platt" in page and "selected <b>" in page
    if kind == "multitask":
        assert "task score_a" in page and "task score_b" in page
        assert "missing label: 50" in page
    if kind == "multiclass":
        assert "class 2 (one-vs-rest)" in page and "top label" in page
    assert ("passed" in page) and ("threshold" in page)


def test_report_command_redraws_a_finished_run_from_metrics_json_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _binary_run(tmp_path, 800)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / METRICS_FILE).write_bytes((folder / METRICS_FILE).read_bytes())  # no data, no png
    assert cli_main(["report", str(alone)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {alone / REPORT_FILE}"
    page = (alone / REPORT_FILE).read_text(encoding="utf-8")
    _check_page(page, "binary")
    # the same page as the run's own but for the diagram's bytes
    strip = re.compile(r"base64,[A-Za-z0-9+/=]+")
    assert strip.sub("", page) == strip.sub("", (folder / REPORT_FILE).read_text(encoding="utf-8"))


def test_report_command_redraws_with_the_bins_the_run_drew_or_those_of_bins(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _binary_run(tmp_path, 600, {"RELIABILITY_BINS": "equal_mass"})
    run_page = (folder / REPORT_FILE).read_text(encoding="utf-8")
    _check_page(run_page, "binary", "equal-mass")
    redrawn = tmp_path / "redrawn.html"
    assert cli_main(["report", str(folder), "--output", str(redrawn)]) == 0
    strip = re.compile(r"base64,[A-Za-z0-9+/=]+")
    assert strip.sub("", redrawn.read_text(encoding="utf-8")) == strip.sub("", run_page)
    assert cli_main(["report", str(folder), "--output", str(redrawn), "--overwrite",
                     "--bins", "equal_width"]) == 0
    _check_page(redrawn.read_text(encoding="utf-8"), "binary", "equal-width")
    assert cli_main(["report", str(folder), "--bins", "quantile"]) == 2
    assert "CLI-USAGE" in capsys.readouterr().err


@pytest.mark.parametrize("bins", ["equal_width", "equal_mass"])
def test_the_panel_draws_the_chosen_bins_points_and_ranges(tmp_path: Path, bins: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from calibration_step.script.model_calibration.plotting import _reliability_panel

    metrics = read_json(str(_binary_run(tmp_path, 300) / METRICS_FILE))
    blocks = (metrics["uncalibrated"], metrics["calibrated"])
    assert all(isinstance(block, dict) for block in blocks)
    (_, uncalibrated, calibrated), = metrics_panels("binary", *blocks)  # type: ignore[arg-type]
    fig, (top, bottom) = plt.subplots(2, 1)
    try:
        _reliability_panel(top, bottom, uncalibrated, calibrated, bins)
        # one errorbar container and one collection of bars per prediction, uncalibrated first
        assert len(top.containers) == len(bottom.collections) == 2
        for block, points, bars in zip((uncalibrated, calibrated), top.containers,
                                       bottom.collections):
            stored = block["bins"][bins]  # type: ignore[index]
            means = [v for v in stored["mean_predicted"] if v is not None]
            xs, _ = points.lines[0].get_data()
            assert np.allclose(xs, means)
            # a bar of each bin's rows: every equal-width bin, each equal-mass bin with a range
            counts = [n for n, low in zip(stored["count"], stored["lower"])
                      if bins == "equal_width" or low is not None]
            corners = [path.vertices for path in bars.get_paths()]
            assert np.allclose([c[:, 1].max() for c in corners], counts)
            lefts = np.array([c[:, 0].min() for c in corners])
            rights = np.array([c[:, 0].max() for c in corners])
            if bins == "equal_mass":  # each bar over its bin's range of predictions
                lows = np.array([v for v in stored["lower"] if v is not None])
                highs = np.array([v for v in stored["upper"] if v is not None])
                assert np.all(lefts <= lows + 1e-12) and np.all(highs <= rights + 1e-12)
            else:
                assert np.all(lefts >= -1e-12) and np.all(rights <= 1.0 + 1e-12)
    finally:
        plt.close(fig)


def test_report_command_refuses_to_overwrite_and_a_folder_without_metrics(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _binary_run(tmp_path, 400)
    assert cli_main(["report", str(folder)]) == 2
    assert "CLI-OUTPUT-EXISTS" in capsys.readouterr().err
    assert cli_main(["report", str(folder), "--overwrite"]) == 0
    assert cli_main(["report", str(tmp_path / "nowhere")]) == 2
    assert re.search(r"CLI-REPORT-INPUT.*cannot read .*metrics\.json", capsys.readouterr().err)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / METRICS_FILE).write_text(json.dumps({"schema_version": 2}))
    assert cli_main(["report", str(tmp_path / "other")]) == 2
    assert "is not the metrics.json of a calibration run" in capsys.readouterr().err
    (tmp_path / "other" / METRICS_FILE).write_text('{"calibrated": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert cli_main(["report", str(tmp_path / "other")]) == 2
    assert re.search(r"CLI-REPORT-INPUT.*nest more than", capsys.readouterr().err)


def test_a_report_failure_is_recorded_not_fatal(tmp_path: Path, no_plot: list[int],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from calibration_step.script.model_calibration import runner

    def broken(*args: object) -> str:
        raise ValueError("cannot render")

    monkeypatch.setattr(runner, "render_report", broken)
    folder = _binary_run(tmp_path, 300)
    metrics = read_json(str(folder / METRICS_FILE))
    assert metrics["report"] == {"file": REPORT_FILE, "written": False,
                                 "error": "ValueError: cannot render"}
    assert not (folder / REPORT_FILE).exists()
    assert REPORT_FILE not in read_json(str(folder / "summary.json"))["files"][  # type: ignore[index]
        "metrics_output"]


def test_wilson_interval_contains_the_rate_and_narrows_with_rows() -> None:
    rate = np.array([0.0, 0.3, 1.0, 0.3])
    low, high = wilson_interval(rate, np.array([5.0, 20.0, 5.0, 2000.0]))
    assert np.all(low <= rate) and np.all(rate <= high)
    assert low[0] == 0.0 and high[2] == 1.0 and high[0] > 0.3
    assert high[3] - low[3] < (high[1] - low[1]) / 5
