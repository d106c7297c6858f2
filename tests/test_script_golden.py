"""The shipped script's ``calibrator.json`` and ``metrics.json`` equal their checked-in golden copies.

The script runs in-process (``mc.main``) on small seeded inputs with the env vars the step sends
for each case's config: binary gam and isotonic, multi-class temperature, multi-task platt. What
differs from run to run (timings, fit seconds, the producer's versions and the checksums that
cover them) is set aside by the explicit lists in :data:`RUN_DEPENDENT`; floats are compared to a
relative 1e-9, since the last bits of numpy's ``exp`` and ``log`` differ between CPUs (gam's
figures to :data:`GAM_TOLERANCE`: its iterations stop by a tolerance, so those last bits move it
further). The inputs are written at 12 significant digits, so the same file (and fingerprint)
is read on every CPU.

Regenerate the copies in ``tests/golden/script`` with
``UPDATE_GOLDEN=1 python -m pytest tests/test_script_golden.py`` and review the diff.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pytest

from calibration_step import (
    ModelCalibrationConfig,
    ModelCalibrationInput,
    ModelCalibrationOutput,
    model_calibration_environment,
)
from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import CALIBRATOR_FILE, METRICS_FILE
from tests.config.strategies import calibration_config

GOLDEN: Final = Path(__file__).parent / "golden" / "script"
SET_ASIDE: Final = "<set aside: differs from run to run>"
ROWS: Final = 600

RUN_DEPENDENT: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    CALIBRATOR_FILE: (
        ("checksum",),
        ("producer",),
        ("fit", "seconds"),
        ("members", "*", "fit", "seconds"),
    ),
    METRICS_FILE: (
        ("timings",),
        ("calibrator", "checksum"),
        ("folds", "*", "fit_seconds"),
        ("folds", "*", "*", "fit_seconds"),
    ),
}
"""Per file, the paths of values that change between runs; ``*`` is any key or index."""

GAM_TOLERANCE: Final = {"rel_tol": 1e-6, "abs_tol": 1e-7}
"""gam's floats: PIRLS stops once its linear predictor moves by at most ``1e-7 (1 + max |eta|)``,
so the CPU's last bits of ``exp`` and ``log`` move its figures by up to about 1e-7 relative."""

GAM_LEVEL_TOLERANCE: Final = 1e-4
"""gam's intercept and spline coefficients (absolute): the basis sums to one, so only the tiny
constraint ridge separates the intercept from the splines' common level, and the two move by a
few 1e-5 in opposite directions between CPUs while the curve stays within :data:`GAM_TOLERANCE`."""

GAM_LEVEL: Final = re.compile(r"params\.(intercept|spline_coef\[\d+\])$")

Columns = dict[str, list[float] | list[int]]


def _binary(rng: np.random.Generator) -> tuple[list[float], list[int]]:
    """Scores too sharp and too low: the true probability is ``sigmoid(0.5 logit(s) + 0.6)``."""
    scores = rng.beta(2.0, 2.0, ROWS)
    truth = 1.0 / (1.0 + np.exp(-(0.5 * (np.log(scores) - np.log1p(-scores)) + 0.6)))
    labels = rng.uniform(size=ROWS) < truth
    return [float(s) for s in scores], [int(y) for y in labels]


def _binary_columns(rng: np.random.Generator) -> Columns:
    scores, labels = _binary(rng)
    return {"prob_class_1": scores, "label": labels}


def _multiclass_columns(rng: np.random.Generator) -> Columns:
    """Three classes drawn from ``softmax(z)``, scored ``softmax(2 z + bias)``."""
    z = rng.normal(size=(ROWS, 3))
    truth = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = np.minimum((rng.uniform(size=ROWS)[:, None] > np.cumsum(truth, axis=1)).sum(axis=1), 2)
    sharp = np.exp(2.0 * z + np.array([0.5, 0.0, -0.5]))
    scores = sharp / sharp.sum(axis=1, keepdims=True)
    columns: Columns = {f"prob_class_{c}": [float(s) for s in scores[:, c]] for c in range(3)}
    return columns | {"label": [int(y) for y in labels]}


def _multitask_columns(rng: np.random.Generator) -> Columns:
    (score_a, label_a), (score_b, label_b) = _binary(rng), _binary(rng)
    return {"score_a": score_a, "label_a": label_a, "score_b": score_b, "label_b": label_b}


CASES: Final[Mapping[str, tuple[ModelCalibrationConfig, Callable[[np.random.Generator], Columns]]]] = {
    "binary_gam": (calibration_config(calibration_method="gam"), _binary_columns),
    "binary_isotonic": (calibration_config(calibration_method="isotonic"), _binary_columns),
    "multiclass_temperature": (
        calibration_config(calibration_method="temperature", is_binary=False, num_classes=3),
        _multiclass_columns,
    ),
    "multitask_platt": (
        calibration_config(calibration_method="platt", score_fields=("score_a", "score_b"),
                           task_label_names=("label_a", "label_b")),
        _multitask_columns,
    ),
}


def _text(value: float | int) -> str:
    """An int as it is, a float at 12 significant digits: the generators' ``exp`` differs between
    CPUs in the last bits, which the shortest ``repr`` would write (and the fingerprint see)."""
    return str(value) if isinstance(value, int) else format(value, ".12g")


def _write_csv(path: Path, columns: Columns) -> None:
    """The columns as csv, the same file on every CPU (:func:`_text`)."""
    path.parent.mkdir(parents=True)
    lines = [",".join(columns)] + [",".join(map(_text, row)) for row in zip(*columns.values())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(case: str, folder: Path) -> dict[str, object]:
    """The documents the script writes for ``case``, by file name."""
    config, make_columns = CASES[case]
    _write_csv(folder / "in" / "part-0.csv", make_columns(np.random.default_rng(20260101)))
    outputs = {name.value: str(folder / "out" / name.value) for name in ModelCalibrationOutput}
    environ = {name.value: value for name, value in model_calibration_environment(config).items()}
    mc.main({ModelCalibrationInput.EVALUATION_DATA.value: str(folder / "in")}, outputs, environ,
            argparse.Namespace(job_type="calibration"))
    written = {
        CALIBRATOR_FILE: Path(outputs[ModelCalibrationOutput.CALIBRATION_OUTPUT.value]) / CALIBRATOR_FILE,
        METRICS_FILE: Path(outputs[ModelCalibrationOutput.METRICS_OUTPUT.value]) / METRICS_FILE,
    }
    return {name: json.loads(path.read_text(encoding="utf-8")) for name, path in written.items()}


def _set_aside(node: object, path: Sequence[str]) -> int:
    """Replace every value ``path`` reaches in ``node`` with :data:`SET_ASIDE`; how many it reached."""
    head, rest = path[0], path[1:]
    reached = 0
    if isinstance(node, dict):
        for key in list(node) if head == "*" else [head] if head in node else []:
            if rest:
                reached += _set_aside(node[key], rest)
            else:
                node[key], reached = SET_ASIDE, reached + 1
    elif isinstance(node, list) and head == "*":
        for index, item in enumerate(node):
            if rest:
                reached += _set_aside(item, rest)
            else:
                node[index], reached = SET_ASIDE, reached + 1
    return reached


def _close(got: float, want: float, where: str, gam: bool) -> bool:
    """Whether two floats agree: to a relative 1e-9, gam's to its tolerances."""
    if not gam:
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15)
    if GAM_LEVEL.search(where):
        return abs(got - want) <= GAM_LEVEL_TOLERANCE
    return math.isclose(got, want, **GAM_TOLERANCE)


def _first_difference(got: object, want: object, where: str = "$", gam: bool = False) -> str | None:
    """The path of the first value that differs (floats by :func:`_close`), or None."""
    if isinstance(got, dict) and isinstance(want, dict):
        if got.keys() != want.keys():
            return f"{where} (keys {sorted(got.keys() ^ want.keys())})"
        return next((d for k in sorted(got)
                     if (d := _first_difference(got[k], want[k], f"{where}.{k}", gam))), None)
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return f"{where} (length {len(got)}, golden {len(want)})"
        return next((d for i, (g, w) in enumerate(zip(got, want))
                     if (d := _first_difference(g, w, f"{where}[{i}]", gam))), None)
    if isinstance(got, float) and isinstance(want, float):
        return None if _close(got, want, where, gam) else f"{where} ({got!r}, golden {want!r})"
    return None if type(got) is type(want) and got == want else f"{where} ({got!r}, golden {want!r})"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_artifacts_equal_their_golden_copies(case: str, tmp_path: Path) -> None:
    for name, document in _run(case, tmp_path).items():
        for path in RUN_DEPENDENT[name]:
            _set_aside(document, path)
        golden = GOLDEN / case / name
        if os.environ.get("UPDATE_GOLDEN") == "1":
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        assert golden.is_file(), "no golden copy: run UPDATE_GOLDEN=1 python -m pytest tests/test_script_golden.py"
        difference = _first_difference(document, json.loads(golden.read_text(encoding="utf-8")),
                                       gam=case.endswith("_gam"))
        assert difference is None, f"{case}/{name} changed at {difference}: review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize("name", sorted(RUN_DEPENDENT))
def test_every_path_set_aside_is_in_some_golden_copy(name: str) -> None:
    copies = [json.loads((GOLDEN / case / name).read_text(encoding="utf-8")) for case in sorted(CASES)]
    for path in RUN_DEPENDENT[name]:
        assert sum(_set_aside(copy.deepcopy(document), path) for document in copies), f"{name}: {path} is nowhere"


def test_the_paths_set_aside_are_all_that_differ_between_runs(tmp_path: Path) -> None:
    first, second = _run("multitask_platt", tmp_path / "first"), _run("multitask_platt", tmp_path / "second")
    for name in RUN_DEPENDENT:
        for document in (first[name], second[name]):
            for path in RUN_DEPENDENT[name]:
                _set_aside(document, path)
        assert first[name] == second[name]
