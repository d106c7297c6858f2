from sagemaker.core.helper.pipeline_variable import PipelineVariable

class Parameter(PipelineVariable):
    name: str

class ParameterString(Parameter):
    default_value: str | None
    def __init__(self, name: str, default_value: str | None = ..., enum_values: list[str] | None = ...) -> None: ...
