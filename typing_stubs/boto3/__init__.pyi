# Stubs for the part of boto3 that calibration_step uses: a session and its S3 client.
from collections.abc import Mapping
from typing import Literal, Protocol

class _StreamingBody(Protocol):
    def read(self) -> bytes: ...

class _GetObjectOutput(Protocol):
    def __getitem__(self, key: Literal["Body"]) -> _StreamingBody: ...

class _ListedObject(Protocol):
    def __getitem__(self, key: Literal["Key"]) -> str: ...

class _ListObjectsOutput(Protocol):
    def __getitem__(self, key: Literal["Contents"]) -> list[_ListedObject]: ...

class S3Client(Protocol):
    def put_object(
        self,
        *,
        Bucket: str,
        Key: str,
        Body: bytes,
        ContentType: str = ...,
        ServerSideEncryption: str = ...,
        SSEKMSKeyId: str = ...,
    ) -> Mapping[str, object]: ...
    def get_object(self, *, Bucket: str, Key: str) -> _GetObjectOutput: ...
    def list_objects_v2(self, *, Bucket: str, Prefix: str = ...) -> _ListObjectsOutput: ...
    def create_bucket(
        self, *, Bucket: str, CreateBucketConfiguration: Mapping[str, str] = ...
    ) -> Mapping[str, object]: ...

DEFAULT_SESSION: Session | None

class Session:
    def __init__(
        self,
        aws_access_key_id: str | None = ...,
        aws_secret_access_key: str | None = ...,
        aws_session_token: str | None = ...,
        region_name: str | None = ...,
        profile_name: str | None = ...,
    ) -> None: ...
    @property
    def region_name(self) -> str | None: ...
    def client(self, service_name: Literal["s3"], region_name: str | None = ...) -> S3Client: ...
