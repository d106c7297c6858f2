"""Level 1: script <-> contract findings, in set differences, with their codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration_step.checker.findings import Finding
from calibration_step.checker.level1_script_contract import check_script_contract, script_findings
from calibration_step.checker.script_analysis import analyse_source
from tests.checker.demo import DEMO_CONTRACT, DEMO_SCRIPT, demo_registration

REQUIREMENTS = "pyarrow>=14,<28\n"


def findings(source: str, requirements: str | None = REQUIREMENTS) -> list[Finding]:
    facts = analyse_source(source, output_names=("result", "report"))
    return list(script_findings(DEMO_CONTRACT, facts, step_type="Demo", optional_inputs=["prior"],
                                requirements_text=requirements))


def errors(source: str, requirements: str | None = REQUIREMENTS) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in findings(source, requirements):
        if finding.severity != "info":
            found.setdefault(finding.code, []).append(finding.message)
    return found


def test_the_demo_script_agrees_with_its_contract() -> None:
    assert errors(DEMO_SCRIPT) == {}
    assert {(f.level, f.severity, f.code) for f in findings(DEMO_SCRIPT)} == {(1, "info", "SCRIPT-REQUIREMENT-FROM-IMAGE")}


def test_a_renamed_env_var_is_reported_from_both_sides() -> None:
    found = errors(DEMO_SCRIPT.replace('ENV_LABEL_FIELD = "LABEL_FIELD"', 'ENV_LABEL_FIELD = "LABEL_FIELDZ"'))
    assert found == {
        "SCRIPT-ENV-UNDECLARED": ["script reads LABEL_FIELDZ (line 16), which the contract does not declare (did you mean LABEL_FIELD?)"],
        "SCRIPT-ENV-REQUIRED-UNREAD": ["the contract requires LABEL_FIELD, which the script never reads"],
    }


def test_an_unread_optional_env_var_is_a_warning() -> None:
    found = findings(DEMO_SCRIPT.replace('bins = int(environ.get(ENV_BINS, "15"))', "bins = 15"))
    assert [(f.severity, f.message) for f in found if f.code == "SCRIPT-ENV-OPTIONAL-UNREAD"] == [
        ("warning", "the contract declares optional BINS, which the script never reads")
    ]


def test_a_default_that_differs_from_the_contract() -> None:
    found = errors(DEMO_SCRIPT.replace('environ.get(ENV_BINS, "15")', 'environ.get(ENV_BINS, "20")'))
    assert found == {"SCRIPT-ENV-DEFAULT": ["script defaults BINS to '20', the contract to '15'"]}


def test_an_undeclared_and_a_missing_argument() -> None:
    source = DEMO_SCRIPT.replace('parser.add_argument("--job_type"', 'parser.add_argument("--job_typ"')
    assert errors(source) == {
        "SCRIPT-ARGUMENT-UNDECLARED": ["script parses --job_typ (line 25), which the contract does not declare (did you mean --job_type?)"],
        "SCRIPT-ARGUMENT-UNREAD": ["the contract declares --job_type, which the script never parses"],
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('choices=("training", "testing")', 'choices=("training",)', "choices ['training'] (contract: ['training', 'testing'])"),
        ('default="training")', 'default="testing")', "default 'testing' (contract: 'training')"),
        ('default="training")', 'default="training", required=True)', "required=True (contract: optional"),
        ('parser.add_argument(f"--{name}")', 'parser.add_argument(f"--{name}", required=True)',
         "required=True, but the specification makes that input optional"),
    ],
)
def test_argument_options_must_agree(old: str, new: str, expected: str) -> None:
    assert old in DEMO_SCRIPT
    found = errors(DEMO_SCRIPT.replace(old, new))
    assert list(found) == ["SCRIPT-ARGUMENT-MISMATCH"]
    assert expected in found["SCRIPT-ARGUMENT-MISMATCH"][0]


def test_a_logical_name_constant_that_the_contract_does_not_have() -> None:
    found = errors(DEMO_SCRIPT.replace('OUTPUT_RESULT = "result"', 'OUTPUT_RESULT = "results"'))
    assert found["SCRIPT-LOGICAL-NAME"] == [
        "script names output 'results' (OUTPUT_RESULT, line 10), which is not one of the contract's outputs "
        "['report', 'result'] (did you mean result?)"
    ]


def test_a_container_path_literal() -> None:
    found = errors(DEMO_SCRIPT + 'FALLBACK = "/opt/ml/processing/input/data"\n')
    assert found == {"SCRIPT-CONTAINER-PATH": [
        "script spells the container path '/opt/ml/processing/input/data' (line 29), which only the contract may hold"
    ]}


def test_output_files_written_and_declared() -> None:
    renamed = errors(DEMO_SCRIPT.replace('METRICS_FILE = "metrics.json"', 'METRICS_FILE = "metric.json"'))
    assert renamed == {
        "SCRIPT-OUTPUT-FILE-UNWRITTEN": ["the contract declares report/metrics.json, which the script never writes (no string 'metrics.json' in it)"],
        "SCRIPT-OUTPUT-FILE-UNDECLARED": ["script writes report/metric.json (line 18), which the contract does not declare"],
    }
    unseen = errors(DEMO_SCRIPT.replace("os.path.join(output_paths[OUTPUT_REPORT], METRICS_FILE)", "target")
                    + "target = METRICS_FILE\n")
    assert list(unseen) == ["SCRIPT-OUTPUT-FILE-UNSEEN"]
    extra = errors(DEMO_SCRIPT + 'NOTES_FILE = "notes.txt"\n')
    assert extra == {"SCRIPT-FILE-CONSTANT": ["script defines NOTES_FILE = 'notes.txt', which no output of the contract declares"]}


def test_requirements_disagreements() -> None:
    assert errors(DEMO_SCRIPT + "import yaml\n")["SCRIPT-IMPORT-UNDECLARED"] == [
        "script imports yaml (line 29), whose distribution pyyaml the contract's framework_requirements do not declare"
    ]
    assert errors(DEMO_SCRIPT, "pyarrow>=15\nrequests\n")["SCRIPT-REQUIREMENTS-TXT"] == [
        "requirements.txt pins pyarrow>=15, the contract pyarrow<28,>=14",
        "requirements.txt installs requests, which the contract's framework_requirements do not declare",
    ]
    unused = findings(DEMO_SCRIPT.replace("frame.to_parquet", "frame.to_csv"))
    assert [(f.severity, f.message) for f in unused if f.code == "SCRIPT-REQUIREMENT-UNUSED"] == [
        ("warning", "the contract requires pyarrow, which the script never imports")
    ]
    assert "SCRIPT-IMPORTS-PACKAGE" in errors(DEMO_SCRIPT + "from calibration_step import errors\n")


def test_optional_imports_are_warnings() -> None:
    found = findings(DEMO_SCRIPT + "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n")
    assert [(f.code, f.severity) for f in found if f.code == "SCRIPT-IMPORT-UNDECLARED"] == [("SCRIPT-IMPORT-UNDECLARED", "warning")]


def test_a_missing_or_broken_script_file(tmp_path: Path) -> None:
    registration = demo_registration()
    [missing] = check_script_contract(registration, tmp_path)
    assert (missing.code, missing.severity) == ("SCRIPT-NOT-FOUND", "error")
    (tmp_path / "demo.py").write_text("def broken(:\n", encoding="utf-8")
    [broken] = check_script_contract(registration, tmp_path)
    assert broken.code == "SCRIPT-SYNTAX"
    assert "line 1" in broken.message


def test_check_reads_the_requirements_next_to_the_script(tmp_path: Path) -> None:
    (tmp_path / "demo.py").write_text(DEMO_SCRIPT, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("pyarrow>=14,<28\nscipy\n", encoding="utf-8")
    found = check_script_contract(demo_registration(), tmp_path)
    assert [f.message for f in found if f.severity == "error"] == [
        "requirements.txt installs scipy, which the contract's framework_requirements do not declare"
    ]


# --------------------------------------------------------------------------------------------
# A script that is a package: its modules are analysed as one script
# --------------------------------------------------------------------------------------------
def _demo_package(root: Path) -> Path:
    """DEMO_SCRIPT split into a package ``demo/`` (names in one module, code in another) with a
    module beside it, as the shipped script is laid out."""
    names, code = DEMO_SCRIPT.split("\n\ndef main(", 1)
    package = root / "demo"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "names.py").write_text(names.replace("import numpy as np\n", ""), encoding="utf-8")
    imports = "import argparse\nimport os\n\nimport numpy as np\n\nfrom .names import *\n"
    (package / "job.py").write_text(imports + "\n\ndef main(" + code, encoding="utf-8")
    (package / "__main__.py").write_text("from .job import main\nfrom ..helpers import *\n", encoding="utf-8")
    (root / "helpers.py").write_text('NOTES = "kept beside the package"\n', encoding="utf-8")
    return package


def test_a_package_is_checked_as_one_script(tmp_path: Path) -> None:
    _demo_package(tmp_path)
    single = tmp_path / "single"
    single.mkdir()
    (single / "demo.py").write_text(DEMO_SCRIPT, encoding="utf-8")
    as_package = check_script_contract(demo_registration(), tmp_path)
    as_file = check_script_contract(demo_registration(), single)
    assert [(f.code, f.message) for f in as_package] == [(f.code, f.message) for f in as_file]
    assert {f.severity for f in as_package} == {"info"}


def test_a_package_edit_is_found_in_the_module_that_holds_it(tmp_path: Path) -> None:
    package = _demo_package(tmp_path)
    names = package / "names.py"
    names.write_text(names.read_text(encoding="utf-8").replace('"LABEL_FIELD"', '"LABEL_FIELDZ"'), encoding="utf-8")
    (tmp_path / "helpers.py").write_text('FALLBACK = "/opt/ml/processing/input/data"\n', encoding="utf-8")
    found = {f.code: f.message for f in check_script_contract(demo_registration(), tmp_path) if f.severity == "error"}
    assert found == {
        "SCRIPT-ENV-UNDECLARED": "script reads LABEL_FIELDZ (line 10), which the contract does not declare (did you mean LABEL_FIELD?)",
        "SCRIPT-ENV-REQUIRED-UNREAD": "the contract requires LABEL_FIELD, which the script never reads",
        "SCRIPT-CONTAINER-PATH": "script spells the container path '/opt/ml/processing/input/data' (line 1), which only the contract may hold",
    }


def test_a_syntax_error_in_a_package_module_names_that_module(tmp_path: Path) -> None:
    package = _demo_package(tmp_path)
    (package / "job.py").write_text("def broken(:\n", encoding="utf-8")
    [broken] = check_script_contract(demo_registration(), tmp_path)
    assert broken.code == "SCRIPT-SYNTAX"
    assert broken.message.startswith(f"the script {package / 'job.py'} does not parse") and "line 1" in broken.message
