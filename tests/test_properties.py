from __future__ import annotations

import pytest

from calibration_step import PropertyReference, SpecError
from calibration_step.properties import parse_property_path


class Node:
    def __init__(self, **attributes: object) -> None:
        self.__dict__.update(attributes)


def _step() -> Node:
    outputs = {"metrics_output": Node(S3Output=Node(S3Uri="s3://bucket/metrics"))}
    return Node(properties=Node(ProcessingOutputConfig=Node(Outputs=outputs), Items=["first", "second"]))


def test_get_form_drops_the_properties_prefix() -> None:
    ref = PropertyReference(step_name="Eval", property_path="properties.Items[1]")
    assert ref.to_get() == {"Get": "Steps.Eval.Items[1]"}


def test_resolve_walks_attributes_keys_and_indices() -> None:
    by_key = PropertyReference(
        step_name="Calibrate",
        property_path="properties.ProcessingOutputConfig.Outputs['metrics_output'].S3Output.S3Uri",
    )
    assert by_key.resolve(_step()) == "s3://bucket/metrics"
    assert PropertyReference(step_name="Calibrate", property_path="properties.Items[1]").resolve(_step()) == "second"


def test_resolve_names_the_missing_part() -> None:
    ref = PropertyReference(step_name="Calibrate", property_path="properties.ProcessingOutputConfig.Outputs['nope'].S3Output")
    with pytest.raises(SpecError, match=r"PROPERTY-PATH-UNRESOLVED.*properties.ProcessingOutputConfig.Outputs\['nope'\]"):
        ref.resolve(_step())
    with pytest.raises(SpecError, match="has no 'properties'"):
        ref.resolve(object())


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("Properties.ProcessingOutputConfig", "PROPERTY-PATH-PREFIX"),
        ("ProcessingOutputConfig.Outputs", "PROPERTY-PATH-PREFIX"),
        ("properties.Outputs[name]", "PROPERTY-PATH-SYNTAX"),
        ("properties.", "PROPERTY-PATH-SYNTAX"),
    ],
)
def test_bad_paths_are_refused_at_construction(path: str, code: str) -> None:
    with pytest.raises(SpecError, match=code):
        PropertyReference(step_name="S", property_path=path)
    with pytest.raises(SpecError, match=code):
        parse_property_path(path)
