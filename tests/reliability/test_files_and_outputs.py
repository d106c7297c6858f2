"""The classes of input-file and output-folder faults: the claim (lock) on the output folders,
output paths checked before reading, input files that are special, linked out or badly named,
archive limits, linear duplicate-column checks, decimal scores, dropped-row warnings and
bounded messages."""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import re
import socket
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; only table() and write_table()
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; only table() and write_table()
import pytest

from calibration_step.cli import main as cli_main
from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import (
    CALIBRATOR_FILE, METRICS_FILE, REPORT_FILE, SUMMARY_FILE, ModelCalibrationInput, ModelCalibrationOutput,
)
from calibration_step.script.model_calibration import extraction, reading, runner, staging
from calibration_step.script.model_calibration.locking import OutputLock
from calibration_step.script.model_calibration.staging import RUN_LOCK, STAGING_PREFIX
from tests.reliability.builders import frame

DATA = ModelCalibrationInput.EVALUATION_DATA.value
METRICS = ModelCalibrationOutput.METRICS_OUTPUT.value
CALIBRATED = ModelCalibrationOutput.CALIBRATED_DATA.value
ENV = {"CALIBRATION_METHOD": "platt", "CALIBRATION_FOLDS": "3"}


@pytest.fixture(autouse=True)
def _no_plot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "plot_reliability", lambda path, *args: Path(path).write_bytes(b"png"))


def _input(root: Path) -> str:
    folder = root / "in"
    folder.mkdir(parents=True, exist_ok=True)
    frame().to_csv(folder / "a.csv", index=False)
    return str(folder)


def _outputs(root: Path) -> dict[str, str]:
    return {o.value: str(root / "out" / o.value) for o in ModelCalibrationOutput}


def _main(data: str, outputs: dict[str, str], env: dict[str, str] | None = None) -> None:
    mc.main({DATA: data}, outputs, env or ENV, argparse.Namespace(job_type="calibration"))


def _entries(folder: str) -> list[str]:
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


# --- the claim on the output folders -------------------------------------------------------------
@pytest.mark.parametrize("shared", [None, CALIBRATED])
def test_a_second_run_into_a_running_runs_outputs_fails_early_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: str | None) -> None:
    data, first = _input(tmp_path), _outputs(tmp_path / "a")
    second = _outputs(tmp_path / "b") if shared else dict(first)
    if shared:
        second[shared] = first[shared]
    seen: dict[str, object] = {}

    def second_run(stage: str) -> None:
        if stage != "during_staging":
            return
        before = {name: _entries(folder) for name, folder in first.items()}
        with pytest.raises(mc.CalibrationScriptError, match="MC-E504-OUTPUT-IN-USE.*in use by another run "
                                                            rf"\(process {os.getpid()}\)"):
            _main(data, second)
        seen["after"] = {name: _entries(folder) for name, folder in first.items()}
        seen["before"] = before

    monkeypatch.setattr(staging, "TEST_HOOK", second_run)
    _main(data, first)
    assert seen["after"] == seen["before"]  # the first run's staging folders were not touched
    assert any(e.startswith(STAGING_PREFIX) and e != RUN_LOCK for e in seen["before"][CALIBRATED])  # type: ignore[index]
    assert _entries(first[METRICS]) == sorted(["metrics.json", "reliability_diagram.png", REPORT_FILE, SUMMARY_FILE])
    assert all(RUN_LOCK not in _entries(folder) for folder in first.values())  # released


def test_a_lock_file_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path)
    for folder in outputs.values():
        os.makedirs(folder)
        Path(folder, RUN_LOCK).write_text("999999\n", encoding="utf-8")  # no process holds it
    _main(_input(tmp_path), outputs)
    assert _entries(outputs[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]) == [CALIBRATOR_FILE]


@pytest.mark.parametrize("intrusion", ["visible_file", "lock_replaced"])
def test_the_claim_is_checked_again_before_publishing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       intrusion: str) -> None:
    outputs = _outputs(tmp_path)

    def intrude(stage: str) -> None:
        if stage != "after_staging":
            return
        if intrusion == "visible_file":
            Path(outputs[METRICS], "other.json").write_text("{}", encoding="utf-8")
        else:
            os.remove(os.path.join(outputs[METRICS], RUN_LOCK))
            Path(outputs[METRICS], RUN_LOCK).write_text("1\n", encoding="utf-8")

    monkeypatch.setattr(staging, "TEST_HOOK", intrude)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E504-OUTPUT-IN-USE"):
        _main(_input(tmp_path), outputs)
    assert _entries(outputs[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]) == []  # nothing published
    expected = ["other.json"] if intrusion == "visible_file" else [RUN_LOCK]
    assert _entries(outputs[METRICS]) == expected  # the other writer's file is left alone


def test_the_lock_order_is_fixed_and_a_failed_claim_releases_what_it_took(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path)
    for folder in outputs.values():
        os.makedirs(folder)
    holder = OutputLock({METRICS: outputs[METRICS]})
    holder.acquire()
    try:
        with pytest.raises(mc.CalibrationScriptError, match=f"MC-E504-OUTPUT-IN-USE: output {METRICS} "):
            OutputLock(outputs).acquire()
        assert _entries(outputs[CALIBRATED]) == []  # the lock taken before the refusal is released
    finally:
        holder.release()
    assert _entries(outputs[METRICS]) == []


# --- output paths, checked before reading --------------------------------------------------------
@pytest.mark.parametrize("how", ["same", "nested", "through_a_link", "inside_the_input", "inside_the_model"])
def test_overlapping_outputs_are_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        how: str) -> None:
    data, outputs = _input(tmp_path), _outputs(tmp_path)
    model = tmp_path / "model"
    model.mkdir()
    if how == "same":
        outputs[METRICS] = outputs[CALIBRATED]
    elif how == "nested":
        outputs[CALIBRATED] = os.path.join(outputs[METRICS], "data")
    elif how == "through_a_link":
        os.makedirs(outputs[METRICS])
        os.symlink(outputs[METRICS], tmp_path / "alias")
        outputs[CALIBRATED] = str(tmp_path / "alias")
    elif how == "inside_the_input":
        outputs[METRICS] = os.path.join(data, "metrics")
    else:
        outputs[METRICS] = str(model / "metrics")
    monkeypatch.setattr(runner, "discover_files", lambda *args: pytest.fail("read before the check"))
    with pytest.raises(mc.CalibrationScriptError, match="MC-E505-OUTPUTS-OVERLAP.*(same folder|inside)"):
        mc.main({DATA: data, ModelCalibrationInput.CALIBRATION_MODEL.value: str(model)}, outputs, ENV,
                argparse.Namespace(job_type="calibration"))


def test_an_output_path_that_is_a_file_or_under_one_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for path, words in [(blocker, "is a file"), (blocker / "a" / "b", "lies under the file")]:
        outputs = {**_outputs(tmp_path), METRICS: str(path)}
        with pytest.raises(mc.CalibrationScriptError, match=f"MC-E503-OUTPUT-PATH-INVALID: output {METRICS} .*{words}"):
            _main(_input(tmp_path), outputs)


@pytest.mark.parametrize("failure", ["access", "makedirs", "lock_file"])
def test_an_unwritable_output_folder_is_refused_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                failure: str) -> None:
    # The job runs as root here, where chmod does not stop a write: the refusals are simulated as
    # the system reports them for a read-only or immutable folder.
    if failure == "access":
        monkeypatch.setattr(os, "access", lambda path, mode: False)
        words = "is not writable"
    elif failure == "makedirs":
        def refuse(path: str, exist_ok: bool = False) -> None:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        monkeypatch.setattr(os, "makedirs", refuse)
        words = "cannot be created: Read-only file system"
    else:
        real_open = os.open

        def immutable(path: str, flags: int, mode: int = 0o777) -> int:
            if str(path).endswith(RUN_LOCK):
                raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), path)
            return real_open(path, flags, mode)
        monkeypatch.setattr(os, "open", immutable)
        words = "cannot create its lock file .*Operation not permitted"
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E503-OUTPUT-PATH-INVALID.*{words}"):
        _main(_input(tmp_path), _outputs(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path)
    os.makedirs(outputs[METRICS])
    os.chmod(outputs[METRICS], 0o555)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E503-OUTPUT-PATH-INVALID"):
        _main(_input(tmp_path), outputs)


def test_the_run_command_prints_one_coded_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code = cli_main(["run", "--evaluation_data", _input(tmp_path), "--output", str(tmp_path / "out"),
                     f"--{METRICS}", str(blocker)])
    err = capsys.readouterr().err
    assert code != 0
    assert "error [MC-E503-OUTPUT-PATH-INVALID]" in err and "Traceback" not in err


# --- input files -----------------------------------------------------------------------------------
def test_a_socket_is_refused_without_being_opened(tmp_path: Path) -> None:
    folder = Path(_input(tmp_path))
    server = socket.socket(socket.AF_UNIX)
    try:
        os.chdir(folder)  # a socket path is limited to about 100 bytes: bind a relative name
        server.bind("s.csv")
        with pytest.raises(mc.CalibrationScriptError, match="MC-E214-NOT-A-REGULAR-FILE: s.csv is not a regular"):
            _main(str(folder), _outputs(tmp_path))
    finally:
        server.close()
        os.chdir(tmp_path)


def test_links_inside_the_input_folder_are_read(tmp_path: Path) -> None:
    folder = Path(_input(tmp_path))
    (folder / "sub").mkdir()
    (folder / "sub" / "b.csv").symlink_to("../a.csv")
    outputs = _outputs(tmp_path)
    _main(str(folder), outputs)
    assert _entries(outputs[CALIBRATED]) == ["a.csv", "sub"]
    assert _entries(os.path.join(outputs[CALIBRATED], "sub")) == ["b.csv"]


def test_a_link_chain_that_ends_outside_is_refused(tmp_path: Path) -> None:
    folder = Path(_input(tmp_path))
    frame().to_csv(tmp_path / "secret.csv", index=False)
    (folder / "hop.txt").symlink_to("../secret.csv")
    (folder / "d.csv").symlink_to("hop.txt")
    with pytest.raises(mc.CalibrationScriptError, match="MC-E215-LINK-OUTSIDE-INPUT: d.csv is a link to .*secret.csv"):
        _main(str(folder), _outputs(tmp_path))


def test_a_non_utf8_name_is_refused_before_anything_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(_input(tmp_path))
    Path(os.fsdecode(os.path.join(os.fsencode(folder), b"b\xe9.csv"))).write_bytes((folder / "a.csv").read_bytes())
    monkeypatch.setattr(reading, "read_frame", lambda *args: pytest.fail("read before the name check"))
    with pytest.raises(mc.CalibrationScriptError, match=r"MC-E216-FILE-NAME-ENCODING: the input file name b\\xe9.csv"):
        _main(str(folder), _outputs(tmp_path))


# --- archives --------------------------------------------------------------------------------------
def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def test_only_the_members_that_will_be_read_are_extracted(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "a.tar.gz", {"model.bin": b"x" * 1000, "val/p.csv": b"a\n1\n",
                                           ".hidden/p.csv": b"a\n1\n", "_SUCCESS": b"", "notes.txt": b"n"})
    target = tmp_path / "x"
    target.mkdir()
    found = extraction.safe_extract(str(archive), str(target), reading._wanted_member)
    assert [os.path.relpath(p, target) for p in found] == ["val/p.csv"]
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == ["val", "val/p.csv"]


@pytest.mark.parametrize("limit,value,words", [
    ("MAX_MEMBER_BYTES", 1500, "member 'b.csv' extracts to more than 1500 bytes"),
    ("MAX_ARCHIVE_BYTES", 2500, "its members extract to more than 2500 bytes"),
    ("MAX_MEMBERS", 1, "holds more than 1 members"),
    ("MAX_EXPANSION_RATIO", 1, "expands more than 1 times its size"),
])
def test_each_extraction_limit_stops_the_extraction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    limit: str, value: int, words: str) -> None:
    archive = _tar(tmp_path / "a.tar.gz", {"a.csv": b"0" * 1000, "b.csv": b"0" * 2000})
    monkeypatch.setattr(extraction, limit, value)
    monkeypatch.setattr(extraction, "RATIO_FREE_BYTES", 0)
    with pytest.raises(mc.CalibrationScriptError, match=f"MC-E212-ARCHIVE-TOO-LARGE: archive a.tar.gz.* {words}"):
        extraction.safe_extract(str(archive), str(tmp_path), lambda name: True)


def test_the_default_limits_fit_a_1e8_row_input() -> None:
    csv_bytes = 10**8 * len("0.123456789012345678,1\n")  # a score of 18 digits and a label per row
    assert csv_bytes < extraction.MAX_MEMBER_BYTES < extraction.MAX_ARCHIVE_BYTES
    assert csv_bytes / extraction.MAX_EXPANSION_RATIO < csv_bytes / 10  # gzip of such rows: 2-5 to 1


def test_a_gzip_stream_corrupt_past_its_header_is_a_read_error(tmp_path: Path) -> None:
    # zlib raises its own error type (not an OSError) when the damage is deep in the stream
    archive = _tar(tmp_path / "a.tar.gz", {"a.csv": np.random.default_rng(0).bytes(200_000)})
    packed = bytearray(archive.read_bytes())
    for offset in range(len(packed) // 3, len(packed) - 20, len(packed) // 20):
        damaged = bytearray(packed)
        damaged[offset] ^= 0xFF
        archive.write_bytes(bytes(damaged))
        with pytest.raises(mc.CalibrationScriptError, match="MC-E203-READ-FAILED: cannot read archive a.tar.gz"):
            extraction.safe_extract(str(archive), str(tmp_path / "x"), lambda name: True)


def test_a_full_disk_while_extracting_is_a_write_error_not_a_read_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _tar(tmp_path / "a.tar.gz", {"a.csv": b"0" * 1000})

    class Full(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(extraction, "open", lambda path, mode: Full(), raising=False)
    with pytest.raises(mc.CalibrationScriptError, match="MC-E213-SCRATCH-WRITE-FAILED: cannot extract 'a.csv' of "
                                                        "a.tar.gz: No space left on device"):
        extraction.safe_extract(str(archive), str(tmp_path), lambda name: True)


# --- columns, decimals, warnings, bounded messages -------------------------------------------------
@pytest.mark.parametrize("columns", [40_000, 1_000_000])
def test_the_duplicate_column_check_handles_wide_headers(tmp_path: Path, columns: int) -> None:
    names = [f"c{i}" for i in range(columns)] + ["c7"]
    assert reading.repeated(names) == ["c7"]
    if columns <= 40_000:
        path = tmp_path / "wide.csv"
        path.write_text(",".join(names) + "\n" + ",".join("0" * len(names)) + "\n", encoding="utf-8")
        with pytest.raises(mc.CalibrationScriptError, match=r"MC-E204-SCHEMA-MISMATCH: wide.csv repeats the column names \['c7'\]"):
            reading.read_frame(str(path), "csv", ["c1"])


def test_decimal_parquet_scores_are_numbers(tmp_path: Path) -> None:
    data = frame()
    folder = tmp_path / "in"
    folder.mkdir()
    scores = pa.array([None] + [round(float(s), 6) for s in data["prob_class_1"][1:]]).cast(pa.decimal128(9, 6))
    pq.write_table(pa.table({"prob_class_1": scores, "label": pa.array(data["label"])}), folder / "d.parquet")
    outputs = _outputs(tmp_path)
    _main(str(folder), outputs)
    written = pd.read_parquet(os.path.join(outputs[CALIBRATED], "d.parquet"))
    assert np.isnan(written["calibrated_prob_class_1"][0])
    assert np.isfinite(written["calibrated_prob_class_1"][1:]).all()
    metrics = json.loads(Path(outputs[METRICS], METRICS_FILE).read_text(encoding="utf-8"))
    assert metrics["rows"]["dropped"]["missing_score"] == 1


@pytest.mark.parametrize("mode", ["binary", "multitask"])
def test_dropped_rows_are_recorded_warnings(tmp_path: Path, mode: str) -> None:
    data = frame(900).astype({"label": object})
    data.loc[data.index % 3 == 0, "label"] = None
    data.loc[data.index % 3 == 1, "label"] = data.loc[data.index % 3 == 1, "label"].map({0: "0", 1: "1"})
    data.loc[1, "label"] = "n/a"
    folder = tmp_path / "in"
    folder.mkdir()
    env = dict(ENV)
    if mode == "multitask":
        data["s2"], data["y2"] = data["prob_class_1"], 1 - frame(900)["label"]
        env.update({"SCORE_FIELDS": '["prob_class_1", "s2"]', "TASK_LABEL_NAMES": '["label", "y2"]'})
    data.to_csv(folder / "d.csv", index=False)
    outputs = _outputs(tmp_path)
    _main(str(folder), outputs, env)
    for file in (METRICS_FILE, SUMMARY_FILE):
        warnings = json.loads(Path(outputs[METRICS], file).read_text(encoding="utf-8"))["warnings"]
        dropped = [w for w in warnings if w["code"] == "MC-W202-ROWS-DROPPED"]
        assert len(dropped) == 1, warnings  # the second task (mult-task) dropped nothing
        assert "301 of 900 rows dropped (missing_score 0, missing_label 301)" in dropped[0]["message"]
        assert "n/a" in dropped[0]["message"]


def test_messages_quote_user_values_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    huge = "y" * 5_000_000
    (folder / "d.csv").write_text(f"prob_class_1,label\n0.1,0\n0.9,{huge}\n", encoding="utf-8")
    with pytest.raises(mc.CalibrationScriptError) as label_error:
        _main(str(folder), _outputs(tmp_path / "a"))
    (folder / "d.csv").write_text(f"prob_class_1,{huge}\n0.1,0\n", encoding="utf-8")
    with pytest.raises(mc.CalibrationScriptError) as column_error:
        _main(str(folder), _outputs(tmp_path / "b"))
    for error, code in [(label_error, "MC-E208"), (column_error, "MC-E205")]:
        assert error.value.code.startswith(code)
        assert re.search(r"\.\.\. \(50000\d\d characters\)", error.value.message)
        assert len(str(error.value)) < 1000


def test_the_local_executor_stages_inputs_as_copies_never_links(tmp_path: Path) -> None:
    from calibration_step.local.store import LocalS3Store

    store = LocalS3Store(tmp_path / "store")
    (tmp_path / "store" / "bucket").mkdir(parents=True)
    (tmp_path / "elsewhere.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "store" / "bucket" / "d.csv").symlink_to(tmp_path / "elsewhere.csv")
    target = tmp_path / "staged.csv"
    store.get_file("bucket", "d.csv", target)
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "a\n1\n"


@pytest.mark.parametrize("kind", ["fifo", "link_outside"])
def test_the_calibration_model_folder_is_checked_as_the_input_is(tmp_path: Path, kind: str) -> None:
    model = tmp_path / "model"
    model.mkdir()
    if kind == "fifo":
        os.mkfifo(model / CALIBRATOR_FILE)
        match = "MC-E214-NOT-A-REGULAR-FILE"
    else:
        (tmp_path / "elsewhere.json").write_text("{}", encoding="utf-8")
        (model / CALIBRATOR_FILE).symlink_to(tmp_path / "elsewhere.json")
        match = "MC-E215-LINK-OUTSIDE-INPUT"
    with pytest.raises(mc.CalibrationScriptError, match=match):
        mc.main({DATA: _input(tmp_path), ModelCalibrationInput.CALIBRATION_MODEL.value: str(model)},
                _outputs(tmp_path), ENV, argparse.Namespace(job_type="validation"))
