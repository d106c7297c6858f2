"""Where the executor's ``s3://`` objects live: a local folder, or S3 itself through boto3.

:class:`S3Store` is the small interface the executor needs (list keys under a prefix, get an
object to a file, put a file, read and write bytes). :class:`LocalS3Store` keeps
``s3://bucket/key`` at ``<root>/bucket/key``; :class:`Boto3S3Store` talks to S3 (tests run it
against moto's ``mock_aws``). Keys are listed in S3's order (UTF-8 binary order, which for text
keys is Python's string order).

Examples
--------
>>> import tempfile
>>> store = LocalS3Store(Path(tempfile.mkdtemp()))
>>> store.put_bytes("s3://bucket/data/a.csv", b"x,y")
>>> store.put_bytes("s3://bucket/data_old/b.csv", b"x,y")
>>> store.list_keys("bucket", "data")
['data/a.csv', 'data_old/b.csv']
>>> store.read_bytes("s3://bucket/data/a.csv")
b'x,y'
>>> split_uri("s3://bucket/data/a.csv")
('bucket', 'data/a.csv')
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from calibration_step.errors import Code, LocalExecutionError

if TYPE_CHECKING:
    from boto3 import S3Client  # only in typing_stubs/boto3: the client's static shape

__all__ = ["Boto3S3Store", "LocalS3Store", "S3Store", "join_uri", "split_uri"]

_SCHEME = "s3://"


def split_uri(uri: str) -> tuple[str, str]:
    """Bucket and key of ``s3://bucket/key`` (the key as written, trailing slash kept; may be empty).

    Raises
    ------
    LocalExecutionError
        ``LOCAL-S3-URI`` when ``uri`` is not an ``s3://`` URI with a bucket.
    """
    bucket, _, key = uri[len(_SCHEME):].partition("/") if uri.startswith(_SCHEME) else ("", "", "")
    if not bucket or ".." in key.split("/"):
        raise LocalExecutionError(Code.LOCAL_S3_URI, f"{uri!r} is not an S3 URI the executor can read or write.",
                                  hint="write s3://bucket/key, without '..' segments")
    return bucket, key


def join_uri(uri: str, relative: str) -> str:
    """``uri`` and a relative key joined by one slash."""
    return f"{uri.rstrip('/')}/{relative}" if relative else uri


class S3Store(Protocol):
    """The object store the executor reads inputs from and writes outputs to."""

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        """Every key of ``bucket`` that starts with ``prefix`` (plain text prefix), sorted."""

    def get_file(self, bucket: str, key: str, target: Path) -> None:
        """Write the object's bytes to ``target`` (its folder exists)."""

    def put_file(self, source: Path, bucket: str, key: str) -> None:
        """Store the file ``source`` as the object ``key``."""

    def read_bytes(self, uri: str) -> bytes:
        """The bytes of the object at ``uri`` (``LOCAL-S3-MISSING`` if there is none)."""

    def put_bytes(self, uri: str, body: bytes) -> None:
        """Store ``body`` as the object at ``uri``."""


def _missing(uri: str) -> LocalExecutionError:
    return LocalExecutionError(Code.LOCAL_S3_MISSING, f"no object at {uri!r}.", hint="write the object first")


class LocalS3Store:
    """``s3://bucket/key`` kept as the file ``<root>/bucket/key`` (a key ending in ``/`` is not kept)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, bucket: str, key: str) -> Path:
        if not key or key.endswith("/"):
            raise LocalExecutionError(Code.LOCAL_S3_URI, f"the local store keeps objects, not folders; got key {key!r}.",
                                      hint="name an object key that does not end with '/'")
        return self.root / bucket / key

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        """See :class:`S3Store`."""
        folder = self.root / bucket
        if not folder.is_dir():
            return []
        keys = (path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
        return sorted(key for key in keys if key.startswith(prefix))

    def get_file(self, bucket: str, key: str, target: Path) -> None:
        """See :class:`S3Store` (a copy: a step cannot change the store by writing to its inputs)."""
        shutil.copyfile(self._path(bucket, key), target)

    def put_file(self, source: Path, bucket: str, key: str) -> None:
        """See :class:`S3Store`."""
        path = self._path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)

    def read_bytes(self, uri: str) -> bytes:
        """See :class:`S3Store`."""
        path = self._path(*split_uri(uri))
        if not path.is_file():
            raise _missing(uri)
        return path.read_bytes()

    def put_bytes(self, uri: str, body: bytes) -> None:
        """See :class:`S3Store`."""
        path = self._path(*split_uri(uri))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


class Boto3S3Store:
    """The store on S3 itself, through a boto3 S3 client."""

    def __init__(self, client: S3Client) -> None:
        self.client = client

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        """See :class:`S3Store` (every page of ``list_objects_v2``)."""
        keys: list[str] = []
        token: str | None = None
        while True:
            page = (self.client.list_objects_v2(Bucket=bucket, Prefix=prefix, ContinuationToken=token) if token
                    else self.client.list_objects_v2(Bucket=bucket, Prefix=prefix))
            keys += [item["Key"] for item in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or token is None:
                return sorted(keys)

    def get_file(self, bucket: str, key: str, target: Path) -> None:
        """See :class:`S3Store`."""
        self.client.download_file(bucket, key, os.fspath(target))

    def put_file(self, source: Path, bucket: str, key: str) -> None:
        """See :class:`S3Store`."""
        self.client.upload_file(os.fspath(source), bucket, key)

    def read_bytes(self, uri: str) -> bytes:
        """See :class:`S3Store`."""
        bucket, key = split_uri(uri)
        if key not in self.list_keys(bucket, key):
            raise _missing(uri)
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def put_bytes(self, uri: str, body: bytes) -> None:
        """See :class:`S3Store`."""
        bucket, key = split_uri(uri)
        self.client.put_object(Bucket=bucket, Key=key, Body=body)
