"""Cross-resistance explained: shares recovered on synthetic data with a known common cause; catalog links only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog import catalog
from chemorad.evidence.mediation import explain_pair, general_sensitivity, linked_mechanisms


def _synthetic(n: int = 3000, seed: int = 0):
    """a = s + e_a, b = s + g + e_b with s a mediator score, g a general-sensitivity factor, noise N(0, 1).

    cov(a, b) = var(s) = 1, var(a) = 2, var(b) = 3: r = 1 / sqrt(6). Adjusting for s removes all of it (share 1).
    Adjusting for g leaves the covariance but removes var(g) from b: r_g = 1 / sqrt(2 * 2) = 1/2, so the share
    (r - r_g) / r = 1 - sqrt(6) / 2 = -0.22: a precision variable has a negative share, not zero."""
    rng = np.random.default_rng(seed)
    idx = [f"L{i}" for i in range(n)]
    s, g = rng.normal(size=n), rng.normal(size=n)
    a = pd.Series(s + rng.normal(size=n), index=idx)
    b = pd.Series(s + g + rng.normal(size=n), index=idx)
    tissue = pd.Series(rng.choice(["lung", "skin", "bone"], n), index=idx)
    cov = pd.DataFrame({"m_shared": s, "m_noise": rng.normal(size=n), "general_sensitivity": g}, index=idx)
    return a, b, tissue, cov


def test_shares_recover_a_known_mediator() -> None:
    a, b, tissue, cov = _synthetic()
    ex = explain_pair(a, b, tissue, cov, ["m_shared", "m_noise"], np.random.default_rng(1), n_boot=40).set_index(
        "candidate"
    )
    assert ex.at["m_shared", "r_tissue"] == pytest.approx(1 / np.sqrt(6), abs=0.04)
    assert ex.at["m_shared", "share"] == pytest.approx(1.0, abs=0.1)
    assert (
        ex.at["m_shared", "ci_low"] < 1.0 < ex.at["m_shared", "ci_high"] or abs(ex.at["m_shared", "share"] - 1) < 0.05
    )
    assert abs(ex.at["m_noise", "share"]) < 0.1
    assert ex.at["m_noise", "ci_low"] < 0 < ex.at["m_noise", "ci_high"]
    assert ex.at["general_sensitivity", "share"] == pytest.approx(1 - np.sqrt(6) / 2, abs=0.06)
    assert abs(ex.at["unexplained", "share"]) < 0.1  # nothing left once s is in


def test_general_sensitivity_is_the_common_factor() -> None:
    rng = np.random.default_rng(2)
    n, k = 400, 8
    idx = [f"L{i}" for i in range(n)]
    g = rng.normal(size=n)
    resp = pd.DataFrame(g[:, None] + 0.5 * rng.normal(size=(n, k)), index=idx, columns=[f"d{j}" for j in range(k)])
    resp.iloc[:20, 0] = np.nan
    tissue = pd.Series(rng.choice(["lung", "skin"], n), index=idx)
    pc = general_sensitivity(resp, tissue)
    assert np.corrcoef(pc.to_numpy(), g[np.isin(idx, pc.index)])[0, 1] > 0.95  # sign: higher = more resistant


def test_only_mechanisms_linked_to_both_therapies_can_mediate() -> None:
    """DHFR amplification acts on methotrexate's target; it has no link to radiation or cisplatin (issue 15)."""
    cat = catalog()
    linked = linked_mechanisms(cat, "radiotherapy", "cisplatin")
    assert "target_dhfr_amplification" not in linked
    assert linked and all({"radiotherapy", "cisplatin"} <= set(cat.therapies_for(cat.mechanism(m))) for m in linked)
