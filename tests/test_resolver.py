"""The resolver: weights, name evidence, tie-breaking, one output per consumer input, explicit edges,
external bindings, the report (breakdowns add up, JSON round-trip) and its errors.

The rules of ``docs/resolver.md`` each have a test: ties are broken by a total order, never by
iteration order; one output feeds at most one input of a consumer; a same-type pair with unrelated
names (0.6) is not wired.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration_step.processing.values import StringParameter
from calibration_step.converter import from_json, to_json
from calibration_step.enums import DependencyType, NodeType
from calibration_step.errors import ResolutionError
from calibration_step.resolver import (
    DependencyResolution,
    Edge,
    ExternalBinding,
    Node,
    RejectionReason,
    ResolutionReport,
    resolve,
)
from calibration_step.spec import DataType, DependencySpec, OutputSpec, StepSpecification
from tests.typecheck import check_snippets

T = DependencyType


@attrs.frozen
class D:
    """A dependency to declare in a test spec."""

    name: str
    type: DependencyType = T.PROCESSING_OUTPUT
    required: bool = True
    sources: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    data_type: DataType = "S3Uri"


@attrs.frozen
class O:
    """An output to declare in a test spec."""

    name: str
    type: DependencyType = T.PROCESSING_OUTPUT
    aliases: tuple[str, ...] = ()
    data_type: DataType = "S3Uri"


Spec = StepSpecification[enum.Enum, enum.Enum]


def spec(step_type: str, deps: Sequence[D] = (), outs: Sequence[O] = ()) -> Spec:
    """A spec over small per-spec enums (plain enum.Enum, snake_case values)."""
    inputs = enum.Enum(f"{step_type}Input", {d.name.upper(): d.name for d in deps})  # type: ignore[misc]  # functional API with a computed member mapping
    outputs = enum.Enum(f"{step_type}Output", {o.name.upper(): o.name for o in outs})  # type: ignore[misc]  # same
    node_type = NodeType.INTERNAL if deps and outs else NodeType.SINK if deps else NodeType.SOURCE
    return StepSpecification(
        step_type=step_type,
        node_type=node_type,
        dependencies=tuple(
            DependencySpec(
                logical_name=inputs[d.name.upper()],
                dependency_type=d.type,
                required=d.required,
                compatible_sources=d.sources,
                semantic_keywords=d.keywords,
                data_type=d.data_type,
            )
            for d in deps
        ),
        outputs=tuple(
            OutputSpec(
                logical_name=outputs[o.name.upper()],
                output_type=o.type,
                aliases=o.aliases,
                data_type=o.data_type,
                property_path=f"properties.ProcessingOutputConfig.Outputs['{o.name}'].S3Output.S3Uri",
            )
            for o in outs
        ),
    )


def member(spec_: Spec, name: str) -> enum.Enum:
    """The enum member of ``spec_``'s dependency or output called ``name``."""
    names = {d.name: d.logical_name for d in spec_.dependencies} | {o.name: o.logical_name for o in spec_.outputs}
    return names[name]


def only(report: ResolutionReport, step: str, dependency: str) -> DependencyResolution:
    found = report.get(step, dependency)
    assert found is not None
    return found


def chosen_label(report: ResolutionReport, step: str, dependency: str) -> str | None:
    found = only(report, step, dependency)
    return None if found.chosen is None else found.chosen.label


# --- The example pairs of docs/resolver.md wire; the same-type pair with unrelated names does not ---


def test_data_to_data_wires_with_exact_bonus() -> None:
    report = resolve([("a", spec("Src", outs=[O("data")])), ("b", spec("Dst", deps=[D("data")]))])
    chosen = only(report, "b", "data").chosen
    assert chosen is not None and chosen.score > 0.5
    assert chosen.breakdown.exact_bonus == 0.05 and chosen.breakdown.name == 0.25


def test_data_to_data_secondary_wires_on_a_shared_token() -> None:
    report = resolve([("a", spec("Src", outs=[O("data_secondary")])), ("b", spec("Dst", deps=[D("data")]))])
    chosen = only(report, "b", "data").chosen
    assert chosen is not None and 0.5 < chosen.score < 0.9
    assert "concept:data" in chosen.evidence


TRAINING = spec(
    "XGBoostTraining",
    deps=[D("input_path", T.TRAINING_DATA, sources=("TabularPreprocessing",), keywords=("data", "processed", "training"))],
)


def test_processed_data_to_input_path_wires_on_source_and_keywords() -> None:
    prep = spec("TabularPreprocessing", outs=[O("processed_data")])
    report = resolve([("prep", prep), ("train", TRAINING)])
    chosen = only(report, "train", "input_path").chosen
    assert chosen is not None and chosen.score > 0.5
    assert chosen.evidence == ("keyword:data,processed", "source:TabularPreprocessing")
    assert chosen.breakdown.dependency_type == 0.2  # training_data accepts processing_output


def test_processed_data_from_an_unlisted_step_type_is_not_enough_for_input_path() -> None:
    other = spec("Something", outs=[O("processed_data")])
    with pytest.raises(ResolutionError, match=r"input_path.*below_threshold"):
        resolve([("other", other), ("train", TRAINING)])


UNRELATED = [("a", spec("Src", outs=[O("label_store")])), ("b", spec("Dst", deps=[D("model_input", required=False)]))]


def test_same_type_pair_with_unrelated_names_is_not_wired() -> None:
    found = only(resolve(UNRELATED), "b", "model_input")
    assert found.source == "unresolved" and found.chosen is None
    (rejection,) = found.rejected
    assert rejection.reason is RejectionReason.NO_NAME_EVIDENCE
    assert rejection.candidate.score >= 0.6  # what the reference framework wired


def test_same_type_pair_with_unrelated_names_is_an_error_when_required() -> None:
    nodes = [UNRELATED[0], ("b", spec("Dst", deps=[D("model_input")]))]
    with pytest.raises(ResolutionError, match=r"'model_input'.*a\.label_store 0\.6\d* \(no_name_evidence"):
        resolve(nodes)


# --- Scores: type compatibility, breakdowns that add up, threshold ---


@pytest.mark.parametrize(
    ("wanted", "offered", "component"),
    [
        (T.TRAINING_DATA, T.PROCESSING_OUTPUT, 0.2),
        (T.PROCESSING_OUTPUT, T.TRAINING_DATA, 0.2),
        (T.HYPERPARAMETERS, T.CUSTOM_PROPERTY, 0.2),
        (T.PAYLOAD_SAMPLES, T.PROCESSING_OUTPUT, 0.2),
        (T.MODEL_ARTIFACTS, T.MODEL_ARTIFACTS, 0.4),
        (T.MODEL_ARTIFACTS, T.PROCESSING_OUTPUT, 0.0),
        (T.CUSTOM_PROPERTY, T.HYPERPARAMETERS, 0.0),
    ],
)
def test_dependency_type_component(wanted: DependencyType, offered: DependencyType, component: float) -> None:
    nodes = [("a", spec("Src", outs=[O("data", offered)])), ("b", spec("Dst", deps=[D("data", wanted, required=False)]))]
    found = only(resolve(nodes), "b", "data")
    candidate = found.chosen or found.rejected[0].candidate
    assert candidate.breakdown.dependency_type == component
    if component == 0.0:
        assert candidate.score == 0.0 and found.rejected[0].reason is RejectionReason.INCOMPATIBLE_TYPE


def test_breakdown_adds_up_and_cap_applies() -> None:
    nodes = [
        ("a", spec("Src", outs=[O("data")])),
        ("b", spec("Dst", deps=[D("data", sources=("Src",), keywords=("data",))])),
    ]
    chosen = only(resolve(nodes), "b", "data").chosen
    assert chosen is not None
    assert chosen.score == 1.0
    assert chosen.breakdown.cap_adjustment == pytest.approx(-0.05)
    assert math.fsum(chosen.breakdown.components()) == pytest.approx(chosen.score, abs=1e-9)


def test_threshold_is_strict() -> None:
    nodes = [("a", spec("Src", outs=[O("data_secondary")])), ("b", spec("Dst", deps=[D("data", required=False)]))]
    score = only(resolve(nodes), "b", "data").chosen
    assert score is not None
    found = only(resolve(nodes, threshold=score.score), "b", "data")
    assert found.source == "unresolved" and found.rejected[0].reason is RejectionReason.BELOW_THRESHOLD


# --- Tie-breaking and determinism ---


def test_ties_go_to_the_lexically_first_provider_whatever_the_order() -> None:
    consumer = ("z_consumer", spec("Dst", deps=[D("data")]))
    providers = [("beta", spec("Src", outs=[O("data")])), ("alpha", spec("Src", outs=[O("data")]))]
    for ordering in itertools.permutations(providers):
        report = resolve([*ordering, consumer])
        assert chosen_label(report, "z_consumer", "data") == "alpha.data"
        (loser,) = only(report, "z_consumer", "data").rejected
        assert loser.candidate.label == "beta.data" and loser.reason is RejectionReason.OUTRANKED


def test_exact_name_breaks_a_score_tie_before_provider_name() -> None:
    # Same score by construction: equal components, but only "data" is an exact match.
    weights_free = [("a", spec("Src", outs=[O("data_x")])), ("b", spec("Src", outs=[O("data", aliases=())]))]
    report = resolve([*weights_free, ("c", spec("Dst", deps=[D("data")]))])
    assert chosen_label(report, "c", "data") == "b.data"


DAG_NODES: list[Node] = [
    ("prep", spec("Prep", outs=[O("processed_data"), O("processed_labels")])),
    ("train", spec("Train", deps=[D("training_data", T.TRAINING_DATA, sources=("Prep",))], outs=[O("model", T.MODEL_ARTIFACTS)])),
    ("evaluate", spec("Eval", deps=[D("model_input", T.MODEL_ARTIFACTS), D("eval_data", sources=("Prep",))], outs=[O("eval_output"), O("metrics_output")])),
    ("calibrate", spec("Calib", deps=[D("evaluation_data", sources=("Eval",))], outs=[O("calibration_output")])),
]
DAG_UPSTREAM = {"train": {"prep"}, "evaluate": {"train", "prep"}, "calibrate": {"evaluate"}}


def test_resolution_with_a_declared_dag_ignores_node_order() -> None:
    expected = resolve(DAG_NODES, upstream=DAG_UPSTREAM)
    assert expected.order == ("prep", "train", "evaluate", "calibrate")
    assert chosen_label(expected, "calibrate", "evaluation_data") == "evaluate.eval_output"
    assert chosen_label(expected, "evaluate", "model_input") == "train.model"
    for ordering in itertools.permutations(DAG_NODES):
        report = resolve(list(ordering), upstream=DAG_UPSTREAM)
        assert sorted(map(str, report.edges())) == sorted(map(str, expected.edges()))
        assert [r for r in report.resolutions if r.step == "calibrate"] == list(expected.for_step("calibrate"))


def test_without_upstream_only_earlier_steps_may_feed() -> None:
    nodes = [("b", spec("Dst", deps=[D("data", required=False)])), ("a", spec("Src", outs=[O("data")]))]
    assert only(resolve(nodes), "b", "data").source == "unresolved"


def test_upstream_restricts_candidates() -> None:
    nodes = [("a", spec("Src", outs=[O("data")])), ("x", spec("Src", outs=[O("data")])), ("b", spec("Dst", deps=[D("data")]))]
    assert chosen_label(resolve(nodes, upstream={"b": {"x"}}), "b", "data") == "x.data"


# --- One output feeds at most one input of a consumer; required first ---


def test_one_output_is_not_wired_into_two_inputs_of_one_consumer() -> None:
    nodes = [
        ("a", spec("Src", outs=[O("data")])),
        ("b", spec("Dst", deps=[D("data"), D("data_secondary", required=False)])),
    ]
    report = resolve(nodes)
    assert chosen_label(report, "b", "data") == "a.data"
    second = only(report, "b", "data_secondary")
    assert second.source == "unresolved"
    assert second.rejected[0].reason is RejectionReason.OUTPUT_ALREADY_USED
    assert "feeds input 'data'" in second.rejected[0].detail


def test_an_output_may_feed_inputs_of_different_consumers() -> None:
    nodes = [("a", spec("Src", outs=[O("data")])), ("b", spec("Dst", deps=[D("data")])), ("c", spec("Dst2", deps=[D("data")]))]
    report = resolve(nodes, upstream={"b": {"a"}, "c": {"a"}})
    assert chosen_label(report, "b", "data") == chosen_label(report, "c", "data") == "a.data"


def test_required_dependencies_are_assigned_before_optional_ones() -> None:
    nodes = [
        ("a", spec("Src", outs=[O("data")])),
        # The optional dependency matches "data" exactly (higher score) but the required one gets it.
        ("b", spec("Dst", deps=[D("data", required=False), D("data_secondary")])),
    ]
    report = resolve(nodes)
    assert chosen_label(report, "b", "data_secondary") == "a.data"
    assert only(report, "b", "data").rejected[0].reason is RejectionReason.OUTPUT_ALREADY_USED


def test_a_second_output_goes_to_the_second_input() -> None:
    nodes = [
        ("a", spec("Src", outs=[O("data"), O("data_secondary")])),
        ("b", spec("Dst", deps=[D("data"), D("data_secondary")])),
    ]
    report = resolve(nodes)
    assert chosen_label(report, "b", "data") == "a.data"
    assert chosen_label(report, "b", "data_secondary") == "a.data_secondary"


# --- Explicit edges and external bindings ---


def test_explicit_edge_overrides_scoring_and_uses_up_the_output() -> None:
    src = spec("Src", outs=[O("data"), O("data_secondary")])
    dst = spec("Dst", deps=[D("data"), D("data_secondary")])
    edge = Edge(upstream_step="a", upstream_output=member(src, "data"), downstream_step="b", downstream_input=member(dst, "data_secondary"))
    report = resolve([("a", src), ("b", dst)], edges=[edge])
    explicit = only(report, "b", "data_secondary")
    assert explicit.source == "explicit" and explicit.chosen is not None and explicit.chosen.label == "a.data"
    assert chosen_label(report, "b", "data") == "a.data_secondary"  # a.data is taken
    assert {(e.downstream_input, e.source) for e in report.edges()} == {("data_secondary", "explicit"), ("data", "inferred")}


def test_explicit_edge_may_wire_what_scoring_would_reject() -> None:
    src, dst = UNRELATED[0][1], spec("Dst", deps=[D("model_input")])
    edge = Edge(upstream_step="a", upstream_output=member(src, "label_store"), downstream_step="b", downstream_input=member(dst, "model_input"))
    report = resolve([("a", src), ("b", dst)], edges=[edge])
    assert chosen_label(report, "b", "model_input") == "a.label_store"


def test_explicit_edge_adds_its_provider_to_the_dag() -> None:
    src, dst = spec("Src", outs=[O("data")]), spec("Dst", deps=[D("data")])
    edge = Edge(upstream_step="a", upstream_output=member(src, "data"), downstream_step="b", downstream_input=member(dst, "data"))
    report = resolve([("b", dst), ("a", src)], upstream={}, edges=[edge])
    assert report.order == ("a", "b")


class Param:
    """Stands in for a SageMaker pipeline parameter (anything with ``expr``)."""

    @property
    def expr(self) -> object:
        return {"Get": "Parameters.EvalData"}


def test_external_bindings_feed_source_steps() -> None:
    dst = spec("Dst", deps=[D("data"), D("labels"), D("weights")])
    report = resolve(
        [("b", dst)],
        bindings=[
            ExternalBinding(step="b", dependency=member(dst, "data"), value="s3://bucket/data/"),
            ExternalBinding(step="b", dependency=member(dst, "labels"), value=Param()),
            ExternalBinding(step="b", dependency=member(dst, "weights"), value=StringParameter(name="Weights")),
        ],
    )
    assert [(r.source, r.external) for r in report.resolutions] == [
        ("external", "s3://bucket/data/"),
        ("external", '{"Get": "Parameters.EvalData"}'),
        ("external", '{"Get": "Parameters.Weights"}'),
    ]
    assert report.edges() == ()


def test_external_binding_overrides_a_matching_upstream_output() -> None:
    src, dst = spec("Src", outs=[O("data")]), spec("Dst", deps=[D("data")])
    binding = ExternalBinding(step="b", dependency=member(dst, "data"), value="s3://b/k")
    assert only(resolve([("a", src), ("b", dst)], bindings=[binding]), "b", "data").source == "external"


def test_unbound_source_dependency_names_the_fix() -> None:
    with pytest.raises(ResolutionError, match=r"'data'.*no upstream step may feed it.*hint: add an explicit Edge, bind an ExternalBinding"):
        resolve([("b", spec("Dst", deps=[D("data")]))])


@pytest.mark.parametrize(
    ("value", "message"),
    [("/local/path", r"'/local/path' is not an s3:// URI"), (42, r"42 is neither an s3:// URI nor a pipeline value")],
)
def test_binding_values_are_checked(value: object, message: str) -> None:
    dst = spec("Dst", deps=[D("data")])
    binding = ExternalBinding(step="b", dependency=member(dst, "data"), value=value)
    with pytest.raises(ResolutionError, match=message):
        resolve([("b", dst)], bindings=[binding])


def test_wiring_problems_are_listed_together() -> None:
    src, dst, other = spec("Src", outs=[O("data")]), spec("Dst", deps=[D("data")]), spec("Other", deps=[D("foreign")], outs=[O("other")])
    edges = [
        Edge(upstream_step="a", upstream_output=member(other, "other"), downstream_step="b", downstream_input=member(dst, "data")),
        Edge(upstream_step="nowhere", upstream_output=member(src, "data"), downstream_step="b", downstream_input=member(other, "foreign")),
    ]
    bindings = [ExternalBinding(step="a", dependency=member(dst, "data"), value="s3://b/k")]
    with pytest.raises(ResolutionError, match=r"RESOLUTION-WIRING.* has 4 problem") as caught:
        resolve([("a", src), ("b", dst)], edges=edges, bindings=bindings)
    messages = [p.message for p in caught.value.problems]
    assert "step 'a' (Src) has no output <OtherOutput.OTHER: 'other'>" in messages
    assert "edge names unknown step 'nowhere'" in messages
    assert "step 'b' (Dst) has no dependency <OtherInput.FOREIGN: 'foreign'>" in messages
    assert "step 'a' (Src) has no dependency <DstInput.DATA: 'data'>" in messages


def test_an_input_bound_twice_is_an_error() -> None:
    src, dst = spec("Src", outs=[O("data")]), spec("Dst", deps=[D("data")])
    edge = Edge(upstream_step="a", upstream_output=member(src, "data"), downstream_step="b", downstream_input=member(dst, "data"))
    binding = ExternalBinding(step="b", dependency=member(dst, "data"), value="s3://b/k")
    with pytest.raises(ResolutionError, match=r"input b\.data has two explicit edges"):
        resolve([("a", src), ("b", dst)], edges=[edge, edge])
    with pytest.raises(ResolutionError, match=r"input b\.data is bound twice"):
        resolve([("a", src), ("b", dst)], edges=[edge], bindings=[binding])


# --- DAG errors ---


def test_cycles_are_detected() -> None:
    nodes = [("a", spec("A", deps=[D("x", required=False)], outs=[O("y")])), ("b", spec("B", deps=[D("y", required=False)], outs=[O("x")]))]
    with pytest.raises(ResolutionError, match=r"RESOLUTION-CYCLE\] the steps form a cycle: a -> b -> a"):
        resolve(nodes, upstream={"a": {"b"}, "b": {"a"}})


def test_an_explicit_edge_against_the_order_can_close_a_cycle() -> None:
    a, b = spec("A", deps=[D("x")], outs=[O("y")]), spec("B", deps=[D("y")], outs=[O("x")])
    edge = Edge(upstream_step="b", upstream_output=member(b, "x"), downstream_step="a", downstream_input=member(a, "x"))
    with pytest.raises(ResolutionError, match=r"cycle: a -> b -> a"):
        resolve([("a", a), ("b", b)], edges=[edge])


def test_duplicate_and_unknown_step_names() -> None:
    src = spec("Src", outs=[O("data")])
    with pytest.raises(ResolutionError, match=r"RESOLUTION-DAG.*step name 'a' is used 2 times"):
        resolve([("a", src), ("a", src)])
    with pytest.raises(ResolutionError, match=r"(?s)upstream of 'a' names unknown step 'ghost'.*'a' is its own upstream"):
        resolve([("a", src)], upstream={"a": {"ghost", "a"}})


# --- Report ---


def test_rejections_are_capped_but_counted() -> None:
    providers: list[Node] = [(f"p{i}", spec("Src", outs=[O("data")])) for i in range(8)]
    report = resolve([*providers, ("c", spec("Dst", deps=[D("data")]))], max_rejected=3)
    found = only(report, "c", "data")
    assert found.n_rejected == 7 and [r.candidate.provider_step for r in found.rejected] == ["p1", "p2", "p3"]


def test_report_round_trips_through_json() -> None:
    report = resolve(DAG_NODES, upstream=DAG_UPSTREAM, max_rejected=10)
    text = to_json(report)
    assert from_json(text, ResolutionReport) == report
    assert '"reason": "outranked"' in text or '"reason": "below_threshold"' in text


def test_unresolved_error_names_best_candidates_with_scores_and_reasons() -> None:
    nodes = [
        ("a", spec("Src", outs=[O("label_store"), O("model", T.MODEL_ARTIFACTS)])),
        ("b", spec("Other", outs=[O("data_secondary")])),
        ("c", spec("Dst", deps=[D("data")], outs=[O("out")])),
        ("d", spec("Dst2", deps=[D("eval_data"), D("labels")])),
    ]
    with pytest.raises(ResolutionError) as caught:
        resolve(nodes, upstream={"c": {"a"}, "d": {"c"}}, threshold=0.8)
    problems = caught.value.problems
    assert [p.location for p in problems] == ["c.data", "d.eval_data", "d.labels"]
    assert "best candidates: a.label_store 0.6" in problems[0].message
    assert "a.model 0.000 (incompatible_type" in problems[0].message


# --- Properties ---

TYPES = st.sampled_from(list(DependencyType))
DATA_TYPES: st.SearchStrategy[DataType] = st.sampled_from(["S3Uri", "String", "Integer", "Float", "Boolean"])
WORDS = st.sampled_from(["data", "model", "eval", "metrics", "calibrated", "label", "processed", "input", "path", "output", "features"])
NAMES = st.lists(WORDS, min_size=1, max_size=3, unique=True).map("_".join)


@st.composite
def dags(draw: st.DrawFn) -> list[Node]:
    nodes: list[Node] = []
    for i in range(draw(st.integers(1, 4))):
        outs = [O(name, draw(TYPES), data_type=draw(DATA_TYPES)) for name in draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))]
        nodes.append((f"s{i}", spec(f"Src{i}", outs=outs)))
    deps = [
        D(name, draw(TYPES), required=False, data_type=draw(DATA_TYPES),
          sources=tuple(draw(st.lists(st.sampled_from([f"Src{i}" for i in range(len(nodes))]), max_size=2))),
          keywords=tuple(draw(st.lists(WORDS, max_size=3))))
        for name in draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    ]
    nodes.append(("consumer", spec("Consumer", deps=deps)))
    return nodes


@settings(max_examples=60, deadline=None)
@given(dags())
def test_every_breakdown_adds_up_to_a_score_in_the_unit_interval(nodes: list[Node]) -> None:
    report = resolve(nodes, max_rejected=100)
    for item in report.resolutions:
        candidates = [r.candidate for r in item.rejected] + ([item.chosen] if item.chosen else [])
        for candidate in candidates:
            assert 0.0 <= candidate.score <= 1.0
            assert math.fsum(candidate.breakdown.components()) == pytest.approx(candidate.score, abs=1e-9)
        if item.chosen is not None:
            assert item.chosen.evidence and item.chosen.score > report.threshold
    used = [(r.chosen.provider_step, r.chosen.output) for r in report.resolutions if r.chosen]
    assert len(used) == len(set(used))  # one consumer: no output twice


@settings(max_examples=30, deadline=None)
@given(dags(), st.randoms(use_true_random=False))
def test_providers_order_does_not_change_the_result(nodes: list[Node], rnd: object) -> None:
    providers, consumer = nodes[:-1], nodes[-1]
    shuffled = list(providers)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]  # hypothesis' Random
    upstream = {"consumer": {name for name, _ in providers}}
    assert resolve(nodes, upstream=upstream).resolutions == resolve([*shuffled, consumer], upstream=upstream).resolutions


# --- Typing ---


def test_mypy_rejects_an_edge_with_another_steps_output_name(tmp_path: Path) -> None:
    header = """
import enum
from calibration_step.resolver import Edge
class TrainOut(enum.Enum):
    MODEL = "model"
class CalibIn(enum.Enum):
    MODEL_INPUT = "model_input"
"""
    errors = check_snippets(
        {
            "edge_ok": header + 'e: Edge[TrainOut, CalibIn] = Edge(upstream_step="t", upstream_output=TrainOut.MODEL, downstream_step="c", downstream_input=CalibIn.MODEL_INPUT)\n',
            "edge_swapped": header + 'e: Edge[TrainOut, CalibIn] = Edge(upstream_step="t", upstream_output=CalibIn.MODEL_INPUT, downstream_step="c", downstream_input=TrainOut.MODEL)\n',
            "edge_string": header + 'e: Edge[TrainOut, CalibIn] = Edge(upstream_step="t", upstream_output="model", downstream_step="c", downstream_input=CalibIn.MODEL_INPUT)\n',
        },
        tmp_path,
    )
    assert errors["edge_ok"] == []
    assert any("arg-type" in e for e in errors["edge_swapped"])
    assert any("arg-type" in e or "type-var" in e for e in errors["edge_string"])
