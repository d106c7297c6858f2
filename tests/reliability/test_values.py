"""Hostile values end in the script's coded error or a valid result, never a traceback or NaN:
the value corpus (``value_corpus.py``), then each class of value with its own test.

Classes: calibrator files that compute non-probabilities (probe), repeated keys, deep nesting
and numbers beyond floats in JSON (calibrator files, config files, list settings); folds near
the row count; sampling rates and weights that overflow; huge margins for every method;
integers that are not ASCII digits; categories that name one label value; misspelt settings;
constant scores; instance types.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pytest

from calibration_step.cli import main as cli_main
from calibration_step.config import ProcessingConfig
from calibration_step.config.processing_instance_types import PROCESSING_INSTANCE_TYPES, api_model_instance_types, render
from calibration_step.config_json import dumps, loads
from calibration_step.errors import ConfigError, SerializationError
from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import METRICS_FILE, ModelCalibrationEnv, ModelCalibrationOutput, SETTING_SPECS
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.probes import PROBE_SCORES, check_outputs, probe_matrix
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON, LOGIT_LIMIT
from calibration_step.script.setting_rules import MIN_NEGATIVE_SAMPLING_RATE
from calibration_step.script.strict_json import MAX_JSON_DEPTH
from calibration_step.steps.model_calibration import ModelCalibrationConfig
from tests.reliability.builders import frame
from tests.reliability.corpus import run_case
from tests.reliability.test_properties import CONTENTS
from tests.reliability.value_corpus import VALUE_CASES, ValueCase, edit_content
from tests.script.conftest import no_plot  # noqa: F401  # the fixture, for every full run below

BY_NAME = {case.name: case for case in VALUE_CASES}


@pytest.fixture(autouse=True)
def _no_plot(no_plot: list[int]) -> None:  # noqa: F811  # the imported fixture
    """Every run here skips drawing the diagram (it is not what these tests look at)."""


def _run(tmp_path: Path, data: pd.DataFrame, env: dict[str, str], job_type: str = "calibration",
         model: dict[str, object] | None = None) -> dict[str, object]:
    """Run ``main`` on ``data``; the metrics.json it wrote."""
    (tmp_path / "in").mkdir(parents=True)
    data.to_csv(tmp_path / "in" / "d.csv", index=False)
    inputs = {"evaluation_data": str(tmp_path / "in")}
    if model is not None:
        (tmp_path / "model").mkdir()
        (tmp_path / "model" / "calibrator.json").write_text(json.dumps(model), encoding="utf-8")
        inputs["calibration_model"] = str(tmp_path / "model")
    outputs = {o.value: str(tmp_path / "out" / o.value) for o in ModelCalibrationOutput}
    mc.main(inputs, outputs, env, argparse.Namespace(job_type=job_type))
    metrics = json.loads((tmp_path / "out" / ModelCalibrationOutput.METRICS_OUTPUT.value / METRICS_FILE).read_text())
    assert isinstance(metrics, dict)
    return metrics


def _warning_codes(metrics: dict[str, object]) -> list[str]:
    warnings = metrics["warnings"]
    assert isinstance(warnings, list)
    return [str(w["code"]) for w in warnings]


def _objects(value: object, path: str = "$") -> Iterator[tuple[str, dict[str, object]]]:
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _objects(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _objects(item, f"{path}[{i}]")


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------
def test_the_value_corpus_names_are_unique() -> None:
    assert len(BY_NAME) == len(VALUE_CASES) >= 20


@pytest.mark.parametrize("case", VALUE_CASES, ids=lambda case: case.name)
def test_a_hostile_value_ends_in_its_code_or_a_valid_result(case: ValueCase, tmp_path: Path) -> None:
    outcome = run_case(case.run, tmp_path)
    assert outcome.unexpected is None, f"{case.name}: {type(outcome.unexpected).__name__}: {outcome.unexpected}"
    assert outcome.code == case.code
    folders = {name: sorted(Path(folder).iterdir()) if Path(folder).is_dir() else [] for name, folder in outcome.outputs.items()}
    if case.code is not None:
        assert all(not entries for entries in folders.values()), folders
        return
    metrics = json.loads(Path(outcome.outputs[ModelCalibrationOutput.METRICS_OUTPUT.value], METRICS_FILE).read_text())
    if case.warning is not None:
        assert case.warning in _warning_codes(metrics)
    calibrated = metrics["calibrated"]
    assert math.isfinite(calibrated["ece_equal_width"]) and math.isfinite(calibrated["log_loss"])


# --------------------------------------------------------------------------------------------
# Calibrator files: what they compute
# --------------------------------------------------------------------------------------------
def _resigned(kind: str, edit: str, value: float) -> dict[str, object]:
    """The calibrator ``kind`` of the properties with every number at ``edit`` set to ``value``."""
    content = CONTENTS[kind]()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == edit and isinstance(item, (int, float)) and not isinstance(item, bool):
                    node[key] = value
                elif key == edit and isinstance(item, list):
                    node[key] = [value if isinstance(v, (int, float)) else v for v in item]
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in content.items() if k not in ("fit", "rows", "producer", "input_fingerprint")})
    content["checksum"] = checksum(content)
    return content


def _edits() -> Iterator[tuple[str, str]]:
    """(kind, key) of every numeric parameter (or list of them) of each calibrator of the properties."""
    for kind, make in CONTENTS.items():
        numbers: set[str] = set()
        for path, node in _objects(make()):
            if path.endswith("params"):
                numbers |= {k for k, v in node.items() if isinstance(v, (int, float, list)) and not isinstance(v, bool)}
        yield from ((kind, key) for key in sorted(numbers))


@pytest.mark.parametrize("kind,edit", list(_edits()))
@pytest.mark.parametrize("value", [1e308, -1e308, 1e300, 5e-324, 0.0])
def test_a_loaded_calibrator_computes_finite_probabilities_or_is_refused(kind: str, edit: str, value: float) -> None:
    content = _resigned(kind, edit, value)
    try:
        loaded = mc.load_calibration_model(content)
    except mc.CalibrationScriptError as exc:
        assert exc.code in ("MC-E401-CALIBRATOR-INVALID", "MC-E407-CALIBRATOR-OUTPUTS"), exc
        return
    space = loaded.score_space
    scores = np.concatenate([PROBE_SCORES[space], np.random.default_rng(0).uniform(0, 1, 50) if space == "probability"
                             else np.random.default_rng(0).normal(0, 1e5, 50)])
    if isinstance(loaded, mc.MultiCalibrator) and loaded.mode == "multiclass":
        out = mc.apply_multiclass(loaded, np.tile(scores[:, None], (1, len(loaded.names))))
        assert np.allclose(out.sum(axis=1), 1.0)
    elif isinstance(loaded, mc.MultiCalibrator):
        out = np.concatenate([mc.apply_calibrator(member, scores) for member in loaded.members])
    else:
        out = mc.apply_calibrator(loaded, scores)
    assert np.all((out >= 0.0) & (out <= 1.0)), (kind, edit, value)


def test_the_probe_refuses_the_temperature_scale_that_gave_nan() -> None:
    content = _resigned("multiclass-temperature", "scale", 1e308)
    with pytest.raises(mc.CalibrationScriptError, match=r"MC-E407-CALIBRATOR-OUTPUTS: the calibrator does not compute "
                       r"probabilities: temperature maps the score\(s\) .* to nan"):
        mc.load_calibration_model(content)


def test_every_calibrator_the_script_fits_passes_the_probe(tmp_path: Path) -> None:
    data = frame(200)
    for method in ("isotonic", "platt", "gam", "beta", "venn_abers", "identity"):
        metrics = _run(tmp_path / method, data, {"CALIBRATION_METHOD": method})
        assert metrics["calibrated"]["n"] == 200  # type: ignore[index]  # a JSON object
        check_outputs(mc.load_calibration_model(tmp_path / method / "out" / "calibration_output" / "calibrator.json"))


def test_the_probe_matrix_meets_every_probe_score_in_every_column() -> None:
    matrix = probe_matrix("logit", 5)
    for column in matrix.T:
        assert set(column.tolist()) == set(PROBE_SCORES["logit"])


# --------------------------------------------------------------------------------------------
# JSON: repeated keys, nesting, numbers (calibrator files, config files, list settings)
# --------------------------------------------------------------------------------------------
def _with_repeated_key(document: object, target: str) -> str:
    """``document`` as JSON text whose object at ``target`` names its first key a second time."""
    marker = "\u0000repeat\u0000"
    node = dict(_objects(document))[target]
    first = next(iter(node))
    node[marker] = node[first]
    return json.dumps(document).replace(json.dumps(marker), json.dumps(first))


@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_a_repeated_key_in_any_object_of_a_calibrator_file_is_refused(kind: str, tmp_path: Path) -> None:
    paths = [path for path, node in _objects(CONTENTS[kind]()) if node]
    for i, target in enumerate(paths):
        path = tmp_path / f"{i}.json"
        path.write_text(_with_repeated_key(CONTENTS[kind](), target), encoding="utf-8")
        with pytest.raises(mc.CalibrationScriptError, match=rf"MC-E401.*{_re(target)}: the key '.*' appears twice"):
            mc.load_calibration_model(path)


def _re(text: str) -> str:
    return "".join("\\" + c if c in ".[]$()" else c for c in text)


def _config_text() -> str:
    from calibration_step.commands._configs import config_classes, default_configs

    return dumps(default_configs(), classes=config_classes())


def test_a_repeated_key_in_any_object_of_a_config_file_is_refused_with_its_path(tmp_path: Path) -> None:
    document = json.loads(_config_text())
    paths = [path for path, node in _objects(document) if node]
    assert "$.configuration.specific" in paths
    for target in paths:
        text = _with_repeated_key(json.loads(_config_text()), target)
        with pytest.raises(SerializationError, match=r"SERIALIZATION-REPEATED-KEY") as exc:
            loads(text)
        assert [p.location for p in exc.value.problems] == [target]


def test_config_validate_reports_a_repeated_step_key_with_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.json"
    path.write_text(_with_repeated_key(json.loads(_config_text()), "$.configuration.specific"), encoding="utf-8")
    assert cli_main(["config", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "$.configuration.specific: [SERIALIZATION-REPEATED-KEY] the key" in out


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deep_nesting_is_refused_by_every_json_reader(depth: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for wrap in ("[{}]", '{{"a": {}}}'):
        text = "1"
        for _ in range(depth):
            text = wrap.format(text)
        path = tmp_path / "deep.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(mc.CalibrationScriptError, match=r"MC-E401.*nest more than 64 deep"):
            mc.load_calibration_model(path)
        with pytest.raises(SerializationError, match=r"SERIALIZATION-JSON-LIMIT.*nest more than 64 deep"):
            loads(text)
        assert cli_main(["config", "validate", str(path)]) == 1
        assert "[SERIALIZATION-JSON-LIMIT]" in capsys.readouterr().out
        for env in ModelCalibrationEnv:
            if SETTING_SPECS[env].kind == "names":
                with pytest.raises(mc.CalibrationScriptError, match=rf"MC-E101.*{env.value}=.*nest more than 64 deep"):
                    mc.read_settings({env.value: text, "IS_BINARY": "false", "NUM_CLASSES": "2"})


def test_nesting_within_the_limit_parses() -> None:
    from calibration_step.script.strict_json import strict_loads

    assert strict_loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    assert strict_loads('["[[[[", "{{{{"]' * 1) == ["[[[[", "{{{{"]  # brackets inside strings do not count


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", str(10**400), str(2**63),
                                    "9" * 5000])
def test_a_number_that_is_no_finite_float_is_refused_anywhere_in_a_calibrator_file(number: str, tmp_path: Path) -> None:
    content = CONTENTS["multiclass-ovr"]()
    numbers = [(path, node, key) for path, node in _objects(content) for key, value in node.items()
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    assert len(numbers) > 10
    for i, (path, node, key) in enumerate(numbers):
        original = node[key]
        node[key] = "\u0000number\u0000"
        text = json.dumps(content).replace(json.dumps("\u0000number\u0000"), number)
        node[key] = original
        file = tmp_path / f"{i}.json"
        file.write_text(text, encoding="utf-8")
        with pytest.raises(mc.CalibrationScriptError, match=rf"MC-E401.*{_re(path)}\.{key}: the (number|integer)"):
            mc.load_calibration_model(file)


def test_parsed_content_with_a_huge_integer_is_refused() -> None:
    content = edit_content(lambda c: c["params"].update(a=10**400))  # type: ignore[attr-defined]  # a JSON object
    with pytest.raises(mc.CalibrationScriptError, match=r"MC-E401.*\$\.params\.a: the integer 1000"):
        mc.load_calibration_model(content)


def test_a_config_file_that_is_not_utf8_is_a_coded_error(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(_config_text().replace('"author": "', '"author": "\u00e9').encode("latin-1"))
    assert b"\xe9" in path.read_bytes()
    from calibration_step.config_json import load

    with pytest.raises(SerializationError, match=r"SERIALIZATION-JSON.*not valid JSON"):
        load(path)


# --------------------------------------------------------------------------------------------
# Folds near the row count
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rows,folds", [(12, 10), (5, 4), (20, 19), (30, 100), (150, 100)])
@pytest.mark.parametrize("mode", ["binary", "multiclass", "multitask"])
def test_folds_near_the_row_count_give_a_result_or_too_few_rows(rows: int, folds: int, mode: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(rows + folds)
    labels = np.arange(rows) % 3
    scores = rng.dirichlet([1.0, 1.0, 1.0], rows)
    env = {"CALIBRATION_FOLDS": str(folds), "CALIBRATION_METHOD": "isotonic"}
    if mode == "binary":
        data = pd.DataFrame({"prob_class_1": scores[:, 0], "label": (labels == 0).astype(int)})
    elif mode == "multiclass":
        data = pd.DataFrame({**{f"prob_class_{c}": scores[:, c] for c in range(3)}, "label": labels})
        env.update(IS_BINARY="false", NUM_CLASSES="3")
    else:
        data = pd.DataFrame({"s1": scores[:, 0], "s2": scores[:, 1], "y1": (labels == 0).astype(int),
                             "y2": (labels == 1).astype(int)})
        env.update(SCORE_FIELDS='["s1", "s2"]', TASK_LABEL_NAMES='["y1", "y2"]')
    try:
        metrics = _run(tmp_path, data, env)
    except mc.CalibrationScriptError as exc:
        assert exc.code == "MC-E301-SINGLE-CLASS" and "too few rows for CALIBRATION_FOLDS" in exc.message
        return
    assert metrics["rows"]["read"] == rows  # type: ignore[index]  # a JSON object
    check_outputs(mc.load_calibration_model(tmp_path / "out" / "calibration_output" / "calibrator.json"))


# --------------------------------------------------------------------------------------------
# Sampling rates and weights
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", ["1e-310", "5e-324", "2.2e-308", "9e-301"])
def test_a_sampling_rate_whose_weights_are_not_finite_is_refused(rate: str) -> None:
    with pytest.raises(mc.CalibrationScriptError, match=r"MC-E101.*NEGATIVE_SAMPLING_RATE must be at least 1e-300"):
        mc.read_settings({"NEGATIVE_SAMPLING_RATE": rate})
    with pytest.raises(ConfigError, match=r"negative_sampling_rate must be at least 1e-300"):
        attrs.evolve(_calibration_config(), negative_sampling_rate=float(rate))


def _calibration_config() -> ModelCalibrationConfig:
    from calibration_step.steps.model_calibration.config import example_config

    return example_config()


def _processing_config(instance_type: str) -> ProcessingConfig:
    base = _calibration_config()
    return ProcessingConfig(author=base.author, bucket=base.bucket, role=base.role, region=base.region,
                            service_name=base.service_name, pipeline_version=base.pipeline_version,
                            instance_type=instance_type)


@pytest.mark.parametrize("rate,weight", [(MIN_NEGATIVE_SAMPLING_RATE, 1.0), (MIN_NEGATIVE_SAMPLING_RATE, 1e300),
                                         (0.5, 1.7e308), (1e-12, 1e-300)])
def test_the_smallest_rate_with_any_finite_weights_fits(rate: float, weight: float, tmp_path: Path) -> None:
    data = frame(120).assign(w=weight)
    metrics = _run(tmp_path, data, {"NEGATIVE_SAMPLING_RATE": repr(rate), "WEIGHT_FIELD": "w",
                                     "CALIBRATION_METHOD": "isotonic"})
    assert math.isfinite(metrics["calibrated"]["log_loss"])  # type: ignore[index]  # a JSON object


# --------------------------------------------------------------------------------------------
# Huge margins, every method
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("magnitude", [1e101, 1e200, 1e308])
@pytest.mark.parametrize("method", ["isotonic", "platt", "gam", "beta", "venn_abers", "identity", "auto"])
def test_huge_margins_give_a_valid_calibrator_or_a_fit_failure(magnitude: float, method: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 200)
    scores = np.where(rng.uniform(size=200) < 0.8, 2 * labels - 1, 1 - 2 * labels) * rng.uniform(0.1, 1, 200) * magnitude
    try:
        metrics = _run(tmp_path, pd.DataFrame({"prob_class_1": scores, "label": labels}),
                       {"SCORE_SPACE": "logit", "CALIBRATION_METHOD": method})
    except mc.CalibrationScriptError as exc:
        assert method in ("platt", "gam", "beta") and exc.code == "MC-E303-FIT-FAILED", exc
        assert f"within +-{LOGIT_LIMIT:g}" in exc.message
        return
    assert math.isfinite(metrics["calibrated"]["log_loss"])  # type: ignore[index]  # a JSON object
    loaded = mc.load_calibration_model(tmp_path / "out" / "calibration_output" / "calibrator.json")
    assert isinstance(loaded, mc.Calibrator)
    out = mc.apply_calibrator(loaded, np.array([-1.7e308, -magnitude, 0.0, magnitude, 1.7e308]))
    assert np.all((out >= 0.0) & (out <= 1.0))


@pytest.mark.parametrize("method", ["temperature", "vector", "dirichlet"])
def test_class_scaling_on_huge_margins_gives_probabilities(method: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    labels = np.arange(120) % 3
    scores = rng.normal(size=(120, 3)) * 1e200
    scores[np.arange(120), labels] += 3e200
    data = pd.DataFrame({**{f"prob_class_{c}": scores[:, c] for c in range(3)}, "label": labels})
    _run(tmp_path, data, {"SCORE_SPACE": "logit", "CALIBRATION_METHOD": method, "IS_BINARY": "false",
                          "NUM_CLASSES": "3"})
    loaded = mc.load_calibration_model(tmp_path / "out" / "calibration_output" / "calibrator.json")
    assert isinstance(loaded, mc.MultiCalibrator)
    out = mc.apply_multiclass(loaded, np.vstack([scores[:5], np.full((1, 3), 1.7e308), np.full((1, 3), -1.7e308)]))
    assert np.all(np.isfinite(out)) and np.allclose(out.sum(axis=1), 1.0)


# --------------------------------------------------------------------------------------------
# Settings: integers, categories, misspellings
# --------------------------------------------------------------------------------------------
INTEGER_SETTINGS = [env for env in ModelCalibrationEnv if SETTING_SPECS[env].kind == "integer"]


@pytest.mark.parametrize("env", INTEGER_SETTINGS, ids=lambda env: env.value)
@pytest.mark.parametrize("text", ["\u0663", "\uff15", "1_0", "+5", "5.0", "\u0665\u0660", "\u00b2", "0x5", "5 5"])
def test_integer_settings_accept_ascii_digits_only(env: ModelCalibrationEnv, text: str) -> None:
    base = {"IS_BINARY": "false"} if env is ModelCalibrationEnv.NUM_CLASSES else {}
    with pytest.raises(mc.CalibrationScriptError, match=rf"MC-E101.*{env.value}=.* is not accepted"):
        mc.read_settings({**base, env.value: text})
    low = SETTING_SPECS[env].low or 0
    assert getattr(mc.read_settings({**base, env.value: f" {low + 2} "}), "num_classes" if env is
                   ModelCalibrationEnv.NUM_CLASSES else _field(env)) == low + 2


def _field(env: ModelCalibrationEnv) -> str:
    return {"GAM_SPLINES": "gam_splines", "CALIBRATION_BINS": "bins", "CALIBRATION_FOLDS": "folds",
            "CALIBRATION_SEED": "seed"}[env.value]


@pytest.mark.parametrize("categories", [["1", "1.0"], ["0", "0.00", "1"], ["10", "1e1"], ["a", "-0", "0"]])
def test_categories_naming_one_label_value_are_refused(categories: list[str]) -> None:
    with pytest.raises(mc.CalibrationScriptError, match=r"MC-E101.*MULTICLASS_CATEGORIES holds categories that name "
                       r"one label value"):
        mc.read_settings({"IS_BINARY": "false", "MULTICLASS_CATEGORIES": json.dumps(categories)})
    with pytest.raises(ConfigError, match=r"multiclass_categories holds categories that name one label value"):
        attrs.evolve(_calibration_config(), is_binary=False, multiclass_categories=tuple(categories))


def test_distinct_categories_still_load() -> None:
    assert mc.read_settings({"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["1", "1.5", "a", "A"]'}).categories == (
        "1", "1.5", "a", "A")


def _misspellings(name: str) -> Iterator[str]:
    yield name[1:]  # a deletion
    yield name[:3] + name[4] + name[3] + name[5:]  # a transposition (two edits)
    yield name[:-1] + "X"  # a substitution
    yield name.lower()  # case: compared in upper case


@pytest.mark.parametrize("env", list(ModelCalibrationEnv), ids=lambda env: env.value)
def test_an_env_var_within_two_edits_of_a_setting_is_recorded(env: ModelCalibrationEnv) -> None:
    from calibration_step.script.model_calibration.settings import misspelt_env_warnings

    for wrong in _misspellings(env.value):
        if wrong in {e.value for e in ModelCalibrationEnv}:
            continue
        found = misspelt_env_warnings({wrong: "x", env.value: "y"})
        assert [w["code"] for w in found] == ["MC-W103-MISSPELT-ENV"], wrong
        assert env.value in found[0]["message"]
    assert misspelt_env_warnings({env.value: "x", "PATH": "/bin", "HOME": "/root", "XXX" + env.value[3:] + "XX": "1"}) == []


def test_a_misspelt_setting_is_recorded_in_the_metrics(tmp_path: Path) -> None:
    metrics = _run(tmp_path, pd.DataFrame({"prob_class_1": np.linspace(0.01, 0.99, 100), "label": np.arange(100) % 2}),
                   {"CALIBRATION_METHOD": "platt", "ERROR_THRESHOLDS": "0.1"})
    assert _warning_codes(metrics) == ["MC-W103-MISSPELT-ENV"]


# --------------------------------------------------------------------------------------------
# Constant scores
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["isotonic", "platt", "venn_abers", "identity", "auto"])
def test_constant_scores_record_that_the_gate_says_nothing(method: str, tmp_path: Path) -> None:
    data = pd.DataFrame({"prob_class_1": 0.4, "label": np.arange(150) % 3 == 0}).astype(float)
    metrics = _run(tmp_path, data, {"CALIBRATION_METHOD": method})
    assert "MC-W201-UNINFORMATIVE-GATE" in _warning_codes(metrics)
    content = json.loads((tmp_path / "out" / "calibration_output" / "calibrator.json").read_text())
    validation = _run(tmp_path / "validation", data, {}, job_type="validation", model=content)
    assert "MC-W201-UNINFORMATIVE-GATE" in _warning_codes(validation)


def test_constant_scores_of_one_task_or_class_are_recorded(tmp_path: Path) -> None:
    tasks = pd.DataFrame({"s1": 0.3, "s2": np.linspace(0.1, 0.9, 120), "y1": np.arange(120) % 2,
                          "y2": np.arange(120) % 3 == 0}).astype(float)
    metrics = _run(tmp_path / "tasks", tasks, {"SCORE_FIELDS": '["s1", "s2"]', "TASK_LABEL_NAMES": '["y1", "y2"]',
                                               "CALIBRATION_METHOD": "isotonic"})
    (warning,) = [w for w in metrics["warnings"] if w["code"] == "MC-W201-UNINFORMATIVE-GATE"]  # type: ignore[attr-defined]  # a JSON list
    assert "s1" in warning["message"] and "s2" not in warning["message"]


def test_varied_scores_record_no_gate_warning(tmp_path: Path) -> None:
    data = pd.DataFrame({"prob_class_1": np.linspace(0.01, 0.99, 100), "label": np.arange(100) % 2})
    assert _warning_codes(_run(tmp_path, data, {"CALIBRATION_METHOD": "isotonic"})) == []


# --------------------------------------------------------------------------------------------
# Instance types
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["ml.bogus.9000xlarge", "ml.m5.xlarge ", "ML.M5.XLARGE", "ml.m5", "ml.p99.48xlarge",
                                 "ml.m5.xlarge\n", "ml.t2.medium"])
def test_an_instance_type_processing_jobs_do_not_accept_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"instance_type must be a SageMaker instance type for processing jobs"):
        _processing_config(bad)


def test_every_processing_instance_type_is_accepted() -> None:
    assert len(PROCESSING_INSTANCE_TYPES) > 100
    for name in sorted(PROCESSING_INSTANCE_TYPES):
        assert _processing_config(name).instance_type == name


def test_the_vendored_instance_types_are_the_api_models() -> None:
    pytest.importorskip("botocore")
    module = Path(__file__).resolve().parents[2] / "calibration_step" / "config" / "processing_instance_types.py"
    source = module.read_text(encoding="utf-8")
    assert render(source, api_model_instance_types()) == source, (
        "regenerate: python -m calibration_step.config.processing_instance_types")
    assert PROCESSING_INSTANCE_TYPES == frozenset(api_model_instance_types())


def test_the_library_does_not_import_botocore_to_validate(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from calibration_step.config import ProcessingConfig; "
            "import calibration_step.config.validation; print('botocore' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"

