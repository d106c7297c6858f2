from __future__ import annotations

import pytest

from calibration_step.processing.inputs import ProcessingInputDefinition
from calibration_step.processing.outputs import ProcessingOutputDefinition
from calibration_step.processing.step import (
    CODE_DIR,
    CacheSettings,
    ProcessingStepDefinition,
    ProcessorSettings,
    ScriptCode,
    code_inputs,
    container_entrypoint,
)
from calibration_step.errors import BuildError

_PROCESSOR = ProcessorSettings(role="arn:aws:iam::111122223333:role/R", image_uri="img", instance_type="ml.m5.xlarge")
_CODE = ScriptCode(script_uri="s3://bucket//code/run.py", requirements_uri="s3://bucket/code/requirements.txt")


def _step(**changes: object) -> ProcessingStepDefinition:
    values: dict[str, object] = {
        "name": "S",
        "job_name_prefix": "S",
        "processor": _PROCESSOR,
        "code": _CODE,
        "environment": {},
        "arguments": (),
        "inputs": (ProcessingInputDefinition(input_name="data", source="s3://b/d", destination="/opt/ml/processing/input/data"),),
        "outputs": (ProcessingOutputDefinition(output_name="out", source="/opt/ml/processing/output/out", destination="s3://b/o"),),
    }
    values.update(changes)
    return ProcessingStepDefinition(**values)  # type: ignore[arg-type]  # test helper builds from a dict


def test_script_code_is_normalised_and_entrypoint_installs_requirements() -> None:
    assert _CODE.script_uri == "s3://bucket/code/run.py"
    entry = container_entrypoint(_CODE)
    assert entry[:2] == ("/bin/sh", "-c")
    assert "pip install" in entry[2] and "-r /opt/ml/processing/input/requirements/requirements.txt" in entry[2]
    assert entry[2].endswith(f'exec python3 {CODE_DIR}/run.py "$@"')
    assert all(len(part) <= 256 for part in entry)  # CreateProcessingJob's limit per entrypoint item
    assert [i.input_name for i in code_inputs(_CODE)] == ["code", "requirements"]


def test_a_code_folder_is_one_channel_ending_in_a_slash() -> None:
    code = ScriptCode(script_uri="s3://bucket/code/tool/tool.pyz", requirements_uri="s3://bucket/code/tool/requirements.txt",
                      code_folder_uri="s3://bucket//code/tool")
    assert code.code_folder_uri == "s3://bucket/code/tool/"
    assert [(i.input_name, i.source, i.destination) for i in code_inputs(code)] == [("code", "s3://bucket/code/tool/", CODE_DIR)]
    entry = container_entrypoint(code)
    assert f"-r {CODE_DIR}/requirements.txt" in entry[2] and entry[2].endswith(f'exec python3 {CODE_DIR}/tool.pyz "$@"')
    alone = ScriptCode(script_uri="s3://bucket/code/tool/tool.pyz", code_folder_uri="s3://bucket/code/tool/")
    assert container_entrypoint(alone) == ("python3", f"{CODE_DIR}/tool.pyz")


def test_without_requirements_the_script_runs_directly() -> None:
    code = ScriptCode(script_uri="s3://bucket/code/run.py")
    assert container_entrypoint(code) == ("python3", "/opt/ml/processing/input/code/run.py")
    assert [i.input_name for i in code_inputs(code)] == ["code"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"script_uri": "s3://bucket/code/"}, r"the script URI must name a \.py file or a \.pyz zipapp; got 's3://bucket/code'"),
        ({"script_uri": "s3://bucket/code/run.zip"}, r"must name a \.py file or a \.pyz zipapp; got 's3://bucket/code/run.zip'"),
        ({"script_uri": "s3://bucket/code/run.pyz", "code_folder_uri": "s3://bucket/other"},
         r"the script URI 's3://bucket/code/run.pyz' is not directly in the code folder 's3://bucket/other/'"),
        ({"script_uri": "s3://bucket/code/run.pyz", "requirements_uri": "s3://bucket/requirements.txt",
          "code_folder_uri": "s3://bucket/code"},
         r"the requirements URI 's3://bucket/requirements.txt' is not directly in the code folder 's3://bucket/code/'"),
        ({"script_uri": "./run.py"}, r"script URI must be an S3 URI"),
        ({"script_uri": "s3://bucket/run.py", "requirements_uri": "file:///r.txt"}, r"requirements URI must be an S3 URI"),
    ],
)
def test_script_code_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(BuildError, match=message):
        ScriptCode(**kwargs)


def test_cache_expiry_must_be_an_iso_duration() -> None:
    assert CacheSettings(enabled=True, expire_after="P30D").expire_after == "P30D"
    assert CacheSettings(enabled=True, expire_after="PT12H").expire_after == "PT12H"
    with pytest.raises(BuildError, match=r"ISO 8601 duration .*got '30 days'"):
        CacheSettings(enabled=True, expire_after="30 days")


def test_channel_clash_is_an_error() -> None:
    clash = (ProcessingInputDefinition(input_name="code", source="s3://b/d", destination="/opt/ml/processing/input/x"),)
    with pytest.raises(BuildError, match=r"step 'S' uses the channel name \['code'\] more than once"):
        _step(inputs=clash)


def test_network_isolation_with_requirements_is_an_error() -> None:
    isolated = ProcessorSettings(role="r", image_uri="i", instance_type="ml.m5.xlarge", enable_network_isolation=True)
    with pytest.raises(BuildError, match=r"installs requirements with pip but its job is network-isolated"):
        _step(processor=isolated)
    assert _step(processor=isolated, code=ScriptCode(script_uri="s3://bucket/run.py")).entrypoint[0] == "python3"


def test_environment_is_read_only() -> None:
    step = _step(environment={"A": "1"})
    with pytest.raises(TypeError):
        step.environment["B"] = "2"  # type: ignore[index]  # proves the mapping is read-only
