"""The corpus of hostile values: settings, scores and calibrator files the script must survive.

Each :class:`ValueCase` builds its input, then either must fail with its stable error code
(every output folder left empty) or, with ``code=None``, must finish with a valid calibrator
and record the warning code ``warning`` (when given). The bad-input corpus (``corpus.py``)
holds the inputs that are refused outright; these are the values that used to end in a
traceback, a NaN or a silent pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

from calibration_step.script import model_calibration as mc
from calibration_step.script.interface import CALIBRATOR_FILE
from calibration_step.script.model_calibration.artifact import checksum
from calibration_step.script.model_calibration.numerics import CLIP_EPSILON
from tests.reliability.builders import frame, platt_content
from tests.reliability.corpus import BAD_ENV, BAD_MODEL, BAD_SCORE, SINGLE_CLASS, BadInput

E401, E407, E101, E303 = ("MC-E401-CALIBRATOR-INVALID", "MC-E407-CALIBRATOR-OUTPUTS", "MC-E101-INVALID-ENV",
                          "MC-E303-FIT-FAILED")
W103, W201, W302 = "MC-W103-MISSPELT-ENV", "MC-W201-UNINFORMATIVE-GATE", "MC-W302-CANDIDATE-DROPPED"


@attrs.frozen(kw_only=True)
class ValueCase:
    """One hostile value: the run (a :class:`BadInput`) and what it must end in."""

    run: BadInput
    """How to build and run it; ``run.code`` is the error code, or ``""`` when it must finish."""
    warning: str | None = None
    """A warning code a finished run must record."""

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def code(self) -> str | None:
        return self.run.code or None


def _csv(make: Callable[[], pd.DataFrame]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        make().to_csv(folder / "d.csv", index=False)
        return folder

    return build


def _margins(scale: float, n: int = 300) -> Callable[[], pd.DataFrame]:
    """Valid binary rows whose scores are margins of magnitude up to about ``scale``."""

    def make() -> pd.DataFrame:
        data = frame(n)
        p = np.clip(data["prob_class_1"].to_numpy(), 1e-6, 1 - 1e-6)
        data["prob_class_1"] = np.log(p / (1 - p)) / 14.0 * scale
        return data

    return make


def _rows(n: int) -> Callable[[], pd.DataFrame]:
    return lambda: frame(n, seed=3)


def _constant() -> pd.DataFrame:
    data = frame()
    data["prob_class_1"] = 0.3
    return data


def _signed_model(edit: Callable[[dict[str, object]], object]) -> Callable[[Path], Path]:
    """A valid calibrator edited by ``edit`` and re-signed (so only the edit can be refused)."""

    def build(folder: Path) -> Path:
        content = edit_content(edit)
        (folder / CALIBRATOR_FILE).write_text(json.dumps(content), encoding="utf-8")
        return folder

    return build


def edit_content(edit: Callable[[dict[str, object]], object], content: dict[str, object] | None = None
                 ) -> dict[str, object]:
    """``content`` (a valid platt calibrator by default) after ``edit``, with its checksum recomputed."""
    content = dict(platt_content()) if content is None else content
    edit(content)
    content["checksum"] = checksum(content)
    return content


def _raw_model(text: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / CALIBRATOR_FILE).write_text(text, encoding="utf-8")
        return folder

    return build


def _temperature_1e308(folder: Path) -> Path:
    content = mc.MultiCalibrator(mode="multiclass", method="temperature", score_space="logit",
                                 clip_epsilon=CLIP_EPSILON, names=("0", "1", "2"),
                                 score_fields=("prob_class_0", "prob_class_1", "prob_class_2"),
                                 label_fields=("label",), scale=1e308, bias=(0.0, 0.0, 0.0)).to_json_dict()
    (folder / CALIBRATOR_FILE).write_text(json.dumps(content), encoding="utf-8")
    return folder


def _multiclass_margins() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    labels = np.arange(90) % 3
    scores = rng.normal(size=(90, 3)) * 3
    return pd.DataFrame({**{f"prob_class_{c}": scores[:, c] for c in range(3)}, "label": labels})


def _repeated_params() -> str:
    text = json.dumps(platt_content())
    return text.replace('"params": {', '"params": {"a": 100.0, "b": 0.0}, "params": {', 1)


def _knot_of_10_to_400() -> str:
    isotonic = mc.Calibrator("isotonic", "probability", CLIP_EPSILON, knots_x=np.array([0.2, 0.8]),
                             knots_y=np.array([0.1, 0.9])).to_json_dict()
    return json.dumps(edit_content(lambda c: c["params"].update(x=[0, 10**400]), isotonic))  # type: ignore[attr-defined]  # a JSON object


def _case(name: str, category: str, code: str | None, build: Callable[[Path], Path], *,
          env: Mapping[str, str] | None = None, job_type: str = "calibration",
          model: Callable[[Path], Path] | None = None, warning: str | None = None) -> ValueCase:
    return ValueCase(run=BadInput(name=name, category=category, code=code or "", build=build, env=dict(env or {}),
                                  job_type=job_type, model=model), warning=warning)


_DEEP = "[" * 100_000 + "]" * 100_000
_MC = {"IS_BINARY": "false", "NUM_CLASSES": "3", "SCORE_SPACE": "logit", "CALIBRATION_METHOD": "temperature"}

VALUE_CASES: tuple[ValueCase, ...] = (
    # Calibrator files whose every field is in range but whose outputs are not probabilities.
    _case("model_temperature_scale_1e308", BAD_MODEL, E407, _csv(_multiclass_margins), env=_MC,
          job_type="validation", model=_temperature_1e308),
    _case("model_platt_slope_1e308_probability", BAD_MODEL, None, _csv(frame), job_type="validation",
          model=_signed_model(lambda c: c["params"].update(a=1e308))),  # type: ignore[attr-defined]  # a JSON object
    # Calibrator files with a repeated key, deep nesting or numbers beyond floats.
    _case("model_repeated_params_key", BAD_MODEL, E401, _csv(frame), job_type="validation",
          model=_raw_model(_repeated_params())),
    _case("model_nested_100000_deep", BAD_MODEL, E401, _csv(frame), job_type="testing", model=_raw_model(_DEEP)),
    _case("model_knot_10_to_400", BAD_MODEL, E401, _csv(frame), job_type="validation",
          model=_raw_model(_knot_of_10_to_400())),
    _case("model_number_1e400", BAD_MODEL, E401, _csv(frame), job_type="validation",
          model=_raw_model(json.dumps(platt_content()).replace('"a": 1.5', '"a": 1e400'))),
    # Folds near the row count: folds without rows are skipped.
    _case("folds_10_for_12_rows", SINGLE_CLASS, None, _csv(_rows(12)), env={"CALIBRATION_FOLDS": "10"}),
    _case("folds_100_for_150_rows", SINGLE_CLASS, None, _csv(_rows(150)),
          env={"CALIBRATION_FOLDS": "100", "CALIBRATION_METHOD": "platt"}),
    # Sampling rates whose weights would not be finite.
    _case("negative_sampling_rate_1e-310", BAD_ENV, E101, _csv(frame), env={"NEGATIVE_SAMPLING_RATE": "1e-310"}),
    _case("negative_sampling_rate_5e-324", BAD_ENV, E101, _csv(frame), env={"NEGATIVE_SAMPLING_RATE": "5e-324"}),
    # Huge finite margins.
    _case("platt_margins_1e200", BAD_SCORE, E303, _csv(_margins(1e200)),
          env={"SCORE_SPACE": "logit", "CALIBRATION_METHOD": "platt"}),
    _case("gam_margins_1e308", BAD_SCORE, E303, _csv(_margins(1e308)), env={"SCORE_SPACE": "logit"}),
    _case("auto_margins_1e200", BAD_SCORE, None, _csv(_margins(1e200)),
          env={"SCORE_SPACE": "logit", "CALIBRATION_METHOD": "auto"}, warning=W302),
    _case("isotonic_margins_1e308", BAD_SCORE, None, _csv(_margins(1e308)),
          env={"SCORE_SPACE": "logit", "CALIBRATION_METHOD": "isotonic"}),
    # Deeply nested list settings.
    *(_case(f"{name.lower()}_nested_100000_deep", BAD_ENV, E101, _csv(frame), env={name: _DEEP})
      for name in ("MULTICLASS_CATEGORIES", "SCORE_FIELDS", "TASK_LABEL_NAMES", "AUTO_CANDIDATES")),
    # Categories that name one label value; integers that are not ASCII digits.
    _case("categories_1_and_1.0", BAD_ENV, E101, _csv(frame),
          env={"IS_BINARY": "false", "MULTICLASS_CATEGORIES": '["1", "1.0"]'}),
    *(_case(f"folds_{label}", BAD_ENV, E101, _csv(frame), env={"CALIBRATION_FOLDS": text})
      for label, text in (("arabic_indic_3", "\u0663"), ("fullwidth_5", "\uff15"), ("underscore_1_0", "1_0"))),
    # Silent passes: a misspelt setting, constant scores.
    _case("misspelt_calibration_method", BAD_ENV, None, _csv(frame), env={"CALIBRATON_METHOD": "platt"},
          warning=W103),
    _case("constant_scores_isotonic", BAD_SCORE, None, _csv(_constant), env={"CALIBRATION_METHOD": "isotonic"},
          warning=W201),
)
"""Every hostile value; names are unique."""
