# Narrow stubs: what bench/quality/ uses.
from sklearn.base import BaseEstimator

class StandardScaler(BaseEstimator):
    def __init__(self) -> None: ...
