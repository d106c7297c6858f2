from __future__ import annotations

import attrs
import pytest

from calibration_step import ArgumentSpec, ScriptContract, SpecError, alignment_problems, contract_problems
from tests.examples import ExampleEnv, ExampleInput, ExampleOutput, example_contract, example_spec


def _codes(error: SpecError) -> list[str]:
    return sorted(p.code for p in error.problems)


def test_example_contract_is_sound_and_read_only() -> None:
    contract = example_contract()
    assert contract_problems(contract) == ()
    assert contract.env_var_names() == ("LEARNING_RATE", "MODE")
    assert contract.argument_flags() == (
        "--job_type",
        "--training_data",
        "--hyperparameters",
        "--model",
        "--metrics",
    )
    with pytest.raises(TypeError):
        contract.input_paths[ExampleInput.TRAINING_DATA] = "/elsewhere"  # type: ignore[index]  # proving read-only


def test_container_paths_must_sit_under_the_processing_root() -> None:
    with pytest.raises(SpecError, match=r"CONTRACT-CONTAINER-PATH.*'/tmp/data'") as caught:
        attrs.evolve(
            example_contract(),
            input_paths={
                ExampleInput.TRAINING_DATA: "/tmp/data",
                ExampleInput.HYPERPARAMETERS: "/opt/ml/processing/input/../config",
            },
        )
    assert _codes(caught.value) == ["CONTRACT-CONTAINER-PATH", "CONTRACT-CONTAINER-PATH"]


def test_training_contracts_may_use_the_training_root() -> None:
    contract = attrs.evolve(
        example_contract(),
        container_kind="training",
        input_paths={
            ExampleInput.TRAINING_DATA: "/opt/ml/input/data/train",
            ExampleInput.HYPERPARAMETERS: "/opt/ml/input/config",
        },
    )
    assert contract.container_kind == "training"


def test_every_problem_is_reported_together() -> None:
    with pytest.raises(SpecError) as caught:
        ScriptContract(
            entry_point="ExampleTraining.py",
            input_paths={ExampleInput.TRAINING_DATA: "/opt/ml/processing/input/data"},
            output_paths={
                ExampleOutput.MODEL: "/opt/ml/processing/input/data",
                ExampleOutput.METRICS: "/opt/ml/processing/output/metrics",
            },
            required_env_vars=(ExampleEnv.MODE,),
            optional_env_vars={ExampleEnv.MODE: "fast"},
            arguments=(
                ArgumentSpec(name="jobType"),
                ArgumentSpec(name="model"),
                ArgumentSpec(name="mode", choices=("a", "b"), default="c"),
            ),
        )
    assert _codes(caught.value) == [
        "CONTRACT-ARGUMENT",
        "CONTRACT-ARGUMENT",
        "CONTRACT-ARGUMENT",
        "CONTRACT-DUPLICATE-PATH",
        "CONTRACT-ENTRY-POINT-NAMING",
        "CONTRACT-ENV-VAR-TWICE",
        "CONTRACT-MISSING-PATH",
    ]
    assert "ExampleInput members ['hyperparameters'] have no input path" in str(caught.value)


def test_alignment_speaks_in_set_differences() -> None:
    spec = example_spec()
    spec_without_metrics = attrs.evolve(spec, outputs=spec.outputs[:1])
    problems = alignment_problems(spec_without_metrics, example_contract())
    assert [p.code for p in problems] == ["ALIGN-OUTPUTS"]
    assert "the contract has output 'metrics', which the specification does not declare" in problems[0].message
    assert alignment_problems(spec, example_contract()) == ()
