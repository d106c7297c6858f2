"""Level 3: dependencies scored against registered outputs; property paths against step types."""

from __future__ import annotations

import enum

import attrs

from calibration_step.checker.findings import Finding
from calibration_step.contract import ScriptContract
from calibration_step.checker.level3_spec_dependencies import check_spec_dependencies
from calibration_step.enums import DependencyType, NodeType
from calibration_step.registry import StepRegistration, build_registry
from calibration_step.spec import OutputSpec, StepSpecification
from tests.checker.demo import DEMO_SPEC, DemoInput, DemoOutput, demo_registration, processing_path


class UpstreamConfig:
    pass


class NoInput(enum.Enum):
    pass


class NoEnv(enum.Enum):
    pass


class DataOutput(enum.Enum):
    DATA_OUTPUT = "data_output"


class OtherOutput(enum.Enum):
    OTHER = "zzz"


def upstream(name: DataOutput | OtherOutput, output_type: DependencyType) -> StepRegistration[UpstreamConfig, NoInput]:
    """A registered source step ``Upstream`` with one output."""
    spec: StepSpecification[NoInput, enum.Enum] = StepSpecification(
        step_type="Upstream",
        node_type=NodeType.SOURCE,
        outputs=(OutputSpec(logical_name=name, output_type=output_type, property_path=processing_path(name.value)),),
    )
    contract: ScriptContract[NoInput, enum.Enum, NoEnv] = ScriptContract(
        entry_point="upstream.py", input_paths={}, output_paths={name: f"/opt/ml/processing/output/{name.value}"}
    )
    return StepRegistration(step_type="Upstream", config_class=UpstreamConfig, builder=lambda config, inputs: None,
                            spec=spec, contract=contract, sagemaker_step_type="Processing", description="upstream")


def by_dependency(found: tuple[Finding, ...]) -> dict[str, tuple[str, str]]:
    return {f.location.rsplit(".", 1)[1]: (f.severity, f.code) for f in found if ".dependencies." in f.location}


def test_without_a_registered_source_a_dependency_is_an_external_input() -> None:
    registration = demo_registration()
    found = check_spec_dependencies(registration, build_registry([registration]))
    assert by_dependency(found) == {"data": ("info", "DEPENDENCY-EXTERNAL"), "prior": ("info", "DEPENDENCY-EXTERNAL")}
    external = next(f for f in found if f.location.endswith(".data"))
    assert external.message == ("dependency 'data' has no registered producer (compatible sources: Upstream; none is "
                                "registered); it is an external input among 1 registered step(s)")


def test_a_registered_compatible_source_satisfies_the_dependency() -> None:
    registration = demo_registration()
    found = check_spec_dependencies(registration, build_registry([registration, upstream(DataOutput.DATA_OUTPUT, DependencyType.PROCESSING_OUTPUT)]))
    assert by_dependency(found)["data"] == ("info", "DEPENDENCY-SATISFIED")
    assert "Upstream.data_output (score" in next(f.message for f in found if f.location.endswith(".data"))


def test_a_registered_source_of_an_incompatible_type_is_an_error() -> None:
    registration = demo_registration()
    found = check_spec_dependencies(registration, build_registry([registration, upstream(DataOutput.DATA_OUTPUT, DependencyType.MODEL_ARTIFACTS)]))
    data = next(f for f in found if f.location.endswith(".data"))
    assert (data.severity, data.code) == ("error", "DEPENDENCY-TYPE")
    assert data.message == ("dependency 'data' wants processing_output, which no output of its registered compatible "
                            "sources accepts as a type (Upstream.data_output)")


def test_a_registered_source_scoring_below_the_threshold_is_an_error() -> None:
    weak = upstream(OtherOutput.OTHER, DependencyType.CUSTOM_PROPERTY)
    data = attrs.evolve(DEMO_SPEC.dependencies[0], dependency_type=DependencyType.HYPERPARAMETERS, data_type="Float")
    spec: StepSpecification[DemoInput, DemoOutput] = attrs.evolve(DEMO_SPEC, dependencies=(data, DEMO_SPEC.dependencies[1]))
    consumer = demo_registration(spec=spec)
    found = check_spec_dependencies(consumer, build_registry([consumer, weak]))
    finding = next(f for f in found if f.location.endswith(".data"))
    assert (finding.severity, finding.code) == ("error", "DEPENDENCY-UNSATISFIED")
    assert finding.message.startswith("dependency 'data': the best registered source Upstream.zzz scores 0.3")
    assert finding.message.endswith("(source:Upstream), not above the threshold 0.5")


def test_property_paths_must_fit_the_sagemaker_step_type() -> None:
    registration = demo_registration(sagemaker_step_type="Training")
    found = [f for f in check_spec_dependencies(registration, build_registry([registration])) if f.severity == "error"]
    assert {(f.code, f.location) for f in found} == {
        ("PROPERTY-PATH-STEP-TYPE", "Demo.outputs.result.property_path"),
        ("PROPERTY-PATH-STEP-TYPE", "Demo.outputs.report.property_path"),
    }
    assert "'ProcessingOutputConfig' is not a property of DescribeTrainingJobResponse" in found[0].message
    assert found[0].fix == "write it as in the SageMaker API, e.g. properties.ModelArtifacts.S3ModelArtifacts"


def test_a_capitalised_properties_path_is_reported() -> None:
    registration = demo_registration()
    capitalised = attrs.evolve(registration.spec.outputs[0])
    object.__setattr__(capitalised, "property_path", "Properties.ProcessingOutputConfig")  # what construction refuses
    spec = attrs.evolve(registration.spec)
    object.__setattr__(spec, "outputs", (capitalised, registration.spec.outputs[1]))
    broken = attrs.evolve(registration, spec=spec)
    found = [f for f in check_spec_dependencies(broken, build_registry([broken])) if f.severity == "error"]
    assert [(f.code, f.location) for f in found] == [("PROPERTY-PATH-CAPITALISED", "Demo.outputs.result.property_path")]
    assert "SageMaker resolves only lowercase 'properties.'" in found[0].message
