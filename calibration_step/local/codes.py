"""The local executor's codes: each typed once, here, with its meaning; raise sites name the constant.

Tool errors (exit 2) stop an execution that cannot run here; step failures (exit 1) fail a step
as SageMaker would. ``docs/local_execution.md`` lists them (a test keeps it complete).

Examples
--------
>>> LocalCode.PARAMETER_UNDECLARED
'LOCAL-PARAMETER-UNDECLARED'
>>> LOCAL_CODES[LocalCode.INPUT_EMPTY]
'step failure: no S3 object has the prefix of an input'
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Final

__all__ = ["LOCAL_CODES", "LocalCode"]

_MEANINGS: dict[str, str] = {}


def _code(code: str, meaning: str) -> str:
    _MEANINGS[code] = meaning
    return code


class LocalCode:
    """Every code of :mod:`calibration_step.local`; the constant's name is the code after ``LOCAL-``."""

    # The document and its steps (exit 2).
    DEFINITION: Final = _code("LOCAL-DEFINITION", "the document is not of the shape of a pipeline definition")
    DEFINITION_FILE: Final = _code("LOCAL-DEFINITION-FILE", "the definition file is missing or holds no JSON object")
    STEP_TYPE: Final = _code("LOCAL-STEP-TYPE", "a step of a type the executor does not run")
    STEP_UNKNOWN: Final = _code("LOCAL-STEP-UNKNOWN", "a Get or DependsOn names a step the definition lacks")
    CYCLE: Final = _code("LOCAL-CYCLE", "steps depend on each other in a cycle")
    # Parameters (exit 2).
    PARAMETER_UNDECLARED: Final = _code("LOCAL-PARAMETER-UNDECLARED", "a Get reads a parameter the definition does not declare")
    PARAMETER_UNKNOWN: Final = _code("LOCAL-PARAMETER-UNKNOWN", "a value is given for an undeclared parameter")
    PARAMETER_MISSING: Final = _code("LOCAL-PARAMETER-MISSING", "a parameter has neither a default nor a value")
    PARAMETER_VALUE: Final = _code("LOCAL-PARAMETER-VALUE", "a parameter value is not of the declared type")
    PARAMETER_TYPE: Final = _code("LOCAL-PARAMETER-TYPE", "a parameter's Type is not String, Integer, Float or Boolean")
    # Expressions and references (exit 2).
    EXECUTION_VARIABLE: Final = _code("LOCAL-EXECUTION-VARIABLE", "a Get reads an execution variable the executor lacks")
    EXPRESSION: Final = _code("LOCAL-EXPRESSION", "a function the executor does not evaluate, or a malformed one")
    REFERENCE: Final = _code("LOCAL-REFERENCE", "a Get reads something that is not available where it is evaluated")
    PATH: Final = _code("LOCAL-PATH", "a property or JSON path that cannot be read or leads nowhere")
    PROPERTY: Final = _code("LOCAL-PROPERTY", "a Get reads a property the step will not have")
    PROPERTY_FILE: Final = _code("LOCAL-PROPERTY-FILE", "a JsonGet names a property file the step does not declare")
    # What the executor does not run (exit 2).
    CONDITION: Final = _code("LOCAL-CONDITION", "a condition of unknown type or shape")
    UNSUPPORTED: Final = _code("LOCAL-UNSUPPORTED", "a ManifestFile input or Pipe mode, which the executor does not read")
    REQUIREMENT_UNSUPPORTED: Final = _code("LOCAL-REQUIREMENT-UNSUPPORTED",
                                           "a requirement with a marker, URL or path, or an editable install")
    WORK_DIR: Final = _code("LOCAL-WORK-DIR", "the work folder cannot stand in shell commands")
    # The store (exit 2).
    S3_URI: Final = _code("LOCAL-S3-URI", "not an s3:// URI of an object the store can keep")
    S3_MISSING: Final = _code("LOCAL-S3-MISSING", "no object at an S3 URI that is read")
    # Step failures of expressions and conditions (exit 1).
    JSONGET: Final = _code("LOCAL-JSONGET", "step failure: a property file has nothing at a JsonGet path")
    JSON_DOCUMENT: Final = _code("LOCAL-JSON-DOCUMENT", "step failure: a property file is missing or not JSON")
    CONDITION_OPERANDS: Final = _code("LOCAL-CONDITION-OPERANDS", "step failure: an ordering of values that do not order")
    # Step failures of a processing job's request and inputs (exit 1).
    INSTANCE_COUNT: Final = _code("LOCAL-INSTANCE-COUNT", "step failure: InstanceCount is not a positive integer")
    LOCAL_PATH: Final = _code("LOCAL-LOCAL-PATH", "step failure: a LocalPath outside /opt/ml/processing/")
    INPUT_EMPTY: Final = _code("LOCAL-INPUT-EMPTY", "step failure: no S3 object has the prefix of an input")
    INPUT_KEY: Final = _code("LOCAL-INPUT-KEY", "step failure: an object would land outside its input folder")
    # Step failures of a processing job's command and code (exit 1).
    ENTRYPOINT: Final = _code("LOCAL-ENTRYPOINT", "step failure: the step has no ContainerEntrypoint")
    REQUIREMENTS_FILE: Final = _code("LOCAL-REQUIREMENTS-FILE", "step failure: no input provides a pip -r file")
    REQUIREMENT_UNMET: Final = _code("LOCAL-REQUIREMENT-UNMET",
                                     "step failure: a requirement the step installs is not installed here, in range")
    IMAGE_IMPORT: Final = _code("LOCAL-IMAGE-IMPORT", "step failure: the code imports a package its image lacks")
    CODE_SYNTAX: Final = _code("LOCAL-CODE-SYNTAX", "step failure: the step's Python code does not parse")
    JOB_FAILED: Final = _code("LOCAL-JOB-FAILED", "step failure: an instance exited with a non-zero code or ran too long")


LOCAL_CODES: Final[Mapping[str, str]] = types.MappingProxyType(_MEANINGS)
"""Each code and its meaning."""
