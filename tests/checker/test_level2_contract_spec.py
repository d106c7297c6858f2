"""Level 2: contract <-> spec, construction problems as findings, property keys."""

from __future__ import annotations

import attrs
import pytest

from calibration_step.checker.level2_contract_spec import check_contract_spec, construction_findings
from calibration_step.errors import SpecError
from calibration_step.spec import StepSpecification
from tests.checker.demo import DEMO_SPEC, DemoInput, DemoOutput, demo_registration, processing_path


def test_an_aligned_step_has_no_finding() -> None:
    assert check_contract_spec(demo_registration()) == ()


def test_a_property_path_naming_another_output() -> None:
    report, result = DEMO_SPEC.outputs[1], DEMO_SPEC.outputs[0]
    spec: StepSpecification[DemoInput, DemoOutput] = attrs.evolve(
        DEMO_SPEC, outputs=(result, attrs.evolve(report, property_path=processing_path("result")))
    )
    [finding] = check_contract_spec(demo_registration(spec=spec))
    assert (finding.level, finding.severity, finding.code) == (2, "error", "SPEC-PROPERTY-PATH-OUTPUT")
    assert finding.message == (
        "output 'report' has property path \"properties.ProcessingOutputConfig.Outputs['result'].S3Output.S3Uri\", "
        "whose key 'result' is another of the contract's outputs"
    )
    assert finding.fix == "use the output's own logical name as the key: ['report']"


def test_a_registration_that_cannot_be_built_becomes_findings_with_its_codes() -> None:
    spec: StepSpecification[DemoInput, DemoOutput] = attrs.evolve(DEMO_SPEC, outputs=DEMO_SPEC.outputs[:1])
    with pytest.raises(SpecError, match="REGISTRATION-INVALID") as caught:
        demo_registration(spec=spec)
    found = construction_findings(caught.value, step_type="Demo")
    assert [(f.level, f.code, f.message) for f in found] == [
        (2, "ALIGN-OUTPUTS", "the contract has output 'report', which the specification does not declare")
    ]


def test_a_spec_that_cannot_be_built_becomes_findings_with_its_codes() -> None:
    capitalised = attrs.evolve(DEMO_SPEC.outputs[0], property_path="Properties.ProcessingOutputConfig")
    with pytest.raises(SpecError) as caught:
        attrs.evolve(DEMO_SPEC, step_type="demo_step", outputs=(capitalised,))
    found = construction_findings(caught.value, step_type="Demo")
    assert [f.code for f in found] == ["SPEC-STEP-TYPE-NAMING", "SPEC-PROPERTY-PATH"]
    assert "does not start with lowercase 'properties.'" in found[1].message


def test_an_error_without_problems_keeps_its_own_code() -> None:
    [finding] = construction_findings(SpecError("SPEC-UNKNOWN-OUTPUT", "no output 'x'", hint="use one of []"), step_type="Demo")
    assert (finding.code, finding.message, finding.fix) == ("SPEC-UNKNOWN-OUTPUT", "no output 'x'", "use one of []")
