"""calibrator.json: versioned, checksummed, no pickle; apply reproduces the in-memory model."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.artifact import CALIBRATOR_SCHEMA_VERSION, checksum
from calibration_step.script.model_calibration.fitting import fit_calibrator
from calibration_step.script.interface import BINARY_METHODS, SCORE_SPACE_CHOICES
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, FloatArray
from tests.script.synthetic import logit, scenario

TOLERANCE = {"isotonic": 1e-12, "platt": 1e-12, "beta": 1e-12, "gam": 1e-6, "venn_abers": 0.0,
             "identity": 0.0, "temperature": 0.0}


@pytest.mark.parametrize("space", SCORE_SPACE_CHOICES)
@pytest.mark.parametrize("method", BINARY_METHODS)
def test_apply_from_json_reproduces_in_memory(method: str, space: str, tmp_path: str) -> None:
    s, y, _ = scenario("nonlinear", 20000, seed=21)
    scores = s if space == "probability" else logit(s)
    settings = mc.read_settings({"CALIBRATION_METHOD": method, "SCORE_SPACE": space})
    cal = fit_calibrator(aggregate(scores, y), settings)
    path = os.path.join(tmp_path, "calibrator.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(cal.to_json_dict(), handle)
    loaded = mc.load_calibrator(path)
    probe = scores[:5000]
    np.testing.assert_allclose(mc.apply_calibrator(loaded, probe), mc.apply_calibrator(cal, probe),
                               atol=TOLERANCE[method], rtol=0)


def _content() -> dict[str, object]:
    s, y, _ = scenario("linear", 3000, seed=22)
    cal = fit_calibrator(aggregate(s, y), mc.read_settings({"CALIBRATION_METHOD": "platt"}))
    return cal.to_json_dict()


def test_checksum_and_schema_version_are_verified() -> None:
    content = _content()
    params = content["params"]
    assert isinstance(params, dict) and 0.0 < float(params["probability_floor"]) < 1e-3
    assert content["schema_version"] == CALIBRATOR_SCHEMA_VERSION + 1  # a bounded output
    assert isinstance(content["checksum"], str) and content["checksum"].startswith("sha256:")
    tampered = {**content, "params": {**params, "a": float(params["a"]) + 1e-9}}
    with pytest.raises(mc.CalibrationScriptError, match="MC-E402-CHECKSUM-MISMATCH"):
        mc.load_calibrator(tampered)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E403-SCHEMA-VERSION"):
        mc.load_calibrator({**content, "schema_version": 99})
    broken = {key: value for key, value in content.items() if key != "params"}
    broken["schema_version"] = CALIBRATOR_SCHEMA_VERSION  # a platt without its bound's params
    broken["checksum"] = checksum(broken)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E401-CALIBRATOR-INVALID"):
        mc.load_calibrator(broken)


def test_parameters_keep_full_float_precision() -> None:
    content = _content()
    cal = mc.load_calibrator(json.loads(json.dumps(content)))
    params = content["params"]
    assert isinstance(params, dict)
    assert cal.coef == (params["a"], params["b"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -0.1, 1.1])
def test_apply_rejects_nan_inf_and_out_of_space_scores(bad: float) -> None:
    cal = mc.Calibrator("isotonic", "probability", CLIP_EPSILON,
                        knots_x=np.array([0.0, 1.0]), knots_y=np.array([0.0, 1.0]))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E404-INVALID-SCORES"):
        mc.apply_calibrator(cal, np.array([0.5, bad]))


def test_no_pickle_or_joblib_anywhere_in_the_script() -> None:
    with open(mc.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert not re.search(r"^\s*(import|from)\s+(pickle|joblib|cloudpickle|dill)\b", source,
                         re.MULTILINE)
    assert "pickle.dump" not in source and "joblib.dump" not in source


def test_apply_on_a_million_rows_equals_the_calibrator_row_by_row() -> None:
    # the speed of apply is measured by bench.run (apply rows per second); this pins its values
    s, y, _ = scenario("nonlinear", 20000, seed=23)
    rng = np.random.default_rng(0)
    big = rng.uniform(0.0, 1.0, 1_000_000)
    sample = rng.choice(big.size, 200, replace=False)
    for method in BINARY_METHODS:
        cal = fit_calibrator(aggregate(s, y),
                             mc.read_settings({"CALIBRATION_METHOD": method}))
        out = mc.apply_calibrator(cal, big)
        assert out.shape == big.shape and np.isfinite(out).all()
        one_by_one = [mc.apply_calibrator(cal, big[i:i + 1])[0] for i in sample]
        np.testing.assert_allclose(out[sample], one_by_one, rtol=0, atol=1e-12, err_msg=method)


GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "script"


def _expected_from_params(member: dict[str, Any], s: FloatArray) -> FloatArray:
    """A schema-1 binary calibrator's output computed from its parameters alone."""
    params = member["params"]
    eps = float(member["clip_epsilon"])
    if member["method"] in ("isotonic", "gam"):
        knots: FloatArray = np.interp(s, params["x"], params["y"])
        return knots
    assert member["method"] == "platt"
    z = params["a"] * logit(np.clip(s, eps, 1.0 - eps)) + params["b"]
    platt: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return platt


def _resigned(node: Any) -> Any:
    """A golden copy with its run-dependent values (set aside there) made fixed, checksummed."""
    if isinstance(node, dict):
        out = {key: _resigned(value) for key, value in node.items() if key != "producer"}
        if "seconds" in out:
            out["seconds"] = 0.0
        return out
    return [_resigned(item) for item in node] if isinstance(node, list) else node


SCHEMA_1_COPIES = GOLDEN.parent / "schema1"
"""Golden calibrators of schema version 1 whose case now writes version 2, as they were."""


def _schema_1_calibrators() -> dict[str, Path]:
    """The golden calibrators of schema version 1 and the kept version-1 copies, by case."""
    current = {p.name: p / "calibrator.json" for p in sorted(GOLDEN.iterdir())}
    kept = {f"{p.stem} (schema 1 copy)": p for p in sorted(SCHEMA_1_COPIES.glob("*.json"))}
    return {**{name: path for name, path in current.items()
               if json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 1}, **kept}


@pytest.mark.parametrize("case", sorted(_schema_1_calibrators()))
def test_golden_schema_1_calibrators_load_and_apply_as_their_parameters_say(case: str) -> None:
    path = _schema_1_calibrators()[case]
    content = _resigned(json.loads(path.read_text(encoding="utf-8")))
    content["checksum"] = checksum(content)
    assert content["schema_version"] == CALIBRATOR_SCHEMA_VERSION == 1
    model = mc.load_calibration_model(content)
    s = np.linspace(0.0, 1.0, 1001)
    if isinstance(model, mc.Calibrator):
        np.testing.assert_allclose(mc.apply_calibrator(model, s), _expected_from_params(content, s),
                                   rtol=0, atol=1e-12)
    elif model.method == "temperature":
        matrix = np.c_[s, 1.0 - s, np.full_like(s, 0.5)][:, :len(model.names)]
        eta = model.scale * np.log(np.clip(matrix, model.clip_epsilon, 1.0)) + np.array(model.bias)
        want = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(mc.apply_multiclass(model, matrix), want, rtol=0, atol=1e-12)
    else:
        for member, raw in zip(model.members, content["members"]):
            np.testing.assert_allclose(mc.apply_calibrator(member, s),
                                       _expected_from_params(raw, s), rtol=0, atol=1e-12)
