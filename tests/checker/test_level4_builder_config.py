"""Level 4: what the builder sends from an example config, against the contract."""

from __future__ import annotations

from collections.abc import Mapping

from calibration_step.checker.level4_builder_config import Channel, Sent, check_builder_config, sent_findings
from calibration_step.errors import BuildError
from calibration_step.processing.inputs import processing_inputs
from calibration_step.processing.outputs import processing_outputs
from calibration_step.processing.step import ProcessingStepDefinition, ProcessorSettings, ScriptCode
from calibration_step.processing.values import InputSource
from calibration_step.steps import default_registry
from tests.checker.demo import DEMO_CONTRACT, DEMO_SPEC, DemoConfig, DemoInput, demo_registration

PATHS = ("--data", "/opt/ml/processing/input/data", "--prior", "/opt/ml/processing/input/prior",
         "--result", "/opt/ml/processing/output/result", "--report", "/opt/ml/processing/output/report")


def codes(sent: Sent) -> list[tuple[str, str]]:
    found = sent_findings(DEMO_CONTRACT, sent, given_inputs=["data", "prior"], step_type="Demo")
    return [(f.code, f.message) for f in found]


def test_a_complete_step_has_no_finding() -> None:
    assert codes(Sent(environment={"LABEL_FIELD": "y"}, arguments=("--job_type", "training", *PATHS))) == []


def test_a_dropped_required_env_var_and_an_undeclared_one() -> None:
    assert codes(Sent(environment={"BINS": "10", "DEBUG": "1"}, arguments=PATHS)) == [
        ("BUILDER-ENV-MISSING", "the contract requires LABEL_FIELD, which the builder does not send"),
        ("BUILDER-ENV-UNDECLARED", "the builder sends DEBUG, which the contract does not declare"),
    ]


def test_arguments_missing_undeclared_and_wrong() -> None:
    arguments = ("--job_type", "scoring", *PATHS[:-1], "/tmp/report")
    assert codes(Sent(environment={"LABEL_FIELD": "y"}, arguments=arguments)) == [
        ("BUILDER-ARGUMENT-VALUE", "the builder sends --job_type 'scoring', which is not one of ['training', 'testing']"),
        ("BUILDER-ARGUMENT-VALUE", "the builder sends --report '/tmp/report', not the contract's container path "
                                   "'/opt/ml/processing/output/report'"),
    ]
    assert codes(Sent(environment={"LABEL_FIELD": "y"}, arguments=("--verbose", *PATHS[2:]))) == [
        ("BUILDER-ARGUMENT-MISSING", "the contract declares --data, which the builder does not send"),
        ("BUILDER-ARGUMENT-UNDECLARED", "the builder sends --verbose, which the contract does not declare"),
    ]


def test_channels_must_be_the_contracts() -> None:
    sent = Sent(environment={"LABEL_FIELD": "y"}, arguments=PATHS,
                inputs=(Channel(name="data", container_path="/opt/ml/processing/input/other"), Channel(name="extra", container_path="/x")),
                outputs=(Channel(name="result", container_path="/opt/ml/processing/output/result/"),))
    assert codes(sent) == [
        ("BUILDER-CHANNEL", "the builder maps input 'data' to '/opt/ml/processing/input/other', the contract to '/opt/ml/processing/input/data'"),
        ("BUILDER-CHANNEL", "the builder adds input channel 'extra', which the contract does not declare"),
        ("BUILDER-CHANNEL", "the contract declares input 'prior', for which the builder adds no channel"),
        ("BUILDER-CHANNEL", "the contract declares output 'report', for which the builder adds no channel"),
    ]


def definition(
    environment: Mapping[str, str], arguments: tuple[str, ...], inputs: Mapping[DemoInput, InputSource]
) -> ProcessingStepDefinition:
    """A definition sending ``environment`` and ``arguments``, with the contract's channels."""
    return ProcessingStepDefinition(
        name="Demo",
        job_name_prefix="Demo",
        processor=ProcessorSettings(role="arn:aws:iam::123456789012:role/R", image_uri="image", instance_type="ml.m5.xlarge"),
        code=ScriptCode(script_uri="s3://bucket/code/demo.py"),
        environment=environment,
        arguments=arguments,
        inputs=processing_inputs(DEMO_SPEC, DEMO_CONTRACT, inputs),
        outputs=processing_outputs(DEMO_SPEC, DEMO_CONTRACT, execution_prefix="s3://bucket/run", job_type="training"),
    )


def test_without_an_example_config_level_4_is_not_checked() -> None:
    [finding] = check_builder_config(demo_registration())
    assert (finding.severity, finding.code) == ("info", "CHECK-NOT-CHECKED")
    assert finding.message == "not checked: builder/config <-> contract, because Demo offers no example config"
    assert finding.fix == "register an example_config returning a complete DemoConfig"


def test_without_a_definition_builder_level_4_is_not_checked() -> None:
    [finding] = check_builder_config(demo_registration(example_config=DemoConfig))
    assert (finding.severity, finding.code) == ("info", "CHECK-NOT-CHECKED")
    assert finding.message == "not checked: builder/config <-> contract, because Demo offers no definition builder"


def test_the_builder_gets_the_example_config_and_every_dependency() -> None:
    example = DemoConfig()
    seen: list[object] = []

    def builder(config: DemoConfig, inputs: Mapping[DemoInput, InputSource], *, image_uri: str) -> ProcessingStepDefinition:
        seen.extend([config, sorted(str(source) for source in inputs.values())])
        return definition({"BINS": "3"}, ("--job_type", "training", *PATHS), inputs)

    found = check_builder_config(demo_registration(definition_builder=builder, example_config=lambda: example))
    assert seen == [example, ["s3://calibration-step-check/data/", "s3://calibration-step-check/prior/"]]
    assert [f.code for f in found] == ["BUILDER-ENV-MISSING"]


def test_a_builder_that_raises_is_a_finding_not_a_traceback() -> None:
    def builder(config: DemoConfig, inputs: Mapping[DemoInput, InputSource], *, image_uri: str) -> ProcessingStepDefinition:
        raise BuildError("BUILD-ENVIRONMENT", "model_calibration.py: the config sets no LABEL_FIELD", hint="h")

    [finding] = check_builder_config(demo_registration(definition_builder=builder, example_config=DemoConfig))
    assert (finding.severity, finding.code) == ("error", "BUILDER-FAILED")
    assert finding.message == ("the builder of Demo raised on its example config: [BUILD-ENVIRONMENT] "
                               "model_calibration.py: the config sets no LABEL_FIELD")


def test_an_example_config_that_raises_is_a_finding_not_a_traceback() -> None:
    def broken() -> DemoConfig:
        raise ValueError("no region")

    def builder(config: DemoConfig, inputs: Mapping[DemoInput, InputSource], *, image_uri: str) -> ProcessingStepDefinition:
        return definition({}, (), inputs)

    [finding] = check_builder_config(demo_registration(definition_builder=builder, example_config=broken))
    assert (finding.severity, finding.code) == ("error", "BUILDER-FAILED")
    assert finding.message == "the example config of Demo cannot be made: ValueError: no region"


def test_the_shipped_steps_send_what_their_contracts_declare() -> None:
    for registration in default_registry():
        assert check_builder_config(registration) == ()
