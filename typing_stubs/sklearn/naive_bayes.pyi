from sklearn._classifier import Classifier

class GaussianNB(Classifier):
    def __init__(self) -> None: ...
