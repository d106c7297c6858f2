"""Writing the commands' files: never over an existing one unless asked.

Examples
--------
>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "out" / "a.json"
>>> write_new_file(path, "{}", overwrite=False)
>>> write_new_file(path, "{}", overwrite=False)
Traceback (most recent call last):
...
calibration_step.errors.ConfigError: [CLI-OUTPUT-EXISTS] ... exists. (hint: pass --overwrite, or choose another path)
"""

from __future__ import annotations

from pathlib import Path

from calibration_step.errors import Code, ConfigError

__all__ = ["write_new_file"]


def write_new_file(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``path`` (UTF-8, parent folders made), refusing an existing file unless ``overwrite``.

    Raises
    ------
    ConfigError
        ``CLI-OUTPUT-EXISTS`` when ``path`` exists and ``overwrite`` is false.
    """
    if path.exists() and not overwrite:
        raise ConfigError(Code.CLI_OUTPUT_EXISTS, f"{str(path)!r} exists.", hint="pass --overwrite, or choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
