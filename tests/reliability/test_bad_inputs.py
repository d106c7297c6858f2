"""Every bad input of the corpus raises its stable code and leaves every output folder empty;
in-process through ``main``, a few through the command line, and random tables by hypothesis."""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration_step.script import model_calibration as mc
from calibration_step.script.model_calibration import runner
from calibration_step.script.interface import (
    SCORE_SPACE_CHOICES, SUMMARY_FILE, ModelCalibrationInput, ModelCalibrationOutput,
)
from tests.reliability.corpus import (
    CATEGORIES,
    CORPUS,
    BadInput,
    cli_arguments,
    prepare,
    run_case,
    visible_entries,
)

ROOT = Path(__file__).resolve().parents[2]
BY_NAME = {case.name: case for case in CORPUS}
DOCUMENTED = re.compile(r"\*\*(\d+) bad inputs\*\*")


def _entries(folder: str) -> list[str]:
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_bad_input_raises_its_code_and_leaves_every_output_empty(case: BadInput, tmp_path: Path) -> None:
    outcome = run_case(case, tmp_path)
    assert outcome.unexpected is None, f"{case.name}: {type(outcome.unexpected).__name__}: {outcome.unexpected}"
    assert outcome.code == case.code
    for name, folder in outcome.outputs.items():
        left = _entries(folder)
        if name == case.occupied_output:
            assert left == ["previous.json"]  # refused, and what was there is untouched
        else:
            assert left == [], f"{name} holds {left}"  # not even a hidden staging folder


@pytest.mark.parametrize("name,match", [
    ("two_rows", r"too few rows for CALIBRATION_FOLDS=5: fold \d+.s training rows \(1\) hold no row of class"),
    ("three_rows_auto", r"too few rows for CALIBRATION_FOLDS=5: binary task, candidate \w+, repeat 0, inner fold 0's "
                        r"training rows \(1\) hold no row of class 1"),
    ("empty_jsonl", r"cannot read d.jsonl as jsonl: ValueError: no records, so no columns"),
    ("empty_json_array", r"cannot read d.json as json: ValueError: no records, so no columns"),
])
def test_the_message_says_what_is_wrong(name: str, match: str, tmp_path: Path) -> None:
    inputs, outputs = prepare(BY_NAME[name], tmp_path)
    with pytest.raises(mc.CalibrationScriptError, match=match):
        mc.main(inputs, outputs, dict(BY_NAME[name].env), argparse.Namespace(job_type="calibration"))


def test_the_corpus_covers_every_category() -> None:
    counts = collections.Counter(case.category for case in CORPUS)
    assert set(counts) == set(CATEGORIES)
    assert len(BY_NAME) == len(CORPUS), "corpus names must be unique"
    assert len(CORPUS) >= 100


def test_the_documented_count_is_the_corpus_size() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert [int(n) for n in DOCUMENTED.findall(text)] == [len(CORPUS)]


# --------------------------------------------------------------------------------------------
# The command line: exit status 2, one error line with the code, no traceback, empty outputs
# --------------------------------------------------------------------------------------------
CLI_CASES = ("archive_dotdot_member", "probability_above_one", "truncated_parquet", "label_maybe",
             "model_checksum_mismatch")


@pytest.mark.parametrize("name", CLI_CASES)
def test_command_line_exits_2_with_one_line_naming_the_code(name: str, tmp_path: Path) -> None:
    case = BY_NAME[name]
    inputs, outputs = prepare(case, tmp_path)
    # As it runs from the zipapp: the script package under a top-level name of its own.
    done = subprocess.run([sys.executable, "-m", "script.model_calibration",
                           *cli_arguments(case, inputs, outputs)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **case.env})
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and f"{case.code}: " in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert visible_entries(outputs) == {name: [] for name in outputs}


# --------------------------------------------------------------------------------------------
# Random small tables: a complete set of outputs, or the script's error and no visible output
# --------------------------------------------------------------------------------------------
_cell = st.one_of(
    st.floats(min_value=0.0, max_value=1.0),
    st.sampled_from([-0.5, 1.5, math.inf, -math.inf, math.nan, 1e-300, 1.0 - 1e-16]),
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from(["0", "1", "true", "maybe", "", "0.5", "nan", "1e-3"]),
)


_label = st.one_of(st.sampled_from([0, 1]), _cell)
_table = st.lists(st.tuples(_cell, _label, st.floats(min_value=0.0, max_value=100.0)),
                  min_size=0, max_size=30)


def _write(folder: Path, rows: list[tuple[object, object, float]], fmt: str) -> None:
    records = [{"prob_class_1": score, "label": label, "w": weight} for score, label, weight in rows]
    if fmt == "jsonl":
        lines = [json.dumps(r).replace("Infinity", "1e999").replace("NaN", "null") for r in records]
        (folder / "d.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    else:
        cells = [",".join("" if v is None else str(v) for v in r.values()) for r in records]
        (folder / "d.csv").write_text("\n".join(["prob_class_1,label,w", *cells]) + "\n", encoding="utf-8")


def _no_plot(path: str, *args: object) -> None:
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_table, fmt=st.sampled_from(["csv", "jsonl"]),
       method=st.sampled_from(["platt", "isotonic", "beta", "gam"]), weighted=st.booleans(),
       space=st.sampled_from(SCORE_SPACE_CHOICES))
def test_random_tables_give_a_complete_set_or_our_error(
        monkeypatch: pytest.MonkeyPatch, rows: list[tuple[object, object, float]], fmt: str,
        method: str, weighted: bool, space: str) -> None:
    monkeypatch.setattr(runner, "plot_reliability", _no_plot)
    env = {"CALIBRATION_METHOD": method, "CALIBRATION_FOLDS": "2", "SCORE_SPACE": space,
           "WEIGHT_FIELD": "w" if weighted else ""}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        _write(root / "in", rows, fmt)
        outputs = {name: str(root / name) for name in [o.value for o in ModelCalibrationOutput]}
        try:
            mc.main({ModelCalibrationInput.EVALUATION_DATA.value: str(root / "in")}, outputs, env,
                    argparse.Namespace(job_type="calibration"))
        except mc.CalibrationScriptError:
            assert all(_entries(folder) == [] for folder in outputs.values())
            return
        summary = json.loads((root / ModelCalibrationOutput.METRICS_OUTPUT.value / SUMMARY_FILE).read_text(encoding="utf-8"))
        files = summary["files"]
        assert {name: sorted(names) for name, names in files.items()} == {
            name: sorted(_entries(folder)) for name, folder in outputs.items()}
