"""S3 URIs: validation against the bucket-naming rules, and normalisation.

Examples
--------
>>> normalise_s3_uri("s3://my-bucket//data/scores/", what="input 'evaluation_data'")
's3://my-bucket/data/scores'
>>> s3_join("s3://my-bucket/pipe/", "code", "model_calibration.py")
's3://my-bucket/pipe/code/model_calibration.py'
>>> normalise_s3_uri("https://my-bucket/data", what="input 'evaluation_data'")
Traceback (most recent call last):
...
calibration_step.errors.BuildError: [BUILD-S3-URI] input 'evaluation_data' must be an S3 URI (s3://bucket/key); got 'https://my-bucket/data'. ...
"""

from __future__ import annotations

import re

from calibration_step.errors import BuildError, Code

__all__ = ["bucket_problem", "normalise_s3_uri", "s3_join", "split_s3_uri"]

_SCHEME = "s3://"
_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` breaks the S3 general-purpose bucket naming rules, or ``None`` if it does not.

    Examples
    --------
    >>> bucket_problem("my-bucket") is None
    True
    >>> bucket_problem("My_Bucket")
    'only lowercase letters, digits, dots and hyphens are allowed, beginning and ending with a letter or digit'
    """
    if not 3 <= len(bucket) <= 63:
        return f"a bucket name has 3 to 63 characters, this one {len(bucket)}"
    if _BUCKET_CHARS.fullmatch(bucket) is None:
        return "only lowercase letters, digits, dots and hyphens are allowed, beginning and ending with a letter or digit"
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        return "two adjacent periods, or a period next to a hyphen, are not allowed"
    if _IP_ADDRESS.fullmatch(bucket):
        return "a bucket name must not look like an IP address"
    if bucket.startswith(_RESERVED_PREFIXES) or bucket.endswith(_RESERVED_SUFFIXES):
        return "the name uses a prefix or suffix that S3 reserves"
    return None


def split_s3_uri(uri: str, *, what: str) -> tuple[str, str]:
    """Bucket and key (no leading or trailing slash, no empty parts) of a valid S3 URI.

    Raises
    ------
    BuildError
        ``BUILD-S3-URI`` naming ``what`` when the scheme, the bucket or the key is not valid.
    """
    if not uri.startswith(_SCHEME):
        raise BuildError(
            Code.BUILD_S3_URI,
            f"{what} must be an S3 URI (s3://bucket/key); got {uri!r}.",
            hint="local paths are not uploaded when a definition is built; upload first, pass the s3:// URI",
        )
    bucket, _, key = uri[len(_SCHEME) :].partition("/")
    problem = bucket_problem(bucket)
    if problem is not None:
        raise BuildError(
            Code.BUILD_S3_URI,
            f"{what} has an invalid bucket name {bucket!r} in {uri!r}: {problem}.",
            hint="use the name of an existing S3 bucket",
        )
    parts = [part for part in key.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise BuildError(
            Code.BUILD_S3_URI,
            f"{what} has a '.' or '..' path segment in {uri!r}.",
            hint="write the key without relative segments",
        )
    if any(ord(char) < 32 for char in key):
        raise BuildError(Code.BUILD_S3_URI, f"{what} has a control character in {uri!r}.", hint="remove it")
    return bucket, "/".join(parts)


def normalise_s3_uri(uri: str, *, what: str) -> str:
    """``uri`` validated, with doubled and trailing slashes removed.

    Raises
    ------
    BuildError
        ``BUILD-S3-URI`` naming ``what`` (e.g. ``"input 'evaluation_data'"``).
    """
    bucket, key = split_s3_uri(uri, what=what)
    return f"{_SCHEME}{bucket}/{key}" if key else f"{_SCHEME}{bucket}"


def s3_join(base: str, *parts: str) -> str:
    """``base`` and ``parts`` joined with single slashes, then normalised.

    Raises
    ------
    BuildError
        ``BUILD-S3-URI`` when ``base`` is not a valid S3 URI.
    """
    text = "/".join([base, *parts])
    return normalise_s3_uri(text, what=f"S3 location {base!r}")
