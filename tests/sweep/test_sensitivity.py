"""Sobol indices against the Ishigami function's published values (Saltelli et al. 2010; Ishigami & Homma 1990)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chemorad.sweep.design import saltelli_design
from chemorad.sweep.sensitivity import bootstrap_ci, ishigami, sobol_indices
from chemorad.sweep.spec import Parameter

S1 = np.array([0.3139, 0.4424, 0.0])
ST = np.array([0.5576, 0.4424, 0.2437])


def _ishigami_outputs(n: int, seed: int):
    params = [Parameter(path=f"x{i}", low=-np.pi, high=np.pi) for i in range(3)]
    d = saltelli_design(params, n, seed)
    y = ishigami(d[["x0", "x1", "x2"]].to_numpy())
    f_a, f_b = y[:n], y[n : 2 * n]
    f_ab = y[2 * n :].reshape(3, n).T
    return f_a, f_b, f_ab


def test_ishigami_indices_match_published_values() -> None:
    s1, st_ = sobol_indices(*_ishigami_outputs(2**14, seed=1))
    np.testing.assert_allclose(s1, S1, atol=0.02)
    np.testing.assert_allclose(st_, ST, atol=0.02)


def test_bootstrap_interval_covers_the_truth() -> None:
    f_a, f_b, f_ab = _ishigami_outputs(2**11, seed=2)
    ci_s1, ci_st = bootstrap_ci(f_a, f_b, f_ab, np.random.default_rng(0), n_boot=200)
    assert np.all(ci_st[0] - 0.02 <= ST) and np.all(ST <= ci_st[1] + 0.02)
    assert np.all(ci_s1[0] - 0.02 <= S1) and np.all(S1 <= ci_s1[1] + 0.02)


def test_constant_output_gives_nan() -> None:
    s1, st_ = sobol_indices(np.ones(8), np.ones(8), np.ones((8, 2)))
    assert np.isnan(s1).all() and np.isnan(st_).all()


@settings(max_examples=25, deadline=None)
@given(
    w=st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=4).filter(lambda w: sum(x * x for x in w) > 0.1)
)
def test_additive_model_first_equals_total_and_weights_share(w: list[float]) -> None:
    """An additive linear model has no interactions: S_i = ST_i = w_i^2 / sum w^2 (uniform inputs of equal range)."""
    k = len(w)
    params = [Parameter(path=f"x{i}", low=0.0, high=1.0) for i in range(k)]
    n = 2**12
    d = saltelli_design(params, n, seed=0)
    y = d[[f"x{i}" for i in range(k)]].to_numpy() @ np.array(w)
    s1, st_ = sobol_indices(y[:n], y[n : 2 * n], y[2 * n :].reshape(k, n).T)
    share = np.array(w) ** 2 / np.sum(np.array(w) ** 2)
    np.testing.assert_allclose(st_, share, atol=0.03)
    np.testing.assert_allclose(s1, share, atol=0.03)


@pytest.mark.parametrize("n", [1, 3])
def test_design_has_saltelli_shape(n: int) -> None:
    params = [Parameter(path=f"x{i}", low=0.0, high=1.0) for i in range(2)]
    d = saltelli_design(params, n, seed=0)
    assert len(d) == n * 4
    a, ab0 = d[d["block"] == "A"], d[(d["block"] == "AB") & (d["block_param"] == 0)]
    b = d[d["block"] == "B"]
    np.testing.assert_array_equal(ab0["x1"].to_numpy(), a["x1"].to_numpy())
    np.testing.assert_array_equal(ab0["x0"].to_numpy(), b["x0"].to_numpy())
