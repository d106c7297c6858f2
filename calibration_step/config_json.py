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
:class:`~calibration_step.errors.SerializationError`: every problem of the file's frame (metadata
and the two parts of ``configuration``) or, when the frame loads, of every config. The frame and
every config are loaded by :func:`calibration_step.converter.structure_all`, which says what is
wrong with a value and where in it; this module only places each problem in the file (a field
that every config shares is reported under ``shared``). Nothing loads unvalidated.

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
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Final, TypeVar, cast

import attrs

from calibration_step.config.base import BasePipelineConfig
from calibration_step.config.processing import ProcessingConfig
from calibration_step.converter import parse_json, structure_all, unstructure
from calibration_step.errors import Code, Problem, SerializationError

__all__ = [
    "ConfigClasses",
    "ConfigFile",
    "FileConfiguration",
    "FileMetadata",
    "MODEL_TYPE_KEY",
    "SCHEMA_VERSION",
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

T = TypeVar("T")

_STEP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_SHARED = "$.configuration.shared"
_SPECIFIC = "$.configuration.specific"
_FIELD_PATH = re.compile(r"\$\.(\w+)(.*)")


def _refuse(code: str, field: str, message: str, hint: str) -> SerializationError:
    """The error of a metadata validator: one problem at ``field``, which the converter places."""
    return SerializationError(code, message, hint=hint, problems=(Problem(code=code, message=message, hint=hint,
                                                                          location=field),))


def _check_schema_version(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value != SCHEMA_VERSION:
        raise _refuse(Code.SERIALIZATION_SCHEMA_VERSION, attribute.name, f"schema version {value!r} is not "
                      f"{SCHEMA_VERSION}", "save the configs again with this package")


def _check_timestamp(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(Code.SERIALIZATION_INVALID, attribute.name, f"expected an ISO 8601 timestamp, got {value!r}",
                      "write e.g. 2026-01-01T00:00:00+00:00") from None


@attrs.frozen(kw_only=True)
class FileMetadata:
    """The ``metadata`` of a config file: what wrote it, when, and each step's config class.

    Examples
    --------
    >>> FileMetadata(schema_version=2, config_types={}, created_at="2026-01-01T00:00:00+00:00",
    ...              package_version="0.1.0")
    Traceback (most recent call last):
    ...
    calibration_step.errors.SerializationError: [SERIALIZATION-SCHEMA-VERSION] schema version 2 is not 1 ...
    """

    schema_version: int = attrs.field(validator=_check_schema_version)
    config_types: Mapping[str, str]
    created_at: str = attrs.field(validator=_check_timestamp)
    package_version: str


@attrs.frozen(kw_only=True)
class FileConfiguration:
    """The ``configuration`` of a config file: fields every config shares, then each step's own.

    ``specific`` maps a step name to that step's fields; each is loaded on its own, so that its
    problems are reported at its own path.

    Examples
    --------
    >>> FileConfiguration(shared={"author": "jane"}, specific={"calibrate": {"__model_type__": "ProcessingConfig"}})
    FileConfiguration(shared={'author': 'jane'}, specific={'calibrate': {'__model_type__': 'ProcessingConfig'}})
    """

    shared: Mapping[str, object]
    specific: Mapping[str, object]


@attrs.frozen(kw_only=True)
class ConfigFile:
    """A config file's frame: everything but the fields of each config, loaded first.

    Examples
    --------
    >>> sorted(field.name for field in attrs.fields(ConfigFile))
    ['configuration', 'metadata']
    """

    metadata: FileMetadata
    configuration: FileConfiguration


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
    fields = {step: cast(dict[str, object], unstructure(config)) for step, config in configs.items()}
    shared: dict[str, object] = {}
    if len(fields) > 1:
        first, *rest = fields.values()
        shared = {key: value for key, value in first.items() if all(key in other and other[key] == value for other in rest)}
    specific: dict[str, object] = {
        step: {MODEL_TYPE_KEY: type(configs[step]).__name__, **{k: v for k, v in values.items() if k not in shared}}
        for step, values in fields.items()
    }
    when = created_at if created_at is not None else dt.datetime.now(dt.timezone.utc)
    document = ConfigFile(
        metadata=FileMetadata(
            schema_version=SCHEMA_VERSION,
            config_types={step: type(config).__name__ for step, config in configs.items()},
            created_at=when.isoformat(timespec="seconds"),
            package_version=_package_version(),
        ),
        configuration=FileConfiguration(shared=shared, specific=specific),
    )
    return cast(dict[str, object], unstructure(document))


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
def _placed(problem: Problem, where: Mapping[str, str], here: str) -> Problem:
    """A problem at ``$.<field><rest>`` of a config, moved to where that field sits in the file."""
    match = _FIELD_PATH.fullmatch(problem.location)
    if match is None:
        return dataclasses.replace(problem, location=here)
    return dataclasses.replace(problem, location=where.get(match[1], f"{here}.{match[1]}") + match[2])


def _load(value: object, cls: type[T], here: str, problems: list[Problem]) -> T | None:
    """``value`` loaded as ``cls``, or None with its problems recorded under ``here``."""
    try:
        return structure_all(value, cls)
    except SerializationError as exc:
        problems += [dataclasses.replace(p, location=here + p.location.removeprefix("$")) for p in exc.problems]
        return None


def _load_step(
    step: str, entry: object, shared: Mapping[str, object], declared: object, allowed: ConfigClasses,
    problems: list[Problem],
) -> BasePipelineConfig | None:
    here = f"{_SPECIFIC}.{step}"
    body = _load(entry, dict[str, object], here, problems)
    if body is None:
        return None
    model_type = body.pop(MODEL_TYPE_KEY, None)
    cls = allowed.get(model_type) if isinstance(model_type, str) else None
    if cls is None:
        problems.append(_problem(Code.SERIALIZATION_UNKNOWN_CLASS, f"{here}.{MODEL_TYPE_KEY}", f"{model_type!r} is not an "
                                 f"allowed config class", f"use one of {sorted(allowed)}"))
        return None
    if declared != model_type:
        problems.append(_problem(Code.SERIALIZATION_INVALID, f"$.metadata.config_types.{step}", f"says {declared!r} but "
                                 f"{here}.{MODEL_TYPE_KEY} says {model_type!r}", "make the two agree"))
    duplicates = sorted(set(body) & set(shared))
    problems += [_problem(Code.SERIALIZATION_DUPLICATE_KEY, f"{here}.{key}", f"{key!r} is both shared and specific",
                          "keep the key in one place") for key in duplicates]
    if duplicates:
        return None
    where = {key: f"{_SHARED}.{key}" for key in shared} | {key: f"{here}.{key}" for key in body}
    try:
        return structure_all({**shared, **body}, cls)
    except SerializationError as exc:
        problems += [_placed(p, where, here) for p in exc.problems]
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
    frame = _load(document, ConfigFile, "$", problems)
    if frame is None:
        raise _fail(problems)
    declared, specific = frame.metadata.config_types, frame.configuration.specific
    for step in sorted(set(declared) ^ set(specific)):
        problems.append(_problem(Code.SERIALIZATION_INVALID, f"$.metadata.config_types.{step}", f"step {step!r} is not in "
                                 "both metadata.config_types and configuration.specific", "list each step in both"))
    configs: dict[str, BasePipelineConfig] = {}
    for step, entry in specific.items():
        if _STEP_NAME.fullmatch(step) is None:
            problems.append(_problem(Code.SERIALIZATION_INVALID, f"{_SPECIFIC}.{step}", f"step name {step!r} is not 1-128 "
                                     "letters, digits, '_' or '-'", "rename the step"))
            continue
        config = _load_step(step, entry, frame.configuration.shared, declared.get(step), allowed, problems)
        if config is not None:
            configs[step] = config
    if problems:
        raise _fail(problems)
    return configs


def loads(text: str | bytes, *, classes: ConfigClasses | None = None) -> dict[str, BasePipelineConfig]:
    """Load configs from JSON text (:func:`~calibration_step.converter.parse_json`, then
    :func:`from_document`).

    Raises
    ------
    SerializationError
        As :func:`~calibration_step.converter.parse_json` when the text is not JSON this package reads, else as
        :func:`from_document`.
    """
    return from_document(parse_json(text), classes=classes)


def load(path: str | Path, *, classes: ConfigClasses | None = None) -> dict[str, BasePipelineConfig]:
    """Load configs from a JSON file (UTF-8); see :func:`loads`."""
    return loads(Path(path).read_bytes(), classes=classes)
