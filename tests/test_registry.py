from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from calibration_step import RegistryError, SpecError
from calibration_step.registry import AnyStepRegistration, StepRegistration, build_registry
from calibration_step.steps import default_registry
from tests.examples import example_contract, example_spec
from tests.typecheck import check_snippets


class ExampleTrainingConfig:
    """Stands in for a config class; the registry only needs its name."""


class WrongName:
    """A config class that breaks the naming convention."""


def _build(config: object) -> object:
    return config


def _registration(**changes: object) -> AnyStepRegistration:
    fields: dict[str, object] = dict(
        step_type="ExampleTraining",
        config_class=ExampleTrainingConfig,
        builder=_build,
        spec=example_spec(),
        contract=example_contract(),
        sagemaker_step_type="Processing",
        description="An example.",
    )
    fields.update(changes)
    return StepRegistration(**fields)  # type: ignore[arg-type]  # fields are varied on purpose


def test_lookup_and_listing() -> None:
    registry = build_registry([_registration()])
    assert registry.names() == ("ExampleTraining",)
    assert "ExampleTraining" in registry and len(registry) == 1
    assert registry.get("ExampleTraining").config_class is ExampleTrainingConfig
    assert [entry.step_type for entry in registry] == ["ExampleTraining"]


def test_unknown_name_lists_close_matches() -> None:
    registry = build_registry([_registration()])
    with pytest.raises(RegistryError, match=r"REGISTRY-UNKNOWN-STEP.*did you mean 'ExampleTraining'"):
        registry.get("ExampleTrainig")
    with pytest.raises(LookupError, match="no registered name is close"):
        registry.get("Zzz")


def test_duplicates_are_refused() -> None:
    with pytest.raises(RegistryError, match="REGISTRY-DUPLICATE-STEP"):
        build_registry([_registration(), _registration()])


def test_registration_checks_naming_and_alignment() -> None:
    spec = example_spec()
    with pytest.raises(SpecError) as caught:
        _registration(step_type="Other", config_class=WrongName, spec=attrs.evolve(spec, outputs=spec.outputs[:1]))
    assert sorted(p.code for p in caught.value.problems) == [
        "ALIGN-OUTPUTS",
        "NAMING-CONFIG-CLASS",
        "REGISTRATION-STEP-TYPE",
    ]


def test_registry_is_immutable() -> None:
    registry = build_registry([_registration()])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        registry._entries = {}  # type: ignore[misc]  # proving the freeze


def test_default_registry_entries_are_sound() -> None:
    registry = default_registry()
    for entry in registry:
        assert entry.spec.step_type == entry.step_type


def test_type_checker_rejects_a_builder_or_example_config_of_another_step(tmp_path: Path) -> None:
    header = """
from collections.abc import Mapping

from calibration_step.processing.values import InputSource
from calibration_step.registry import StepRegistration
from tests.examples import ExampleInput, OtherInput, example_contract, example_spec


class ExampleTrainingConfig:
    pass


class OtherConfig:
    pass


def build(config: ExampleTrainingConfig, inputs: Mapping[ExampleInput, InputSource]) -> None: ...
def build_other(config: ExampleTrainingConfig, inputs: Mapping[OtherInput, InputSource]) -> None: ...


def register(builder: object = None) -> None:
"""
    call = (
        "    StepRegistration(step_type='ExampleTraining', config_class=ExampleTrainingConfig, builder={builder},"
        " spec=example_spec(), contract=example_contract(), sagemaker_step_type='Processing', description='d',"
        " example_config={example})\n"
    )
    errors = check_snippets(
        {
            "correct": header + call.format(builder="build", example="ExampleTrainingConfig"),
            "other_inputs": header + call.format(builder="build_other", example="ExampleTrainingConfig"),
            "other_config": header + call.format(builder="build", example="OtherConfig"),
        },
        tmp_path,
    )
    assert errors["correct"] == []
    assert any('type parameter "InputNameT"' in e for e in errors["other_inputs"]), errors
    assert any('"type[OtherConfig]"' in e and "ExampleTrainingConfig" in e for e in errors["other_config"]), errors
