# Narrow stubs: what bench/quality/ uses.
from sklearn.base import BaseEstimator

class FrozenEstimator(BaseEstimator):
    def __init__(self, estimator: object) -> None: ...
