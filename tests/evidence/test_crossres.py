"""Cross-resistance partial correlations: equal to the OLS-based partial correlation; bootstrap reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chemorad.evidence.associations import covariate_design, partial_correlation
from chemorad.evidence.crossres import _indicator, _weighted_pcor, pair


def synthetic(n=120, seed=1):
    rng = np.random.default_rng(seed)
    tissue = pd.Series(rng.choice(["lung", "breast", "skin", "bone"], n), index=[f"L{i}" for i in range(n)])
    shift = tissue.map({"lung": 2.0, "breast": -1.0, "skin": 0.5, "bone": 0.0})
    z = rng.normal(size=n)
    a = pd.Series(z + shift + rng.normal(size=n), index=tissue.index)
    b = pd.Series(0.5 * z - shift + rng.normal(size=n), index=tissue.index)
    return a, b, tissue


def test_partial_r_equals_ols_partial_correlation() -> None:
    a, b, tissue = synthetic()
    mine = pair(a, b, tissue, None, 0)
    ref = partial_correlation(a, b, covariate_design(tissue))
    assert mine["partial_r"] == pytest.approx(ref["r"], abs=1e-12)
    assert mine["p_value"] == pytest.approx(ref["p_value"], rel=1e-9)


def test_weighted_bootstrap_equals_explicit_resampling() -> None:
    """Multinomial weights give the same r as re-centring an explicitly resampled data set."""
    a, b, tissue = synthetic()
    av, bv, tv = a.to_numpy(), b.to_numpy(), tissue.to_numpy()
    rng = np.random.default_rng(3)
    idx = rng.integers(0, len(av), size=len(av))
    w = np.bincount(idx, minlength=len(av)).astype(float)[None, :]
    fast = _weighted_pcor(w, av, bv, _indicator(tv))[0]
    explicit = partial_correlation(pd.Series(av[idx]), pd.Series(bv[idx]), covariate_design(pd.Series(tv[idx])))["r"]
    assert fast == pytest.approx(explicit, abs=1e-10)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    a, b, tissue = synthetic()
    one = pair(a, b, tissue, np.random.default_rng(7), 300)
    two = pair(a, b, tissue, np.random.default_rng(7), 300)
    assert one == two
    assert one["ci_low"] < one["partial_r"] < one["ci_high"]
