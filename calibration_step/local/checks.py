"""The checks a processing step passes before it runs here: its requirements, its image's packages.

Both stand in for what happens in the container on SageMaker: ``pip install -r FILE`` installs
the requirements there (here each must already be installed, :mod:`calibration_step.local.requirements`),
and the step's code can import only what its image has plus what it installed (here the imports
are read from the code, :mod:`calibration_step.local.imports`, and compared with the image's
manifest, :mod:`calibration_step.local.images`).

A module counts as installed by the requirements when one of them is its distribution (by the
installed packages' metadata, :func:`importlib.metadata.packages_distributions`), or when it is
a requirement's name itself.

Examples
--------
>>> sorted(provided_modules(["Matplotlib"]) & {"matplotlib", "mpl_toolkits", "pylab"})
['matplotlib', 'mpl_toolkits', 'pylab']
>>> provided_modules(["no-such-distribution"])
{'no_such_distribution'}
>>> from calibration_step.local.requirements import parse_requirement
>>> check_requirements([parse_requirement("attrs>=20", where="requirements.txt:1")])
>>> check_requirements([parse_requirement("attrs<1", where="requirements.txt:1")])
Traceback (most recent call last):
...
calibration_step.errors.StepFailure: [LOCAL-REQUIREMENT-UNMET] ... attrs<1 (requirements.txt:1): installed attrs ... is outside <1. ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

from calibration_step.errors import Code, StepFailure
from calibration_step.local.command import PreparedCommand
from calibration_step.local.container import InstanceFolder
from calibration_step.local.images import image_manifest
from calibration_step.local.imports import code_imports
from calibration_step.local.requirements import Requirement, parse_requirement, requirement_file_lines, unmet_requirement

__all__ = ["check_image_imports", "check_requirements", "provided_modules", "step_requirements"]


def _normalised(name: str) -> str:
    """A distribution name in its normal form (PEP 503), as an import name would spell it."""
    return re.sub(r"[-_.]+", "_", name).lower()


def provided_modules(distributions: Iterable[str]) -> set[str]:
    """The top-level modules the installed ``distributions`` provide (a name's own form when unknown)."""
    wanted = {_normalised(name) for name in distributions}
    modules = set(wanted)
    for module, owners in metadata.packages_distributions().items():
        if any(_normalised(owner) in wanted for owner in owners):
            modules.add(module)
    return modules


def step_requirements(command: PreparedCommand, instance: InstanceFolder) -> list[Requirement]:
    """The requirements the step's ``pip install`` segments name, read from its staged files.

    Raises
    ------
    StepFailure
        ``LOCAL-REQUIREMENTS-FILE`` when a named requirements file is not among the staged inputs.
    """
    found = [parse_requirement(spec, where="pip install argument") for spec in command.requirement_specs]
    for container_path in command.requirement_files:
        path = instance.local(container_path)
        if not path.is_file():
            raise StepFailure(Code.LOCAL_REQUIREMENTS_FILE, f"the command installs -r {container_path}, which no input of "
                              "the step provides.", hint="add an input whose LocalPath holds that file")
        found += requirement_file_lines(path, shown_as=container_path)
    return found


def check_requirements(requirements: Sequence[Requirement]) -> None:
    """Fail unless every requirement is installed here, in range.

    Raises
    ------
    StepFailure
        ``LOCAL-REQUIREMENT-UNMET`` listing every unmet requirement.
    """
    unmet = [reason for requirement in requirements if (reason := unmet_requirement(requirement)) is not None]
    if unmet:
        names = " ".join(f"'{r.line}'" for r in requirements)
        raise StepFailure(Code.LOCAL_REQUIREMENT_UNMET, "the step installs requirements that are not met here (a local "
                          f"run checks them instead of installing): {'; '.join(unmet)}.",
                          hint=f"install them into this environment: python -m pip install {names}")


def check_image_imports(command: PreparedCommand, instance: InstanceFolder, image_uri: str,
                        requirements: Sequence[Requirement]) -> str:
    """Fail when the step's Python code imports a package its image lacks and its requirements do not install.

    Returns a note when the image has no manifest (nothing is checked), else ``""``.

    Raises
    ------
    StepFailure
        ``LOCAL-IMAGE-IMPORT`` naming each package, the file importing it and the image.
    """
    image = image_manifest(image_uri)
    if image is None:
        return f"no package manifest for image {image_uri!r}: the code's imports are not checked"
    available = image.modules | provided_modules(r.name for r in requirements)
    missing: dict[str, str] = {}
    for container_path in command.python_files:
        path: Path = instance.local(container_path)
        if path.is_file():
            for module, filename in code_imports(path).items():
                if module not in available:
                    missing.setdefault(module, filename)
    if missing:
        listed = ", ".join(f"{module} (imported by {filename})" for module, filename in sorted(missing.items()))
        raise StepFailure(Code.LOCAL_IMAGE_IMPORT, f"the step's code imports {listed}, which image {image.name} does not "
                          "have and the step's requirements do not install.",
                          hint="add the package to the requirements file the step installs, or use an image that has it")
    return ""
