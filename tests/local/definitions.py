"""Pipeline definitions for the local executor's tests, written as the SDK writes them, and a step script.

The script (:data:`STEP_SCRIPT`) lists the files of its input folder and writes, per instance,
``<output>/<host>.json`` (host, hosts, input files, the ``GREETING`` env var) and
``<output>/metrics.json`` (``{"model": {"score": SCORE}}``); ``--fail`` makes it print ``boom``
and exit with 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

JsonDocument = dict[str, Any]
"""A test's definition document: tests edit it in place by key paths, so its values are ``Any``."""

BUCKET: Final = "bucket"
CODE_URI: Final = f"s3://{BUCKET}/code/step.py"
SKLEARN_IMAGE: Final = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
CODE_PATH: Final = "/opt/ml/processing/input/code"
INPUT_PATH: Final = "/opt/ml/processing/input/data"
OUTPUT_PATH: Final = "/opt/ml/processing/output/result"

STEP_SCRIPT: Final = '''
import json
import os
import sys
from pathlib import Path

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
if "--fail" in sys.argv:
    print("boom")
    sys.exit(3)
resource = json.loads(Path(args["--config"]).read_text())
output = Path(args["--output"])
files = []
if "--input" in args:
    root = Path(args["--input"])
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
output.mkdir(parents=True, exist_ok=True)
report = {"host": resource["current_host"], "hosts": resource["hosts"], "files": files,
          "greeting": os.environ.get("GREETING", "")}
(output / (resource["current_host"] + ".json")).write_text(json.dumps(report))
(output / "metrics.json").write_text(json.dumps({"model": {"score": float(os.environ.get("SCORE", "0.5"))}}))
'''


def s3_input(name: str, uri: object, local_path: str, *, distribution: str = "FullyReplicated") -> dict[str, object]:
    """One ``ProcessingInputs`` entry."""
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix",
                                           "S3InputMode": "File", "S3DataDistributionType": distribution,
                                           "S3CompressionType": "None"}}


def processing_step(
    name: str,
    *,
    output_uri: object,
    input_uri: object = None,
    distribution: str = "FullyReplicated",
    environment: Mapping[str, object] | None = None,
    instance_count: int = 1,
    extra_arguments: Sequence[str] = (),
    entrypoint: Sequence[str] = ("python3", f"{CODE_PATH}/step.py"),
    extra_inputs: Sequence[dict[str, object]] = (),
    code_uri: str = CODE_URI,
    image: str = SKLEARN_IMAGE,
) -> JsonDocument:
    """A processing step running :data:`STEP_SCRIPT`, with a ``result`` output and a ``Metrics`` property file."""
    inputs = [s3_input("code", code_uri, CODE_PATH), *extra_inputs]
    arguments = ["--config", "/opt/ml/config/resourceconfig.json", "--output", OUTPUT_PATH, *extra_arguments]
    if input_uri is not None:
        inputs.append(s3_input("data", input_uri, INPUT_PATH, distribution=distribution))
        arguments += ["--input", INPUT_PATH]
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingJobName": name,
            "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": instance_count,
                                                      "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": image, "ContainerEntrypoint": list(entrypoint),
                                 "ContainerArguments": arguments},
            "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
                "S3Uri": output_uri, "LocalPath": OUTPUT_PATH, "S3UploadMode": "EndOfJob"}}]},
            "Environment": dict(environment or {}),
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
        "PropertyFiles": [{"PropertyFileName": "Metrics", "OutputName": "result", "FilePath": "metrics.json"}],
    }


def output_of(step: str, output: str = "result") -> dict[str, str]:
    """``{"Get": "Steps.<step>.ProcessingOutputConfig.Outputs['<output>'].S3Output.S3Uri"}``."""
    return {"Get": f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri"}


def join(*values: object, on: str = "/") -> dict[str, object]:
    """``{"Std:Join": {"On": on, "Values": [...]}}``."""
    return {"Std:Join": {"On": on, "Values": list(values)}}


def parameter(name: str) -> dict[str, str]:
    """``{"Get": "Parameters.<name>"}``."""
    return {"Get": f"Parameters.{name}"}


EXECUTION_ID: Final = {"Get": "Execution.PipelineExecutionId"}


def definition(*steps: JsonDocument, parameters: Sequence[dict[str, object]] = ()) -> JsonDocument:
    """A whole pipeline definition document."""
    return {"Version": "2020-12-01", "Metadata": {}, "Parameters": list(parameters), "Steps": list(steps)}


def string_parameter(name: str, default: str) -> dict[str, object]:
    """A String parameter declaration."""
    return {"Name": name, "Type": "String", "DefaultValue": default}
