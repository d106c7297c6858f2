"""The processing script's errors as :class:`calibration_step.errors.CalibrationScriptError`.

``calibration_step.script.model_calibration`` defines its own ``CalibrationScriptError`` (a plain
``Exception``); the commands that call the script re-raise it as the shared class, a
:class:`~calibration_step.errors.CalibrationStepError`, so the command line catches one base
class. The code, message and hint are kept; the script's error is the ``__cause__``.

Examples
--------
>>> from calibration_step.script import model_calibration as mc
>>> try:
...     with script_errors():
...         raise mc.CalibrationScriptError("MC-E101-INVALID-ENV", "bad", "fix it")
... except CalibrationStepError as exc:
...     print(exc.describe())
[MC-E101-INVALID-ENV] bad (hint: fix it)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from calibration_step.errors import CalibrationScriptError, CalibrationStepError

__all__ = ["script_errors"]


@contextlib.contextmanager
def script_errors() -> Iterator[None]:
    """Re-raise the script's ``CalibrationScriptError`` raised inside the block as the shared class."""
    from calibration_step.script import model_calibration as mc

    try:
        yield
    except mc.CalibrationScriptError as exc:
        raise CalibrationScriptError(exc.code, exc.message, exc.hint) from exc
