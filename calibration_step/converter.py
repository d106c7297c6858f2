"""The one cattrs converter of the package: JSON-ready dicts to and from our frozen types.

Rules: unknown keys are rejected; primitives are strict (``"yes"`` is not a bool, ``"3"`` not an
int, ``True`` not an int); enums travel as their values; every load error is reported with the
path of the field that caused it, e.g. ``$.dependencies[0].dependency_type``. This module is the
one place that turns a failed load into :class:`~calibration_step.errors.Problem` values; the
config file (:mod:`calibration_step.config_json`) only moves them to where each value sits in it.

The converter is built on first use, by one function; nothing registers hooks at import time.

Examples
--------
>>> from calibration_step.enums import DependencyType
>>> unstructure(DependencyType.TRAINING_DATA)
'training_data'
>>> structure("training_data", DependencyType) is DependencyType.TRAINING_DATA
True
>>> structure("nope", DependencyType)
Traceback (most recent call last):
...
calibration_step.errors.SerializationError: [SERIALIZATION-INVALID] cannot load DependencyType: ...
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Final, Literal, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import (
    homogenous_tuple_structure_factory,
    is_mapping,
    is_sequence,
    list_structure_factory,
    mapping_structure_factory,
)
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.v import format_exception

from calibration_step.errors import CalibrationStepError, Code, Problem, SerializationError
from calibration_step.script.strict_json import JsonRefused, strict_loads
from calibration_step.script.errors import quoted

__all__ = ["from_json", "parse_json", "structure", "structure_all", "to_json", "unstructure"]

T = TypeVar("T")


def _strict_str(value: object, _type: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__} {quoted(value)}")
    return value


def _strict_bool(value: object, _type: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__} {quoted(value)}")
    return value


def _strict_int(value: object, _type: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__} {quoted(value)}")
    return value


def _strict_float(value: object, _type: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__} {quoted(value)}")
    return float(value)


def _own_error(exc: BaseException) -> CalibrationStepError | None:
    """The first of our own errors inside a cattrs exception group (a validator raised it)."""
    if isinstance(exc, CalibrationStepError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _own_error(inner)
        if found is not None:
            return found
    return None


def _is_generic_mapping(cls: object) -> bool:
    origin = get_origin(cls)
    return (
        isinstance(origin, type)
        and issubclass(origin, Mapping)
        and any(isinstance(arg, TypeVar) for arg in get_args(cls))
    )


def _is_sequence_or_tuple(cls: object) -> bool:
    origin: object = get_origin(cls)
    return is_sequence(cls) or origin is tuple


def _sequence_hook_factory(cls: type, converter: cattrs.Converter) -> Callable[[object, type], object]:
    """Sequences load only from JSON arrays: a string or an object is not a tuple of its parts."""
    origin, args = get_origin(cls), get_args(cls)
    inner: Callable[[object, type], object]
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):

        def inner(value: object, _type: type) -> object:
            items = list(value)  # type: ignore[call-overload]  # checked to be a list or tuple below
            if len(items) != len(args):
                raise ValueError(f"expected {len(args)} items, got {len(items)}")
            return tuple(converter.structure(item, arg) for item, arg in zip(items, args))

    elif origin is tuple:
        inner = homogenous_tuple_structure_factory(cls, converter)
    else:
        inner = list_structure_factory(cls, converter)

    def hook(value: object, _type: type) -> object:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected an array, got {type(value).__name__} {quoted(value)}")
        return inner(value, cls)

    return hook


def _from_object(cls: type, inner: Callable[[object, type], object]) -> Callable[[object, type], object]:
    """A hook that loads ``cls`` with ``inner`` from a JSON object, and refuses anything else."""

    def hook(value: object, _type: type) -> object:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__} {quoted(value)}")
        return inner(value, cls)

    return hook


def _mapping_hook_factory(cls: type, converter: cattrs.Converter) -> Callable[[object, type], object]:
    """Mappings load only from JSON objects."""
    return _from_object(cls, cast(Callable[[object, type], object], mapping_structure_factory(cls, converter)))


def _is_attrs_class(cls: object) -> bool:
    origin = get_origin(cls) or cls
    return isinstance(origin, type) and attrs.has(origin)


def _attrs_hook_factory(cls: type, converter: cattrs.Converter) -> Callable[[object, type], object]:
    """attrs classes load only from JSON objects (cattrs' own hook assumes a mapping)."""
    return _from_object(cls, cast(Callable[[object, type], object], converter.gen_structure_attrs_fromdict(cls)))


def _is_literal(cls: object) -> bool:
    return get_origin(cls) is Literal


def _literal_hook_factory(cls: object) -> Callable[[object, type], object]:
    """A literal accepts exactly its values (``True`` is not ``1``) and names them when it refuses."""
    allowed = get_args(cls)

    def hook(value: object, _type: type) -> object:
        for option in allowed:
            if type(option) is type(value) and option == value:
                return option
        raise ValueError(f"expected one of {list(allowed)}; got {quoted(value)}")

    return hook


def _is_object(cls: object) -> bool:
    return cls is object


def _as_is(value: object, _type: object) -> object:
    return value


@functools.cache
def _converter() -> cattrs.Converter:
    """The converter with the package's rules (strict primitives, no unknown keys), made on first use.

    A field typed ``object`` holds any JSON value as it is.

    Examples
    --------
    >>> _converter().structure(3, int)
    3
    """
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook_func(_is_object, _as_is)
    converter.register_structure_hook_factory(_is_literal, _literal_hook_factory)
    converter.register_structure_hook_factory(
        _is_sequence_or_tuple, lambda cls: _sequence_hook_factory(cls, converter)
    )
    converter.register_structure_hook_factory(is_mapping, lambda cls: _mapping_hook_factory(cls, converter))
    converter.register_structure_hook_factory(_is_attrs_class, lambda cls: _attrs_hook_factory(cls, converter))

    def unstructure_read_only_mapping(mapping: Mapping[object, object]) -> dict[object, object]:
        return {converter.unstructure(key): converter.unstructure(value) for key, value in mapping.items()}

    converter.register_unstructure_hook(types.MappingProxyType, unstructure_read_only_mapping)
    # Fields typed Mapping[<type variable>, ...] (generic contracts) are unstructured by the
    # runtime types of their keys and values, so enum keys become their values.
    converter.register_unstructure_hook_func(_is_generic_mapping, unstructure_read_only_mapping)
    return converter


def unstructure(value: object) -> object:
    """``value`` as JSON-ready builtins (dicts, lists, strings, numbers, booleans, None)."""
    return _converter().unstructure(value)


def _type_name(cls: object) -> str:
    return str(getattr(cls, "__name__", cls))


_SHAPE_ERRORS = (TypeError, ValueError, KeyError)
"""What the converter raises, outside cattrs' exception groups, for data of the wrong shape."""


def structure(data: object, cls: type[T]) -> T:
    """Load ``data`` as ``cls``, validating every field.

    Raises
    ------
    SerializationError
        ``SERIALIZATION-INVALID`` with one problem per offending field path.
    CalibrationStepError
        Errors raised by our own types when built (e.g. :class:`SpecError`) pass through unchanged:
        their codes are more precise.
    """
    try:
        return _converter().structure(data, cls)
    except CalibrationStepError:
        raise
    except BaseValidationError as exc:
        own = _own_error(exc)
        if own is not None:
            raise own from exc
        raise _load_error(exc, cls) from exc
    except _SHAPE_ERRORS as exc:
        raise _load_error(exc, cls) from exc


def structure_all(data: object, cls: type[T]) -> T:
    """Load ``data`` as ``cls``; every problem, our own types' errors included, in one error.

    Examples
    --------
    >>> from calibration_step.spec import DependencySpec
    >>> structure_all({"logical_name": "x", "colour": "red"}, DependencySpec[str])
    Traceback (most recent call last):
    ...
    calibration_step.errors.SerializationError: [SERIALIZATION-INVALID] cannot load DependencySpec: ...unknown key 'colour' (DependencySpec) @ $.colour...

    Raises
    ------
    SerializationError
        ``SERIALIZATION-INVALID`` whose problems each carry their JSON path (``$.<field>...``): an
        unknown key is ``SERIALIZATION-UNKNOWN-KEY`` at the key; an error a class raised when
        built keeps its code and is placed at the field its problem names (at the object when it
        names no field of the class).
    """
    try:
        return _converter().structure(data, cls)
    except (BaseValidationError, CalibrationStepError, *_SHAPE_ERRORS) as exc:
        raise _load_error(exc, cls) from exc


def _load_error(exc: BaseException, cls: object) -> SerializationError:
    problems = list(_problems(exc, cls, "$"))
    return SerializationError(
        Code.SERIALIZATION_INVALID,
        f"cannot load {_type_name(cls)}: " + "; ".join(f"{p.message} @ {p.location}" for p in problems),
        hint="fix the listed fields; unknown keys are not allowed",
        problems=problems,
    )


def _problems(exc: BaseException, cls: object, path: str) -> Iterator[Problem]:
    """The problems of a failed load of ``cls`` at ``path``, each at the JSON path of its value."""
    if isinstance(exc, CalibrationStepError):
        yield from _own_problems(exc, cls, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        name = _type_name(exc.cl)
        for key in sorted(exc.extra_fields):
            yield Problem(code=Code.SERIALIZATION_UNKNOWN_KEY, message=f"unknown key {key!r} ({name})",
                          hint=f"remove it; {name} has no such field", location=f"{path}.{key}")
    elif isinstance(exc, (ClassValidationError, IterableValidationError)):
        placed, rest = exc.group_exceptions()
        for inner, note in placed:
            yield from _problems(inner, note.type, path + _path_step(note))
        for inner in rest:
            yield from _problems(inner, exc.cl, path)
    else:
        yield Problem(code=Code.SERIALIZATION_INVALID, message=_describe(exc, cls), hint="fix or remove this field",
                      location=path)


def _path_step(note: AttributeValidationNote | IterableValidationNote) -> str:
    """``.field`` for a field of a class, ``[index]`` for an item of a list or a mapping."""
    return f".{note.name}" if isinstance(note, AttributeValidationNote) else f"[{note.index!r}]"


def _own_problems(error: CalibrationStepError, cls: object, path: str) -> Iterator[Problem]:
    """An error ``cls`` raised when built at ``path``: its problems at the fields they name."""
    origin = get_origin(cls) or cls
    fields = attrs.fields_dict(origin) if isinstance(origin, type) and attrs.has(origin) else {}
    for problem in error.problems or (Problem(code=error.code, message=error.message, hint=error.hint),):
        yield dataclasses.replace(problem, location=f"{path}.{problem.location}" if problem.location in fields else path)


def _describe(exc: BaseException, cls: object) -> str:
    """Our hooks' messages say what was expected and what was got; keep them."""
    if type(exc) in (TypeError, ValueError) and str(exc):
        return str(exc)
    return format_exception(exc, cls if isinstance(cls, type) else None)


def to_json(value: object) -> str:
    """``value`` as indented JSON text with sorted keys (stable, reviewable diffs)."""
    return json.dumps(unstructure(value), indent=2, sort_keys=True) + "\n"


_JSON_REFUSALS: Final = {"repeated_key": Code.SERIALIZATION_REPEATED_KEY, "too_deep": Code.SERIALIZATION_JSON_LIMIT,
                          "number": Code.SERIALIZATION_JSON_LIMIT}


def parse_json(text: str | bytes) -> object:
    """The JSON document of a file's text (a config file), read strictly: no key twice in one object, nesting
    at most 64 deep, every number a finite float (:mod:`calibration_step.script.strict_json`).

    Raises
    ------
    SerializationError
        ``SERIALIZATION-JSON`` when the text is not JSON (or its bytes not UTF-8),
        ``SERIALIZATION-REPEATED-KEY`` or ``SERIALIZATION-JSON-LIMIT`` with one problem that
        names the JSON path.

    Examples
    --------
    >>> parse_json('{"configuration": {"specific": {"a": {}, "a": {}}}}')
    Traceback (most recent call last):
    ...
    calibration_step.errors.SerializationError: [SERIALIZATION-REPEATED-KEY] $.configuration.specific: the key 'a' appears twice in one object (hint: ...)
    """
    try:
        return strict_loads(text)
    except JsonRefused as exc:
        code = _JSON_REFUSALS[exc.kind]
        hint = "write each key once in every object" if exc.kind == "repeated_key" else \
            "check the file is the JSON this package wrote"
        raise SerializationError(code, str(exc), hint=hint, problems=[
            Problem(code=code, location=exc.path, message=str(exc).split(": ", 1)[1], hint=hint)]) from exc
    except ValueError as exc:
        message = f"not valid JSON: {str(exc)[:200]}"
        hint = "check the file is the JSON this package wrote, in UTF-8"
        raise SerializationError(Code.SERIALIZATION_JSON, message, hint=hint, problems=[
            Problem(code=Code.SERIALIZATION_JSON, location="$", message=message, hint=hint)]) from exc


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Parse JSON text (:func:`parse_json`) and load it as ``cls``.

    Raises
    ------
    SerializationError
        As :func:`parse_json` when the text is not JSON this package reads, else as :func:`structure`.
    """
    return structure(parse_json(text), cls)
