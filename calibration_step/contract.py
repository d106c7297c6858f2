"""Script contracts: the container-side interface of a step's script.

A contract owns the container path of every logical input and output, the env vars the script
reads (required, and optional with their defaults), its command-line arguments, the files it
writes into each output and its framework requirements. It is generic over the step's input,
output and env-var name enums, so a misspelt name is a type error.

Examples
--------
>>> import enum
>>> class In(enum.Enum):
...     DATA = "data"
>>> class Out(enum.Enum):
...     RESULT = "result"
>>> class Env(enum.Enum):
...     MODE = "MODE"
>>> contract: ScriptContract[In, Out, Env] = ScriptContract(
...     entry_point="example_script.py",
...     input_paths={In.DATA: "/opt/ml/processing/input/data"},
...     output_paths={Out.RESULT: "/opt/ml/processing/output/result"},
...     optional_env_vars={Env.MODE: "fast"},
... )
>>> contract.input_paths[In.DATA]
'/opt/ml/processing/input/data'
>>> contract.env_var_names()
('MODE',)
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Generic, Literal

import attrs

from calibration_step._typevars import EnvName, InputName, OutputName
from calibration_step.errors import Code, SpecError

__all__ = ["ArgumentSpec", "ContainerKind", "ScriptContract"]

ContainerKind = Literal["processing", "training"]
"""Which SageMaker job runs the script; fixes the container root (``/opt/ml/processing/`` ...)."""


@attrs.frozen(kw_only=True)
class ArgumentSpec:
    """A command-line argument of the script other than the per-logical-name path arguments.

    Examples
    --------
    >>> ArgumentSpec(name="job_type", choices=("training", "calibration")).flag
    '--job_type'
    """

    name: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    description: str = ""

    @property
    def flag(self) -> str:
        """The flag as written on the command line."""
        return f"--{self.name}"


@attrs.frozen(kw_only=True)
class ScriptContract(Generic[InputName, OutputName, EnvName]):
    """Container paths, env vars and arguments of one processing or training script.

    Mappings are copied into read-only views when the contract is built.

    Raises
    ------
    SpecError
        ``CONTRACT-INVALID`` listing every broken invariant (see :func:`contract_problems`).
    """

    entry_point: str
    input_paths: Mapping[InputName, str]
    output_paths: Mapping[OutputName, str]
    container_kind: ContainerKind = "processing"
    required_env_vars: tuple[EnvName, ...] = ()
    optional_env_vars: Mapping[EnvName, str] = attrs.field(factory=dict)
    arguments: tuple[ArgumentSpec, ...] = ()
    path_arguments: bool = True
    """Each logical input/output path is also passed as ``--<logical_name> <container path>``."""
    output_files: Mapping[OutputName, tuple[str, ...]] = attrs.field(factory=dict)
    """File names the script writes into each output folder (checked by the alignment checker)."""
    framework_requirements: Mapping[str, str] = attrs.field(factory=dict)
    description: str = ""

    def __attrs_post_init__(self) -> None:
        for name in ("input_paths", "output_paths", "optional_env_vars", "output_files", "framework_requirements"):
            object.__setattr__(self, name, types.MappingProxyType(dict(getattr(self, name))))
        from calibration_step.invariants import contract_problems

        problems = contract_problems(self)
        if problems:
            raise SpecError.from_problems(Code.CONTRACT_INVALID, f"contract {self.entry_point!r}", problems)

    def env_var_names(self) -> tuple[str, ...]:
        """Every env var the script may read, required first, as plain strings."""
        names = [str(v.value) for v in self.required_env_vars]
        names += [str(v.value) for v in self.optional_env_vars]
        return tuple(names)

    def argument_flags(self) -> tuple[str, ...]:
        """Every command-line flag the script accepts: declared arguments, then path arguments."""
        flags = [argument.flag for argument in self.arguments]
        if self.path_arguments:
            flags += [f"--{name.value}" for name in self.input_paths]
            flags += [f"--{name.value}" for name in self.output_paths]
        return tuple(flags)
