"""Enumerations shared by every step: dependency types and node types.

Members and values follow the reference framework so users' names carry over.

Examples
--------
>>> DependencyType("processing_output") is DependencyType.PROCESSING_OUTPUT
True
>>> NodeType.SOURCE.value
'source'
"""

from __future__ import annotations

import enum

__all__ = ["DependencyType", "NodeType"]


class DependencyType(enum.Enum):
    """What kind of artifact a dependency consumes or an output produces."""

    MODEL_ARTIFACTS = "model_artifacts"
    PROCESSING_OUTPUT = "processing_output"
    TRAINING_DATA = "training_data"
    HYPERPARAMETERS = "hyperparameters"
    PAYLOAD_SAMPLES = "payload_samples"
    CUSTOM_PROPERTY = "custom_property"


class NodeType(enum.Enum):
    """Where a step may sit in a DAG.

    ``source`` has no dependencies, ``sink`` no outputs, ``singular`` neither, ``internal`` both.
    """

    SOURCE = "source"
    INTERNAL = "internal"
    SINK = "sink"
    SINGULAR = "singular"
