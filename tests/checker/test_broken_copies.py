"""``check_tree`` on deliberately broken copies of the repository: each break has its own code.

Every copy is checked in its own subprocess (``check_tree``); the copies are made and checked
once per module, two at a time, and each test reads its report. Level 4 builds the SageMaker
step (slow to import), so only the copies that break the builder run it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest

from calibration_step.checker.findings import Report
from calibration_step.checker.runner import check_tree
from calibration_step.steps import default_registry
from tests.checker.copies import RENAMED_LABEL_FIELD, append, copy_tree, replace

SCRIPT = Path("script/model_calibration")  # the script package: each edit goes to the module holding its text
SCRIPT_SETTINGS = SCRIPT / "settings.py"
SCRIPT_CLI = SCRIPT / "cli.py"
SCRIPT_RUNNER = SCRIPT / "runner.py"
SPEC = Path("calibration_step/steps/model_calibration/spec.py")
BUILDER = Path("calibration_step/steps/model_calibration/builder.py")
CONTRACT = Path("calibration_step/steps/model_calibration/contract.py")


@attrs.frozen
class Break:
    """One deliberate break: how to make it, the levels to run, and the error codes it must cause."""

    edit: Callable[[Path], None]
    codes: frozenset[str]
    levels: tuple[int, ...] = (1, 2, 3)


def _undeclared_argument(root: Path) -> None:
    path = root / SCRIPT_CLI
    text, count = re.subn(r'^(\s*)(\w+)\.add_argument\(f"--{JOB_TYPE_ARGUMENT}"',
                          r'\1\2.add_argument("--debug_mode", default="false")\n\1\2.add_argument(f"--{JOB_TYPE_ARGUMENT}"',
                          path.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
    assert count == 1, "the script has no add_argument(f'--{JOB_TYPE_ARGUMENT}') line any more"
    path.write_text(text, encoding="utf-8")


def _evolve_spec(expression: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        append(root / SPEC, f"\nimport attrs as _attrs\nMODEL_CALIBRATION_SPEC = {expression}\n")
    return edit


def _output_path(name: str, path: str) -> str:
    return (f"_attrs.evolve(MODEL_CALIBRATION_SPEC, outputs=tuple(_attrs.evolve(o, property_path={path!r}) "
            f"if o.name == {name!r} else o for o in MODEL_CALIBRATION_SPEC.outputs))")


_DROP_LABEL_FIELD = '''

import attrs as _attrs

_definition = model_calibration_step_definition


def model_calibration_step_definition(config, inputs, **options):  # type: ignore[no-untyped-def]  # broken by the checker's tests
    built = _definition(config, inputs, **options)
    return _attrs.evolve(built, environment={k: v for k, v in built.environment.items() if k != "LABEL_FIELD"})
'''


BREAKS: dict[str, Break] = {
    "renamed env var in the script": Break(
        lambda root: replace(root / SCRIPT_SETTINGS, *RENAMED_LABEL_FIELD),
        frozenset({"SCRIPT-ENV-UNDECLARED", "SCRIPT-ENV-REQUIRED-UNREAD"})),
    "undeclared argument": Break(_undeclared_argument, frozenset({"SCRIPT-ARGUMENT-UNDECLARED"})),
    "container path literal": Break(
        lambda root: append(root / SCRIPT_RUNNER, '\nFALLBACK_INPUT = "/opt/ml/processing/input/eval_data"\n'),
        frozenset({"SCRIPT-CONTAINER-PATH"})),
    "renamed output file": Break(
        lambda root: append(root / SCRIPT_RUNNER, '\nMETRICS_FILE = "metric.json"  # shadows the interface\'s name\n'),
        frozenset({"SCRIPT-OUTPUT-FILE-UNDECLARED", "SCRIPT-OUTPUT-FILE-UNWRITTEN"})),
    "undeclared import": Break(lambda root: append(root / SCRIPT_RUNNER, "\nimport yaml\n"), frozenset({"SCRIPT-IMPORT-UNDECLARED"})),
    "contract output missing from the spec": Break(
        _evolve_spec("_attrs.evolve(MODEL_CALIBRATION_SPEC, outputs=tuple(o for o in MODEL_CALIBRATION_SPEC.outputs "
                     "if o.name != 'metrics_output'))"),
        frozenset({"ALIGN-OUTPUTS"})),
    "capitalised Properties path": Break(
        _evolve_spec(_output_path("metrics_output", "Properties.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri")),
        frozenset({"SPEC-PROPERTY-PATH"})),
    "property path of another step type": Break(
        _evolve_spec(_output_path("calibration_output", "properties.ModelArtifacts.S3ModelArtifacts")),
        frozenset({"PROPERTY-PATH-STEP-TYPE"})),
    "property path naming another output": Break(
        _evolve_spec(_output_path("calibrated_data", "properties.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri")),
        frozenset({"SPEC-PROPERTY-PATH-OUTPUT"})),
    "dependency type no source offers": Break(
        _evolve_spec("_attrs.evolve(MODEL_CALIBRATION_SPEC, dependencies=tuple(_attrs.evolve(d, dependency_type="
                     "DependencyType.HYPERPARAMETERS) if d.name == 'calibration_model' else d "
                     "for d in MODEL_CALIBRATION_SPEC.dependencies))"),
        frozenset({"DEPENDENCY-TYPE"})),
    "builder drops a required env var": Break(
        lambda root: append(root / BUILDER, _DROP_LABEL_FIELD), frozenset({"BUILDER-ENV-MISSING"}), levels=(4,)),
    "syntax error in the package": Break(lambda root: append(root / CONTRACT, "\ndef broken(:\n"), frozenset({"CHECK-IMPORT"})),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """Every broken copy (and one intact copy, all levels), checked two at a time."""
    jobs: dict[str, tuple[Path, tuple[int, ...]]] = {}
    for index, (name, broken) in enumerate(BREAKS.items()):
        root = copy_tree(tmp_path_factory.mktemp(f"broken{index}"))
        broken.edit(root)
        jobs[name] = (root, broken.levels)
    jobs["intact"] = (copy_tree(tmp_path_factory.mktemp("intact")), (1, 2, 3, 4))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(check_tree, root, levels=levels) for name, (root, levels) in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_an_intact_copy_passes_every_level(reports: dict[str, Report]) -> None:
    report = reports["intact"]
    assert [f for f in report.findings if f.severity != "info"] == []
    assert report.passed and report.steps == default_registry().names()


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_break_fails_with_its_own_code(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    assert not report.passed
    assert BREAKS[name].codes <= report.codes("error"), [str(f) for f in report.findings if f.severity == "error"]


def test_messages_speak_in_set_differences(reports: dict[str, Report]) -> None:
    renamed = {f.code: f.message for f in reports["renamed env var in the script"].findings}
    assert re.fullmatch(r"script reads LABEL_FIELDZ \(lines? [\d, ]+\), which the contract does not declare "
                        r"\(did you mean LABEL_FIELD\?\)", renamed["SCRIPT-ENV-UNDECLARED"])
    assert renamed["SCRIPT-ENV-REQUIRED-UNREAD"] == "the contract requires LABEL_FIELD, which the script never reads"
    builder = {f.code: f.message for f in reports["builder drops a required env var"].findings
               if f.step_type == "ModelCalibration"}
    assert builder == {"BUILDER-ENV-MISSING": "the contract requires LABEL_FIELD, which the builder does not send"}
    missing = {f.code: f.message for f in reports["contract output missing from the spec"].findings}
    assert missing["ALIGN-OUTPUTS"] == "the contract has output 'metrics_output', which the specification does not declare"


def test_a_construction_failure_is_reported_without_a_traceback(reports: dict[str, Report]) -> None:
    [finding] = [f for f in reports["capitalised Properties path"].findings if f.severity == "error"]
    assert (finding.level, finding.step_type) == (2, "ModelCalibration")
    assert "does not start with lowercase 'properties.'" in finding.message
    assert "Traceback" not in finding.message


def test_a_tree_without_the_package_is_refused(tmp_path: Path) -> None:
    [finding] = check_tree(tmp_path).findings
    assert (finding.level, finding.code) == (0, "CHECK-ROOT")
