from collections.abc import Sequence

from sagemaker.core.helper.pipeline_variable import PipelineVariable
from sagemaker.core.processing import _StepArguments
from sagemaker.core.workflow.conditions import Condition
from sagemaker.core.workflow.parameters import Parameter
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.core.workflow.pipeline_definition_config import PipelineDefinitionConfig
from sagemaker.core.workflow.properties import Properties, PropertyFile

class Step:
    name: str
    depends_on: list[str | Step] | None
    @property
    def properties(self) -> Properties: ...

class CacheConfig:
    enable_caching: bool
    expire_after: str | None
    def __init__(self, enable_caching: bool = ..., expire_after: str | None = ...) -> None: ...

class ProcessingStep(Step):
    property_files: list[PropertyFile]
    cache_config: CacheConfig | None
    def __init__(
        self,
        name: str,
        step_args: _StepArguments | None = ...,
        display_name: str | None = ...,
        description: str | None = ...,
        property_files: list[PropertyFile] | None = ...,
        cache_config: CacheConfig | None = ...,
        depends_on: list[str | Step] | None = ...,
    ) -> None: ...

class ConditionStep(Step):
    if_steps: list[Step]
    else_steps: list[Step]
    def __init__(
        self,
        name: str,
        depends_on: list[str | Step] | None = ...,
        display_name: str | None = ...,
        description: str | None = ...,
        conditions: list[Condition] | None = ...,
        if_steps: list[Step] | None = ...,
        else_steps: list[Step] | None = ...,
    ) -> None: ...

class Pipeline:
    name: str
    steps: Sequence[Step]
    def __init__(
        self,
        name: str = ...,
        parameters: Sequence[Parameter] | None = ...,
        steps: Sequence[Step] | None = ...,
        sagemaker_session: PipelineSession | None = ...,
        pipeline_definition_config: PipelineDefinitionConfig | None = ...,
    ) -> None: ...
    def definition(self) -> str: ...

class FailStep(Step):
    def __init__(
        self,
        name: str,
        error_message: str | PipelineVariable | None = ...,
        display_name: str | None = ...,
        description: str | None = ...,
        depends_on: list[str | Step] | None = ...,
    ) -> None: ...
