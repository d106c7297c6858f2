"""The fitters compared by the benchmark: ours (the script's own fits) and the reference peers.

Each fitter maps training scores and 0/1 labels to a ``Predictor`` (scores -> calibrated
probabilities). Logistic regression and pygam work on ``logit(score)``, as our platt and gam do;
the logit transform is inside the timed fit and predict for everyone (ours computes it too).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> s = rng.uniform(0.05, 0.95, 400)
>>> y = (rng.uniform(size=400) < s).astype(np.float64)
>>> model = FITTERS["ours_platt"](s, y)
>>> bool(np.all((model.predict(s) > 0) & (model.predict(s) < 1)))
True
>>> sorted(FITTERS) == sorted(OURS + PEERS)
True
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CLIP = 1e-15
GAM_SPLINES = 10


def logit(scores: FloatArray) -> FloatArray:
    """``logit(clip(s, 1e-15, 1 - 1e-15))`` as the script computes it."""
    t = np.clip(scores, CLIP, 1.0 - CLIP)
    out: FloatArray = np.log(t)
    out -= np.log1p(-t)
    return out


def log_loss(probabilities: FloatArray, labels: FloatArray) -> float:
    """Mean binary log loss with probabilities clipped to ``[1e-15, 1 - 1e-15]``."""
    p = np.clip(probabilities, CLIP, 1.0 - CLIP)
    return -float(np.dot(labels, np.log(p)) + np.dot(1.0 - labels, np.log1p(-p))) / len(labels)


@dataclasses.dataclass(frozen=True)
class Predictor:
    """A fitted model: ``predict`` maps scores to probabilities; ``knots`` the tabulation size
    (0 when the model is not a table) and ``info`` descriptive figures of the fit."""

    predict: Callable[[FloatArray], FloatArray]
    knots: int
    info: dict[str, object]
    knots_xy: tuple[FloatArray, FloatArray] | None = None


def script_function(name: str) -> Callable[..., Any]:
    """The script's function ``name``: from the submodule of the script package that defines it,
    or from the script module itself when it is one file (a revision from before the package,
    which ``bench.worker`` may have installed), so that an A/B can span both layouts."""
    from calibration_step.script import model_calibration as mc

    found: object = getattr(mc, name, None)
    for module in pkgutil.iter_modules(getattr(mc, "__path__", [])):
        if found is not None:
            break
        found = getattr(importlib.import_module(f"{mc.__name__}.{module.name}"), name, None)
    if not callable(found):
        raise AttributeError(f"the script defines no function {name!r}")
    return found


def _ours(method: str) -> Callable[[FloatArray, FloatArray], Predictor]:
    def fit(scores: FloatArray, labels: FloatArray) -> Predictor:
        # Imported here: the child may have installed a snapshot of the script (bench.worker).
        from calibration_step.script import model_calibration as mc

        settings = mc.read_settings({"CALIBRATION_METHOD": method})
        cal = script_function("fit_calibrator")(script_function("aggregate")(scores, labels),
                                                settings, context="bench")

        def predict(s: FloatArray) -> FloatArray:
            return mc.apply_calibrator(cal, s)

        knots_xy = None
        if cal.knots_x is not None and cal.knots_y is not None:
            knots_xy = (cal.knots_x, cal.knots_y)
        info = {key: value for key, value in cal.fit.items()
                if key in ("iterations", "converged", "unique_scores", "fit_points", "binned")}
        return Predictor(predict, 0 if knots_xy is None else knots_xy[0].shape[0], info, knots_xy)

    return fit


def _sklearn_isotonic(scores: FloatArray, labels: FloatArray) -> Predictor:
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(out_of_bounds="clip").fit(scores, labels)

    def predict(s: FloatArray) -> FloatArray:
        return np.asarray(model.predict(s), dtype=np.float64)

    return Predictor(predict, int(model.X_thresholds_.shape[0]), {})


def _sklearn_logistic(solver: str, tol: float) -> Callable[[FloatArray, FloatArray], Predictor]:
    def fit(scores: FloatArray, labels: FloatArray) -> Predictor:
        from sklearn.linear_model import LogisticRegression

        # C = inf is the unpenalised fit (scikit-learn >= 1.8 deprecates penalty=None), here of
        # Platt's smoothed targets as platt fits them (scikit-learn's method='sigmoid' does
        # too): each row once as a positive weighing its target, once as a negative.
        positives = float(labels.sum())
        target = np.where(labels > 0.5, (positives + 1.0) / (positives + 2.0),
                          1.0 / (labels.shape[0] - positives + 2.0))
        z = logit(scores)[:, None]
        model = LogisticRegression(C=math.inf, solver=solver, tol=tol, max_iter=1000)
        model.fit(np.r_[z, z], np.r_[np.ones(z.shape[0]), np.zeros(z.shape[0])],
                  sample_weight=np.r_[target, 1.0 - target])
        a, b = float(model.coef_[0, 0]), float(model.intercept_[0])

        def predict(s: FloatArray) -> FloatArray:
            return np.asarray(model.predict_proba(logit(s)[:, None])[:, 1], dtype=np.float64)

        return Predictor(predict, 0, {"a": a, "b": b, "solver": solver, "tol": tol})

    return fit


def _pygam(scores: FloatArray, labels: FloatArray) -> Predictor:
    from pygam import LogisticGAM, s

    model = LogisticGAM(s(0, n_splines=GAM_SPLINES, constraints="monotonic_inc"))
    model.fit(logit(scores)[:, None], labels)

    def predict(x: FloatArray) -> FloatArray:
        return np.asarray(model.predict_proba(logit(x)[:, None]), dtype=np.float64)

    return Predictor(predict, 0, {})


OURS = ("ours_isotonic", "ours_platt", "ours_gam")
PEERS = ("sklearn_isotonic", "sklearn_logistic_lbfgs", "sklearn_logistic_newton", "pygam_gam")
FITTERS: dict[str, Callable[[FloatArray, FloatArray], Predictor]] = {
    "ours_isotonic": _ours("isotonic"),
    "ours_platt": _ours("platt"),
    "ours_gam": _ours("gam"),
    "sklearn_isotonic": _sklearn_isotonic,
    # scikit-learn's default solver and tolerance (what users run) ...
    "sklearn_logistic_lbfgs": _sklearn_logistic("lbfgs", 1e-4),
    # ... and its exact solver at a tight tolerance (the agreement reference for platt).
    "sklearn_logistic_newton": _sklearn_logistic("newton-cholesky", 1e-12),
    "pygam_gam": _pygam,
}
# Which peer each of ours is compared with (time ratio and, for isotonic/platt, agreement).
REFERENCE = {"ours_isotonic": "sklearn_isotonic", "ours_platt": "sklearn_logistic_newton",
             "ours_gam": "pygam_gam"}
