"""The README is executable: its commands are the real ones, its Python runs and type-checks.

``python`` blocks are concatenated in order into one module: it is run in a subprocess (one
namespace, dummy AWS settings, no network needed) and checked with ``mypy --strict``. A block
whose first line is ``# needs an AWS account`` is type-checked, and the Python route to SageMaker
(build, upload, create or update, start, wait, read the metrics) also runs against faked AWS:
moto's S3 and SageMaker, with the execution's calibration run in place of SageMaker by writing its
``metrics.json`` where the execution writes it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Final

from calibration_step.cli import COMMANDS
from tests.typecheck import REPO_ROOT, check_snippets

README: Final = REPO_ROOT / "README.md"
TEST_COMMAND: Final = "python -m pip install -e '.[dev]' && python -m mypy && python -m pytest -q"
NOT_RUN: Final = "# needs an AWS account"
_FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", flags=re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    """The README's fenced blocks of ``language``, dedented by their fence's indentation."""
    found = []
    for match in _FENCE.finditer(README.read_text(encoding="utf-8")):
        if match[2] == language:
            indent = len(match[1])
            found.append("".join(line[indent:] if line.strip() else line for line in match[3].splitlines(True)))
    return found


def _module(*, runnable_only: bool) -> str:
    chosen = [b for b in blocks("python") if not (runnable_only and b.startswith(NOT_RUN))]
    return "\n".join(chosen)


def test_the_demo_is_one_shell_line() -> None:
    demos = [b for b in blocks("sh") if "calibration-step demo" in b]
    assert len(demos) == 1
    (line,) = demos[0].splitlines()
    assert line == "python -m pip install . && calibration-step demo"
    assert re.search(r"calibration-step demo( \S+)*$", line)


def test_the_test_command_is_what_ci_runs() -> None:
    assert [TEST_COMMAND] in [b.splitlines() for b in blocks("sh")]
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert TEST_COMMAND in ci_lines  # run as written; the processing-image stage comes after it


def test_every_command_mentioned_exists() -> None:
    mentioned = set(re.findall(r"calibration-step (\w+)", README.read_text(encoding="utf-8")))
    assert mentioned and mentioned <= set(COMMANDS), mentioned - set(COMMANDS)


def test_python_blocks_run_in_order(tmp_path: Path) -> None:
    source = tmp_path / "readme_tour.py"
    source.write_text(_module(runnable_only=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, str(source)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "[CONFIG-VALUE] ModelCalibrationConfig.gam_splines must be an int from 4 to 200; got 3." in done.stdout
    assert "XGBoostModelEval-Calibration.eval_output -> ModelCalibration-Calibration.evaluation_data" in done.stdout


_FAKED_AWS: Final = '''
import json

import boto3
from moto import mock_aws

import calibration_step.deployment as deployment
from calibration_step.processing.outputs import executed_output_uri

mock_aws().start()
boto3.Session(region_name="us-east-1").client("s3").create_bucket(Bucket="my-ml-bucket")
STARTED: list[dict[str, object]] = []
_start = deployment.start_execution


def _start_and_fake_the_run(config, parameters=None, *, session=None):  # type: ignore[no-untyped-def]
    """moto starts the execution; its calibration's metrics.json is then written where the execution writes it."""
    arn = _start(config, parameters, session=session)
    folder = executed_output_uri(config.pipeline_s3_location, deployment.execution_id(arn),
                                 step_folder="model_calibration", job_type=config.job_type, logical_name="metrics_output")
    bucket, _, key = folder.removeprefix("s3://").partition("/")
    body = {"threshold": {"metric": "calibrated.ece_equal_width", "value": 0.01, "threshold": 0.03, "passed": True}}
    boto3.Session(region_name="us-east-1").client("s3").put_object(Bucket=bucket, Key=f"{key}/metrics.json",
                                                                    Body=json.dumps(body).encode())
    STARTED.append({"arn": arn, "parameters": parameters})
    return arn


deployment.start_execution = _start_and_fake_the_run
'''


def test_the_python_route_to_sagemaker_runs_against_faked_aws(tmp_path: Path) -> None:
    [route] = [b for b in blocks("python") if b.startswith(NOT_RUN) and "upsert_pipeline" in b]
    source = tmp_path / "readme_route.py"
    checks = (
        "\nsagemaker = boto3.Session(region_name='us-east-1').client('sagemaker')\n"
        "print('PIPELINE', sagemaker.describe_pipeline(PipelineName=config.pipeline_name)['PipelineName'])\n"
        "code = boto3.Session(region_name='us-east-1').client('s3').list_objects_v2(Bucket='my-ml-bucket', Prefix='pipelines/')\n"
        "print('CODE', sorted(item['Key'].rsplit('/', 1)[-1] for item in code['Contents'] if '/code/' in item['Key']))\n"
        "print('STARTED', STARTED[0]['parameters'])\n"
    )
    source.write_text(_FAKED_AWS + _module(runnable_only=True) + "\n" + route + checks)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, str(source)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "Succeeded " in lines
    assert "{'metric': 'calibrated.ece_equal_width', 'value': 0.01, 'threshold': 0.03, 'passed': True}" in lines
    assert "PIPELINE jane-risk-us-east-1" in lines
    assert "CODE ['model_calibration.pyz', 'model_packaging.pyz', 'requirements.txt']" in lines
    assert any(line.startswith("STARTED {'EvaluationData': 's3://my-ml-bucket/scores/'") for line in lines)


def test_python_blocks_type_check(tmp_path: Path) -> None:
    assert any(b.startswith(NOT_RUN) for b in blocks("python"))
    errors = check_snippets({"readme": _module(runnable_only=False)}, tmp_path)
    assert errors == {"readme": []}


def test_the_reference_documents_exist() -> None:
    for link in re.findall(r"\]\((docs/[\w.]+)\)", README.read_text(encoding="utf-8")):
        assert (REPO_ROOT / link).is_file(), link
