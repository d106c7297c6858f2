"""The identity rules of the multi-class replay: temperature where the rule ships identity."""

from __future__ import annotations

import numpy as np
import pytest

from bench.quality import replay_identity as rid
from bench.quality import replay_multiclass as rm


def _right(p: float, y: np.ndarray) -> np.ndarray:
    return np.where(y[:, None] == np.arange(2), p, 1.0 - p)


def _cache(temperature: float, vector: float | None = None) -> rm.RunCache:
    """Twenty rows of 2 classes, 2 repeats of 2 folds: identity right at 0.7 on every row,
    temperature right at ``temperature`` on every row, vector (when given) at ``vector``."""
    rows = 20
    labels = np.arange(rows) % 2
    folds = np.array([np.arange(rows) % 4 // 2, (np.arange(rows) + 1) % 4 // 2])
    test_labels = np.array([0, 1, 0, 1])
    probabilities = {"identity": 0.7, "temperature": temperature}
    if vector is not None:
        probabilities["vector"] = vector
    held = {m: np.stack([_right(p, labels)] * 2) for m, p in probabilities.items()}
    test = {m: _right(p, test_labels) for m, p in probabilities.items()}
    return rm.RunCache("toy/model/0", labels, folds, test_labels, _right(0.7, test_labels),
                       held, test, {"sklearn_temperature": 0.2})


def test_the_rules_change_only_a_lone_identity_pick() -> None:
    sharper = _cache(0.9)
    assert rid.RULES["script"]()(sharper) == {"identity": 1.0}  # temperature: no default
    assert rid.RULES["temperature_for_identity"]()(sharper) == {"temperature": 1.0}
    assert rid.RULES["half_temperature_for_identity"]()(sharper) == {"identity": 0.5,
                                                                     "temperature": 0.5}
    assert rid.RULES["temperature_for_identity_if_lower"]()(sharper) == {"temperature": 1.0}
    # a vector right at 0.95 is the script's pick: no rule touches it
    picked = _cache(0.9, vector=0.95)
    for name, rule in rid.RULES.items():
        assert rule()(picked) == {"vector": 1.0}, name


def test_temperature_replaces_identity_if_lower_only_where_its_held_out_loss_is() -> None:
    duller = _cache(0.55)  # right, but less sure than identity: a higher held-out loss
    assert rid.RULES["temperature_for_identity_if_lower"]()(duller) == {"identity": 1.0}
    assert rid.RULES["temperature_for_identity"]()(duller) == {"temperature": 1.0}


@pytest.mark.parametrize("temperature", [0.55, 0.9])
def test_the_stacked_pair_ships_weights_of_the_two_or_identity(temperature: float) -> None:
    weights = rid.RULES["stacked_temperature_for_identity"]()(_cache(temperature))
    assert set(weights) <= {"identity", "temperature"}
    assert sum(weights.values()) == pytest.approx(1.0)
    outcome = rm.replay(rid.RULES["stacked_temperature_for_identity"](),
                        [_cache(temperature)])[0]
    assert np.isfinite(outcome.log_loss)
