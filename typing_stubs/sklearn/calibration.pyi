from typing import Literal

from sklearn._classifier import Classifier

class CalibratedClassifierCV(Classifier):
    def __init__(self, estimator: Classifier | None = ..., *,
                 method: Literal["sigmoid", "isotonic", "temperature"] = ...) -> None: ...
