"""Synthetic binary data with a known true probability (shared by the script tests)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from script import model_calibration as mc

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
    outputs = {name: os.path.join(root, name) for name in mc.OUTPUT_NAMES}
    mc.main({mc.INPUT_EVALUATION_DATA: inp}, outputs, dict(env or {}),
            argparse.Namespace(job_type=job_type))
    return outputs


def write_csv(path: str, scores: FloatArray, labels: FloatArray,
              score_field: str = "prob_class_1") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pd.DataFrame({score_field: scores, "label": labels.astype(int)}).to_csv(path, index=False)


def read_json(path: str) -> dict[str, object]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    assert isinstance(data, dict)
    return data


def visible(folder: str) -> list[str]:
    return sorted(e for e in os.listdir(folder) if not e.startswith("."))
