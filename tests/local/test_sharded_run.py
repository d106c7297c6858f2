"""The sharded ModelCalibration steps, built offline and executed from their definition JSON by
the local executor on 1, 2 and 4 instances, give the single step's calibrator and metrics."""

from __future__ import annotations

import io
import json
from pathlib import Path

import attrs
import numpy as np
import pytest

from bench.sharded import without_timings
from calibration_step.config_json import dumps, loads
from calibration_step.errors import BuildError
from calibration_step.local import ExecutionStatus, LocalS3Store, StepStatus, run_pipeline_definition
from calibration_step.local.expressions import lookup
from calibration_step.processing.values import StringParameter
from calibration_step.script.interface import ModelCalibrationInput
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig, ShardingConfig
from tests.local.test_end_to_end import DATA_URI, _calibration_definition, _config, _put_shipped_code
from tests.pipeline_example import offline, schema_errors
from tests.script.synthetic import assert_json_close

__all__ = ["offline"]

FILES = 5


def _sharded_definition(config: ModelCalibrationConfig) -> dict[str, object]:
    from calibration_step.pipeline import pipeline_definition
    from calibration_step.steps.model_calibration.builder import calibration_condition_step, default_execution_prefix
    from calibration_step.steps.model_calibration.sharded import build_sharded_calibration_steps

    prefix = default_execution_prefix(config)
    data = StringParameter(name="EvaluationData", default_value=DATA_URI)
    built = build_sharded_calibration_steps(config, {ModelCalibrationInput.EVALUATION_DATA: data})
    return pipeline_definition([*built.steps, calibration_condition_step(built.fit)], [prefix, data], config)


def _store(root: Path, step: dict[str, object]) -> LocalS3Store:
    """A store with the shipped code where ``step`` (and every phase step) reads it, and FILES
    parquet shards of scores."""
    from calibration_step.commands._demo_data import miscalibrated_scores

    store = LocalS3Store(root)
    _put_shipped_code(store, step)
    for i in range(FILES):
        buffer = io.BytesIO()
        miscalibrated_scores(rows=600 + 150 * i, seed=10 + i).to_parquet(buffer, index=False)
        store.put_bytes(f"{DATA_URI}/part-{i}.parquet", buffer.getvalue())
    return store


def _output(properties: object, name: str) -> str:
    return str(lookup(properties, f"ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri", where="outputs"))


def _artifacts(store: LocalS3Store, properties: object) -> tuple[object, object]:
    calibrator = json.loads(store.read_bytes(f"{_output(properties, 'calibration_output')}/calibrator.json"))
    metrics = json.loads(store.read_bytes(f"{_output(properties, 'metrics_output')}/metrics.json"))
    return without_timings(calibrator), without_timings(metrics)


def _single_run(config: ModelCalibrationConfig, root: Path) -> tuple[object, object]:
    """The single step's calibrator and metrics, from its definition run by the local executor."""
    definition = _calibration_definition(config)
    store = _store(root / "s3", definition["Steps"][0])  # type: ignore[index]  # a list of steps
    step = run_pipeline_definition(definition, store=store, work_dir=root / "work").step("ModelCalibration-Calibration")
    assert step.status is StepStatus.SUCCEEDED, (step.reason, step.log_tail)
    return _artifacts(store, step.properties)


def test_the_sharded_definition_on_1_2_and_4_instances_equals_the_single_run(
    offline: list[object], tmp_path: Path
) -> None:
    config = _config()
    expected = _single_run(config, tmp_path / "single")
    for instances in (1, 2, 4):
        sharded = attrs.evolve(config, sharding=ShardingConfig(instance_count=instances))
        definition = json.loads(json.dumps(_sharded_definition(sharded)))  # executed from its JSON
        assert schema_errors(definition) == []
        steps = definition["Steps"]
        assert [s["Name"] for s in steps] == [
            "ModelCalibration-Calibration-Statistics", "ModelCalibration-Calibration-Fit",
            "ModelCalibration-Calibration-Apply", "ModelCalibration-Calibration-Fit-ThresholdPassed"]
        assert [s["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceCount"] for s in steps[:3]] == [
            instances, 1, instances]
        store = _store(tmp_path / f"sharded-{instances}", steps[0])
        result = run_pipeline_definition(definition, store=store, work_dir=tmp_path / f"work-{instances}")
        assert result.status is ExecutionStatus.SUCCEEDED, [(s.name, s.reason, s.log_tail) for s in result.steps]
        fit = result.step("ModelCalibration-Calibration-Fit")
        calibrator, metrics = _artifacts(store, fit.properties)
        assert calibrator == expected[0]
        assert_json_close(metrics, expected[1])
        assert isinstance(metrics, dict) and metrics["rows"]["read"] == sum(600 + 150 * i for i in range(FILES))
        gate = result.step("ModelCalibration-Calibration-Fit-ThresholdPassed")
        assert gate.properties == {"Outcome": metrics["threshold"]["passed"]}
        calibrated = _output(result.step("ModelCalibration-Calibration-Apply").properties, "calibrated_data")
        bucket, _, key = calibrated.removeprefix("s3://").partition("/")
        assert sorted(k.rsplit("/", 1)[-1] for k in store.list_keys(bucket, key + "/")) == [
            f"part-{i}.parquet" for i in range(FILES)]


def test_a_sharded_config_round_trips_through_json_and_sharding_is_explicit(offline: list[object]) -> None:
    from calibration_step.steps.model_calibration.builder import model_calibration_step_definition
    from calibration_step.steps.model_calibration.sharded import sharded_step_definitions

    config = attrs.evolve(_config(), sharding=ShardingConfig(instance_count=3))
    classes = {"ModelCalibrationConfig": ModelCalibrationConfig}
    loaded = loads(dumps({"calibrate": config}, classes=classes), classes=classes)
    assert loaded["calibrate"] == config
    many = attrs.evolve(_config(), instance_count=3)  # SageMaker's meaning: every instance runs the job
    with pytest.raises(BuildError, match="the config has no sharding"):
        sharded_step_definitions(many, {ModelCalibrationInput.EVALUATION_DATA: DATA_URI}, image_uri="image")
    with pytest.raises(BuildError, match="the config sets sharding: it builds three steps"):
        model_calibration_step_definition(config, {ModelCalibrationInput.EVALUATION_DATA: DATA_URI}, image_uri="image")
    assert np.unique([i.distribution for i in sharded_step_definitions(
        config, {ModelCalibrationInput.EVALUATION_DATA: DATA_URI}, image_uri="image")[2].inputs]).tolist() == [
        "FullyReplicated", "ShardedByS3Key"]
