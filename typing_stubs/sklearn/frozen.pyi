from sklearn._classifier import Classifier

class FrozenEstimator(Classifier):
    def __init__(self, estimator: object) -> None: ...
