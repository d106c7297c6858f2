from __future__ import annotations

import enum

import attrs
import pytest

from calibration_step.processing.arguments import checked_environment, declared_arguments, job_arguments
from calibration_step.contract import ArgumentSpec, ScriptContract
from calibration_step.errors import BuildError
from tests.examples import ExampleEnv, ExampleInput, ExampleOutput, example_contract


class _Foreign(enum.Enum):
    LEARNING_RATEZ = "LEARNING_RATEZ"


def _contract_with_required_tag() -> ScriptContract[ExampleInput, ExampleOutput, ExampleEnv]:
    contract = example_contract()
    return attrs.evolve(contract, arguments=(*contract.arguments, ArgumentSpec(name="tag", required=True)))


def test_arguments_hold_declared_values_then_contract_paths() -> None:
    contract = _contract_with_required_tag()
    got = job_arguments(contract, inputs=[ExampleInput.TRAINING_DATA], values={"tag": "t1"})
    assert got == (
        "--job_type", "training",
        "--tag", "t1",
        "--training_data", "/opt/ml/processing/input/data",
        "--model", "/opt/ml/processing/output/model",
        "--metrics", "/opt/ml/processing/output/metrics",
    )  # fmt: skip
    flags = [a for a in got if a.startswith("--")]
    assert set(flags) <= set(contract.argument_flags())


def test_optional_input_path_only_when_present() -> None:
    assert "--hyperparameters" in job_arguments(example_contract(), inputs=list(ExampleInput), values={})
    assert "--hyperparameters" not in job_arguments(example_contract(), inputs=[], values={})


def test_no_path_arguments_when_the_contract_says_so() -> None:
    contract = attrs.evolve(example_contract(), path_arguments=False)
    assert job_arguments(contract, inputs=list(ExampleInput), values={}) == ("--job_type", "training")


@pytest.mark.parametrize(
    ("values", "code", "message"),
    [
        ({"tag": "t", "colour": "red"}, "BUILD-UNKNOWN-ARGUMENT", r"example_training.py declares no argument 'colour'"),
        ({}, "BUILD-MISSING-ARGUMENT", r"example_training.py requires argument --tag and none was given"),
        (
            {"tag": "t", "job_type": "serving"},
            "BUILD-ARGUMENT-CHOICE",
            r"argument --job_type must be one of \['training', 'testing'\]; got 'serving'",
        ),
    ],
)
def test_argument_errors(values: dict[str, str], code: str, message: str) -> None:
    with pytest.raises(BuildError, match=message) as info:
        declared_arguments(_contract_with_required_tag(), values)
    assert info.value.code == code


def test_environment_is_checked_against_the_contract() -> None:
    env = {ExampleEnv.LEARNING_RATE: "0.1", ExampleEnv.MODE: "slow"}
    assert checked_environment(example_contract(), env) == {"LEARNING_RATE": "0.1", "MODE": "slow"}
    with pytest.raises(
        BuildError,
        match=r"sets \['LEARNING_RATEZ'\], which the contract does not declare; "
        r"lacks \['LEARNING_RATE'\], which the contract requires",
    ) as info:
        checked_environment(example_contract(), {_Foreign.LEARNING_RATEZ: "0.1"})  # type: ignore[misc]  # a foreign env enum (untyped caller)
    assert info.value.code == "BUILD-ENVIRONMENT"
