"""Reading and writing the commands' files: JSON objects read strictly; never written over an existing file
unless asked.

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
from calibration_step.script.strict_json import strict_loads

__all__ = ["read_json_object", "write_new_file"]


def read_json_object(path: Path) -> dict[str, object]:
    """The JSON object in the file ``path``, read with the one strict reader (repeated keys, nesting and
    non-finite numbers refused).

    Raises
    ------
    ValueError
        When the file cannot be read, is not strict JSON, or holds something other than an object (the
        message says which; an ``OSError`` is raised as a ``ValueError`` with its text).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = path.write_text('{"a": 1}', encoding="utf-8")
    >>> read_json_object(path)
    {'a': 1}
    """
    try:
        loaded = strict_loads(path.read_bytes())
    except OSError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(loaded, dict):
        raise ValueError("it holds no JSON object")
    return loaded


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
