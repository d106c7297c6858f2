"""Job arguments and environment of a script, checked against its contract.

Arguments are the contract's declared arguments (``--job_type calibration``) followed by one
``--<logical_name> <container path>`` pair per input that is present and per output, all taken
from the contract, so the script holds no path literal and a local run can pass local folders.

Examples
--------
>>> import enum
>>> from calibration_step.contract import ArgumentSpec, ScriptContract
>>> class In(enum.Enum):
...     DATA = "data"
>>> class Out(enum.Enum):
...     RESULT = "result"
>>> class Env(enum.Enum):
...     MODE = "MODE"
>>> contract: ScriptContract[In, Out, Env] = ScriptContract(entry_point="example.py",
...     input_paths={In.DATA: "/opt/ml/processing/input/data"},
...     output_paths={Out.RESULT: "/opt/ml/processing/output/result"},
...     required_env_vars=(Env.MODE,),
...     arguments=(ArgumentSpec(name="job_type", choices=("training", "testing"), default="training"),))
>>> job_arguments(contract, inputs=[In.DATA], values={"job_type": "testing"})
('--job_type', 'testing', '--data', '/opt/ml/processing/input/data', '--result', '/opt/ml/processing/output/result')
>>> checked_environment(contract, {Env.MODE: "fast"})
{'MODE': 'fast'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from calibration_step._typevars import EnvNameT, InputNameT, OutputNameT
from calibration_step.contract import ScriptContract
from calibration_step.errors import BuildError, Code

__all__ = ["checked_environment", "declared_arguments", "job_arguments", "path_arguments"]


def declared_arguments(
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT], values: Mapping[str, str]
) -> tuple[str, ...]:
    """``--<name> <value>`` for each declared argument with a value or a default, in contract order.

    Raises
    ------
    BuildError
        ``BUILD-UNKNOWN-ARGUMENT`` for a value the contract does not declare,
        ``BUILD-MISSING-ARGUMENT`` for a required argument without a value,
        ``BUILD-ARGUMENT-CHOICE`` for a value outside the declared choices.
    """
    names = [argument.name for argument in contract.arguments]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise BuildError(
            Code.BUILD_UNKNOWN_ARGUMENT,
            f"{contract.entry_point} declares no argument {', '.join(repr(u) for u in unknown)}.",
            hint=f"use one of {names}",
        )
    result: list[str] = []
    for argument in contract.arguments:
        value = values.get(argument.name, argument.default)
        if value is None:
            if argument.required:
                raise BuildError(
                    Code.BUILD_MISSING_ARGUMENT,
                    f"{contract.entry_point} requires argument {argument.flag} and none was given.",
                    hint="give it a value",
                )
            continue
        if argument.choices and value not in argument.choices:
            raise BuildError(
                Code.BUILD_ARGUMENT_CHOICE,
                f"{contract.entry_point} argument {argument.flag} must be one of {list(argument.choices)}; got {value!r}.",
                hint="pick one of the listed values",
            )
        result += [argument.flag, value]
    return tuple(result)


def path_arguments(
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT], inputs: Iterable[InputNameT]
) -> tuple[str, ...]:
    """``--<logical_name> <container path>`` for the given inputs and every output, in contract order."""
    if not contract.path_arguments:
        return ()
    present = set(inputs)
    result: list[str] = []
    for name, path in contract.input_paths.items():
        if name in present:
            result += [f"--{name.value}", path]
    for output_name, path in contract.output_paths.items():
        result += [f"--{output_name.value}", path]
    return tuple(result)


def job_arguments(
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT],
    *,
    inputs: Iterable[InputNameT],
    values: Mapping[str, str],
) -> tuple[str, ...]:
    """Declared arguments, then path arguments (see :func:`declared_arguments`, :func:`path_arguments`)."""
    return declared_arguments(contract, values) + path_arguments(contract, inputs)


def checked_environment(
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT], environment: Mapping[EnvNameT, str]
) -> dict[str, str]:
    """``environment`` keyed by env var name, after checking its names against the contract.

    Raises
    ------
    BuildError
        ``BUILD-ENVIRONMENT`` listing env vars the contract does not declare and required ones
        that are missing (both, if both happen).
    """
    named = {str(name.value): value for name, value in environment.items()}
    declared = set(contract.env_var_names())
    unknown = sorted(set(named) - declared)
    missing = [str(name.value) for name in contract.required_env_vars if str(name.value) not in named]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"sets {unknown}, which the contract does not declare")
        if missing:
            parts.append(f"lacks {missing}, which the contract requires")
        raise BuildError(
            Code.BUILD_ENVIRONMENT,
            f"the environment for {contract.entry_point} " + "; ".join(parts) + ".",
            hint="set exactly the contract's env vars (every required one)",
        )
    return named
