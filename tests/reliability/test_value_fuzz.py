"""Byte-level fuzzers (hypothesis) of the calibrator JSON loader and the config JSON loader.

Each example is a valid file of this package with a few byte mutations (a byte changed, bytes
inserted, deleted or repeated, a JSON token inserted), or random bytes. About half the mutated
calibrator files are re-signed (their checksum recomputed the way a careful forger would), so
the mutations reach past the checksum. The only exception a loader may raise is this package's
coded error; a calibrator that loads must map the probe scores to probabilities.

A batch runs in the default suite (a few seconds per loader); ``FUZZ_SECONDS=600`` runs batches
until that many seconds have passed for each loader.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration_step.cli import main as cli_main
from calibration_step.config_json import loads
from calibration_step.errors import CalibrationStepError
from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.probes import PROBE_SCORES
from tests.reliability.test_properties import CONTENTS

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "0"))
"""Seconds of batches per loader (0: one batch, the default suite's)."""

_TOKENS = [b"[", b"{", b"]", b"}", b",", b":", b'"', b"\\", b"null", b"true", b"-", b"0", b"1e400", b"-1e400",
           b"NaN", b"Infinity", b"9" * 40, b"1e-400", b"5e-324", b"1.7976931348623157e308", b'"\\u0000"',
           b'"\\ud800"', b"\xff", b"\xc3\x28", b"\xef\xbb\xbf", b'"params": {}', b'"x": [1e308, -1e308]',
           b'"scale": 1e308', b'"a": 1e308', b"[" * 70, b'{"a":' * 70]
_SIGNATURE = re.compile(rb'"sha256:[0-9a-f]{64}"')


@st.composite
def _mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with 1-8 byte-level mutations, or (one example in eight) random bytes."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.binary(max_size=256))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["set", "insert", "delete", "repeat", "token", "token"]))
        at = draw(st.integers(0, len(data)))
        if op == "set" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 32))]
        elif op == "repeat":
            size = draw(st.integers(1, 64))
            data[at:at] = data[at:at + size]
        else:
            data[at:at] = draw(st.sampled_from(_TOKENS))
    return bytes(data)


def _resigned(data: bytes) -> bytes:
    """``data`` with its checksum recomputed over what ``json`` reads from it (when it reads)."""
    try:
        content = json.loads(data)
        signature = checksum(content).encode()
    except (ValueError, TypeError, AttributeError, RecursionError):
        return data
    return _SIGNATURE.sub(b'"' + signature + b'"', data, count=1)


def _batches(check: Callable[[bytes], None], strategy: st.SearchStrategy[bytes], examples: int) -> None:
    """Run ``check`` on ``examples`` examples, then more batches until FUZZ_SECONDS have passed."""

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def batch(data: bytes) -> None:
        check(data)

    end = time.monotonic() + FUZZ_SECONDS
    batch()
    while time.monotonic() < end:
        batch()


def _check_calibrator_file(folder: Path) -> Callable[[bytes], None]:
    path = folder / "calibrator.json"

    def check(data: bytes) -> None:
        path.write_bytes(data)
        for load in (mc.load_calibration_model, mc.load_calibrator):
            try:
                loaded = load(path)
            except mc.CalibrationScriptError as exc:
                assert exc.code.startswith("MC-E40") and exc.message and exc.hint, exc
                continue
            members = [loaded] if isinstance(loaded, mc.Calibrator) else list(loaded.members)
            for member in members:
                out = mc.apply_calibrator(member, np.asarray(PROBE_SCORES[member.score_space]))
                assert np.all((out >= 0.0) & (out <= 1.0))

    return check


def test_the_calibrator_loaders_on_mutated_bytes_raise_only_their_coded_error(tmp_path: Path) -> None:
    seeds = [json.dumps(make()).encode() for make in CONTENTS.values()]
    strategy = st.one_of(_mutated(seeds), _mutated(seeds).map(_resigned))
    _batches(_check_calibrator_file(tmp_path), strategy, examples=600)


def _config_seed() -> bytes:
    from calibration_step.commands._configs import config_classes, default_configs
    from calibration_step.config_json import dumps

    return dumps(default_configs(), classes=config_classes()).encode()


def test_the_config_loader_on_mutated_bytes_raises_only_its_coded_error(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    seed = _config_seed()
    path = tmp_path / "config.json"

    def check(data: bytes) -> None:
        try:
            loads(data)
        except CalibrationStepError as exc:
            assert exc.code and exc.message, exc
        path.write_bytes(data)
        assert cli_main(["config", "validate", str(path)]) in (0, 1)
        capsys.readouterr()

    _batches(check, _mutated([seed, seed[: len(seed) // 2], b'{"metadata": {}, "configuration": {}}']),
             examples=150)
