"""Every problem of a config file, each with its JSON path (``calibration-step config validate``).

Loading (:func:`calibration_step.config_json.from_document`) stops, inside one config, at the first
field its class rejects: attrs validators run in field order and raise. To list every problem,
each field of each config is also checked on its own: put into a valid config of the same class
(the example values), loaded, and its per-field problems kept at the field's real path in the
file. Cross-field conflicts are then checked on the config with every rejected field replaced by
its example value. Problems are deduplicated; the file's own structural problems (unknown keys,
wrong class names, ...) come first.

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

__all__ = ["document_problems"]

_PROBE: Final = "probe"
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
    for problem in problems:
        unique.setdefault((problem.code, problem.location, problem.message), problem)
    return list(unique.values())
