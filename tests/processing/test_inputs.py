from __future__ import annotations

import pytest

from calibration_step.processing.inputs import ProcessingInputDefinition, processing_inputs
from calibration_step.processing.values import Join, StringParameter
from calibration_step.errors import BuildError
from calibration_step.properties import PropertyReference
from tests.examples import ExampleInput, example_contract, example_spec


def test_inputs_follow_spec_order_and_contract_paths() -> None:
    got = processing_inputs(
        example_spec(),
        example_contract(),
        {ExampleInput.HYPERPARAMETERS: "s3://bucket/model/", ExampleInput.TRAINING_DATA: "s3://bucket//scores"},
    )
    assert got == (
        ProcessingInputDefinition(input_name="training_data", source="s3://bucket/scores", destination="/opt/ml/processing/input/data"),
        ProcessingInputDefinition(
            input_name="hyperparameters", source="s3://bucket/model/", destination="/opt/ml/processing/input/config"
        ),
    )


def test_optional_input_is_left_out() -> None:
    got = processing_inputs(example_spec(), example_contract(), {ExampleInput.TRAINING_DATA: "s3://bucket/scores"})
    assert [i.input_name for i in got] == ["training_data"]


def test_missing_required_input_names_it() -> None:
    with pytest.raises(BuildError, match=r"ExampleTraining input 'training_data' is required but no source was given") as info:
        processing_inputs(example_spec(), example_contract(), {ExampleInput.HYPERPARAMETERS: "s3://bucket/m"})
    assert info.value.code == "BUILD-MISSING-INPUT"


def test_bad_uri_names_the_input() -> None:
    with pytest.raises(BuildError, match=r"ExampleTraining input 'training_data' must be an S3 URI .*got 'scores.csv'"):
        processing_inputs(example_spec(), example_contract(), {ExampleInput.TRAINING_DATA: "scores.csv"})


@pytest.mark.parametrize(
    "source",
    [
        StringParameter(name="Scores", default_value="s3://b/s"),
        Join(on="/", values=("s3://b//x/", "y")),
        PropertyReference(step_name="Prep", property_path="properties.ProcessingOutputConfig.Outputs['a'].S3Output.S3Uri"),
    ],
)
def test_pipeline_values_pass_through_untouched(source: StringParameter | Join | PropertyReference) -> None:
    (got,) = processing_inputs(example_spec(), example_contract(), {ExampleInput.TRAINING_DATA: source})
    assert got.source is source


def test_unknown_and_wrong_type_sources_are_rejected_at_run_time() -> None:
    import enum

    class Other(enum.Enum):
        X = "x"

    untyped: dict[object, object] = {Other.X: "s3://b/k"}
    with pytest.raises(BuildError, match=r"ExampleTraining has no input 'x'"):
        processing_inputs(example_spec(), example_contract(), untyped)  # type: ignore[type-var, arg-type]  # an untyped caller
    wrong: dict[ExampleInput, object] = {ExampleInput.TRAINING_DATA: 42}
    with pytest.raises(BuildError, match=r"input 'training_data' must be an s3:// URI or a pipeline value; got int 42") as info:
        processing_inputs(example_spec(), example_contract(), wrong)  # type: ignore[arg-type]  # an untyped caller
    assert info.value.code == "BUILD-INPUT-SOURCE"
