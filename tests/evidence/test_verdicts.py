"""Decision rules of the claim verdicts on synthetic data with known effects (`evidence/verdicts.py`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from chemorad.evidence.associations import associations
from chemorad.evidence.verdicts import decide, family_fdr, lines_to_decide, one_sided_pvalues, verdict


def _fit(effect: float, n: int, seed: int, n_null: int = 0) -> pd.DataFrame:
    """y = effect * x + N(0, 1) for feature 'x', plus `n_null` unrelated features; OLS table from `associations`."""
    rng = np.random.default_rng(seed)
    idx = [f"L{i}" for i in range(n)]
    X = pd.DataFrame(rng.normal(size=(n, 1 + n_null)), index=idx, columns=["x"] + [f"z{i}" for i in range(n_null)])
    y = pd.DataFrame({"y": effect * X["x"].to_numpy() + rng.normal(size=n)}, index=idx)
    return associations(X, y).set_index("feature")


def _call(table: pd.DataFrame, margin: float, expected: str) -> str:
    ps = one_sided_pvalues(table["effect"], table["se"], table["dof"], margin)
    fam = np.zeros(len(table))
    q = {k: family_fdr(ps[k], fam) for k in ("p_pos", "p_neg", "p_eq")}
    conclusion = decide(q["p_pos"], q["p_neg"], q["p_eq"])
    return str(verdict([expected] * len(table), conclusion)[list(table.index).index("x")])


def test_true_null_at_large_n_supports_no_effect() -> None:
    """b = 0, n = 4000: the 95% CI half-width is ~0.03, inside a margin of 0.1, so equivalence is shown."""
    table = _fit(0.0, 4000, seed=1, n_null=9)
    assert _call(table, 0.1, "no effect") == "supported"
    assert _call(table, 0.1, "resistance") == "contradicted"  # an 'acts' claim whose effect is shown negligible


def test_small_true_effect_at_small_n_is_inconclusive() -> None:
    """b = 0.15 (margin 0.1), n = 40: se ~0.16, so neither an effect beyond the margin nor equivalence can be shown."""
    table = _fit(0.15, 40, seed=2)
    assert _call(table, 0.1, "resistance") == "inconclusive"
    assert _call(table, 0.1, "no effect") == "inconclusive"


def test_large_effect_at_large_n_supports_the_direction() -> None:
    table = _fit(0.4, 2000, seed=3)
    assert _call(table, 0.1, "resistance") == "supported"
    assert _call(table, 0.1, "sensitisation") == "contradicted"
    assert _call(table, 0.1, "no effect") == "contradicted"
    neg = _fit(-0.4, 2000, seed=4)
    assert _call(neg, 0.1, "sensitisation") == "supported"


def test_significant_but_negligible_effect_is_not_support() -> None:
    """b = 0.03, n = 20000: b != 0 at any usual level, but |b| < margin 0.1 is shown: 'acts' is not supported."""
    table = _fit(0.03, 20000, seed=5)
    assert table.loc["x", "p_value"] < 1e-3
    assert _call(table, 0.1, "resistance") == "contradicted"
    assert _call(table, 0.1, "no effect") == "supported"


def test_tost_pvalue_matches_two_one_sided_t_tests() -> None:
    """p_eq = max of the two one-sided t-test p-values (Schuirmann 1987), computed here with scipy.stats.t."""
    b, se, df, m = 0.02, 0.03, 100, 0.1
    p = one_sided_pvalues(b, se, df, m)
    lower = stats.t.sf((b + m) / se, df)  # H0: b <= -m
    upper = stats.t.cdf((b - m) / se, df)  # H0: b >= m
    assert float(p["p_eq"]) == pytest.approx(max(lower, upper), rel=1e-12)
    assert float(p["p_pos"]) == pytest.approx(stats.t.sf((b - m) / se, df), rel=1e-12)
    assert float(p["p_neg"]) == pytest.approx(stats.t.cdf((b + m) / se, df), rel=1e-12)


def test_family_fdr_is_bh_within_each_family() -> None:
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.random(30) * 0.05, rng.random(50), [np.nan]])
    fam = np.array(["a"] * 30 + ["b"] * 50 + ["b"])
    q = family_fdr(p, fam)
    np.testing.assert_allclose(q[:30], multipletests(p[:30], method="fdr_bh")[1], rtol=1e-12)
    np.testing.assert_allclose(q[30:80], multipletests(p[30:80], method="fdr_bh")[1], rtol=1e-12)
    assert np.isnan(q[-1])
    pooled = multipletests(p[:80], method="fdr_bh")[1]
    assert not np.allclose(q[:80], pooled)


def test_lines_to_decide_gives_the_power_closed_form() -> None:
    """At n' lines, se' = se sqrt(n / n') and (|b| - margin) / se' = z_0.95 + z_0.80 (80% power, one-sided 5%)."""
    b, se, n, m = 0.25, 0.1, 100, 0.1
    need = float(lines_to_decide(b, se, n, m))
    z = stats.norm.ppf(0.95) + stats.norm.ppf(0.8)
    assert (abs(b) - m) / (se * np.sqrt(n / need)) == pytest.approx(z, rel=0.02)
    # toward equivalence when |b| < margin; undefined when |b| equals the margin
    assert float(lines_to_decide(0.02, se, n, m)) > n
    assert np.isnan(lines_to_decide(0.1, se, n, m))


def test_lines_to_decide_predicts_a_decision_in_simulation() -> None:
    """A small true effect inconclusive at n = 60 is decided in most simulations at the predicted number of lines."""
    margin, effect = 0.1, 0.35
    small = _fit(effect, 60, seed=11).loc["x"]
    need = int(lines_to_decide(effect, small["se"], small["n"], margin))  # the true effect, as the formula assumes
    decided = 0
    for seed in range(40):
        table = _fit(effect, need, seed=100 + seed)
        decided += _call(table, margin, "resistance") == "supported"
    assert decided / 40 > 0.6
