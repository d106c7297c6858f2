"""Child-process entry: ``python -m bench.worker SPEC.json RESULT.json``.

If ``BENCH_SCRIPT_DIR`` is set, that folder (a copy of ``script/`` at a commit, written by
``bench.run``) is installed as the package ``calibration_step.script`` before any task imports
it, so a run measures one committed revision whatever the working tree holds; the script there
may be one file (``model_calibration.py``) or the package ``model_calibration/``.

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

SCRIPT_DIR_VARIABLE = "BENCH_SCRIPT_DIR"


def install_script(folder: str) -> None:
    """Import ``folder`` as ``calibration_step.script`` (replacing the working tree's package)."""
    import calibration_step

    name = "calibration_step.script"
    spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the script snapshot {folder!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    setattr(calibration_step, "script", module)


def main(argv: Sequence[str]) -> int:
    spec_path, result_path = argv
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    try:
        snapshot = os.environ.get(SCRIPT_DIR_VARIABLE)
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
