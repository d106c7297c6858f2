"""The calibrator file, ``calibrator.json``: the calibrator classes, their versioned JSON with a
checksum, and the loaders that verify it.

A binary calibrator (:class:`Calibrator`, kind ``calibration_step.calibrator``) holds its method,
score space, clip epsilon and parameters (isotonic/gam: knots ``x``, ``y``; platt: ``a``, ``b``;
beta: ``a``, ``b``, ``c``; venn_abers: the group scores ``x`` and the step functions ``p0``,
``p1`` of ``2 len(x) + 1`` positions (:mod:`.venn_abers`); identity: none; mixture: the
``members`` (binary calibrators, without checksum) and their ``weights``), with descriptive
``fit``, ``rows``, ``input_fingerprint`` and ``producer``. Multi-class and multi-task
calibrators (:class:`MultiCalibrator`) hold one member per class or task, or the parameters of
temperature, vector or dirichlet scaling. The ``checksum`` is ``sha256:`` and the hex digest of
the canonical JSON of every other key (sorted keys, separators ``,`` and ``:``, no NaN). Loading verifies the schema version (``MC-E403``), the checksum (``MC-E402``) and every
field's range (``MC-E401``).

Files are schema version 1, except those using a method added in version 2 (``venn_abers``,
``identity``, ``vector``, ``dirichlet``, :data:`SCHEMA_2_METHODS`), temperature's
``log_offset`` or a bounded output ``probability_floor`` (beta, and what ``auto`` ships), which
are version 2, and those holding an ``auto`` mixture (``mixture``, :mod:`.mixture`), which are
version 3: a file of version 1 or 2 written before them loads and applies as it always did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from typing import Optional, TypeVar, Union

import numpy as np

from ..errors import CalibrationScriptError, Code
from .jsonvalues import JsonDict
from ..interface import BINARY_METHODS, CALIBRATION_METHOD_CHOICES, MULTICLASS_METHODS, SCORE_SPACE_CHOICES
from .numerics import FloatArray
from ..strict_json import JsonRefused, check_json_value, strict_loads

SCRIPT_VERSION = "0.1.0"
CALIBRATOR_SCHEMA_VERSION = 1
SCHEMA_2_METHODS = ("venn_abers", "identity", "vector", "dirichlet")
"""Methods a calibrator file can hold from schema version 2 on; a file holding none of them
(as method or member method) nor a ``params.log_offset`` is version 1, one holding any is
version 2."""
MIXTURE_METHOD = "mixture"
"""``auto``'s stacked mixture of binary calibrators (:mod:`.mixture`): ``params.weights`` and
``params.members``; a file holding one (as method or member method) is schema version 3."""
MIXTURE_SCHEMA_VERSION = 3
CALIBRATOR_KIND = "calibration_step.calibrator"
MULTICLASS_KIND = "calibration_step.multiclass_calibrator"
MULTITASK_KIND = "calibration_step.multitask_calibrator"
RENORMALISATION = ("one-vs-rest outputs divided by their row sum; a row whose outputs are all 0 "
                   "becomes uniform")


@dataclasses.dataclass(frozen=True, eq=False)
class Calibrator:
    """A fitted calibrator, exactly what ``calibrator.json`` holds.

    ``knots_x``/``knots_y`` (isotonic, gam) are interpolated in the score space; ``coef``
    holds ``(a, b)`` for platt and ``(a, b, c)`` for beta; venn_abers keeps its group scores in
    ``knots_x`` and its step functions ``(p0, p1)`` in ``p0_p1``. ``extra_params``, ``fit``, ``rows``,
    ``input_fingerprint`` and ``producer`` are descriptive JSON values. ``score_field`` is the score
    column it was fitted on, written when known (a file without it loads and applies as before),
    so that applying it needs no column name again. A ``mixture`` holds its binary calibrators
    in ``members`` and their ``weights`` (positive, summing to 1).
    """

    method: str
    score_space: str
    clip_epsilon: float
    knots_x: Optional[FloatArray] = None
    knots_y: Optional[FloatArray] = None
    coef: tuple[float, ...] = ()
    p0_p1: Optional[tuple[FloatArray, FloatArray]] = None
    extra_params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    fit: Mapping[str, object] = dataclasses.field(default_factory=dict)
    rows: Mapping[str, object] = dataclasses.field(default_factory=dict)
    input_fingerprint: Mapping[str, object] = dataclasses.field(default_factory=dict)
    producer: Mapping[str, object] = dataclasses.field(default_factory=dict)
    score_field: Optional[str] = None
    members: tuple[Calibrator, ...] = ()
    weights: tuple[float, ...] = ()

    def params(self) -> JsonDict:
        params: JsonDict = dict(self.extra_params)
        if self.method == MIXTURE_METHOD:
            params["weights"] = [float(w) for w in self.weights]
            params["members"] = [member.member_dict() for member in self.members]
        elif self.method in ("isotonic", "gam"):
            assert self.knots_x is not None and self.knots_y is not None
            params["x"] = [float(v) for v in self.knots_x]
            params["y"] = [float(v) for v in self.knots_y]
        elif self.method == "venn_abers":
            assert self.knots_x is not None and self.p0_p1 is not None
            params["x"] = [float(v) for v in self.knots_x]
            params["p0"] = [float(v) for v in self.p0_p1[0]]
            params["p1"] = [float(v) for v in self.p0_p1[1]]
        else:
            for name, value in zip("abc", self.coef):
                params[name] = float(value)
        return params

    def member_dict(self) -> JsonDict:
        """The calibrator's own fields, as held inside a multi-class or multi-task calibrator."""
        return {"method": self.method, "score_space": self.score_space,
                "clip_epsilon": float(self.clip_epsilon), "params": self.params(),
                "fit": dict(self.fit), "rows": dict(self.rows)}

    def to_json_dict(self) -> JsonDict:
        """The versioned JSON content with its checksum."""
        column: JsonDict = {} if self.score_field is None else {"score_field": self.score_field}
        return _document(CALIBRATOR_KIND, {
            **column,
            "method": self.method,
            "score_space": self.score_space,
            "clip_epsilon": float(self.clip_epsilon),
            "params": self.params(),
        }, self)


@dataclasses.dataclass(frozen=True, eq=False)
class MultiCalibrator:
    """A multi-class or multi-task calibrator: one ``calibrator.json`` for every class or task.

    ``mode="multiclass"``: ``names`` are the categories, ``score_fields`` their columns and
    ``label_fields`` the one label column; ``members`` hold one binary calibrator per class
    (one-vs-rest, renormalised) or nothing for ``temperature``, which keeps ``scale`` (1/T) and
    ``bias`` (one per class; zeros without TEMPERATURE_BIAS), ``vector`` (``class_scales`` and
    ``bias``) and ``dirichlet`` (the ``k x k`` ``matrix`` and ``bias``). These three take the
    log-scores ``ln(p + log_offset)`` of probabilities; ``log_offset`` None (temperature files
    written before it) is ``ln(max(p, clip_epsilon))``. ``mode="multitask"``: ``names`` are
    the tasks (their score columns), ``label_fields`` one per task, ``members`` one per task.

    >>> temp = MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...                        clip_epsilon=1e-15, names=("a", "b"),
    ...                        score_fields=("p_a", "p_b"), label_fields=("y",), scale=0.5,
    ...                        bias=(0.0, 0.0))
    >>> loaded = load_calibration_model(temp.to_json_dict())
    >>> loaded.mode, loaded.scale, loaded.bias
    ('multiclass', 0.5, (0.0, 0.0))
    """

    mode: str
    method: str
    score_space: str
    clip_epsilon: float
    names: tuple[str, ...]
    score_fields: tuple[str, ...]
    label_fields: tuple[str, ...]
    members: tuple[Calibrator, ...] = ()
    scale: float = 1.0
    bias: tuple[float, ...] = ()
    class_scales: tuple[float, ...] = ()
    matrix: Optional[FloatArray] = None
    log_offset: Optional[float] = None
    fit: Mapping[str, object] = dataclasses.field(default_factory=dict)
    rows: Mapping[str, object] = dataclasses.field(default_factory=dict)
    input_fingerprint: Mapping[str, object] = dataclasses.field(default_factory=dict)
    producer: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def params(self) -> JsonDict:
        params: JsonDict = {}
        if self.method == "temperature":
            params = {"scale": float(self.scale), "temperature": 1.0 / float(self.scale)}
        elif self.method == "vector":
            params = {"scale": [float(v) for v in self.class_scales]}
        elif self.method == "dirichlet":
            assert self.matrix is not None
            params = {"matrix": [[float(v) for v in row] for row in self.matrix]}
        if params:
            params["bias"] = [float(b) for b in self.bias]
            if self.log_offset is not None:
                params["log_offset"] = float(self.log_offset)
            return params
        if self.mode == "multiclass":
            return {"renormalisation": RENORMALISATION}
        return {}

    def to_json_dict(self) -> JsonDict:
        """The versioned JSON content with its checksum (members carry no checksum of their own)."""
        return _document(MULTICLASS_KIND if self.mode == "multiclass" else MULTITASK_KIND, {
            "mode": self.mode,
            "method": self.method,
            "score_space": self.score_space,
            "clip_epsilon": float(self.clip_epsilon),
            "names": list(self.names),
            "score_fields": list(self.score_fields),
            "label_fields": list(self.label_fields),
            "params": self.params(),
            "members": [{"name": name, **member.member_dict()}
                        for name, member in zip(self.names, self.members)],
        }, self)


AnyCalibrator = Union[Calibrator, MultiCalibrator]
C = TypeVar("C", bound=AnyCalibrator)


def _document(kind: str, fields: JsonDict, calibrator: AnyCalibrator) -> JsonDict:
    """A calibrator's versioned JSON: the schema version, ``kind``, its ``fields``, its
    descriptive values and the checksum of all of them."""
    content: JsonDict = {
        "schema_version": required_schema_version(fields),
        "kind": kind,
        **fields,
        "fit": dict(calibrator.fit),
        "rows": dict(calibrator.rows),
        "input_fingerprint": dict(calibrator.input_fingerprint),
        "producer": dict(calibrator.producer) or {"script": "model_calibration.py",
                                                  "version": SCRIPT_VERSION},
    }
    content["checksum"] = checksum(content)
    return content


def _methods(content: Mapping[str, object]) -> list[object]:
    """The method and every member's method named by calibrator JSON content."""
    members = content.get("members")
    return [content.get("method")] + [
        member.get("method") for member in (members if isinstance(members, list) else [])
        if isinstance(member, dict)]


def required_schema_version(content: Mapping[str, object]) -> int:
    """The schema version of calibrator JSON content: 3 where it holds a ``mixture``, 2 where it
    uses a method of :data:`SCHEMA_2_METHODS`, the class log-scores ``ln(p +
    params.log_offset)`` or a bounded output ``params.probability_floor``, else
    :data:`CALIBRATOR_SCHEMA_VERSION`.

    >>> required_schema_version({"method": "platt"}), required_schema_version(
    ...     {"method": "auto", "members": [{"method": "venn_abers"}]}), required_schema_version(
    ...     {"method": "mixture"})
    (1, 2, 3)
    """
    if MIXTURE_METHOD in _methods(content):
        return MIXTURE_SCHEMA_VERSION
    params = content.get("params")
    offset = isinstance(params, dict) and "log_offset" in params
    members = content.get("members")
    floor = any(isinstance(part, dict) and isinstance(part.get("params"), dict)
                and "probability_floor" in part["params"]  # a bounded output
                for part in [content] + (members if isinstance(members, list) else []))
    return 2 if offset or floor or any(m in SCHEMA_2_METHODS for m in _methods(content)) \
        else CALIBRATOR_SCHEMA_VERSION


def _canonical_json(content: Mapping[str, object]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)


def checksum(content: Mapping[str, object]) -> str:
    """``sha256:`` and the hex digest of the canonical JSON of every key but ``checksum``.

    >>> checksum({"a": 1, "checksum": "ignored"}) == checksum({"a": 1})
    True
    """
    body = {key: value for key, value in content.items() if key != "checksum"}
    return "sha256:" + hashlib.sha256(_canonical_json(body).encode("utf-8")).hexdigest()


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
        uses = f" for methods {', '.join(map(str, _methods(content)))}" if version in (1, 2, 3) \
            and not isinstance(version, bool) else ""
        raise CalibrationScriptError(
            Code.MC_E403_SCHEMA_VERSION,
            f"calibrator schema_version {version!r} is not supported{uses}",
            f"this script reads schema_version {CALIBRATOR_SCHEMA_VERSION} (2 for calibrators "
            f"using {' or '.join(SCHEMA_2_METHODS)} or a log_offset, 3 for an auto "
            f"{MIXTURE_METHOD}); refit with a matching "
            "script version")
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
    scaling = method in ("temperature", "vector", "dirichlet")
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


def _with_class_scaling(base: MultiCalibrator, params: Mapping[str, object]) -> MultiCalibrator:
    """``base`` with the parameters of its temperature, vector or dirichlet ``params``: the
    scale(s) or matrix, one bias per class and the optional ``log_offset``."""
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
    out = dataclasses.replace(base, bias=bias, log_offset=offset)
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

