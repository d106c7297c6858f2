"""The peers users would pick instead of ours, each behind a small typed adapter.

Every peer is fitted on the calibration split and returns the test split's class probability
matrix (``n x K``; binary outputs as ``[1 - p, p]``). The scikit-learn peers wrap the trained
model the way scikit-learn documents for a model trained elsewhere,
``CalibratedClassifierCV(FrozenEstimator(model), method=...)``, so they calibrate what that
class picks (the decision function where the model has one, else ``predict_proba``); the
others calibrate the same class probabilities ours gets. A peer whose package is not installed
is reported as unavailable (``unavailable``), never fatal.

``sklearn_isotonic_reference`` and ``sklearn_temperature_reference`` are the references of the
agreement checks: scikit-learn's isotonic regression and temperature scaling fitted on exactly
the probabilities ours is given.

Examples
--------
>>> sorted(name for name, peer in PEERS.items() if "multiclass" in peer.modes)
['sklearn_isotonic', 'sklearn_sigmoid', 'sklearn_temperature', 'splinecalib', 'venn_abers']
>>> unavailable(PEERS["sklearn_sigmoid"]) is None
True
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
from collections.abc import Callable
from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.quality.datasets import BINARY, MULTICLASS, Part
from bench.quality.metrics import FloatArray, IntArray, binary_matrix

SklearnMethod = Literal["sigmoid", "isotonic", "temperature"]


@dataclasses.dataclass(frozen=True)
class PeerInput:
    """What a peer may use: the trained model, both splits and the number of classes."""

    estimator: BaseEstimator
    calibration: Part
    test: Part
    classes: int


@dataclasses.dataclass(frozen=True)
class Peer:
    """A peer: the modes it supports, the distribution (for its version) and import name that
    must be installed, the scikit-learn version it needs, and its fit-then-predict."""

    name: str
    description: str
    modes: tuple[str, ...]
    distribution: str
    module: str
    fit_predict: Callable[[PeerInput], FloatArray]
    min_sklearn: tuple[int, int] = (1, 6)


def _as_matrix(probabilities: object, classes: int) -> FloatArray:
    """A peer's output as an ``n x K`` matrix (binary: ``[1 - p, p]`` from P(class 1))."""
    p = np.asarray(probabilities, dtype=np.float64)
    if classes == 2:
        return binary_matrix(p[:, 1] if p.ndim == 2 else p)
    return p


def _sklearn(method: SklearnMethod) -> Callable[[PeerInput], FloatArray]:
    def fit_predict(data: PeerInput) -> FloatArray:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator

        model = CalibratedClassifierCV(FrozenEstimator(data.estimator), method=method)
        model.fit(data.calibration.features, data.calibration.labels)
        return _as_matrix(model.predict_proba(data.test.features), data.classes)

    return fit_predict


def _betacal(data: PeerInput) -> FloatArray:
    from betacal import BetaCalibration

    model = BetaCalibration(parameters="abm")
    model.fit(data.calibration.scores[:, 1], data.calibration.labels)
    return _as_matrix(model.predict(data.test.scores[:, 1]), 2)


def _venn_abers(data: PeerInput) -> FloatArray:
    from venn_abers import VennAbersCalibrator

    # Without an estimator it is the inductive Venn-ABERS predictor of a model trained
    # elsewhere: fitted on the calibration probabilities, one-vs-one for more classes.
    p = VennAbersCalibrator().predict_proba(p_cal=data.calibration.scores,
                                            y_cal=data.calibration.labels,
                                            p_test=data.test.scores)
    return _as_matrix(p, data.classes)


def _splinecalib(data: PeerInput) -> FloatArray:
    from ml_insights import SplineCalib

    scores, test = data.calibration.scores, data.test.scores
    if data.classes == 2:
        scores, test = scores[:, 1], test[:, 1]
    model = SplineCalib()
    model.fit(scores, data.calibration.labels)
    return _as_matrix(model.predict(test), data.classes)


def _probcal(data: PeerInput) -> FloatArray:
    from probcal import CalibratorSelector

    model = CalibratorSelector()
    model.fit(data.calibration.scores[:, 1], data.calibration.labels)
    return _as_matrix(model.predict_proba(data.test.scores[:, 1]), 2)


BOTH = (BINARY, MULTICLASS)
PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("sklearn_sigmoid", "CalibratedClassifierCV(FrozenEstimator(model), method='sigmoid')",
         BOTH, "scikit-learn", "sklearn", _sklearn("sigmoid")),
    Peer("sklearn_isotonic", "CalibratedClassifierCV(FrozenEstimator(model), "
         "method='isotonic')", BOTH, "scikit-learn", "sklearn", _sklearn("isotonic")),
    Peer("sklearn_temperature", "CalibratedClassifierCV(FrozenEstimator(model), "
         "method='temperature')", BOTH, "scikit-learn", "sklearn", _sklearn("temperature"),
         min_sklearn=(1, 8)),
    Peer("betacal", "betacal BetaCalibration(parameters='abm')", (BINARY,), "betacal",
         "betacal", _betacal),
    Peer("venn_abers", "venn-abers VennAbersCalibrator (inductive, on the model's "
         "probabilities)", BOTH, "venn-abers", "venn_abers", _venn_abers),
    Peer("splinecalib", "ml-insights SplineCalib() (defaults)", BOTH, "ml-insights",
         "ml_insights", _splinecalib),
    Peer("probcal", "probcal CalibratorSelector() (defaults: log loss, 5 folds)", (BINARY,),
         "probcal", "probcal", _probcal),
)}


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def version(peer: Peer) -> str:
    """The installed version of the peer's distribution, or ``not installed``."""
    return _version(peer.distribution) or "not installed"


def unavailable(peer: Peer) -> str | None:
    """Why ``peer`` cannot run here (not installed, scikit-learn too old), or None."""
    if importlib.util.find_spec(peer.module) is None:
        return f"{peer.distribution} is not installed (pip install -e '.[bench]')"
    installed = _version("scikit-learn") or "0.0"
    major_minor = tuple(int(part) for part in installed.split(".")[:2])
    if major_minor < peer.min_sklearn:
        return (f"needs scikit-learn >= {peer.min_sklearn[0]}.{peer.min_sklearn[1]}; "
                f"{installed} is installed")
    return None


class GivenProbabilities(ClassifierMixin, BaseEstimator):
    """A classifier whose ``predict_proba`` returns its input: lets scikit-learn's calibrators
    fit on exactly the probabilities ours is given."""

    def __init__(self, classes: int) -> None:
        self.classes = classes
        self.classes_ = np.arange(classes)

    def fit(self, features: FloatArray, labels: IntArray) -> GivenProbabilities:
        return self

    def predict_proba(self, features: FloatArray) -> FloatArray:
        return np.asarray(features, dtype=np.float64)

    def predict(self, features: FloatArray) -> IntArray:
        return np.asarray(np.argmax(features, axis=1), dtype=np.int64)


def sklearn_temperature_reference(calibration: Part, test: Part) -> FloatArray:
    """scikit-learn's temperature scaling fitted on the calibration probabilities themselves.

    >>> rng = np.random.default_rng(0)
    >>> p = rng.dirichlet(np.ones(3), size=100)
    >>> y = rng.integers(0, 3, 100)
    >>> out = sklearn_temperature_reference(Part(p, p, y), Part(p[:2], p[:2], y[:2]))
    >>> out.shape, bool(np.allclose(out.sum(axis=1), 1))
    ((2, 3), True)
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    given = FrozenEstimator(GivenProbabilities(calibration.scores.shape[1]))
    model = CalibratedClassifierCV(given, method="temperature")
    model.fit(calibration.scores, calibration.labels)
    return np.asarray(model.predict_proba(test.scores), dtype=np.float64)


def sklearn_isotonic_reference(calibration: Part, test: Part) -> FloatArray:
    """``IsotonicRegression(out_of_bounds='clip')`` on P(class 1) of the calibration split,
    applied to the test split's (binary)."""
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(out_of_bounds="clip")
    model.fit(calibration.scores[:, 1], calibration.labels)
    return binary_matrix(model.predict(test.scores[:, 1]))
