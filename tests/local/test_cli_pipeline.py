"""``calibration-step pipeline run-local``: statuses as it goes, exit 0/1/2, the S3 folder and parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration_step.cli import main
from calibration_step.commands.pipeline import load_definition
from calibration_step.local import LocalExecutionError
from tests.local.definitions import CODE_URI, STEP_SCRIPT, definition, join, parameter, processing_step, string_parameter


def _write(path: Path, document: dict[str, object]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _seed(s3_root: Path) -> None:
    code = s3_root / CODE_URI.removeprefix("s3://")
    code.parent.mkdir(parents=True, exist_ok=True)
    code.write_text(STEP_SCRIPT, encoding="utf-8")


def test_a_succeeding_definition_prints_each_status_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s3_root = tmp_path / "objects"
    _seed(s3_root)
    path = _write(tmp_path / "greeting.json", definition(
        processing_step("Greet", output_uri=join(parameter("Prefix"), {"Get": "Execution.PipelineName"}),
                        environment={"GREETING": parameter("Greeting")}),
        parameters=[string_parameter("Prefix", "s3://bucket/out"), string_parameter("Greeting", "hello")]))
    code = main(["pipeline", "run-local", str(path), "--work-dir", str(tmp_path / "work"), "--s3-root", str(s3_root),
                 "--parameter", "Greeting=salut"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[Greet] Executing (Processing, 1 instance)" in out and "[Greet] Succeeded in " in out
    assert out.splitlines()[-1].endswith(": Succeeded")
    report = json.loads((s3_root / "bucket" / "out" / "greeting" / "algo-1.json").read_text())
    assert report["greeting"] == "salut"


def test_a_failing_definition_prints_the_reason_and_log_tail_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _seed(tmp_path / "pipeline-local" / "s3")
    path = _write(tmp_path / "broken.json", definition(
        processing_step("Broken", output_uri="s3://bucket/out", extra_arguments=["--fail", "now"])))
    assert main(["pipeline", "run-local", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[Broken] Failed: [LOCAL-JOB-FAILED] AlgorithmError: algo-1 exited with code 3." in out
    assert "    | algo-1: boom" in out
    assert out.splitlines()[-1].endswith(": Failed: Step failure: One or multiple steps failed.")
    assert len(list((tmp_path / "pipeline-local").glob("*/Broken/algo-1.log"))) == 1


@pytest.mark.parametrize(("document", "argv", "line"), [
    (definition(processing_step("Greet", output_uri=parameter("Nowhere"))), [],
     "error [LOCAL-PARAMETER-UNDECLARED] step 'Greet' reads parameter 'Nowhere'"),
    (definition(processing_step("Greet", output_uri="s3://bucket/out")), ["--parameter", "Rows=3"],
     "error [LOCAL-PARAMETER-UNKNOWN] values are given for ['Rows']"),
])
def test_a_definition_that_cannot_run_prints_one_error_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, object], argv: list[str], line: str
) -> None:
    path = _write(tmp_path / "bad.json", document)
    assert main(["pipeline", "run-local", str(path), "--work-dir", str(tmp_path / "work"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(line) and "(hint: " in err[0]


def test_a_file_that_is_not_a_definition_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LocalExecutionError, match="LOCAL-DEFINITION-FILE.*does-not-exist.json"):
        load_definition(tmp_path / "does-not-exist.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(LocalExecutionError, match="LOCAL-DEFINITION-FILE.*holds no JSON object"):
        load_definition(tmp_path / "list.json")
    (tmp_path / "deep.json").write_text('{"Steps": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(LocalExecutionError, match="LOCAL-DEFINITION-FILE.*nest more than"):
        load_definition(tmp_path / "deep.json")
    (tmp_path / "twice.json").write_text('{"Steps": [], "Steps": [{"Name": "x"}]}')
    with pytest.raises(LocalExecutionError, match="LOCAL-DEFINITION-FILE.*appears twice"):
        load_definition(tmp_path / "twice.json")


def test_parameter_takes_name_equals_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pipeline", "run-local", "x.json", "--parameter", "novalue"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error [CLI-USAGE] calibration-step pipeline run-local: argument --parameter: ")
    assert "--parameter takes NAME=VALUE; got 'novalue'" in line
