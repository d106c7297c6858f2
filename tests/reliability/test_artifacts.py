"""Artifacts are safe to load: no code-executing deserialiser anywhere in the package or the
script, and a calibrator JSON whose checksum does not match or whose schema version is unknown is
refused with its stable code (every kind, from a file or from parsed content)."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pytest

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import runner
from calibration_step.script.model_calibration.artifact import CALIBRATOR_SCHEMA_VERSION, checksum
from calibration_step.script.interface import CALIBRATOR_FILE, ModelCalibrationOutput
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON


ROOT = Path(__file__).resolve().parents[2]
BANNED_MODULES = frozenset({"pickle", "_pickle", "cPickle", "joblib", "dill", "cloudpickle",
                            "marshal", "shelve"})
"""Modules that turn bytes into running code or arbitrary objects."""
BANNED_CALLS = frozenset({"eval", "exec"})
BANNED_METHODS = frozenset({"read_pickle", "to_pickle"})


def sources() -> list[Path]:
    """Every Python file of the package and the script."""
    found = sorted((ROOT / "calibration_step").rglob("*.py")) + sorted((ROOT / "script").rglob("*.py"))
    return [path for path in found if "__pycache__" not in path.parts]


def _module_root(name: str) -> str:
    return name.split(".")[0]


def _string_arg(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def unsafe_uses(source: str, filename: str = "<source>") -> Iterator[str]:
    """``line: what`` for every import of a banned module, ``eval``/``exec`` call, dynamic import
    of a banned module, pandas pickle I/O or ``allow_pickle=True``."""
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _module_root(alias.name) in BANNED_MODULES:
                    yield f"{node.lineno}: import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if _module_root(node.module) in BANNED_MODULES:
                yield f"{node.lineno}: from {node.module} import ..."
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if isinstance(func, ast.Name) and name in BANNED_CALLS:
                yield f"{node.lineno}: {name}(...)"
            if name in ("__import__", "import_module") and _module_root(_string_arg(node) or "") in BANNED_MODULES:
                yield f"{node.lineno}: {name}({_string_arg(node)!r})"
            if name in BANNED_METHODS:
                yield f"{node.lineno}: .{name}(...)"
            for keyword in node.keywords:
                if keyword.arg == "allow_pickle" and not (
                        isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    yield f"{node.lineno}: allow_pickle={ast.unparse(keyword.value)}"


def test_the_scanner_finds_every_kind_of_unsafe_use() -> None:
    planted = ("import pickle\nimport joblib as jl\nfrom dill import loads\nimport marshal, os\n"
               "from shelve import open as o\nimport cloudpickle.cloudpickle\n"
               "eval('1')\nexec('x = 1')\n__import__('pickle')\nimportlib.import_module('joblib')\n"
               "pd.read_pickle('f')\nframe.to_pickle('f')\nnp.load('f', allow_pickle=True)\n"
               "re.compile('x')\nnp.load('f', allow_pickle=False)\nx = 'import pickle; eval(1)'\n")
    assert [line.split(":")[0] for line in unsafe_uses(planted)] == [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"]


def test_no_pickle_eval_or_exec_in_the_package_or_the_script() -> None:
    files = sources()
    assert len(files) > 20 and ROOT / "script" / "model_calibration" / "runner.py" in files
    found = {str(path.relative_to(ROOT)): list(unsafe_uses(path.read_text(encoding="utf-8"), str(path)))
             for path in files}
    assert {path: uses for path, uses in found.items() if uses} == {}


def test_no_pickle_library_is_a_requirement() -> None:
    texts = [(ROOT / "setup.cfg").read_text(encoding="utf-8"),
             (ROOT / "script" / "requirements.txt").read_text(encoding="utf-8")]
    for text in texts:
        names = {line.strip().split("=")[0].split("<")[0].split(">")[0].strip().lower()
                 for line in text.splitlines()}
        assert not names & {"joblib", "dill", "cloudpickle"}


# --------------------------------------------------------------------------------------------
# Checksums and schema versions
# --------------------------------------------------------------------------------------------
def _binary() -> dict[str, object]:
    return mc.Calibrator("isotonic", "probability", CLIP_EPSILON, knots_x=np.array([0.1, 0.9]),
                         knots_y=np.array([0.2, 0.7])).to_json_dict()


def _multiclass() -> dict[str, object]:
    return mc.MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
                              clip_epsilon=CLIP_EPSILON, names=("a", "b"), score_fields=("p_a", "p_b"),
                              label_fields=("y",), scale=0.5, bias=(0.0, 0.1)).to_json_dict()


def _multitask() -> dict[str, object]:
    member = mc.Calibrator("platt", "probability", CLIP_EPSILON, coef=(1.2, -0.1))
    return mc.MultiCalibrator(mode="multitask", method="platt", score_space="probability",
                              clip_epsilon=CLIP_EPSILON, names=("s1", "s2"), score_fields=("s1", "s2"),
                              label_fields=("y1", "y2"), members=(member, member)).to_json_dict()


KINDS: Mapping[str, Callable[[], dict[str, object]]] = {
    "binary": _binary, "multiclass": _multiclass, "multitask": _multitask}


def _loaders(kind: str) -> list[Callable[..., object]]:
    """The loaders that read this kind (``load_calibrator`` reads single binary calibrators only)."""
    return [mc.load_calibration_model, mc.load_calibrator] if kind == "binary" else [mc.load_calibration_model]


def _write(tmp_path: Path, content: object, text: str | None = None) -> Path:
    path = tmp_path / CALIBRATOR_FILE
    path.write_text(text if text is not None else json.dumps(content, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_loads_from_its_file_unchanged(kind: str, tmp_path: Path) -> None:
    path = _write(tmp_path, KINDS[kind]())
    for load in _loaders(kind):
        assert load(str(path)) is not None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("edit", ["value", "added key", "removed key", "checksum case", "other algorithm",
                                  "no checksum", "checksum not a string", "truncated digest"])
def test_a_checksum_that_does_not_match_is_refused(kind: str, edit: str, tmp_path: Path) -> None:
    content = KINDS[kind]()
    checksum = str(content["checksum"])
    if edit == "value":
        content["clip_epsilon"] = 1e-12
    elif edit == "added key":
        content["note"] = "edited by hand"
    elif edit == "removed key":
        del content["producer"]
    elif edit == "checksum case":
        content["checksum"] = checksum.upper()
    elif edit == "other algorithm":
        content["checksum"] = "md5:" + checksum.split(":")[1]
    elif edit == "no checksum":
        del content["checksum"]
    elif edit == "checksum not a string":
        content["checksum"] = 0
    else:
        content["checksum"] = checksum[:-1]
    for source in (content, str(_write(tmp_path, content))):
        for load in _loaders(kind):
            with pytest.raises(mc.CalibrationScriptError, match="MC-E402-CHECKSUM-MISMATCH") as info:
                load(source)
            assert "modified or truncated" in info.value.hint


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("version", [0, 2, 99, -1, "1", True, None, 1.5, [1], "missing"])
def test_an_unknown_schema_version_is_refused_even_with_a_correct_checksum(
        kind: str, version: object, tmp_path: Path) -> None:
    content = KINDS[kind]()
    if version == "missing":
        del content["schema_version"]
    else:
        content["schema_version"] = version
    content["checksum"] = checksum(content)
    for source in (content, str(_write(tmp_path, content))):
        for load in _loaders(kind):
            with pytest.raises(mc.CalibrationScriptError, match="MC-E403-SCHEMA-VERSION") as info:
                load(source)
            assert "is not supported" in info.value.message
            assert f"schema_version {CALIBRATOR_SCHEMA_VERSION}" in info.value.hint


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '"calibrator"', "\x00\x01", '{"a": NaN}'])
def test_a_file_that_is_not_a_calibrator_object_is_refused(text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, None, text)
    for load in _loaders("binary"):
        with pytest.raises(mc.CalibrationScriptError, match="MC-E40[13]"):
            load(str(path))


def test_a_run_writes_only_json_and_data_never_a_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.reliability.builders import frame
    from tests.script.synthetic import run_main

    (tmp_path / "in").mkdir()
    frame(2000).to_parquet(tmp_path / "in" / "d.parquet", index=False)
    monkeypatch.setattr(runner, "plot_reliability", lambda path, *args: Path(path).write_bytes(b"\x89PNG"))
    outputs = run_main(str(tmp_path / "in"), str(tmp_path / "out"), {"CALIBRATION_METHOD": "beta"})
    written = sorted(p.name for folder in outputs.values() for p in Path(folder).rglob("*") if p.is_file())
    assert written == sorted(["calibrator.json", "metrics.json", "summary.json", "reliability_diagram.png", "report.html",
                              "d.parquet"])
    loaded = mc.load_calibrator(str(Path(outputs[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]) / CALIBRATOR_FILE))
    assert loaded.method == "beta"
