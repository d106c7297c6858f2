"""Name matching for the dependency resolver: normalised tokens, concepts and name similarity.

A name (a logical name, an alias or a semantic keyword) is normalised once into a
:class:`NormalizedName`:

1. split on ``_``, ``-``, ``.``, spaces and camelCase/PascalCase humps (``XGBoostModelEval`` ->
   ``xg boost model eval``; runs of capitals stay together: ``S3Uri`` -> ``s3 uri``);
2. lowercase, and drop a plural ``s`` (``metrics`` -> ``metric``; not after ``s``, ``u``, ``i``);
3. drop generic tokens (:data:`_GENERIC_TOKENS`: ``output``, ``input``, ``path``, ``uri`` ...)
   unless nothing else is left (``input_path`` keeps both tokens);
4. map every token to its *concept* through the small synonym table :data:`_SYNONYMS`
   (``artifact`` -> ``model``, ``dataset`` -> ``data``, ``evaluation`` -> ``eval`` ...).

Two names share *name evidence* when their concept sets intersect. Their *similarity* is
``(concept Jaccard + difflib ratio of the normalised strings) / 2``, 1.0 for equal token
sequences. All functions are pure; the caller may memoise similarity by normalised string.

Examples
--------
>>> normalize_name("XGBoostModelEval").tokens
('xg', 'boost', 'model', 'eval')
>>> normalize_name("metrics_output").tokens
('metric',)
>>> normalize_name("input_path").tokens
('input', 'path')
>>> sorted(normalize_name("model_artifacts").concepts)
['model']
>>> shares_concept(normalize_name("eval_output"), normalize_name("evaluation_data"))
True
>>> name_similarity(normalize_name("data"), normalize_name("data"))
1.0
>>> round(name_similarity(normalize_name("data"), normalize_name("data_secondary")), 3)
0.472
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

import attrs

__all__ = [
    "NormalizedName",
    "best_similarity",
    "concept_of",
    "name_similarity",
    "normalize_name",
    "shares_concept",
    "split_words",
]

_GENERIC_TOKENS: frozenset[str] = frozenset(
    {"output", "input", "path", "uri", "s3", "dir", "directory", "file", "folder", "location", "prefix"}
)
"""Tokens that say where something is, not what it is; dropped unless nothing else is left."""

_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("model", "artifact", "artefact"),
    ("data", "dataset", "datum", "table"),
    ("eval", "evaluation", "evaluate", "evaluated"),
    ("calibration", "calibrated", "calibrate", "calibrator"),
    ("metric", "measure", "stat", "statistic"),
    ("train", "training", "trained"),
    ("process", "processed", "processing", "preprocess", "preprocessed", "preprocessing"),
    ("hyperparameter", "hyperparam", "param", "parameter"),
    ("prediction", "predicted", "predict", "inference"),
    ("package", "packaged", "packaging"),
)

_SYNONYMS: Mapping[str, str] = {token: group[0] for group in _SYNONYM_GROUPS for token in group}
"""Token -> concept (the first word of its synonym group); tokens not listed are their own concept."""

_SEPARATORS = re.compile(r"[\s_\-./:]+")
# A run of capitals not followed by a lowercase letter ("XG", "S"), a capitalised or lowercase
# word ("Boost", "model"), or digits.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_KEEP_FINAL_S = ("ss", "us", "is")


@attrs.frozen(kw_only=True)
class NormalizedName:
    """A name split into lowercase tokens, with generic tokens dropped and concepts attached."""

    raw: str
    tokens: tuple[str, ...]
    concepts: frozenset[str]

    @property
    def text(self) -> str:
        """The tokens joined by single spaces (the string that similarity compares)."""
        return " ".join(self.tokens)


def split_words(name: str) -> tuple[str, ...]:
    """Split ``name`` on separators and case humps, lowercase, without removing anything.

    Examples
    --------
    >>> split_words("PackagedModel"), split_words("calibration-output.v2")
    (('packaged', 'model'), ('calibration', 'output', 'v', '2'))
    """
    words: list[str] = []
    for chunk in _SEPARATORS.split(name):
        words.extend(word.lower() for word in _WORD.findall(chunk))
    return tuple(words)


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith("s") and not token.endswith(_KEEP_FINAL_S):
        return token[:-1]
    return token


def concept_of(token: str) -> str:
    """The concept of a (singular, lowercase) token: its synonym group's head, else itself.

    Examples
    --------
    >>> concept_of("artifact"), concept_of("dataset"), concept_of("label")
    ('model', 'data', 'label')
    """
    return _SYNONYMS.get(token, token)


def normalize_name(name: str) -> NormalizedName:
    """Normalise a logical name, alias or keyword (see the module docstring for the steps).

    Examples
    --------
    >>> n = normalize_name("ProcessedFeatures")
    >>> n.tokens, sorted(n.concepts)
    (('processed', 'feature'), ['feature', 'process'])
    """
    words = tuple(_singular(word) for word in split_words(name))
    specific = tuple(word for word in words if word not in _GENERIC_TOKENS)
    tokens = specific or words
    return NormalizedName(raw=name, tokens=tokens, concepts=frozenset(concept_of(t) for t in tokens))


def shares_concept(left: NormalizedName, right: NormalizedName) -> bool:
    """Whether the two names share a token or a synonym (their concept sets intersect)."""
    return not left.concepts.isdisjoint(right.concepts)


def name_similarity(left: NormalizedName, right: NormalizedName) -> float:
    """Similarity in [0, 1]: mean of concept Jaccard and the difflib ratio of the token strings.

    Equal token sequences score exactly 1.0.

    Examples
    --------
    >>> name_similarity(normalize_name("model_artifacts"), normalize_name("ModelArtifacts"))
    1.0
    >>> name_similarity(normalize_name("model"), normalize_name("label")) < 0.5
    True
    """
    if left.tokens == right.tokens:
        return 1.0
    union = left.concepts | right.concepts
    jaccard = len(left.concepts & right.concepts) / len(union) if union else 0.0
    ratio = difflib.SequenceMatcher(None, left.text, right.text, autojunk=False).ratio()
    return (jaccard + ratio) / 2.0


def best_similarity(name: NormalizedName, candidates: Iterable[NormalizedName]) -> tuple[float, str]:
    """The highest :func:`name_similarity` of ``name`` to any candidate, and that candidate's raw name.

    Ties keep the first candidate (an output's logical name comes before its aliases).

    Examples
    --------
    >>> best_similarity(normalize_name("training_data"),
    ...                 [normalize_name("processed_data"), normalize_name("training_data")])
    (1.0, 'training_data')
    """
    best, best_raw = 0.0, ""
    for candidate in candidates:
        similarity = name_similarity(name, candidate)
        if similarity > best or not best_raw:
            best, best_raw = similarity, candidate.raw
    return best, best_raw
