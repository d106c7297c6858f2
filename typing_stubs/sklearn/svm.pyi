# Narrow stubs: what bench/quality/ uses.
from sklearn.base import BaseEstimator, ClassifierMixin

class SVC(ClassifierMixin, BaseEstimator):
    def __init__(self, *, C: float = ..., kernel: str = ..., gamma: str | float = ...) -> None: ...
