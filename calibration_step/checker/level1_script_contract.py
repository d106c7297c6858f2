"""Level 1: the processing script agrees with its script contract (static analysis only).

Rules (each finding names its code):

- Env vars. ``SCRIPT-ENV-UNDECLARED`` (error): the script reads an env var the contract does not
  declare. ``SCRIPT-ENV-REQUIRED-UNREAD`` (error): the contract requires one the script never
  reads. ``SCRIPT-ENV-OPTIONAL-UNREAD`` (warning): an optional one is never read.
  ``SCRIPT-ENV-DEFAULT`` (error): the script's default for an optional env var differs from the
  contract's. ``SCRIPT-ENV-DYNAMIC`` (warning): a read whose name the checker cannot resolve.
- Arguments. ``SCRIPT-ARGUMENT-UNDECLARED`` / ``SCRIPT-ARGUMENT-UNREAD`` (errors): the
  ``add_argument`` flags differ from the contract's flags (declared arguments, and
  ``--<logical_name>`` for every input and output when ``path_arguments``).
  ``SCRIPT-ARGUMENT-MISMATCH`` (error): choices, default or required differ (a path argument of
  an optional dependency must not be required). ``SCRIPT-ARGUMENT-DYNAMIC`` (warning).
- Paths. ``SCRIPT-LOGICAL-NAME`` (error): a constant ``INPUT_<X>``/``OUTPUT_<X>`` holds a name
  that is not one of the contract's inputs/outputs. ``SCRIPT-CONTAINER-PATH`` (error): a string
  spells a container path (``/opt/ml...``); the contract owns them. The module that defines the
  contract's names (the step's interface, shipped beside the script) is exempt: it is the
  contract's one definition, so the checker reads it only to resolve the names the script imports.
- Requirements (:mod:`.requirements`): ``SCRIPT-IMPORT-UNDECLARED``,
  ``SCRIPT-REQUIREMENT-UNUSED``, ``SCRIPT-REQUIREMENTS-TXT``, ``SCRIPT-IMPORTS-PACKAGE``.
- Output files: ``SCRIPT-OUTPUT-FILE-UNWRITTEN`` (error): a declared file name appears nowhere
  in the script. ``SCRIPT-OUTPUT-FILE-UNSEEN`` (warning): it appears, but no write into its
  output was recognised. ``SCRIPT-OUTPUT-FILE-UNDECLARED`` (error): the script writes a file into
  an output that the contract does not declare there. ``SCRIPT-FILE-CONSTANT`` (warning): a
  ``*_FILE`` constant names a file that no output declares and that is never written.
- ``SCRIPT-NOT-FOUND`` / ``SCRIPT-SYNTAX`` (errors): nothing else can be checked.

Examples
--------
>>> import enum
>>> from calibration_step.contract import ScriptContract
>>> class In(enum.Enum):
...     DATA = "data"
>>> class Out(enum.Enum):
...     RESULT = "result"
>>> class Env(enum.Enum):
...     LABEL_FIELD = "LABEL_FIELD"
>>> contract: ScriptContract[In, Out, Env] = ScriptContract(entry_point="demo.py",
...     input_paths={In.DATA: "/opt/ml/processing/input/data"},
...     output_paths={Out.RESULT: "/opt/ml/processing/output/result"},
...     required_env_vars=(Env.LABEL_FIELD,))
>>> source = '''
... import os
... def main(environ):
...     return environ["LABEL_FIELDZ"]
... def parser(p):
...     p.add_argument("--data"); p.add_argument("--result")
... '''
>>> for f in script_findings(contract, analyse_source(source, output_names=("result",)), step_type="Demo"):
...     print(f.code, "|", f.message)
SCRIPT-ENV-UNDECLARED | script reads LABEL_FIELDZ (line 4), which the contract does not declare (did you mean LABEL_FIELD?)
SCRIPT-ENV-REQUIRED-UNREAD | the contract requires LABEL_FIELD, which the script never reads
"""

from __future__ import annotations

import difflib
import enum
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from calibration_step.checker.findings import Finding, Severity
from calibration_step.checker.requirements import requirement_findings
from calibration_step.checker.script_analysis import ScriptFacts, analyse_source, analyse_sources  # analyse_source: doctest
from calibration_step.contract import ScriptContract
from calibration_step.errors import Code
from calibration_step.processing.script_source import script_source_files
from calibration_step.registry import AnyStepRegistration

__all__ = ["check_script_contract", "script_findings"]

AnyContract = ScriptContract[enum.Enum, enum.Enum, enum.Enum]


def _finding(severity: Severity, code: str, message: str, fix: str, step_type: str, location: str) -> Finding:
    return Finding(level=1, severity=severity, code=code, message=message, fix=fix, step_type=step_type, location=location)


def _close(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _lines(lines: Sequence[int]) -> str:
    shown = ", ".join(str(line) for line in sorted(set(lines))[:5])
    return f"line {shown}" if len(set(lines)) == 1 else f"lines {shown}"


def _env_findings(contract: AnyContract, facts: ScriptFacts, step_type: str, where: str) -> list[Finding]:
    required = [str(v.value) for v in contract.required_env_vars]
    optional = {str(k.value): v for k, v in contract.optional_env_vars.items()}
    declared = {*required, *optional}
    read = facts.env_names()
    found: list[Finding] = []
    for name in sorted(read - declared):
        lines = [r.line for r in facts.env_reads if r.name == name]
        found.append(_finding("error", Code.SCRIPT_ENV_UNDECLARED,
                              f"script reads {name} ({_lines(lines)}), which the contract does not declare{_close(name, declared - read)}",
                              f"declare {name} in the contract (required, or optional with its default), or read a declared name",
                              step_type, where))
    for name in sorted(set(required) - read):
        found.append(_finding("error", Code.SCRIPT_ENV_REQUIRED_UNREAD,
                              f"the contract requires {name}, which the script never reads",
                              f"read {name} in the script, or remove it from the contract's required env vars",
                              step_type, where))
    for name in sorted(set(optional) - read):
        found.append(_finding("warning", Code.SCRIPT_ENV_OPTIONAL_UNREAD,
                              f"the contract declares optional {name}, which the script never reads",
                              f"read {name} in the script (default {optional[name]!r}), or remove it from the contract",
                              step_type, where))
    for name, contract_default in sorted(optional.items()):
        defaults = {r.default for r in facts.env_reads if r.name == name and r.has_default and r.default is not None}
        for default in sorted(defaults - {contract_default}):
            found.append(_finding("error", Code.SCRIPT_ENV_DEFAULT,
                                  f"script defaults {name} to {default!r}, the contract to {contract_default!r}",
                                  "use one default: the contract's optional_env_vars value is the one users read",
                                  step_type, where))
    if facts.dynamic_env_reads:
        found.append(_finding("warning", Code.SCRIPT_ENV_DYNAMIC,
                              f"script reads env vars whose names the checker cannot resolve ({_lines(facts.dynamic_env_reads)})",
                              "name env vars with string literals or module-level constants",
                              step_type, where))
    return found


def _argument_findings(
    contract: AnyContract, facts: ScriptFacts, optional_inputs: Collection[str], step_type: str, where: str
) -> list[Finding]:
    declared = set(contract.argument_flags())
    flags = facts.flags()
    found: list[Finding] = []
    for flag in sorted(flags - declared):
        lines = [a.line for a in facts.arguments if a.flag == flag]
        found.append(_finding("error", Code.SCRIPT_ARGUMENT_UNDECLARED,
                              f"script parses {flag} ({_lines(lines)}), which the contract does not declare{_close(flag, declared - flags)}",
                              f"declare {flag.lstrip('-')} in the contract's arguments (or as a logical input/output), or remove it",
                              step_type, where))
    for flag in sorted(declared - flags):
        found.append(_finding("error", Code.SCRIPT_ARGUMENT_UNREAD,
                              f"the contract declares {flag}, which the script never parses",
                              f"add parser.add_argument({flag!r}) to the script, or remove it from the contract",
                              step_type, where))
    by_flag = {argument.flag: argument for argument in contract.arguments}
    for read in facts.arguments:
        problems: list[str] = []
        spec = by_flag.get(read.flag)
        if spec is not None:
            if read.choices is not None and spec.choices and set(read.choices) != set(spec.choices):
                problems.append(f"choices {list(read.choices)} (contract: {list(spec.choices)})")
            if read.default is not None and spec.default is not None and read.default != spec.default:
                problems.append(f"default {read.default!r} (contract: {spec.default!r})")
            if read.required and not spec.required:
                problems.append("required=True (contract: optional, so a builder may leave it out)")
        elif read.flag.lstrip("-") in optional_inputs and read.required:
            problems.append("required=True, but the specification makes that input optional")
        if problems:
            found.append(_finding("error", Code.SCRIPT_ARGUMENT_MISMATCH,
                                  f"script parses {read.flag} (line {read.line}) with " + "; ".join(problems),
                                  "make the script's add_argument agree with the contract and specification",
                                  step_type, where))
    if facts.dynamic_arguments:
        found.append(_finding("warning", Code.SCRIPT_ARGUMENT_DYNAMIC,
                              f"script adds arguments whose flags the checker cannot resolve ({_lines(facts.dynamic_arguments)})",
                              "write each flag as a string literal or module-level constant",
                              step_type, where))
    return found


def _path_findings(contract: AnyContract, facts: ScriptFacts, step_type: str, where: str) -> list[Finding]:
    names = {"input": {str(n.value) for n in contract.input_paths}, "output": {str(n.value) for n in contract.output_paths}}
    found: list[Finding] = []
    for constant in facts.logical_names:
        known = names[constant.kind]
        if constant.value not in known:
            found.append(_finding("error", Code.SCRIPT_LOGICAL_NAME,
                                  f"script names {constant.kind} {constant.value!r} ({constant.constant}, line {constant.line}), "
                                  f"which is not one of the contract's {constant.kind}s {sorted(known)}{_close(constant.value, known)}",
                                  f"use the contract's logical {constant.kind} names; paths arrive as --<logical_name> arguments",
                                  step_type, where))
    for literal in facts.container_paths:
        found.append(_finding("error", Code.SCRIPT_CONTAINER_PATH,
                              f"script spells the container path {literal.value!r} (line {literal.line}), which only the contract may hold",
                              "take the path from the --<logical_name> argument the builder passes",
                              step_type, where))
    return found


def _output_file_findings(contract: AnyContract, facts: ScriptFacts, step_type: str, where: str) -> list[Finding]:
    outputs = {str(n.value) for n in contract.output_paths}
    declared = {(str(o.value), file) for o, files in contract.output_files.items() for file in files}
    written = {(w.output, w.file) for w in facts.file_writes if w.output in outputs}
    found: list[Finding] = []
    for output, file in sorted(declared - written):
        if file not in facts.string_constants:
            found.append(_finding("error", Code.SCRIPT_OUTPUT_FILE_UNWRITTEN,
                                  f"the contract declares {output}/{file}, which the script never writes (no string {file!r} in it)",
                                  f"write {file} into {output} in the script, or remove it from the contract's output_files",
                                  step_type, where))
        else:
            found.append(_finding("warning", Code.SCRIPT_OUTPUT_FILE_UNSEEN,
                                  f"the contract declares {output}/{file}; the script names {file!r} but no write into {output} was recognised",
                                  f"build the path in one call naming both, e.g. os.path.join(outputs[OUTPUT_X], {file!r})",
                                  step_type, where))
    for output, file in sorted(written - declared):
        lines = [w.line for w in facts.file_writes if (w.output, w.file) == (output, file)]
        found.append(_finding("error", Code.SCRIPT_OUTPUT_FILE_UNDECLARED,
                              f"script writes {output}/{file} ({_lines(lines)}), which the contract does not declare",
                              f"add {file!r} to the contract's output_files for {output}, or stop writing it",
                              step_type, where))
    declared_files = {file for _, file in declared}
    written_files = {file for _, file in written}
    for constant, file in sorted(facts.file_constants.items()):
        if file not in declared_files and file not in written_files:
            found.append(_finding("warning", Code.SCRIPT_FILE_CONSTANT,
                                  f"script defines {constant} = {file!r}, which no output of the contract declares",
                                  "declare the file in the contract's output_files, or rename the constant if it is not an output file",
                                  step_type, where))
    return found


def script_findings(
    contract: AnyContract,
    facts: ScriptFacts,
    *,
    step_type: str,
    optional_inputs: Collection[str] = (),
    requirements_text: str | None = None,
) -> tuple[Finding, ...]:
    """Every level-1 finding for ``facts`` (an analysed script) against ``contract``."""
    where = contract.entry_point
    found = _env_findings(contract, facts, step_type, where)
    found += _argument_findings(contract, facts, optional_inputs, step_type, where)
    found += _path_findings(contract, facts, step_type, where)
    found += requirement_findings(contract, facts, requirements_text, step_type=step_type)
    found += _output_file_findings(contract, facts, step_type, where)
    return tuple(found)


def _definition_files(contract: AnyContract, script_dir: Path, files: Iterable[str]) -> tuple[str, ...]:
    """The source files that define the contract's names: the modules of its enums (the step's
    interface, which ships beside the script and rightly spells its paths and env var names).

    Examples
    --------
    >>> from calibration_step.script import interface
    >>> from calibration_step.steps.model_calibration import MODEL_CALIBRATION_CONTRACT
    >>> folder = Path(interface.__file__).parent
    >>> _definition_files(MODEL_CALIBRATION_CONTRACT, folder, ["errors.py", "interface.py", "model_calibration/cli.py"])
    ('interface.py',)
    """
    members = (*contract.input_paths, *contract.output_paths, *contract.required_env_vars, *contract.optional_env_vars)
    modules = {sys.modules.get(type(member).__module__) for member in members}
    defining = {Path(module.__file__).resolve() for module in modules if module is not None and module.__file__}
    return tuple(name for name in files if (script_dir / name).resolve() in defining)


def _script_facts(contract: AnyContract, script_dir: Path) -> ScriptFacts:
    """The facts of the script's source: the file ``script_dir/<entry point>``, or the package of
    that name with the modules beside it (:func:`script_source_files`), analysed as one script;
    the modules that define the contract's names only resolve the names the others import.

    Raises
    ------
    OSError
        When there is no such source or a file cannot be read.
    SyntaxError
        When a module does not parse (``filename``: its path).
    """
    files = script_source_files(script_dir, contract.entry_point)
    sources = {str(script_dir / name): content.decode("utf-8") for name, content in files}
    definitions = [str(script_dir / name) for name in _definition_files(contract, script_dir, [name for name, _ in files])]
    return analyse_sources(sources, output_names=[str(n.value) for n in contract.output_paths], definitions=definitions)


def check_script_contract(registration: AnyStepRegistration, script_dir: Path) -> tuple[Finding, ...]:
    """Level 1 for one registered step: analyse the script's source in ``script_dir`` against its contract.

    The source is ``script_dir/<entry point>``, or the package of the entry point's stem with the
    modules beside it (see :mod:`calibration_step.processing.script_source`). The
    ``requirements.txt`` in ``script_dir`` is compared with the contract's framework
    requirements when it declares any. Never raises for a broken script: it becomes a finding.
    """
    contract = registration.contract
    step_type = registration.step_type
    if not registration.script_shipped:
        return (_finding("info", Code.SCRIPT_USER_PROVIDED,
                         f"{step_type} runs the user's own {contract.entry_point}; the package ships no copy to analyse",
                         "check that script against the contract in its own repository",
                         step_type, contract.entry_point),)
    path = script_dir / contract.entry_point
    try:
        facts = _script_facts(contract, script_dir)
    except OSError as exc:
        return (_finding("error", Code.SCRIPT_NOT_FOUND, f"cannot read the script {path}: {exc.strerror or exc}",
                         f"put {contract.entry_point} into {script_dir}, or fix the contract's entry_point",
                         step_type, contract.entry_point),)
    except SyntaxError as exc:
        return (_finding("error", Code.SCRIPT_SYNTAX, f"the script {exc.filename} does not parse: {exc.msg} (line {exc.lineno})",
                         "fix the syntax error", step_type, contract.entry_point),)
    requirements = script_dir / "requirements.txt"
    # The requirements file is the calibration script's; a script without framework requirements
    # (Package's, standard library only) installs nothing, and its imports are checked alone.
    reads_requirements = requirements.is_file() and bool(contract.framework_requirements)
    text = requirements.read_text(encoding="utf-8") if reads_requirements else None
    optional_inputs = [d.name for d in registration.spec.dependencies if not d.required]
    return script_findings(contract, facts, step_type=step_type, optional_inputs=optional_inputs, requirements_text=text)
