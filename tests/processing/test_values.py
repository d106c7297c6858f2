from __future__ import annotations

from calibration_step.processing.values import Join, StringParameter, is_pipeline_value, value_expr
from calibration_step.properties import PropertyReference


class _Variable:
    @property
    def expr(self) -> object:
        return {"Get": "Steps.Other.Something"}


def test_expressions() -> None:
    prefix = StringParameter(name="ExecutionPrefix", default_value="s3://b/p")
    ref = PropertyReference(step_name="Prep", property_path="properties.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri")
    join = Join(on="/", values=(prefix, ref, Join(values=("a", 1)), _Variable()))
    assert join.to_expr() == {
        "Std:Join": {
            "On": "/",
            "Values": [
                {"Get": "Parameters.ExecutionPrefix"},
                {"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri"},
                {"Std:Join": {"On": "", "Values": ["a", 1]}},
                {"Get": "Steps.Other.Something"},
            ],
        }
    }
    assert value_expr("text") == "text"


def test_is_pipeline_value() -> None:
    assert is_pipeline_value(_Variable())
    assert is_pipeline_value(StringParameter(name="P"))
    assert not is_pipeline_value("s3://b/k")
    assert not is_pipeline_value(3)
