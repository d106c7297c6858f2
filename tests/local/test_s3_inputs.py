"""S3 inputs and outputs by SageMaker's rules: plain key prefixes, shards, one output prefix, a boto3 store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from moto import mock_aws

from calibration_step.local import Boto3S3Store, LocalExecutionError, LocalS3Store, StepStatus, run_pipeline_definition
from calibration_step.local.s3_rules import select_objects, shard
from tests.local.definitions import CODE_URI, STEP_SCRIPT, definition, processing_step
from tests.pipeline_example import offline

if TYPE_CHECKING:
    from boto3 import S3Client  # only in typing_stubs/boto3: the client's static shape

__all__ = ["offline"]

SCORES = ("scores/part-0.csv", "scores/nested/part-1.csv", "scores_old/part-9.csv")


def _files_seen(store: LocalS3Store | Boto3S3Store, uri: str) -> list[str]:
    report = json.loads(store.read_bytes(uri))
    return [str(name) for name in report["files"]]


def _with_scores(store: LocalS3Store) -> LocalS3Store:
    for key in SCORES:
        store.put_bytes(f"s3://bucket/{key}", b"id,score\n1,0.5\n")
    return store


def test_an_s3_prefix_without_slash_also_reads_a_neighbouring_folder(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(processing_step("Read", output_uri="s3://bucket/read", input_uri="s3://bucket/scores"))
    result = run_pipeline_definition(pipeline, store=_with_scores(store), work_dir=work)
    assert result.step("Read").status is StepStatus.SUCCEEDED
    assert _files_seen(store, "s3://bucket/read/algo-1.json") == ["_old/part-9.csv", "nested/part-1.csv", "part-0.csv"]


def test_an_s3_prefix_with_slash_reads_that_folder_only(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(processing_step("Read", output_uri="s3://bucket/read", input_uri="s3://bucket/scores/"))
    run_pipeline_definition(pipeline, store=_with_scores(store), work_dir=work)
    assert _files_seen(store, "s3://bucket/read/algo-1.json") == ["nested/part-1.csv", "part-0.csv"]


def test_an_object_named_in_full_lands_under_its_file_name() -> None:
    assert [o.relative for o in select_objects(["code/step.py", "code/step.py.bak"], "code/step.py")] == [
        "step.py", ".bak"]


def test_sharded_by_s3_key_splits_the_objects_and_outputs_land_under_one_prefix(store: LocalS3Store,
                                                                                   work: Path) -> None:
    for index in range(5):
        store.put_bytes(f"s3://bucket/shards/part-{index}.csv", b"x\n")
    pipeline = definition(processing_step("Split", output_uri="s3://bucket/split", input_uri="s3://bucket/shards/",
                                          distribution="ShardedByS3Key", instance_count=2))
    result = run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert result.step("Split").status is StepStatus.SUCCEEDED
    first, second = (_files_seen(store, f"s3://bucket/split/algo-{n}.json") for n in (1, 2))
    assert first == ["part-0.csv", "part-2.csv", "part-4.csv"] and second == ["part-1.csv", "part-3.csv"]
    assert store.list_keys("bucket", "split/") == ["split/algo-1.json", "split/algo-2.json", "split/metrics.json"]
    hosts = json.loads(store.read_bytes("s3://bucket/split/algo-2.json"))
    assert hosts["host"] == "algo-2" and hosts["hosts"] == ["algo-1", "algo-2"]


def test_fully_replicated_gives_every_instance_everything(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(processing_step("Copy", output_uri="s3://bucket/copy", input_uri="s3://bucket/scores/",
                                          instance_count=2))
    run_pipeline_definition(pipeline, store=_with_scores(store), work_dir=work)
    for host in (1, 2):
        assert _files_seen(store, f"s3://bucket/copy/algo-{host}.json") == ["nested/part-1.csv", "part-0.csv"]


def test_shards_are_round_robin_over_sorted_keys() -> None:
    assert shard(list("abcdefg"), instances=3, index=0) == ["a", "d", "g"]
    assert shard(list("ab"), instances=3, index=2) == []


def test_an_input_prefix_with_no_object_fails_the_step(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(processing_step("Read", output_uri="s3://bucket/read", input_uri="s3://bucket/nothing/"))
    result = run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert result.step("Read").status is StepStatus.FAILED
    assert "[LOCAL-INPUT-EMPTY] input 'data': no S3 objects found under 's3://bucket/nothing/'" in result.step("Read").reason


def test_a_manifest_file_input_is_refused(store: LocalS3Store, work: Path) -> None:
    step = processing_step("Read", output_uri="s3://bucket/read", input_uri="s3://bucket/list.manifest")
    step["Arguments"]["ProcessingInputs"][1]["S3Input"]["S3DataType"] = "ManifestFile"
    with pytest.raises(LocalExecutionError, match=r"LOCAL-UNSUPPORTED.*ManifestFile.*S3Prefix inputs"):
        run_pipeline_definition(definition(step), store=store, work_dir=work)


def test_a_local_path_outside_the_processing_folder_fails_the_step(store: LocalS3Store, work: Path) -> None:
    step = processing_step("Read", output_uri="s3://bucket/read")
    step["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath"] = "/tmp/out"
    result = run_pipeline_definition(definition(step), store=store, work_dir=work)
    assert "[LOCAL-LOCAL-PATH] output 'result' has LocalPath '/tmp/out'" in result.step("Read").reason


@pytest.fixture
def s3_client(offline: list[object]) -> Iterator[S3Client]:
    with mock_aws():
        import boto3

        client = boto3.Session(region_name="us-east-1", aws_access_key_id="testing",
                               aws_secret_access_key="testing").client("s3")
        client.create_bucket(Bucket="bucket")
        yield client
    assert offline == []


def test_the_boto3_store_runs_a_step_against_moto(s3_client: S3Client, work: Path) -> None:
    store = Boto3S3Store(s3_client)
    store.put_bytes(CODE_URI, STEP_SCRIPT.encode())
    for key in SCORES:
        store.put_bytes(f"s3://bucket/{key}", b"x\n")
    pipeline = definition(processing_step("Read", output_uri="s3://bucket/read", input_uri="s3://bucket/scores"))
    result = run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert result.step("Read").status is StepStatus.SUCCEEDED, result.step("Read").reason
    assert _files_seen(store, "s3://bucket/read/algo-1.json") == ["_old/part-9.csv", "nested/part-1.csv", "part-0.csv"]
    assert store.list_keys("bucket", "read/") == ["read/algo-1.json", "read/metrics.json"]
    with pytest.raises(LocalExecutionError, match="LOCAL-S3-MISSING"):
        store.read_bytes("s3://bucket/read/none.json")
