"""One processing step run locally: its ``CreateProcessingJob`` request as local processes.

For each of the ``ProcessingResources.ClusterConfig.InstanceCount`` instances (``algo-1`` ...
``algo-N``), a folder stands for the container's ``/`` (:mod:`calibration_step.local.container`).
The inputs are staged into it by SageMaker's S3 rules (:mod:`calibration_step.local.s3_rules`),
the output folders and ``/opt/ml/config`` files are made, the requirements and the image's
packages are checked (:mod:`calibration_step.local.checks`), then the instances' commands
(:mod:`calibration_step.local.command`) run at once as subprocesses with the step's
``Environment`` (container paths mapped), the image's environment when it has a manifest, and a
``PATH`` whose ``python``/``python3`` is this interpreter, plus ``HOME``. Each instance's output
goes to ``<step folder>/<host>.log``. When every instance exits with 0, each output folder of
every instance is uploaded to its ``S3Uri``. ``StoppingCondition.MaxRuntimeInSeconds`` stops
instances that run longer, failing the step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from calibration_step.local.checks import check_image_imports, check_requirements, step_requirements
from calibration_step.local.command import PreparedCommand, prepare_command, python_shims
from calibration_step.local.container import InstanceFolder, checked_local_path, hosts
from calibration_step.local.errors import LocalExecutionError, StepFailure
from calibration_step.local.expressions import text_of
from calibration_step.local.images import image_manifest
from calibration_step.local.s3_rules import InputObject, download_input, input_objects, shard, upload_output
from calibration_step.local.store import S3Store, split_uri

__all__ = ["LOG_TAIL_LINES", "ProcessingJob", "ProcessingRun", "instance_count", "run_processing_job"]

LOG_TAIL_LINES: Final = 20
"""How many last lines of a failed instance's output a failure shows."""
_SYSTEM_PATH: Final = "/usr/local/bin:/usr/bin:/bin"


@attrs.frozen(kw_only=True)
class ProcessingJob:
    """Where and as what a processing step runs: its store, folder, interpreter, job name and ARN."""

    store: S3Store
    folder: Path
    job_name: str
    job_arn: str
    python: str = sys.executable


@attrs.frozen(kw_only=True)
class ProcessingRun:
    """How the job went: its failure reason (``""`` when it completed), log tail and notes."""

    failure: str = ""
    log_tail: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    uploaded: tuple[str, ...] = ()


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise LocalExecutionError("LOCAL-DEFINITION", f"{what} must be an object; got {value!r}.",
                                  hint="write it as CreateProcessingJob does")
    return value


def _items(value: object, what: str) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        raise LocalExecutionError("LOCAL-DEFINITION", f"{what} must be a list; got {value!r}.",
                                  hint="write it as CreateProcessingJob does")
    return [_mapping(item, what) for item in value]


def instance_count(arguments: Mapping[str, object]) -> int:
    """``ProcessingResources.ClusterConfig.InstanceCount`` (default 1); ``LOCAL-INSTANCE-COUNT`` if not positive."""
    cluster = _mapping(_mapping(arguments.get("ProcessingResources", {}), "ProcessingResources")
                       .get("ClusterConfig", {}), "ClusterConfig")
    count = cluster.get("InstanceCount", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise StepFailure("LOCAL-INSTANCE-COUNT", f"InstanceCount must be a positive integer; got {count!r}.",
                          hint="set ProcessingResources.ClusterConfig.InstanceCount to 1 or more")
    return count


def _stage_inputs(job: ProcessingJob, arguments: Mapping[str, object], instances: Sequence[InstanceFolder]) -> None:
    for item in _items(arguments.get("ProcessingInputs", []), "ProcessingInputs"):
        name = text_of(item.get("InputName", "?"))
        s3_input = _mapping(item.get("S3Input"), f"input {name!r} S3Input")
        local_path = checked_local_path(s3_input.get("LocalPath"), what=f"input {name!r}")
        objects: list[InputObject] = input_objects(job.store, s3_input, name=name)
        bucket, _ = split_uri(text_of(s3_input["S3Uri"]))
        sharded = s3_input.get("S3DataDistributionType", "FullyReplicated") == "ShardedByS3Key"
        for index, instance in enumerate(instances):
            chosen = shard(objects, instances=len(instances), index=index) if sharded else objects
            folder = instance.local(local_path)
            folder.mkdir(parents=True, exist_ok=True)
            download_input(job.store, bucket, chosen, folder)


def _outputs(arguments: Mapping[str, object]) -> list[tuple[str, str]]:
    """``(LocalPath, S3Uri)`` of each output."""
    config = _mapping(arguments.get("ProcessingOutputConfig", {"Outputs": []}), "ProcessingOutputConfig")
    found = []
    for item in _items(config.get("Outputs", []), "ProcessingOutputConfig.Outputs"):
        name = text_of(item.get("OutputName", "?"))
        s3_output = _mapping(item.get("S3Output"), f"output {name!r} S3Output")
        found.append((checked_local_path(s3_output.get("LocalPath"), what=f"output {name!r}"),
                      text_of(s3_output.get("S3Uri", ""))))
    return found


def _command(arguments: Mapping[str, object], python: str) -> PreparedCommand:
    app = _mapping(arguments.get("AppSpecification", {}), "AppSpecification")
    entrypoint, container_arguments = app.get("ContainerEntrypoint", []), app.get("ContainerArguments", [])
    if not isinstance(entrypoint, list) or not isinstance(container_arguments, list):
        raise LocalExecutionError("LOCAL-DEFINITION", "ContainerEntrypoint and ContainerArguments must be lists.",
                                  hint="write them as lists of strings")
    return prepare_command([text_of(w) for w in entrypoint], [text_of(w) for w in container_arguments], python=python)


def _environment(job: ProcessingJob, arguments: Mapping[str, object], image_uri: str,
                 instance: InstanceFolder) -> dict[str, str]:
    image = image_manifest(image_uri)
    shims = python_shims(job.folder / "bin", job.python)
    environment = dict(image.environment) if image else {}
    environment.update(PATH=f"{shims}:{_SYSTEM_PATH}", HOME=os.environ.get("HOME", os.fspath(job.folder)))
    step_environment = _mapping(arguments.get("Environment", {}), "Environment")
    environment.update({key: instance.map_text(text_of(value)) for key, value in step_environment.items()})
    return environment


def _tail(log: Path) -> tuple[str, ...]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    return tuple(lines[-LOG_TAIL_LINES:])


def _run_instances(job: ProcessingJob, arguments: Mapping[str, object], command: PreparedCommand,
                   instances: Sequence[InstanceFolder], image_uri: str) -> tuple[str, tuple[str, ...]]:
    """Run every instance at once; the failure (``""`` if none) and the failed instances' log tail."""
    stopping = _mapping(arguments.get("StoppingCondition", {}), "StoppingCondition")
    limit = stopping.get("MaxRuntimeInSeconds")
    deadline = time.monotonic() + float(limit) if isinstance(limit, (int, float)) else None
    running = []
    for instance in instances:
        log = job.folder / f"{instance.host}.log"
        with log.open("wb") as stream:
            running.append((instance, log, subprocess.Popen(
                [instance.map_text(word) for word in command.argv], cwd=instance.root, stdout=stream,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_environment(job, arguments, image_uri, instance))))
    failures, tail = [], []
    for instance, log, process in running:
        try:
            code = process.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code, deadline = -9, time.monotonic()
            failures.append(f"{instance.host} ran longer than MaxRuntimeInSeconds={limit} and was stopped")
        else:
            if code != 0:
                failures.append(f"{instance.host} exited with code {code}")
        if code != 0:
            tail += [f"{instance.host}: {line}" for line in _tail(log)]
    failure = ""
    if failures:
        failure = str(StepFailure("LOCAL-JOB-FAILED", f"AlgorithmError: {'; '.join(failures)}.",
                                  hint=f"read the instance logs in {job.folder}"))
    return failure, tuple(tail)


def run_processing_job(job: ProcessingJob, arguments: Mapping[str, object]) -> ProcessingRun:
    """Run a processing step's resolved arguments (see the module docstring).

    Raises
    ------
    LocalExecutionError
        For a request the executor cannot run (malformed, or a feature it lacks). What would
        fail on SageMaker is returned as the run's ``failure`` instead.
    """
    try:
        app = _mapping(arguments.get("AppSpecification", {}), "AppSpecification")
        image_uri = text_of(app.get("ImageUri", ""))
        instances = [InstanceFolder(root=job.folder / host, host=host) for host in hosts(instance_count(arguments))]
        outputs = _outputs(arguments)
        for instance in instances:
            instance.write_config([i.host for i in instances], {**arguments, "ProcessingJobName": job.job_name,
                                                                 "ProcessingJobArn": job.job_arn})
            for local_path, _uri in outputs:
                instance.local(local_path).mkdir(parents=True, exist_ok=True)
        _stage_inputs(job, arguments, instances)
        command = _command(arguments, job.python)
        requirements = step_requirements(command, instances[0])
        check_requirements(requirements)
        note = check_image_imports(command, instances[0], image_uri, requirements)
    except StepFailure as refused:
        return ProcessingRun(failure=str(refused))
    failure, tail = _run_instances(job, arguments, command, instances, image_uri)
    if failure:
        return ProcessingRun(failure=failure, log_tail=tail, notes=(note,) if note else ())
    uploaded = [uri for instance in instances for local_path, s3_uri in outputs
                for uri in upload_output(job.store, instance.local(local_path), s3_uri)]
    return ProcessingRun(notes=(note,) if note else (), uploaded=tuple(uploaded))
