"""The calibrator file, ``calibrator.json``: the calibrator classes, their versioned JSON with a
checksum (the loaders that verify it: :mod:`.artifactreader`).

A binary calibrator (:class:`Calibrator`, kind ``calibration_step.calibrator``) holds its method,
score space, clip epsilon and parameters (isotonic/gam: knots ``x``, ``y``; platt: ``a``, ``b``;
beta: ``a``, ``b``, ``c``; temperature: ``scale`` and ``temperature = 1 / scale``, with
``log_offset`` on probabilities and ``scale_penalty`` (0: scikit-learn's fit); venn_abers: the group scores ``x`` and the step functions ``p0``,
``p1`` of ``2 len(x) + 1`` positions (:mod:`.venn_abers`); identity: none; mixture: the
``members`` (binary calibrators, without checksum) and their ``weights``), with descriptive
``fit``, ``rows``, ``input_fingerprint`` and ``producer``. Multi-class and multi-task
calibrators (:class:`MultiCalibrator`) hold one member per class or task, or the parameters of
temperature, vector or dirichlet scaling. The ``checksum`` is ``sha256:`` and the hex digest of
the canonical JSON of every other key (sorted keys, separators ``,`` and ``:``, no NaN).

Files are schema version 1, except those using a method added in version 2 (``venn_abers``,
``identity``, ``vector``, ``dirichlet``, :data:`SCHEMA_2_METHODS`), temperature's
``log_offset`` or a bounded output ``probability_floor`` (beta, and what ``auto`` ships), which
are version 2, and those holding an ``auto`` mixture (``mixture``, :mod:`.mixture`), which are
version 3, as are multi-class files holding a mixture of multi-class calibrators
(:mod:`.multiclassmixture`) or a vector or dirichlet calibrator mixed with the uniform
distribution (``uniform_share``), and those holding a binary ``temperature`` calibrator (as the
calibrator, a member or a mixture's member), which are version 4, and multi-class files holding
a temperature whose classes are lifted to a ``probability_floor`` (:data:`CLASS_FLOOR`), which
are version 5: a file of version 1, 2, 3 or 4 written before them loads and applies as it
always did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Optional, Union

from .jsonvalues import JsonDict
from .numerics import FloatArray

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
BINARY_TEMPERATURE_SCHEMA_VERSION = 4
"""The schema version of a file holding a binary ``temperature`` calibrator (as the calibrator,
a member or a mixture's member); multi-class temperature is older (versions 1 and 2)."""
UNIFORM_SHARE = "uniform_share"
"""``params.uniform_share`` of vector and dirichlet: the share ``u`` of the uniform distribution
in their output ``(1 - u) softmax(...) + u / classes`` (schema version 3)."""
CLASS_FLOOR = "probability_floor"
"""``params.probability_floor`` of a multi-class temperature, vector or dirichlet calibrator:
the least probability of a class, the mass lifted to it taken from the row's top class
(``apply.lift_to_class_floor``). A file holding one is schema version 5
(:data:`CLASS_FLOOR_SCHEMA_VERSION`; a vector or dirichlet holds one only where its
``uniform_share`` leaves a class less)."""
CLASS_FLOOR_SCHEMA_VERSION = 5
CALIBRATOR_KIND = "calibration_step.calibrator"
MULTICLASS_KIND = "calibration_step.multiclass_calibrator"
MULTITASK_KIND = "calibration_step.multitask_calibrator"
RENORMALISATION = ("one-vs-rest outputs divided by their row sum; a row whose outputs are all 0 "
                   "becomes uniform")


@dataclasses.dataclass(frozen=True, eq=False)
class Calibrator:
    """A fitted calibrator, exactly what ``calibrator.json`` holds.

    ``knots_x``/``knots_y`` (isotonic, gam) are interpolated in the score space; ``coef``
    holds ``(a, b)`` for platt, ``(a, b, c)`` for beta and ``(scale,)`` for temperature; venn_abers keeps its group scores in
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
        elif self.method == "temperature":
            params["scale"] = float(self.coef[0])
            params["temperature"] = 1.0 / float(self.coef[0])
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
    ``bias``) and ``dirichlet`` (the ``k x k`` ``matrix`` and ``bias``; these two mixed with
    the uniform distribution by ``uniform_share`` when it is not None; a temperature's classes
    lifted to ``probability_floor`` when it is not None). These three take the
    log-scores ``ln(p + log_offset)`` of probabilities; ``log_offset`` None (temperature files
    written before it) is ``ln(max(p, clip_epsilon))``. ``mode="multitask"``: ``names`` are
    the tasks (their score columns), ``label_fields`` one per task, ``members`` one per task.
    A multi-class ``mixture`` holds multi-class calibrators of these classes in ``components``
    (no mixture among them) and their ``weights`` (positive, summing to 1), and no members.

    >>> temp = MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
    ...                        clip_epsilon=1e-15, names=("a", "b"),
    ...                        score_fields=("p_a", "p_b"), label_fields=("y",), scale=0.5,
    ...                        bias=(0.0, 0.0))
    >>> from calibration_step.script.model_calibration.artifactreader import load_calibration_model
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
    uniform_share: Optional[float] = None
    probability_floor: Optional[float] = None
    components: tuple[MultiCalibrator, ...] = ()
    weights: tuple[float, ...] = ()
    fit: Mapping[str, object] = dataclasses.field(default_factory=dict)
    rows: Mapping[str, object] = dataclasses.field(default_factory=dict)
    input_fingerprint: Mapping[str, object] = dataclasses.field(default_factory=dict)
    producer: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def params(self) -> JsonDict:
        params: JsonDict = {}
        if self.method == MIXTURE_METHOD:
            return {"weights": [float(w) for w in self.weights],
                    "components": [c.component_dict() for c in self.components]}
        if self.method == "temperature" and self.mode == "multiclass":
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
            if self.uniform_share is not None:
                params[UNIFORM_SHARE] = float(self.uniform_share)
            if self.probability_floor is not None:
                params[CLASS_FLOOR] = float(self.probability_floor)
            return params
        if self.mode == "multiclass":
            return {"renormalisation": RENORMALISATION}
        return {}

    def _method_fields(self) -> JsonDict:
        """The fields that say what the calibrator computes (those a mixture's component keeps)."""
        return {"method": self.method, "score_space": self.score_space,
                "clip_epsilon": float(self.clip_epsilon), "params": self.params(),
                "members": [{"name": name, **member.member_dict()}
                            for name, member in zip(self.names, self.members)]}

    def component_dict(self) -> JsonDict:
        """The calibrator as a multi-class mixture's component: its method fields and ``fit``
        (the names, columns and descriptive values are the mixture's)."""
        return {**self._method_fields(), "fit": dict(self.fit)}

    def to_json_dict(self) -> JsonDict:
        """The versioned JSON content with its checksum (members carry no checksum of their own)."""
        fields = self._method_fields()
        return _document(MULTICLASS_KIND if self.mode == "multiclass" else MULTITASK_KIND, {
            "mode": self.mode, "method": fields.pop("method"),
            "score_space": fields.pop("score_space"), "clip_epsilon": fields.pop("clip_epsilon"),
            "names": list(self.names),
            "score_fields": list(self.score_fields),
            "label_fields": list(self.label_fields),
            **fields,
        }, self)


AnyCalibrator = Union[Calibrator, MultiCalibrator]
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


def named_methods(content: Mapping[str, object]) -> list[object]:
    """The method and every member's method named by calibrator JSON content."""
    members = content.get("members")
    return [content.get("method")] + [
        member.get("method") for member in (members if isinstance(members, list) else [])
        if isinstance(member, dict)]


def holds_binary_temperature(content: Mapping[str, object]) -> bool:
    """Whether calibrator JSON content holds a binary ``temperature`` calibrator: as itself (no
    ``mode``: multi-class and multi-task content has one), a member or a mixture's member.

    >>> holds_binary_temperature({"method": "temperature"}), holds_binary_temperature(
    ...     {"mode": "multiclass", "method": "temperature", "members": []})
    (True, False)
    """
    if "mode" not in content and content.get("method") == "temperature":
        return True
    params = content.get("params")
    nested = content.get("members"), params.get("members") if isinstance(params, dict) else None
    return any(holds_binary_temperature(part) for parts in nested if isinstance(parts, list)
               for part in parts if isinstance(part, dict))


def holds_class_floor(content: Mapping[str, object], component: bool = False) -> bool:
    """Whether multi-class calibrator JSON content (or, with ``component``, a multi-class
    mixture's component, which states no mode) or a component of it has a class floor
    (``params.probability_floor`` of a multi-class temperature, vector or dirichlet,
    :data:`CLASS_FLOOR`); a binary temperature's bound of the same name is not one.

    >>> floored = {"method": "temperature", "params": {"scale": 1.0, "probability_floor": 1e-6}}
    >>> holds_class_floor({"mode": "multiclass", **floored}), holds_class_floor(floored)
    (True, False)
    """
    params = content.get("params")
    if not isinstance(params, dict) or not (component or content.get("mode") == "multiclass"):
        return False
    if content.get("method") in ("temperature", "vector", "dirichlet") and CLASS_FLOOR in params:
        return True
    parts = params.get("components")
    return isinstance(parts, list) and any(
        isinstance(part, dict) and holds_class_floor(part, component=True) for part in parts)


def required_schema_version(content: Mapping[str, object]) -> int:
    """The schema version of calibrator JSON content: 5 where it holds a multi-class
    class floor (:func:`holds_class_floor`), 4 where it holds a binary temperature
    (:func:`holds_binary_temperature`), 3 where it holds a ``mixture``, 2 where it
    uses a method of :data:`SCHEMA_2_METHODS`, the class log-scores ``ln(p +
    params.log_offset)`` or a bounded output ``params.probability_floor``, else
    :data:`CALIBRATOR_SCHEMA_VERSION`.

    >>> required_schema_version({"method": "platt"}), required_schema_version(
    ...     {"method": "auto", "members": [{"method": "venn_abers"}]}), required_schema_version(
    ...     {"method": "mixture"})
    (1, 2, 3)
    """
    params = content.get("params")
    if holds_class_floor(content):
        return CLASS_FLOOR_SCHEMA_VERSION
    if holds_binary_temperature(content):
        return BINARY_TEMPERATURE_SCHEMA_VERSION
    if MIXTURE_METHOD in named_methods(content) or (isinstance(params, dict)
                                                    and UNIFORM_SHARE in params):
        return MIXTURE_SCHEMA_VERSION
    offset = isinstance(params, dict) and "log_offset" in params
    members = content.get("members")
    floor = any(isinstance(part, dict) and isinstance(part.get("params"), dict)
                and "probability_floor" in part["params"]  # a bounded output
                for part in [content] + (members if isinstance(members, list) else []))
    return 2 if offset or floor or any(m in SCHEMA_2_METHODS for m in named_methods(content)) \
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
