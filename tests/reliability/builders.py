"""Building blocks of the bad-input corpus (:mod:`tests.reliability.corpus`): input files,
archives, special files, calibration models and output placements, each a function that writes
into an empty folder.

Valid rows come from ``tests.script.synthetic.scenario`` (the script tests' synthetic data).

>>> list(frame(n=4).columns) == ["prob_class_1", "label"]
True
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; only table() and write_table()
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; only table() and write_table()

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import CALIBRATOR_FILE
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON
from tests.script.synthetic import scenario

InputBuilder = Callable[[Path], Path]
"""Writes the evaluation data into an empty folder; returns the path to pass (folder or file)."""
ModelBuilder = Callable[[Path], Path]
"""Writes a calibrator into an empty folder; returns the ``calibration_model`` path to pass."""
OutputPlacer = Callable[[Path, dict[str, str]], dict[str, str]]
"""Given the run's root folder and the usual output paths, the output paths to run with
(it may also put files where an output should go)."""


def frame(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """Valid binary rows: ``prob_class_1`` (probabilities) and ``label`` (0/1)."""
    s, y, _ = scenario("linear", n, seed=seed)
    return pd.DataFrame({"prob_class_1": s, "label": y.astype(np.int64)})


def text(name: str, content: str | bytes) -> InputBuilder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return folder

    return build


def csv_rows(header: str, rows: str, repeat: int = 20, name: str = "d.csv") -> InputBuilder:
    return text(name, header + "\n" + rows * repeat)


def frames(files: Mapping[str, Callable[[], pd.DataFrame]]) -> InputBuilder:
    """Each file written from its frame in the format of its extension."""

    def build(folder: Path) -> Path:
        for name, make in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = make()
            if name.endswith(".parquet"):
                data.to_parquet(path, index=False)
            elif name.endswith(".jsonl"):
                data.to_json(path, orient="records", lines=True)
            else:
                data.to_csv(path, index=False, sep="\t" if name.endswith(".tsv") else ",")
        return folder

    return build


def changed(**columns: Callable[[pd.DataFrame], pd.Series] | float | str) -> Callable[[], pd.DataFrame]:
    """Valid rows with some columns replaced (a scalar, or a function of the frame)."""

    def make() -> pd.DataFrame:
        data = frame()
        for column, value in columns.items():
            data[column] = value(data) if callable(value) else pd.Series(value, index=data.index)
        return data

    return make


def with_row(column: str, value: object) -> Callable[[], pd.DataFrame]:
    """Valid rows whose row 3 holds ``value`` in ``column`` (a new column holds 1.0 elsewhere)."""

    def make() -> pd.DataFrame:
        data = frame()
        if column not in data:
            data[column] = 1.0
        values: list[object] = data[column].tolist()
        values[3] = value
        data[column] = pd.Series(values, index=data.index, dtype=object)
        return data

    return make


def parquet_bytes(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


def bit_flipped(payload: bytes) -> bytes:
    flipped = bytearray(payload)
    for i in range(8, len(flipped) - 8, 7):
        flipped[i] ^= 0xFF
    return bytes(flipped)


def duplicate_parquet(folder: Path) -> Path:
    data = frame()
    table = pa.table([pa.array(data["prob_class_1"]), pa.array(data["label"]),
                      pa.array(1 - data["label"])], names=["prob_class_1", "label", "label"])
    pq.write_table(table, folder / "d.parquet")
    return folder


def duplicate_text(name: str) -> InputBuilder:
    """Valid rows plus a second ``label`` column (1 - label): csv, tsv, JSON lines or array."""
    data = frame()
    pairs = list(zip(data["prob_class_1"], data["label"]))
    if name.endswith((".csv", ".tsv")):
        sep = "," if name.endswith(".csv") else "\t"
        rows = "".join(f"{s}{sep}{y}{sep}{1 - y}\n" for s, y in pairs)
        return text(name, sep.join(["prob_class_1", "label", "label"]) + "\n" + rows)
    records = [f'{{"prob_class_1": {s}, "label": {y}, "label": {1 - y}}}' for s, y in pairs]
    return text(name, "[" + ", ".join(records) + "]" if name.endswith(".json") else
                 "".join(r + "\n" for r in records))


def member(name: str, payload: bytes) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    return info, payload


def link(name: str, kind: bytes, target: str = "/etc/passwd") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def archive(*unsafe: tuple[tarfile.TarInfo, bytes | None], name: str = "output.tar.gz"
             ) -> InputBuilder:
    """A training job's ``output.tar.gz``: one valid shard, then the given members."""

    def build(folder: Path) -> Path:
        payload = frame().to_csv(index=False).encode()
        with tarfile.open(folder / name, "w:gz") as tar:
            for info, content in (member("val/predictions.csv", payload), *unsafe):
                tar.addfile(info, io.BytesIO(content) if content is not None else None)
        return folder

    return build


def truncated_archive(folder: Path) -> Path:
    archive()(folder)
    path = folder / "output.tar.gz"
    path.write_bytes(path.read_bytes()[:60])
    return folder


def single_file(name: str, make: Callable[[], pd.DataFrame] = frame) -> InputBuilder:
    def build(folder: Path) -> Path:
        path = folder / name
        make().to_csv(path, index=False)
        return path

    return build


def missing(folder: Path) -> Path:
    return folder / "no-such-folder"


def mixed(folder: Path) -> Path:
    """A CSV shard plus an archive whose shard has another column."""
    frame().to_csv(folder / "a.csv", index=False)
    extra = frame().assign(id=1).to_csv(index=False).encode()
    with tarfile.open(folder / "output.tar.gz", "w:gz") as tar:
        info, _ = member("val/predictions.csv", extra)
        tar.addfile(info, io.BytesIO(extra))
    return folder


def fifo(name: str) -> InputBuilder:
    """A valid shard and a FIFO named like a data file (opening it would block forever)."""

    def build(folder: Path) -> Path:
        frame().to_csv(folder / "a.csv", index=False)
        os.mkfifo(folder / name)
        return folder if name != "only.csv" else folder / name

    return build


def link_outside(target: str) -> InputBuilder:
    """A valid shard and ``d.csv``, a link to ``target`` (relative to the input's parent)."""

    def build(folder: Path) -> Path:
        frame().to_csv(folder / "a.csv", index=False)
        outside = folder.parent / target
        if not outside.exists():
            frame().assign(secret="s3cr3t").to_csv(outside, index=False)
        (folder / "d.csv").symlink_to(os.path.relpath(outside, folder))
        return folder

    return build


def non_utf8_name(folder: Path) -> Path:
    data = frame().to_csv(index=False).encode()
    with open(os.path.join(os.fsencode(folder), b"d\xff.csv"), "wb") as handle:
        handle.write(data)
    return folder


def non_utf8_member(folder: Path) -> Path:
    payload = frame().to_csv(index=False).encode()
    with tarfile.open(folder / "output.tar.gz", "w:gz", encoding="utf-8", errors="surrogateescape") as tar:
        info, _ = member("val/d\udcff.csv", payload)
        tar.addfile(info, io.BytesIO(payload))
    return folder


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, read without holding them (an archive member's content)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def zero_bomb(size: int) -> InputBuilder:
    """A .tar.gz whose one csv member is ``size`` zero bytes (about 1000 times smaller packed)."""

    def build(folder: Path) -> Path:
        with tarfile.open(folder / "output.tar.gz", "w:gz", compresslevel=1) as tar:
            info = tarfile.TarInfo("val/predictions.csv")
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros(size)))
        return folder

    return build


def same_folder(first: str, second: str) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        return {**outputs, second: outputs[first]}

    return place


def nested(outer: str, inner: str) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        return {**outputs, inner: os.path.join(outputs[outer], "inner")}

    return place


def inside_input(name: str) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        return {**outputs, name: str(root / "in" / "outputs" / name)}

    return place


def at_a_file(name: str, under: bool) -> OutputPlacer:
    def place(root: Path, outputs: dict[str, str]) -> dict[str, str]:
        blocker = root / "blocker"
        blocker.write_text("not a folder", encoding="utf-8")
        return {**outputs, name: str(blocker / "sub" if under else blocker)}

    return place


# Calibration models (validation / testing jobs apply a given calibrator).
def platt_content(space: str = "probability") -> dict[str, object]:
    """A valid single binary calibrator's ``calibrator.json`` content."""
    return mc.Calibrator("platt", space, CLIP_EPSILON, coef=(1.5, 0.2)).to_json_dict()


def model(content: Callable[[], object], name: str = CALIBRATOR_FILE, copies: int = 1,
           raw: bytes | None = None) -> ModelBuilder:
    def build(folder: Path) -> Path:
        for i in range(copies):
            path = folder / (f"copy{i}" if copies > 1 else "") / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw if raw is not None else json.dumps(content()).encode())
        return folder

    return build


def resigned(**changes: object) -> Callable[[], object]:
    """A valid calibrator with ``changes`` applied and its checksum recomputed (so only the
    changed field can be what is refused)."""

    def make() -> object:
        content = {**platt_content(), **changes}
        content["checksum"] = checksum(content)
        return content

    return make


def tampered() -> object:
    content = platt_content()
    params = content["params"]
    assert isinstance(params, dict)
    return {**content, "params": {**params, "a": 2.5}}
