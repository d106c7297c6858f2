"""Child-process entry: ``python -m bench.worker SPEC.json RESULT.json``.

If ``BENCH_SCRIPT_FILE`` is set, that file (a snapshot of ``script/model_calibration.py`` at a
commit, written by ``bench.run``) is installed as the module ``script.model_calibration`` before
any task imports it, so a run measures one committed revision whatever the working tree holds.

Runs one task of ``bench.tasks`` and writes ``{"status": "ok", ...result}`` or
``{"status": "failed", "error": "Type: message"}`` to the result file. Started by
``bench.child.run_child``, which sets the limits.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
from collections.abc import Sequence


SCRIPT_FILE_VARIABLE = "BENCH_SCRIPT_FILE"


def install_script(path: str) -> None:
    """Import ``path`` as ``script.model_calibration`` (replacing the working-tree module)."""
    import script

    name = "script.model_calibration"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the script snapshot {path!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    setattr(script, "model_calibration", module)


def main(argv: Sequence[str]) -> int:
    spec_path, result_path = argv
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    try:
        snapshot = os.environ.get(SCRIPT_FILE_VARIABLE)
        if snapshot:
            install_script(snapshot)
        from bench.tasks import run_task

        result: dict[str, object] = {"status": "ok", **run_task(spec)}
        code = 0
    except BaseException as exc:  # report every failure (MemoryError included) to the parent
        traceback.print_exc()
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        code = 1
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
