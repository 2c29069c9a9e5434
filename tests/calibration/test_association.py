"""A mechanism's association after the general factor: statsmodels' OLS numbers, and general sensitivity is not
credited to a mechanism (synthetic lines; no bundle needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from chemorad.calibration.association import (
    association_summary,
    general_factor,
    mechanism_associations,
)

N = 240


def _lines(seed: int = 0, mech_effect: float = 0.0):
    """Lines in 3 tissues; a general factor g drives every response (loading 1); mechanism A's score correlates with g
    (r ~ 0.7) but does nothing itself unless `mech_effect`; B is independent noise."""
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"L{i}" for i in range(N)])
    tissue = pd.Series(rng.choice(["lung", "breast", "skin"], size=N), index=idx)
    g = pd.Series(rng.normal(size=N), index=idx)
    a = 0.7 * g + 0.7 * rng.normal(size=N)
    b = rng.normal(size=N)
    scores = pd.DataFrame({"A": a, "B": b}, index=idx)
    shift = tissue.map({"lung": 0.0, "breast": 0.5, "skin": -0.3})
    resp = pd.DataFrame(
        {f"gdsc2|drug{k}|ln_ic50": g + shift + mech_effect * a + 0.5 * rng.normal(size=N) for k in range(3)},
        index=idx,
    )
    resp.iloc[:7, 0] = np.nan  # a missing pattern: fits use the lines where everything is known
    return scores, resp, tissue, g


def test_effect_se_and_p_equal_statsmodels_ols_with_the_general_factor_as_covariate() -> None:
    scores, resp, tissue, g = _lines()
    tab = mechanism_associations(scores, resp, tissue, g).set_index(["mechanism", "response"])
    for (mid, col), r in tab.iterrows():
        ok = resp[col].notna()
        X = pd.get_dummies(tissue[ok], drop_first=True, dtype=float).assign(g=g[ok], x=scores.loc[ok, mid])
        fit = sm.OLS(resp.loc[ok, col], sm.add_constant(X)).fit()
        assert r["n"] == ok.sum()
        np.testing.assert_allclose(r["effect"], fit.params["x"], rtol=1e-8)
        np.testing.assert_allclose(r["se"], fit.bse["x"], rtol=1e-8)
        np.testing.assert_allclose(r["p_value"], fit.pvalues["x"], rtol=1e-6)


def test_general_sensitivity_is_not_credited_to_a_mechanism() -> None:
    """A tracks g only: without g as covariate it 'resists' every drug; with g it is open."""
    scores, resp, tissue, g = _lines()
    naive = mechanism_associations(scores, resp, tissue, None)
    adjusted = mechanism_associations(scores, resp, tissue, g)
    assert (naive.loc[naive["mechanism"] == "A", "call"] == "resists").all()
    assert (adjusted.loc[adjusted["mechanism"] == "A", "call"] == "open").all()


def test_a_real_mechanism_effect_survives_the_adjustment() -> None:
    scores, resp, tissue, g = _lines(mech_effect=0.4)
    adjusted = mechanism_associations(scores, resp, tissue, g)
    a = adjusted[adjusted["mechanism"] == "A"]
    assert (a["call"] == "resists").all() and np.allclose(a["effect"], 0.4, atol=0.15)


def test_summary_per_direction_and_class() -> None:
    scores, resp, tissue, g = _lines(mech_effect=0.4)
    tab = mechanism_associations(scores, resp, tissue, g)
    therapy_of = {c: f"d{k}" for k, c in enumerate(resp.columns)}
    acts = {"A": {"d0", "d1", "d2"}, "B": {"d0"}, "C": {"d1"}}
    s = association_summary(tab, therapy_of, {"xray"}, acts, ["A", "B", "C"]).set_index(["mechanism", "direction"])
    assert s.loc[("A", "gain"), "cell_lines_drugs"].startswith("resists (3 of 3 tests")
    assert s.loc[("A", "loss"), "cell_lines_drugs"].startswith("sensitises (3 of 3 tests")
    assert s.loc[("A", "gain"), "cell_lines_radiation"] == "no chain effect"
    assert "of 1 tests" in s.loc[("B", "gain"), "cell_lines_drugs"]
    assert s.loc[("C", "gain"), "cell_lines_drugs"] == "untested"  # acts, but no score


def test_general_factor_is_the_posterior_mean_of_the_calibrated_line_term() -> None:
    """g = G E[b_0] from the expression basis; plus E[eps_0] for the lines a full posterior saw."""
    from chemorad.calibration import posterior as post

    idata = post.load()
    basis = post.expression_basis(idata)
    rng = np.random.default_rng(1)
    expr = pd.DataFrame(
        basis.mean + basis.sd * rng.normal(size=(4, len(basis.genes))),
        index=["x1", "x2", "x3", "x4"],
        columns=list(basis.genes),
    )
    b0 = post.draws(idata, "gs_coef")[:, :, 0].mean(axis=0)
    want = basis.transform(expr) @ b0
    np.testing.assert_allclose(general_factor(idata, expr).to_numpy(), want, rtol=1e-10)
    full = idata.copy()
    full.posterior = full.posterior.drop_vars("line", errors="ignore")  # the shipped file keeps the coordinate only
    n_draw = full.posterior.sizes["draw"]
    eps = np.zeros((1, n_draw, 2, full.posterior.sizes["factor"]))
    eps[..., 0, 0], eps[..., 1, 0] = 0.5, -1.0
    full.posterior = full.posterior.assign(gs_eps=(("chain", "draw", "line", "factor"), eps))
    full.posterior = full.posterior.assign_coords(line=["x2", "zz"])
    np.testing.assert_allclose(general_factor(full, expr).to_numpy(), want + [0.0, 0.5, 0.0, 0.0], rtol=1e-10)


@pytest.mark.parametrize("direction", ["gain", "loss"])
def test_no_tests_at_all_is_untested(direction) -> None:
    empty = pd.DataFrame(columns=["mechanism", "response", "effect", "call"])
    s = association_summary(empty, {}, {"xray"}, {"M": {"xray"}}, ["M"]).set_index(["mechanism", "direction"])
    assert s.loc[("M", direction), "cell_lines_radiation"] == "untested"
