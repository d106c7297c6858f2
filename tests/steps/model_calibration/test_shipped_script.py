"""The shipped script: one zipapp, the same bytes from the same sources, and the same outputs as
``main`` when ``python3 model_calibration.pyz`` runs it as the job does."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.outputs import output_differences
from calibration_step.processing.zipapp import script_zipapp
from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import MODEL_CALIBRATION_SCRIPT, ModelCalibrationOutput
from calibration_step.steps.model_calibration.upload import shipped_files

ROOT = Path(__file__).resolve().parents[3]
OUTPUTS = [name.value for name in ModelCalibrationOutput]


def _zipapp(folder: Path) -> Path:
    target = folder / MODEL_CALIBRATION_SCRIPT
    target.write_bytes(shipped_files(include_requirements=False)[0][1])
    return target


def _input(folder: Path) -> Path:
    rng = np.random.default_rng(3)
    scores = rng.beta(2.0, 2.0, 3000)
    frame = pd.DataFrame({"prob_class_1": scores, "label": (rng.uniform(size=3000) < scores ** 1.5).astype(int),
                          "w": rng.uniform(0.5, 2.0, 3000)})
    frame.loc[::101, "prob_class_1"] = np.nan
    (folder / "in" / "part").mkdir(parents=True)
    frame.iloc[:1800].to_csv(folder / "in" / "part" / "a.csv", index=False)
    frame.iloc[1800:].to_parquet(folder / "in" / "b.parquet", index=False)
    return folder / "in"


@pytest.mark.parametrize("method", ["gam", "auto"])
def test_the_zipapp_gives_the_outputs_of_main(tmp_path: Path, method: str) -> None:
    inputs = _input(tmp_path)
    env = {"CALIBRATION_METHOD": method, "WEIGHT_FIELD": "w", "CALIBRATION_FOLDS": "3"}
    by_main = tmp_path / "main"
    mc.main({"evaluation_data": str(inputs)}, {name: str(by_main / name) for name in OUTPUTS}, env,
            argparse.Namespace(job_type="calibration"))
    by_zipapp = tmp_path / "zipapp"
    arguments = ["--job_type", "calibration", "--evaluation_data", str(inputs)]
    for name in OUTPUTS:
        arguments += [f"--{name}", str(by_zipapp / name)]
    elsewhere = tmp_path / "job"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, str(_zipapp(elsewhere)), *arguments], cwd=elsewhere, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env, "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr
    assert "wrote calibrator.json" in done.stderr
    assert output_differences(by_main, by_zipapp) == []
    assert sorted(os.listdir(by_zipapp / "metrics_output")) == ["metrics.json", "reliability_diagram.png",
                                                                     "report.html", "summary.json"]


def test_the_zipapp_exits_2_with_the_scripts_error_line(tmp_path: Path) -> None:
    inputs = _input(tmp_path)
    arguments = ["--evaluation_data", str(inputs)] + [a for name in OUTPUTS for a in (f"--{name}", str(tmp_path / name))]
    done = subprocess.run([sys.executable, str(_zipapp(tmp_path)), *arguments], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "CALIBRATION_METHOD": "sigmoid"})
    assert done.returncode == 2
    [error] = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert "MC-E101-INVALID-ENV: CALIBRATION_METHOD='sigmoid' is not accepted" in error


def test_the_same_sources_give_the_same_zipapp_bytes(tmp_path: Path) -> None:
    shipped = shipped_files(include_requirements=False)[0][1]
    assert shipped == shipped_files(include_requirements=False)[0][1]
    copy = tmp_path / "script"
    shutil.copytree(ROOT / "script", copy, ignore=shutil.ignore_patterns("__pycache__"))
    time.sleep(0.01)
    for module in copy.rglob("*.py"):
        module.touch()  # other times and another folder: the same bytes
    assert script_zipapp(copy, MODEL_CALIBRATION_SCRIPT) == shipped
    (copy / "model_calibration" / "limits.py").write_text("# changed\n", encoding="utf-8")
    assert script_zipapp(copy, MODEL_CALIBRATION_SCRIPT) != shipped
