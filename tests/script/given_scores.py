"""A binary classifier whose margin is its feature, for scikit-learn's calibration of given
margins (``CalibratedClassifierCV(FrozenEstimator(model))``); given probabilities go through
``bench.quality.peers.GivenProbabilities``."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class GivenMargins(ClassifierMixin, BaseEstimator):
    """A fitted binary classifier whose margin (``decision_function``) is its one feature."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> GivenMargins:
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x[:, 0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_[(x[:, 0] > 0.0).astype(int)])
