"""Level 4: what the builder sends from an example config, against the contract."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator, Mapping

import attrs
import pytest

from calibration_step.checker.level4_builder_config import Channel, Sent, check_builder_config, sent_findings
from calibration_step.errors import BuildError
from calibration_step.registry import StepRegistration
from tests.checker.demo import DEMO_CONTRACT, demo_registration

PATHS = ("--data", "/opt/ml/processing/input/data", "--prior", "/opt/ml/processing/input/prior",
         "--result", "/opt/ml/processing/output/result", "--report", "/opt/ml/processing/output/report")


@attrs.frozen
class Definition:
    environment: Mapping[str, str]
    arguments: tuple[str, ...]


@attrs.frozen
class Built:
    definition: Definition


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


@pytest.fixture
def config_module() -> Iterator[types.ModuleType]:
    """A module holding the demo's config class, so that example_config() can be found next to it."""
    module = types.ModuleType("demo_checker_config")

    class DemoConfig:
        pass

    DemoConfig.__module__ = module.__name__
    setattr(module, "DemoConfig", DemoConfig)
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def registration_in(module: types.ModuleType, builder: object) -> StepRegistration:
    return demo_registration(config_class=getattr(module, "DemoConfig"), builder=builder)  # type: ignore[arg-type]  # any callable


def test_without_an_example_config_level_4_is_not_checked(config_module: types.ModuleType) -> None:
    [finding] = check_builder_config(registration_in(config_module, lambda config, inputs: None))
    assert (finding.severity, finding.code) == ("info", "CHECK-NOT-CHECKED")
    assert finding.message == "not checked: builder/config <-> contract, because Demo offers no example config"
    assert finding.fix == "define example_config() -> DemoConfig in demo_checker_config"


def test_the_builder_gets_the_example_config_and_every_dependency(config_module: types.ModuleType) -> None:
    seen: list[object] = []

    def builder(config: object, inputs: Mapping[object, str]) -> Built:
        seen.extend([config, sorted(inputs.values())])
        return Built(Definition(environment={"BINS": "3"}, arguments=("--job_type", "training", *PATHS)))

    setattr(config_module, "example_config", lambda: "the example")
    found = check_builder_config(registration_in(config_module, builder))
    assert seen == ["the example", ["s3://calibration-step-check/data/", "s3://calibration-step-check/prior/"]]
    assert [f.code for f in found] == ["BUILDER-ENV-MISSING"]


def test_a_builder_that_raises_is_a_finding_not_a_traceback(config_module: types.ModuleType) -> None:
    def builder(config: object, inputs: object) -> object:
        raise BuildError("BUILD-ENVIRONMENT", "model_calibration.py: the config sets no LABEL_FIELD", hint="h")

    setattr(config_module, "example_config", lambda: "the example")
    [finding] = check_builder_config(registration_in(config_module, builder))
    assert (finding.severity, finding.code) == ("error", "BUILDER-FAILED")
    assert finding.message == ("the builder of Demo raised on its example config: [BUILD-ENVIRONMENT] "
                               "model_calibration.py: the config sets no LABEL_FIELD")
