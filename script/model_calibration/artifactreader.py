"""Reading a calibrator file, ``calibrator.json`` (:mod:`.artifact`): the loaders verify its schema
version (``MC-E403``), its checksum (``MC-E402``) and every field's range (``MC-E401``) before
they build the calibrator.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import Optional, TypeVar, Union

import numpy as np

from ..errors import CalibrationScriptError, Code
from ..interface import BINARY_METHODS, CALIBRATION_METHOD_CHOICES, MULTICLASS_METHODS, SCORE_SPACE_CHOICES
from ..strict_json import JsonRefused, check_json_value, strict_loads
from .artifact import (CALIBRATOR_KIND, CALIBRATOR_SCHEMA_VERSION, CLASS_FLOOR, MIXTURE_METHOD, MULTICLASS_KIND,
                       MULTITASK_KIND, SCHEMA_2_METHODS, UNIFORM_SHARE, AnyCalibrator, Calibrator, MultiCalibrator,
                       checksum, named_methods, required_schema_version)
from .jsonvalues import JsonDict
from .numerics import FloatArray

C = TypeVar("C", bound=AnyCalibrator)


def _invalid(message: str) -> CalibrationScriptError:
    return CalibrationScriptError(Code.MC_E401_CALIBRATOR_INVALID, message,
                                  "use a calibrator.json written by this script, unmodified")


def _float_list(value: object, name: str) -> FloatArray:
    if not isinstance(value, list) or not value:
        raise _invalid(f"params.{name} must be a non-empty list of numbers")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise _invalid(f"params.{name} must hold numbers only")
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise _invalid(f"params.{name} holds non-finite numbers")
    return arr


def _number(value: object, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise _invalid(f"{name} must be a finite number")
    return float(value)


def _clip_epsilon(value: object, name: str) -> float:
    """A clip epsilon: a finite number strictly between 0 and 0.5 (else ``[eps, 1 - eps]`` is
    empty, or clipping at 0 makes the logit of 0 and 1 infinite)."""
    eps = _number(value, name)
    if not 0.0 < eps < 0.5:
        raise _invalid(f"{name} must lie strictly between 0 and 0.5; got {eps!r}")
    return eps


def _knot_values(ys: FloatArray, name: str, monotone: bool) -> FloatArray:
    """Knot probabilities: in [0, 1] and, for a monotone fit, never decreasing."""
    if float(ys.min()) < 0.0 or float(ys.max()) > 1.0:
        raise _invalid(f"{name} must hold probabilities in [0, 1]; got min {float(ys.min())!r}, "
                       f"max {float(ys.max())!r}")
    if monotone and np.any(np.diff(ys) < 0.0):
        at = int(np.argmax(np.diff(ys) < 0.0))
        raise _invalid(f"{name} must not decrease for a monotone fit; y[{at + 1}] = "
                       f"{float(ys[at + 1])!r} < y[{at}] = {float(ys[at])!r}")
    return ys


def _mapping(value: object, name: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _invalid(f"{name} must be an object")
    return {str(key): item for key, item in value.items()}


def load_calibrator(source: Union[str, os.PathLike[str], Mapping[str, object]]) -> Calibrator:
    """Load a calibrator from a ``calibrator.json`` path or its parsed content.

    Verifies the schema version (``MC-E403-SCHEMA-VERSION``), the checksum
    (``MC-E402-CHECKSUM-MISMATCH``), the fields (``MC-E401-CALIBRATOR-INVALID``) and what it
    computes (``MC-E407-CALIBRATOR-OUTPUTS``, :func:`.probes.check_outputs`).

    >>> good = Calibrator("platt", "probability", 1e-15, coef=(2.0, 0.5)).to_json_dict()
    >>> load_calibrator(good).coef
    (2.0, 0.5)
    >>> try:
    ...     load_calibrator({**good, "method": "beta"})
    ... except CalibrationScriptError as exc:
    ...     print(exc.code)
    MC-E402-CHECKSUM-MISMATCH
    """
    content = verified_content(source)
    kind = content.get("kind", CALIBRATOR_KIND)
    if kind != CALIBRATOR_KIND:
        raise _invalid(f"kind {kind!r} is not a single binary calibrator; read it with "
                       "load_calibration_model")
    return _checked(_binary(content))


def _binary(content: Mapping[str, object]) -> Calibrator:
    """A binary calibrator file's calibrator, with its score column when the file names one."""
    column = content.get("score_field")
    if column is not None and (not isinstance(column, str) or not column):
        raise _invalid(f"calibrator.score_field must be a column name; got {column!r}")
    return dataclasses.replace(_parse_member(content, "calibrator"), score_field=column)


def verified_content(source: Union[str, os.PathLike[str], Mapping[str, object]]
                     ) -> Mapping[str, object]:
    """The calibrator JSON content, its schema version and checksum verified.

    The text is read by :func:`strict_loads` (no repeated key, nesting at most 64 deep, every
    number a finite float), parsed content is checked by the same rules: ``MC-E401``.
    """
    if isinstance(source, Mapping):
        content: Mapping[str, object] = source
        try:
            check_json_value(dict(content))
        except JsonRefused as exc:
            raise _invalid(f"calibrator content: {exc}") from exc
    else:
        try:
            with open(source, "rb") as handle:
                parsed: object = strict_loads(handle.read())
        except (OSError, ValueError) as exc:
            raise _invalid(f"cannot read calibrator JSON {os.fspath(source)!r}: {exc}") from exc
        content = _mapping(parsed, "calibrator")
    version = content.get("schema_version")
    required = required_schema_version(content)
    if version != required or isinstance(version, bool):
        uses = f" for methods {', '.join(map(str, named_methods(content)))}" if version in (1, 2, 3, 4, 5) \
            and not isinstance(version, bool) else ""
        raise CalibrationScriptError(
            Code.MC_E403_SCHEMA_VERSION,
            f"calibrator schema_version {version!r} is not supported{uses}",
            f"this script reads schema_version {CALIBRATOR_SCHEMA_VERSION} (2 for calibrators "
            f"using {' or '.join(SCHEMA_2_METHODS)} or a log_offset or a probability_floor, 3 "
            f"for an auto {MIXTURE_METHOD}, 4 for a binary temperature, 5 for a multi-class "
            "class floor); refit with a matching script version")
    stated = content.get("checksum")
    try:
        expected = checksum(content)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"calibrator content is not canonical JSON: {exc}") from exc
    if stated != expected:
        raise CalibrationScriptError(
            Code.MC_E402_CHECKSUM_MISMATCH, "calibrator checksum does not match its content",
            "the file was modified or truncated; use the file written by the script")
    return content


def _parse_member(content: Mapping[str, object], where: str, nested: bool = False
                  ) -> Calibrator:
    """One binary calibrator from its JSON fields (checksum verified by the caller); ``nested``:
    a mixture's member, which cannot be a mixture itself."""
    method = content.get("method")
    space = content.get("score_space")
    if method == MIXTURE_METHOD and not nested:
        return _parse_mixture(content, where)
    if method not in BINARY_METHODS or not isinstance(method, str):
        raise _invalid(f"{where}: unknown method {method!r}")
    if space not in SCORE_SPACE_CHOICES or not isinstance(space, str):
        raise _invalid(f"{where}: unknown score_space {space!r}")
    eps = _clip_epsilon(content.get("clip_epsilon"), f"{where}.clip_epsilon")
    params = _mapping(content.get("params"), f"{where}.params")
    common = dict(
        fit=_mapping(content.get("fit", {}), "fit"),
        rows=_mapping(content.get("rows", {}), "rows"),
        input_fingerprint=_mapping(content.get("input_fingerprint", {}), "input_fingerprint"),
        producer=_mapping(content.get("producer", {}), "producer"),
    )
    bound: JsonDict = {} if "probability_floor" not in params else {
        "probability_floor": _probability_floor(params, where)}  # every method's extra params
    if method in ("isotonic", "gam"):
        xs = _float_list(params.get("x"), "x")
        ys = _float_list(params.get("y"), "y")
        if xs.shape != ys.shape or np.any(np.diff(xs) < 0):
            raise _invalid(f"{where}: params.x must be increasing and as long as params.y")
        # isotonic is always monotone; gam unless it was fitted with MONOTONIC_CONSTRAINT=false
        _knot_values(ys, f"{where}.params.y",
                     monotone=method == "isotonic" or params.get("monotonic") is not False)
        extra = {key: value for key, value in params.items() if key not in ("x", "y")}
        return Calibrator(method, space, eps, knots_x=xs, knots_y=ys, extra_params=extra,
                          fit=common["fit"], rows=common["rows"],
                          input_fingerprint=common["input_fingerprint"],
                          producer=common["producer"])
    if method == "venn_abers":
        return _parse_venn_abers(params, space, eps, common, where)
    if method == "identity":
        return Calibrator(method, space, eps, extra_params=dict(params), fit=common["fit"],
                          rows=common["rows"], input_fingerprint=common["input_fingerprint"],
                          producer=common["producer"])
    if method == "temperature":
        return _parse_temperature(params, space, eps, common, where)
    names = "ab" if method == "platt" else "abc"
    coef = tuple(_number(params.get(name), f"{where}.params.{name}") for name in names)
    if method == "beta":
        for name, value in zip("ab", coef):
            if value < 0.0:
                raise _invalid(f"{where}.params.{name} must be >= 0 (beta is monotone); "
                               f"got {value!r}")
    return Calibrator(method, space, eps, coef=coef, extra_params=bound, fit=common["fit"],
                      rows=common["rows"],
                      input_fingerprint=common["input_fingerprint"], producer=common["producer"])


def _parse_temperature(params: Mapping[str, object], space: str, eps: float,
                       common: Mapping[str, Mapping[str, object]], where: str) -> Calibrator:
    """A binary temperature calibrator: ``params.scale > 0``, on probabilities the
    ``params.log_offset`` in ``(0, 0.5)`` of its log-odds, and an optional bound
    ``probability_floor`` and ``scale_penalty >= 0`` (descriptive).

    >>> cal = Calibrator("temperature", "probability", 1e-15, coef=(0.5,),
    ...                  extra_params={"log_offset": 1e-12, "scale_penalty": 0.0})
    >>> load_calibrator(cal.to_json_dict()).coef
    (0.5,)
    """
    scale = _number(params.get("scale"), f"{where}.params.scale")
    if not scale > 0.0:
        raise _invalid(f"{where}: temperature needs params.scale > 0; got {scale!r}")
    extra: JsonDict = {}
    if space == "probability" or "log_offset" in params:
        offset = _number(params.get("log_offset"), f"{where}.params.log_offset")
        if not 0.0 < offset < 0.5:
            raise _invalid(f"{where}.params.log_offset must lie strictly between 0 and 0.5; "
                           f"got {offset!r}")
        extra["log_offset"] = offset
    if "scale_penalty" in params:
        penalty = _number(params["scale_penalty"], f"{where}.params.scale_penalty")
        if penalty < 0.0:
            raise _invalid(f"{where}.params.scale_penalty must be >= 0; got {penalty!r}")
        extra["scale_penalty"] = penalty
    if "probability_floor" in params:
        extra["probability_floor"] = _probability_floor(params, where)
    return Calibrator("temperature", space, eps, coef=(scale,), extra_params=extra,
                      fit=common["fit"], rows=common["rows"],
                      input_fingerprint=common["input_fingerprint"], producer=common["producer"])


def _probability_floor(params: Mapping[str, object], where: str) -> float:
    """``params.probability_floor``: the bound of the outputs, a number in ``[0, 0.5)``."""
    floor = _number(params.get("probability_floor"), f"{where}.params.probability_floor")
    if not 0.0 <= floor < 0.5:
        raise _invalid(f"{where}.params.probability_floor must lie in [0, 0.5); got {floor!r}")
    return floor


def _parse_mixture(content: Mapping[str, object], where: str) -> Calibrator:
    """A mixture: ``params.members`` (binary calibrators in its score space, no mixture among
    them) and ``params.weights``, one per member, each in (0, 1], summing to 1 within 1e-9.

    >>> from .mixture import mixture_calibrator
    >>> mix = mixture_calibrator([Calibrator("identity", "logit", 1e-15),
    ...                           Calibrator("platt", "logit", 1e-15, coef=(2.0, 0.0))],
    ...                          [0.25, 0.75])
    >>> loaded = load_calibrator(mix.to_json_dict())
    >>> [m.method for m in loaded.members], loaded.weights
    (['identity', 'platt'], (0.25, 0.75))
    """
    params = _mapping(content.get("params"), f"{where}.params")
    raw = params.get("members")
    if not isinstance(raw, list) or len(raw) < 2:
        raise _invalid(f"{where}.params.members must list two or more calibrators")
    members = tuple(_parse_member(_mapping(item, f"{where}.params.members[{i}]"),
                                  f"{where}.params.members[{i}]", nested=True)
                    for i, item in enumerate(raw))
    weights = tuple(float(w) for w in _float_list(params.get("weights"), "weights"))
    space = content.get("score_space")
    if len(weights) != len(members) or any(m.score_space != space for m in members):
        raise _invalid(f"{where}: a mixture needs one weight per member, every member in its "
                       f"score_space {space!r}")
    if not all(0.0 < w <= 1.0 for w in weights) or abs(math.fsum(weights) - 1.0) > 1e-9:
        raise _invalid(f"{where}.params.weights must each lie in (0, 1] and sum to 1; got "
                       f"{list(weights)!r}")
    extra = {key: value for key, value in params.items() if key not in ("members", "weights")}
    if "probability_floor" in extra:
        extra["probability_floor"] = _probability_floor(params, where)
    return Calibrator(MIXTURE_METHOD, members[0].score_space,
                      _clip_epsilon(content.get("clip_epsilon"), f"{where}.clip_epsilon"),
                      members=members, weights=weights, extra_params=extra,
                      fit=_mapping(content.get("fit", {}), "fit"),
                      rows=_mapping(content.get("rows", {}), "rows"),
                      input_fingerprint=_mapping(content.get("input_fingerprint", {}),
                                                 "input_fingerprint"),
                      producer=_mapping(content.get("producer", {}), "producer"))


def _parse_venn_abers(params: Mapping[str, object], space: str, eps: float,
                      common: Mapping[str, Mapping[str, object]], where: str) -> Calibrator:
    """A venn_abers calibrator: increasing group scores ``x`` and the step functions ``p0`` and
    ``p1`` of ``2 len(x) + 1`` probabilities each, ``p0`` never above ``p1``."""
    xs = _float_list(params.get("x"), "x")
    p0 = _knot_values(_float_list(params.get("p0"), "p0"), f"{where}.params.p0", monotone=True)
    p1 = _knot_values(_float_list(params.get("p1"), "p1"), f"{where}.params.p1", monotone=True)
    if np.any(np.diff(xs) <= 0) or p0.shape != p1.shape or p0.shape[0] != 2 * xs.shape[0] + 1:
        raise _invalid(f"{where}: params.x must be strictly increasing and params.p0, params.p1 "
                       "hold 2 len(x) + 1 values each")
    if np.any(p0 > p1) or float(p1.min()) <= 0.0 or float(p0.max()) >= 1.0:
        raise _invalid(f"{where}: params.p0 must lie below params.p1, p1 above 0 and p0 below 1")
    extra = {key: value for key, value in params.items() if key not in ("x", "p0", "p1")}
    return Calibrator("venn_abers", space, eps, knots_x=xs, p0_p1=(p0, p1), extra_params=extra,
                      fit=common["fit"], rows=common["rows"],
                      input_fingerprint=common["input_fingerprint"], producer=common["producer"])


def _name_list(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _invalid(f"{name} must be a list of non-empty strings")
    return tuple(str(v) for v in value)


def load_calibration_model(source: Union[str, os.PathLike[str], Mapping[str, object]]
                           ) -> AnyCalibrator:
    """Load any ``calibrator.json`` (binary, multi-class or multi-task), checksum verified and
    its outputs checked (:func:`.probes.check_outputs`).

    >>> good = Calibrator("platt", "probability", 1e-15, coef=(2.0, 0.5)).to_json_dict()
    >>> type(load_calibration_model(good)).__name__
    'Calibrator'
    """
    return _checked(_parsed_model(verified_content(source)))


def _checked(calibrator: C) -> C:
    """``calibrator`` once :func:`.probes.check_outputs` accepts it (imported here: the probes
    apply calibrators, so that module imports this one)."""
    from .probes import check_outputs

    check_outputs(calibrator)
    return calibrator


def _parsed_model(content: Mapping[str, object]) -> AnyCalibrator:
    """Any calibrator from its verified JSON content (its outputs not yet checked)."""
    kind = content.get("kind", CALIBRATOR_KIND)
    if kind == CALIBRATOR_KIND:
        return _binary(content)
    if kind not in (MULTICLASS_KIND, MULTITASK_KIND):
        raise _invalid(f"unknown calibrator kind {kind!r}")
    mode = "multiclass" if kind == MULTICLASS_KIND else "multitask"
    method = content.get("method")
    if mode == "multiclass" and method == MIXTURE_METHOD:
        return _parse_class_mixture(content)
    allowed = MULTICLASS_METHODS if mode == "multiclass" else CALIBRATION_METHOD_CHOICES
    if not isinstance(method, str) or method not in allowed:
        raise _invalid(f"unknown {mode} method {method!r}")
    space = content.get("score_space")
    if not isinstance(space, str) or space not in SCORE_SPACE_CHOICES:
        raise _invalid(f"unknown score_space {space!r}")
    names = _name_list(content.get("names"), "names")
    fields = _name_list(content.get("score_fields"), "score_fields")
    labels = _name_list(content.get("label_fields"), "label_fields")
    if len(fields) != len(names) or len(names) < (2 if mode == "multiclass" else 1):
        raise _invalid("names and score_fields must be lists of equal length")
    if len(labels) != (1 if mode == "multiclass" else len(names)):
        raise _invalid("label_fields must hold one label column per task (one for multiclass)")
    raw_members = content.get("members")
    if not isinstance(raw_members, list):
        raise _invalid("members must be a list")
    members = tuple(_parse_member(_mapping(item, f"members[{i}]"), f"members[{i}]")
                    for i, item in enumerate(raw_members))
    member_names = [_mapping(item, "member").get("name") for item in raw_members]
    params = _mapping(content.get("params"), "params")
    scaling = mode == "multiclass" and method in ("temperature", "vector", "dirichlet")
    if scaling and members:
        raise _invalid(f"{method} holds no members")
    if not scaling and member_names != list(names):
        raise _invalid("members must hold one calibrator per name, in the order of names")
    loaded = MultiCalibrator(
        mode=mode, method=method, score_space=space,
        clip_epsilon=_clip_epsilon(content.get("clip_epsilon"), "clip_epsilon"), names=names,
        score_fields=fields, label_fields=labels, members=members,
        fit=_mapping(content.get("fit", {}), "fit"), rows=_mapping(content.get("rows", {}), "rows"),
        input_fingerprint=_mapping(content.get("input_fingerprint", {}), "input_fingerprint"),
        producer=_mapping(content.get("producer", {}), "producer"))
    return _with_class_scaling(loaded, params) if scaling else loaded


def _parse_class_mixture(content: Mapping[str, object]) -> MultiCalibrator:
    """A multi-class mixture: ``params.components`` (multi-class calibrators of its classes, in
    its score space, no mixture among them, no members of its own) and ``params.weights``, one
    per component, each in (0, 1], summing to 1 within 1e-9.

    >>> from .multiclassmixture import class_mixture_calibrator
    >>> temp = MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...                        clip_epsilon=1e-15, names=("a", "b"), score_fields=("a", "b"),
    ...                        label_fields=("y",), scale=0.5, bias=(0.0, 0.0))
    >>> mix = class_mixture_calibrator([temp, dataclasses.replace(temp, scale=2.0)], [0.3, 0.7])
    >>> loaded = load_calibration_model(mix.to_json_dict())
    >>> [c.scale for c in loaded.components], loaded.weights
    ([0.5, 2.0], (0.3, 0.7))
    """
    params = _mapping(content.get("params"), "params")
    raw = params.get("components")
    if not isinstance(raw, list) or len(raw) < 2:
        raise _invalid("a multiclass mixture's params.components must list two or more "
                       "calibrators")
    if content.get("members") != []:
        raise _invalid("a multiclass mixture holds its calibrators in params.components and no "
                       "members")
    shared = {key: content.get(key) for key in ("kind", "score_space", "names", "score_fields",
                                                "label_fields")}
    components = []
    for i, item in enumerate(raw):
        part = _mapping(item, f"params.components[{i}]")
        if part.get("method") == MIXTURE_METHOD or part.get("score_space") != shared[
                "score_space"]:
            raise _invalid(f"params.components[{i}] must be a multiclass calibrator in the "
                           "mixture's score space, not a mixture")
        components.append(_parsed_model({**part, **shared}))
    weights = tuple(float(w) for w in _float_list(params.get("weights"), "weights"))
    if len(weights) != len(components) or not all(0.0 < w <= 1.0 for w in weights) or \
            abs(math.fsum(weights) - 1.0) > 1e-9:
        raise _invalid("a multiclass mixture's params.weights must hold one weight per "
                       f"component, each in (0, 1], summing to 1; got {list(weights)!r}")
    first = components[0]
    assert isinstance(first, MultiCalibrator)
    return dataclasses.replace(
        first, method=MIXTURE_METHOD, members=(), scale=1.0, bias=(), class_scales=(),
        matrix=None, log_offset=None, uniform_share=None, probability_floor=None,
        clip_epsilon=_clip_epsilon(content.get("clip_epsilon"), "clip_epsilon"),
        components=tuple(c for c in components if isinstance(c, MultiCalibrator)),
        weights=weights, fit=_mapping(content.get("fit", {}), "fit"),
        rows=_mapping(content.get("rows", {}), "rows"),
        input_fingerprint=_mapping(content.get("input_fingerprint", {}), "input_fingerprint"),
        producer=_mapping(content.get("producer", {}), "producer"))


def _with_class_scaling(base: MultiCalibrator, params: Mapping[str, object]) -> MultiCalibrator:
    """``base`` with the parameters of its temperature, vector or dirichlet ``params``: the
    scale(s) or matrix, one bias per class, the optional ``log_offset``, ``uniform_share``
    (vector, dirichlet) and ``probability_floor``."""
    method, classes = base.method, len(base.names)
    bias = tuple(float(b) for b in _float_list(params.get("bias"), "bias"))
    if len(bias) != classes:
        raise _invalid(f"{method} needs one bias per class ({classes}); got {len(bias)}")
    offset: Optional[float] = None
    if "log_offset" in params:
        offset = _number(params["log_offset"], "params.log_offset")
        if not 0.0 < offset < 0.5:
            raise _invalid(f"params.log_offset must lie strictly between 0 and 0.5; got "
                           f"{offset!r}")
    share: Optional[float] = None
    if UNIFORM_SHARE in params and method != "temperature":
        share = _number(params[UNIFORM_SHARE], f"params.{UNIFORM_SHARE}")
        if not 0.0 <= share < 1.0:
            raise _invalid(f"params.{UNIFORM_SHARE} must lie in [0, 1); got {share!r}")
    floor: Optional[float] = None
    if CLASS_FLOOR in params:
        floor = _number(params[CLASS_FLOOR], f"params.{CLASS_FLOOR}")
        if not 0.0 <= floor <= 1.0 / classes ** 2:
            raise _invalid(f"params.{CLASS_FLOOR} must lie in [0, 1 / classes**2] "
                           f"({1.0 / classes ** 2:g}); got {floor!r}")
    out = dataclasses.replace(base, bias=bias, log_offset=offset, uniform_share=share,
                              probability_floor=floor)
    if method == "temperature":
        scale = _number(params.get("scale"), "params.scale")
        if scale <= 0.0:
            raise _invalid(f"temperature needs params.scale > 0; got {scale!r}")
        return dataclasses.replace(out, scale=scale)
    if method == "vector":
        scales = _float_list(params.get("scale"), "scale")
        if scales.shape[0] != classes:
            raise _invalid(f"vector needs one scale per class ({classes}); got "
                           f"{scales.shape[0]}")
        return dataclasses.replace(out, class_scales=tuple(float(v) for v in scales))
    rows = params.get("matrix")
    if not isinstance(rows, list) or len(rows) != classes or not all(
            isinstance(row, list) and len(row) == classes for row in rows):
        raise _invalid(f"dirichlet needs params.matrix: {classes} rows of {classes} numbers")
    matrix = np.vstack([_float_list(row, f"matrix[{i}]") for i, row in enumerate(rows)])
    return dataclasses.replace(out, matrix=matrix)

