"""Executing definitions: parameters, expressions, data dependencies, property files, branches, Fail steps."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from calibration_step.local import (
    ExecutionStatus,
    LocalExecutionError,
    LocalS3Store,
    StepStatus,
    run_pipeline_definition,
)
from tests.local.definitions import (
    EXECUTION_ID,
    JsonDocument,
    definition,
    join,
    output_of,
    parameter,
    processing_step,
    string_parameter,
)


Edit = Callable[[JsonDocument], object]


def _report(store: LocalS3Store, uri: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(store.read_bytes(uri))
    return loaded


def _greeting_pipeline() -> JsonDocument:
    return definition(
        processing_step("Greet", output_uri="s3://bucket/greet", environment={"GREETING": parameter("Greeting")}),
        parameters=[string_parameter("Greeting", "hello"),
                    {"Name": "Rows", "Type": "Integer", "DefaultValue": 3},
                    {"Name": "Strict", "Type": "Boolean", "DefaultValue": False}],
    )


def test_parameters_take_their_defaults(store: LocalS3Store, work: Path) -> None:
    result = run_pipeline_definition(_greeting_pipeline(), store=store, work_dir=work)
    assert result.status is ExecutionStatus.SUCCEEDED
    assert result.parameters == {"Greeting": "hello", "Rows": 3, "Strict": False}
    assert _report(store, "s3://bucket/greet/algo-1.json")["greeting"] == "hello"


def test_given_values_override_defaults_as_their_declared_type(store: LocalS3Store, work: Path) -> None:
    result = run_pipeline_definition(_greeting_pipeline(), store=store, work_dir=work,
                                     parameters={"Greeting": "bonjour", "Rows": "7", "Strict": "TRUE"})
    assert result.parameters == {"Greeting": "bonjour", "Rows": 7, "Strict": True}
    assert _report(store, "s3://bucket/greet/algo-1.json")["greeting"] == "bonjour"


@pytest.mark.parametrize(("given", "code"), [
    ({"Rows": "seven"}, "LOCAL-PARAMETER-VALUE"),
    ({"Strict": "yes"}, "LOCAL-PARAMETER-VALUE"),
    ({"Rows": True}, "LOCAL-PARAMETER-VALUE"),
    ({"Colour": "red"}, "LOCAL-PARAMETER-UNKNOWN"),
])
def test_bad_parameter_values_stop_before_any_step(store: LocalS3Store, work: Path, given: dict[str, object],
                                                    code: str) -> None:
    with pytest.raises(LocalExecutionError, match=code):
        run_pipeline_definition(_greeting_pipeline(), store=store, work_dir=work, parameters=given)
    assert not work.exists()


def test_a_parameter_without_default_or_value_is_an_error(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(processing_step("Greet", output_uri="s3://bucket/greet"),
                          parameters=[{"Name": "Needed", "Type": "String"}])
    with pytest.raises(LocalExecutionError, match=r"LOCAL-PARAMETER-MISSING.*'Needed'.*--parameter Needed=VALUE"):
        run_pipeline_definition(pipeline, store=store, work_dir=work)


def test_an_undeclared_parameter_stops_the_execution_before_it_starts(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(
        processing_step("First", output_uri="s3://bucket/first"),
        processing_step("Second", output_uri=join(parameter("Prefix"), "second")),
    )
    with pytest.raises(LocalExecutionError, match=r"LOCAL-PARAMETER-UNDECLARED.*step 'Second' reads parameter 'Prefix'"):
        run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert store.list_keys("bucket", "first") == []


def test_std_join_renders_parameters_and_the_execution_id(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(
        processing_step("Write", output_uri=join(parameter("Prefix"), EXECUTION_ID, "out", 3, True)),
        parameters=[string_parameter("Prefix", "s3://bucket/runs")],
    )
    result = run_pipeline_definition(pipeline, store=store, work_dir=work)
    expected = f"runs/{result.execution_id}/out/3/true/metrics.json"
    assert expected in store.list_keys("bucket", "runs/")
    outputs = result.step("Write").properties["ProcessingOutputConfig"]
    assert outputs == {"Outputs": [{"OutputName": "result", "S3Output": {
        "S3Uri": f"s3://bucket/runs/{result.execution_id}/out/3/true", "LocalPath": "/opt/ml/processing/output/result",
        "S3UploadMode": "EndOfJob"}}]}


def test_get_of_a_step_output_feeds_the_next_step_and_orders_them(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(
        processing_step("Consume", output_uri="s3://bucket/consume", input_uri=output_of("Produce"),
                        environment={"GREETING": {"Get": "Steps.Produce.ProcessingJobName"}}),
        processing_step("Produce", output_uri=join("s3://bucket/produce", EXECUTION_ID)),
    )
    result = run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert [step.status for step in result.steps] == [StepStatus.SUCCEEDED, StepStatus.SUCCEEDED]
    seen = _report(store, "s3://bucket/consume/algo-1.json")
    assert seen["files"] == ["algo-1.json", "metrics.json"]
    assert seen["greeting"] == result.step("Produce").properties["ProcessingJobName"]
    assert str(seen["greeting"]).startswith(f"pipelines-{result.execution_id}-Produce-")
    assert result.step("Produce").properties["ProcessingJobStatus"] == "Completed"


def _scored_pipeline() -> JsonDocument:
    score = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Score.PropertyFiles.Metrics"}, "Path": "model.score"}}
    return definition(
        processing_step("Score", output_uri=join("s3://bucket/score", EXECUTION_ID),
                        environment={"SCORE": parameter("Score")}),
        {"Name": "GoodEnough", "Type": "Condition", "Arguments": {
            "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": score, "RightValue": 0.5}],
            "IfSteps": [processing_step("Publish", output_uri=join("s3://bucket/publish", EXECUTION_ID),
                                        input_uri=output_of("Score"))],
            "ElseSteps": [{"Name": "TooLow", "Type": "Fail", "Arguments": {
                "ErrorMessage": join("score", score, "is below 0.5 in", EXECUTION_ID, on=" ")}}],
        }},
        processing_step("AfterPublish", output_uri="s3://bucket/after", input_uri=output_of("Publish")),
        parameters=[string_parameter("Score", "0.9")],
    )


def test_a_property_file_value_takes_the_if_branch(store: LocalS3Store, work: Path) -> None:
    result = run_pipeline_definition(_scored_pipeline(), store=store, work_dir=work)
    assert result.status is ExecutionStatus.SUCCEEDED
    statuses = {step.name: step.status for step in result.steps}
    assert statuses == {"Score": StepStatus.SUCCEEDED, "GoodEnough": StepStatus.SUCCEEDED,
                        "Publish": StepStatus.SUCCEEDED, "TooLow": StepStatus.SKIPPED,
                        "AfterPublish": StepStatus.SUCCEEDED}
    assert result.step("GoodEnough").properties == {"Outcome": True}
    assert store.list_keys("bucket", f"publish/{result.execution_id}/")


def test_the_else_branch_fail_step_fails_the_execution_with_its_rendered_message(store: LocalS3Store, work: Path) -> None:
    result = run_pipeline_definition(_scored_pipeline(), store=store, work_dir=work, parameters={"Score": "0.25"})
    assert result.status is ExecutionStatus.FAILED
    assert result.failure_reason == f"score 0.25 is below 0.5 in {result.execution_id}"
    statuses = {step.name: step.status for step in result.steps}
    assert statuses == {"Score": StepStatus.SUCCEEDED, "GoodEnough": StepStatus.SUCCEEDED,
                        "Publish": StepStatus.SKIPPED, "TooLow": StepStatus.FAILED,
                        "AfterPublish": StepStatus.SKIPPED}
    assert "IfSteps of 'GoodEnough', which took its ElseSteps" in result.step("Publish").reason
    assert "depends on 'Publish', which did not run" in result.step("AfterPublish").reason
    assert store.list_keys("bucket", "publish") == []


def test_a_fail_step_without_message_fails_the_execution(store: LocalS3Store, work: Path) -> None:
    result = run_pipeline_definition(definition({"Name": "Stop", "Type": "Fail", "Arguments": {}}),
                                     store=store, work_dir=work)
    assert result.status is ExecutionStatus.FAILED and result.failure_reason == ""
    assert result.step("Stop").status is StepStatus.FAILED


def test_a_missing_json_path_fails_the_condition_step(store: LocalS3Store, work: Path) -> None:
    pipeline = _scored_pipeline()
    condition = pipeline["Steps"][1]
    condition["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"]["Path"] = "model.auc"
    result = run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert result.status is ExecutionStatus.FAILED
    assert result.failure_reason == "Step failure: One or multiple steps failed."
    assert "LOCAL-JSONGET" in result.step("GoodEnough").reason and "'auc'" in result.step("GoodEnough").reason
    assert result.step("AfterPublish").status is StepStatus.NOT_STARTED


def test_two_executions_leave_two_sets_of_outputs(store: LocalS3Store, work: Path) -> None:
    first = run_pipeline_definition(_scored_pipeline(), store=store, work_dir=work)
    second = run_pipeline_definition(_scored_pipeline(), store=store, work_dir=work)
    assert first.execution_id != second.execution_id
    for result in (first, second):
        assert store.list_keys("bucket", f"score/{result.execution_id}/") == [
            f"score/{result.execution_id}/algo-1.json", f"score/{result.execution_id}/metrics.json"]
        assert (work / result.execution_id / "Score" / "algo-1.log").is_file()


def test_a_failing_step_shows_its_log_tail_and_stops_later_steps(store: LocalS3Store, work: Path) -> None:
    pipeline = definition(
        processing_step("Broken", output_uri="s3://bucket/broken", extra_arguments=["--fail", "yes"]),
        processing_step("Later", output_uri="s3://bucket/later"),
    )
    lines: list[str] = []
    result = run_pipeline_definition(pipeline, store=store, work_dir=work, report=lines.append)
    broken = result.step("Broken")
    assert broken.status is StepStatus.FAILED
    assert "[LOCAL-JOB-FAILED] AlgorithmError: algo-1 exited with code 3" in broken.reason
    assert broken.log_tail == ("algo-1: boom",)
    assert broken.properties["ProcessingJobStatus"] == "Failed"
    assert result.step("Later").status is StepStatus.NOT_STARTED
    assert store.list_keys("bucket", "broken") == []
    assert "    | algo-1: boom" in lines and lines[-1].endswith("Failed: Step failure: One or multiple steps failed.")


def test_depends_on_orders_steps_without_data(store: LocalS3Store, work: Path) -> None:
    second = processing_step("Second", output_uri="s3://bucket/second")
    second["DependsOn"] = ["First"]
    lines: list[str] = []
    result = run_pipeline_definition(definition(second, processing_step("First", output_uri="s3://bucket/first")),
                                     store=store, work_dir=work, report=lines.append)
    assert [step.name for step in result.steps] == ["Second", "First"]
    started = [line for line in lines if "Executing" in line]
    assert started == ["[First] Executing (Processing, 1 instance)", "[Second] Executing (Processing, 1 instance)"]


def _add_training_step(document: JsonDocument) -> None:
    document["Steps"].append({"Name": "Train", "Type": "Training", "Arguments": {}})


def _depend_on_a_missing_step(document: JsonDocument) -> None:
    document["Steps"][0]["DependsOn"] = ["Nowhere"]


def _depend_on_each_other(document: JsonDocument) -> None:
    document["Steps"][0]["DependsOn"] = ["Other"]
    document["Steps"][1]["DependsOn"] = ["Only"]


def _read(value: object) -> Edit:
    def edit(document: JsonDocument) -> None:
        document["Steps"][1]["Arguments"]["Environment"]["X"] = value

    return edit


def _repeat_a_name(document: JsonDocument) -> None:
    document["Steps"].append({"Name": "Only", "Type": "Fail", "Arguments": {}})


@pytest.mark.parametrize(("change", "code"), [
    (_add_training_step, "LOCAL-STEP-TYPE"),
    (_depend_on_a_missing_step, "LOCAL-STEP-UNKNOWN"),
    (_depend_on_each_other, "LOCAL-CYCLE"),
    (_read({"Get": "Steps.Only.ProcessingOutputConfig.Outputs['nope'].S3Output.S3Uri"}), "LOCAL-PROPERTY"),
    (_read({"Get": "Steps.Only.ProcessingJobStatus"}), None),
    (_read({"Get": "Execution.Tomorrow"}), "LOCAL-EXECUTION-VARIABLE"),
    (_read({"Std:Upper": "a"}), "LOCAL-EXPRESSION"),
    (_read({"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Only.PropertyFiles.Nope"}, "Path": "a"}}),
     "LOCAL-PROPERTY-FILE"),
    (_repeat_a_name, "LOCAL-DEFINITION"),
])
def test_definitions_that_cannot_run_are_refused_before_any_step(store: LocalS3Store, work: Path, change: Edit,
                                                                 code: str | None) -> None:
    pipeline = definition(processing_step("Only", output_uri="s3://bucket/only"),
                          processing_step("Other", output_uri="s3://bucket/other"))
    change(pipeline)
    if code is None:  # the control: the same edit with a property the step has runs
        assert run_pipeline_definition(pipeline, store=store, work_dir=work).succeeded
        return
    with pytest.raises(LocalExecutionError, match=code):
        run_pipeline_definition(pipeline, store=store, work_dir=work)
    assert store.list_keys("bucket", "only") == []
