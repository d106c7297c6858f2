"""Hypothesis strategies for valid configs of every tier, and a fixed example of each."""

from __future__ import annotations

import string
from collections.abc import Mapping

from hypothesis import strategies as st

from calibration_step.config import BasePipelineConfig, ProcessingConfig
from calibration_step.script.interface import (
    BINARY_METHODS,
    JOB_TYPE_CHOICES,
    LOG_LEVEL_CHOICES,
    SCORE_SPACE_CHOICES,
)
from calibration_step.steps.model_calibration import ModelCalibrationConfig

ESSENTIALS: Mapping[str, str] = {
    "author": "jane.doe",
    "bucket": "my-ml-bucket",
    "role": "arn:aws:iam::123456789012:role/SageMakerRole",
    "region": "us-east-1",
    "service_name": "risk",
    "pipeline_version": "1.2.0",
}
"""Valid essential fields of the base tier."""


def base_config(**changes: object) -> BasePipelineConfig:
    return BasePipelineConfig(**{**ESSENTIALS, **changes})  # type: ignore[arg-type]  # tests pass wrong types on purpose


def processing_config(**changes: object) -> ProcessingConfig:
    return ProcessingConfig(**{**ESSENTIALS, **changes})  # type: ignore[arg-type]  # tests pass wrong types on purpose


def calibration_config(**changes: object) -> ModelCalibrationConfig:
    return ModelCalibrationConfig(**{**ESSENTIALS, **changes})  # type: ignore[arg-type]  # tests pass wrong types on purpose


_lower = string.ascii_lowercase
_word = st.text(alphabet=_lower + string.digits, min_size=1, max_size=10).filter(lambda w: w[0].isalpha())
_column = st.text(alphabet=_lower + "_", min_size=1, max_size=12).filter(lambda w: w[0] != "_")
_hex = st.text(alphabet="0123456789abcdef", min_size=8, max_size=17)


def _bucket() -> st.SearchStrategy[str]:
    return st.builds(lambda a, b: f"{a}-{b}", _word, _word).filter(lambda b: 3 <= len(b) <= 63)


def _essentials() -> dict[str, st.SearchStrategy[object]]:
    return {
        "author": _word,
        "bucket": _bucket(),
        "role": st.builds(lambda n: f"arn:aws:iam::123456789012:role/{n}", _word),
        "region": st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]),
        "service_name": _word,
        "pipeline_version": st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 99), st.integers(0, 99)),
        "pipeline_description": st.text(alphabet=_lower + " .", max_size=30),
        "s3_key_prefix": st.sampled_from(["", "pipelines", "team/ml"]),
        "execution_prefix_parameter_name": st.sampled_from(["ExecutionPrefix", "run_prefix"]),
    }


def _processing() -> dict[str, st.SearchStrategy[object]]:
    image = st.one_of(st.none(), st.just("123456789012.dkr.ecr.us-east-1.amazonaws.com/calibration:1.0"))
    vpc = st.one_of(
        st.just(((), ())),
        st.tuples(st.lists(_hex.map("subnet-".__add__), min_size=1, max_size=3, unique=True).map(tuple),
                  st.lists(_hex.map("sg-".__add__), min_size=1, max_size=2, unique=True).map(tuple)),
    )
    return {
        "instance_type": st.sampled_from(["ml.m5.xlarge", "ml.c5.2xlarge", "ml.m7i-flex.large"]),
        "instance_count": st.integers(1, 100),
        "volume_size_gb": st.integers(1, 16384),
        "max_runtime_seconds": st.integers(1, 777600),
        "image_uri": image,
        "py_version": st.just("py3"),
        "volume_kms_key": st.one_of(st.none(), st.just("alias/my-key")),
        "output_kms_key": st.one_of(st.none(), st.just("arn:aws:kms:us-east-1:123456789012:key/abc-123")),
        "vpc": vpc,
        "enable_network_isolation": st.booleans(),
        "encrypt_inter_container_traffic": st.booleans(),
        "tags": st.dictionaries(_word, st.text(alphabet=_lower + " -", max_size=10), max_size=3),
        "script_uri": st.one_of(st.none(), st.builds(lambda b, k: f"s3://{b}/{k}/model_calibration.py", _bucket(), _word)),
        "enable_caching": st.booleans(),
        "cache_expire_after": st.sampled_from(["P30D", "PT12H", "P1Y2M"]),
    }


@st.composite
def processing_fields(draw: st.DrawFn) -> dict[str, object]:
    fields = {name: draw(strategy) for name, strategy in {**_essentials(), **_processing()}.items()}
    fields["subnets"], fields["security_group_ids"] = fields.pop("vpc")  # type: ignore[misc]  # a drawn pair
    return fields


@st.composite
def processing_configs(draw: st.DrawFn) -> ProcessingConfig:
    return ProcessingConfig(**draw(processing_fields()))  # type: ignore[arg-type]  # drawn values have the field types


@st.composite
def calibration_configs(draw: st.DrawFn) -> ModelCalibrationConfig:
    """Valid ModelCalibrationConfigs in the three modes (binary, multi-class, multi-task)."""
    fields = draw(processing_fields())
    mode = draw(st.sampled_from(["binary", "multiclass", "multitask"]))
    label, score = draw(st.lists(_column, min_size=2, max_size=2, unique=True))
    fields |= {
        "label_field": label,
        "score_field": score,
        "monotonic_constraint": draw(st.booleans()),
        "gam_splines": draw(st.integers(4, 200)),
        "error_threshold": draw(st.floats(min_value=1e-6, max_value=1.0)),
        "calibration_bins": draw(st.integers(2, 1000)),
        "calibration_folds": draw(st.integers(2, 100)),
        "calibration_seed": draw(st.integers(0, 2**32 - 1)),
        "score_space": draw(st.sampled_from(SCORE_SPACE_CHOICES)),
        "job_type": draw(st.sampled_from(JOB_TYPE_CHOICES)),
        "score_field_prefix": draw(st.sampled_from(["prob_class_", "score_"])),
        "log_level": draw(st.sampled_from(LOG_LEVEL_CHOICES)),
    }
    methods: list[str] = list(BINARY_METHODS)
    if mode == "multiclass":
        categories = draw(st.lists(_word, min_size=2, max_size=5, unique=True))
        use_categories, use_count = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
        fields |= {
            "is_binary": False,
            "multiclass_categories": tuple(categories) if use_categories else (),
            "num_classes": len(categories) if use_count else None,
        }
        fields["temperature_bias"] = draw(st.booleans())
    if mode != "multiclass":
        fields["negative_sampling_rate"] = draw(st.floats(min_value=1e-6, max_value=1.0))
    tasks: list[str] = []
    if mode == "multitask":
        tasks = draw(st.lists(_column.filter(lambda c: c not in (label, score)), min_size=2, max_size=8, unique=True)
                     .filter(lambda c: len(c) % 2 == 0))
        half = len(tasks) // 2
        fields |= {"score_fields": tuple(tasks[:half]), "task_label_names": tuple(tasks[half:])}
    method = draw(st.sampled_from([*methods, "auto"]))
    fields["calibration_method"] = method
    if method == "auto":
        fields["auto_candidates"] = tuple(draw(st.lists(st.sampled_from(methods), unique=True)))
    used = {label, score, *tasks}
    fields["weight_field"] = draw(st.one_of(st.none(), _column.filter(lambda c: c not in used)))
    return ModelCalibrationConfig(**fields)  # type: ignore[arg-type]  # drawn values have the field types
