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

Examples
--------
>>> instance_count({"ProcessingResources": {"ClusterConfig": {"InstanceCount": 2}}})
2
>>> instance_count({"ProcessingResources": {"ClusterConfig": {"InstanceCount": 0}}})
Traceback (most recent call last):
...
calibration_step.errors.StepFailure: [LOCAL-INSTANCE-COUNT] InstanceCount must be a positive integer; got 0. ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from calibration_step.errors import Code, LocalExecutionError, StepFailure
from calibration_step.local.checks import check_image_imports, check_requirements, step_requirements
from calibration_step.local.command import PreparedCommand, prepare_command, python_shims
from calibration_step.local.container import InstanceFolder, checked_local_path, hosts
from calibration_step.local.expressions import text_of
from calibration_step.local.images import image_manifest
from calibration_step.local.properties import job_arn
from calibration_step.local.s3_rules import InputObject, download_input, input_objects, shard, upload_output
from calibration_step.local.store import S3Store, split_uri

__all__ = ["LOG_TAIL_LINES", "instance_count", "run_processing_job"]

LOG_TAIL_LINES: Final = 20
"""How many last lines of a failed instance's output a failure shows."""
_SYSTEM_PATH: Final = "/usr/local/bin:/usr/bin:/bin"


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise LocalExecutionError(Code.LOCAL_DEFINITION, f"{what} must be an object; got {value!r}.",
                                  hint="write it as CreateProcessingJob does")
    return value


def _items(value: object, what: str) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        raise LocalExecutionError(Code.LOCAL_DEFINITION, f"{what} must be a list; got {value!r}.",
                                  hint="write it as CreateProcessingJob does")
    return [_mapping(item, what) for item in value]


def instance_count(arguments: Mapping[str, object]) -> int:
    """``ProcessingResources.ClusterConfig.InstanceCount`` (default 1); ``LOCAL-INSTANCE-COUNT`` if not positive."""
    cluster = _mapping(_mapping(arguments.get("ProcessingResources", {}), "ProcessingResources")
                       .get("ClusterConfig", {}), "ClusterConfig")
    count = cluster.get("InstanceCount", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise StepFailure(Code.LOCAL_INSTANCE_COUNT, f"InstanceCount must be a positive integer; got {count!r}.",
                          hint="set ProcessingResources.ClusterConfig.InstanceCount to 1 or more")
    return count


def _stage_inputs(store: S3Store, arguments: Mapping[str, object], instances: Sequence[InstanceFolder]) -> None:
    for item in _items(arguments.get("ProcessingInputs", []), "ProcessingInputs"):
        name = text_of(item.get("InputName", "?"))
        s3_input = _mapping(item.get("S3Input"), f"input {name!r} S3Input")
        local_path = checked_local_path(s3_input.get("LocalPath"), what=f"input {name!r}")
        objects: list[InputObject] = input_objects(store, s3_input, name=name)
        bucket, _ = split_uri(text_of(s3_input["S3Uri"]))
        sharded = s3_input.get("S3DataDistributionType", "FullyReplicated") == "ShardedByS3Key"
        for index, instance in enumerate(instances):
            chosen = shard(objects, instances=len(instances), index=index) if sharded else objects
            folder = instance.local(local_path)
            folder.mkdir(parents=True, exist_ok=True)
            download_input(store, bucket, chosen, folder)


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
        raise LocalExecutionError(Code.LOCAL_DEFINITION, "ContainerEntrypoint and ContainerArguments must be lists.",
                                  hint="write them as lists of strings")
    return prepare_command([text_of(w) for w in entrypoint], [text_of(w) for w in container_arguments], python=python)


def _environment(folder: Path, arguments: Mapping[str, object], image_uri: str,
                 instance: InstanceFolder) -> dict[str, str]:
    image = image_manifest(image_uri)
    shims = python_shims(folder / "bin", sys.executable)
    environment = dict(image.environment) if image else {}
    environment.update(PATH=f"{shims}:{_SYSTEM_PATH}", HOME=os.environ.get("HOME", os.fspath(folder)))
    step_environment = _mapping(arguments.get("Environment", {}), "Environment")
    environment.update({key: instance.map_text(text_of(value)) for key, value in step_environment.items()})
    return environment


def _tail(log: Path) -> tuple[str, ...]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    return tuple(lines[-LOG_TAIL_LINES:])


def _run_instances(folder: Path, arguments: Mapping[str, object], command: PreparedCommand,
                   instances: Sequence[InstanceFolder], image_uri: str) -> None:
    """Run every instance at once; ``LOCAL-JOB-FAILED`` with the failed instances' log tails if one fails."""
    stopping = _mapping(arguments.get("StoppingCondition", {}), "StoppingCondition")
    limit = stopping.get("MaxRuntimeInSeconds")
    deadline = time.monotonic() + float(limit) if isinstance(limit, (int, float)) else None
    running = []
    for instance in instances:
        log = folder / f"{instance.host}.log"
        with log.open("wb") as stream:
            running.append((instance, log, subprocess.Popen(
                [instance.map_text(word) for word in command.argv], cwd=instance.root, stdout=stream,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_environment(folder, arguments, image_uri, instance))))
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
    if failures:
        raise StepFailure(Code.LOCAL_JOB_FAILED, f"AlgorithmError: {'; '.join(failures)}.",
                          hint=f"read the instance logs in {folder}", log_tail=tuple(tail))


def run_processing_job(store: S3Store, folder: Path, job_name: str, arguments: Mapping[str, object], *,
                       note: Callable[[str], None]) -> None:
    """Run a processing step's resolved ``arguments`` as the job ``job_name`` in ``folder`` (see the module docstring).

    ``note`` receives what the run could not check (an image without a manifest).

    Raises
    ------
    StepFailure
        What would fail the job on SageMaker (the message says what; ``log_tail`` the last lines
        of each failed instance's output).
    LocalExecutionError
        For a request the executor cannot run (malformed, or a feature it lacks).
    """
    image_uri = text_of(_mapping(arguments.get("AppSpecification", {}), "AppSpecification").get("ImageUri", ""))
    instances = [InstanceFolder(root=folder / host, host=host) for host in hosts(instance_count(arguments))]
    outputs = _outputs(arguments)
    for instance in instances:
        instance.write_config([i.host for i in instances],
                              {**arguments, "ProcessingJobName": job_name, "ProcessingJobArn": job_arn(job_name)})
        for local_path, _uri in outputs:
            instance.local(local_path).mkdir(parents=True, exist_ok=True)
    _stage_inputs(store, arguments, instances)
    command = _command(arguments, sys.executable)
    requirements = step_requirements(command, instances[0])
    check_requirements(requirements)
    unchecked = check_image_imports(command, instances[0], image_uri, requirements)
    if unchecked:
        note(unchecked)
    _run_instances(folder, arguments, command, instances, image_uri)
    for instance in instances:
        for local_path, s3_uri in outputs:
            upload_output(store, instance.local(local_path), s3_uri)
