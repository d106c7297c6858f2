"""The package's pipeline definitions run whole, from their JSON, on code that ``upload_script`` uploaded.

Each test builds a definition as a user does (the demo, ``calibration-step definition`` of an
initial config file, and a DAG whose evaluation step is the user's own script), uploads the
shipped scripts with :func:`upload_script` into S3 (moto), puts tiny data next to a neighbouring
prefix that must not be read, and executes the definition JSON with the local executor: the
calibration, the gate and the Package step all run, two executions leave two sets of outputs,
and a calibration above its threshold ends the execution Failed through the Fail step.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs
import boto3
import pytest
from moto import mock_aws

from calibration_step.assembly import CALIBRATION_STEP, PACKAGE_STEP, CalibrationDag, calibration_dag_definition
from calibration_step.cli import main
from calibration_step.commands._configs import calibration_config, load_configs
from calibration_step.local import Boto3S3Store, ExecutionStatus, StepStatus, run_pipeline_definition
from calibration_step.local.expressions import lookup
from calibration_step.local.results import ExecutionResult
from calibration_step.script.model_packaging.packing import archive_bytes
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from calibration_step.steps.model_calibration.upload import upload_script
from calibration_step.steps.model_evaluation import XGBoostModelEvalConfig
from calibration_step.steps.package import package_config_for

ROWS: Final = 1500
GATE: Final = f"{CALIBRATION_STEP}-ThresholdPassed"
FAIL: Final = f"{CALIBRATION_STEP}-ThresholdFailed"
EVALUATION_SCRIPT: Final = '''
"""The user's own evaluation step (a test fixture): its "model" scores each row with its raw score."""
import argparse
import os
from pathlib import Path

import pandas as pd

parser = argparse.ArgumentParser()
for name in ("--job_type", "--model_input", "--processed_data", "--eval_output", "--metrics_output"):
    parser.add_argument(name)
args = parser.parse_args()
assert (Path(args.model_input) / "model.tar.gz").is_file()
frames = [pd.read_parquet(path) for path in sorted(Path(args.processed_data).rglob("*.parquet"))]
rows = pd.concat(frames, ignore_index=True)
scored = pd.DataFrame({os.environ["LABEL_FIELD"]: rows["label"], "prob_class_1": rows["raw_score"]})
Path(args.eval_output).mkdir(parents=True, exist_ok=True)
scored.to_parquet(Path(args.eval_output) / "scores.parquet", index=False)
Path(args.metrics_output).mkdir(parents=True, exist_ok=True)
(Path(args.metrics_output) / "evaluation.json").write_text('{"rows": %d}' % len(scored))
'''


@pytest.fixture
def s3() -> Iterator[Any]:
    """An S3 client on moto (no network)."""
    with mock_aws():
        yield boto3.Session(region_name="us-east-1").client("s3")


def _bucket(client: Any, bucket: str) -> None:
    client.create_bucket(Bucket=bucket)


def _parquet(*, rows: int, seed: int, rename: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    from calibration_step.commands._demo_data import miscalibrated_scores

    buffer = io.BytesIO()
    miscalibrated_scores(rows=rows, seed=seed).drop(columns=list(drop)).rename(columns=rename or {}).to_parquet(
        buffer, index=False)
    return buffer.getvalue()


def _put_inputs(client: Any, bucket: str, *, data_key: str = "data/calibration", raw: bool = False) -> None:
    """The scores under ``data_key/``, a neighbour ``data_key_old/`` that would break the step if read,
    and the trained model under ``model/``."""
    rename = {"prob_class_1": "raw_score"} if raw else None
    client.put_object(Bucket=bucket, Key=f"{data_key}/scores.parquet", Body=_parquet(rows=ROWS, seed=3, rename=rename))
    client.put_object(Bucket=bucket, Key=f"{data_key}_old/stale.parquet",
                      Body=_parquet(rows=50, seed=4, drop=("prob_class_1", "label")))
    client.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=archive_bytes({"xgboost-model": b"trees"}))


def _processing_steps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for step in definition["Steps"]:
        if step["Type"] == "Processing":
            found.append(step)
        for branch in ("IfSteps", "ElseSteps"):
            found += [nested for nested in step["Arguments"].get(branch, []) if nested["Type"] == "Processing"]
    return found


def _assert_code_was_uploaded(definition: dict[str, Any], uploaded: tuple[str, ...], users: tuple[str, ...] = ()) -> None:
    """Every code channel reads exactly objects ``upload_script`` put (or the user's own script)."""
    for step in _processing_steps(definition):
        [code] = [item["S3Input"]["S3Uri"] for item in step["Arguments"]["ProcessingInputs"] if item["InputName"] == "code"]
        taken = [uri for uri in (*uploaded, *users) if uri.startswith(code)]
        assert taken, (step["Name"], code, uploaded)
        assert all(uri in users or code.endswith("/") for uri in taken)


def _output(result: ExecutionResult, step: str, name: str) -> str:
    value = lookup(result.step(step).properties, f"ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri",
                   where=f"{step} outputs")
    assert isinstance(value, str)
    return value


def _run(definition: dict[str, Any], client: Any, work: Path) -> ExecutionResult:
    result = run_pipeline_definition(definition, store=Boto3S3Store(client), work_dir=work)
    failed = [(s.name, s.reason, s.log_tail) for s in result.steps if s.status is StepStatus.FAILED]
    assert result.status is ExecutionStatus.SUCCEEDED, (result.failure_reason, failed)
    return result


def _packaged_members(client: Any, result: ExecutionResult) -> dict[str, bytes]:
    uri = _output(result, PACKAGE_STEP, "packaged_model")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = client.get_object(Bucket=bucket, Key=f"{key}/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]  # files only


def _metrics(client: Any, result: ExecutionResult) -> dict[str, Any]:
    uri = _output(result, CALIBRATION_STEP, "metrics_output")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    loaded: dict[str, Any] = json.loads(client.get_object(Bucket=bucket, Key=f"{key}/metrics.json")["Body"].read())
    return loaded


def test_the_default_definition_runs_whole_twice_on_uploaded_code(s3: Any, tmp_path: Path) -> None:
    config_file, definition_file = tmp_path / "calibration-config.json", tmp_path / "pipeline.json"
    assert main(["--quiet", "config", "init", str(config_file)]) == 0
    assert main(["--quiet", "definition", str(config_file), "--output", str(definition_file)]) == 0
    config = attrs.evolve(calibration_config(load_configs(config_file)))
    definition = json.loads(definition_file.read_text())
    _bucket(s3, config.bucket)
    uploaded = upload_script(config, session=boto3.Session(region_name="us-east-1"))
    _assert_code_was_uploaded(definition, uploaded)
    _put_inputs(s3, config.bucket)

    first, second = _run(definition, s3, tmp_path / "work"), _run(definition, s3, tmp_path / "work")
    assert {step.name: step.status for step in first.steps} == {
        CALIBRATION_STEP: StepStatus.SUCCEEDED, GATE: StepStatus.SUCCEEDED, PACKAGE_STEP: StepStatus.SUCCEEDED,
        FAIL: StepStatus.SKIPPED}
    assert first.execution_id != second.execution_id
    for result in (first, second):
        assert f"/{result.execution_id}/" in _output(result, PACKAGE_STEP, "packaged_model")
        assert _metrics(s3, result)["rows"]["read"] == ROWS  # the neighbouring data_old/ prefix was not read
        members = _packaged_members(s3, result)
        assert sorted(members) == ["calibration/calibrator.json", "calibration/metrics.json", "xgboost-model"]
    listed = s3.list_objects_v2(Bucket=config.bucket, Prefix="pipelines/")["Contents"]
    packaged = [item["Key"] for item in listed if item["Key"].endswith("packaged_model/model.tar.gz")]
    assert len(packaged) == 2  # one set of outputs per execution


def test_the_demo_pipeline_runs_whole(s3: Any, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    assert main(["--quiet", "demo", "--output", str(demo), "--rows", "1000", "--method", "platt"]) == 0
    config = calibration_config(load_configs(demo / "calibration-config.json"))
    definition = json.loads((demo / "pipeline_definition.json").read_text())
    _bucket(s3, config.bucket)
    uploaded = upload_script(config, session=boto3.Session(region_name="us-east-1"))
    _assert_code_was_uploaded(definition, uploaded)
    _put_inputs(s3, config.bucket)
    result = _run(definition, s3, tmp_path / "work")
    assert [step.name for step in result.steps if step.status is StepStatus.SUCCEEDED] == [
        CALIBRATION_STEP, GATE, PACKAGE_STEP]
    assert "calibration/calibrator.json" in _packaged_members(s3, result)


def _users_dag(calibration: ModelCalibrationConfig, script_uri: str) -> CalibrationDag:
    fields = {field.name: getattr(calibration, field.name) for field in attrs.fields(type(calibration))
              if field.name in {f.name for f in attrs.fields(XGBoostModelEvalConfig)} and field.init}
    evaluation = XGBoostModelEvalConfig(**{**fields, "script_uri": script_uri, "label_field": "label"})
    return CalibrationDag(evaluation=evaluation, calibration=calibration, package=package_config_for(calibration))


def test_a_users_evaluation_step_feeds_calibration_gate_and_package(s3: Any, tmp_path: Path) -> None:
    from tests.pipeline_example import example_config

    calibration = example_config(region="us-east-1", calibration_method="platt", enable_caching=False, tags={})
    script_uri = f"s3://{calibration.bucket}/users-code/evaluation/xgboost_model_eval.py"
    definition = json.loads(json.dumps(calibration_dag_definition(_users_dag(calibration, script_uri))))
    _bucket(s3, calibration.bucket)
    s3.put_object(Bucket=calibration.bucket, Key=script_uri.removeprefix(f"s3://{calibration.bucket}/"),
                  Body=EVALUATION_SCRIPT.encode())
    uploaded = upload_script(calibration, session=boto3.Session(region_name="us-east-1"))
    _assert_code_was_uploaded(definition, uploaded, users=(script_uri,))
    _put_inputs(s3, calibration.bucket, raw=True)
    result = _run(definition, s3, tmp_path / "work")
    assert [step.status for step in result.steps if step.name != FAIL] == [StepStatus.SUCCEEDED] * 4
    assert _metrics(s3, result)["rows"]["read"] == ROWS
    assert sorted(_packaged_members(s3, result)) == ["calibration/calibrator.json", "calibration/metrics.json",
                                                      "xgboost-model"]

    strict = attrs.evolve(calibration, error_threshold=1e-6)
    failing = json.loads(json.dumps(calibration_dag_definition(_users_dag(strict, script_uri))))
    failed = run_pipeline_definition(failing, store=Boto3S3Store(s3), work_dir=tmp_path / "work")
    assert failed.status is ExecutionStatus.FAILED
    assert failed.step(FAIL).status is StepStatus.FAILED
    assert failed.step(PACKAGE_STEP).status is StepStatus.SKIPPED
    ece = _metrics(s3, failed)["threshold"]["value"]
    assert failed.failure_reason == f"calibrated.ece_equal_width = {ece:.6g} is above the error threshold 1e-06"
