def retrieve(
    framework: str,
    region: str,
    version: str | None = ...,
    py_version: str | None = ...,
    instance_type: str | None = ...,
    image_scope: str | None = ...,
) -> str: ...
