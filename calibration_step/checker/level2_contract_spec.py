"""Level 2: the script contract and the step specification agree.

Rules:

- The construction invariants of the spec and the contract (:func:`spec_problems`,
  :func:`contract_problems`) and of the registration (:func:`registration_problems`: step type,
  ``ALIGN-INPUTS``/``ALIGN-OUTPUTS`` set differences, config class name) are reported with their
  own codes. Objects that could not even be built arrive as a :class:`SpecError`;
  :func:`construction_findings` turns its problems into findings, never a traceback.
- ``SPEC-PROPERTY-PATH-OUTPUT`` (error): a property path that names an output by key
  (``Outputs['<name>']``) names another one than the output it belongs to.

Examples
--------
>>> from calibration_step.errors import Code, Problem, SpecError
>>> error = SpecError.from_problems(Code.SPEC_INVALID, "specification 'Demo'", [Problem(
...     code=Code.SPEC_PROPERTY_PATH, message="bad prefix", hint="use properties.", location="Demo.outputs.x")])
>>> [(f.level, f.code, f.severity) for f in construction_findings(error, step_type="Demo")]
[(2, 'SPEC-PROPERTY-PATH', 'error')]
"""

from __future__ import annotations

import enum

from calibration_step.checker.findings import Finding, finding_from_problem
from calibration_step.contract import ScriptContract
from calibration_step.errors import CalibrationStepError, Code, SpecError
from calibration_step.invariants import contract_problems, spec_problems
from calibration_step.properties import parse_property_path
from calibration_step.registry import AnyStepRegistration, registration_problems
from calibration_step.spec import StepSpecification

__all__ = ["check_contract_spec", "construction_findings"]


def construction_findings(error: CalibrationStepError, *, step_type: str, level: int = 2) -> tuple[Finding, ...]:
    """The problems of an error raised while building a step, as findings with their own codes."""
    if error.problems:
        return tuple(finding_from_problem(problem, level=level, step_type=step_type) for problem in error.problems)
    return (Finding(level=level, severity="error", code=error.code, message=error.message,
                    fix=error.hint or "fix the step definition", step_type=step_type),)


def _property_key_findings(
    spec: StepSpecification[enum.Enum, enum.Enum], contract: ScriptContract[enum.Enum, enum.Enum, enum.Enum]
) -> tuple[Finding, ...]:
    """Property paths that name an output by key must name their own output, one of the contract's."""
    contract_outputs = {str(name.value) for name in contract.output_paths}
    found: list[Finding] = []
    for output in spec.outputs:
        try:
            steps = parse_property_path(output.property_path)
        except SpecError:
            continue  # reported by spec_problems
        keys = [str(step.value) for step in steps if step.kind == "key"]
        for key in keys:
            if key != output.name:
                where = "another of the contract's outputs" if key in contract_outputs else "no output of the contract"
                found.append(Finding(
                    level=2, severity="error", code=Code.SPEC_PROPERTY_PATH_OUTPUT, step_type=spec.step_type,
                    message=f"output {output.name!r} has property path {output.property_path!r}, whose key {key!r} is {where}",
                    fix=f"use the output's own logical name as the key: ['{output.name}']",
                    location=f"{spec.step_type}.outputs.{output.name}.property_path",
                ))
    return tuple(found)


def check_contract_spec(registration: AnyStepRegistration) -> tuple[Finding, ...]:
    """Level 2 for one registered step."""
    step_type = registration.step_type
    problems = (*spec_problems(registration.spec), *contract_problems(registration.contract),
                *registration_problems(registration))
    found = [finding_from_problem(problem, level=2, step_type=step_type) for problem in dict.fromkeys(problems)]
    found += _property_key_findings(registration.spec, registration.contract)
    return tuple(found)
