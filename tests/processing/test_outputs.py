from __future__ import annotations

import pytest

from calibration_step.processing.outputs import execution_prefix_parameter, output_destination, processing_outputs
from calibration_step.processing.values import EXECUTION_ID, Join, StringParameter
from calibration_step.errors import BuildError
from tests.examples import example_contract, example_spec


def test_outputs_are_joined_under_the_execution_prefix() -> None:
    prefix = execution_prefix_parameter("s3://bucket/pipe/")
    got = processing_outputs(example_spec(), example_contract(), execution_prefix=prefix, job_type="training")
    assert [o.output_name for o in got] == ["model", "metrics"]
    assert [o.source for o in got] == ["/opt/ml/processing/output/model", "/opt/ml/processing/output/metrics"]
    assert got[1].destination == Join(on="/", values=(prefix, EXECUTION_ID, "example_training", "training", "metrics"))
    assert prefix == StringParameter(name="ExecutionPrefix", default_value="s3://bucket/pipe")


def test_a_plain_prefix_is_normalised_and_still_joined_with_the_execution_id() -> None:
    got = processing_outputs(
        example_spec(), example_contract(), execution_prefix="s3://bucket//runs/", job_type="testing", step_folder="scoring"
    )
    assert got[0].destination == Join(on="/", values=("s3://bucket/runs", EXECUTION_ID, "scoring", "testing", "model"))
    assert got[0].destination.to_expr()["Std:Join"] == {
        "On": "/", "Values": ["s3://bucket/runs", {"Get": "Execution.PipelineExecutionId"}, "scoring", "testing", "model"]}


def test_bad_parts_are_errors() -> None:
    with pytest.raises(BuildError, match=r"the job type of an output destination must be snake_case; got 'Bad Type'"):
        output_destination("s3://b/p", step_folder="x", job_type="Bad Type", logical_name="y")
    with pytest.raises(BuildError, match=r"must be an S3 URI"):
        execution_prefix_parameter("bucket/prefix")
