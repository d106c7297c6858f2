"""Container paths on the local disk: one folder per processing instance stands for ``/``.

Every ``/opt/ml/...`` path a step names -- in its inputs' and outputs' ``LocalPath``, its
container entrypoint and arguments (inside a ``/bin/sh -c`` command string too) and its
environment values -- is rewritten to the same path under the instance's folder. A path
hard-coded in the step's code is not rewritten (the code runs as it is).

SageMaker Processing gives the container two JSON files
(https://docs.aws.amazon.com/sagemaker/latest/dg/build-your-own-processing-container.html):
``/opt/ml/config/resourceconfig.json`` (``current_host`` and ``hosts``, ``algo-1`` ... ``algo-N``)
and ``/opt/ml/config/processingjobconfig.json`` (the job's request); both are written here.

Examples
--------
>>> instance = InstanceFolder(root=Path("/work/run/Fit/algo-1"), host="algo-1")
>>> instance.map_text('exec python3 /opt/ml/processing/input/code/run.py "$@"')
'exec python3 /work/run/Fit/algo-1/opt/ml/processing/input/code/run.py "$@"'
>>> instance.local("/opt/ml/processing/output/m")
PosixPath('/work/run/Fit/algo-1/opt/ml/processing/output/m')
>>> hosts(3)
['algo-1', 'algo-2', 'algo-3']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from calibration_step.errors import Code, LocalExecutionError, StepFailure

__all__ = ["InstanceFolder", "PROCESSING_ROOT", "checked_local_path", "hosts"]

PROCESSING_ROOT: Final = "/opt/ml/processing/"
"""Every input and output ``LocalPath`` starts here (the API's rule)."""
_CONTAINER_PATH = re.compile(r"(?<![\w./-])/opt/ml(?=/|[^\w.-]|$)")
_SAFE_FOLDER = re.compile(r"[\w./+-]+")


def hosts(count: int) -> list[str]:
    """The host names of a job of ``count`` instances, as SageMaker names them."""
    return [f"algo-{number}" for number in range(1, count + 1)]


def checked_local_path(value: object, *, what: str) -> str:
    """``value`` if it is a path under ``/opt/ml/processing/``.

    Raises
    ------
    StepFailure
        ``LOCAL-LOCAL-PATH``: SageMaker rejects such a job.
    """
    if not isinstance(value, str) or not value.startswith(PROCESSING_ROOT) or ".." in value.split("/"):
        raise StepFailure(Code.LOCAL_LOCAL_PATH, f"{what} has LocalPath {value!r}; it must be an absolute path under "
                          f"{PROCESSING_ROOT}.", hint=f"choose a LocalPath under {PROCESSING_ROOT}")
    return value


@attrs.frozen(kw_only=True)
class InstanceFolder:
    """The folder standing for one instance's ``/``, and its host name."""

    root: Path
    host: str

    def __attrs_post_init__(self) -> None:
        if not self.root.is_absolute() or _SAFE_FOLDER.fullmatch(os.fspath(self.root)) is None:
            raise LocalExecutionError(Code.LOCAL_WORK_DIR, f"the work folder {os.fspath(self.root)!r} must be an absolute "
                                      "path of letters, digits and . _ + - /, so that it can stand in shell commands.",
                                      hint="choose a --work-dir without spaces or shell characters")

    def local(self, container_path: str) -> Path:
        """Where ``container_path`` is on the local disk."""
        return self.root / container_path.lstrip("/")

    def map_text(self, text: str) -> str:
        """``text`` with each ``/opt/ml`` path in it moved under the instance folder."""
        return _CONTAINER_PATH.sub(lambda _match: f"{os.fspath(self.root)}/opt/ml", text)

    def write_config(self, all_hosts: Sequence[str], job: Mapping[str, object]) -> None:
        """Write ``resourceconfig.json`` and ``processingjobconfig.json`` under ``/opt/ml/config``."""
        folder = self.local("/opt/ml/config")
        folder.mkdir(parents=True, exist_ok=True)
        resource = {"current_host": self.host, "hosts": list(all_hosts)}
        (folder / "resourceconfig.json").write_text(json.dumps(resource, indent=2), encoding="utf-8")
        (folder / "processingjobconfig.json").write_text(json.dumps(job, indent=2), encoding="utf-8")
