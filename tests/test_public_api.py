"""The public surface is what ``calibration_step.__all__`` says, sorted, and nothing else by accident.

Every package of the library says what it offers in a sorted ``__all__`` of names it defines; a
name that is not listed is internal, and internal names start with ``_``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

import calibration_step

PACKAGE_ROOT = Path(calibration_step.__file__).parent

EXPECTED = [
    "ArgumentSpec",
    "BasePipelineConfig",
    "BuildError",
    "CalibrationDag",
    "CalibrationStepError",
    "ConfigError",
    "ContainerKind",
    "DependencySpec",
    "DependencyType",
    "Edge",
    "ExecutionOutcome",
    "ExternalBinding",
    "MODEL_CALIBRATION_CONTRACT",
    "MODEL_CALIBRATION_SPEC",
    "ModelCalibrationConfig",
    "ModelCalibrationEnv",
    "ModelCalibrationInput",
    "ModelCalibrationOutput",
    "ModelCalibrationStep",
    "NodeType",
    "OutputSpec",
    "PackageConfig",
    "Problem",
    "ProcessingConfig",
    "PropertyReference",
    "RegistryError",
    "ResolutionError",
    "ResolutionReport",
    "ScriptContract",
    "SerializationError",
    "SpecError",
    "StepRegistration",
    "StepRegistry",
    "StepSpecification",
    "StringParameter",
    "XGBoostModelEvalConfig",
    "alignment_problems",
    "build_model_calibration_step",
    "calibration_condition_step",
    "calibration_dag_definition",
    "calibration_dag_report",
    "calibration_dag_steps",
    "calibration_fail_step",
    "contract_problems",
    "default_execution_prefix",
    "default_registry",
    "dependency_of",
    "execution_metrics",
    "model_calibration_environment",
    "output_by_name",
    "output_of",
    "package_config_for",
    "pipeline_definition",
    "resolve",
    "spec_problems",
    "start_execution",
    "upload_script",
    "upsert_pipeline",
    "wait_for_execution",
]


def test_all_is_pinned_and_sorted() -> None:
    assert calibration_step.__all__ == EXPECTED
    assert calibration_step.__all__ == sorted(calibration_step.__all__)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in calibration_step.__all__:
        value = getattr(calibration_step, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_importing_the_package_does_not_import_sagemaker() -> None:
    code = "import sys, calibration_step; print('sagemaker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"


def _defines_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported), f"{name}.__all__ is not sorted"
    assert not [n for n in exported if n.startswith("_")], f"{name}.__all__ lists private names"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names it does not define: {missing}"


def test_every_top_level_name_is_importable_and_public() -> None:
    _defines_all("calibration_step")
    for name in calibration_step.__all__:
        namespace: dict[str, object] = {}
        exec(f"from calibration_step import {name}", namespace)  # the import statement users write
        assert namespace[name] is getattr(calibration_step, name)


def test_nothing_is_public_at_the_top_by_accident() -> None:
    for name in calibration_step.__all__:
        getattr(calibration_step, name)  # load every lazy name
    public = {name for name, value in vars(calibration_step).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public - {"TYPE_CHECKING"} == set(calibration_step.__all__)


def test_the_lazy_names_are_those_the_type_checker_sees() -> None:
    tree = ast.parse((PACKAGE_ROOT / "__init__.py").read_text(encoding="utf-8"))
    [block] = [node for node in tree.body if isinstance(node, ast.If)]
    seen = {alias.name for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert seen == set(calibration_step._LAZY)


def _packages() -> list[str]:
    """Every package of the library; ``rglob`` does not follow the link to the processing script."""
    folders = [init.parent for init in PACKAGE_ROOT.rglob("__init__.py")]
    return sorted(".".join(folder.relative_to(PACKAGE_ROOT.parent).parts) for folder in folders)


@pytest.mark.parametrize("package", _packages())
def test_every_package_says_what_it_offers(package: str) -> None:
    _defines_all(package)


def _static_all(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets: list[ast.expr]
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            assert isinstance(value, ast.List), f"{path}: __all__ is not a list literal"
            return [ast.literal_eval(element) for element in value.elts]
    return None


def test_every_module_list_is_sorted_and_public() -> None:
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        exported = _static_all(path)
        if exported is not None:
            where = path.relative_to(PACKAGE_ROOT.parent)
            assert exported == sorted(exported), f"{where}: __all__ is not sorted"
            assert not [name for name in exported if name.startswith("_")], f"{where}: __all__ lists private names"
