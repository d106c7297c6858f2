"""Level 4: what the builder sends from an example config covers the contract, and no more.

The checker builds each registered step with its registration's ``definition_builder`` from its
``example_config()``, giving every dependency (required or not) an S3 URI, and compares the
definition's ``environment``, ``arguments``, ``inputs`` and ``outputs`` with the contract.

- ``BUILDER-ENV-MISSING`` (error): the contract requires an env var the builder does not send.
- ``BUILDER-ENV-UNDECLARED`` (error): the builder sends an env var the contract does not declare.
- ``BUILDER-ARGUMENT-MISSING`` (error): a required argument, or the path argument of a given
  input or of an output, is not sent.
- ``BUILDER-ARGUMENT-UNDECLARED`` (error): the builder sends a flag the contract does not declare.
- ``BUILDER-ARGUMENT-VALUE`` (error): a declared argument's value is not one of its choices, or a
  path argument's value is not the contract's container path.
- ``BUILDER-CHANNEL`` (error): a processing input/output channel that is not one of the
  contract's logical names, whose container path is not the contract's, or that is missing.
- ``BUILDER-FAILED`` (error): the builder raised (its code and message, no traceback).
- ``CHECK-NOT-CHECKED`` (info): the registration has no example config or no definition builder.

Examples
--------
>>> import enum
>>> from calibration_step.contract import ScriptContract
>>> class In(enum.Enum):
...     DATA = "data"
>>> class Out(enum.Enum):
...     RESULT = "result"
>>> class Env(enum.Enum):
...     MODE = "MODE"
>>> contract: ScriptContract[In, Out, Env] = ScriptContract(entry_point="demo.py",
...     input_paths={In.DATA: "/opt/ml/processing/input/data"},
...     output_paths={Out.RESULT: "/opt/ml/processing/output/result"}, required_env_vars=(Env.MODE,))
>>> sent = Sent(environment={"MODEZ": "x"}, arguments=("--data", "/opt/ml/processing/input/data"))
>>> for f in sent_findings(contract, sent, given_inputs=["data"], step_type="Demo"):
...     print(f.code, "|", f.message)
BUILDER-ENV-MISSING | the contract requires MODE, which the builder does not send
BUILDER-ENV-UNDECLARED | the builder sends MODEZ, which the contract does not declare
BUILDER-ARGUMENT-MISSING | the contract declares --result, which the builder does not send
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from typing import Final

import attrs

from calibration_step._typevars import ConfigT, InputNameT
from calibration_step.checker.findings import Finding, Severity
from calibration_step.contract import ScriptContract
from calibration_step.errors import CalibrationStepError, Code
from calibration_step.processing.step import ProcessingStepDefinition
from calibration_step.processing.values import InputSource
from calibration_step.registry import StepRegistration

__all__ = ["EXAMPLE_BUCKET", "Sent", "check_builder_config", "sent_by", "sent_findings"]

EXAMPLE_BUCKET = "calibration-step-check"
"""The bucket of the S3 URIs given to every dependency when the builder is called."""

AnyContract = ScriptContract[enum.Enum, enum.Enum, enum.Enum]


@attrs.frozen(kw_only=True)
class Channel:
    """A processing input or output channel: logical name and container path."""

    name: str
    container_path: str


@attrs.frozen(kw_only=True)
class Sent:
    """What a built step sends to its script."""

    environment: Mapping[str, str]
    arguments: tuple[str, ...]
    inputs: tuple[Channel, ...] | None = None
    outputs: tuple[Channel, ...] | None = None


def _finding(severity: Severity, code: str, message: str, fix: str, step_type: str, location: str) -> Finding:
    return Finding(level=4, severity=severity, code=code, message=message, fix=fix, step_type=step_type, location=location)


def _flags(arguments: Sequence[str]) -> dict[str, str | None]:
    """``--flag value`` pairs (a flag followed by another flag, or last, has no value)."""
    values: dict[str, str | None] = {}
    for position, token in enumerate(arguments):
        if token.startswith("--"):
            following = arguments[position + 1] if position + 1 < len(arguments) else None
            values[token] = following if following is not None and not following.startswith("--") else None
    return values


def _env_findings(contract: AnyContract, sent: Sent, step_type: str, where: str) -> list[Finding]:
    required = {str(v.value) for v in contract.required_env_vars}
    declared = set(contract.env_var_names())
    names = set(sent.environment)
    found = [_finding("error", Code.BUILDER_ENV_MISSING, f"the contract requires {name}, which the builder does not send",
                      f"make the builder set {name} from the config", step_type, where)
             for name in sorted(required - names)]
    found += [_finding("error", Code.BUILDER_ENV_UNDECLARED, f"the builder sends {name}, which the contract does not declare",
                       f"declare {name} in the contract, or stop sending it", step_type, where)
              for name in sorted(names - declared)]
    return found


def _argument_findings(contract: AnyContract, sent: Sent, given_inputs: Collection[str], step_type: str, where: str) -> list[Finding]:
    values = _flags(sent.arguments)
    paths: dict[str, str] = {}
    if contract.path_arguments:
        paths.update({f"--{n.value}": p for n, p in contract.input_paths.items() if str(n.value) in given_inputs})
        paths.update({f"--{n.value}": p for n, p in contract.output_paths.items()})
    required = {a.flag for a in contract.arguments if a.required} | set(paths)
    declared = set(contract.argument_flags())
    found = [_finding("error", Code.BUILDER_ARGUMENT_MISSING, f"the contract declares {flag}, which the builder does not send",
                      f"make the builder pass {flag}", step_type, where)
             for flag in sorted(required - set(values))]
    found += [_finding("error", Code.BUILDER_ARGUMENT_UNDECLARED, f"the builder sends {flag}, which the contract does not declare",
                       f"declare {flag.lstrip('-')} in the contract, or stop sending it", step_type, where)
              for flag in sorted(set(values) - declared)]
    choices = {a.flag: a.choices for a in contract.arguments if a.choices}
    for flag, value in sorted(values.items()):
        if flag in choices and value not in choices[flag]:
            found.append(_finding("error", Code.BUILDER_ARGUMENT_VALUE,
                                  f"the builder sends {flag} {value!r}, which is not one of {list(choices[flag])}",
                                  "send one of the contract's choices", step_type, where))
        if flag in paths and value != paths[flag]:
            found.append(_finding("error", Code.BUILDER_ARGUMENT_VALUE,
                                  f"the builder sends {flag} {value!r}, not the contract's container path {paths[flag]!r}",
                                  "take path arguments from the contract", step_type, where))
    return found


def _channel_findings(kind: str, channels: Sequence[Channel] | None, paths: Mapping[str, str], expected: Collection[str],
                      step_type: str, where: str) -> list[Finding]:
    if channels is None:
        return []
    found: list[Finding] = []
    for channel in channels:
        if channel.name not in paths:
            found.append(_finding("error", Code.BUILDER_CHANNEL, f"the builder adds {kind} channel {channel.name!r}, "
                                  "which the contract does not declare", f"use the contract's {kind} names", step_type, where))
        elif channel.container_path.rstrip("/") != paths[channel.name].rstrip("/"):
            found.append(_finding("error", Code.BUILDER_CHANNEL, f"the builder maps {kind} {channel.name!r} to "
                                  f"{channel.container_path!r}, the contract to {paths[channel.name]!r}",
                                  "take container paths from the contract", step_type, where))
    for name in sorted(set(expected) - {c.name for c in channels}):
        found.append(_finding("error", Code.BUILDER_CHANNEL, f"the contract declares {kind} {name!r}, for which the builder adds no channel",
                              f"add a processing {kind} for {name!r}", step_type, where))
    return found


def sent_findings(contract: AnyContract, sent: Sent, *, given_inputs: Collection[str], step_type: str) -> tuple[Finding, ...]:
    """Compare what a built step sends with ``contract`` (``given_inputs``: the inputs given to the builder)."""
    where = f"{step_type} builder"
    found = _env_findings(contract, sent, step_type, where)
    found += _argument_findings(contract, sent, given_inputs, step_type, where)
    inputs = {str(n.value): p for n, p in contract.input_paths.items()}
    outputs = {str(n.value): p for n, p in contract.output_paths.items()}
    found += _channel_findings("input", sent.inputs, inputs, given_inputs, step_type, where)
    found += _channel_findings("output", sent.outputs, outputs, outputs, step_type, where)
    return tuple(found)


def sent_by(definition: ProcessingStepDefinition) -> Sent:
    """Environment, arguments and channels of a step definition (the code channels aside).

    Examples
    --------
    >>> from calibration_step.steps.package import PACKAGE, PackageInput
    >>> definition = PACKAGE.step_definition(PACKAGE.example_config(), {
    ...     PackageInput.MODEL_INPUT: "s3://my-ml-bucket/model/", PackageInput.CALIBRATION_MODEL: "s3://my-ml-bucket/cal/",
    ...     PackageInput.CALIBRATION_METRICS: "s3://my-ml-bucket/metrics/"},
    ...     image_uri=PLACEHOLDER_IMAGE_URI)
    >>> sent = sent_by(definition)
    >>> dict(sent.environment), [channel.name for channel in sent.outputs or ()]
    ({'CALIBRATOR_FILE': 'calibrator.json'}, ['packaged_model'])
    """
    return Sent(
        environment=dict(definition.environment),
        arguments=definition.arguments,
        inputs=tuple(Channel(name=item.input_name, container_path=item.destination) for item in definition.inputs),
        outputs=tuple(Channel(name=item.output_name, container_path=item.source) for item in definition.outputs),
    )


PLACEHOLDER_IMAGE_URI: Final = "123456789012.dkr.ecr.us-east-1.amazonaws.com/placeholder:latest"
"""The image handed to definition builders: the image does not change the env vars, arguments or channels."""


def check_builder_config(registration: StepRegistration[ConfigT, InputNameT]) -> tuple[Finding, ...]:
    """Level 4 for one registered step: build it from its example config and compare with the contract.

    Examples
    --------
    >>> from calibration_step.steps.package import PACKAGE
    >>> check_builder_config(PACKAGE.registration())
    ()
    """
    step_type = registration.step_type
    where = f"{step_type} builder"
    if registration.example_config is None:
        return (_finding("info", Code.CHECK_NOT_CHECKED,
                         f"not checked: builder/config <-> contract, because {step_type} offers no example config",
                         f"register an example_config returning a complete {registration.config_class.__name__}",
                         step_type, where),)
    if registration.definition_builder is None:
        return (_finding("info", Code.CHECK_NOT_CHECKED,
                         f"not checked: builder/config <-> contract, because {step_type} offers no definition builder",
                         "register a definition_builder returning the step's ProcessingStepDefinition", step_type, where),)
    try:
        config = registration.example_config()
    except Exception as exc:  # a broken step package must become a finding, never a traceback
        return (_finding("error", Code.BUILDER_FAILED, f"the example config of {step_type} cannot be made: {_describe(exc)}",
                         "fix example_config()", step_type, where),)
    inputs: dict[InputNameT, InputSource] = {
        dependency.logical_name: f"s3://{EXAMPLE_BUCKET}/{dependency.name}/" for dependency in registration.spec.dependencies
    }
    try:
        definition = registration.definition_builder(config, inputs, image_uri=PLACEHOLDER_IMAGE_URI)
    except Exception as exc:  # reported with its code and message, never a traceback
        return (_finding("error", Code.BUILDER_FAILED, f"the builder of {step_type} raised on its example config: {_describe(exc)}",
                         "fix the builder or the example config", step_type, where),)
    given = [dependency.name for dependency in registration.spec.dependencies]
    return sent_findings(registration.contract, sent_by(definition), given_inputs=given, step_type=step_type)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CalibrationStepError):
        return f"[{exc.code}] {exc.message}"
    return f"{type(exc).__name__}: {exc}"
