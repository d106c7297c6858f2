from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration_step import (
    ArgumentSpec,
    DependencySpec,
    DependencyType,
    NodeType,
    OutputSpec,
    ScriptContract,
    SerializationError,
    SpecError,
    StepSpecification,
)
from calibration_step.converter import from_json, structure, structure_all, to_json, unstructure
from calibration_step.spec import DataType
from tests.examples import ExampleEnv, ExampleInput, ExampleOutput, example_contract, example_spec, output_path

SpecType = StepSpecification[ExampleInput, ExampleOutput]
ContractType = ScriptContract[ExampleInput, ExampleOutput, ExampleEnv]

_words = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)
_pascal = st.builds(lambda a, b: a.capitalize() + b.capitalize(), _words, _words)
_free_text = st.text(max_size=20)
_data_types: st.SearchStrategy[DataType] = st.sampled_from(["S3Uri", "String", "Integer", "Float", "Boolean"])


@st.composite
def dependencies(draw: st.DrawFn) -> tuple[DependencySpec[ExampleInput], ...]:
    names = draw(st.lists(st.sampled_from(list(ExampleInput)), unique=True))
    return tuple(
        DependencySpec(
            logical_name=name,
            dependency_type=draw(st.sampled_from(list(DependencyType))),
            required=draw(st.booleans()),
            compatible_sources=tuple(draw(st.lists(_pascal, max_size=3))),
            semantic_keywords=tuple(draw(st.lists(_words, max_size=3))),
            data_type=draw(_data_types),
            description=draw(_free_text),
        )
        for name in names
    )


@st.composite
def outputs(draw: st.DrawFn) -> tuple[OutputSpec[ExampleOutput], ...]:
    names = draw(st.lists(st.sampled_from(list(ExampleOutput)), unique=True))
    aliases = draw(st.lists(_pascal.map(lambda s: "Alias" + s), unique_by=str.casefold, max_size=4))
    built = []
    for index, name in enumerate(names):
        built.append(
            OutputSpec(
                logical_name=name,
                output_type=draw(st.sampled_from(list(DependencyType))),
                property_path=output_path(name.value),
                aliases=tuple(aliases[index::2]) if index < 2 else (),
                data_type=draw(_data_types),
                description=draw(_free_text),
            )
        )
    return tuple(built)


def _node_type(n_dependencies: int, n_outputs: int) -> NodeType:
    if n_dependencies and n_outputs:
        return NodeType.INTERNAL
    if n_outputs:
        return NodeType.SOURCE
    if n_dependencies:
        return NodeType.SINK
    return NodeType.SINGULAR


@st.composite
def specs(draw: st.DrawFn) -> SpecType:
    deps = draw(dependencies())
    outs = draw(outputs())
    spec: SpecType = StepSpecification(
        step_type=draw(_pascal),
        node_type=_node_type(len(deps), len(outs)),
        dependencies=deps,
        outputs=outs,
        description=draw(_free_text),
    )
    return spec


@st.composite
def contracts(draw: st.DrawFn) -> ContractType:
    folders = draw(st.lists(_words, min_size=4, max_size=4, unique=True))
    required = draw(st.lists(st.sampled_from(list(ExampleEnv)), unique=True))
    optional = {env: draw(_free_text) for env in ExampleEnv if env not in required and draw(st.booleans())}
    arguments = tuple(
        ArgumentSpec(name=name, required=draw(st.booleans()), choices=(), default=draw(st.none() | _words))
        for name in draw(st.lists(_words.map(lambda w: "arg_" + w), unique=True, max_size=3))
    )
    contract: ContractType = ScriptContract(
        entry_point=draw(_words) + "_script.py",
        input_paths={name: f"/opt/ml/processing/input/{folder}" for name, folder in zip(ExampleInput, folders[:2])},
        output_paths={name: f"/opt/ml/processing/output/{folder}" for name, folder in zip(ExampleOutput, folders[2:])},
        required_env_vars=tuple(required),
        optional_env_vars=optional,
        arguments=arguments,
        path_arguments=draw(st.booleans()),
        output_files={ExampleOutput.METRICS: tuple(draw(st.lists(_words.map(lambda w: w + ".json"), max_size=2)))},
        framework_requirements=draw(st.dictionaries(_words, _words, max_size=3)),
        description=draw(_free_text),
    )
    return contract


@settings(max_examples=60, deadline=None)
@given(specs())
def test_spec_round_trips(spec: SpecType) -> None:
    assert structure(unstructure(spec), SpecType) == spec
    assert from_json(to_json(spec), SpecType) == spec


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_contract_round_trips(contract: ContractType) -> None:
    assert structure(unstructure(contract), ContractType) == contract
    assert from_json(to_json(contract), ContractType) == contract


def test_unstructured_values_are_plain_json() -> None:
    data = unstructure(example_spec())
    assert isinstance(data, dict)
    assert data["node_type"] == "internal"
    assert data["dependencies"][0]["logical_name"] == "training_data"


def test_unknown_keys_and_bad_fields_are_reported_with_paths() -> None:
    data = unstructure(example_spec())
    assert isinstance(data, dict)
    data["surprise"] = 1
    data["dependencies"][0]["dependency_type"] = "training-data"
    data["dependencies"][1]["required"] = "yes"
    with pytest.raises(SerializationError, match="SERIALIZATION-INVALID") as caught:
        structure(data, SpecType)
    locations = sorted(problem.location for problem in caught.value.problems)
    assert locations == ["$.dependencies[0].dependency_type", "$.dependencies[1].required", "$.surprise"]
    [unknown] = [problem for problem in caught.value.problems if problem.location == "$.surprise"]
    assert (unknown.code, unknown.message) == ("SERIALIZATION-UNKNOWN-KEY", "unknown key 'surprise' (StepSpecification)")


def test_a_foreign_logical_name_does_not_load() -> None:
    data = unstructure(example_contract())
    assert isinstance(data, dict)
    data["input_paths"]["foreign"] = "/opt/ml/processing/input/x"
    with pytest.raises(SerializationError) as caught:
        structure(data, ContractType)
    assert [p.location for p in caught.value.problems] == ["$.input_paths['foreign']"]


def test_loaded_objects_still_enforce_their_invariants() -> None:
    data = unstructure(example_spec())
    assert isinstance(data, dict)
    data["outputs"][0]["property_path"] = "Properties.Outputs"
    with pytest.raises(SpecError, match="SPEC-PROPERTY-PATH"):
        structure(data, SpecType)
    with pytest.raises(SerializationError, match="SERIALIZATION-INVALID") as caught:
        structure_all(data, SpecType)  # lists them as problems instead
    assert [(p.location, p.code) for p in caught.value.problems] == [("$", "SPEC-PROPERTY-PATH")]


def test_strict_primitives() -> None:
    with pytest.raises(SerializationError, match="expected an integer"):
        structure(True, int)
    with pytest.raises(SerializationError, match="expected a string"):
        structure(3, str)
    with pytest.raises(SerializationError, match="SERIALIZATION-JSON"):
        from_json("{not json", SpecType)


def test_sequences_and_mappings_load_only_from_arrays_and_objects() -> None:
    assert structure(["a", "b"], tuple[str, ...]) == ("a", "b")
    assert structure([1, "x"], tuple[int, str]) == (1, "x")
    assert structure({"a": 1}, dict[str, int]) == {"a": 1}
    with pytest.raises(SerializationError, match="expected an array"):
        structure("abc", tuple[str, ...])
    with pytest.raises(SerializationError, match="expected an array"):
        structure({"a": 1}, list[str])
    with pytest.raises(SerializationError, match="expected an array"):
        structure("ab", tuple[str, str])
    with pytest.raises(SerializationError, match="expected 2 items"):
        structure([1], tuple[int, str])
    with pytest.raises(SerializationError, match="expected an object"):
        structure(["a"], dict[str, int])


def test_literals_accept_exactly_their_values_and_name_them() -> None:
    data = unstructure(example_spec())
    assert isinstance(data, dict)
    data["dependencies"][0]["data_type"] = "s3uri"
    with pytest.raises(SerializationError) as caught:
        structure(data, SpecType)
    [problem] = caught.value.problems
    assert problem.location == "$.dependencies[0].data_type"
    assert problem.message == "expected one of ['S3Uri', 'String', 'Integer', 'Float', 'Boolean']; got 's3uri'"


def test_attrs_classes_load_only_from_objects() -> None:
    with pytest.raises(SerializationError, match=r"expected an object, got NoneType None") as caught:
        structure(None, SpecType)
    assert [p.location for p in caught.value.problems] == ["$"]

