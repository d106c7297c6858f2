from sagemaker.core.helper.pipeline_variable import PipelineVariable

_Str = str | PipelineVariable

class ProcessingS3Input:
    def __init__(
        self,
        *,
        s3_uri: _Str,
        s3_data_type: str,
        local_path: str = ...,
        s3_input_mode: str = ...,
        s3_data_distribution_type: str = ...,
    ) -> None: ...

class ProcessingInput:
    input_name: str
    def __init__(self, *, input_name: str, s3_input: ProcessingS3Input) -> None: ...

class ProcessingS3Output:
    def __init__(self, *, s3_uri: _Str, s3_upload_mode: str, local_path: str = ...) -> None: ...

class ProcessingOutput:
    output_name: str
    def __init__(self, *, output_name: str, s3_output: ProcessingS3Output) -> None: ...
