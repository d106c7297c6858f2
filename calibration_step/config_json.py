"""Save several configs in one JSON file and load them back, validating everything.

Layout (keys sorted, two-space indent)::

    {
      "metadata": {
        "schema_version": 1,
        "config_types": {"<step name>": "<ConfigClass>", ...},
        "created_at": "2026-01-01T00:00:00+00:00",
        "package_version": "0.1.0"
      },
      "configuration": {
        "shared": {"<field>": <value equal in every config>, ...},
        "specific": {"<step name>": {"__model_type__": "<ConfigClass>", "<field>": <value>, ...}}
      }
    }

A field goes to ``shared`` when two or more configs are saved and every one holds it with the same
value; every other field is saved under its step. Every field is written, defaults included, so
a file means the same thing after the defaults change; derived values (``pipeline_name`` ...) are
never written.

Loading is strict. ``__model_type__`` must name one of the allowed classes (passed in, or those
of the registry; a class is never imported by name) and agree with ``metadata.config_types``;
unknown keys, a key both shared and specific, wrong types and out-of-range values are all
rejected, each with its JSON path (``$.configuration.specific.calibrate.gam_splines``), in one
:class:`~calibration_step.errors.SerializationError` listing every problem. Every config is built
through the converter and its class's validators; nothing loads unvalidated.

Examples
--------
>>> from calibration_step.config import ProcessingConfig
>>> common = dict(author="jane", bucket="my-ml-bucket", role="arn:aws:iam::123456789012:role/R",
...               region="us-east-1", service_name="risk", pipeline_version="1.0")
>>> configs = {"small": ProcessingConfig(**common), "big": ProcessingConfig(**common, instance_count=4)}
>>> text = dumps(configs, classes={"ProcessingConfig": ProcessingConfig})
>>> loads(text, classes={"ProcessingConfig": ProcessingConfig}) == configs
True
>>> loads(text.replace('"instance_count": 4', '"instance_count": 0'), classes={"ProcessingConfig": ProcessingConfig})
Traceback (most recent call last):
...
calibration_step.errors.SerializationError: [SERIALIZATION-INVALID] the config file has 1 problem(s):
  - CONFIG-VALUE at $.configuration.specific.big.instance_count: ProcessingConfig.instance_count must be an int from 1 to 100; got 0. ...
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import typing
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Final

import attrs
import cattrs
import cattrs.v
from cattrs.errors import BaseValidationError

from calibration_step.config.base import BasePipelineConfig
from calibration_step.config.processing import ProcessingConfig
from calibration_step.converter import CONVERTER
from calibration_step.errors import CalibrationStepError, Code, Problem, SerializationError

__all__ = [
    "MODEL_TYPE_KEY",
    "SCHEMA_VERSION",
    "ConfigClasses",
    "default_config_classes",
    "dumps",
    "from_document",
    "load",
    "loads",
    "save",
    "to_document",
]

SCHEMA_VERSION: Final = 1
"""Version of the file layout; a file of another version is refused."""
MODEL_TYPE_KEY: Final = "__model_type__"
"""The key naming each step's config class."""

ConfigClasses = Mapping[str, type[BasePipelineConfig]]
"""Allowed config classes by class name."""

_STEP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_METADATA_KEYS = ("config_types", "created_at", "package_version", "schema_version")
_SHARED = "$.configuration.shared"
_SPECIFIC = "$.configuration.specific"


def default_config_classes() -> ConfigClasses:
    """The base tiers plus the config class of every step in the default registry.

    Examples
    --------
    >>> sorted(default_config_classes())
    ['BasePipelineConfig', 'ModelCalibrationConfig', 'PackageConfig', 'ProcessingConfig', 'XGBoostModelEvalConfig', 'XGBoostTrainingConfig']
    """
    from calibration_step.steps import default_registry  # the registry imports every step's builder

    classes: dict[str, type[BasePipelineConfig]] = {cls.__name__: cls for cls in (BasePipelineConfig, ProcessingConfig)}
    for registration in default_registry():
        if issubclass(registration.config_class, BasePipelineConfig):
            classes[registration.config_class.__name__] = registration.config_class
    return classes


def _package_version() -> str:
    try:
        return metadata.version("calibration_step")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _problem(code: str, location: str, message: str, hint: str) -> Problem:
    return Problem(code=code, location=location, message=message, hint=hint)


def _fail(problems: list[Problem]) -> SerializationError:
    lines = "\n".join(f"  - {p}" for p in problems)
    return SerializationError(Code.SERIALIZATION_INVALID, f"the config file has {len(problems)} problem(s):\n{lines}",
                              hint="fix every listed field; each line names its JSON path", problems=problems)


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------
def to_document(
    configs: Mapping[str, BasePipelineConfig], *, classes: ConfigClasses | None = None, created_at: dt.datetime | None = None
) -> dict[str, object]:
    """The JSON-ready document of ``configs`` (step name -> config).

    Raises
    ------
    SerializationError
        ``SERIALIZATION-UNSAVABLE`` for an invalid step name or a config class that loading
        would not accept (not in ``classes``).
    """
    allowed = default_config_classes() if classes is None else classes
    problems = []
    for step, config in configs.items():
        if _STEP_NAME.fullmatch(step) is None:
            problems.append(_problem(Code.SERIALIZATION_UNSAVABLE, f"{_SPECIFIC}.{step}", f"step name {step!r} is not "
                                     "1-128 letters, digits, '_' or '-' starting with a letter or digit",
                                     "rename the step"))
        if allowed.get(type(config).__name__) is not type(config):
            problems.append(_problem(Code.SERIALIZATION_UNSAVABLE, f"{_SPECIFIC}.{step}", f"{type(config).__name__} is "
                                     f"not an allowed config class ({sorted(allowed)})", "pass its class in classes"))
    if problems:
        raise _fail(problems)
    fields = {step: typing.cast(dict[str, object], CONVERTER.unstructure(config)) for step, config in configs.items()}
    shared: dict[str, object] = {}
    if len(fields) > 1:
        first, *rest = fields.values()
        shared = {key: value for key, value in first.items() if all(key in other and other[key] == value for other in rest)}
    specific = {
        step: {MODEL_TYPE_KEY: type(configs[step]).__name__, **{k: v for k, v in values.items() if k not in shared}}
        for step, values in fields.items()
    }
    when = created_at if created_at is not None else dt.datetime.now(dt.timezone.utc)
    return {
        "metadata": {
            "schema_version": SCHEMA_VERSION,
            "config_types": {step: type(config).__name__ for step, config in configs.items()},
            "created_at": when.isoformat(timespec="seconds"),
            "package_version": _package_version(),
        },
        "configuration": {"shared": shared, "specific": specific},
    }


def dumps(
    configs: Mapping[str, BasePipelineConfig], *, classes: ConfigClasses | None = None, created_at: dt.datetime | None = None
) -> str:
    """``configs`` as JSON text (sorted keys, stable diffs); see :func:`to_document`."""
    return json.dumps(to_document(configs, classes=classes, created_at=created_at), indent=2, sort_keys=True) + "\n"


def save(
    configs: Mapping[str, BasePipelineConfig],
    path: str | Path,
    *,
    classes: ConfigClasses | None = None,
    created_at: dt.datetime | None = None,
) -> None:
    """Write ``configs`` to ``path`` as JSON (UTF-8); see :func:`to_document`."""
    Path(path).write_text(dumps(configs, classes=classes, created_at=created_at), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
def _object(value: object, location: str, problems: list[Problem]) -> dict[str, object] | None:
    if isinstance(value, dict):
        return value
    problems.append(_problem(Code.SERIALIZATION_INVALID, location, f"expected a JSON object, got {type(value).__name__}",
                             "write an object {...} here"))
    return None


def _exact_keys(data: dict[str, object], expected: tuple[str, ...], location: str, problems: list[Problem]) -> None:
    for key in sorted(set(data) - set(expected)):
        problems.append(_problem(Code.SERIALIZATION_UNKNOWN_KEY, f"{location}.{key}", f"unknown key {key!r}",
                                 f"remove it; the keys here are {list(expected)}"))
    for key in sorted(set(expected) - set(data)):
        problems.append(_problem(Code.SERIALIZATION_MISSING_KEY, f"{location}.{key}", f"missing key {key!r}",
                                 "the file must hold every key this package writes"))


def _metadata_types(document: dict[str, object], problems: list[Problem]) -> dict[str, object]:
    meta = _object(document.get("metadata"), "$.metadata", problems)
    if meta is None:
        return {}
    _exact_keys(meta, _METADATA_KEYS, "$.metadata", problems)
    version = meta.get("schema_version")
    if "schema_version" in meta and (isinstance(version, bool) or version != SCHEMA_VERSION):
        problems.append(_problem(Code.SERIALIZATION_SCHEMA_VERSION, "$.metadata.schema_version", f"schema version "
                                 f"{version!r} is not {SCHEMA_VERSION}", "save the configs again with this package"))
    created = meta.get("created_at")
    if "created_at" in meta and not _is_timestamp(created):
        problems.append(_problem(Code.SERIALIZATION_INVALID, "$.metadata.created_at", f"expected an ISO 8601 timestamp, got "
                                 f"{created!r}", "write e.g. 2026-01-01T00:00:00+00:00"))
    if "package_version" in meta and not isinstance(meta.get("package_version"), str):
        problems.append(_problem(Code.SERIALIZATION_INVALID, "$.metadata.package_version", "expected a string",
                                 "write the version as a string"))
    types_ = _object(meta.get("config_types", {}), "$.metadata.config_types", problems)
    return types_ or {}


def _is_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _field_types(cls: type[BasePipelineConfig]) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in attrs.fields(cls) if field.init}


def _shape_problems(cls: type[BasePipelineConfig], data: Mapping[str, object], where: Mapping[str, str]) -> list[Problem]:
    """JSON arrays for tuple fields, objects for mapping fields (cattrs would turn a string into a tuple)."""
    problems = []
    for name, hint in _field_types(cls).items():
        origin = typing.get_origin(hint)
        if name not in data or origin is None:
            continue
        value = data[name]
        if origin is tuple and not isinstance(value, list):
            problems.append(_problem(Code.CONFIG_TYPE, where[name], f"{cls.__name__}.{name} must be a JSON array; got "
                                     f"{value!r}", "write a list [...]"))
        if isinstance(origin, type) and issubclass(origin, Mapping) and not isinstance(value, dict):
            problems.append(_problem(Code.CONFIG_TYPE, where[name], f"{cls.__name__}.{name} must be a JSON object; got "
                                     f"{value!r}", "write an object {...}"))
    return problems


def _format(exc: BaseException, type_: type | None) -> str:
    """cattrs' wording, plus what was got (our strict hooks and Literal checks say it)."""
    text = cattrs.v.format_exception(exc, type_)
    if isinstance(exc, (TypeError, ValueError)) and not isinstance(exc, KeyError) and str(exc) not in text:
        text += f": {exc}"
    return text


def _relocate(message: str, where: Mapping[str, str], fallback: str) -> Problem:
    """A cattrs message ``"<text> @ $.<field><rest>"`` as a problem at the field's place in the file."""
    text, _, path = message.rpartition(" @ ")
    match = re.fullmatch(r"\$\.(\w+)(.*)", path)
    if match is None:
        return _problem(Code.SERIALIZATION_INVALID, fallback, text or message, "fix this config")
    base = where.get(match[1], f"{fallback}.{match[1]}")
    return _problem(Code.SERIALIZATION_INVALID, base + match[2], text, "fix or remove this field")


def _validation_problems(exc: BaseException, where: Mapping[str, str], fallback: str) -> list[Problem]:
    own = [e for e in getattr(exc, "exceptions", ()) if isinstance(e, CalibrationStepError)]
    problems = [
        dataclasses.replace(p, location=where.get(p.location, f"{fallback}.{p.location}") if p.location else fallback)
        for error in own
        for p in (error.problems or (_problem(error.code, "", error.message, error.hint),))
    ]
    if isinstance(exc, BaseValidationError):
        rest = exc.subgroup(lambda e: not isinstance(e, (CalibrationStepError, BaseExceptionGroup)))
        if rest is not None:
            problems += [_relocate(m, where, fallback) for m in cattrs.transform_error(rest, path="$", format_exception=_format)]
    return problems


def _load_step(
    step: str, entry: object, shared: dict[str, object], declared: object, allowed: ConfigClasses, problems: list[Problem]
) -> BasePipelineConfig | None:
    here = f"{_SPECIFIC}.{step}"
    body = _object(entry, here, problems)
    if body is None:
        return None
    model_type = body.get(MODEL_TYPE_KEY)
    cls = allowed.get(model_type) if isinstance(model_type, str) else None
    if cls is None:
        problems.append(_problem(Code.SERIALIZATION_UNKNOWN_CLASS, f"{here}.{MODEL_TYPE_KEY}", f"{model_type!r} is not an "
                                 f"allowed config class", f"use one of {sorted(allowed)}"))
        return None
    if declared != model_type:
        problems.append(_problem(Code.SERIALIZATION_INVALID, f"$.metadata.config_types.{step}", f"says {declared!r} but "
                                 f"{here}.{MODEL_TYPE_KEY} says {model_type!r}", "make the two agree"))
    fields = {k: v for k, v in body.items() if k != MODEL_TYPE_KEY}
    known = set(_field_types(cls))
    before = len(problems)
    for key in sorted(set(shared) - known):
        problems.append(_problem(Code.SERIALIZATION_UNKNOWN_KEY, f"{_SHARED}.{key}", f"unknown key {key!r} for {step} "
                                 f"({cls.__name__})", f"remove it; {cls.__name__} has no such field"))
    for key in sorted(set(fields) - known):
        problems.append(_problem(Code.SERIALIZATION_UNKNOWN_KEY, f"{here}.{key}", f"unknown key {key!r} "
                                 f"({cls.__name__})", f"remove it; {cls.__name__} has no such field"))
    for key in sorted(set(fields) & set(shared)):
        problems.append(_problem(Code.SERIALIZATION_DUPLICATE_KEY, f"{here}.{key}", f"{key!r} is both shared and "
                                 "specific", "keep the key in one place"))
    where = {key: f"{_SHARED}.{key}" for key in shared} | {key: f"{here}.{key}" for key in fields}
    data = shared | fields
    problems += _shape_problems(cls, data, where)
    if len(problems) > before:
        return None
    try:
        return CONVERTER.structure(data, cls)
    except BaseValidationError as exc:
        problems += _validation_problems(exc, where, here)
    except CalibrationStepError as exc:
        problems += _validation_problems(BaseExceptionGroup("", [exc]), where, here)
    return None


def from_document(document: object, *, classes: ConfigClasses | None = None) -> dict[str, BasePipelineConfig]:
    """Load the configs of a parsed document; see the module docstring for the rules.

    Raises
    ------
    SerializationError
        ``SERIALIZATION-INVALID`` listing every problem with its JSON path.
    """
    if attrs.validators.get_disabled():
        raise SerializationError(Code.SERIALIZATION_UNVALIDATED, "attrs validators are disabled globally; configs would "
                                 "load unvalidated", hint="call attrs.validators.set_disabled(False) first")
    allowed = default_config_classes() if classes is None else classes
    problems: list[Problem] = []
    root = _object(document, "$", problems)
    if root is None:
        raise _fail(problems)
    _exact_keys(root, ("configuration", "metadata"), "$", problems)
    declared = _metadata_types(root, problems)
    configuration = _object(root.get("configuration", {}), "$.configuration", problems) or {}
    _exact_keys(configuration, ("shared", "specific"), "$.configuration", problems)
    shared = _object(configuration.get("shared", {}), _SHARED, problems) or {}
    specific = _object(configuration.get("specific", {}), _SPECIFIC, problems) or {}
    for step in sorted(set(declared) ^ set(specific)):
        problems.append(_problem(Code.SERIALIZATION_INVALID, f"$.metadata.config_types.{step}", f"step {step!r} is not in "
                                 "both metadata.config_types and configuration.specific", "list each step in both"))
    configs: dict[str, BasePipelineConfig] = {}
    for step, entry in specific.items():
        if _STEP_NAME.fullmatch(step) is None:
            problems.append(_problem(Code.SERIALIZATION_INVALID, f"{_SPECIFIC}.{step}", f"step name {step!r} is not 1-128 "
                                     "letters, digits, '_' or '-'", "rename the step"))
            continue
        config = _load_step(step, entry, shared, declared.get(step), allowed, problems)
        if config is not None:
            configs[step] = config
    if problems:
        raise _fail(problems)
    return configs


def loads(text: str, *, classes: ConfigClasses | None = None) -> dict[str, BasePipelineConfig]:
    """Load configs from JSON text.

    Raises
    ------
    SerializationError
        ``SERIALIZATION-JSON`` when the text is not JSON, else as :func:`from_document`.
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SerializationError(Code.SERIALIZATION_JSON, f"the config file is not valid JSON: {exc}",
                                 hint="check the file is the JSON this package wrote") from exc
    return from_document(document, classes=classes)


def load(path: str | Path, *, classes: ConfigClasses | None = None) -> dict[str, BasePipelineConfig]:
    """Load configs from a JSON file (UTF-8); see :func:`loads`."""
    return loads(Path(path).read_text(encoding="utf-8"), classes=classes)
