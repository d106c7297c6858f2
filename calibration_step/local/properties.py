"""Step properties: what ``{"Get": "Steps.<step>.<path>"}`` reads, and its check before the run.

A processing step's properties have the shape of ``DescribeProcessingJob``'s response
(https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html, "Step properties"):
the job's request as resolved (``ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri``,
``ProcessingInputs['<name>'].S3Input.S3Uri``, ``AppSpecification``, ``Environment`` ...) plus
``ProcessingJobName``, ``ProcessingJobArn``, ``ProcessingJobStatus``, ``ExitMessage``,
``FailureReason`` and the times. A condition step has ``Outcome`` (``true`` when its conditions
held). A Fail step has none.

Job names are SageMaker Pipelines' form ``pipelines-<execution id>-<step name>-<random>``, cut to
the 63 characters a job name may have.

Examples
--------
>>> properties = processing_properties({"ProcessingOutputConfig": {"Outputs": [
...     {"OutputName": "m", "S3Output": {"S3Uri": "s3://b/m"}}]}},
...     job_name="pipelines-e1-Fit-abc", job_arn="arn:aws:sagemaker:local:000000000000:processing-job/x",
...     status="Completed")
>>> properties["ProcessingJobStatus"], properties["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
('Completed', 's3://b/m')
>>> job_name("e1", "Fit", "abc")
'pipelines-e1-Fit-abc'
>>> job_arn("pipelines-e1-Fit-abc")
'arn:aws:sagemaker:local:000000000000:processing-job/pipelines-e1-fit-abc'
"""

from __future__ import annotations

from collections.abc import Mapping

from calibration_step.errors import Code, LocalExecutionError
from calibration_step.local.definition import PipelineDocument, StepNode
from calibration_step.local.expressions import lookup, references, step_reference

__all__ = ["check_property_references", "job_arn", "job_name", "processing_properties", "template_properties"]

_DERIVED = ("ProcessingJobName", "ProcessingJobArn", "ProcessingJobStatus", "ExitMessage", "FailureReason",
            "CreationTime", "ProcessingStartTime", "ProcessingEndTime", "LastModifiedTime")


def job_name(execution_id: str, step: str, suffix: str) -> str:
    """The processing job name of ``step`` in an execution."""
    return f"pipelines-{execution_id}-{step}-{suffix}"[:63].rstrip("-")


def job_arn(name: str) -> str:
    """The ARN of the processing job called ``name`` (account ``000000000000``, region ``local``)."""
    return f"arn:aws:sagemaker:local:000000000000:processing-job/{name.lower()}"


def processing_properties(arguments: Mapping[str, object], *, job_name: str, job_arn: str, status: str,
                          failure_reason: str = "", times: Mapping[str, str] | None = None) -> dict[str, object]:
    """A processing step's properties from its resolved arguments and how its job went."""
    properties: dict[str, object] = dict(arguments)
    properties.update(ProcessingJobName=job_name, ProcessingJobArn=job_arn, ProcessingJobStatus=status,
                      ExitMessage=failure_reason, FailureReason=failure_reason, **(times or {}))
    return properties


def template_properties(step: StepNode) -> Mapping[str, object]:
    """The properties ``step`` will have, its values unresolved: what a reference may name."""
    if step.step_type == "Processing":
        return processing_properties(step.arguments, job_name="", job_arn="", status="",
                                     times={name: "" for name in _DERIVED[5:]})
    if step.step_type == "Condition":
        return {"Outcome": True}
    return {}


def check_property_references(document: PipelineDocument) -> None:
    """Check that every ``Steps.<step>.<path>`` reference names a property the step will have.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-PROPERTY`` naming the referring step and the reference.
    """
    for step in document.steps:
        for reference in references(step.arguments if step.step_type != "Condition" else step.arguments.get("Conditions")):
            found = step_reference(reference)
            if found is None or found[1].startswith("PropertyFiles."):
                continue
            upstream = document.step(found[0])
            try:
                lookup(template_properties(upstream), found[1], where=f"step {step.name!r} reads {reference!r}")
            except LocalExecutionError as error:
                raise LocalExecutionError(Code.LOCAL_PROPERTY, f"{error.message} ({upstream.step_type} steps have the "
                                          f"properties {sorted(template_properties(upstream))})",
                                          hint="reference a property the step has, e.g. ProcessingOutputConfig."
                                          "Outputs['<output name>'].S3Output.S3Uri") from None
