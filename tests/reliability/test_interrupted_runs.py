"""A run killed (SIGKILL, no cleanup possible) at the script's test-only hook points leaves each
output folder without visible entries or holding its complete set; ``summary.json`` is there only
when every output is complete. The hidden leftovers (staging folders, and the publish journals of
a run killed while moving its files into place) are dealt with by the next run: it removes the
staging folders, undoes an interrupted publish and succeeds, or, when the publish had moved
summary.json, keeps the complete outputs and refuses them as any finished run's."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import runner
from calibration_step.script.interface import (
    CALIBRATOR_FILE, METRICS_FILE, RELIABILITY_DIAGRAM_FILE, REPORT_FILE, SUMMARY_FILE, ModelCalibrationInput,
    ModelCalibrationOutput,
)
from calibration_step.script.model_calibration.staging import RUN_LOCK, PUBLISH_JOURNAL, STAGING_PREFIX
from tests.reliability.kill_runner import PUBLISH_STAGES, STAGING_STAGES
from tests.script.synthetic import scenario

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = {
    ModelCalibrationOutput.CALIBRATION_OUTPUT.value: [CALIBRATOR_FILE],
    ModelCalibrationOutput.METRICS_OUTPUT.value: sorted([METRICS_FILE, RELIABILITY_DIAGRAM_FILE, REPORT_FILE,
                                                         SUMMARY_FILE]),
    ModelCalibrationOutput.CALIBRATED_DATA.value: ["a.csv", "b"],
}
"""The visible entries of each output folder after a complete run of :func:`_inputs`."""
ENV = {"CALIBRATION_METHOD": "platt", "CALIBRATION_FOLDS": "3"}


def _inputs(folder: Path) -> None:
    s, y, _ = scenario("linear", 2000, seed=81)
    data = pd.DataFrame({"prob_class_1": s, "label": y.astype(int)})
    (folder / "b").mkdir(parents=True)
    data.iloc[:1000].to_csv(folder / "a.csv", index=False)
    data.iloc[1000:].to_parquet(folder / "b" / "c.parquet", index=False)


def _outputs(root: Path) -> dict[str, str]:
    return {name: str(root / name) for name in [o.value for o in ModelCalibrationOutput]}


def _run(stage: str, root: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    args = ["--job_type", "calibration", "--evaluation_data", str(root / "in")]
    for name, folder in _outputs(root).items():
        args += [f"--{name}", folder]
    # a SIGKILL leaves the run's temporary folder behind: keep it inside the test's own folder
    scratch = root / "tmp"
    scratch.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "tests.reliability.kill_runner", stage, *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **ENV, "TMPDIR": str(scratch), **(extra_env or {})})


@pytest.mark.parametrize("stage", ["before_staging", "during_staging", "during_publish"])
def test_sigterm_cleans_up_like_an_error_and_exits_with_its_code(tmp_path: Path, stage: str) -> None:
    # SageMaker stops a job with SIGTERM: the run must remove its staging and temporary folders.
    _inputs(tmp_path / "in")
    done = _run(stage, tmp_path, {"KILL_SIGNAL": "SIGTERM"})
    assert done.returncode == 2, done.stderr
    assert "MC-E106-STOPPED" in done.stderr and "Traceback" not in done.stderr
    assert all(_split(folder) == ([], []) for folder in _outputs(tmp_path).values())
    assert os.listdir(tmp_path / "tmp") == []


def _split(folder: str) -> tuple[list[str], list[str]]:
    """(visible, hidden) entries of an output folder."""
    entries = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    return [e for e in entries if not e.startswith(".")], [e for e in entries if e.startswith(".")]


def _check_each_folder_empty_or_complete(outputs: dict[str, str]) -> bool:
    """Each folder: no visible entry or its complete set; hidden entries are staging folders only.
    Returns whether every folder is complete."""
    complete = []
    for name, folder in outputs.items():
        visible, hidden = _split(folder)
        assert visible in ([], COMPLETE[name]), f"{name} holds {visible}"
        assert all(e.startswith(STAGING_PREFIX) for e in hidden), f"{name} hides {hidden}"
        complete.append(visible == COMPLETE[name])
    summary = os.path.exists(os.path.join(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value], SUMMARY_FILE))
    assert summary == all(complete), "summary.json must mark exactly a complete set"
    return all(complete)


def _no_plot(path: str, *args: object) -> None:
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")


def test_the_runner_without_a_kill_completes(tmp_path: Path) -> None:
    _inputs(tmp_path / "in")
    done = _run("none", tmp_path)
    assert done.returncode == 0, done.stderr
    assert _check_each_folder_empty_or_complete(_outputs(tmp_path))
    assert all(_split(folder)[1] == [] for folder in _outputs(tmp_path).values())


@pytest.mark.parametrize("stage", STAGING_STAGES)
def test_killed_while_staging_leaves_no_visible_entry_and_the_next_run_succeeds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    _inputs(tmp_path / "in")
    done = _run(stage, tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stderr
    outputs = _outputs(tmp_path)
    assert not _check_each_folder_empty_or_complete(outputs)
    assert all(_split(folder)[0] == [] for folder in outputs.values())
    leftovers = [h for folder in outputs.values() for h in _split(folder)[1] if h != RUN_LOCK]
    assert bool(leftovers) == (stage != "before_staging")  # staging opens after this hook
    assert all(RUN_LOCK in _split(folder)[1] for folder in outputs.values())  # unlocked by the kill

    monkeypatch.setattr(runner, "plot_reliability", _no_plot)
    mc.main({ModelCalibrationInput.EVALUATION_DATA.value: str(tmp_path / "in")}, outputs, ENV,
            argparse.Namespace(job_type="calibration"))
    assert _check_each_folder_empty_or_complete(outputs)
    assert all(_split(folder)[1] == [] for folder in outputs.values()), "staging left over"


def _rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    outputs = _outputs(tmp_path)
    monkeypatch.setattr(runner, "plot_reliability", _no_plot)
    mc.main({ModelCalibrationInput.EVALUATION_DATA.value: str(tmp_path / "in")}, outputs, ENV,
            argparse.Namespace(job_type="calibration"))
    return outputs


@pytest.mark.parametrize("stage", PUBLISH_STAGES[:2])
def test_killed_while_publishing_the_next_run_undoes_it_and_succeeds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    # Found by the reliability suite: the next run refused the moved calibrator.json (MC-E501).
    _inputs(tmp_path / "in")
    done = _run(stage, tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stderr
    outputs = _outputs(tmp_path)
    # summary.json is moved last: a consumer reading it never takes a partial set for a complete
    # one. (Several folders cannot change at once: some files of this run are visible now.)
    assert not os.path.exists(os.path.join(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value], SUMMARY_FILE))
    for name, folder in outputs.items():
        visible, hidden = _split(folder)
        assert set(visible) <= set(COMPLETE[name]), f"{name} holds {visible}"
        assert PUBLISH_JOURNAL in hidden, f"{name} has no journal"
    if stage == "during_publish":  # only the first move (calibrator.json) happened
        assert _check_each_folder_empty_or_complete(outputs) is False

    _rerun(tmp_path, monkeypatch)
    assert _check_each_folder_empty_or_complete(outputs)
    assert all(_split(folder)[1] == [] for folder in outputs.values()), "leftovers"


def test_killed_after_moving_the_summary_the_outputs_are_complete_and_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _inputs(tmp_path / "in")
    done = _run("after_final_move", tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stderr
    outputs = _outputs(tmp_path)
    assert _check_each_folder_empty_or_complete(outputs)
    summary = (Path(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value]) / SUMMARY_FILE).read_bytes()
    with pytest.raises(mc.CalibrationScriptError, match="MC-E501-OUTPUT-NOT-EMPTY"):
        _rerun(tmp_path, monkeypatch)
    assert _check_each_folder_empty_or_complete(outputs)  # the finished publish is kept
    assert (Path(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value]) / SUMMARY_FILE).read_bytes() == summary
    assert all(_split(folder)[1] == [] for folder in outputs.values()), "journals left over"
