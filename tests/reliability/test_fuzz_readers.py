"""Byte-level fuzzing of each input reader: csv, tsv, JSON lines, JSON array, parquet, and
``.tar.gz`` archives (the gzip stream mutated, and the tar inside a valid gzip stream mutated).

Each example is a valid file of the format, mutated (bytes replaced, inserted, removed, the file
cut short) or replaced by random bytes, run through the whole script (``main``: reading, fitting,
writing). The only accepted outcomes are a completed run or the script's own
``CalibrationScriptError``; any other exception is a failure. In the default suite each reader
gets a few seconds of hypothesis examples; ``FUZZ_SECONDS=600 pytest tests/reliability/
test_fuzz_readers.py -k opt_in`` runs random mutations of every reader for that many seconds in
total instead, and writes each failing input to ``FUZZ_FAILURES`` (a folder, default the
system's temporary folder).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import tarfile
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import ModelCalibrationInput, ModelCalibrationOutput
from calibration_step.script.model_calibration import runner
from tests.reliability.builders import frame

ENV = {"CALIBRATION_METHOD": "platt", "CALIBRATION_FOLDS": "2"}


def _valid() -> pd.DataFrame:
    return frame(40, seed=3)


def _tar(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("val/predictions.csv")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def _parquet(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


SEEDS: dict[str, Callable[[], bytes]] = {
    "csv": lambda: _valid().to_csv(index=False).encode(),
    "tsv": lambda: _valid().to_csv(index=False, sep="\t").encode(),
    "jsonl": lambda: _valid().to_json(orient="records", lines=True).encode(),
    "json": lambda: _valid().to_json(orient="records").encode(),
    "parquet": lambda: _parquet(_valid()),
    "tar.gz": lambda: gzip.compress(_tar(frame(2000, seed=3).to_csv(index=False).encode()), mtime=0),
    "tar": lambda: _tar(_valid().to_csv(index=False).encode()),
}
"""A valid file of each reader; ``tar`` is mutated inside a valid gzip stream (``_as_file``), and
the ``tar.gz`` member is long enough for a mutation to land deep in the compressed stream."""


def _as_file(reader: str, data: bytes) -> tuple[str, bytes]:
    """The file name and bytes the script is given for a (mutated) seed of ``reader``."""
    if reader == "tar":
        return "output.tar.gz", gzip.compress(data, mtime=0)
    return f"d.{reader}", data


def run_reader(reader: str, data: bytes) -> BaseException | None:
    """Run the script on ``data`` as the reader's file; the exception that is not the script's
    own (None when the run completed or raised ``CalibrationScriptError``)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as root:
        folder = Path(root, "in")
        folder.mkdir()
        name, content = _as_file(reader, data)
        (folder / name).write_bytes(content)
        outputs = {o.value: os.path.join(root, "out", o.value) for o in ModelCalibrationOutput}
        try:
            mc.main({ModelCalibrationInput.EVALUATION_DATA.value: str(folder)}, outputs, ENV,
                    argparse.Namespace(job_type="calibration"))
        except mc.CalibrationScriptError:
            return None
        except Exception as exc:  # what the fuzzer looks for
            return exc
    return None


def mutate(seed: bytes, rng: random.Random) -> bytes:
    """One random byte-level mutation of ``seed`` (or random bytes)."""
    data = bytearray(seed)
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 2 * len(seed) + 1))
    if kind == 1 and data:
        del data[rng.randrange(len(data)):]
        return bytes(data)
    for _ in range(rng.randrange(1, 9)):
        at = rng.randrange(len(data) + 1)
        if kind in (2, 5) and at < len(data):
            data[at] = rng.randrange(256)
        elif kind == 3:
            data[at:at] = rng.choice([b",", b"\t", b"\n", b'"', b"{", b"}", b"\x00", b"\xff", b"nan", b"1e999",
                                      b"-", rng.randbytes(rng.randrange(1, 16))])
        elif kind == 4 and data:
            del data[at:at + rng.randrange(1, 64)]
    return bytes(data)


@pytest.fixture(autouse=True)
def _no_plot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "plot_reliability", lambda path, *args: Path(path).write_bytes(b"png"))


EXAMPLES = {"csv": 50, "tsv": 40, "jsonl": 50, "json": 40, "parquet": 50, "tar.gz": 50, "tar": 40}
"""Examples per reader in the default suite (a few seconds each on two cores)."""


@pytest.mark.parametrize("reader", sorted(SEEDS))
def test_every_reader_survives_byte_level_mutations(reader: str) -> None:
    seed = SEEDS[reader]()

    @settings(max_examples=EXAMPLES[reader], deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.randoms(use_true_random=False), st.integers(1, 3))
    def check(rng: random.Random, rounds: int) -> None:
        data = seed
        for _ in range(rounds):
            data = mutate(data, rng)
        failure = run_reader(reader, data)
        assert failure is None, f"{reader}: {type(failure).__name__}: {failure}\n" + "".join(
            traceback.format_exception(failure))

    check()


@pytest.mark.skipif(not os.environ.get("FUZZ_SECONDS"), reason="opt-in: set FUZZ_SECONDS")
def test_opt_in_fuzz_every_reader_for_fuzz_seconds() -> None:
    budget = float(os.environ["FUZZ_SECONDS"]) / len(SEEDS)
    failures_folder = Path(os.environ.get("FUZZ_FAILURES", tempfile.gettempdir()))
    found: list[str] = []
    runs = 0
    for reader, make in sorted(SEEDS.items()):
        seed, rng, end = make(), random.Random(time.time_ns()), time.monotonic() + budget
        while time.monotonic() < end:
            data = seed
            for _ in range(rng.randrange(1, 4)):
                data = mutate(data, rng)
            runs += 1
            failure = run_reader(reader, data)
            if failure is not None:
                path = failures_folder / f"fuzz-{reader.replace('.', '-')}-{len(found)}.bin"
                path.write_bytes(data)
                found.append(f"{reader}: {type(failure).__name__}: {failure} (input: {path})")
    print(f"fuzzed {runs} inputs over {len(SEEDS)} readers")
    assert not found, "\n".join(found)
