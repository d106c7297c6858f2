"""Level 1, requirements: the contract's framework requirements, the script's imports and its
``requirements.txt`` agree.

Rules:

- ``SCRIPT-IMPORT-UNDECLARED``: the script imports a third-party module whose distribution is not
  in the contract's ``framework_requirements`` (error; a warning when the import is optional,
  i.e. inside ``try ... except ImportError``).
- ``SCRIPT-REQUIREMENT-UNUSED`` (warning): a framework requirement the script never imports. A
  distribution counts as used without an import when the script calls a method that needs it
  (:data:`_IMPLICIT_USES`: ``to_parquet``/``read_parquet`` need ``pyarrow``).
- ``SCRIPT-REQUIREMENTS-TXT`` (error): a ``requirements.txt`` entry that the contract does not
  declare, or declares with another version specifier; an unreadable line.
- ``SCRIPT-REQUIREMENT-FROM-IMAGE`` (info): a framework requirement not in ``requirements.txt``,
  so the image must provide it.
- ``SCRIPT-IMPORTS-PACKAGE`` (error): the script imports ``calibration_step``; SageMaker uploads
  the script alone.

Distribution names are compared in their normalised form (PEP 503: ``Scikit_Learn`` ->
``scikit-learn``); modules map to distributions through :data:`_MODULE_DISTRIBUTIONS`, then the
installed packages' metadata.

Examples
--------
>>> _parse_requirements("pyarrow>=14,<28  # parquet\\nmatplotlib >=3.7, <4\\n")
({'pyarrow': '<28,>=14', 'matplotlib': '<4,>=3.7'}, ())
>>> _distribution_of("sklearn")
'scikit-learn'
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from importlib import metadata
from typing import Final

from calibration_step.checker.findings import Finding, Severity
from calibration_step.checker.script_analysis import STDLIB_MODULES, ScriptFacts
from calibration_step.contract import ScriptContract
from calibration_step.errors import Code

__all__ = [
    "requirement_findings",
]

_MODULE_DISTRIBUTIONS: Final[Mapping[str, str]] = {
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "bs4": "beautifulsoup4",
}
"""Import names whose distribution is named differently (checked before installed metadata)."""

_IMPLICIT_USES: Final[Mapping[str, frozenset[str]]] = {
    "pyarrow": frozenset({"to_parquet", "read_parquet"}),
}
"""Distributions used through another library: the method calls that need them."""

_PACKAGE = "calibration_step"
_LINE = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)(?:;.*)?")


def _normalise_distribution(name: str) -> str:
    """The PEP 503 normal form of a distribution name.

    Examples
    --------
    >>> _normalise_distribution("Scikit_Learn")
    'scikit-learn'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _normalise_specifier(specifier: str) -> str:
    """A version specifier without spaces, its clauses sorted (``">=14, <28"`` -> ``"<28,>=14"``)."""
    return ",".join(sorted(part.strip() for part in specifier.replace(" ", "").split(",") if part.strip()))


@functools.cache
def _installed() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()


def _distribution_of(module: str) -> str:
    """The normalised distribution name that provides the top-level ``module``."""
    if module in _MODULE_DISTRIBUTIONS:
        return _MODULE_DISTRIBUTIONS[module]
    installed = _installed().get(module)
    return _normalise_distribution(installed[0] if installed else module)


def _parse_requirements(text: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """Requirement lines as ``{normalised name: normalised specifier}``, and the unreadable lines.

    Comments, blank lines and option lines (``-r``, ``--index-url``) are skipped.
    """
    found: dict[str, str] = {}
    unreadable: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            unreadable.append(line)
            continue
        found[_normalise_distribution(match.group("name"))] = _normalise_specifier(match.group("spec"))
    return found, tuple(unreadable)


def _finding(severity: Severity, code: str, message: str, fix: str, step_type: str, where: str) -> Finding:
    return Finding(level=1, severity=severity, code=code, message=message, fix=fix, step_type=step_type, location=where)


def _import_findings(declared: Mapping[str, str], facts: ScriptFacts, step_type: str, where: str) -> list[Finding]:
    found: list[Finding] = []
    used: set[str] = set()
    for imported in facts.imports:
        if imported.module == _PACKAGE:
            found.append(_finding("error", Code.SCRIPT_IMPORTS_PACKAGE,
                                  f"script imports {_PACKAGE} (line {imported.line}); SageMaker uploads the script alone",
                                  "keep the script self-contained; pass values through arguments and env vars",
                                  step_type, where))
            continue
        if imported.module in STDLIB_MODULES:
            continue
        distribution = _distribution_of(imported.module)
        used.add(distribution)
        if distribution not in declared:
            severity: Severity = "warning" if imported.optional else "error"
            kind = "optionally imports" if imported.optional else "imports"
            found.append(_finding(severity, Code.SCRIPT_IMPORT_UNDECLARED,
                                  f"script {kind} {imported.module} (line {imported.line}), whose distribution {distribution} "
                                  "the contract's framework_requirements do not declare",
                                  f"add {distribution!r} with a version specifier to framework_requirements",
                                  step_type, where))
    for distribution, calls in _IMPLICIT_USES.items():
        if calls & facts.attribute_calls:
            used.add(distribution)
    for distribution in sorted(set(declared) - used):
        found.append(_finding("warning", Code.SCRIPT_REQUIREMENT_UNUSED,
                              f"the contract requires {distribution}, which the script never imports",
                              f"import it where it is needed, or remove {distribution!r} from framework_requirements",
                              step_type, where))
    return found


def requirement_findings(
    contract: ScriptContract[enum.Enum, enum.Enum, enum.Enum],
    facts: ScriptFacts,
    requirements_text: str | None,
    *,
    step_type: str,
) -> list[Finding]:
    """Every requirement finding of a script (``requirements_text``: its requirements.txt, if any)."""
    where = contract.entry_point
    declared = {_normalise_distribution(k): _normalise_specifier(v) for k, v in contract.framework_requirements.items()}
    found = _import_findings(declared, facts, step_type, where)
    listed: dict[str, str] = {}
    if requirements_text is not None:
        listed, unreadable = _parse_requirements(requirements_text)
        for line in unreadable:
            found.append(_finding("error", Code.SCRIPT_REQUIREMENTS_TXT, f"requirements.txt line {line!r} cannot be read",
                                  "write one 'name<specifier>' per line", step_type, "requirements.txt"))
    for name, specifier in sorted(listed.items()):
        if name not in declared:
            found.append(_finding("error", Code.SCRIPT_REQUIREMENTS_TXT,
                                  f"requirements.txt installs {name}{specifier}, which the contract's framework_requirements do not declare",
                                  f"add {name!r}: {specifier!r} to framework_requirements, or remove it from requirements.txt",
                                  step_type, "requirements.txt"))
        elif declared[name] != specifier:
            found.append(_finding("error", Code.SCRIPT_REQUIREMENTS_TXT,
                                  f"requirements.txt pins {name}{specifier}, the contract {name}{declared[name]}",
                                  "use the same version specifier in both", step_type, "requirements.txt"))
    for name in sorted(set(declared) - set(listed)):
        found.append(_finding("info", Code.SCRIPT_REQUIREMENT_FROM_IMAGE,
                              f"the contract requires {name}{declared[name]}, which requirements.txt does not install",
                              "make sure the processing image provides it, or add it to requirements.txt",
                              step_type, where))
    return found
