"""Executing a pipeline definition locally: steps in dependency order, branches as taken.

Each execution has a fresh id (12 lower-case letters and digits, like SageMaker's), its own
folder ``<work dir>/<execution id>/<step>/`` and the execution variables ``PipelineExecutionId``,
``PipelineExecutionArn``, ``PipelineName``, ``PipelineArn``, ``StartDateTime`` and
``CurrentDateTime``. The steps run one at a time, in the order of
:func:`~calibration_step.local.definition.execution_order`:

- a step in a branch of a condition step runs only when its condition step took that branch;
  a step that depends on a step that did not run does not run either (both are *skipped*);
- a ``Fail`` step fails the execution with its rendered ``ErrorMessage`` as the failure reason
  (https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-fail);
- once a step fails, no further step starts, and the execution is Failed with SageMaker's
  reason ``Step failure: One or multiple steps failed.`` (unless a Fail step gave one).

Not interpreted: caching (``CacheConfig``), retries (``RetryPolicies``), parallelism settings, and
the pipeline's experiment and MLflow settings; steps of other types stop the run before it starts.
"""

from __future__ import annotations

import datetime
import json
import secrets
import string
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from calibration_step.errors import Code, StepFailure
from calibration_step.local.conditions import conditions_hold
from calibration_step.local.definition import PipelineDocument, StepNode, execution_order, read_definition
from calibration_step.local.expressions import Scope, evaluate, lookup, text_of
from calibration_step.local.parameters import bind_parameters
from calibration_step.local.processing import instance_count, run_processing_job
from calibration_step.local.properties import check_property_references, job_arn, job_name, processing_properties
from calibration_step.local.report import executing_line, execution_line, step_lines
from calibration_step.local.results import ExecutionResult, ExecutionStatus, StepResult, StepStatus
from calibration_step.local.store import S3Store, join_uri

__all__ = ["STEP_FAILURE_REASON", "new_execution_id", "run_pipeline_definition"]

STEP_FAILURE_REASON: Final = "Step failure: One or multiple steps failed."
"""SageMaker's failure reason of an execution whose steps failed."""
_ALPHABET: Final = string.ascii_lowercase + string.digits


def new_execution_id() -> str:
    """A fresh execution id: 12 lower-case letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class _Run:
    """The state of one execution: variables, finished steps and their properties."""

    def __init__(self, document: PipelineDocument, store: S3Store, folder: Path, variables: dict[str, object],
                 parameters: Mapping[str, object], report: Callable[[str], None]) -> None:
        self.document, self.store, self.folder, self.report = document, store, folder, report
        self.variables, self.parameters = variables, parameters
        self.results: dict[str, StepResult] = {}
        self.failed = False
        self.failure_reason = ""

    def scope(self) -> Scope:
        return Scope(parameters=self.parameters, execution={**self.variables, "CurrentDateTime": _now()},
                     properties=lambda name: self.results[name].properties, property_file=self.property_file,
                     json_document=self.json_document)

    def json_document(self, uri: str) -> object:
        try:
            return json.loads(self.store.read_bytes(uri))
        except (ValueError, LookupError) as error:
            raise StepFailure(Code.LOCAL_JSON_DOCUMENT, f"cannot read a JSON document at {uri!r}: {error}.",
                              hint="make the step that writes it write valid JSON there") from None

    def property_file(self, step: str, name: str) -> object:
        declared = self.document.step(step).property_files[name]
        output = lookup(self.results[step].properties, f"ProcessingOutputConfig.Outputs['{declared.output_name}']"
                        ".S3Output.S3Uri", where=f"property file {name!r} of step {step!r}")
        return self.json_document(join_uri(text_of(output), declared.path))

    def not_run(self, step: StepNode) -> StepResult | None:
        """The result of a step that does not run (skipped, or not started after a failure), else None."""
        skipped = [up for up in step.upstream if self.results[up].status is StepStatus.SKIPPED]
        condition = self.results[step.condition] if step.condition else None
        status, reason = StepStatus.SKIPPED, ""
        if skipped:
            reason = f"it depends on {skipped[0]!r}, which did not run"
        elif condition and condition.status is StepStatus.SUCCEEDED and condition.properties["Outcome"] is not step.if_branch:
            taken, other = ("ElseSteps", "IfSteps") if step.if_branch else ("IfSteps", "ElseSteps")
            reason = f"it is in the {other} of {step.condition!r}, which took its {taken}"
        elif self.failed:
            status, reason = StepStatus.NOT_STARTED, "the execution has failed"
        if not reason:
            return None
        return StepResult(name=step.name, step_type=step.step_type, status=status, reason=reason)

    def run_processing(self, step: StepNode, started: float) -> StepResult:
        arguments = evaluate(step.arguments, self.scope())
        assert isinstance(arguments, Mapping)  # an object in, an object out
        name = job_name(str(self.variables["PipelineExecutionId"]), step.name, new_execution_id()[:10])
        arn = job_arn(name)
        folder = self.folder / step.name
        folder.mkdir(parents=True, exist_ok=True)
        count = instance_count(arguments)
        self.report(executing_line(step.name, f"Processing, {count} instance{'s' if count != 1 else ''}"))
        start_time = _now()
        failure: StepFailure | None = None
        try:
            run_processing_job(self.store, folder, name, arguments,
                               note=lambda text: self.report(f"[{step.name}] note: {text}"))
        except StepFailure as error:
            failure = error
        properties = processing_properties(arguments, job_name=name, job_arn=arn, failure_reason=str(failure or ""),
                                           status="Failed" if failure else "Completed",
                                           times={"ProcessingStartTime": start_time, "ProcessingEndTime": _now()})
        return StepResult(name=step.name, step_type=step.step_type, reason=str(failure or ""),
                          status=StepStatus.FAILED if failure else StepStatus.SUCCEEDED, properties=properties,
                          log_tail=failure.log_tail if failure else (), seconds=time.monotonic() - started,
                          work_dir=str(folder))

    def run_condition(self, step: StepNode, started: float) -> StepResult:
        scope = self.scope()
        conditions = step.arguments.get("Conditions")
        assert isinstance(conditions, list)  # checked when the definition was read
        outcome = conditions_hold(conditions, lambda value: evaluate(value, scope))
        branch = "IfSteps" if outcome else "ElseSteps"
        taken = [s.name for s in self.document.steps if s.condition == step.name and s.if_branch is outcome]
        return StepResult(name=step.name, step_type=step.step_type, status=StepStatus.SUCCEEDED,
                          reason=f"conditions {'held' if outcome else 'did not hold'}: {branch} {taken}",
                          properties={"Outcome": outcome}, seconds=time.monotonic() - started)

    def run_step(self, step: StepNode) -> StepResult:
        started = time.monotonic()
        try:
            if step.step_type == "Processing":
                return self.run_processing(step, started)
            if step.step_type == "Condition":
                return self.run_condition(step, started)
            message = text_of(evaluate(step.arguments.get("ErrorMessage", ""), self.scope()))
            self.failed, self.failure_reason = True, message
            return StepResult(name=step.name, step_type=step.step_type, status=StepStatus.FAILED, reason=message)
        except StepFailure as failure:
            return StepResult(name=step.name, step_type=step.step_type, status=StepStatus.FAILED, reason=str(failure),
                              seconds=time.monotonic() - started)

    def execute(self) -> None:
        for step in execution_order(self.document):
            result = self.not_run(step)
            if result is None:
                result = self.run_step(step)
                if result.status is StepStatus.FAILED and not self.failed:
                    self.failed, self.failure_reason = True, STEP_FAILURE_REASON
            self.results[step.name] = result
            for line in step_lines(result):
                self.report(line)


def run_pipeline_definition(
    definition: Mapping[str, object],
    *,
    store: S3Store,
    work_dir: Path,
    parameters: Mapping[str, object] | None = None,
    pipeline_name: str = "local-pipeline",
    report: Callable[[str], None] | None = None,
) -> ExecutionResult:
    """Execute the pipeline definition ``definition`` here, reading and writing ``s3://`` through ``store``.

    Parameters
    ----------
    definition : mapping
        The pipeline definition document (the JSON the pipeline is created with), parsed.
    store : S3Store
        Where ``s3://`` URIs are read and written (:class:`~calibration_step.local.store.LocalS3Store`
        or :class:`~calibration_step.local.store.Boto3S3Store`).
    work_dir : Path
        Each execution works in ``work_dir/<execution id>/``.
    parameters : mapping, optional
        Values of declared parameters (text is read as the declared type); others take their default.
    pipeline_name : str, default "local-pipeline"
        The ``Execution.PipelineName`` variable.
    report : callable, optional
        Called with each progress line (a step starts, a step ends, the execution ends).

    Returns
    -------
    ExecutionResult
        The execution's status and failure reason, and each step's result.

    Raises
    ------
    LocalExecutionError
        A ``LOCAL-...`` error when the definition cannot be executed here (checked before any step
        runs where it can be): see :mod:`calibration_step.local.definition` and
        :mod:`calibration_step.local.parameters`.

    Examples
    --------
    >>> import tempfile
    >>> from calibration_step.local.store import LocalS3Store
    >>> folder = Path(tempfile.mkdtemp())
    >>> result = run_pipeline_definition(
    ...     {"Parameters": [{"Name": "Limit", "Type": "Float", "DefaultValue": 0.5}],
    ...      "Steps": [{"Name": "Check", "Type": "Condition", "Arguments": {
    ...          "Conditions": [{"Type": "LessThan", "LeftValue": {"Get": "Parameters.Limit"}, "RightValue": 0.1}],
    ...          "IfSteps": [], "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {
    ...              "ErrorMessage": {"Std:Join": {"On": " ", "Values": ["limit", {"Get": "Parameters.Limit"}]}}}}]}}]},
    ...     store=LocalS3Store(folder / "s3"), work_dir=folder / "work", report=print)  # doctest: +ELLIPSIS
    Execution ... of pipeline 'local-pipeline': 2 steps
    [Check] Succeeded in ... s: conditions did not hold: ElseSteps ['Stop']
    [Stop] Failed: limit 0.5
    Execution ...: Failed: limit 0.5
    >>> result.status.value, result.step("Stop").reason
    ('Failed', 'limit 0.5')
    """
    document = read_definition(definition)
    check_property_references(document)
    values = bind_parameters(document.parameters, parameters or {})
    execution_id, say = new_execution_id(), report or (lambda _line: None)
    arn = f"arn:aws:sagemaker:local:000000000000:pipeline/{pipeline_name.lower()}"
    variables: dict[str, object] = {
        "PipelineExecutionId": execution_id, "PipelineExecutionArn": f"{arn}/execution/{execution_id}",
        "PipelineName": pipeline_name, "PipelineArn": arn, "StartDateTime": _now(),
    }
    folder = work_dir.resolve() / execution_id
    folder.mkdir(parents=True, exist_ok=True)
    say(f"Execution {execution_id} of pipeline {pipeline_name!r}: {len(document.steps)} steps")
    run = _Run(document, store, folder, variables, values, say)
    run.execute()
    result = ExecutionResult(
        execution_id=execution_id, pipeline_name=pipeline_name, parameters=values,
        status=ExecutionStatus.FAILED if run.failed else ExecutionStatus.SUCCEEDED,
        failure_reason=run.failure_reason, steps=tuple(run.results[step.name] for step in document.steps),
    )
    say(execution_line(result))
    return result
