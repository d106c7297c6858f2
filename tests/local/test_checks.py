"""Checks before a step runs: requirements that would be installed, and imports the image lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration_step.local import LocalExecutionError, LocalS3Store, StepStatus, run_pipeline_definition
from calibration_step.local.requirements import parse_requirement, unmet_requirement, version_key
from tests.local.definitions import CODE_PATH, CODE_URI, definition, processing_step, s3_input

REQUIREMENTS_PATH = "/opt/ml/processing/input/requirements"
REQUIREMENTS_URI = "s3://bucket/code/requirements.txt"
INSTALLING = ("/bin/sh", "-c",
              "set -e; python3 -m pip install --no-cache-dir --quiet --disable-pip-version-check "
              f"-r {REQUIREMENTS_PATH}/requirements.txt; exec python3 {CODE_PATH}/step.py \"$@\"", "step.py")


def _installing_step(store: LocalS3Store, requirements: str) -> dict[str, object]:
    store.put_bytes(REQUIREMENTS_URI, requirements.encode())
    return processing_step("Install", output_uri="s3://bucket/out", entrypoint=INSTALLING,
                           extra_inputs=[s3_input("requirements", REQUIREMENTS_URI, REQUIREMENTS_PATH)])


def test_met_requirements_let_the_rest_of_the_command_run(store: LocalS3Store, work: Path) -> None:
    step = _installing_step(store, "# what the step installs\nattrs>=20\nnumpy>=1.24,<3  # arrays\n\n--prefer-binary\n")
    result = run_pipeline_definition(definition(step), store=store, work_dir=work)
    assert result.step("Install").status is StepStatus.SUCCEEDED, result.step("Install").reason
    assert store.list_keys("bucket", "out/") == ["out/algo-1.json", "out/metrics.json"]


def test_a_requirement_missing_here_fails_the_step_naming_it(store: LocalS3Store, work: Path) -> None:
    step = _installing_step(store, "attrs>=20\nno-such-distribution-here>=1.0\nnumpy<1\n")
    result = run_pipeline_definition(definition(step), store=store, work_dir=work)
    reason = result.step("Install").reason
    assert result.step("Install").status is StepStatus.FAILED
    assert "[LOCAL-REQUIREMENT-UNMET]" in reason
    assert (f"no-such-distribution-here>=1.0 ({REQUIREMENTS_PATH}/requirements.txt:2): no-such-distribution-here is "
            "not installed") in reason
    assert "numpy<1 (" in reason and "is outside <1" in reason
    assert "attrs>=20 (" not in reason
    assert "python -m pip install 'attrs>=20' 'no-such-distribution-here>=1.0' 'numpy<1'" in reason
    assert store.list_keys("bucket", "out") == []


def test_a_requirements_file_no_input_provides_fails_the_step(store: LocalS3Store, work: Path) -> None:
    step = processing_step("Install", output_uri="s3://bucket/out", entrypoint=INSTALLING)
    result = run_pipeline_definition(definition(step), store=store, work_dir=work)
    assert "[LOCAL-REQUIREMENTS-FILE] the command installs -r /opt/ml/processing/input/requirements/requirements.txt" \
        in result.step("Install").reason


def test_an_import_the_image_lacks_fails_the_step_naming_package_and_image(store: LocalS3Store, work: Path) -> None:
    store.put_bytes(CODE_URI, b"import json\nimport numpy\nfrom xgboost import XGBClassifier\n")
    result = run_pipeline_definition(definition(processing_step("Train", output_uri="s3://bucket/out")),
                                     store=store, work_dir=work)
    reason = result.step("Train").reason
    assert result.step("Train").status is StepStatus.FAILED
    assert ("[LOCAL-IMAGE-IMPORT] the step's code imports xgboost (imported by step.py), which image "
            "sagemaker-scikit-learn:1.4-2 does not have and the step's requirements do not install") in reason
    assert "numpy" not in reason


def test_an_import_the_requirements_install_passes(store: LocalS3Store, work: Path) -> None:
    store.put_bytes(CODE_URI, b"import matplotlib\n")
    step = _installing_step(store, "matplotlib>=3.7,<4\n")
    result = run_pipeline_definition(definition(step), store=store, work_dir=work)
    assert result.step("Install").status is StepStatus.SUCCEEDED, result.step("Install").reason


def test_an_image_without_manifest_is_not_checked(store: LocalS3Store, work: Path) -> None:
    store.put_bytes(CODE_URI, b"try:\n    import xgboost\nexcept ImportError:\n    pass\nimport json, sys\nsys.exit(0)\n")
    lines: list[str] = []
    step = processing_step("Own", output_uri="s3://bucket/out", image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/own:1")
    result = run_pipeline_definition(definition(step), store=store, work_dir=work, report=lines.append)
    assert result.step("Own").status is StepStatus.SUCCEEDED
    assert "[Own] note: no package manifest for image '123456789012.dkr.ecr.eu-west-1.amazonaws.com/own:1': the " \
        "code's imports are not checked" in lines


def test_an_editable_install_cannot_be_checked(store: LocalS3Store, work: Path) -> None:
    step = processing_step("Install", output_uri="s3://bucket/out",
                           entrypoint=("/bin/sh", "-c", "pip install -e /opt/ml/processing/input/code; true"))
    with pytest.raises(LocalExecutionError, match="LOCAL-REQUIREMENT-UNSUPPORTED"):
        run_pipeline_definition(definition(step), store=store, work_dir=work)


@pytest.mark.parametrize(("line", "installed", "met"), [
    ("pyarrow>=14,<28", "17.0.0", True),
    ("pyarrow>=14,<17", "17.0.0", False),
    ("scikit-learn==1.4.*", "1.4.2", True),
    ("scikit-learn==1.4.*", "1.5.0", False),
    ("numpy!=2.1.*", "2.1.3", False),
    ("numpy~=2.1", "2.3.0", True),
    ("numpy~=2.1.0", "2.2.0", False),
    ("pandas>2.2", "2.2.0", False),
    ("pandas<=2.2", "2.2", True),
    ("pandas[performance]>=2", "2.2.3", True),
    ("matplotlib>=3.7", "3.10.0rc1", True),
    ("matplotlib<3.10", "3.10.0rc1", False),
    ("matplotlib<3.10rc2", "3.10.0rc1", True),
    ("pandas>2.2", "2.2.post1", False),
    ("pandas>2.2", "2.2.1", True),
    ("mlio===0.9.0", "0.9.0", True),
])
def test_version_ranges(line: str, installed: str, met: bool) -> None:
    requirement = parse_requirement(line, where="requirements.txt:1")
    assert (unmet_requirement(requirement, lambda _name: installed) is None) is met


@pytest.mark.parametrize("line", ["xgboost; python_version < '3.8'", "pkg @ https://example.invalid/p.whl",
                                  "./local/package", "numpy=>1"])
def test_requirement_lines_that_cannot_be_checked_are_refused(line: str) -> None:
    with pytest.raises(LocalExecutionError, match=r"LOCAL-REQUIREMENT-UNSUPPORTED.*\(requirements.txt:3\)"):
        parse_requirement(line, where="requirements.txt:3")


def test_versions_order_as_published() -> None:
    ordered = ["1.0.dev0", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.1", "2.0"]
    assert sorted(ordered, key=version_key) == ordered
    assert version_key("1.4") == version_key("1.4.0") == version_key("1.4.0+local")
