"""The shared validators and converters of the config tiers."""

from __future__ import annotations

import attrs
import pytest

from calibration_step.config.validation import (
    Validator,
    aws_region,
    iam_role_arn,
    instance_type,
    int_between,
    is_int,
    one_of,
    raise_conflicts,
    s3_bucket_name,
    str_tuple,
    to_float,
    to_tuple,
)
from calibration_step.errors import ConfigError, Problem


@attrs.frozen(kw_only=True)
class Example:
    count: int = attrs.field(default=2, validator=[is_int, int_between(1, 3)])
    mode: str = attrs.field(default="a", validator=one_of(("a", "b")))
    names: tuple[str, ...] = attrs.field(default=(), converter=to_tuple, validator=str_tuple(max_items=2))
    ratio: float = attrs.field(default=0.5, converter=to_float)


def test_type_errors_come_before_value_errors_and_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"^\[CONFIG-TYPE\] Example.count must be an int; got '2'\.") as exc:
        Example(count="2")  # type: ignore[arg-type]  # wrong type on purpose
    assert exc.value.problems[0].location == "count"
    with pytest.raises(ConfigError, match=r"^\[CONFIG-VALUE\] Example.count must be an int from 1 to 3; got 4\."):
        Example(count=4)


def test_str_tuple_rules() -> None:
    assert Example(names=["x", "y"]).names == ("x", "y")
    for bad in (("x", "x"), ("x", "y", "z"), ("",), (" x",)):
        with pytest.raises(ConfigError, match=r"Example.names must be a list of non-empty strings without repeats"):
            Example(names=bad)


def test_to_float_converts_ints_but_not_bools() -> None:
    assert Example(ratio=1).ratio == 1.0 and isinstance(Example(ratio=1).ratio, float)
    assert Example(ratio=True).ratio is True  # left to a validator (none here)


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (s3_bucket_name, "my.bucket-1", "my..bucket"),
        (iam_role_arn, "arn:aws-cn:iam::123456789012:role/path/R", "arn:aws:iam::123456789012:user/R"),
        (aws_region, "ap-southeast-2", "moon-1"),
        (instance_type, "ml.g4dn.xlarge", "ml.g4dn"),
    ],
)
def test_aws_name_validators(validator: Validator, good: str, bad: str) -> None:
    @attrs.frozen(kw_only=True)
    class Named:
        value: str = attrs.field(validator=validator)

    assert Named(value=good).value == good
    with pytest.raises(ConfigError, match=r"Named.value must be"):
        Named(value=bad)


def test_raise_conflicts_lists_every_problem() -> None:
    raise_conflicts("Example", [])
    one = Problem(code="CONFIG-CONFLICT", message="Example.a must differ from b.", hint="change a", location="a")
    two = Problem(code="CONFIG-CONFLICT", message="Example.c must be set.", hint="set c", location="c")
    with pytest.raises(ConfigError, match=r"^\[CONFIG-CONFLICT\] Example.a must differ from b\. \(hint: change a\)$"):
        raise_conflicts("Example", [one])
    with pytest.raises(ConfigError, match=r"Example has 2 conflicting settings") as exc:
        raise_conflicts("Example", [one, two])
    assert exc.value.problems == (one, two)
