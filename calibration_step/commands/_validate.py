"""Every problem of a config file, each with its JSON path (``calibration-step config validate``).

Loading (:func:`calibration_step.config_json.from_document`) stops, inside one config, at the first
field its class rejects: attrs validators run in field order and raise. To list every problem,
each field of each config is also checked on its own: put into a valid config of the same class
(the example values), loaded, and its per-field problems kept at the field's real path in the
file. Cross-field conflicts are then checked on the config with every rejected field replaced by
its example value. Problems are deduplicated, and a field every config lacks is reported once, at
its shared path (``$.configuration.shared.bucket``); the file's own structural problems (unknown
keys, wrong class names, ...) come first.

A file that loads is then built as ``calibration-step definition`` builds it, offline and without
the SDK (:func:`build_problems`): what only a built step can refuse (requirements installed by pip
in a network-isolated job, an evaluation step without its ``script_uri``) is a problem at the
path of the field that causes it. :func:`placeholder_warnings` names the fields ``config init``
wrote placeholders into that are still unchanged.

Examples
--------
>>> import json
>>> from calibration_step.commands._configs import config_classes, default_configs
>>> from calibration_step.config_json import dumps
>>> document = json.loads(dumps(default_configs(), classes=config_classes()))
>>> calibration = document["configuration"]["specific"]["calibration"]
>>> calibration.update(gam_splines=2, calibration_bins=1)
>>> for problem in document_problems(document):
...     print(problem.location)
$.configuration.specific.calibration.gam_splines
$.configuration.specific.calibration.calibration_bins
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Final, cast

import attrs

from calibration_step.config.base import BasePipelineConfig
from calibration_step.config_json import MODEL_TYPE_KEY, SCHEMA_VERSION, ConfigClasses, from_document
from calibration_step.converter import unstructure
from calibration_step.errors import CalibrationStepError, Code, Problem
from calibration_step.steps.model_calibration.config import example_config

__all__ = ["build_problems", "document_problems", "placeholder_warnings"]

_PROBE: Final = "probe"
_MISSING: Final = "required field missing"
_PROBE_PATH: Final = re.compile(rf"\$\.configuration\.specific\.{_PROBE}\.(\w+)(.*)")


def _baseline(cls: type[BasePipelineConfig]) -> dict[str, object]:
    """A valid config of ``cls`` as JSON values: the example config's values for the fields it has."""
    example = example_config()
    names = {field.name for field in attrs.fields(cls) if field.init}
    shared = {field.name: getattr(example, field.name) for field in attrs.fields(type(example)) if field.name in names}
    return cast(dict[str, object], unstructure(cls(**shared)))


def _probe_problems(cls: type[BasePipelineConfig], data: Mapping[str, object], classes: ConfigClasses) -> list[Problem]:
    document = {
        "metadata": {
            "schema_version": SCHEMA_VERSION,
            "config_types": {_PROBE: cls.__name__},
            "created_at": "2026-01-01T00:00:00+00:00",
            "package_version": "probe",
        },
        "configuration": {"shared": {}, "specific": {_PROBE: {MODEL_TYPE_KEY: cls.__name__, **data}}},
    }
    try:
        from_document(document, classes=classes)
    except CalibrationStepError as exc:
        return list(exc.problems) or [Problem(code=exc.code, message=exc.message, hint=exc.hint)]
    return []


def _relocated(problem: Problem, where: Mapping[str, str], fallback: str) -> Problem:
    match = _PROBE_PATH.fullmatch(problem.location)
    if match is None:
        return dataclasses.replace(problem, location=fallback)
    return dataclasses.replace(problem, location=where.get(match[1], f"{fallback}.{match[1]}") + match[2])


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _step_problems(step: str, entry: dict[str, object], shared: dict[str, object], classes: ConfigClasses) -> list[Problem]:
    cls = classes.get(str(entry.get(MODEL_TYPE_KEY)))
    if cls is None:
        return []  # the full load reports the unknown class
    here = f"$.configuration.specific.{step}"
    known = {field.name for field in attrs.fields(cls) if field.init}
    fields = {key: value for key, value in entry.items() if key != MODEL_TYPE_KEY}
    where = {key: f"$.configuration.shared.{key}" for key in shared} | {key: f"{here}.{key}" for key in fields}
    data = {key: value for key, value in (shared | fields).items() if key in known}
    baseline = _baseline(cls)
    problems: list[Problem] = []
    rejected: set[str] = set()
    for name, value in data.items():
        found = [p for p in _probe_problems(cls, baseline | {name: value}, classes) if p.code != Code.CONFIG_CONFLICT]
        if found:
            rejected.add(name)
            problems += [_relocated(p, where, here) for p in found]
    repaired = data | {name: baseline[name] for name in rejected if name in baseline}
    problems += [_relocated(p, where, here) for p in _probe_problems(cls, repaired, classes) if p.code == Code.CONFIG_CONFLICT]
    return problems


def document_problems(document: object, classes: ConfigClasses | None = None) -> list[Problem]:
    """Every problem of a parsed config file (empty when it loads), each with its JSON path."""
    from calibration_step.commands._configs import config_classes

    allowed = config_classes() if classes is None else classes
    try:
        from_document(document, classes=allowed)
    except CalibrationStepError as exc:
        problems = list(exc.problems) or [Problem(code=exc.code, message=exc.message, hint=exc.hint, location="$")]
    else:
        return []
    configuration = _dict(_dict(document).get("configuration"))
    shared = _dict(configuration.get("shared"))
    for step, entry in _dict(configuration.get("specific")).items():
        if isinstance(entry, dict):
            problems += _step_problems(step, entry, shared, allowed)
    unique: dict[tuple[str, str, str], Problem] = {}
    for problem in _shared_where_every_step_lacks_it(problems, configuration):
        unique.setdefault((problem.code, problem.location, problem.message), problem)
    return list(unique.values())


_SPECIFIC_FIELD: Final = re.compile(r"\$\.configuration\.specific\.(?P<step>[^.]+)\.(?P<field>\w+)")


def _shared_where_every_step_lacks_it(problems: list[Problem], configuration: Mapping[str, object]) -> list[Problem]:
    """A required field missing from every step's config is one problem of the shared section."""
    steps = set(_dict(configuration.get("specific")))
    missing: dict[str, set[str]] = {}
    for problem in problems:
        match = _SPECIFIC_FIELD.fullmatch(problem.location)
        if match is not None and problem.message == _MISSING:
            missing.setdefault(match["field"], set()).add(match["step"])
    everywhere = {field for field, lacking in missing.items() if len(steps) > 1 and lacking == steps}
    moved = []
    for problem in problems:
        match = _SPECIFIC_FIELD.fullmatch(problem.location)
        if match is not None and problem.message == _MISSING and match["field"] in everywhere:
            problem = dataclasses.replace(problem, location=f"$.configuration.shared.{match['field']}",
                                          hint="add it to the shared section (every config needs it)")
        moved.append(problem)
    return moved


def _field_path(document: object, step: str, field: str) -> str:
    """Where ``field`` of ``step`` is written: its own entry, else the shared section, else the step."""
    configuration = _dict(_dict(document).get("configuration"))
    if field in _dict(_dict(configuration.get("specific")).get(step)):
        return f"$.configuration.specific.{step}.{field}"
    if field in _dict(configuration.get("shared")):
        return f"$.configuration.shared.{field}"
    return f"$.configuration.specific.{step}"


_BUILD_FIELDS: Final[Mapping[str, str]] = {
    Code.BUILD_NETWORK_ISOLATION: "enable_network_isolation",
    Code.BUILD_SCRIPT_REQUIRED: "script_uri",
}
"""The config field that causes each build problem a loaded config can still have."""


def _definition(config: BasePipelineConfig) -> None:
    """Build the step of ``config`` as a value (no SDK), every input a placeholder S3 folder."""
    from calibration_step.checker.level4_builder_config import PLACEHOLDER_IMAGE_URI
    from calibration_step.steps import default_registry

    registry = default_registry()
    for name in registry.names():
        registration = registry.get(name)
        if registration.config_class is type(config) and registration.definition_builder is not None:
            inputs = {dependency.logical_name: f"s3://{config.bucket}/placeholder/{dependency.name}/"
                      for dependency in registration.spec.dependencies}
            registration.definition_builder(config, inputs, image_uri=PLACEHOLDER_IMAGE_URI)


def build_problems(configs: Mapping[str, BasePipelineConfig], document: object) -> list[Problem]:
    """What building each config's step refuses, each at the path of the field that causes it.

    Examples
    --------
    >>> import attrs, json
    >>> from calibration_step.commands._configs import config_classes, default_configs
    >>> from calibration_step.config_json import dumps
    >>> configs = default_configs()
    >>> configs["calibration"] = attrs.evolve(configs["calibration"], enable_network_isolation=True)
    >>> [(p.code, p.location) for p in build_problems(configs, json.loads(dumps(configs, classes=config_classes())))]
    [('BUILD-NETWORK-ISOLATION', '$.configuration.specific.calibration.enable_network_isolation')]
    """
    problems = []
    for step, config in configs.items():
        try:
            _definition(config)
        except CalibrationStepError as exc:
            field = _BUILD_FIELDS.get(exc.code)
            location = _field_path(document, step, field) if field else f"$.configuration.specific.{step}"
            if exc.code == Code.BUILD_SCRIPT_REQUIRED:  # the user's script is that one step's own setting
                location = f"$.configuration.specific.{step}.script_uri"
            problems.append(Problem(code=exc.code, message=exc.message, hint=exc.hint, location=location))
    return problems


_PLACEHOLDER_FIELDS: Final = ("author", "bucket", "role", "service_name")
"""Essentials ``config init`` fills with placeholders (no real account, bucket or owner)."""


def placeholder_warnings(configs: Mapping[str, BasePipelineConfig], document: object) -> list[Problem]:
    """A warning per essential still holding ``config init``'s placeholder, once per JSON path.

    Examples
    --------
    >>> import json
    >>> from calibration_step.commands._configs import config_classes, default_configs
    >>> from calibration_step.config_json import dumps
    >>> configs = default_configs()
    >>> [p.location for p in placeholder_warnings(configs, json.loads(dumps(configs, classes=config_classes())))]
    ['$.configuration.shared.author', '$.configuration.shared.bucket', '$.configuration.shared.role', '$.configuration.shared.service_name']
    """
    from calibration_step.config.base import EXAMPLE_ESSENTIALS

    found: dict[str, Problem] = {}
    for step, config in configs.items():
        for field in _PLACEHOLDER_FIELDS:
            value = getattr(config, field)
            if value == EXAMPLE_ESSENTIALS[field]:
                location = _field_path(document, step, field)
                found.setdefault(location, Problem(
                    code=Code.CONFIG_PLACEHOLDER, location=location,
                    message=f"{field} is still {value!r}, the placeholder config init wrote",
                    hint=f"set your own {field}"))
    return list(found.values())
