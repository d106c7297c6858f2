"""The package's own pipeline definitions, built offline, executed by the local executor.

The ModelCalibration step and its condition step on ``threshold.passed`` run on generated
scores, with the shipped script and requirements put where the definition's inputs read them.
The whole calibration DAG without its uploaded code stops at its first step; with it, it runs whole
(``test_deployable_pipelines.py``).
"""

from __future__ import annotations

import io
import json
import posixpath
from pathlib import Path

import attrs

from calibration_step.local import ExecutionStatus, LocalS3Store, StepStatus, run_pipeline_definition
from calibration_step.local.expressions import lookup
from calibration_step.processing.values import StringParameter
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from tests.pipeline_example import offline

__all__ = ["offline"]

DATA_URI = "s3://my-ml-bucket/data/calibration"


def _config() -> ModelCalibrationConfig:
    from tests.pipeline_example import example_config

    return attrs.evolve(example_config(), calibration_method="platt", enable_caching=False)


def _calibration_definition(config: ModelCalibrationConfig) -> dict[str, object]:
    """ModelCalibration reading the ``EvaluationData`` parameter, and its condition step."""
    from calibration_step.pipeline import pipeline_definition
    from calibration_step.steps.model_calibration.builder import (
        build_model_calibration_step,
        calibration_condition_step,
        default_execution_prefix,
    )
    from calibration_step.script.interface import ModelCalibrationInput

    prefix = default_execution_prefix(config)
    data = StringParameter(name="EvaluationData", default_value=DATA_URI)
    built = build_model_calibration_step(config, {ModelCalibrationInput.EVALUATION_DATA: data})
    return pipeline_definition([built.step, calibration_condition_step(built)], [prefix, data], config)


def _put_shipped_code(store: LocalS3Store, step: dict[str, object]) -> list[str]:
    """Put each shipped file at the input URI of the step that names it; the URIs written."""
    from calibration_step.steps.model_calibration.upload import shipped_files

    arguments = step["Arguments"]
    assert isinstance(arguments, dict)
    literal_uris = [item["S3Input"]["S3Uri"] for item in arguments["ProcessingInputs"]
                    if isinstance(item["S3Input"]["S3Uri"], str)]
    written = []
    for name, body in shipped_files(include_requirements=True):
        targets = [uri for uri in literal_uris if posixpath.basename(uri) == name]
        targets += [uri + name for uri in literal_uris if uri.endswith("/")]
        assert len(targets) == 1, (name, literal_uris)
        store.put_bytes(targets[0], body)
        written.append(targets[0])
    return written


def _put_scores(store: LocalS3Store, rows: int, *, drop: tuple[str, ...] = ()) -> None:
    from calibration_step.commands._demo_data import miscalibrated_scores

    buffer = io.BytesIO()
    miscalibrated_scores(rows=rows, seed=3).drop(columns=list(drop)).to_parquet(buffer, index=False)
    store.put_bytes(f"{DATA_URI}/scores.parquet", buffer.getvalue())


def test_the_calibration_step_and_its_condition_run_from_the_real_definition(
    offline: list[object], tmp_path: Path
) -> None:
    config = _config()
    pipeline = _calibration_definition(config)
    steps = pipeline["Steps"]
    assert isinstance(steps, list) and [s["Name"] for s in steps] == [
        "ModelCalibration-Calibration", "ModelCalibration-Calibration-ThresholdPassed"]
    store = LocalS3Store(tmp_path / "s3")
    written = _put_shipped_code(store, steps[0])
    assert len(written) == 2  # the script and the requirements it installs
    _put_scores(store, rows=4000)
    lines: list[str] = []
    result = run_pipeline_definition(pipeline, store=store, work_dir=tmp_path / "work", report=lines.append)

    calibration = result.step("ModelCalibration-Calibration")
    assert calibration.status is StepStatus.SUCCEEDED, (calibration.reason, calibration.log_tail)
    assert result.status is ExecutionStatus.SUCCEEDED
    outputs = {name: str(lookup(calibration.properties, f"ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri",
                                where="calibration outputs"))
               for name in ("metrics_output", "calibrated_data")}
    assert outputs["metrics_output"] == (
        f"{config.pipeline_s3_location}/{result.execution_id}/model_calibration/calibration/metrics_output")
    metrics = json.loads(store.read_bytes(f"{outputs['metrics_output']}/metrics.json"))
    condition = result.step("ModelCalibration-Calibration-ThresholdPassed")
    assert condition.status is StepStatus.SUCCEEDED
    assert condition.properties == {"Outcome": metrics["threshold"]["passed"]}
    assert metrics["selected_method"] == "platt" and metrics["rows"]["read"] == 4000
    bucket, _, key = outputs["calibrated_data"].removeprefix("s3://").partition("/")
    assert any(k.endswith(".parquet") for k in store.list_keys(bucket, key + "/"))
    assert offline == []


def test_the_whole_calibration_dag_stops_at_its_first_step_when_no_code_was_uploaded(
    offline: list[object], tmp_path: Path
) -> None:
    from calibration_step.assembly import calibration_dag_definition
    from calibration_step.commands._configs import dag_from_configs, default_configs

    pipeline = calibration_dag_definition(dag_from_configs(default_configs(_config())))
    store = LocalS3Store(tmp_path / "s3")
    _put_scores(store, rows=500)
    result = run_pipeline_definition(pipeline, store=store, work_dir=tmp_path / "work")
    calibration = result.step("ModelCalibration-Calibration")
    assert calibration.status is StepStatus.FAILED
    assert "[LOCAL-INPUT-EMPTY] input 'code': no S3 objects found under" in calibration.reason
    assert {step.status for step in result.steps[1:]} == {StepStatus.NOT_STARTED}


def test_data_without_the_score_column_fails_the_step_with_the_script_error_in_its_log(
    offline: list[object], tmp_path: Path
) -> None:
    store = LocalS3Store(tmp_path / "s3")
    pipeline = _calibration_definition(_config())
    steps = pipeline["Steps"]
    assert isinstance(steps, list)
    _put_shipped_code(store, steps[0])
    _put_scores(store, rows=1000, drop=("prob_class_1",))
    result = run_pipeline_definition(pipeline, store=store, work_dir=tmp_path / "work")
    calibration = result.step("ModelCalibration-Calibration")
    assert calibration.status is StepStatus.FAILED
    assert "[LOCAL-JOB-FAILED] AlgorithmError: algo-1 exited with code" in calibration.reason
    assert any("MC-" in line for line in calibration.log_tail), calibration.log_tail
    assert result.step("ModelCalibration-Calibration-ThresholdPassed").status is StepStatus.NOT_STARTED
