"""Construction-time invariants of contracts and specifications, as pure functions.

Each function returns every problem it finds (an empty tuple when all is well) and never raises,
so the alignment checker can report them as findings; the classes call them when built and raise
one :class:`~calibration_step.errors.SpecError` listing all of them.

Codes: the ``SPEC-*``, ``CONTRACT-*``, ``ALIGN-*`` and ``NAMING-*`` rows of ``docs/errors.md``
(:class:`~calibration_step.errors.Code`), each with its meaning and fix.

Examples
--------
>>> from calibration_step.enums import NodeType
>>> [p.code for p in _node_type_problems("Source", NodeType.SOURCE, n_dependencies=1, n_outputs=1)]
['SPEC-NODE-TYPE']
"""

from __future__ import annotations

import enum
import posixpath
from collections import Counter
from collections.abc import Iterable, Mapping

from calibration_step.contract import ScriptContract
from calibration_step.enums import NodeType
from calibration_step.errors import Code, Problem, SpecError
from calibration_step.naming import is_env_var_name, is_pascal_case, is_script_file_name, is_snake_case
from calibration_step.properties import parse_property_path
from calibration_step.spec import StepSpecification

__all__ = [
    "alignment_problems",
    "config_class_problems",
    "contract_problems",
    "spec_problems",
]

_CONTAINER_ROOTS = {"processing": "/opt/ml/processing/", "training": "/opt/ml/"}


def _duplicates(names: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


def _node_type_problems(step_type: str, node_type: NodeType, *, n_dependencies: int, n_outputs: int) -> tuple[Problem, ...]:
    """Node-type rules: source has no dependencies, sink no outputs, singular neither."""
    wants_no_dependencies = node_type in (NodeType.SOURCE, NodeType.SINGULAR)
    wants_no_outputs = node_type in (NodeType.SINK, NodeType.SINGULAR)
    problems = []
    if wants_no_dependencies and n_dependencies:
        problems.append(
            Problem(
                code=Code.SPEC_NODE_TYPE,
                message=f"a {node_type.value} step has no dependencies, but {n_dependencies} are declared",
                hint="remove the dependencies or use node type internal/sink",
                location=f"{step_type}.dependencies",
            )
        )
    if wants_no_outputs and n_outputs:
        problems.append(
            Problem(
                code=Code.SPEC_NODE_TYPE,
                message=f"a {node_type.value} step has no outputs, but {n_outputs} are declared",
                hint="remove the outputs or use node type internal/source",
                location=f"{step_type}.outputs",
            )
        )
    if node_type is NodeType.INTERNAL and not (n_dependencies and n_outputs):
        problems.append(
            Problem(
                code=Code.SPEC_NODE_TYPE,
                message="an internal step has both dependencies and outputs",
                hint="declare both, or use node type source/sink/singular",
                location=f"{step_type}.node_type",
            )
        )
    return tuple(problems)


def spec_problems(spec: StepSpecification[enum.Enum, enum.Enum]) -> tuple[Problem, ...]:
    """Every broken invariant of a step specification (empty when it is sound)."""
    where = spec.step_type
    problems: list[Problem] = []
    if not is_pascal_case(spec.step_type):
        problems.append(Problem(code=Code.SPEC_STEP_TYPE_NAMING, message=f"step type {spec.step_type!r} is not PascalCase",
                                hint="name step types like ModelCalibration", location=where))
    dependency_names = [d.name for d in spec.dependencies]
    output_names = [o.name for o in spec.outputs]
    for name in dependency_names + output_names:
        if not is_snake_case(name):
            problems.append(Problem(code=Code.SPEC_LOGICAL_NAME_NAMING, message=f"logical name {name!r} is not snake_case",
                                    hint="name logical inputs and outputs like evaluation_data", location=where))
    for name in _duplicates(dependency_names):
        problems.append(Problem(code=Code.SPEC_DUPLICATE_DEPENDENCY, message=f"dependency {name!r} is declared more than once",
                                hint="declare each dependency once", location=f"{where}.dependencies"))
    for name in _duplicates(output_names):
        problems.append(Problem(code=Code.SPEC_DUPLICATE_OUTPUT, message=f"output {name!r} is declared more than once",
                                hint="declare each output once", location=f"{where}.outputs"))
    aliases = [(alias, output.name) for output in spec.outputs for alias in output.aliases]
    for alias in _duplicates(a.casefold() for a, _ in aliases):
        problems.append(Problem(code=Code.SPEC_DUPLICATE_ALIAS, message=f"alias {alias!r} is used more than once (case-insensitively)",
                                hint="give each alias to one output only", location=f"{where}.outputs"))
    folded_outputs = {name.casefold(): name for name in output_names}
    for alias, owner in aliases:
        other = folded_outputs.get(alias.casefold())
        if other is not None and other != owner:
            problems.append(Problem(code=Code.SPEC_ALIAS_SHADOWS_OUTPUT,
                                    message=f"alias {alias!r} of output {owner!r} equals the name of output {other!r}",
                                    hint="choose an alias no other output is named", location=f"{where}.outputs.{owner}"))
    for output in spec.outputs:
        try:
            parse_property_path(output.property_path)
        except SpecError as exc:
            problems.append(Problem(code=Code.SPEC_PROPERTY_PATH, message=exc.message, hint=exc.hint,
                                    location=f"{where}.outputs.{output.name}.property_path"))
    problems += _node_type_problems(where, spec.node_type, n_dependencies=len(spec.dependencies), n_outputs=len(spec.outputs))
    return tuple(problems)


def _path_problems(contract: ScriptContract[enum.Enum, enum.Enum, enum.Enum], kind: str, paths: Mapping[enum.Enum, str]) -> list[Problem]:
    where = f"{contract.entry_point}.{kind}_paths"
    root = _CONTAINER_ROOTS[contract.container_kind]
    problems: list[Problem] = []
    for name, path in paths.items():
        if not is_snake_case(str(name.value)):
            problems.append(Problem(code=Code.CONTRACT_LOGICAL_NAME_NAMING, message=f"logical name {name.value!r} is not snake_case",
                                    hint="name logical inputs and outputs like evaluation_data", location=where))
        if posixpath.normpath(path) != path.rstrip("/") or not path.startswith(root) or path.rstrip("/") == root.rstrip("/"):
            problems.append(Problem(code=Code.CONTRACT_CONTAINER_PATH,
                                    message=f"container path {path!r} of {name.value!r} is not a normalised path below {root}",
                                    hint=f"use a folder under {root}, e.g. {root}input/data", location=where))
    enum_types = {type(name) for name in paths}
    for enum_type in enum_types:
        missing = [member.value for member in enum_type if member not in paths]
        if missing:
            problems.append(Problem(code=Code.CONTRACT_MISSING_PATH,
                                    message=f"{enum_type.__name__} members {missing} have no {kind} path",
                                    hint=f"give every {kind} logical name a container path", location=where))
    return problems


def contract_problems(contract: ScriptContract[enum.Enum, enum.Enum, enum.Enum]) -> tuple[Problem, ...]:
    """Every broken invariant of a script contract (empty when it is sound)."""
    where = contract.entry_point
    problems: list[Problem] = []
    if not is_script_file_name(contract.entry_point):
        problems.append(Problem(code=Code.CONTRACT_ENTRY_POINT_NAMING, message=f"entry point {contract.entry_point!r} is not a snake_case .py file or .pyz zipapp",
                                hint="name scripts like model_calibration.py", location=where))
    problems += _path_problems(contract, "input", contract.input_paths)
    problems += _path_problems(contract, "output", contract.output_paths)
    all_paths = [p.rstrip("/") for p in (*contract.input_paths.values(), *contract.output_paths.values())]
    for path in _duplicates(all_paths):
        problems.append(Problem(code=Code.CONTRACT_DUPLICATE_PATH, message=f"container path {path!r} is used by more than one logical name",
                                hint="give each logical input and output its own folder", location=where))
    env_names = [str(v.value) for v in contract.required_env_vars] + [str(v.value) for v in contract.optional_env_vars]
    for env in env_names:
        if not is_env_var_name(env):
            problems.append(Problem(code=Code.CONTRACT_ENV_VAR_NAMING, message=f"env var {env!r} is not UPPER_SNAKE_CASE",
                                    hint="name env vars like CALIBRATION_METHOD", location=f"{where}.env_vars"))
    for env in _duplicates(env_names):
        problems.append(Problem(code=Code.CONTRACT_ENV_VAR_TWICE, message=f"env var {env!r} is declared more than once (required and optional?)",
                                hint="declare each env var once: required, or optional with a default", location=f"{where}.env_vars"))
    argument_names = [a.name for a in contract.arguments]
    path_names = {str(n.value) for n in (*contract.input_paths, *contract.output_paths)} if contract.path_arguments else set()
    for argument in contract.arguments:
        if not is_snake_case(argument.name):
            problems.append(Problem(code=Code.CONTRACT_ARGUMENT, message=f"argument {argument.name!r} is not snake_case",
                                    hint="name arguments like job_type", location=f"{where}.arguments"))
        if argument.name in path_names:
            problems.append(Problem(code=Code.CONTRACT_ARGUMENT, message=f"argument {argument.name!r} clashes with the path argument of that logical name",
                                    hint="rename the argument; path arguments are implied by logical names", location=f"{where}.arguments"))
        if argument.default is not None and argument.choices and argument.default not in argument.choices:
            problems.append(Problem(code=Code.CONTRACT_ARGUMENT, message=f"argument {argument.name!r} defaults to {argument.default!r}, not one of {list(argument.choices)}",
                                    hint="make the default one of the choices", location=f"{where}.arguments"))
    for name in _duplicates(argument_names):
        problems.append(Problem(code=Code.CONTRACT_ARGUMENT, message=f"argument {name!r} is declared more than once",
                                hint="declare each argument once", location=f"{where}.arguments"))
    for output in contract.output_files:
        if output not in contract.output_paths:
            problems.append(Problem(code=Code.CONTRACT_OUTPUT_FILES, message=f"files are declared for {output.value!r}, which has no output path",
                                    hint="declare output files only for the contract's outputs", location=f"{where}.output_files"))
    return tuple(problems)


def _set_difference_problems(code: str, where: str, contract_side: set[str], spec_side: set[str], what: str) -> list[Problem]:
    problems = []
    for name in sorted(contract_side - spec_side):
        problems.append(Problem(code=code, message=f"the contract has {what} {name!r}, which the specification does not declare",
                                hint=f"add {name!r} to the specification or remove it from the contract", location=where))
    for name in sorted(spec_side - contract_side):
        problems.append(Problem(code=code, message=f"the specification declares {what} {name!r}, which the contract has no path for",
                                hint=f"give {name!r} a container path in the contract or remove it from the specification", location=where))
    return problems


def alignment_problems(
    spec: StepSpecification[enum.Enum, enum.Enum], contract: ScriptContract[enum.Enum, enum.Enum, enum.Enum]
) -> tuple[Problem, ...]:
    """Contract <-> spec: contract inputs equal spec dependencies, contract outputs equal spec outputs.

    Examples
    --------
    >>> alignment_problems.__name__
    'alignment_problems'
    """
    where = f"{spec.step_type} / {contract.entry_point}"
    problems = _set_difference_problems(
        Code.ALIGN_INPUTS, where, {str(n.value) for n in contract.input_paths}, {d.name for d in spec.dependencies}, "input"
    )
    problems += _set_difference_problems(
        Code.ALIGN_OUTPUTS, where, {str(n.value) for n in contract.output_paths}, {o.name for o in spec.outputs}, "output"
    )
    return tuple(problems)


def config_class_problems(step_type: str, config_class: type) -> tuple[Problem, ...]:
    """The seed's naming rule for config classes: ``<StepType>Config``.

    Examples
    --------
    >>> class ModelCalibrationConfig: ...
    >>> config_class_problems("ModelCalibration", ModelCalibrationConfig)
    ()
    >>> [p.code for p in config_class_problems("Package", ModelCalibrationConfig)]
    ['NAMING-CONFIG-CLASS']
    """
    expected = f"{step_type}Config"
    if config_class.__name__ == expected:
        return ()
    return (Problem(code=Code.NAMING_CONFIG_CLASS, message=f"config class of {step_type} is {config_class.__name__}, not {expected}",
                    hint=f"name the class {expected}", location=step_type),)
