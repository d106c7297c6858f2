from sklearn._classifier import Classifier

class RandomForestClassifier(Classifier):
    def __init__(self, n_estimators: int = ..., *, random_state: int | None = ...) -> None: ...
