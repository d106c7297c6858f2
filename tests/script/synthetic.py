"""Synthetic binary data with a known true probability (shared by the script tests)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import ModelCalibrationInput, ModelCalibrationOutput
from calibration_step.script.model_calibration.reading import CSV_FLOAT_PRECISION


FloatArray = npt.NDArray[np.float64]


def logit(p: FloatArray) -> FloatArray:
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return out


def scenario(kind: str, n: int, seed: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(scores, labels, true probability). ``linear``: true p = sigmoid(0.5 logit(s) + 0.6);
    ``nonlinear``: true logit = 0.5 logit(s) + 0.8 + 0.3 tanh(2 logit(s)), monotone but not
    logit-linear (nor in the beta family)."""
    rng = np.random.default_rng(seed)
    s = rng.beta(2.0, 2.0, n)
    z = logit(np.clip(s, 1e-6, 1 - 1e-6))
    if kind == "linear":
        true = sigmoid(0.5 * z + 0.6)
    else:
        true = sigmoid(0.5 * z + 0.8 + 0.3 * np.tanh(2.0 * z))
    y = (rng.uniform(size=n) < true).astype(np.float64)
    return s, y, true


def run_main(inp: str, root: str, env: Mapping[str, str] | None = None,
             job_type: str = "calibration") -> dict[str, str]:
    outputs = {name: os.path.join(root, name) for name in [o.value for o in ModelCalibrationOutput]}
    mc.main({ModelCalibrationInput.EVALUATION_DATA.value: inp}, outputs, dict(env or {}),
            argparse.Namespace(job_type=job_type))
    return outputs


def write_csv(path: str, scores: FloatArray, labels: FloatArray,
              score_field: str = "prob_class_1") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pd.DataFrame({score_field: scores, "label": labels.astype(int)}).to_csv(path, index=False)


def read_csv_exact(path: str, sep: str = ",") -> pd.DataFrame:
    """A csv/tsv as the script reads it: floats parsed exactly on pandas 2 as well (its default
    parser can be an ulp off; the written files hold every float's shortest repr)."""
    return pd.read_csv(path, sep=sep, float_precision=CSV_FLOAT_PRECISION)


def read_json(path: str) -> dict[str, object]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    assert isinstance(data, dict)
    return data


def visible(folder: str) -> list[str]:
    return sorted(e for e in os.listdir(folder) if not e.startswith("."))


# What auto may rightly pick on each family_scenario: Venn-ABERS is isotonic regression that
# never pays a confident miss, so on the smooth non-linear (gam) and the step (isotonic)
# scenarios it fits as well as the true family or better.
TRUE_CHOICES = {"platt": {"platt"}, "beta": {"beta"}, "gam": {"gam", "venn_abers"},
                "isotonic": {"isotonic", "venn_abers"}}


def family_scenario(kind: str, n: int, seed: int) -> tuple[FloatArray, FloatArray]:
    """(scores, labels) whose true calibration map lies in one method's family.

    ``platt``: logit-linear; ``beta``: ``2 ln s - 0.3 ln(1 - s) + 1`` (not logit-linear);
    ``gam``: smooth S-bend ``0.5 z + 0.3 + tanh(3 z)`` (neither); ``isotonic``: two sharp steps.
    """
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.02, 0.98, n)
    z = logit(s)
    if kind == "platt":
        true = sigmoid(0.5 * z + 0.6)
    elif kind == "beta":
        true = sigmoid(2.0 * np.log(s) - 0.3 * np.log1p(-s) + 1.0)
    elif kind == "gam":
        true = sigmoid(0.5 * z + 0.3 + np.tanh(3.0 * z))
    else:
        true = np.select([s < 0.35, s < 0.65], [0.05, 0.5], 0.95)
    y = (rng.uniform(size=n) < true).astype(np.float64)
    return s, y


def softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def multiclass_scenario(n: int, seed: int, classes: int = 3, sharpen: float = 2.5,
                        shift: float = 0.5) -> tuple[FloatArray, npt.NDArray[np.int64], FloatArray]:
    """(scores, labels, true probabilities): labels drawn from ``softmax(z)``; the scores are
    ``softmax(sharpen * z + bias)`` with a per-class bias from ``+shift`` to ``-shift``
    (over-confident and skewed, exactly a temperature-with-bias miscalibration)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, classes)) * 1.2
    true = softmax(z)
    labels = (rng.uniform(size=n)[:, None] > np.cumsum(true, axis=1)).sum(axis=1)
    labels = np.minimum(labels, classes - 1).astype(np.int64)
    scores = softmax(sharpen * z + np.linspace(shift, -shift, classes))
    return scores, labels, true


def write_multiclass(path: str, scores: FloatArray,
                     labels: npt.NDArray[np.int64] | list[object] | pd.Series,
                     prefix: str = "prob_class_", names: list[str] | None = None) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    names = names or [str(c) for c in range(scores.shape[1])]
    frame = pd.DataFrame({f"{prefix}{name}": scores[:, c] for c, name in enumerate(names)})
    frame["label"] = list(labels)
    if path.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def multiclass_log_loss(probs: FloatArray, labels: npt.NDArray[np.int64]) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(labels.shape[0]), labels], 1e-15, 1.0))))


def assert_json_close(a: object, b: object, where: str = "") -> None:
    """Equal JSON values, floats within 1e-12 (relative or absolute), everything else exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            assert_json_close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_json_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12, nan_ok=True), where
    else:
        assert a == b, where
