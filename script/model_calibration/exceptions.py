"""The script's one exception type: every refusal carries a stable code, a message and a hint.

The codes (``MC-E1xx`` settings and paths, ``MC-E2xx`` input data, ``MC-E3xx`` fitting,
``MC-E4xx`` calibrator files, ``MC-E5xx`` outputs) are listed in docs/script.md; the command-line
entry logs ``code: message (hint)`` once and exits with status 2.
"""

from __future__ import annotations


class CalibrationScriptError(Exception):
    """The script's only error type: a stable ``code``, a message and a ``hint``.

    >>> str(CalibrationScriptError("MC-E101-INVALID-ENV", "bad", "fix it"))
    'MC-E101-INVALID-ENV: bad (fix it)'
    """

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(f"{code}: {message} ({hint})")
        self.code = code
        self.message = message
        self.hint = hint
