"""Every Processing step the package emits is a valid ``CreateProcessingJob`` request and schema-valid.

botocore's service model of SageMaker (installed with boto3, loaded offline with
``botocore.loaders``) is the API's own description of the request. A step's ``Arguments`` are
that request with pipeline expressions (``Get``, ``Std:Join``, ``Std:JsonGet``) in place of some
values; each expression is replaced by a placeholder of the type the shape wants at its place,
then botocore's parameter validator checks the whole request (required members, types, lengths
of lists such as ``ContainerArguments``). The definitions are also checked against the vendored
schema (``calibration_step/schemas/``).
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import botocore.loaders
import botocore.model
from botocore.validate import ParamValidator

from calibration_step.assembly import CalibrationDag, calibration_dag_definition
from calibration_step.commands._configs import dag_from_configs, default_configs
from calibration_step.steps.model_evaluation import XGBoostModelEvalConfig
from tests.pipeline_example import calibration_pipeline_definition, example_config, offline, schema_errors

__all__ = ["offline"]

_EXPRESSION_KEYS = ("Get", "Std:Join", "Std:JsonGet")
_PLACEHOLDERS: dict[str, object] = {"string": "s3://placeholder-bucket/key", "integer": 1, "long": 1,
                                     "boolean": True, "float": 1.0, "double": 1.0}


def _create_processing_job() -> botocore.model.Shape:
    loader = botocore.loaders.Loader()
    service = botocore.model.ServiceModel(loader.load_service_model("sagemaker", "service-2"), service_name="sagemaker")
    shape = service.operation_model("CreateProcessingJob").input_shape
    assert shape is not None
    return shape


def _is_expression(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _EXPRESSION_KEYS


def _with_placeholders(value: Any, shape: botocore.model.Shape) -> Any:
    """``value`` with every expression replaced by a placeholder of the type ``shape`` wants there."""
    if _is_expression(value):
        assert shape.type_name in _PLACEHOLDERS, (shape.name, value)
        return _PLACEHOLDERS[shape.type_name]
    if isinstance(shape, botocore.model.StructureShape) and isinstance(value, dict):
        return {key: _with_placeholders(item, shape.members[key]) if key in shape.members else item
                for key, item in value.items()}
    if isinstance(shape, botocore.model.ListShape) and isinstance(value, list):
        return [_with_placeholders(item, shape.member) for item in value]
    if isinstance(shape, botocore.model.MapShape) and isinstance(value, dict):
        return {key: _with_placeholders(item, shape.value) for key, item in value.items()}
    return value


def _processing_steps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for step in definition["Steps"]:
        nested = [item for branch in ("IfSteps", "ElseSteps") for item in step["Arguments"].get(branch, [])]
        found += [item for item in (step, *nested) if item["Type"] == "Processing"]
    return found


@functools.cache
def _definitions() -> dict[str, dict[str, Any]]:
    config = example_config()
    dag = dag_from_configs(default_configs(config))
    evaluation = XGBoostModelEvalConfig(author="jane", bucket="my-ml-bucket", role=config.role, region=config.region,
                                        service_name="risk", pipeline_version="1.0",
                                        script_uri="s3://my-ml-bucket/code/eval/xgboost_model_eval.py")
    return {
        "default definition": calibration_dag_definition(dag),
        "with the user's evaluation step": calibration_dag_definition(attrs.evolve(dag, evaluation=evaluation)),
        "calibration after an upstream step": calibration_pipeline_definition(config),
        "network-isolated calibration on its own image": calibration_dag_definition(CalibrationDag(
            calibration=attrs.evolve(config, image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/c:1", framework_version=None,
                                     enable_network_isolation=True, instance_count=2, max_runtime_seconds=600),
            package=dag.package)),
    }


def test_every_processing_step_is_a_valid_create_processing_job_request(offline: list[object]) -> None:
    shape = _create_processing_job()
    checked = 0
    for label, definition in _definitions().items():
        for step in _processing_steps(definition):
            request = _with_placeholders(step["Arguments"], shape)
            report = ParamValidator().validate(request, shape)
            assert not report.has_errors(), (label, step["Name"], report.generate_report())
            checked += 1
        assert schema_errors(definition) == [], label
    assert checked == 9


def test_the_check_finds_what_the_api_would_refuse(offline: list[object]) -> None:
    shape = _create_processing_job()
    [step, *_rest] = _processing_steps(_definitions()["default definition"])
    broken = dict(step["Arguments"])
    broken["AppSpecification"] = {**broken["AppSpecification"], "ContainerArguments": []}
    report = ParamValidator().validate(_with_placeholders(broken, shape), shape)
    assert "ContainerArguments" in report.generate_report()
    missing = {key: value for key, value in step["Arguments"].items() if key != "RoleArn"}
    report = ParamValidator().validate(_with_placeholders(missing, shape), shape)
    assert report.has_errors() and "RoleArn" in report.generate_report()
