from sagemaker.core.helper.pipeline_variable import PipelineVariable

class Properties(PipelineVariable):
    step_name: str
    path: str | None
    def __init__(self, step_name: str, path: str | None = ..., shape_name: str | None = ...) -> None: ...
    def __getattr__(self, name: str) -> Properties: ...
    def __getitem__(self, key: str | int) -> Properties: ...

class PropertyFile(PipelineVariable):
    name: str
    output_name: str
    path: str
    def __init__(self, name: str, output_name: str, path: str) -> None: ...
