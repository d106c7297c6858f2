"""Property-based tests (hypothesis) of what the step loads and applies.

- The config loader, given a valid document with any field replaced by arbitrary JSON, returns
  configs that re-validate and that the script accepts, or raises our error type.
- The calibrator-JSON loaders, given a valid calibrator of any kind with any field replaced or
  removed (with the checksum recomputed the way the script does, or not), return a calibrator
  or raise the script's error type; a returned calibrator applies to in-space scores.
- ``apply_calibrator`` refuses NaN, infinite and out-of-space scores with ``MC-E404``.
- Every binary calibrator fitted monotone (isotonic, platt, gam with the monotonic constraint,
  beta), on arbitrary finite in-space scores, returns finite probabilities in [0, 1] that never
  decrease as the score grows.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping

import attrs
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from calibration_step.config import BasePipelineConfig, ProcessingConfig
from calibration_step.config_json import ConfigClasses, from_document, loads, dumps, to_document
from calibration_step.errors import CalibrationStepError, SerializationError
from calibration_step.steps.model_calibration import ModelCalibrationConfig
from calibration_step.steps.model_calibration.config import model_calibration_environment
from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.aggregation import aggregate
from calibration_step.script.model_calibration.artifact import AnyCalibrator, checksum
from calibration_step.script.model_calibration.fitting import fit_calibrator
from calibration_step.script.model_calibration.knots import KNOT_MIN_GAP
from calibration_step.script.interface import BINARY_METHODS, SCORE_SPACE_CHOICES
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON
from tests.config.strategies import calibration_configs

FloatArray = npt.NDArray[np.float64]
CLASSES: ConfigClasses = {cls.__name__: cls for cls in (BasePipelineConfig, ProcessingConfig, ModelCalibrationConfig)}
FIELDS = tuple(field.name for field in attrs.fields(ModelCalibrationConfig) if field.init)

_edge_numbers = st.sampled_from([0, 1, -1, 2, 3, 4, 200, 201, 1000, 1001, 10000, 10001, 2**32 - 1, 2**32,
                                 2**63, -(2**63), 0.0, -0.0, 0.5, 1.0, 1.0000001, 1e-320, 1e308,
                                 math.inf, -math.inf, math.nan, 4.0, 10.5])
_edge_strings = st.sampled_from(["", " ", "gam", "GAM", "auto", "temperature", "probability", "logit",
                                 "calibration", "testing", "INFO", "debug", "5", "0.05", "true", "label",
                                 "prob_class_1", "a,b", "\x00", "é"])
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | _edge_numbers | _edge_strings,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


# --------------------------------------------------------------------------------------------
# The config loader
# --------------------------------------------------------------------------------------------
def _script_accepts(config: ModelCalibrationConfig) -> None:
    environ = {name.value: value for name, value in model_calibration_environment(config).items()}
    mc.read_settings(environ)  # raises CalibrationScriptError for any value the script refuses


@settings(max_examples=150, deadline=None)
@given(base=calibration_configs(), field=st.sampled_from(FIELDS), value=_json,
       place=st.sampled_from(["specific", "shared", "both"]))
def test_config_loader_returns_a_valid_config_or_our_error(
        base: ModelCalibrationConfig, field: str, value: object, place: str) -> None:
    configs = {"calibrate": base, "again": attrs.evolve(base, instance_count=base.instance_count % 100 + 1)}
    document = to_document(configs, classes=CLASSES)
    configuration = document["configuration"]
    assert isinstance(configuration, dict)
    shared, specific = configuration["shared"], configuration["specific"]
    assert isinstance(shared, dict) and isinstance(specific, dict)
    if place in ("specific", "both"):
        specific["calibrate"][field] = value
        shared.pop(field, None)
        specific["again"].setdefault(field, copy.deepcopy(value if place == "both" else
                                                          document_value(base, field)))
    else:
        for step in specific.values():
            step.pop(field, None)
        shared[field] = value
    try:
        loaded = from_document(json.loads(json.dumps(document)), classes=CLASSES)
    except SerializationError:
        return
    for config in loaded.values():
        assert isinstance(config, ModelCalibrationConfig)
        assert attrs.evolve(config) == config  # every validator passes again
        assert loads(dumps({"c": config}, classes=CLASSES), classes=CLASSES) == {"c": config}
        _script_accepts(config)  # never accepts a value the script would refuse


def document_value(config: ModelCalibrationConfig, field: str) -> object:
    """``field`` of ``config`` as the document holds it."""
    unstructured = to_document({"c": config}, classes=CLASSES)["configuration"]
    assert isinstance(unstructured, dict)
    return unstructured["specific"]["c"][field]


@settings(max_examples=60, deadline=None)
@given(document=_json)
def test_config_loader_on_any_json_raises_only_our_error(document: object) -> None:
    try:
        from_document(document, classes=CLASSES)
    except CalibrationStepError:
        return
    pytest.fail("arbitrary JSON loaded as configs")  # an empty configuration is not arbitrary JSON


# --------------------------------------------------------------------------------------------
# The calibrator-JSON loaders
# --------------------------------------------------------------------------------------------
def _binary(method: str, space: str) -> mc.Calibrator:
    if method in ("isotonic", "gam"):
        xs = np.array([0.05, 0.4, 0.9]) if space == "probability" else np.array([-3.0, 0.0, 2.5])
        extra: Mapping[str, object] = {"n_splines": 10, "lam": 0.6, "monotonic": True} if method == "gam" else {}
        return mc.Calibrator(method, space, CLIP_EPSILON, knots_x=xs, knots_y=np.array([0.1, 0.3, 0.8]),
                             extra_params=extra)
    if method == "venn_abers":
        xs = np.array([0.05, 0.4, 0.9]) if space == "probability" else np.array([-3.0, 0.0, 2.5])
        return mc.Calibrator(method, space, CLIP_EPSILON, knots_x=xs,
                             p0_p1=(np.linspace(0.0, 0.6, 7), np.linspace(0.3, 1.0, 7)))
    if method == "identity":
        return mc.Calibrator(method, space, CLIP_EPSILON)
    coef = (1.3, -0.2) if method == "platt" else (0.8, 1.1, 0.1)
    return mc.Calibrator(method, space, CLIP_EPSILON, coef=coef)


def _contents() -> dict[str, Callable[[], dict[str, object]]]:
    made: dict[str, Callable[[], dict[str, object]]] = {}
    for method in BINARY_METHODS:
        for space in SCORE_SPACE_CHOICES:
            made[f"{method}-{space}"] = lambda m=method, s=space: _binary(m, s).to_json_dict()  # type: ignore[misc]  # defaults bind the loop values
    made["multiclass-ovr"] = lambda: mc.MultiCalibrator(
        mode="multiclass", method="platt", score_space="probability", clip_epsilon=CLIP_EPSILON,
        names=("a", "b", "c"), score_fields=("p_a", "p_b", "p_c"), label_fields=("y",),
        members=tuple(_binary("platt", "probability") for _ in range(3))).to_json_dict()
    made["multiclass-temperature"] = lambda: mc.MultiCalibrator(
        mode="multiclass", method="temperature", score_space="logit", clip_epsilon=CLIP_EPSILON,
        names=("a", "b"), score_fields=("p_a", "p_b"), label_fields=("y",), scale=0.7,
        bias=(0.1, -0.1)).to_json_dict()
    made["multitask"] = lambda: mc.MultiCalibrator(
        mode="multitask", method="isotonic", score_space="probability", clip_epsilon=CLIP_EPSILON,
        names=("s1", "s2"), score_fields=("s1", "s2"), label_fields=("y1", "y2"),
        members=(_binary("isotonic", "probability"), _binary("isotonic", "probability"))).to_json_dict()
    return made


CONTENTS = _contents()
_REMOVE = object()


def _targets(content: dict[str, object]) -> list[tuple[dict[str, object], str]]:
    """Every (object, key) a mutation may change: top level, params, members and their params."""
    targets = [(content, key) for key in content if key != "checksum"]
    params = content.get("params")
    if isinstance(params, dict):
        targets += [(params, key) for key in params]
    members = content.get("members")
    if isinstance(members, list):
        for member in members:
            targets += [(member, key) for key in member]
            targets += [(member["params"], key) for key in member["params"]]
    return targets


def _in_space_probe(space: str) -> FloatArray:
    if space == "probability":
        return np.array([0.0, 1e-300, 1e-15, 0.01, 0.3, 0.5, 0.77, 1 - 1e-12, 1.0])
    return np.array([-1e300, -700.0, -30.0, -1.0, 0.0, 0.5, 40.0, 800.0, 1e300])


def _check_applies(calibrator: AnyCalibrator) -> None:
    """A loaded calibrator maps in-space scores to probabilities (or refuses with our error)."""
    probe = _in_space_probe(calibrator.score_space)
    try:
        if isinstance(calibrator, mc.MultiCalibrator) and calibrator.mode == "multiclass":
            out = mc.apply_multiclass(calibrator, np.tile(probe[:, None], (1, len(calibrator.names))))
        elif isinstance(calibrator, mc.MultiCalibrator):
            out = np.concatenate([mc.apply_calibrator(member, probe) for member in calibrator.members])
        else:
            out = mc.apply_calibrator(calibrator, probe)
    except mc.CalibrationScriptError:
        return
    assert out.dtype == np.float64


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(CONTENTS)), data=st.data(), value=st.one_of(_json, st.just(_REMOVE)),
       resign=st.booleans())
def test_calibrator_loaders_return_a_calibrator_or_our_error(
        kind: str, data: st.DataObject, value: object, resign: bool) -> None:
    content = CONTENTS[kind]()
    target, key = data.draw(st.sampled_from(_targets(content)))
    if value is _REMOVE:
        del target[key]
    else:
        target[key] = value
    if resign:
        try:
            content["checksum"] = checksum(content)
        except ValueError:  # NaN or infinity: no canonical JSON, so no checksum to carry
            pass
    edited = json.dumps(content, sort_keys=True) != json.dumps(CONTENTS[kind](), sort_keys=True)
    for load in (mc.load_calibration_model, mc.load_calibrator):
        try:
            loaded = load(json.loads(json.dumps(content)))
        except mc.CalibrationScriptError as exc:
            assert exc.code.startswith("MC-E40") and exc.message and exc.hint
            continue
        assert resign or not edited, "an edit without a new checksum was loaded"
        assert isinstance(loaded, (mc.Calibrator, mc.MultiCalibrator))
        assert loaded.score_space in SCORE_SPACE_CHOICES
        _assert_in_range(loaded)
        _check_applies(loaded)


def _assert_in_range(calibrator: AnyCalibrator) -> None:
    """Every value a loaded calibrator holds is within its documented range."""
    assert 0.0 < calibrator.clip_epsilon < 0.5
    if isinstance(calibrator, mc.MultiCalibrator):
        assert calibrator.method != "temperature" or calibrator.scale > 0.0
        for member in calibrator.members:
            _assert_in_range(member)
        return
    if calibrator.knots_y is not None:
        ys = calibrator.knots_y
        assert np.all((ys >= 0.0) & (ys <= 1.0))
        if calibrator.method == "isotonic" or calibrator.extra_params.get("monotonic") is not False:
            assert np.all(np.diff(ys) >= 0.0)
    if calibrator.method == "beta":
        assert calibrator.coef[0] >= 0.0 and calibrator.coef[1] >= 0.0


@pytest.mark.parametrize("edit,field", [
    ("iso_y_above_one", "params.y"), ("iso_y_negative", "params.y"), ("iso_y_decreasing", "params.y"),
    ("gam_y_decreasing", "params.y"), ("eps_zero", "clip_epsilon"), ("eps_negative", "clip_epsilon"),
    ("eps_half", "clip_epsilon"), ("beta_negative_a", "params.a"), ("beta_negative_b", "params.b"),
    ("member_eps_zero", "members[1].clip_epsilon"), ("member_y_above_one", "members[0].params.y"),
])
def test_out_of_range_calibrator_values_are_refused_even_when_signed(edit: str, field: str) -> None:
    # Found by the loader property above: with a correct checksum these were loaded.
    content: dict[str, object]
    if edit.startswith(("iso", "gam")):
        content = _binary("isotonic" if edit.startswith("iso") else "gam", "probability").to_json_dict()
        ys = {"iso_y_above_one": [0.2, 0.4, 1.5], "iso_y_negative": [-0.1, 0.4, 0.7]}.get(edit, [0.9, 0.5, 0.1])
        content["params"] = {**_dict(content["params"]), "y": ys}
    elif edit.startswith("eps"):
        content = _binary("platt", "probability").to_json_dict()
        content["clip_epsilon"] = {"eps_zero": 0.0, "eps_negative": -1.0, "eps_half": 0.5}[edit]
    elif edit.startswith("beta"):
        content = _binary("beta", "probability").to_json_dict()
        content["params"] = {**_dict(content["params"]), edit[-1]: -2.0}
    else:
        content = CONTENTS["multitask"]()
        members = content["members"]
        assert isinstance(members, list)
        if edit == "member_eps_zero":
            members[1]["clip_epsilon"] = 0.0
        else:
            members[0]["params"]["y"] = [0.1, 0.3, 1.01]
    content["checksum"] = checksum(content)
    loaders = [mc.load_calibration_model] + ([mc.load_calibrator] if "members" not in content else [])
    for load in loaders:
        with pytest.raises(mc.CalibrationScriptError, match=rf"MC-E401-CALIBRATOR-INVALID: .*{re.escape(field)} must"):
            load(json.loads(json.dumps(content)))


def _dict(value: object) -> dict[str, object]:
    assert isinstance(value, dict)
    return value


@settings(max_examples=100, deadline=None)
@given(document=_json)
def test_calibrator_loaders_on_any_json_raise_only_our_error(document: object) -> None:
    for load in (mc.load_calibration_model, mc.load_calibrator):
        with pytest.raises(mc.CalibrationScriptError):
            load(document if isinstance(document, dict) else {"schema_version": 1, "content": document})


# --------------------------------------------------------------------------------------------
# apply_calibrator: refusing bad scores, and monotone calibrators
# --------------------------------------------------------------------------------------------
def _scores(space: str, min_size: int = 0, max_size: int = 20) -> st.SearchStrategy[list[float]]:
    """Any finite scores of the space (subnormals and the extremes included)."""
    element = (st.floats(min_value=0.0, max_value=1.0) if space == "probability"
               else st.floats(allow_nan=False, allow_infinity=False))
    return st.lists(element, min_size=min_size, max_size=max_size)


@settings(max_examples=100, deadline=None)
@given(space=st.sampled_from(SCORE_SPACE_CHOICES), method=st.sampled_from(BINARY_METHODS), data=st.data(),
       bad=st.sampled_from([math.nan, math.inf, -math.inf, -1e-9, 1.0 + 1e-9, 2.0, -5.0]))
def test_apply_refuses_nan_infinite_and_out_of_space_scores(
        space: str, method: str, data: st.DataObject, bad: float) -> None:
    assume(space == "probability" or not math.isfinite(bad))
    good = data.draw(_scores(space, max_size=20))
    position = data.draw(st.integers(0, len(good)))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E404-INVALID-SCORES") as info:
        mc.apply_calibrator(_binary(method, space), np.array(good[:position] + [bad] + good[position:]))
    assert "NaN, infinite or out-of-space" in info.value.message


def _assert_monotone_probabilities(calibrator: mc.Calibrator, scores: list[float], increasing: bool = True) -> None:
    probe = np.sort(np.array(scores, dtype=np.float64))
    out = mc.apply_calibrator(calibrator, probe)
    assert out.shape == probe.shape
    assert np.all(np.isfinite(out)) and np.all(out >= 0.0) and np.all(out <= 1.0)
    steps = np.diff(out) if increasing else -np.diff(out)
    assert np.all(steps >= 0.0), f"decreases by {float(-steps.min())} at {probe[int(np.argmin(steps))]}"


_subnormals = st.sampled_from([0.0, 5e-324, 1e-320, 2.2e-311, 4.4e-311, 1e-309, 2.2250738585072014e-308])
"""Scores a subnormal distance apart: np.interp's slope between such knots is infinite."""


@st.composite
def _fit_data(draw: st.DrawFn) -> tuple[str, FloatArray, FloatArray]:
    space = draw(st.sampled_from(SCORE_SPACE_CHOICES))
    element = (st.floats(min_value=0.0, max_value=1.0) if space == "probability"
               else st.floats(min_value=-1e6, max_value=1e6)) | _subnormals
    rows = draw(st.lists(st.tuples(element, st.sampled_from([0.0, 1.0])), min_size=2, max_size=60))
    rows += [(rows[0][0], 1.0 - rows[0][1])]  # both classes
    scores, labels = (np.array(column, dtype=np.float64) for column in zip(*rows))
    return space, scores, labels


@settings(max_examples=80, deadline=None)
@given(method=st.sampled_from(BINARY_METHODS), fit=_fit_data(), data=st.data())
def test_fitted_monotone_calibrators_give_probabilities_that_never_decrease(
        method: str, fit: tuple[str, FloatArray, FloatArray], data: st.DataObject) -> None:
    space, scores, labels = fit
    env = {"CALIBRATION_METHOD": method, "SCORE_SPACE": space, "MONOTONIC_CONSTRAINT": "true", "GAM_SPLINES": "6"}
    try:
        calibrator = fit_calibrator(aggregate(scores, labels), mc.read_settings(env))
    except mc.CalibrationScriptError as exc:
        # non-finite, or degenerate (e.g. no signal: a constant output); never non-converged
        assert exc.code in ("MC-E303-FIT-FAILED", "MC-E305-FIT-DEGENERATE")
        return
    probe = data.draw(_scores(space, min_size=1, max_size=40)) + scores.tolist()
    # platt is the only method without a sign constraint: monotone in the direction of its slope
    increasing = method != "platt" or calibrator.coef[0] >= 0.0
    _assert_monotone_probabilities(calibrator, probe, increasing)


@st.composite
def _monotone_calibrators(draw: st.DrawFn) -> mc.Calibrator:
    """Calibrators of every method with monotone non-decreasing parameters."""
    method = draw(st.sampled_from(BINARY_METHODS))
    space = draw(st.sampled_from(SCORE_SPACE_CHOICES))
    finite = st.floats(min_value=-1e6, max_value=1e6)
    if method in ("isotonic", "gam"):
        n = draw(st.integers(1, 12))
        xs = np.sort(np.array(draw(st.lists((st.floats(0.0, 1.0) if space == "probability" else finite)
                                            | _subnormals, min_size=n, max_size=n))))
        ys = np.sort(np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))))
        return mc.Calibrator(method, space, CLIP_EPSILON, knots_x=xs, knots_y=ys)
    if method == "venn_abers":
        xs = np.unique(np.array(draw(st.lists(st.floats(0.0, 1.0) if space == "probability" else finite,
                                              min_size=1, max_size=12))))
        p0 = np.sort(np.array(draw(st.lists(st.floats(0.0, 0.999), min_size=2 * xs.size + 1,
                                            max_size=2 * xs.size + 1))))
        p1 = np.maximum(p0, np.sort(np.array(draw(st.lists(st.floats(1e-3, 1.0), min_size=p0.size,
                                                           max_size=p0.size)))))
        return mc.Calibrator(method, space, CLIP_EPSILON, knots_x=xs, p0_p1=(p0, p1))
    if method == "identity":
        return mc.Calibrator(method, space, CLIP_EPSILON)
    if method == "temperature":  # a positive scale; probabilities take ln(p + log_offset)
        offset = {"log_offset": 1e-12} if space == "probability" else {}
        return mc.Calibrator(method, space, CLIP_EPSILON, coef=(draw(st.floats(1e-300, 1e6)),),
                             extra_params=offset)
    slopes = st.floats(min_value=0.0, max_value=1e3)
    coef = ((draw(slopes), draw(finite)) if method == "platt" else (draw(slopes), draw(slopes), draw(finite)))
    return mc.Calibrator(method, space, CLIP_EPSILON, coef=coef)


@settings(max_examples=200, deadline=None)
@given(calibrator=_monotone_calibrators(), data=st.data())
def test_monotone_calibrators_on_any_in_space_scores_never_decrease(
        calibrator: mc.Calibrator, data: st.DataObject) -> None:
    loaded = mc.load_calibrator(json.loads(json.dumps(calibrator.to_json_dict())))
    scores = data.draw(_scores(calibrator.score_space, min_size=1, max_size=40))
    _assert_monotone_probabilities(loaded, scores + _in_space_probe(calibrator.score_space).tolist())


@pytest.mark.parametrize("space,scores", [
    ("probability", [2.2250738585072014e-311, 4.4e-311, 0.3, 0.6]),
    ("logit", [-2.2e-313, 2.2e-311, 1.0, 2.0]),
])
def test_isotonic_between_subnormal_knots_is_monotone(space: str, scores: list[float]) -> None:
    # Found by the fitted-calibrator property: 3e-311 mapped to 1.0 and 4.4e-311 to 0.5.
    calibrator = fit_calibrator(aggregate(np.array(scores), np.array([0.0, 1.0, 0.0, 1.0])),
                                mc.read_settings({"CALIBRATION_METHOD": "isotonic", "SCORE_SPACE": space}))
    assert calibrator.knots_x is not None
    gaps = np.diff(calibrator.knots_x)
    assert np.all((gaps == 0.0) | (gaps >= KNOT_MIN_GAP)), gaps
    _assert_monotone_probabilities(calibrator, [0.0, 1e-312, 3e-311, *scores])
    # the fitted values at the training scores are scikit-learn's: the scores closer than
    # np.finfo(float).resolution to the first are one group (mean label 1/2), pooled with 0.3
    np.testing.assert_allclose(mc.apply_calibrator(calibrator, scores), [1 / 3, 1 / 3, 1 / 3, 1.0],
                               rtol=0, atol=1e-15)


def test_loaded_knots_a_subnormal_distance_apart_are_a_step() -> None:
    # Infinite slope: each value is clipped to its segment's y, so the step is at the first knot.
    calibrator = mc.Calibrator("gam", "probability", CLIP_EPSILON, knots_x=np.array([0.0, 5e-324, 1e-320, 0.5]),
                               knots_y=np.array([0.1, 0.2, 0.6, 0.9]), extra_params={"monotonic": True})
    loaded = mc.load_calibrator(json.loads(json.dumps(calibrator.to_json_dict())))
    out = mc.apply_calibrator(loaded, [0.0, 5e-324, 5e-321, 1e-320, 0.25])
    assert out.tolist() == [0.1, 0.2, 0.6, 0.6, 0.75]


def test_a_subnormal_slope_never_overshoots_the_next_knot() -> None:
    # Found by the property above: a rise of 2.2e-313 over 29850 has a subnormal slope (few
    # significant bits), and np.interp overshot the next knot's y just left of it.
    calibrator = mc.Calibrator("isotonic", "logit", CLIP_EPSILON, knots_x=np.array([-29850.0, -0.00390625, 0.0]),
                               knots_y=np.array([0.0, 2.2250738585e-313, 1.0]))
    _assert_monotone_probabilities(calibrator, [-29850.0, -0.0078125, -0.00390625, -1e-300, 0.0, 1.0])
