"""Property paths checked against the SageMaker step type's runtime properties.

A SageMaker pipeline step exposes the response of its ``Describe*`` call as ``properties``
(a processing step: ``DescribeProcessingJobResponse``). The SDK builds that tree from the botocore
service model; this module walks the same model (read as JSON from botocore's data folder,
without importing sagemaker or botocore): a structure accepts ``.Member``, a list accepts
``['key']`` (the SDK's by-name access) or ``[0]``, a map accepts ``['key']``.

Examples
--------
>>> property_path_errors("properties.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri", "Processing")
()
>>> property_path_errors("properties.ModelArtifacts.S3ModelArtifacts", "Processing")
("'ModelArtifacts' is not a property of DescribeProcessingJobResponse",)
>>> property_path_errors("properties.ModelArtifacts.S3ModelArtifacts", "Training")
()
>>> property_path_errors("properties.ProcessingOutputConfig", "Processing")
('ends at DescribeProcessingJobResponse.ProcessingOutputConfig, a structure, not a value (e.g. an S3 URI string)',)
>>> property_path_errors("Properties.ModelArtifacts.S3ModelArtifacts", "Training")
("starts with 'Properties.'; SageMaker resolves only lowercase 'properties.'",)
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final, cast

from calibration_step.errors import SpecError
from calibration_step.properties import parse_property_path

__all__ = ["ServiceModelUnavailable", "property_path_errors"]

_RESPONSE_SHAPES: Final[Mapping[str, str]] = {
    "Processing": "DescribeProcessingJobResponse",
    "Training": "DescribeTrainingJobResponse",
    "Transform": "DescribeTransformJobResponse",
    "CreateModel": "DescribeModelOutput",
    "RegisterModel": "DescribeModelPackageOutput",
}
"""The shape behind ``properties`` of each SageMaker step type (as in the SDK's step classes)."""

Shapes = Mapping[str, Mapping[str, object]]

_VALUE_TYPES: Final = frozenset({"string", "boolean", "integer", "long", "float", "double", "timestamp"})


class ServiceModelUnavailable(LookupError):
    """botocore's SageMaker service model cannot be found or read."""


@functools.cache
def _shapes() -> Shapes:
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        raise ServiceModelUnavailable("botocore is not installed")
    versions = sorted((Path(spec.origin).parent / "data" / "sagemaker").glob("*/service-2.json*"))
    if not versions:
        raise ServiceModelUnavailable("botocore has no SageMaker service model")
    path = versions[-1]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    model = json.loads(raw)
    return cast(Shapes, model["shapes"])


def _member_shape(shapes: Shapes, shape: Mapping[str, object], key: str) -> Mapping[str, object] | None:
    info = shape.get(key)
    if not isinstance(info, Mapping):
        return None
    return shapes.get(str(info.get("shape")))


def property_path_errors(path: str, sagemaker_step_type: str) -> tuple[str, ...]:
    """Why ``path`` is not a runtime property of a ``sagemaker_step_type`` step (empty if it is).

    Raises
    ------
    ServiceModelUnavailable
        When botocore's SageMaker service model cannot be read (the caller reports "not checked").
    """
    if path.startswith("Properties."):
        return ("starts with 'Properties.'; SageMaker resolves only lowercase 'properties.'",)
    try:
        steps = parse_property_path(path)
    except SpecError as exc:
        return (exc.message,)
    root = _RESPONSE_SHAPES.get(sagemaker_step_type)
    if root is None:
        return (f"step type {sagemaker_step_type!r} has no known properties",)
    shapes = _shapes()
    shape: Mapping[str, object] | None = shapes.get(root)
    name = root
    for step in steps:
        kind = shape.get("type") if shape is not None else None
        if kind == "structure" and step.kind == "attr":
            members = shape.get("members") if shape is not None else None
            next_shape = _member_shape(shapes, members, str(step.value)) if isinstance(members, Mapping) else None
            if next_shape is None:
                return (f"{step.value!r} is not a property of {name}",)
        elif kind in ("list", "map") and step.kind in ("key", "index") and shape is not None:
            if kind == "map" and step.kind == "index":
                return (f"{name} is a map; index it with ['key'], not {step.render()}",)
            next_shape = _member_shape(shapes, shape, "member" if kind == "list" else "value")
            if next_shape is None:
                return (f"{name} has no item shape",)
        else:
            return (f"{step.render()!r} cannot follow {name} (a {kind or 'value'})",)
        shape, name = next_shape, f"{name}{step.render()}"
    kind = shape.get("type") if shape is not None else None
    if kind not in _VALUE_TYPES:
        return (f"ends at {name}, a {kind}, not a value (e.g. an S3 URI string)",)
    return ()
