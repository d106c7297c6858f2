"""Config JSON: round trips (hypothesis), the layout, and rejections with their JSON paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration_step.config import BasePipelineConfig, ProcessingConfig
from calibration_step.config_json import (
    MODEL_TYPE_KEY,
    ConfigClasses,
    default_config_classes,
    dumps,
    from_document,
    load,
    loads,
    save,
    to_document,
)
from calibration_step.converter import structure_all
from calibration_step.errors import CalibrationStepError, SerializationError
from calibration_step.steps.model_calibration import ModelCalibrationConfig
from tests.config.strategies import calibration_config, calibration_configs, processing_config, processing_configs

CLASSES: ConfigClasses = {
    cls.__name__: cls for cls in (BasePipelineConfig, ProcessingConfig, ModelCalibrationConfig)
}
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

_step_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12).filter(
    lambda s: s[0].isalnum()
)
_any_config = st.one_of(calibration_configs(), processing_configs())


def _document(**configs: BasePipelineConfig) -> dict[str, object]:
    return to_document(configs, classes=CLASSES, created_at=WHEN)


def _paths(exc: pytest.ExceptionInfo[SerializationError]) -> list[str]:
    return [problem.location for problem in exc.value.problems]


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_step_names, _any_config, min_size=1, max_size=4))
def test_load_of_save_is_identity(configs: dict[str, BasePipelineConfig]) -> None:
    assert loads(dumps(configs, classes=CLASSES), classes=CLASSES) == configs


@settings(max_examples=30, deadline=None)
@given(calibration_configs(), calibration_configs())
def test_shared_fields_are_those_equal_in_every_config(a: ModelCalibrationConfig, b: ModelCalibrationConfig) -> None:
    document = _document(first=a, second=b)
    shared = document["configuration"]["shared"]  # type: ignore[index]  # a JSON document
    for field in attrs.fields(ModelCalibrationConfig):
        assert (field.name in shared) == (getattr(a, field.name) == getattr(b, field.name))


def test_file_round_trip_and_layout(tmp_path: Path) -> None:
    configs = {
        "calibrate": calibration_config(calibration_method="platt", tags={"team": "risk"}),
        "calibrate_test": calibration_config(job_type="testing", tags={"team": "risk"}),
    }
    path = tmp_path / "configs.json"
    save(configs, path, classes=CLASSES, created_at=WHEN)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["metadata"]["schema_version"] == 1
    assert document["metadata"]["config_types"] == {"calibrate": "ModelCalibrationConfig",
                                                    "calibrate_test": "ModelCalibrationConfig"}
    assert document["metadata"]["created_at"] == "2026-01-02T03:04:05+00:00"
    assert isinstance(document["metadata"]["package_version"], str)
    shared, specific = document["configuration"]["shared"], document["configuration"]["specific"]
    assert shared["bucket"] == "my-ml-bucket" and shared["tags"] == {"team": "risk"}
    assert specific["calibrate"] == {MODEL_TYPE_KEY: "ModelCalibrationConfig", "calibration_method": "platt",
                                     "job_type": "calibration"}
    assert load(path, classes=CLASSES) == configs


def test_derived_values_are_not_written() -> None:
    text = dumps({"one": processing_config()}, classes=CLASSES)
    assert "pipeline_name" not in text and "pipeline_s3_location" not in text


def test_one_config_keeps_every_field_under_its_step() -> None:
    document = _document(only=processing_config())
    assert document["configuration"] == {
        "shared": {},
        "specific": {"only": {MODEL_TYPE_KEY: "ProcessingConfig", **json.loads(json.dumps(
            document["configuration"]["specific"]["only"]))}},  # type: ignore[index]  # a JSON document
    }


def test_default_classes_include_the_base_tiers() -> None:
    classes = default_config_classes()
    assert classes["BasePipelineConfig"] is BasePipelineConfig
    assert classes["ProcessingConfig"] is ProcessingConfig


# --------------------------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------------------------
def _text(document: dict[str, object]) -> str:
    return json.dumps(document)


def _two() -> dict[str, object]:
    return _document(calibrate=calibration_config(), evaluate=calibration_config(job_type="testing"))


def _specific(document: dict[str, object]) -> dict[str, dict[str, object]]:
    return document["configuration"]["specific"]  # type: ignore[index, no-any-return]  # a JSON document


def _shared(document: dict[str, object]) -> dict[str, object]:
    return document["configuration"]["shared"]  # type: ignore[index, no-any-return]  # a JSON document


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gam_splines", 3, r"ModelCalibrationConfig.gam_splines must be an int from 4 to 200; got 3"),
        ("gam_splines", "10", r"expected an integer"),
        ("gam_splines", True, r"expected an integer"),
        ("error_threshold", 0, r"error_threshold must be a number in \(0, 1\]; got 0.0"),
        ("error_threshold", float("nan"), r"SERIALIZATION-JSON-LIMIT.*the number NaN is not a finite float"),
        ("calibration_method", "Gam", r"expected one of \[.isotonic.*got .Gam."),
        ("is_binary", "true", r"expected true or false"),
        ("score_fields", "abc", r"score_fields: expected an array, got str 'abc'"),
        ("calibration_bins", 1, r"calibration_bins must be an int from 2 to 1000; got 1"),
    ],
)
def test_a_bad_specific_value_is_rejected_with_its_path(field: str, value: object, message: str) -> None:
    document = _two()
    _specific(document)["calibrate"][field] = value
    _shared(document).pop(field, None)
    with pytest.raises(SerializationError, match=message) as exc:
        loads(_text(document), classes=CLASSES)
    assert _paths(exc) == [f"$.configuration.specific.calibrate.{field}"]


def test_a_bad_shared_value_is_reported_at_its_shared_path_for_each_step() -> None:
    document = _two()
    _shared(document)["bucket"] = "Not_A_Bucket"
    with pytest.raises(SerializationError, match=r"bucket must be an S3 bucket name") as exc:
        loads(_text(document), classes=CLASSES)
    assert _paths(exc) == ["$.configuration.shared.bucket"] * 2


def test_a_nested_bad_value_keeps_its_index() -> None:
    document = _two()
    _shared(document)["tags"] = {"team": 3}
    with pytest.raises(SerializationError, match=r"expected a string") as exc:
        loads(_text(document), classes=CLASSES)
    assert "$.configuration.shared.tags['team']" in _paths(exc)


def test_a_cross_field_conflict_is_rejected_at_the_field_to_change() -> None:
    document = _two()
    _specific(document)["calibrate"]["calibration_method"] = "vector"
    _shared(document).pop("calibration_method")
    with pytest.raises(SerializationError, match=r"'vector' only when is_binary is false") as exc:
        loads(_text(document), classes=CLASSES)
    assert _paths(exc) == ["$.configuration.specific.calibrate.calibration_method"]


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (lambda d: _specific(d)["calibrate"].update(gam_spline=10), "$.configuration.specific.calibrate.gam_spline",
         r"unknown key 'gam_spline'"),
        (lambda d: _shared(d).update(colour="red"), "$.configuration.shared.colour", r"unknown key 'colour'"),
        (lambda d: d.update(extra=1), "$.extra", r"unknown key 'extra'"),
        (lambda d: d["metadata"].update(comment="x"), "$.metadata.comment", r"unknown key 'comment'"),
        (lambda d: d["metadata"].update(schema_version=2), "$.metadata.schema_version", r"schema version 2"),
        (lambda d: d["metadata"].update(created_at="yesterday"), "$.metadata.created_at", r"ISO 8601"),
        (lambda d: _specific(d)["calibrate"].update({MODEL_TYPE_KEY: "os.system"}),
         "$.configuration.specific.calibrate.__model_type__", r"'os.system' is not an allowed config class"),
        (lambda d: _specific(d)["calibrate"].update({MODEL_TYPE_KEY: "ProcessingConfig"}),
         "$.metadata.config_types.calibrate", r"says 'ModelCalibrationConfig'"),
        (lambda d: _specific(d)["calibrate"].update(bucket="my-ml-bucket"), "$.configuration.specific.calibrate.bucket",
         r"'bucket' is both shared and specific"),
        (lambda d: _specific(d)["calibrate"].pop("job_type") and _shared(d).pop("author"),
         "$.configuration.specific.calibrate.author", r"required field missing"),
        (lambda d: d["metadata"]["config_types"].pop("evaluate"), "$.metadata.config_types.evaluate",
         r"not in both"),
    ],
)
def test_structural_problems_are_rejected_with_their_path(edit: object, path: str, message: str) -> None:
    document = _two()
    edit(document)  # type: ignore[operator]  # the parametrised edit
    with pytest.raises(SerializationError, match=message) as exc:
        loads(_text(document), classes=CLASSES)
    assert path in _paths(exc)


def test_every_problem_is_listed_at_once() -> None:
    document = _two()
    _specific(document)["calibrate"]["gam_splines"] = 0
    _specific(document)["evaluate"]["colour"] = "red"
    with pytest.raises(SerializationError, match=r"2 problem\(s\)") as exc:
        loads(_text(document), classes=CLASSES)
    assert sorted(_paths(exc)) == ["$.configuration.specific.calibrate.gam_splines",
                                   "$.configuration.specific.evaluate.colour"]


def test_a_class_not_allowed_is_never_loaded() -> None:
    text = dumps({"calibrate": calibration_config()}, classes=CLASSES)
    with pytest.raises(SerializationError, match=r"'ModelCalibrationConfig' is not an allowed config class"):
        loads(text, classes={"ProcessingConfig": ProcessingConfig})


def test_saving_a_class_that_could_not_be_loaded_is_refused() -> None:
    with pytest.raises(SerializationError, match=r"ModelCalibrationConfig is not an allowed config class"):
        dumps({"calibrate": calibration_config()}, classes={"ProcessingConfig": ProcessingConfig})


def test_saving_a_bad_step_name_is_refused() -> None:
    with pytest.raises(SerializationError, match=r"step name 'a.b'"):
        dumps({"a.b": processing_config()}, classes=CLASSES)


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (lambda d: d.update(metadata=[]), "$.metadata", r"expected an object, got list \[\]"),
        (lambda d: d["metadata"].pop("created_at"), "$.metadata.created_at", r"required field missing"),
        (lambda d: d["metadata"]["config_types"].update(calibrate=1), "$.metadata.config_types['calibrate']",
         r"expected a string"),
        (lambda d: d["configuration"].update(shared="x"), "$.configuration.shared", r"expected an object"),
        (lambda d: _specific(d).update(calibrate="x"),  # type: ignore[call-overload]  # not an object on purpose
         "$.configuration.specific.calibrate", r"expected an object"),
    ],
)
def test_the_frame_is_loaded_by_the_converter(edit: object, path: str, message: str) -> None:
    document = _two()
    edit(document)  # type: ignore[operator]  # the parametrised edit
    with pytest.raises(SerializationError, match=message) as exc:
        loads(_text(document), classes=CLASSES)
    assert _paths(exc) == [path]


def test_a_config_problem_is_the_converters_placed_in_the_file() -> None:
    document = _two()
    _specific(document)["calibrate"].update(gam_spline=10, score_fields="abc")
    _shared(document).pop("score_fields", None)
    with pytest.raises(SerializationError) as in_file:
        loads(_text(document), classes=CLASSES)
    fields = {**_shared(document), **_specific(document)["calibrate"]}
    fields.pop(MODEL_TYPE_KEY)
    with pytest.raises(SerializationError) as alone:
        structure_all(fields, ModelCalibrationConfig)
    here = "$.configuration.specific.calibrate"
    assert in_file.value.problems == tuple(dataclasses.replace(p, location=here + p.location[1:]) for p in alone.value.problems)
    assert sorted(_paths(in_file)) == [f"{here}.gam_spline", f"{here}.score_fields"]


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(SerializationError, match=r"SERIALIZATION-JSON"):
        loads("{", classes=CLASSES)


def test_nothing_loads_with_validators_disabled() -> None:
    text = dumps({"one": processing_config()}, classes=CLASSES)
    attrs.validators.set_disabled(True)
    try:
        with pytest.raises(SerializationError, match=r"SERIALIZATION-UNVALIDATED"):
            loads(text, classes=CLASSES)
    finally:
        attrs.validators.set_disabled(False)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["metadata", "shared", "specific", "field"]), st.text(max_size=8), _json)
def test_arbitrary_json_in_any_place_gives_a_config_or_our_error(where: str, key: str, value: object) -> None:
    document = _two()
    if where == "metadata":
        document["metadata"][key] = value  # type: ignore[index]  # a JSON document
    elif where == "shared":
        _shared(document)[key] = value
    elif where == "specific":
        _specific(document)[key] = value  # type: ignore[assignment]  # arbitrary JSON on purpose
    else:
        _specific(document)["calibrate"][key or "gam_splines"] = value
    try:
        configs = from_document(json.loads(json.dumps(document)), classes=CLASSES)
    except CalibrationStepError:
        return
    assert all(isinstance(config, BasePipelineConfig) for config in configs.values())
