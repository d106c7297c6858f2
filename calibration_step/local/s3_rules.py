"""SageMaker's rules for a processing job's S3 inputs and outputs, on an :class:`S3Store`.

Inputs (``ProcessingS3Input``, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingS3Input.html):

- ``S3DataType: S3Prefix``: "``S3Uri`` identifies a key name prefix. Amazon SageMaker uses all
  objects with the specified key name prefix". The prefix is plain text, no slash is added:
  ``s3://b/scores`` takes ``scores/a.csv`` and also ``scores_old/b.csv``; ``s3://b/scores/``
  takes only the first.
- Where an object lands: the rest of its key after the prefix (leading slashes dropped) under
  ``LocalPath``, and an object whose key is the prefix itself as its file name under
  ``LocalPath`` -- the rule of the SDK's local mode (``download_folder`` in
  https://github.com/aws/sagemaker-python-sdk/blob/master/src/sagemaker/utils.py). So
  ``s3://b/code/run.py`` gives ``LocalPath/run.py``, ``s3://b/scores`` gives ``LocalPath/a.csv``
  and ``LocalPath/_old/b.csv``.
- No object under the prefix fails the job, as SageMaker does.
- ``S3DataDistributionType: FullyReplicated`` gives every instance every object;
  ``ShardedByS3Key`` gives each of N instances about 1/N of the objects (the API's wording,
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3DataSource.html). Locally the
  shards are round-robin over the sorted keys: instance i (from 0) takes keys i, i+N, i+2N ...
- ``ManifestFile`` inputs and ``Pipe`` mode are not run locally (an error says so).

Outputs (``ProcessingS3Output``): after the job, every file under each instance's ``LocalPath``
is uploaded to ``S3Uri/<path relative to LocalPath>``; the N instances of a job upload under
the same prefix (a file of the same name from two instances is the last one uploaded).

Examples
--------
>>> [o.relative for o in select_objects(["scores/a.csv", "scores_old/b.csv"], "scores")]
['a.csv', '_old/b.csv']
>>> [o.relative for o in select_objects(["code/run.py"], "code/run.py")]
['run.py']
>>> shard(["k0", "k1", "k2", "k3", "k4"], instances=2, index=1)
['k1', 'k3']
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, TypeVar

import attrs

from calibration_step.errors import Code, LocalExecutionError, StepFailure
from calibration_step.local.expressions import text_of
from calibration_step.local.store import S3Store, join_uri, split_uri

__all__ = ["InputObject", "download_input", "input_objects", "select_objects", "shard", "upload_output"]

T = TypeVar("T")
_MODES: Final = ("File", "FastFile")


@attrs.frozen(kw_only=True)
class InputObject:
    """One object of an input: its key and where it lands, relative to ``LocalPath``."""

    key: str
    relative: str


def select_objects(keys: Sequence[str], prefix: str) -> list[InputObject]:
    """The objects of ``keys`` under the plain-text ``prefix``, each with its path under ``LocalPath``."""
    chosen = []
    for key in keys:
        if key.startswith(prefix) and not key.endswith("/"):
            relative = key[len(prefix):].lstrip("/") or posixpath.basename(key)
            chosen.append(InputObject(key=key, relative=relative))
    return chosen


def shard(items: Sequence[T], *, instances: int, index: int) -> list[T]:
    """The ``index``-th of ``instances`` round-robin shards of ``items``."""
    return list(items[index::instances])


def _setting(s3_input: Mapping[str, object], name: str, default: str) -> str:
    return text_of(s3_input.get(name, default))


def input_objects(store: S3Store, s3_input: Mapping[str, object], *, name: str) -> list[InputObject]:
    """The objects an ``S3Input`` takes (resolved values), sorted by key.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-UNSUPPORTED`` for ``ManifestFile`` or ``Pipe``.
    StepFailure
        ``LOCAL-INPUT-EMPTY`` when no object has the prefix.
    """
    data_type, mode = _setting(s3_input, "S3DataType", "S3Prefix"), _setting(s3_input, "S3InputMode", "File")
    if data_type != "S3Prefix" or mode not in _MODES:
        raise LocalExecutionError(Code.LOCAL_UNSUPPORTED, f"input {name!r} has S3DataType {data_type!r} and S3InputMode "
                                  f"{mode!r}; the local executor reads S3Prefix inputs in File or FastFile mode.",
                                  hint="use an S3Prefix input (list the objects under one prefix) for a local run")
    uri = text_of(s3_input.get("S3Uri", ""))
    bucket, prefix = split_uri(uri)
    objects = select_objects(store.list_keys(bucket, prefix), prefix)
    if not objects:
        raise StepFailure(Code.LOCAL_INPUT_EMPTY, f"input {name!r}: no S3 objects found under {uri!r}.",
                          hint="write the data there first, or fix the S3Uri (an S3Prefix is a plain key prefix)")
    return objects


def download_input(store: S3Store, bucket: str, objects: Sequence[InputObject], folder: Path) -> None:
    """Put each object at ``folder/<its relative path>``."""
    for item in objects:
        target = folder.joinpath(*item.relative.split("/"))
        if ".." in item.relative.split("/"):
            raise StepFailure(Code.LOCAL_INPUT_KEY, f"object {item.key!r} would land outside the input folder.",
                              hint="rename the object without '..' segments")
        target.parent.mkdir(parents=True, exist_ok=True)
        store.get_file(bucket, item.key, target)


def upload_output(store: S3Store, folder: Path, uri: str) -> list[str]:
    """Upload every file under ``folder`` to ``uri/<relative path>``; the URIs written."""
    bucket, key = split_uri(uri)
    written = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        store.put_file(path, bucket, split_uri(join_uri(f"s3://{bucket}/{key}", relative))[1])
        written.append(join_uri(uri, relative))
    return written
