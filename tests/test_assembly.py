"""The calibration DAG ``[XGBoostModelEval ->] ModelCalibration -> Package`` assembled offline.

The resolver infers ``evaluation_data`` (eval_output, with the user's own evaluation step) and
Package's ``calibration_model`` (calibration_output) and ``calibration_metrics``
(metrics_output); the model and the rows come from pipeline parameters. The definition wires
upstream outputs as ``{"Get": ...}``, puts Package inside the calibration condition step,
validates against the extended schema, and equals ``tests/golden/calibration_dag_pipeline.json``
(regenerate with ``UPDATE_GOLDEN=1 python -m pytest tests/test_assembly.py`` and review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
import pytest

from calibration_step.assembly import (
    CALIBRATION_STEP,
    EVALUATION_STEP,
    PACKAGE_STEP,
    CalibrationDag,
    calibration_dag_definition,
    calibration_dag_report,
    resolve_inputs,
)
from calibration_step.errors import BuildError
from calibration_step.processing.values import StringParameter
from calibration_step.properties import PropertyReference
from calibration_step.resolver import ExternalBinding, resolve
from calibration_step.script.interface import ModelCalibrationInput
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC
from calibration_step.steps.model_evaluation import XGBOOST_MODEL_EVAL, XGBoostModelEvalConfig, XGBoostModelEvalInput
from calibration_step.steps.package import PackageConfig
from tests.pipeline_example import example_config, offline, schema_errors

__all__ = ["offline"]  # the fixture, used by name

GOLDEN = Path(__file__).parent / "golden" / "calibration_dag_pipeline.json"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7-1"
COMMON: dict[str, str] = {
    "author": "jane",
    "bucket": "my-ml-bucket",
    "role": "arn:aws:iam::123456789012:role/SageMakerRole",
    "region": "eu-west-1",
    "service_name": "risk",
    "pipeline_version": "1.0",
}


def example_dag() -> CalibrationDag:
    return CalibrationDag(
        evaluation=XGBoostModelEvalConfig(**COMMON, image_uri=IMAGE, framework_version=None,  # type: ignore[arg-type]  # str-valued test dict
                                          script_uri="s3://my-ml-bucket/code/evaluation/xgboost_model_eval.py"),
        calibration=example_config(),
        package=PackageConfig(**COMMON),  # type: ignore[arg-type]  # str-valued test dict
    )


def _steps(definition: dict[str, object]) -> list[dict[str, object]]:
    steps = definition["Steps"]
    assert isinstance(steps, list)
    return steps


def test_resolver_wires_the_calibration_dag() -> None:
    report = calibration_dag_report(example_dag())
    wires = {(e.upstream_step, e.upstream_output, e.downstream_step, e.downstream_input) for e in report.edges()}
    assert wires == {
        (EVALUATION_STEP, "eval_output", CALIBRATION_STEP, "evaluation_data"),
        (CALIBRATION_STEP, "calibration_output", PACKAGE_STEP, "calibration_model"),
        (CALIBRATION_STEP, "metrics_output", PACKAGE_STEP, "calibration_metrics"),
    }
    assert report.order == (EVALUATION_STEP, CALIBRATION_STEP, PACKAGE_STEP)
    optional = report.get(CALIBRATION_STEP, ModelCalibrationInput.CALIBRATION_MODEL)
    assert optional is not None and optional.source == "unresolved"  # evaluation outputs are not model artifacts
    assert [r.source for r in report.for_step(EVALUATION_STEP)] == ["external", "external"]


def test_definition_wires_gets_and_conditions_the_package_step(offline: list[object]) -> None:
    definition = calibration_dag_definition(example_dag())
    steps = _steps(definition)
    assert [step["Name"] for step in steps] == [EVALUATION_STEP, CALIBRATION_STEP, f"{CALIBRATION_STEP}-ThresholdPassed"]
    calibration = steps[1]["Arguments"]
    assert isinstance(calibration, dict)
    assert calibration["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": f"Steps.{EVALUATION_STEP}.ProcessingOutputConfig.Outputs['eval_output'].S3Output.S3Uri"
    }
    condition = steps[2]["Arguments"]
    assert isinstance(condition, dict)
    (package,) = condition["IfSteps"]
    assert package["Name"] == PACKAGE_STEP
    package_inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in package["Arguments"]["ProcessingInputs"]}
    assert package_inputs["model_input"] == {"Get": "Parameters.ModelArtifacts"}
    assert package_inputs["calibration_model"] == {
        "Get": f"Steps.{CALIBRATION_STEP}.ProcessingOutputConfig.Outputs['calibration_output'].S3Output.S3Uri"
    }
    parameters = definition["Parameters"]
    assert isinstance(parameters, list)
    assert [p["Name"] for p in parameters] == ["ExecutionPrefix", "ModelArtifacts", "EvaluationData"]
    assert offline == []


def test_definition_validates_against_the_extended_schema(offline: list[object]) -> None:
    assert schema_errors(calibration_dag_definition(example_dag())) == []
    assert schema_errors(calibration_dag_definition(attrs.evolve(example_dag(), evaluation=None))) == []


def test_without_an_evaluation_config_the_calibration_reads_the_evaluation_data_parameter(offline: list[object]) -> None:
    dag = attrs.evolve(example_dag(), evaluation=None)
    steps = _steps(calibration_dag_definition(dag))
    assert [step["Name"] for step in steps] == [CALIBRATION_STEP, f"{CALIBRATION_STEP}-ThresholdPassed"]
    calibration = steps[0]["Arguments"]
    assert isinstance(calibration, dict)
    assert calibration["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {"Get": "Parameters.EvaluationData"}
    wires = {(e.upstream_step, e.downstream_input) for e in calibration_dag_report(dag).edges()}
    assert wires == {(CALIBRATION_STEP, "calibration_model"), (CALIBRATION_STEP, "calibration_metrics")}


def test_an_evaluation_step_needs_the_users_script(offline: list[object]) -> None:
    dag = attrs.evolve(example_dag(), evaluation=XGBoostModelEvalConfig(**COMMON))  # type: ignore[arg-type]  # str-valued test dict
    with pytest.raises(BuildError, match=r"\[BUILD-SCRIPT-REQUIRED\] XGBoostModelEval runs your own script "
                                         r"\(xgboost_model_eval.py\), and XGBoostModelEvalConfig.script_uri is not set"):
        calibration_dag_definition(dag)


def test_definition_matches_the_golden_copy(offline: list[object]) -> None:
    text = json.dumps(calibration_dag_definition(example_dag()), indent=2) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert GOLDEN.is_file(), "no golden copy: run UPDATE_GOLDEN=1 python -m pytest tests/test_assembly.py"
    assert json.loads(text) == json.loads(GOLDEN.read_text()), "definition changed: review, then UPDATE_GOLDEN=1"


def test_inputs_for_types_the_inputs_by_the_steps_enum() -> None:
    param = StringParameter(name="Rows")
    bindings = [
        ExternalBinding(step="eval", dependency=XGBoostModelEvalInput.MODEL_INPUT, value="s3://b/model"),
        ExternalBinding(step="eval", dependency=XGBoostModelEvalInput.PROCESSED_DATA, value=param),
    ]
    inputs = resolve_inputs([("eval", XGBOOST_MODEL_EVAL.spec)], bindings=bindings).inputs_for("eval", XGBOOST_MODEL_EVAL.spec)
    assert inputs == {XGBoostModelEvalInput.MODEL_INPUT: "s3://b/model", XGBoostModelEvalInput.PROCESSED_DATA: param}
    assert not any(isinstance(source, PropertyReference) for source in inputs.values())


def test_inputs_for_refuses_a_value_no_builder_takes() -> None:
    class Opaque:
        pass

    bindings = [
        ExternalBinding(step="eval", dependency=XGBoostModelEvalInput.MODEL_INPUT, value=Opaque()),
        ExternalBinding(step="eval", dependency=XGBoostModelEvalInput.PROCESSED_DATA, value="s3://b/rows"),
    ]
    with pytest.raises(BuildError, match=r"value bound to eval\.model_input is not an S3 URI or pipeline value"):
        resolve_inputs([("eval", XGBOOST_MODEL_EVAL.spec)], bindings=bindings)


def test_resolve_inputs_reports_as_resolve_and_leaves_an_unresolved_input_out() -> None:
    bindings = [
        ExternalBinding(step="eval", dependency=XGBoostModelEvalInput.MODEL_INPUT, value="s3://b/model"),
        ExternalBinding(step="eval", dependency=XGBoostModelEvalInput.PROCESSED_DATA, value="s3://b/rows"),
    ]
    nodes = [("eval", XGBOOST_MODEL_EVAL.spec), ("calibrate", MODEL_CALIBRATION_SPEC)]
    resolved = resolve_inputs(nodes, bindings=bindings)
    assert resolved.report == resolve(nodes, bindings=bindings)
    assert resolved.inputs_for("calibrate", MODEL_CALIBRATION_SPEC) == {
        ModelCalibrationInput.EVALUATION_DATA: PropertyReference(
            step_name="eval", property_path="properties.ProcessingOutputConfig.Outputs['eval_output'].S3Output.S3Uri"
        )
    }
