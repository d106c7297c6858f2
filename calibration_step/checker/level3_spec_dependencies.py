"""Level 3: every dependency can be satisfied, and property paths fit the SageMaker step type.

Each dependency of a registered step is scored against every output of every registered step
(itself included: a ModelCalibration can feed another one) with the resolver's scoring function
and weights (:func:`calibration_step.resolver.scoring.candidate`, threshold
:data:`~calibration_step.resolver.scoring.THRESHOLD`). A candidate counts when it has name
evidence and scores strictly above the threshold, exactly as the resolver wires.

- ``DEPENDENCY-SATISFIED`` (info): the best candidate, its score and evidence.
- ``DEPENDENCY-EXTERNAL`` (info): no registered step is a compatible source and no registered
  output qualifies: the dependency is an external input (a pipeline parameter or S3 URI).
- ``DEPENDENCY-TYPE`` (error): a registered compatible source offers no output whose type the
  dependency accepts.
- ``DEPENDENCY-UNSATISFIED`` (error): a registered compatible source offers type-compatible
  outputs, but none scores above the threshold with name evidence.
- ``PROPERTY-PATH-CAPITALISED`` (error): a path starting with ``Properties.``.
- ``PROPERTY-PATH-STEP-TYPE`` (error): a path that is not a runtime property of the registered
  SageMaker step type (see :mod:`.property_paths`).
- ``CHECK-NOT-CHECKED`` (info): a check that could not run, and why.

Examples
--------
>>> from calibration_step.registry import build_registry
>>> from calibration_step.steps.model_calibration.registration import model_calibration_registration
>>> registration = model_calibration_registration()
>>> for finding in check_spec_dependencies(registration, build_registry([registration])):
...     print(finding.severity, finding.code, finding.location)
info DEPENDENCY-EXTERNAL ModelCalibration.dependencies.evaluation_data
info DEPENDENCY-SATISFIED ModelCalibration.dependencies.calibration_model
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from calibration_step.checker.findings import Finding, Severity
from calibration_step.checker.property_paths import ServiceModelUnavailable, property_path_errors
from calibration_step.errors import Code
from calibration_step.registry import AnyStepRegistration, StepRegistry
from calibration_step.spec import DependencySpec

__all__ = ["check_spec_dependencies"]


def _finding(severity: Severity, code: str, message: str, fix: str, step_type: str, location: str) -> Finding:
    return Finding(level=3, severity=severity, code=code, message=message, fix=fix, step_type=step_type, location=location)


def _dependency_findings(registration: AnyStepRegistration, registry: StepRegistry) -> list[Finding]:
    """Score every dependency of ``registration`` against every registered output."""
    step_type = registration.step_type
    try:
        from calibration_step.matching import name_similarity
        from calibration_step.resolver.scoring import (
            DEFAULT_WEIGHTS,
            THRESHOLD,
            candidate,
            profile_dependency,
            profile_output,
        )
    except ImportError as exc:
        return [_finding("info", Code.CHECK_NOT_CHECKED,
                         f"not checked: dependency satisfaction, because the resolver cannot be imported ({exc})",
                         "install a package version with calibration_step.resolver", step_type, f"{step_type}.dependencies")]
    outputs = [
        profile_output(other.step_type, other.step_type, position, index, output)
        for position, other in enumerate(registry)
        for index, output in enumerate(other.spec.outputs)
    ]
    found: list[Finding] = []
    for index, dependency in enumerate(registration.spec.dependencies):
        where = f"{step_type}.dependencies.{dependency.name}"
        profile = profile_dependency(step_type, step_type, index, dependency)
        # A step's own outputs feed another instance of it only where it lists itself as a source.
        producers = [o for o in outputs if o.step_type != step_type or step_type in dependency.compatible_sources]
        candidates = sorted((candidate(profile, output, DEFAULT_WEIGHTS, name_similarity) for output in producers),
                            key=lambda c: (-c.score, c.provider_type, c.output))
        wired = [c for c in candidates if c.evidence and c.score > THRESHOLD]
        sources = [c for c in candidates if c.provider_type in dependency.compatible_sources]
        if wired:
            best = wired[0]
            declared = "" if best.provider_type in dependency.compatible_sources else ", not a declared compatible source"
            found.append(_finding("info", Code.DEPENDENCY_SATISFIED,
                                  f"dependency {dependency.name!r} is satisfied by {best.provider_type}.{best.output} "
                                  f"(score {best.score:.3f} > {THRESHOLD}{declared}; evidence {', '.join(best.evidence)})",
                                  "nothing to do", step_type, where))
        elif not sources:
            found.append(_finding("info", Code.DEPENDENCY_EXTERNAL, _external_message(dependency, registry),
                                  "bind it to a pipeline parameter or S3 URI, or register a compatible source step",
                                  step_type, where))
        elif all(c.score == 0.0 for c in sources):
            offered = sorted({f"{c.provider_type}.{c.output}" for c in sources})
            found.append(_finding("error", Code.DEPENDENCY_TYPE,
                                  f"dependency {dependency.name!r} wants {dependency.dependency_type.value}, which no output of "
                                  f"its registered compatible sources accepts as a type ({', '.join(offered)})",
                                  "make the dependency type and the source's output type the same or compatible",
                                  step_type, where))
        else:
            best = max(sources, key=lambda c: c.score)
            evidence = ", ".join(best.evidence) or "no name evidence"
            found.append(_finding("error", Code.DEPENDENCY_UNSATISFIED,
                                  f"dependency {dependency.name!r}: the best registered source {best.provider_type}.{best.output} "
                                  f"scores {best.score:.3f} ({evidence}), not above the threshold {THRESHOLD}",
                                  "align the names: give the output an alias equal to the dependency's logical name, "
                                  "or add semantic keywords the output's names contain", step_type, where))
    return found


def _external_message(dependency: DependencySpec[enum.Enum], registry: StepRegistry) -> str:
    sources = ", ".join(dependency.compatible_sources) if dependency.compatible_sources else "none declared"
    registered = "; none is registered" if dependency.compatible_sources else ""
    return (f"dependency {dependency.name!r} has no registered producer (compatible sources: {sources}{registered}); "
            f"it is an external input among {len(registry)} registered step(s)")


def _property_path_findings(registration: AnyStepRegistration) -> list[Finding]:
    """Every output's property path must be a runtime property of the registered SageMaker step type."""
    step_type = registration.step_type
    kind = registration.sagemaker_step_type
    found: list[Finding] = []
    for output in registration.spec.outputs:
        where = f"{step_type}.outputs.{output.name}.property_path"
        try:
            errors: Sequence[str] = property_path_errors(output.property_path, kind)
        except ServiceModelUnavailable as exc:
            return [_finding("info", Code.CHECK_NOT_CHECKED,
                             f"not checked: property paths against the {kind} step's properties, because {exc}",
                             "install botocore", step_type, f"{step_type}.outputs")]
        for error in errors:
            code = Code.PROPERTY_PATH_CAPITALISED if output.property_path.startswith("Properties.") else Code.PROPERTY_PATH_STEP_TYPE
            found.append(_finding("error", code,
                                  f"output {output.name!r} has property path {output.property_path!r}, which a {kind} step "
                                  f"does not have: {error}",
                                  _path_fix(kind, output.name), step_type, where))
    return found


def _path_fix(kind: str, name: str) -> str:
    examples = {
        "Processing": f"properties.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri",
        "Training": "properties.ModelArtifacts.S3ModelArtifacts",
        "Transform": "properties.TransformOutput.S3OutputPath",
    }
    example = examples.get(kind)
    return f"write it as in the SageMaker API, e.g. {example}" if example else "write it as in the SageMaker API (lowercase properties.)"


def check_spec_dependencies(registration: AnyStepRegistration, registry: StepRegistry) -> tuple[Finding, ...]:
    """Level 3 for one registered step, against every step in ``registry``."""
    return (*_dependency_findings(registration, registry), *_property_path_findings(registration))
