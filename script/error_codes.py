"""The table of every code of calibration_step and its processing script.

Standard library only (Python 3.10): this module ships with the processing script.
:class:`Code` names every code raised or reported on purpose, each typed once in its row with the
class that carries it, its meaning and its usual fix. Raise sites name codes by constant
(``Code.SPEC_INVALID``); :data:`CODES` is the table (``docs/errors.md`` is rendered from it).
Library codes look like ``AREA-WHAT`` (:data:`LIBRARY_CODE`); script codes like
``MC-E<stage><nn>-WHAT`` for errors and ``MC-W<stage><nn>-WHAT`` for the warnings a job records
(:data:`SCRIPT_CODE`; stages 1 settings and job, 2 input data, 3 fitting, 4 calibrator files,
5 outputs, 6 the Package step's script). The error classes are in :mod:`calibration_step.script.errors`.

Examples
--------
>>> Code.SPEC_INVALID
'SPEC-INVALID'
>>> LIBRARY_CODE.fullmatch(Code.SPEC_INVALID) is not None, SCRIPT_CODE.fullmatch(Code.MC_E101_INVALID_ENV) is not None
(True, True)
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Final

__all__ = [
    "CODES",
    "Code",
    "CodeEntry",
    "LIBRARY_CODE",
    "Raiser",
    "SCRIPT_CODE",
]

LIBRARY_CODE: Final = re.compile(
    r"(?:ALIGN|BUILD|BUILDER|CHECK|CLI|CONFIG|CONTRACT|DEPENDENCY|LOCAL|NAMING|PROPERTY|REGISTRATION"
    r"|REGISTRY|RESOLUTION|SCRIPT|SERIALIZATION|SPEC)(?:-[A-Z0-9]+)+"
)
"""The shape of a library code (match it whole): a known area, then hyphenated capitals."""

SCRIPT_CODE: Final = re.compile(r"MC-[EW][1-6][0-9]{2}(?:-[A-Z]+)+")
"""The shape of a processing-script code (match it whole): ``E`` an error, ``W`` a recorded warning."""


@dataclasses.dataclass(frozen=True)
class CodeEntry:
    """One row of the table: a code, what carries it, what it means and how to fix it.

    Examples
    --------
    >>> entry = next(e for e in CODES if e.code == Code.BUILD_S3_URI)
    >>> entry.raised_by, entry.part
    (<Raiser.BUILD_ERROR: 'BuildError'>, 'library')
    """

    code: str
    raised_by: Raiser
    meaning: str
    hint: str
    retired: bool = False
    """A code no longer raised, kept so that it is never reused with another meaning."""

    @property
    def part(self) -> str:
        """``script`` for the processing script's codes, ``library`` for the package's."""
        return "script" if self.raised_by in (Raiser.SCRIPT, Raiser.SCRIPT_WARNING) else "library"


class Raiser(enum.Enum):
    """What carries a code: an error class (directly or in its ``problems``), or a checker finding.

    Examples
    --------
    >>> Raiser.SCRIPT.value
    'CalibrationScriptError'
    """

    SPEC_ERROR = "SpecError"
    CONFIG_ERROR = "ConfigError"
    SERIALIZATION_ERROR = "SerializationError"
    REGISTRY_ERROR = "RegistryError"
    BUILD_ERROR = "BuildError"
    RESOLUTION_ERROR = "ResolutionError"
    LOCAL_EXECUTION_ERROR = "LocalExecutionError"
    STEP_FAILURE = "StepFailure"
    CHECKER = "checker finding"
    SCRIPT = "CalibrationScriptError"
    SCRIPT_WARNING = "recorded warning"


_ENTRIES: list[CodeEntry] = []


def _code(code: str, raised_by: Raiser, meaning: str, hint: str, *, retired: bool = False) -> str:
    _ENTRIES.append(CodeEntry(code, raised_by, meaning, hint, retired))
    return code


def _retired(code: str, raised_by: Raiser, meaning: str, hint: str) -> str:
    """The row of a code no longer raised: it stays in the table so that it is never reused."""
    return _code(code, raised_by, meaning, hint, retired=True)


_SPEC: Final = Raiser.SPEC_ERROR
_CONFIG: Final = Raiser.CONFIG_ERROR
_SERIAL: Final = Raiser.SERIALIZATION_ERROR
_REGISTRY: Final = Raiser.REGISTRY_ERROR
_BUILD: Final = Raiser.BUILD_ERROR
_RESOLVE: Final = Raiser.RESOLUTION_ERROR
_LOCAL: Final = Raiser.LOCAL_EXECUTION_ERROR
_STEP: Final = Raiser.STEP_FAILURE
_CHECK: Final = Raiser.CHECKER
_SCRIPT: Final = Raiser.SCRIPT
_WARNING: Final = Raiser.SCRIPT_WARNING


class Code:
    """Every code, by constant: the attribute name is the code with ``_`` for ``-``.

    Each row is one call: the code, the class that carries it and its meaning, then its usual fix.

    Examples
    --------
    >>> Code.MC_E402_CHECKSUM_MISMATCH
    'MC-E402-CHECKSUM-MISMATCH'
    """

    # Specifications, contracts, registrations (SpecError; most are problems of a *-INVALID error)
    SPEC_INVALID: Final = _code("SPEC-INVALID", _SPEC, "a step specification breaks its invariants (one problem each)",
        "fix every listed problem of the specification (each names its code and fix)")
    SPEC_STEP_TYPE_NAMING: Final = _code("SPEC-STEP-TYPE-NAMING", _SPEC, "the step type is not PascalCase",
        "name step types like ModelCalibration")
    SPEC_LOGICAL_NAME_NAMING: Final = _code("SPEC-LOGICAL-NAME-NAMING", _SPEC, "a dependency or output logical name is not snake_case",
        "name logical inputs and outputs like evaluation_data")
    SPEC_DUPLICATE_DEPENDENCY: Final = _code("SPEC-DUPLICATE-DEPENDENCY", _SPEC, "two dependencies share a logical name",
        "declare each dependency once")
    SPEC_DUPLICATE_OUTPUT: Final = _code("SPEC-DUPLICATE-OUTPUT", _SPEC, "two outputs share a logical name",
        "declare each output once")
    SPEC_DUPLICATE_ALIAS: Final = _code("SPEC-DUPLICATE-ALIAS", _SPEC, "an alias is used twice (case-insensitively)",
        "give each alias to one output only")
    SPEC_ALIAS_SHADOWS_OUTPUT: Final = _code("SPEC-ALIAS-SHADOWS-OUTPUT", _SPEC, "an alias equals another output's logical name (case-insensitively)",
        "choose an alias no other output is named")
    SPEC_PROPERTY_PATH: Final = _code("SPEC-PROPERTY-PATH", _SPEC, "an output's property path does not start with lowercase properties. or cannot be read",
        "write it as in the SageMaker API, e.g. properties.ProcessingOutputConfig.Outputs['name'].S3Output.S3Uri")
    SPEC_NODE_TYPE: Final = _code("SPEC-NODE-TYPE", _SPEC, "the dependencies or outputs contradict the node type",
        "match the node type: a source has no dependencies, a sink no outputs, internal both")
    SPEC_UNKNOWN_DEPENDENCY: Final = _code("SPEC-UNKNOWN-DEPENDENCY", _SPEC, "the specification has no dependency of that name",
        "use one of the specification's dependency names")
    SPEC_UNKNOWN_OUTPUT: Final = _code("SPEC-UNKNOWN-OUTPUT", _SPEC, "the specification has no output of that name",
        "use one of the specification's output names")
    PROPERTY_PATH_PREFIX: Final = _code("PROPERTY-PATH-PREFIX", _SPEC, "a property path does not start with lowercase properties.",
        "write it as in the SageMaker API, e.g. properties.ProcessingOutputConfig.Outputs['name'].S3Output.S3Uri")
    PROPERTY_PATH_SYNTAX: Final = _code("PROPERTY-PATH-SYNTAX", _SPEC, "a property path cannot be read, or names no property",
        "use .Attribute, ['key'] and [0] parts only")
    PROPERTY_PATH_UNRESOLVED: Final = _code("PROPERTY-PATH-UNRESOLVED", _SPEC, "a property path does not resolve against the SageMaker step's properties",
        "check the property path against the step type's properties")
    CONTRACT_INVALID: Final = _code("CONTRACT-INVALID", _SPEC, "a script contract breaks its invariants (one problem each)",
        "fix every listed problem of the contract (each names its code and fix)")
    CONTRACT_ENTRY_POINT_NAMING: Final = _code("CONTRACT-ENTRY-POINT-NAMING", _SPEC, "the entry point is not a snake_case .py file",
        "name scripts like model_calibration.py")
    CONTRACT_LOGICAL_NAME_NAMING: Final = _code("CONTRACT-LOGICAL-NAME-NAMING", _SPEC, "an input or output logical name is not snake_case",
        "name logical inputs and outputs like evaluation_data")
    CONTRACT_MISSING_PATH: Final = _code("CONTRACT-MISSING-PATH", _SPEC, "a member of a logical-name enum has no container path",
        "give every logical input and output a container path")
    CONTRACT_CONTAINER_PATH: Final = _code("CONTRACT-CONTAINER-PATH", _SPEC, "a container path is not a normalised path below the container root",
        "use a normalised folder under the container's processing root (the message names it)")
    CONTRACT_DUPLICATE_PATH: Final = _code("CONTRACT-DUPLICATE-PATH", _SPEC, "two logical names share one container path",
        "give each logical input and output its own folder")
    CONTRACT_ENV_VAR_NAMING: Final = _code("CONTRACT-ENV-VAR-NAMING", _SPEC, "an env var name is not UPPER_SNAKE_CASE",
        "name env vars like CALIBRATION_METHOD")
    CONTRACT_ENV_VAR_TWICE: Final = _code("CONTRACT-ENV-VAR-TWICE", _SPEC, "an env var is both required and optional, or listed twice",
        "declare each env var once: required, or optional with a default")
    CONTRACT_ARGUMENT: Final = _code("CONTRACT-ARGUMENT", _SPEC, "an argument is not snake_case, is repeated, clashes with a path argument or defaults off its choices",
        "declare each argument once, in snake_case, with a default among its choices")
    CONTRACT_OUTPUT_FILES: Final = _code("CONTRACT-OUTPUT-FILES", _SPEC, "files are declared for an output the contract does not have",
        "declare output files only for the contract's outputs")
    ALIGN_INPUTS: Final = _code("ALIGN-INPUTS", _SPEC, "the contract's inputs differ from the specification's dependencies",
        "declare the same logical inputs in both")
    ALIGN_OUTPUTS: Final = _code("ALIGN-OUTPUTS", _SPEC, "the contract's outputs differ from the specification's outputs",
        "declare the same logical outputs in both")
    NAMING_CONFIG_CLASS: Final = _code("NAMING-CONFIG-CLASS", _SPEC, "a step's config class is not named <StepType>Config",
        "name the class <StepType>Config")
    REGISTRATION_INVALID: Final = _code("REGISTRATION-INVALID", _SPEC, "a step registration is inconsistent (one problem each: step type, alignment, naming)",
        "fix every listed problem of the registration (each names its code and fix)")
    REGISTRATION_STEP_TYPE: Final = _code("REGISTRATION-STEP-TYPE", _SPEC, "a step is registered under another step type than its specification's",
        "register the step under its specification's step type")
    # Registry (RegistryError)
    REGISTRY_UNKNOWN_STEP: Final = _code("REGISTRY-UNKNOWN-STEP", _REGISTRY, "no step of that type is registered",
        "use one of the registered step types")
    REGISTRY_DUPLICATE_STEP: Final = _code("REGISTRY-DUPLICATE-STEP", _REGISTRY, "a step type is registered twice",
        "register each step type once")
    # Configs and the command line (ConfigError)
    CONFIG_TYPE: Final = _code("CONFIG-TYPE", _CONFIG, "a config field holds a value of the wrong type",
        "set the field to a value of its type")
    CONFIG_VALUE: Final = _code("CONFIG-VALUE", _CONFIG, "a config field holds a value outside its allowed values",
        "set the field to a value the message names")
    CONFIG_CONFLICT: Final = _code("CONFIG-CONFLICT", _CONFIG, "config fields contradict each other (one problem each)",
        "fix every listed setting")
    CLI_USAGE: Final = _code("CLI-USAGE", _CONFIG, "the command line's arguments are not what the command takes",
        "see calibration-step <command> --help")
    CONFIG_PLACEHOLDER: Final = _code("CONFIG-PLACEHOLDER", _CONFIG, "a config field still holds the placeholder config init wrote (a warning of config validate)",
        "set your own value: your name, bucket, IAM role and service")
    CLI_CONFIG_FILE: Final = _code("CLI-CONFIG-FILE", _CONFIG, "the config file given to a command does not exist",
        "write one with: calibration-step config init FILE")
    CLI_CONFIG_STEPS: Final = _code("CLI-CONFIG-STEPS", _CONFIG, "the config file holds no config, or several, of the class the command needs",
        "keep exactly one (calibration-step config init writes a complete file)")
    CLI_CONFIG_CLASS: Final = _code("CLI-CONFIG-CLASS", _CONFIG, "calibration-step config names no known config class",
        "use one of the listed config classes")
    CLI_OUTPUT_EXISTS: Final = _code("CLI-OUTPUT-EXISTS", _CONFIG, "a command would overwrite an existing file",
        "pass --overwrite, or choose another path")
    CLI_APPLY_FORMAT: Final = _code("CLI-APPLY-FORMAT", _CONFIG, "calibration-step apply was given a file that is not csv, tsv or parquet",
        "use one of the extensions .csv, .parquet, .pq, .tsv")
    CLI_APPLY_COLUMN: Final = _code("CLI-APPLY-COLUMN", _CONFIG, "the scores given to calibration-step apply lack a score column",
        "name the score column with --score_field (binary calibrators)")
    CLI_APPLY_INPUT: Final = _code("CLI-APPLY-INPUT", _CONFIG, "the input of calibration-step apply is not a file",
        "give a file of scores")
    CLI_APPLY_OUTPUT_EXISTS: Final = _code("CLI-APPLY-OUTPUT-EXISTS", _CONFIG, "the output of calibration-step apply exists",
        "pass --overwrite, or choose another --output")
    CLI_DEMO_OUTPUT: Final = _code("CLI-DEMO-OUTPUT", _CONFIG, "the demo output exists and is not an empty folder",
        "give a new or empty folder with --output, or leave it out for a new one")
    CLI_RUN_OUTPUT: Final = _code("CLI-RUN-OUTPUT", _CONFIG, "calibration-step run has no folder for an output",
        "give --output DIR (outputs go to DIR/<logical_name>) or --<logical_name> DIR")
    CLI_REPORT_INPUT: Final = _code("CLI-REPORT-INPUT", _CONFIG, "calibration-step report found no readable metrics.json in the folder given",
        "give the metrics_output folder of a finished run (it holds metrics.json)")
    CLI_APPLY_READ: Final = _code("CLI-APPLY-READ", _CONFIG, "calibration-step apply cannot read its input (empty, truncated, malformed or not UTF-8)",
        "give a valid UTF-8 csv/tsv or a complete parquet file")
    CLI_APPLY_OUTPUT: Final = _code("CLI-APPLY-OUTPUT", _CONFIG, "calibration-step apply cannot write its output (a folder, under a file, or not writable)",
        "name a file in a writable folder with --output")
    CLI_CONFIG_ENCODING: Final = _code("CLI-CONFIG-ENCODING", _CONFIG, "a config file given to a command is not UTF-8 text, or cannot be read",
        "save the config file as UTF-8 (calibration-step config init writes one)")
    # JSON documents (SerializationError)
    SERIALIZATION_JSON: Final = _code("SERIALIZATION-JSON", _SERIAL, "the text is not valid JSON",
        "check the file is the JSON this package wrote")
    SERIALIZATION_INVALID: Final = _code("SERIALIZATION-INVALID", _SERIAL, "JSON that does not structure into the expected type (problems name the JSON paths)",
        "fix every listed field; each line names its JSON path")
    SERIALIZATION_UNKNOWN_KEY: Final = _code("SERIALIZATION-UNKNOWN-KEY", _SERIAL, "a config file has a key its class does not have",
        "remove the key")
    SERIALIZATION_MISSING_KEY: Final = _retired("SERIALIZATION-MISSING-KEY", _SERIAL, "a config file lacks a key this package writes (now reported as a required field by SERIALIZATION-INVALID)",
        "the file must hold every key this package writes")
    SERIALIZATION_SCHEMA_VERSION: Final = _code("SERIALIZATION-SCHEMA-VERSION", _SERIAL, "a config file has another schema version",
        "save the configs again with this package")
    SERIALIZATION_UNKNOWN_CLASS: Final = _code("SERIALIZATION-UNKNOWN-CLASS", _SERIAL, "a config file names a config class not allowed",
        "use one of the allowed config classes")
    SERIALIZATION_DUPLICATE_KEY: Final = _code("SERIALIZATION-DUPLICATE-KEY", _SERIAL, "a key is both shared and step-specific",
        "keep the key in one place")
    SERIALIZATION_UNSAVABLE: Final = _code("SERIALIZATION-UNSAVABLE", _SERIAL, "configs cannot be saved: a step name is invalid or a class is not allowed",
        "rename the step, or pass its class in classes")
    SERIALIZATION_UNVALIDATED: Final = _code("SERIALIZATION-UNVALIDATED", _SERIAL, "attrs validators are disabled globally, so configs would load unvalidated",
        "call attrs.validators.set_disabled(False) first")
    SERIALIZATION_REPEATED_KEY: Final = _code("SERIALIZATION-REPEATED-KEY", _SERIAL, "a JSON object of a config file names a key twice (JSON would keep the last one silently)",
        "write each key once in every object; the problem names the object's JSON path")
    SERIALIZATION_JSON_LIMIT: Final = _code("SERIALIZATION-JSON-LIMIT", _SERIAL, "a config file nests arrays and objects more than 64 deep, or holds a number that is not a finite float (NaN, Infinity, 1e400, an integer of 2**63 or more)",
        "check the file is the JSON this package wrote; the problem names the JSON path")
    # Building steps and pipelines (BuildError)
    BUILD_ARGUMENT_CHOICE: Final = _code("BUILD-ARGUMENT-CHOICE", _BUILD, "a script argument's value is not one of its choices",
        "pick one of the listed values")
    BUILD_CACHE_EXPIRY: Final = _code("BUILD-CACHE-EXPIRY", _BUILD, "the cache expiry is not an ISO 8601 duration",
        "write a duration starting with P, such as P30D or PT12H")
    BUILD_CHANNEL_CLASH: Final = _code("BUILD-CHANNEL-CLASH", _BUILD, "a step uses an input or output channel name twice",
        "give each channel its own name; code and requirements are reserved for the script")
    BUILD_ENVIRONMENT: Final = _code("BUILD-ENVIRONMENT", _BUILD, "the environment misses a required env var or sets one the contract does not declare",
        "set exactly the contract's env vars (every required one)")
    BUILD_IMAGE_URI: Final = _code("BUILD-IMAGE-URI", _BUILD, "the SDK knows no scikit-learn image for these settings",
        "use a framework version the SDK knows (e.g. '1.4-2'), a CPU instance type, or set image_uri")
    BUILD_INPUT_SOURCE: Final = _code("BUILD-INPUT-SOURCE", _BUILD, "an input's source is not an S3 URI or a pipeline value",
        "pass an s3:// URI, a StringParameter, a Join or a SageMaker pipeline variable")
    BUILD_MISSING_ARGUMENT: Final = _code("BUILD-MISSING-ARGUMENT", _BUILD, "a required script argument was not given",
        "give it a value")
    BUILD_MISSING_INPUT: Final = _code("BUILD-MISSING-INPUT", _BUILD, "a required input has no source",
        "pass an S3 URI or an upstream step's output for it")
    BUILD_NAME: Final = _code("BUILD-NAME", _BUILD, "a name has no letter or digit left after sanitising",
        "use letters, digits and hyphens")
    BUILD_NETWORK_ISOLATION: Final = _code("BUILD-NETWORK-ISOLATION", _BUILD, "a network-isolated job would install its requirements with pip",
        "use an image that already has the requirements and give no requirements file")
    BUILD_OUTPUT_PATH: Final = _code("BUILD-OUTPUT-PATH", _BUILD, "a part of an output destination is not snake_case",
        "use lowercase letters, digits and underscores")
    BUILD_PIPELINE_DEFINITION: Final = _code("BUILD-PIPELINE-DEFINITION", _BUILD, "SageMaker could not serialise the pipeline",
        "check that every referenced step is in the pipeline and every input is an S3 URI or pipeline value")
    BUILD_PIPELINE_PARAMETER: Final = _code("BUILD-PIPELINE-PARAMETER", _BUILD, "a pipeline parameter is given more than once",
        "pass each parameter once (steps sharing a parameter share the same value)")
    BUILD_PIPELINE_PARAMETER_UNDECLARED: Final = _code("BUILD-PIPELINE-PARAMETER-UNDECLARED", _BUILD, "a step reads a pipeline parameter the pipeline does not declare",
        "pass every parameter the steps use, e.g. default_execution_prefix(config) for ExecutionPrefix")
    BUILD_S3_URI: Final = _code("BUILD-S3-URI", _BUILD, "a value is not a valid S3 URI (scheme, bucket name, relative segment or control character)",
        "pass an s3://bucket/key URI; local paths are not uploaded")
    BUILD_SCRIPT_MISSING: Final = _code("BUILD-SCRIPT-MISSING", _BUILD, "the installed package lacks a shipped script file",
        "reinstall calibration_step; the script ships as package data")
    BUILD_SCRIPT_URI: Final = _code("BUILD-SCRIPT-URI", _BUILD, "the script URI names no .py file, or the requirements URI names no file",
        "point it at the object, e.g. s3://bucket/prefix/code/model_calibration.py")
    BUILD_SCRIPT_REQUIRED: Final = _code("BUILD-SCRIPT-REQUIRED", _BUILD, "a step that runs the user's own script has no script_uri",
        "upload your script and set the step config's script_uri to its s3:// URI")
    BUILD_SCRIPT_URI_OVERRIDDEN: Final = _code("BUILD-SCRIPT-URI-OVERRIDDEN", _BUILD, "the shipped script is not uploaded over a user's script_uri",
        "upload your own script yourself, or unset script_uri to use the shipped one")
    BUILD_EXECUTION_ARN: Final = _code("BUILD-EXECUTION-ARN", _BUILD, "a value is not the ARN of a pipeline execution",
        "pass the PipelineExecutionArn that start_execution returned")
    BUILD_EXECUTION_TIMEOUT: Final = _code("BUILD-EXECUTION-TIMEOUT", _BUILD, "a pipeline execution did not finish within the time waited",
        "wait longer (timeout_seconds), or look at the execution in SageMaker Studio")
    BUILD_EXECUTION_METRICS: Final = _code("BUILD-EXECUTION-METRICS", _BUILD, "an execution's metrics.json is missing or not a JSON object",
        "check that the execution's calibration step succeeded and the execution prefix is the one it ran with")
    BUILD_UNKNOWN_ARGUMENT: Final = _code("BUILD-UNKNOWN-ARGUMENT", _BUILD, "an argument is given that the contract does not declare",
        "use one of the contract's arguments")
    BUILD_UNKNOWN_INPUT: Final = _code("BUILD-UNKNOWN-INPUT", _BUILD, "an input is given that the specification does not declare",
        "use one of the specification's dependencies")
    BUILD_SHARDING: Final = _code("BUILD-SHARDING", _BUILD, "the sharded steps were asked of a config without sharding, or the single step of one with it",
        "set sharding=ShardingConfig(instance_count=N) for the three sharded steps, or leave it unset for the single step")
    # Wiring steps into a DAG (ResolutionError)
    RESOLUTION_DAG: Final = _code("RESOLUTION-DAG", _RESOLVE, "the DAG's step names are empty or repeated, or its upstreams unknown or self-loops",
        "fix every listed problem: unique non-empty step names, known upstreams, no self-loops")
    RESOLUTION_CYCLE: Final = _code("RESOLUTION-CYCLE", _RESOLVE, "the steps form a cycle",
        "remove an upstream declaration or explicit edge on the cycle")
    RESOLUTION_WIRING: Final = _code("RESOLUTION-WIRING", _RESOLVE, "an edge or binding names an unknown step, output or dependency, binds a bad value or repeats an input",
        "fix every listed edge and binding (each names its fix)")
    RESOLUTION_UNRESOLVED: Final = _code("RESOLUTION-UNRESOLVED", _RESOLVE, "a required dependency has no edge, binding or upstream output scoring above the threshold",
        "add an Edge or an ExternalBinding, or an output alias or dependency keyword that matches")
    # The local executor: a run that stops (LocalExecutionError, exit 2)
    LOCAL_DEFINITION: Final = _code("LOCAL-DEFINITION", _LOCAL, "the document is not of the shape of a pipeline definition",
        "write the part the message names as the SageMaker SDK writes it")
    LOCAL_DEFINITION_FILE: Final = _code("LOCAL-DEFINITION-FILE", _LOCAL, "the definition file is missing or holds no JSON object",
        "give the JSON file of a pipeline definition (calibration-step definition writes one)")
    LOCAL_STEP_TYPE: Final = _code("LOCAL-STEP-TYPE", _LOCAL, "a step of a type the executor does not run",
        "run steps of type Processing, Condition and Fail only")
    LOCAL_STEP_UNKNOWN: Final = _code("LOCAL-STEP-UNKNOWN", _LOCAL, "a Get or DependsOn names a step the definition lacks",
        "reference only steps of the definition")
    LOCAL_CYCLE: Final = _code("LOCAL-CYCLE", _LOCAL, "steps depend on each other in a cycle",
        "remove a Get or DependsOn so that the steps form a DAG")
    LOCAL_PARAMETER_UNDECLARED: Final = _code("LOCAL-PARAMETER-UNDECLARED", _LOCAL, "a Get reads a parameter the definition does not declare",
        "declare it under Parameters, or fix the name")
    LOCAL_PARAMETER_UNKNOWN: Final = _code("LOCAL-PARAMETER-UNKNOWN", _LOCAL, "a value is given for an undeclared parameter",
        "give values only for declared parameters")
    LOCAL_PARAMETER_MISSING: Final = _code("LOCAL-PARAMETER-MISSING", _LOCAL, "a parameter has neither a default nor a value",
        "give one: --parameter NAME=VALUE")
    LOCAL_PARAMETER_VALUE: Final = _code("LOCAL-PARAMETER-VALUE", _LOCAL, "a parameter value is not of the declared type",
        "give a value of the declared type (Boolean: true or false)")
    LOCAL_PARAMETER_TYPE: Final = _code("LOCAL-PARAMETER-TYPE", _LOCAL, "a parameter's Type is not String, Integer, Float or Boolean",
        "use one of String, Integer, Float, Boolean")
    LOCAL_EXECUTION_VARIABLE: Final = _code("LOCAL-EXECUTION-VARIABLE", _LOCAL, "a Get reads an execution variable the executor lacks",
        "use one of the execution variables the message lists")
    LOCAL_EXPRESSION: Final = _code("LOCAL-EXPRESSION", _LOCAL, "a function the executor does not evaluate, or a malformed one",
        "use Get, Std:Join and Std:JsonGet, written as the message shows")
    LOCAL_REFERENCE: Final = _code("LOCAL-REFERENCE", _LOCAL, "a Get reads something that is not available where it is evaluated",
        "reference a declared parameter, an execution variable or a step property")
    LOCAL_PATH: Final = _code("LOCAL-PATH", _LOCAL, "a property or JSON path that cannot be read or leads nowhere",
        "write names separated by dots, [N] for a list index, ['name'] for a named item")
    LOCAL_PROPERTY: Final = _code("LOCAL-PROPERTY", _LOCAL, "a Get reads a property the step will not have",
        "reference a property the step has, e.g. ProcessingOutputConfig.Outputs['<output name>'].S3Output.S3Uri")
    LOCAL_PROPERTY_FILE: Final = _code("LOCAL-PROPERTY-FILE", _LOCAL, "a JsonGet names a property file the step does not declare",
        "declare the property file under PropertyFiles of the step that writes it")
    LOCAL_CONDITION: Final = _code("LOCAL-CONDITION", _LOCAL, "a condition of unknown type or shape",
        "use a condition type the message lists, written as the SageMaker SDK writes it")
    LOCAL_UNSUPPORTED: Final = _code("LOCAL-UNSUPPORTED", _LOCAL, "a ManifestFile input or Pipe mode, which the executor does not read",
        "use an S3Prefix input (list the objects under one prefix) for a local run")
    LOCAL_REQUIREMENT_UNSUPPORTED: Final = _code("LOCAL-REQUIREMENT-UNSUPPORTED", _LOCAL, "a requirement with a marker, URL or path, or an editable install",
        "write the requirement as name and version range, e.g. pyarrow>=14,<28")
    LOCAL_WORK_DIR: Final = _code("LOCAL-WORK-DIR", _LOCAL, "the work folder cannot stand in shell commands",
        "choose a --work-dir without spaces or shell characters")
    LOCAL_S3_URI: Final = _code("LOCAL-S3-URI", _LOCAL, "not an s3:// URI of an object the store can keep",
        "write s3://bucket/key, without '..' segments and not ending with '/'")
    LOCAL_S3_MISSING: Final = _code("LOCAL-S3-MISSING", _LOCAL, "no object at an S3 URI that is read",
        "write the object first")
    # The local executor: a step that fails (StepFailure; the execution fails, exit 1)
    LOCAL_JSONGET: Final = _code("LOCAL-JSONGET", _STEP, "a property file has nothing at a JsonGet path",
        "write the value at that path, or fix the Path")
    LOCAL_JSON_DOCUMENT: Final = _code("LOCAL-JSON-DOCUMENT", _STEP, "a property file is missing or not JSON",
        "make the step that writes it write valid JSON there")
    LOCAL_CONDITION_OPERANDS: Final = _code("LOCAL-CONDITION-OPERANDS", _STEP, "an ordering of values that do not order",
        "compare values of one kind (a JsonGet gives the JSON value as written)")
    LOCAL_INSTANCE_COUNT: Final = _code("LOCAL-INSTANCE-COUNT", _STEP, "InstanceCount is not a positive integer",
        "set ProcessingResources.ClusterConfig.InstanceCount to 1 or more")
    LOCAL_LOCAL_PATH: Final = _code("LOCAL-LOCAL-PATH", _STEP, "a LocalPath outside the container's processing root",
        "choose a LocalPath under the processing root the message names")
    LOCAL_INPUT_EMPTY: Final = _code("LOCAL-INPUT-EMPTY", _STEP, "no S3 object has the prefix of an input",
        "write the data there first, or fix the S3Uri (an S3Prefix is a plain key prefix)")
    LOCAL_INPUT_KEY: Final = _code("LOCAL-INPUT-KEY", _STEP, "an object would land outside its input folder",
        "rename the object without '..' segments")
    LOCAL_ENTRYPOINT: Final = _code("LOCAL-ENTRYPOINT", _STEP, "the step has no ContainerEntrypoint",
        "give the step an explicit ContainerEntrypoint")
    LOCAL_REQUIREMENTS_FILE: Final = _code("LOCAL-REQUIREMENTS-FILE", _STEP, "no input provides a pip -r file",
        "add an input whose LocalPath holds that file")
    LOCAL_REQUIREMENT_UNMET: Final = _code("LOCAL-REQUIREMENT-UNMET", _STEP, "a requirement the step installs is not installed here, in range",
        "install it into this environment: python -m pip install '<requirement>'")
    LOCAL_IMAGE_IMPORT: Final = _code("LOCAL-IMAGE-IMPORT", _STEP, "the code imports a package its image lacks",
        "add the package to the requirements file the step installs, or use an image that has it")
    LOCAL_CODE_SYNTAX: Final = _code("LOCAL-CODE-SYNTAX", _STEP, "the step's Python code does not parse",
        "fix the code")
    LOCAL_JOB_FAILED: Final = _code("LOCAL-JOB-FAILED", _STEP, "an instance exited with a non-zero code or ran too long",
        "read the instance logs in the step's work folder")
    # Alignment checker findings (calibration-step check)
    CHECK_CRASHED: Final = _code("CHECK-CRASHED", _CHECK, "error: a check level crashed (a bug of the checker)",
        "report this: the checker should turn every problem into a finding")
    CHECK_IMPORT: Final = _code("CHECK-IMPORT", _CHECK, "error: the steps cannot be imported",
        "fix the import error")
    CHECK_NO_STEPS: Final = _code("CHECK-NO-STEPS", _CHECK, "warning: the registry holds no step, so nothing was checked",
        "register the package's steps in calibration_step.steps.default_registry()")
    CHECK_NOT_CHECKED: Final = _code("CHECK-NOT-CHECKED", _CHECK, "info: a check could not run; the message says why",
        "provide what the message names (a module, an example config, the scripts' folder)")
    CHECK_ROOT: Final = _code("CHECK-ROOT", _CHECK, "error: the --root tree is not a project tree, or its checker failed",
        "pass the root of a calibration_step project tree (the folder holding setup.cfg)")
    SCRIPT_NOT_FOUND: Final = _code("SCRIPT-NOT-FOUND", _CHECK, "error: the contract's entry point cannot be read",
        "put the script into the scripts' folder, or fix the contract's entry_point")
    SCRIPT_SYNTAX: Final = _code("SCRIPT-SYNTAX", _CHECK, "error: the script does not parse",
        "fix the syntax error")
    SCRIPT_USER_PROVIDED: Final = _code("SCRIPT-USER-PROVIDED", _CHECK, "info: the step runs the user's own script; the package ships no copy to analyse",
        "check that script against the contract in its own repository")
    SCRIPT_ENV_UNDECLARED: Final = _code("SCRIPT-ENV-UNDECLARED", _CHECK, "error: the script reads an env var the contract lacks",
        "declare it in the contract (required, or optional with its default)")
    SCRIPT_ENV_REQUIRED_UNREAD: Final = _code("SCRIPT-ENV-REQUIRED-UNREAD", _CHECK, "error: the contract requires an env var the script never reads",
        "read it in the script, or remove it from the contract's required env vars")
    SCRIPT_ENV_OPTIONAL_UNREAD: Final = _code("SCRIPT-ENV-OPTIONAL-UNREAD", _CHECK, "warning: the contract declares an optional env var the script never reads",
        "read it in the script, or remove it from the contract")
    SCRIPT_ENV_DEFAULT: Final = _code("SCRIPT-ENV-DEFAULT", _CHECK, "error: the script's default for an optional env var differs from the contract's",
        "use one default: the contract's optional_env_vars value is the one users read")
    SCRIPT_ENV_DYNAMIC: Final = _code("SCRIPT-ENV-DYNAMIC", _CHECK, "warning: the script reads env vars whose names the checker cannot resolve",
        "name env vars with string literals or module-level constants")
    SCRIPT_ARGUMENT_UNDECLARED: Final = _code("SCRIPT-ARGUMENT-UNDECLARED", _CHECK, "error: the script parses a flag the contract does not declare",
        "declare it in the contract's arguments (or as a logical input/output), or remove it")
    SCRIPT_ARGUMENT_UNREAD: Final = _code("SCRIPT-ARGUMENT-UNREAD", _CHECK, "error: the contract declares a flag the script never parses",
        "add parser.add_argument for it to the script, or remove it from the contract")
    SCRIPT_ARGUMENT_MISMATCH: Final = _code("SCRIPT-ARGUMENT-MISMATCH", _CHECK, "error: a flag's choices, default or required differ between script and contract",
        "make the script's add_argument agree with the contract and specification")
    SCRIPT_ARGUMENT_DYNAMIC: Final = _code("SCRIPT-ARGUMENT-DYNAMIC", _CHECK, "warning: the script adds arguments whose flags the checker cannot resolve",
        "write each flag as a string literal or module-level constant")
    SCRIPT_LOGICAL_NAME: Final = _code("SCRIPT-LOGICAL-NAME", _CHECK, "error: an INPUT_*/OUTPUT_* constant holds a name that is not one of the contract's",
        "use the contract's logical names; paths arrive as --<logical_name> arguments")
    SCRIPT_CONTAINER_PATH: Final = _code("SCRIPT-CONTAINER-PATH", _CHECK, "error: the script spells a container path, which only the contract may hold",
        "take the path from the --<logical_name> argument the builder passes")
    SCRIPT_OUTPUT_FILE_UNWRITTEN: Final = _code("SCRIPT-OUTPUT-FILE-UNWRITTEN", _CHECK, "error: a declared output file appears nowhere in the script",
        "write the file in the script, or remove it from the contract's output_files")
    SCRIPT_OUTPUT_FILE_UNSEEN: Final = _code("SCRIPT-OUTPUT-FILE-UNSEEN", _CHECK, "warning: a declared output file is named, but no write into its output was recognised",
        "build the path in one call naming both, e.g. os.path.join(outputs[OUTPUT_X], FILE)")
    SCRIPT_OUTPUT_FILE_UNDECLARED: Final = _code("SCRIPT-OUTPUT-FILE-UNDECLARED", _CHECK, "error: the script writes a file into an output that does not declare it",
        "add the file to the contract's output_files, or stop writing it")
    SCRIPT_FILE_CONSTANT: Final = _code("SCRIPT-FILE-CONSTANT", _CHECK, "warning: a *_FILE constant names a file no output declares",
        "declare the file in the contract's output_files, or rename the constant")
    SCRIPT_IMPORT_UNDECLARED: Final = _code("SCRIPT-IMPORT-UNDECLARED", _CHECK, "error (warning if optional): the script imports a distribution the contract does not require",
        "add the distribution with a version specifier to framework_requirements")
    SCRIPT_REQUIREMENT_UNUSED: Final = _code("SCRIPT-REQUIREMENT-UNUSED", _CHECK, "warning: a framework requirement the script never imports",
        "import it where it is needed, or remove it from framework_requirements")
    SCRIPT_REQUIREMENTS_TXT: Final = _code("SCRIPT-REQUIREMENTS-TXT", _CHECK, "error: a requirements.txt line is unreadable, undeclared or pinned unlike the contract",
        "use the contract's framework_requirements and version specifiers in requirements.txt")
    SCRIPT_REQUIREMENT_FROM_IMAGE: Final = _code("SCRIPT-REQUIREMENT-FROM-IMAGE", _CHECK, "info: a framework requirement requirements.txt does not install",
        "make sure the processing image provides it, or add it to requirements.txt")
    SCRIPT_IMPORTS_PACKAGE: Final = _code("SCRIPT-IMPORTS-PACKAGE", _CHECK, "error: the script imports calibration_step, which SageMaker does not upload with it",
        "keep the script self-contained; pass values through arguments and env vars")
    SPEC_PROPERTY_PATH_OUTPUT: Final = _code("SPEC-PROPERTY-PATH-OUTPUT", _CHECK, "error: an output's property path names another output by key",
        "use the output's own logical name as the key")
    DEPENDENCY_SATISFIED: Final = _code("DEPENDENCY-SATISFIED", _CHECK, "info: a dependency is satisfied by a registered output (score and evidence)",
        "nothing to do")
    DEPENDENCY_EXTERNAL: Final = _code("DEPENDENCY-EXTERNAL", _CHECK, "info: no registered step can provide a dependency; it is an external input",
        "bind it to a pipeline parameter or S3 URI, or register a compatible source step")
    DEPENDENCY_TYPE: Final = _code("DEPENDENCY-TYPE", _CHECK, "error: no output of the registered compatible sources has a type the dependency accepts",
        "make the dependency type and the source's output type the same or compatible")
    DEPENDENCY_UNSATISFIED: Final = _code("DEPENDENCY-UNSATISFIED", _CHECK, "error: no type-compatible registered output scores above the threshold",
        "give the output an alias equal to the dependency's name, or add matching semantic keywords")
    PROPERTY_PATH_CAPITALISED: Final = _code("PROPERTY-PATH-CAPITALISED", _CHECK, "error: a property path starts with Properties.",
        "write it as in the SageMaker API (lowercase properties.)")
    PROPERTY_PATH_STEP_TYPE: Final = _code("PROPERTY-PATH-STEP-TYPE", _CHECK, "error: a property path is not a runtime property of the SageMaker step type",
        "write it as in the SageMaker API for that step type")
    BUILDER_ENV_MISSING: Final = _code("BUILDER-ENV-MISSING", _CHECK, "error: the contract requires an env var the builder does not send",
        "make the builder set it from the config")
    BUILDER_ENV_UNDECLARED: Final = _code("BUILDER-ENV-UNDECLARED", _CHECK, "error: the builder sends an env var the contract does not declare",
        "declare it in the contract, or stop sending it")
    BUILDER_ARGUMENT_MISSING: Final = _code("BUILDER-ARGUMENT-MISSING", _CHECK, "error: a required or path argument of the contract is not sent by the builder",
        "make the builder pass it")
    BUILDER_ARGUMENT_UNDECLARED: Final = _code("BUILDER-ARGUMENT-UNDECLARED", _CHECK, "error: the builder sends a flag the contract does not declare",
        "declare it in the contract, or stop sending it")
    BUILDER_ARGUMENT_VALUE: Final = _code("BUILDER-ARGUMENT-VALUE", _CHECK, "error: an argument's value is not one of its choices, or not the contract's path",
        "send one of the contract's choices; take path arguments from the contract")
    BUILDER_CHANNEL: Final = _code("BUILDER-CHANNEL", _CHECK, "error: a processing channel is undeclared, missing or at another container path",
        "add one channel per logical name, at the contract's container path")
    BUILDER_FAILED: Final = _code("BUILDER-FAILED", _CHECK, "error: the example config cannot be made, or the builder raised on it",
        "fix the builder or example_config()")
    # The processing script (CalibrationScriptError): 1xx settings
    MC_E101_INVALID_ENV: Final = _code("MC-E101-INVALID-ENV", _SCRIPT, "an environment variable has a bad value",
        "set it to one of the values the message names")
    MC_E102_MULTICLASS_UNSUPPORTED: Final = _retired("MC-E102-MULTICLASS-UNSUPPORTED", _SCRIPT, "multi-class calibration was refused by an earlier script; it is supported now",
        "none")
    MC_E103_MISSING_PATH: Final = _code("MC-E103-MISSING-PATH", _SCRIPT, "a logical input or output path was not given (a validation or testing job: calibration_model)",
        "pass --<logical_name> DIR")
    MC_E104_INVALID_JOB_TYPE: Final = _code("MC-E104-INVALID-JOB-TYPE", _SCRIPT, "job_type is not one of the four job types",
        "use one of calibration, training, validation, testing")
    MC_E105_MODE_CONFLICT: Final = _code("MC-E105-MODE-CONFLICT", _SCRIPT, "environment variables contradict each other",
        "change one of the two settings the message names")
    MC_E106_STOPPED: Final = _code("MC-E106-STOPPED", _SCRIPT, "the job was stopped by SIGTERM (what SageMaker sends on a stop) before it completed; its staging and temporary folders were removed",
        "run the job again; nothing of the stopped run was published")
    MC_E107_INVALID_PHASE: Final = _code("MC-E107-INVALID-PHASE", _SCRIPT, "phase is not one of all, statistics, fit, apply",
        "use one of all, statistics, fit, apply (the sharded steps pass it)")
    # 2xx input data
    MC_E201_NO_INPUT_FILES: Final = _code("MC-E201-NO-INPUT-FILES", _SCRIPT, "the input path is missing or holds no data file",
        "pass the folder or file holding the evaluation data")
    MC_E202_UNSUPPORTED_FORMAT: Final = _code("MC-E202-UNSUPPORTED-FORMAT", _SCRIPT, "a file given directly has an unknown extension",
        "use a csv, tsv, parquet or json data file, or a .tar.gz archive of them")
    MC_E203_READ_FAILED: Final = _code("MC-E203-READ-FAILED", _SCRIPT, "a data file or archive could not be read",
        "check the file's format and content")
    MC_E204_SCHEMA_MISMATCH: Final = _code("MC-E204-SCHEMA-MISMATCH", _SCRIPT, "shards have different columns, or a file repeats a column name",
        "give every column a unique name; all shards must share one schema")
    MC_E205_MISSING_COLUMN: Final = _code("MC-E205-MISSING-COLUMN", _SCRIPT, "a score, label or weight column is absent",
        "name existing columns in SCORE_FIELD, LABEL_FIELD and WEIGHT_FIELD")
    MC_E206_NON_NUMERIC_SCORE: Final = _code("MC-E206-NON-NUMERIC-SCORE", _SCRIPT, "a score column is not numeric",
        "scores must be numbers (probabilities or margins)")
    MC_E207_SCORE_OUT_OF_RANGE: Final = _code("MC-E207-SCORE-OUT-OF-RANGE", _SCRIPT, "a score is outside [0, 1] (probability space) or infinite",
        "set SCORE_SPACE=logit for raw margins, or fix the scores")
    MC_E208_INVALID_LABEL: Final = _code("MC-E208-INVALID-LABEL", _SCRIPT, "a label is not binary, or (multi-class) not one of the categories",
        "map a binary task's two labels (-1/1, yes/no) to 0/1 upstream; for multi-class, list every label value in MULTICLASS_CATEGORIES (or NUM_CLASSES)")
    MC_E209_UNSAFE_ARCHIVE: Final = _code("MC-E209-UNSAFE-ARCHIVE", _SCRIPT, "an archive member is absolute, has .., or is a link or special file",
        "rebuild the archive with relative paths and regular files only")
    MC_E210_NO_ROWS: Final = _code("MC-E210-NO-ROWS", _SCRIPT, "no row is left after dropping missing values, or the kept rows weigh 0",
        "check the score, label and weight columns and their missing values")
    MC_E211_INVALID_WEIGHT: Final = _code("MC-E211-INVALID-WEIGHT", _SCRIPT, "the weight column is non-numeric, negative or infinite",
        "weights must be finite numbers >= 0")
    MC_E212_ARCHIVE_TOO_LARGE: Final = _code("MC-E212-ARCHIVE-TOO-LARGE", _SCRIPT, "an input archive extracts to more than a limit (total, per member, expansion ratio or member count)",
        "split the data into several archives or plain files")
    MC_E213_SCRATCH_WRITE_FAILED: Final = _code("MC-E213-SCRATCH-WRITE-FAILED", _SCRIPT, "extracting an input archive failed to write (a full or read-only scratch disk)",
        "give the job more local disk, or pass plain files instead of an archive")
    MC_E214_NOT_A_REGULAR_FILE: Final = _code("MC-E214-NOT-A-REGULAR-FILE", _SCRIPT, "an input data file is a FIFO, a device, a socket or another special file (never opened)",
        "put regular files in the input folder")
    MC_E215_LINK_OUTSIDE_INPUT: Final = _code("MC-E215-LINK-OUTSIDE-INPUT", _SCRIPT, "a symbolic link in the input folder resolves outside it",
        "copy the file into the input folder instead of linking to it")
    MC_E216_FILE_NAME_ENCODING: Final = _code("MC-E216-FILE-NAME-ENCODING", _SCRIPT, "an input file name is not valid UTF-8 (it cannot be recorded in the outputs)",
        "rename the file with a UTF-8 name")
    MC_E217_STATISTICS_INVALID: Final = _code("MC-E217-STATISTICS-INVALID", _SCRIPT, "a fit phase found no statistics file, an unreadable one, or one data file in two of them",
        "pass the calibration_output of this run's statistics step, alone, as evaluation_data")
    # 3xx fitting
    MC_E301_SINGLE_CLASS: Final = _code("MC-E301-SINGLE-CLASS", _SCRIPT, "the rows to fit hold a single class (one-vs-rest: a class with no row, or every row)",
        "provide rows of every class (at least 2 each with folds), or lower CALIBRATION_FOLDS")
    MC_E302_MISSING_LIBRARY: Final = _code("MC-E302-MISSING-LIBRARY", _SCRIPT, "a required library is not installed (scikit-learn for isotonic, scipy for temperature, vector and dirichlet)",
        "install the requirements in requirements.txt")
    MC_E303_FIT_FAILED: Final = _code("MC-E303-FIT-FAILED", _SCRIPT, "the fit produced non-finite parameters, or dirichlet was asked for more than 100 classes (auto skips such a candidate and records it)",
        "check the score distribution, or choose another method or AUTO_CANDIDATES")
    MC_E304_FIT_NOT_CONVERGED: Final = _code("MC-E304-FIT-NOT-CONVERGED", _SCRIPT, "a platt, beta or gam fit did not converge (auto drops such a candidate and records it)",
        "choose another method (isotonic needs no iterations), or CALIBRATION_METHOD=auto")
    MC_E305_FIT_DEGENERATE: Final = _code("MC-E305-FIT-DEGENERATE", _SCRIPT, "a platt, beta or gam fit is degenerate: runaway parameters (log-odds beyond 1e3 on the fitted scores, from a slope beyond 1e3 or a gam curve) or a constant output on scores that rank significantly against the labels (auto drops such a candidate and records it)",
        "choose isotonic, or CALIBRATION_METHOD=auto; check that the scores carry signal and do not separate the labels")
    # 4xx calibrator files
    MC_E401_CALIBRATOR_INVALID: Final = _code("MC-E401-CALIBRATOR-INVALID", _SCRIPT, "a calibrator JSON is malformed, of the wrong kind, or holds a value outside its range",
        "use a calibrator.json written by this script, unmodified")
    MC_E402_CHECKSUM_MISMATCH: Final = _code("MC-E402-CHECKSUM-MISMATCH", _SCRIPT, "a calibrator JSON's checksum does not match its content",
        "the file was modified or truncated; use the file written by the script")
    MC_E403_SCHEMA_VERSION: Final = _code("MC-E403-SCHEMA-VERSION", _SCRIPT, "a calibrator JSON has an unsupported schema version",
        "refit with a matching script version")
    MC_E404_INVALID_SCORES: Final = _code("MC-E404-INVALID-SCORES", _SCRIPT, "scores to apply are NaN, infinite, outside the score space or of the wrong shape",
        "pass finite scores in the calibrator's score space, one column per category")
    MC_E405_CALIBRATOR_MISMATCH: Final = _code("MC-E405-CALIBRATOR-MISMATCH", _SCRIPT, "the given calibrator's mode, columns or score space differ from the job's",
        "pass the calibrator.json fitted for these columns and this mode")
    MC_E406_NO_CALIBRATOR_FILE: Final = _code("MC-E406-NO-CALIBRATOR-FILE", _SCRIPT, "calibration_model holds no calibrator.json, or several",
        "pass the calibration_output folder (holding one calibrator.json) of a calibration job")
    MC_E407_CALIBRATOR_OUTPUTS: Final = _code("MC-E407-CALIBRATOR-OUTPUTS", _SCRIPT, "a calibrator JSON whose fields are each in range computes outputs that are not finite probabilities (NaN, infinite, outside [0, 1], or class rows not summing to 1) on the probe scores",
        "use a calibrator.json written by this script, unmodified")
    # 5xx outputs
    MC_E501_OUTPUT_NOT_EMPTY: Final = _code("MC-E501-OUTPUT-NOT-EMPTY", _SCRIPT, "an output folder already holds visible entries",
        "point the output at an empty folder")
    MC_E502_WRITE_FAILED: Final = _code("MC-E502-WRITE-FAILED", _SCRIPT, "an output could not be written (an OS error, or a value that is not finite)",
        "check the output volume (space, permissions); a non-finite value is a bug: report it with the input")
    # 6xx the Package step's script (model_packaging)
    MC_E601_PACKAGE_INPUT: Final = _code("MC-E601-PACKAGE-INPUT", _SCRIPT, "a Package input is missing or empty, its model archive unreadable, or its calibrator or metrics file not a JSON object of ModelCalibration",
        "pass the trained model (model.tar.gz or its folder) and ModelCalibration's calibration_output and metrics_output")
    MC_E602_PACKAGE_MEMBER: Final = _code("MC-E602-PACKAGE-MEMBER", _SCRIPT, "the model archive holds a link, a member outside the archive, or a calibration/ folder of its own",
        "rebuild the model archive with regular files at relative paths, none under calibration/")
    MC_E503_OUTPUT_PATH_INVALID: Final = _code("MC-E503-OUTPUT-PATH-INVALID", _SCRIPT, "an output path is a file, lies under a file, or is a folder the job cannot write (read-only, immutable, no permission)",
        "point each output at a folder the job can create and write")
    MC_E504_OUTPUT_IN_USE: Final = _code("MC-E504-OUTPUT-IN-USE", _SCRIPT, "another run holds the lock of an output folder (or took it over before publishing)",
        "wait for the other run to finish, or give this run other output folders")
    MC_E505_OUTPUTS_OVERLAP: Final = _code("MC-E505-OUTPUTS-OVERLAP", _SCRIPT, "two outputs are one folder, or one lies inside another, or an output lies inside an input folder",
        "give every output its own folder, outside the input folders")
    # Warnings the script records in metrics.json and summary.json (the job still completes)
    MC_W101_MODEL_IGNORED: Final = _code("MC-W101-MODEL-IGNORED", _WARNING, "a training or calibration job was given calibration_model, which it ignores (it fits its own calibrator)",
        "leave calibration_model out, or run a validation or testing job to apply it")
    MC_W102_IN_SAMPLE_SCORES: Final = _code("MC-W102-IN-SAMPLE-SCORES", _WARNING, "a training job calibrates on the model's training rows, whose scores are in-sample and usually over-confident",
        "calibrate on a calibration or validation split the model did not see")
    MC_W103_MISSPELT_ENV: Final = _code("MC-W103-MISSPELT-ENV", _WARNING, "an environment variable the script does not read is within edit distance 2 of a setting's name, so it is probably a misspelling that left the setting at its default",
        "spell the setting's name as the message suggests, or remove the variable")
    MC_W201_UNINFORMATIVE_GATE: Final = _code("MC-W201-UNINFORMATIVE-GATE", _WARNING, "every score evaluated is the same value, so the ECE gate measures only the base rate: its pass says nothing about the scores",
        "check the score column; a constant score carries no ranking")
    MC_W202_ROWS_DROPPED: Final = _code("MC-W202-ROWS-DROPPED", _WARNING, "rows were dropped for a missing score, label or weight (missing includes the empty cell and the texts the readers take as missing, such as n/a, NA, null)",
        "check the counts in metrics.rows.dropped; fill or remove the missing values")

    # warnings recorded in metrics.json (MC-W<stage><nn>): 3xx fitting
    MC_W301_CONSTANT_SCORES: Final = _code("MC-W301-CONSTANT-SCORES", _WARNING, "every score to fit is the same, so the platt, beta or gam calibrator is the constant base rate",
        "check the score column; a constant score carries no ranking")
    MC_W302_CANDIDATE_DROPPED: Final = _code("MC-W302-CANDIDATE-DROPPED", _WARNING, "auto dropped a candidate whose fit failed, did not converge or was degenerate, or, multi-class, a one-vs-rest candidate one of whose classes had no row (or every row) among its training rows (its code is in the message and in the selection)",
        "none needed; name other AUTO_CANDIDATES to avoid it")
    MC_W303_NO_MONOTONE_SIGNAL: Final = _code("MC-W303-NO-MONOTONE-SIGNAL", _WARNING, "the platt, beta or gam fit found no increasing relation between the scores and the labels (the scores' rank AUC is not significantly below 0.5), so the calibrator is the constant base rate",
        "check that the score column is the model's score for this label; where the scores carry no signal the base rate is the calibrated answer")


CODES: Final[tuple[CodeEntry, ...]] = tuple(_ENTRIES)
"""The table: every code, in the order of :class:`Code`."""
