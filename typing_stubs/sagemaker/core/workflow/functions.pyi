from sagemaker.core.helper.pipeline_variable import PipelineVariable
from sagemaker.core.workflow.properties import PropertyFile

class Join(PipelineVariable):
    on: str
    values: list[object]
    def __init__(self, on: str = ..., values: list[object] = ...) -> None: ...

class JsonGet(PipelineVariable):
    def __init__(self, step_name: str, property_file: PropertyFile | str, json_path: str) -> None: ...
