from __future__ import annotations

import pytest

from calibration_step.processing.s3 import bucket_problem, normalise_s3_uri, s3_join, split_s3_uri
from calibration_step.errors import BuildError


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket/a/b", "s3://bucket/a/b"),
        ("s3://bucket/a//b/", "s3://bucket/a/b"),
        ("s3://bucket//a///b//", "s3://bucket/a/b"),
        ("s3://bucket", "s3://bucket"),
        ("s3://bucket/", "s3://bucket"),
        ("s3://my.bucket-1/x.csv", "s3://my.bucket-1/x.csv"),
    ],
)
def test_normalise_removes_doubled_and_trailing_slashes(uri: str, expected: str) -> None:
    assert normalise_s3_uri(uri, what="input 'x'") == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://bucket/a", r"input 'evaluation_data' must be an S3 URI \(s3://bucket/key\); got 'https://bucket/a'"),
        ("/local/path", r"input 'evaluation_data' must be an S3 URI"),
        ("S3://bucket/a", r"must be an S3 URI"),
        ("s3://Bucket/a", r"input 'evaluation_data' has an invalid bucket name 'Bucket'.*lowercase"),
        ("s3://b_ucket/a", r"invalid bucket name 'b_ucket'"),
        ("s3://ab/a", r"invalid bucket name 'ab'.*3 to 63 characters, this one 2"),
        ("s3://" + "a" * 64 + "/k", r"3 to 63 characters, this one 64"),
        ("s3://a..b/k", r"two adjacent periods"),
        ("s3://192.168.1.1/k", r"IP address"),
        ("s3://xn--bucket/k", r"reserves"),
        ("s3://bucket/a/../b", r"'\.' or '\.\.' path segment"),
        ("s3:///key", r"invalid bucket name ''"),
    ],
)
def test_invalid_uris_name_the_input(uri: str, message: str) -> None:
    with pytest.raises(BuildError, match=message) as info:
        normalise_s3_uri(uri, what="input 'evaluation_data'")
    assert info.value.code == "BUILD-S3-URI"


def test_bucket_problem_accepts_valid_names() -> None:
    assert bucket_problem("abc") is None
    assert bucket_problem("a" * 63) is None


def test_split_and_join() -> None:
    assert split_s3_uri("s3://bucket/a//b/", what="x") == ("bucket", "a/b")
    assert s3_join("s3://bucket/pipe/", "/code/", "model_calibration.py") == "s3://bucket/pipe/code/model_calibration.py"
