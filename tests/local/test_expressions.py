"""Expressions, conditions and container commands, one function at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration_step.errors import LocalExecutionError, StepFailure
from calibration_step.local.command import prepare_command, python_shims
from calibration_step.local.conditions import conditions_hold
from calibration_step.local.container import InstanceFolder
from calibration_step.local.expressions import Scope, evaluate, lookup
from calibration_step.local.imports import code_imports


def _same(value: object) -> object:
    return value


@pytest.mark.parametrize(("condition", "holds"), [
    ({"Type": "Equals", "LeftValue": "a", "RightValue": "a"}, True),
    ({"Type": "Equals", "LeftValue": 1, "RightValue": 1.0}, True),
    ({"Type": "Equals", "LeftValue": False, "RightValue": 0}, False),
    ({"Type": "NotEquals", "LeftValue": 1, "RightValue": 2}, True),
    ({"Type": "GreaterThan", "LeftValue": 2, "RightValue": 2}, False),
    ({"Type": "GreaterThanOrEqualTo", "LeftValue": 2, "RightValue": 2}, True),
    ({"Type": "LessThan", "LeftValue": "a", "RightValue": "b"}, True),
    ({"Type": "LessThanOrEqualTo", "LeftValue": 3, "RightValue": 2.5}, False),
    ({"Type": "In", "QueryValue": "b", "Values": ["a", "b"]}, True),
    ({"Type": "In", "Value": 1, "In": [True, 2]}, False),
    ({"Type": "NotIn", "QueryValue": "c", "Values": ["a"]}, True),
    ({"Type": "Not", "Condition": {"Type": "Equals", "LeftValue": 1, "RightValue": 1}}, False),
    ({"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": 1, "RightValue": 2}}, True),
    ({"Type": "Or", "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                                   {"Type": "In", "QueryValue": 1, "Values": [1]}]}, True),
])
def test_condition_types(condition: dict[str, object], holds: bool) -> None:
    assert conditions_hold([condition], _same) is holds


def test_an_empty_condition_list_holds_and_all_must_hold() -> None:
    assert conditions_hold([], _same) is True
    both = [{"Type": "Equals", "LeftValue": 1, "RightValue": 1}, {"Type": "Equals", "LeftValue": 1, "RightValue": 2}]
    assert conditions_hold(both, _same) is False


def test_conditions_that_cannot_be_evaluated() -> None:
    with pytest.raises(StepFailure, match=r"LOCAL-CONDITION-OPERANDS.*GreaterThan compares two numbers or two strings"):
        conditions_hold([{"Type": "GreaterThan", "LeftValue": "1", "RightValue": 0}], _same)
    with pytest.raises(LocalExecutionError, match=r"LOCAL-CONDITION.*unknown condition \"And\""):
        conditions_hold([{"Type": "And", "Conditions": []}], _same)
    with pytest.raises(LocalExecutionError, match="condition Equals needs RightValue"):
        conditions_hold([{"Type": "Equals", "LeftValue": 1}], _same)


def test_evaluate_resolves_nested_expressions_and_leaves_the_rest() -> None:
    scope = Scope(parameters={"N": 3, "On": True}, execution={"PipelineName": "p"},
                  properties=lambda step: {"Outputs": [{"OutputName": "o", "Uri": f"s3://b/{step}"}]},
                  property_file=lambda step, name: {"m": [{"v": 0.5}]})
    value = {"a": [{"Get": "Steps.S.Outputs['o'].Uri"}, {"Std:Join": {"On": "-", "Values": [
        {"Get": "Parameters.N"}, {"Get": "Parameters.On"}, {"Get": "Execution.PipelineName"}, 1.5]}}],
        "b": {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.S.PropertyFiles.F"}, "Path": "m[0].v"}}, "c": None}
    assert evaluate(value, scope) == {"a": ["s3://b/S", "3-true-p-1.5"], "b": 0.5, "c": None}


def test_bad_expressions_name_the_problem() -> None:
    with pytest.raises(LocalExecutionError, match="LOCAL-REFERENCE.*'Parameters.X' is not available"):
        evaluate({"Get": "Parameters.X"}, Scope())
    with pytest.raises(LocalExecutionError, match="LOCAL-EXPRESSION.*Std:Join needs On"):
        evaluate({"Std:Join": {"On": 1, "Values": []}}, Scope())
    with pytest.raises(LocalExecutionError, match="LOCAL-EXPRESSION.*Get must be the only key"):
        evaluate({"Get": "Parameters.X", "Other": 1}, Scope(parameters={"X": 1}))
    with pytest.raises(StepFailure, match=r"LOCAL-JSONGET.*'a.c' has no 'c'"):
        evaluate({"Std:JsonGet": {"PropertyFile": {"Get": "Steps.S.PropertyFiles.F"}, "Path": "a.c"}},
                 Scope(property_file=lambda step, name: {"a": {"b": 1}}))


def test_lookup_paths() -> None:
    document = {"A": [{"InputName": "x", "V": 1}, {"InputName": "y", "V": 2}], "B": {"c d": [7, 8]}}
    assert lookup(document, "A['y'].V", where="t") == 2
    assert lookup(document, "A[0].V", where="t") == 1
    assert lookup(document, 'B["c d"][1]', where="t") == 8
    with pytest.raises(LocalExecutionError, match=r"LOCAL-PATH.*t: cannot read the path 'A\.\.V' at character 1"):
        lookup(document, "A..V", where="t")
    with pytest.raises(LocalExecutionError, match=r"LOCAL-PATH.*has no 'z'"):
        lookup(document, "A['z']", where="t")


def test_shell_commands_keep_everything_but_the_pip_install() -> None:
    command = prepare_command(["bash", "-c", "pip3 install -q numpy 'pandas>=2' -i https://mirror.invalid/simple "
                               "&& python /opt/ml/processing/input/code/app.pyz --x 1 | tee /opt/ml/processing/log.txt"],
                              [], python="/usr/bin/python3")
    assert command.argv[2] == ": && python /opt/ml/processing/input/code/app.pyz --x 1 | tee /opt/ml/processing/log.txt"
    assert command.requirement_specs == ("numpy", "pandas>=2") and command.requirement_files == ()
    assert command.python_files == ("/opt/ml/processing/input/code/app.pyz",)


def test_a_step_without_entrypoint_fails() -> None:
    with pytest.raises(StepFailure, match="LOCAL-ENTRYPOINT"):
        prepare_command([], ["--x"], python="/usr/bin/python3")


def test_container_paths_map_only_whole_paths(tmp_path: Path) -> None:
    instance = InstanceFolder(root=tmp_path / "algo-1", host="algo-1")
    text = "a=/opt/ml/processing/x,/opt/mlflow/y,/data/opt/ml/z,'/opt/ml'"
    assert instance.map_text(text) == f"a={tmp_path}/algo-1/opt/ml/processing/x,/opt/mlflow/y,/data/opt/ml/z,'{tmp_path}/algo-1/opt/ml'"
    with pytest.raises(LocalExecutionError, match="LOCAL-WORK-DIR"):
        InstanceFolder(root=tmp_path / "with space", host="algo-1")


def test_python_shims_run_this_interpreter(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = python_shims(tmp_path / "bin", sys.executable)
    done = subprocess.run([str(folder / "python3"), "-c", "import sys; print(sys.prefix)"], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == sys.prefix


def test_zip_applications_are_scanned_with_their_own_modules(tmp_path: Path) -> None:
    import zipfile

    app = tmp_path / "app.pyz"
    with zipfile.ZipFile(app, "w") as archive:
        archive.writestr("__main__.py", "import helper\nimport lightgbm\nfrom typing import TYPE_CHECKING\n"
                         "if TYPE_CHECKING:\n    import mypy_extensions\n")
        archive.writestr("helper/__init__.py", "import numpy\n")
    assert code_imports(app) == {"lightgbm": "app.pyz/__main__.py", "numpy": "app.pyz/helper/__init__.py"}
