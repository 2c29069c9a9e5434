"""Conditional prediction: Gaussian-copula conditioning against closed forms, parsing of --observed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from chemorad.catalog import catalog
from chemorad.errors import ChemoradError
from chemorad.evidence.conditional import _draw_target, conditional_prediction, normal_scores, parse_observed


def test_parse_observed() -> None:
    cat = catalog()
    assert parse_observed("cisplatin=resistant", cat).kind == "resistant"
    assert parse_observed("cisplatin=Sensitive", cat).kind == "sensitive"
    q = parse_observed("cisplatin=q0.9", cat)
    assert q.kind == "quantile" and q.value == pytest.approx(0.9)
    v = parse_observed("docetaxel=-1.5", cat)
    assert v.kind == "value" and v.value == -1.5
    for bad, needle in [
        ("cisplatin", "expected THERAPY="),
        ("cisplatin=very", "expected THERAPY="),
        ("cisplatin=q1.5", "expected THERAPY="),
        ("cisplatin=q0", "strictly between"),
        ("cisplatinn=resistant", "closest: cisplatin"),
        ("cisplatin=inf", "finite"),
    ]:
        with pytest.raises(ChemoradError, match=needle):
            parse_observed(bad, cat)


def test_truncated_conditioning_matches_the_closed_form() -> None:
    """E[z_t | z_a > c] = r phi(c) / (1 - Phi(c)) for a standard bivariate normal with correlation r."""
    r, c = 0.4, stats.norm.ppf(0.75)
    corr = np.array([[1.0, r], [r, 1.0]])
    zt = _draw_target(corr, (c, np.inf), None, np.random.default_rng(0), 200_000)
    assert zt.mean() == pytest.approx(r * stats.norm.pdf(c) / (1 - stats.norm.cdf(c)), abs=0.01)
    point = _draw_target(corr, (1.0, 1.0), None, np.random.default_rng(1), 200_000)
    assert point.mean() == pytest.approx(r, abs=0.01) and point.var() == pytest.approx(1 - r * r, abs=0.01)


def test_conditioning_on_a_profile_matches_gaussian_algebra() -> None:
    """Trivariate (z_t, z_a, m): z_t | z_a, m is normal with the regression mean of the two."""
    R = np.array([[1.0, 0.3, 0.5], [0.3, 1.0, 0.2], [0.5, 0.2, 1.0]])
    za, m = 1.0, -0.5
    zt = _draw_target(R, (za, za), m, np.random.default_rng(2), 200_000)
    k = R[0, 1:] @ np.linalg.inv(R[1:, 1:])
    assert zt.mean() == pytest.approx(k @ [za, m], abs=0.01)
    assert zt.var() == pytest.approx(1 - k @ R[1:, 0], abs=0.01)


def test_normal_scores_are_within_tissue() -> None:
    x = pd.Series([1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 5.0, 6.0, 7.0, 8.0, 9.0], index=list("abcdefghijk"))
    t = pd.Series(["u"] * 6 + ["v"] * 5, index=x.index)
    z = normal_scores(x, t)
    assert z["a"] == pytest.approx(stats.norm.ppf(0.5 / 6)) and z["f"] == pytest.approx(stats.norm.ppf(5.5 / 6))
    assert z["g"] == pytest.approx(stats.norm.ppf(0.5 / 5))


def test_resistant_to_one_raises_the_chance_for_a_correlated_other() -> None:
    """Synthetic lines with a known latent correlation 0.6: P(target top quarter | observed top quarter) well above
    0.25, the copula and the empirical share agree, and the interval covers the simulated truth."""
    cat = catalog()
    rng = np.random.default_rng(3)
    n = 2000
    idx = [f"L{i}" for i in range(n)]
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=n)
    resp = pd.DataFrame(
        {"gdsc2|Cisplatin|ln_ic50": z[:, 0], "gdsc2|Docetaxel|ln_ic50": np.exp(z[:, 1])},  # monotone: same copula
        index=idx,
    )
    tissue = pd.Series(rng.choice(["lung", "skin"], n), index=idx)
    obs = parse_observed("cisplatin=resistant", cat)
    out = conditional_prediction(cat, resp, tissue, obs, ["docetaxel"], np.random.default_rng(4), n_boot=50)
    row = out.iloc[0]
    truth = np.mean(z[z[:, 0] > stats.norm.ppf(0.75), 1] > stats.norm.ppf(0.75))
    assert row["p_resistant_low"] - 0.03 < truth < row["p_resistant_high"] + 0.03
    assert row["p_resistant"] > 0.4 and abs(row["empirical_p_resistant"] - row["p_resistant"]) < 0.06
    with pytest.raises(ChemoradError, match="cannot also be a target"):
        conditional_prediction(cat, resp, tissue, obs, ["cisplatin"], rng, n_boot=0)


def test_with_a_profile_that_predicts_the_target_the_prediction_moves() -> None:
    """Lines whose target response is driven by a mechanism score: a new sample with a high score is predicted more
    resistant with its profile than without, and the profile's out-of-fold correlation is reported."""
    from chemorad.evidence.conditional import conditional_for_samples

    cat = catalog()
    rng = np.random.default_rng(5)
    n = 600
    idx = [f"L{i}" for i in range(n)]
    s = rng.normal(size=n)
    za = rng.normal(size=n)
    zt = 0.3 * za + 0.8 * s + 0.5 * rng.normal(size=n)
    resp = pd.DataFrame({"gdsc2|Cisplatin|ln_ic50": za, "gdsc2|Docetaxel|ln_ic50": zt}, index=idx)
    tissue = pd.Series(rng.choice(["lung", "skin"], n), index=idx)
    scores = pd.DataFrame({"m1": s, "m2": rng.normal(size=n)}, index=idx)
    sample = pd.DataFrame({"m1": [2.0], "m2": [0.0]}, index=["NEW"])
    obs = parse_observed("cisplatin=q0.5", cat)
    out = conditional_for_samples(cat, obs, ["docetaxel"], resp, tissue, scores, sample, rng, n_boot=20)
    by = out.set_index("model")
    assert by.at["with profile", "rho_profile"] > 0.6
    assert by.at["with profile", "p_resistant"] > by.at["tissue copula", "p_resistant"] + 0.2
    assert (out["sample"] == "NEW").all()
