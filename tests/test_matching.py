"""Name normalisation, synonyms, name evidence and similarity of the resolver's name matcher."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibration_step.matching import (
    best_similarity,
    concept_of,
    name_similarity,
    normalize_name,
    shares_concept,
    split_words,
)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("evaluation_data", ("evaluation", "data")),
        ("EvaluationData", ("evaluation", "data")),
        ("evaluationData", ("evaluation", "data")),
        ("evaluation-data", ("evaluation", "data")),
        ("XGBoostModelEval", ("xg", "boost", "model", "eval")),
        ("S3Uri", ("s", "3", "uri")),
        ("DATA_SECONDARY", ("data", "secondary")),
        ("  ", ()),
    ],
)
def test_split_words_handles_snake_camel_pascal_kebab(name: str, words: tuple[str, ...]) -> None:
    assert split_words(name) == words


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("metrics_output", ("metric",)),  # plural dropped, generic token dropped
        ("model_output_path", ("model",)),
        ("input_path", ("input", "path")),  # nothing specific left: generic tokens kept
        ("status", ("status",)),  # no plural stripping after "u"
        ("class", ("class",)),
        ("calibrated_data", ("calibrated", "data")),
    ],
)
def test_normalize_name_tokens(name: str, tokens: tuple[str, ...]) -> None:
    assert normalize_name(name).tokens == tokens


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("model", "artifacts"),
        ("data", "dataset"),
        ("eval_output", "evaluation_data"),
        ("calibration_output", "calibrated_data"),
        ("metrics", "metric"),
        ("training_data", "train"),
    ],
)
def test_synonyms_give_name_evidence(left: str, right: str) -> None:
    assert shares_concept(normalize_name(left), normalize_name(right))


@pytest.mark.parametrize(("left", "right"), [("model_input", "label_store"), ("input_path", "processed_data")])
def test_unrelated_names_have_no_name_evidence(left: str, right: str) -> None:
    assert not shares_concept(normalize_name(left), normalize_name(right))


def test_concept_of_unlisted_token_is_itself() -> None:
    assert concept_of("zebra") == "zebra"
    assert concept_of("artifact") == "model"


def test_similarity_of_spelling_variants_is_one() -> None:
    assert name_similarity(normalize_name("model_artifacts"), normalize_name("ModelArtifacts")) == 1.0


def test_similarity_ranks_closer_names_higher() -> None:
    data = normalize_name("data")
    assert name_similarity(data, normalize_name("data_secondary")) > name_similarity(data, normalize_name("label"))


def test_best_similarity_prefers_logical_name_on_ties() -> None:
    names = [normalize_name("eval_output"), normalize_name("EvalOutput")]
    assert best_similarity(normalize_name("eval"), names) == (1.0, "eval_output")


NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,20}", fullmatch=True)


@given(NAMES, NAMES)
def test_similarity_is_in_unit_interval(left: str, right: str) -> None:
    value = name_similarity(normalize_name(left), normalize_name(right))
    assert 0.0 <= value <= 1.0


@given(NAMES)
def test_a_name_is_fully_similar_to_itself(name: str) -> None:
    normalized = normalize_name(name)
    assert name_similarity(normalized, normalized) == 1.0
    assert shares_concept(normalized, normalized) or not normalized.concepts
