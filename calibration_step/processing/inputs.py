"""Processing inputs from a step's spec, its contract and the sources the caller gives.

Generic over the step's input-name enum: ``sources`` is a ``Mapping[<the step's input enum>,
InputSource]``, so a builder that fixes the enum makes a foreign or misspelt name a type error.
At run time every spec dependency is visited in spec order: a required one without a source is
a :class:`~calibration_step.errors.BuildError` naming it, an optional one without a source is left
out, an ``s3://`` string is validated and normalised (a trailing ``/`` is kept: an ``S3Prefix``
input matches every key that starts with its URI, so ``s3://b/scores/`` reads the folder
``scores`` alone while ``s3://b/scores`` would read ``scores_old/`` too), and a pipeline value
passes through untouched.

Examples
--------
>>> import enum
>>> from calibration_step.contract import ScriptContract
>>> from calibration_step.enums import DependencyType, NodeType
>>> from calibration_step.spec import DependencySpec, OutputSpec, StepSpecification
>>> class In(enum.Enum):
...     DATA = "data"
>>> class Out(enum.Enum):
...     RESULT = "result"
>>> class Env(enum.Enum):
...     MODE = "MODE"
>>> spec: StepSpecification[In, Out] = StepSpecification(step_type="Example", node_type=NodeType.INTERNAL,
...     dependencies=(DependencySpec(logical_name=In.DATA, dependency_type=DependencyType.PROCESSING_OUTPUT),),
...     outputs=(OutputSpec(logical_name=Out.RESULT, output_type=DependencyType.PROCESSING_OUTPUT,
...         property_path="properties.ProcessingOutputConfig.Outputs['result'].S3Output.S3Uri"),))
>>> contract: ScriptContract[In, Out, Env] = ScriptContract(entry_point="example.py",
...     input_paths={In.DATA: "/opt/ml/processing/input/data"},
...     output_paths={Out.RESULT: "/opt/ml/processing/output/result"})
>>> [(i.input_name, i.source, i.destination)
...  for i in processing_inputs(spec, contract, {In.DATA: "s3://bucket//scores/"})]
[('data', 's3://bucket/scores/', '/opt/ml/processing/input/data')]
>>> processing_inputs(spec, contract, {})
Traceback (most recent call last):
...
calibration_step.errors.BuildError: [BUILD-MISSING-INPUT] Example input 'data' is required but no source was given. ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from calibration_step._typevars import EnvNameT, InputNameT, OutputNameT
from calibration_step.processing.s3 import normalise_s3_uri
from calibration_step.processing.values import InputSource, is_pipeline_value
from calibration_step.contract import ScriptContract
from calibration_step.errors import BuildError, Code
from calibration_step.spec import StepSpecification

__all__ = ["ProcessingInputDefinition", "normalise_source", "processing_inputs"]


@attrs.frozen(kw_only=True)
class ProcessingInputDefinition:
    """One input channel of a processing job: where it comes from and where the script sees it."""

    input_name: str
    source: InputSource
    destination: str
    s3_data_type: Literal["S3Prefix", "ManifestFile"] = "S3Prefix"
    s3_input_mode: Literal["File", "Pipe"] = "File"
    distribution: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated"
    """``ShardedByS3Key``: each instance of the job gets its share of the objects."""


def normalise_source(source: InputSource, *, what: str) -> InputSource:
    """An ``s3://`` string validated and normalised, keeping a trailing ``/``; a pipeline value unchanged.

    Raises
    ------
    BuildError
        ``BUILD-S3-URI`` naming ``what`` for a bad URI; ``BUILD-INPUT-SOURCE`` for a value that is
        neither a string nor a pipeline value.
    """
    if isinstance(source, str):
        normalised = normalise_s3_uri(source, what=what)
        return normalised + "/" if source.endswith("/") and normalised.count("/") > 2 else normalised
    if is_pipeline_value(source):
        return source
    raise BuildError(
        Code.BUILD_INPUT_SOURCE,
        f"{what} must be an s3:// URI or a pipeline value; got {type(source).__name__} {source!r}.",
        hint="pass an S3 URI string, a StringParameter, a Join, a PropertyReference or a SageMaker pipeline variable",
    )


def processing_inputs(
    spec: StepSpecification[InputNameT, OutputNameT],
    contract: ScriptContract[InputNameT, OutputNameT, EnvNameT],
    sources: Mapping[InputNameT, InputSource],
) -> tuple[ProcessingInputDefinition, ...]:
    """The processing inputs of one step, in spec order, named by logical name.

    Raises
    ------
    BuildError
        ``BUILD-MISSING-INPUT`` for a required dependency without a source, ``BUILD-UNKNOWN-INPUT``
        for a source whose name the spec does not declare (only reachable from untyped code),
        ``BUILD-S3-URI`` / ``BUILD-INPUT-SOURCE`` for a bad source.
    """
    declared = {dependency.logical_name for dependency in spec.dependencies}
    unknown = [name for name in sources if name not in declared]
    if unknown:
        raise BuildError(
            Code.BUILD_UNKNOWN_INPUT,
            f"{spec.step_type} has no input {', '.join(repr(getattr(n, 'value', n)) for n in unknown)}.",
            hint=f"use one of {[d.name for d in spec.dependencies]}",
        )
    definitions: list[ProcessingInputDefinition] = []
    for dependency in spec.dependencies:
        what = f"{spec.step_type} input {dependency.name!r}"
        if dependency.logical_name not in sources:
            if dependency.required:
                raise BuildError(
                    Code.BUILD_MISSING_INPUT,
                    f"{what} is required but no source was given.",
                    hint="pass an S3 URI or an upstream step's output for it",
                )
            continue
        definitions.append(
            ProcessingInputDefinition(
                input_name=dependency.name,
                source=normalise_source(sources[dependency.logical_name], what=what),
                destination=contract.input_paths[dependency.logical_name],
            )
        )
    return tuple(definitions)
