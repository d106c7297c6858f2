from sagemaker.core.helper.pipeline_variable import PipelineVariable as PipelineVariable
from sagemaker.core.workflow.functions import Join as Join, JsonGet as JsonGet
from sagemaker.core.workflow.parameters import Parameter as Parameter, ParameterString as ParameterString
from sagemaker.core.workflow.properties import Properties as Properties, PropertyFile as PropertyFile
