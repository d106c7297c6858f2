"""Pipeline assembly: a DAG of steps -> resolved edges -> step inputs -> a SageMaker ``Pipeline`` definition.

:func:`resolve_inputs` resolves a DAG and turns every resolution into the input source a builder
takes: an inferred or explicit edge becomes a
:class:`~calibration_step.properties.PropertyReference` to the upstream step's output (serialised
as ``{"Get": "Steps.<name>...."}``), an external binding its value;
:meth:`ResolvedInputs.inputs_for` gives one step's inputs keyed by its own input enum. DAG node
names are the SageMaker step names, so the references point at the right steps.

:func:`calibration_dag_steps` assembles the calibration DAG, ``ModelCalibration -> gate ->
Package``: the calibration reads the ``EvaluationData`` pipeline parameter, or the output of the
user's own ``XGBoostModelEval`` step when the DAG has its config (whose ``script_uri`` names the
user's script); the Package step (its script ships with the package) runs inside the calibration
condition step, only when the calibrated ECE is within ``error_threshold``, and a Fail step on the
else branch ends the execution Failed with the calibrated ECE and the threshold.
:func:`calibration_dag_definition` returns its pipeline definition, built offline.

Examples
--------
>>> from calibration_step.resolver import ExternalBinding
>>> from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC
>>> from calibration_step.steps.model_evaluation import XGBOOST_MODEL_EVAL
>>> resolved = resolve_inputs([("Eval", XGBOOST_MODEL_EVAL.spec), ("Calibrate", MODEL_CALIBRATION_SPEC)],
...     upstream={"Calibrate": {"Eval"}},
...     bindings=[ExternalBinding(step="Eval", dependency=d.logical_name, value="s3://b/in")
...               for d in XGBOOST_MODEL_EVAL.spec.dependencies])
>>> inputs = resolved.inputs_for("Calibrate", MODEL_CALIBRATION_SPEC)
>>> [(name.value, source.to_get()) for name, source in inputs.items() if isinstance(source, PropertyReference)]
[('evaluation_data', {'Get': "Steps.Eval.ProcessingOutputConfig.Outputs['eval_output'].S3Output.S3Uri"})]
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from calibration_step.processing.values import InputSource, StringParameter, is_pipeline_value
from calibration_step.errors import BuildError, Code
from calibration_step.pipeline import pipeline_definition
from calibration_step.properties import PropertyReference
from calibration_step.resolver import Edge, ExternalBinding, Node, ResolutionReport, resolve
from calibration_step.script.interface import ModelCalibrationInput
from calibration_step.spec import StepSpecification
from calibration_step.steps.model_calibration.builder import (
    build_model_calibration_step,
    calibration_condition_step,
    default_execution_prefix,
)
from calibration_step.steps.model_calibration.config import ModelCalibrationConfig
from calibration_step.steps.model_calibration.spec import MODEL_CALIBRATION_SPEC
from calibration_step.steps.model_evaluation import (
    XGBOOST_MODEL_EVAL,
    XGBoostModelEvalConfig,
    XGBoostModelEvalInput,
    build_xgboost_model_eval_step,
)
from calibration_step.steps.package import PACKAGE, PackageConfig, PackageInput, build_package_step
from calibration_step._typevars import InputNameT, OutputNameT

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import Step

__all__ = [
    "CALIBRATION_STEP",
    "CalibrationDag",
    "EVALUATION_DATA_PARAMETER",
    "EVALUATION_STEP",
    "MODEL_ARTIFACTS_PARAMETER",
    "PACKAGE_STEP",
    "ResolvedInputs",
    "calibration_dag_definition",
    "calibration_dag_report",
    "calibration_dag_steps",
    "resolve_inputs",
]

EVALUATION_STEP: Final = "XGBoostModelEval-Calibration"
CALIBRATION_STEP: Final = "ModelCalibration-Calibration"
PACKAGE_STEP: Final = "Package"
MODEL_ARTIFACTS_PARAMETER: Final = "ModelArtifacts"
"""Pipeline parameter: S3 URI of the trained model (read by evaluation and packaging)."""
EVALUATION_DATA_PARAMETER: Final = "EvaluationData"
"""Pipeline parameter: S3 URI of the rows the model scores."""


def _external_source(value: object, where: str) -> InputSource:
    if isinstance(value, str):
        return value
    if is_pipeline_value(value):
        return value  # type: ignore[return-value]  # is_pipeline_value narrows to the InputSource members
    raise BuildError(
        Code.BUILD_INPUT_SOURCE,
        f"the value bound to {where} is not an S3 URI or pipeline value; got {value!r}.",
        hint="bind an s3:// URI, a StringParameter, a Join or a SageMaker pipeline variable",
    )


@attrs.frozen(kw_only=True)
class ResolvedInputs:
    """A DAG's resolution report and the input source of every dependency it resolved.

    ``sources`` is keyed by ``(step, dependency)``, both names; unresolved (optional)
    dependencies have none.
    """

    report: ResolutionReport
    sources: Mapping[tuple[str, str], InputSource]

    def inputs_for(self, step: str, spec: StepSpecification[InputNameT, OutputNameT]) -> dict[InputNameT, InputSource]:
        """The inputs of ``step`` (a DAG node name) keyed by its own input enum; unresolved ones are left out."""
        return {
            dependency.logical_name: self.sources[(step, dependency.name)]
            for dependency in spec.dependencies
            if (step, dependency.name) in self.sources
        }


def resolve_inputs(
    nodes: Sequence[Node],
    *,
    upstream: Mapping[str, Collection[str]] | None = None,
    edges: Iterable[Edge[enum.Enum, enum.Enum]] = (),
    bindings: Iterable[ExternalBinding[enum.Enum]] = (),
) -> ResolvedInputs:
    """Resolve the DAG (see :func:`~calibration_step.resolver.resolve`) and make each resolved input's source.

    The report describes an external binding; its value, the source, is kept from ``bindings``.

    Raises
    ------
    ResolutionError
        As :func:`~calibration_step.resolver.resolve`.
    BuildError
        ``BUILD-INPUT-SOURCE`` for a bound value that is not an S3 URI or pipeline value.
    """
    given = tuple(bindings)
    report = resolve(nodes, upstream=upstream, edges=edges, bindings=given)
    bound = {(binding.step, str(binding.dependency.value)): binding.value for binding in given}
    sources: dict[tuple[str, str], InputSource] = {}
    for item in report.resolutions:
        key = (item.step, item.dependency)
        if item.source == "external":
            sources[key] = _external_source(bound[key], f"{item.step}.{item.dependency}")
        elif item.chosen is not None:
            sources[key] = PropertyReference(step_name=item.chosen.provider_step, property_path=item.chosen.property_path)
    return ResolvedInputs(report=report, sources=sources)


@attrs.frozen(kw_only=True)
class CalibrationDag:
    """The configs of ``[XGBoostModelEval ->] ModelCalibration -> Package``.

    Without ``evaluation`` the calibration reads the ``EvaluationData`` parameter; with it, the
    output of the user's own evaluation step (``evaluation.script_uri`` must name its script).
    The pipeline's name, region, bucket and execution prefix come from ``calibration``.
    """

    calibration: ModelCalibrationConfig
    package: PackageConfig
    evaluation: XGBoostModelEvalConfig | None = None


def _calibration_dag_parameters(dag: CalibrationDag) -> tuple[StringParameter, ...]:
    """``ExecutionPrefix``, ``ModelArtifacts`` and ``EvaluationData`` (the latter two folders under the bucket).

    The folders end in ``/``: an input reads every object whose key starts with its URI, so
    ``.../data/calibration/`` reads that folder and not ``.../data/calibration_old/``.
    """
    bucket = f"s3://{dag.calibration.bucket}"
    return (
        default_execution_prefix(dag.calibration),
        StringParameter(name=MODEL_ARTIFACTS_PARAMETER, default_value=f"{bucket}/model/"),
        StringParameter(name=EVALUATION_DATA_PARAMETER, default_value=f"{bucket}/data/calibration/"),
    )


def _nodes(dag: CalibrationDag) -> tuple[Node, ...]:
    evaluation: tuple[Node, ...] = ((EVALUATION_STEP, XGBOOST_MODEL_EVAL.spec),) if dag.evaluation is not None else ()
    return (*evaluation, (CALIBRATION_STEP, MODEL_CALIBRATION_SPEC), (PACKAGE_STEP, PACKAGE.spec))


def _bindings(dag: CalibrationDag, parameters: Sequence[StringParameter]) -> tuple[ExternalBinding[enum.Enum], ...]:
    model, data = parameters[1], parameters[2]
    package = ExternalBinding(step=PACKAGE_STEP, dependency=PackageInput.MODEL_INPUT, value=model)
    if dag.evaluation is None:
        return (ExternalBinding(step=CALIBRATION_STEP, dependency=ModelCalibrationInput.EVALUATION_DATA, value=data),
                package)
    return (
        ExternalBinding(step=EVALUATION_STEP, dependency=XGBoostModelEvalInput.MODEL_INPUT, value=model),
        ExternalBinding(step=EVALUATION_STEP, dependency=XGBoostModelEvalInput.PROCESSED_DATA, value=data),
        package,
    )


def _resolved_inputs(dag: CalibrationDag, parameters: Sequence[StringParameter]) -> ResolvedInputs:
    upstream = {PACKAGE_STEP: {CALIBRATION_STEP}}
    if dag.evaluation is not None:
        upstream[CALIBRATION_STEP] = {EVALUATION_STEP}
    return resolve_inputs(_nodes(dag), upstream=upstream, bindings=_bindings(dag, parameters))


def calibration_dag_report(dag: CalibrationDag) -> ResolutionReport:
    """The resolution of the calibration DAG (Package's ``calibration_model`` and ``calibration_metrics``,
    and with an evaluation step ``evaluation_data``, are inferred)."""
    return _resolved_inputs(dag, _calibration_dag_parameters(dag)).report


def calibration_dag_steps(dag: CalibrationDag) -> tuple[list[Step], tuple[StringParameter, ...], ResolutionReport]:
    """The pipeline's top-level steps ([evaluation,] calibration, condition with Package and the Fail step inside),
    its parameters, the report.

    Raises
    ------
    BuildError
        ``BUILD-SCRIPT-REQUIRED`` for an evaluation config without ``script_uri``, and as the builders.
    """
    parameters = _calibration_dag_parameters(dag)
    resolved = _resolved_inputs(dag, parameters)
    prefix = parameters[0]
    top: list[Step] = []
    if dag.evaluation is not None:
        top.append(build_xgboost_model_eval_step(
            dag.evaluation,
            resolved.inputs_for(EVALUATION_STEP, XGBOOST_MODEL_EVAL.spec),
            execution_prefix=prefix,
            step_name=EVALUATION_STEP,
        ))
    calibration_inputs: dict[ModelCalibrationInput, InputSource] = resolved.inputs_for(CALIBRATION_STEP, MODEL_CALIBRATION_SPEC)
    calibration = build_model_calibration_step(
        dag.calibration, calibration_inputs, execution_prefix=prefix, step_name=CALIBRATION_STEP
    )
    package = build_package_step(
        dag.package, resolved.inputs_for(PACKAGE_STEP, PACKAGE.spec), execution_prefix=prefix, step_name=PACKAGE_STEP
    )
    condition = calibration_condition_step(calibration, if_steps=[package])
    return [*top, calibration.step, condition], parameters, resolved.report


def calibration_dag_definition(dag: CalibrationDag) -> dict[str, object]:
    """The pipeline definition of the calibration DAG, built offline (no AWS request)."""
    steps, parameters, _report = calibration_dag_steps(dag)
    return pipeline_definition(steps, parameters, dag.calibration)
