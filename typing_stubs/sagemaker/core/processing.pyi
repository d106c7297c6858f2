from sagemaker.core.network import NetworkConfig
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput
from sagemaker.core.workflow.pipeline_context import PipelineSession

class _StepArguments: ...

class Processor:
    def __init__(
        self,
        role: str | None = ...,
        image_uri: str | None = ...,
        instance_count: int | None = ...,
        instance_type: str | None = ...,
        entrypoint: list[str] | None = ...,
        volume_size_in_gb: int = ...,
        volume_kms_key: str | None = ...,
        output_kms_key: str | None = ...,
        max_runtime_in_seconds: int | None = ...,
        base_job_name: str | None = ...,
        sagemaker_session: PipelineSession | None = ...,
        env: dict[str, str] | None = ...,
        tags: list[dict[str, str]] | None = ...,
        network_config: NetworkConfig | None = ...,
    ) -> None: ...
    # Under a PipelineSession, run() records the job request and returns the step arguments.
    def run(
        self,
        inputs: list[ProcessingInput] | None = ...,
        outputs: list[ProcessingOutput] | None = ...,
        arguments: list[str] | None = ...,
        wait: bool = ...,
        logs: bool = ...,
        job_name: str | None = ...,
    ) -> _StepArguments: ...
