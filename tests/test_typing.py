"""Type tests: mypy rejects a logical name that is not of the step's name type.

These fail if the generic typing of the core classes is removed (then every snippet passes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.typecheck import check_snippets

HEADER = """
from calibration_step import DependencySpec, DependencyType, NodeType, OutputSpec, ScriptContract, StepSpecification, dependency_of
from tests.examples import ExampleEnv, ExampleInput, ExampleOutput, OtherInput, example_spec, output_path

def spec_with(dep: DependencySpec[ExampleInput]) -> StepSpecification[ExampleInput, ExampleOutput]:
    return StepSpecification(step_type="S", node_type=NodeType.SINK, dependencies=(dep,))
"""

SNIPPETS = {
    "correct": HEADER
    + """
spec: StepSpecification[ExampleInput, ExampleOutput] = StepSpecification(
    step_type="S", node_type=NodeType.SINK,
    dependencies=(DependencySpec(logical_name=ExampleInput.TRAINING_DATA, dependency_type=DependencyType.TRAINING_DATA),),
)
contract: ScriptContract[ExampleInput, ExampleOutput, ExampleEnv] = ScriptContract(
    entry_point="s.py", input_paths={ExampleInput.TRAINING_DATA: "/opt/ml/processing/input/a"}, output_paths={},
    required_env_vars=(ExampleEnv.MODE,),
)
found = example_spec().dependency_map[ExampleInput.HYPERPARAMETERS]
""",
    "foreign_name_in_spec": HEADER
    + """
spec: StepSpecification[ExampleInput, ExampleOutput] = StepSpecification(
    step_type="S", node_type=NodeType.SINK,
    dependencies=(DependencySpec(logical_name=OtherInput.FOREIGN, dependency_type=DependencyType.TRAINING_DATA),),
)
""",
    "misspelt_member": HEADER
    + """
dep = DependencySpec(logical_name=ExampleInput.TRAINIG_DATA, dependency_type=DependencyType.TRAINING_DATA)
""",
    "bare_string": HEADER
    + """
spec = spec_with(DependencySpec(logical_name="training_data", dependency_type=DependencyType.TRAINING_DATA))
""",
    "foreign_name_in_contract": HEADER
    + """
contract: ScriptContract[ExampleInput, ExampleOutput, ExampleEnv] = ScriptContract(
    entry_point="s.py", input_paths={OtherInput.FOREIGN: "/opt/ml/processing/input/a"}, output_paths={},
)
""",
    "foreign_env_var": HEADER
    + """
contract: ScriptContract[ExampleInput, ExampleOutput, ExampleEnv] = ScriptContract(
    entry_point="s.py", input_paths={}, output_paths={}, required_env_vars=(ExampleInput.TRAINING_DATA,),
)
""",
    "foreign_name_in_lookup": HEADER
    + """
found = example_spec().dependency_map[OtherInput.FOREIGN]
""",
}


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return check_snippets(SNIPPETS, tmp_path_factory.mktemp("typing"))


def test_correct_snippet_passes(errors: dict[str, list[str]]) -> None:
    assert errors["correct"] == []


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("foreign_name_in_spec", 'Argument "logical_name" to "DependencySpec" has incompatible type "OtherInput"; expected "ExampleInput"'),
        ("misspelt_member", '"type[ExampleInput]" has no attribute "TRAINIG_DATA"'),
        ("bare_string", 'has incompatible type "str"; expected "ExampleInput"'),
        ("foreign_name_in_contract", 'Dict entry 0 has incompatible type "OtherInput"'),
        ("foreign_env_var", 'has incompatible type "tuple[ExampleInput]"'),
        ("foreign_name_in_lookup", 'Invalid index type "OtherInput" for "Mapping[ExampleInput, DependencySpec[ExampleInput]]"'),
    ],
)
def test_wrong_logical_names_are_type_errors(errors: dict[str, list[str]], snippet: str, expected: str) -> None:
    assert any(expected in message for message in errors[snippet]), errors[snippet]
