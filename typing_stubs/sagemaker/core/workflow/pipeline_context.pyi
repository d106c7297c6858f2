from boto3 import Session

class PipelineSession:
    sagemaker_config: dict[str, object] | None
    def __init__(
        self,
        boto_session: Session | None = ...,
        default_bucket: str | None = ...,
        sagemaker_config: dict[str, object] | None = ...,
    ) -> None: ...
