from sagemaker.core.helper.pipeline_variable import PipelineVariable

class ExecutionVariable(PipelineVariable):
    name: str
    def __init__(self, name: str) -> None: ...
