# Narrow stubs: what bench/quality/ uses (threadpoolctl, a scikit-learn dependency, ships no
# type hints).
from types import TracebackType

class threadpool_limits:
    def __init__(self, limits: int | None = ..., user_api: str | None = ...) -> None: ...
    def __enter__(self) -> threadpool_limits: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
