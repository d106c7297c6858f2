"""Isotonic from ``BINNED_MIN_ROWS`` rows: pooled by the script's own pool-adjacent-violators
(``corp.pav``) as scikit-learn pools (to rounding), and the binned path without scikit-learn."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from sklearn.isotonic import isotonic_regression

from calibration_step.script.model_calibration import limits, rowbins
from calibration_step.script.model_calibration.corp import pav
from tests.script.synthetic import multiclass_scenario, write_multiclass
from tests.script.test_binned import _run


def _sklearn(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return np.asarray(isotonic_regression(k / n, sample_weight=n, increasing=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_scikit_learn_on_counts_and_on_weights(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = 20_000
    s = np.sort(rng.random(m))
    n = rng.integers(1, 5, size=m).astype(np.float64)
    k = rng.binomial(n.astype(np.int64), s).astype(np.float64)
    fitted = pav(n, k)
    expected = _sklearn(n, k)
    np.testing.assert_allclose(fitted, expected, rtol=1e-13, atol=1e-15)
    assert np.unique(fitted).shape == np.unique(expected).shape  # the same blocks
    assert bool(np.all(np.diff(fitted) >= 0.0))
    w = rng.uniform(0.1, 3.0, size=m)
    np.testing.assert_allclose(pav(w * n, w * k), _sklearn(w * n, w * k),
                               rtol=1e-12, atol=1e-15)


def test_long_cascades_past_the_vectorised_passes() -> None:
    # Rising rates broken by rare deep drops: each vectorised pass pools one more point into
    # each drop's block, so the stack finishes the long runs.
    m = 5_000
    k = np.linspace(0.0, 1.0, m)
    k[::500] = 0.0
    n = np.ones(m)
    np.testing.assert_allclose(pav(n, k), _sklearn(n, k), rtol=1e-13, atol=1e-15)


def test_decreasing_rates_pool_into_one_block_and_one_point_stays() -> None:
    n = np.array([1.0, 2.0, 1.0, 4.0])
    k = np.array([1.0, 1.0, 0.0, 0.0])
    assert pav(n, k).tolist() == [0.25] * 4
    assert pav(np.array([3.0]), np.array([1.0])).tolist() == [1.0 / 3.0]


def test_binned_one_vs_rest_isotonic_does_not_need_scikit_learn(
        tmp_path: str, monkeypatch: pytest.MonkeyPatch, no_plot: list[int]) -> None:
    scores, labels, _ = multiclass_scenario(30_000, seed=5)
    inp = os.path.join(tmp_path, "in")
    write_multiclass(os.path.join(inp, "part-0.parquet"), scores, labels)
    env = {"CALIBRATION_METHOD": "isotonic", "IS_BINARY": "False", "NUM_CLASSES": "3"}
    _, with_sklearn, _ = _run(str(tmp_path), "with", inp, env, True, monkeypatch)
    monkeypatch.setitem(sys.modules, "sklearn.isotonic", None)  # importing it now fails
    metrics, without, _ = _run(str(tmp_path), "without", inp, env, True, monkeypatch)
    assert limits.BINNED_MIN_ROWS == 1 and rowbins.ROW_BINS < 30_000  # the binned path ran
    folds = metrics["folds"]
    assert isinstance(folds, list) and len(folds) == 5
    members = without["members"]
    assert isinstance(members, list) and len(members) == 3
    for member in members:
        assert member["method"] == "isotonic"
        assert bool(np.all(np.diff(member["params"]["y"]) >= 0.0))
    others = with_sklearn["members"]
    assert isinstance(others, list)
    for a, b in zip(others, members):  # the same fits (only the fit's seconds differ)
        assert a["params"] == b["params"] and {**a["fit"], "seconds": 0} == {**b["fit"], "seconds": 0}
