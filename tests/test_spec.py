from __future__ import annotations

import attrs
import pytest

from calibration_step import (
    DependencySpec,
    DependencyType,
    NodeType,
    OutputSpec,
    SpecError,
    StepSpecification,
    dependency_of,
    output_by_name,
    output_of,
    spec_problems,
)
from tests.examples import ExampleInput, ExampleOutput, example_spec, output_path


def _codes(error: SpecError) -> list[str]:
    return [p.code for p in error.problems]


def test_example_spec_is_sound_and_frozen() -> None:
    spec = example_spec()
    assert spec_problems(spec) == ()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        spec.step_type = "Other"  # type: ignore[misc]  # proving the runtime freeze


def test_lookup_by_name_and_alias() -> None:
    spec = example_spec()
    assert dependency_of(spec, ExampleInput.HYPERPARAMETERS).required is False
    assert output_of(spec, ExampleOutput.MODEL).aliases == ("ModelArtifacts",)
    found = output_by_name(spec, "modelartifacts")
    assert found is not None and found.logical_name is ExampleOutput.MODEL
    assert output_by_name(spec, "nothing") is None


def test_duplicate_names_and_aliases_are_all_reported_at_once() -> None:
    model = OutputSpec(
        logical_name=ExampleOutput.MODEL,
        output_type=DependencyType.MODEL_ARTIFACTS,
        property_path=output_path("model"),
        aliases=("Shared", "metrics"),
    )
    metrics = OutputSpec(
        logical_name=ExampleOutput.METRICS,
        output_type=DependencyType.PROCESSING_OUTPUT,
        property_path="Properties.ProcessingOutputConfig",
        aliases=("shared",),
    )
    dependency = DependencySpec(logical_name=ExampleInput.TRAINING_DATA, dependency_type=DependencyType.TRAINING_DATA)
    with pytest.raises(SpecError, match=r"SPEC-INVALID.*4 problem") as caught:
        StepSpecification(
            step_type="ExampleTraining",
            node_type=NodeType.INTERNAL,
            dependencies=(dependency, dependency),
            outputs=(model, metrics),
        )
    assert sorted(_codes(caught.value)) == [
        "SPEC-ALIAS-SHADOWS-OUTPUT",
        "SPEC-DUPLICATE-ALIAS",
        "SPEC-DUPLICATE-DEPENDENCY",
        "SPEC-PROPERTY-PATH",
    ]


@pytest.mark.parametrize(
    ("node_type", "keep_dependencies", "keep_outputs", "ok"),
    [
        (NodeType.SOURCE, False, True, True),
        (NodeType.SOURCE, True, True, False),
        (NodeType.SINK, True, False, True),
        (NodeType.SINK, True, True, False),
        (NodeType.SINGULAR, False, False, True),
        (NodeType.SINGULAR, True, False, False),
        (NodeType.INTERNAL, True, True, True),
        (NodeType.INTERNAL, False, True, False),
    ],
)
def test_node_type_rules(node_type: NodeType, keep_dependencies: bool, keep_outputs: bool, ok: bool) -> None:
    base = example_spec()

    def build() -> StepSpecification[ExampleInput, ExampleOutput]:
        return StepSpecification(
            step_type=base.step_type,
            node_type=node_type,
            dependencies=base.dependencies if keep_dependencies else (),
            outputs=base.outputs if keep_outputs else (),
        )

    if ok:
        assert build().node_type is node_type
    else:
        with pytest.raises(SpecError) as caught:
            build()
        assert _codes(caught.value) == ["SPEC-NODE-TYPE"]


def test_naming_conventions() -> None:
    base = example_spec()
    with pytest.raises(SpecError, match="SPEC-STEP-TYPE-NAMING.*'model_calibration' is not PascalCase"):
        attrs.evolve(base, step_type="model_calibration")


def test_unknown_dependency_lookup_names_the_choices() -> None:
    spec: StepSpecification[ExampleInput, ExampleOutput] = StepSpecification(step_type="Lonely", node_type=NodeType.SOURCE, outputs=example_spec().outputs)
    with pytest.raises(SpecError, match=r"SPEC-UNKNOWN-DEPENDENCY.*Lonely has no dependency 'training_data'"):
        dependency_of(spec, ExampleInput.TRAINING_DATA)
