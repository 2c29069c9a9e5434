"""Claim verdicts: the rules, and what the bundle says for examples the issue names."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from chemorad.catalog import catalog
from chemorad.evidence.claims import _expectation, claim_tests, claim_verdicts, margin_table, unique_tests


def test_expectations() -> None:
    assert _expectation(1.0, True, "resistance") == "resistance"
    assert _expectation(1.0, True, "sensitisation") == "sensitisation"  # collateral sensitivity is a direction
    assert _expectation(1.0, False, "resistance") == "no effect"  # a pump on a non-substrate
    assert _expectation(0.0, True, "resistance") == "no effect"  # a chemotherapy-only claim on radiation


@pytest.fixture(scope="module")
def tests_table(shared_data, bundle_tables):
    return claim_tests(catalog(), shared_data, tables=bundle_tables)


@pytest.fixture(scope="module")
def verdicts(shared_data, tests_table):
    return claim_verdicts(catalog(), shared_data, tests=tests_table)


def test_every_claim_and_therapy_with_data_gets_a_row(verdicts) -> None:
    cat = catalog()
    claims = {(m.id, c.specificity.value) for m in cat.mechanisms.values() for c in m.claims}
    assert set(zip(verdicts["mechanism"], verdicts["claim"], strict=True)) == claims
    assert set(verdicts["verdict"]) <= {"supported", "contradicted", "inconclusive", "not testable"}
    tested = verdicts.dropna(subset=["fdr"])
    assert (tested["ci_low"] <= tested["effect"]).all() and (tested["effect"] <= tested["ci_high"]).all()


def test_mechanisms_without_usable_markers_are_not_testable(verdicts) -> None:
    """TUBB3 is a floor value in GDSC expression and absent elsewhere (data README)."""
    sub = verdicts[verdicts["mechanism"] == "target_tubulin_tubb3"]
    assert (sub["verdict"] == "not testable").all()


def test_mgmt_goes_with_temozolomide_resistance(verdicts) -> None:
    """MGMT reverses O6-methylguanine, the temozolomide lesion (Hegi et al. 2005, NEJM 352:997): the cell-line data
    agree, so seed003's radiotherapy-only claim for MGMT is contradicted there."""
    sub = verdicts[(verdicts["mechanism"] == "mgmt_repair") & (verdicts["therapy"] == "temozolomide")]
    assert (sub.loc[sub["claim"] == "shared", "verdict"] == "supported").any()
    assert (sub.loc[sub["claim"] == "radiotherapy_only", "verdict"] == "contradicted").any()


def test_margins_follow_from_the_assay_noise(tests_table) -> None:
    """margin = SEM / 4, SEM = SD sqrt(1 - rho); rho from GDSC1 vs GDSC2 (same lines) or clonogenic vs 9-day assay."""
    m = margin_table(tests_table)
    np.testing.assert_allclose(m["sem"], m["sd_y"] * np.sqrt(1 - m["rho"]), rtol=1e-12)
    np.testing.assert_allclose(m["margin"], m["sem"] / 4, rtol=1e-12)
    assert (m["rho"] > 0).all() and (m["rho"] < 1).all()
    rad = m[m["response"].str.startswith("yard|")]
    assert rad["noise_source"].str.contains("clonogenic").all()
    assert {f"yard|radiotherapy|sf_{d}gy" for d in (1, 2, 3, 4, 5, 6, 8, 10)} <= set(rad["response"])
    cis = m[m["response"] == "gdsc2|Cisplatin|ln_ic50"].iloc[0]
    assert "GDSC1 vs GDSC2" in cis["noise_source"]


def test_each_family_has_its_own_fdr(tests_table) -> None:
    """BH within therapy x data set x metric: the q-values of one family equal BH over that family alone."""
    fam = tests_table[tests_table["family"] == "radiotherapy|yard|auc"]
    np.testing.assert_allclose(fam["fdr"], stats.false_discovery_control(fam["p_value"]), rtol=1e-12)


def test_duplicate_tests_are_counted_once(verdicts) -> None:
    u = unique_tests(verdicts)
    assert len(u) < len(verdicts[verdicts["primary"]])
    key = ["mechanism", "therapy", "dataset", "compound", "metric", "expected"]
    assert not u.duplicated(key).any()


def test_inconclusive_rows_say_how_many_lines_would_decide(verdicts) -> None:
    inc = verdicts[verdicts["verdict"] == "inconclusive"]
    assert inc["n_to_decide"].notna().mean() > 0.95
    assert (inc["n_to_decide"].dropna() > inc.loc[inc["n_to_decide"].notna(), "n"]).all()
    decided = verdicts[verdicts["verdict"].isin(["supported", "contradicted"])]
    assert decided["n_to_decide"].isna().all()


def test_compare_verdicts_lists_only_changed_tests() -> None:
    from chemorad.evidence.claims import compare_verdicts

    base = {
        "mechanism": "m",
        "therapy": "t",
        "dataset": "gdsc2",
        "compound": "X",
        "metric": "ln_ic50",
        "primary": True,
        "expected": "resistance",
        "effect_sd": 0.1,
        "ci_low": 0.0,
        "ci_high": 0.2,
        "n": 100,
        "reason": "",
    }
    import pandas as pd

    before = pd.DataFrame([{**base, "verdict": "inconclusive"}, {**base, "therapy": "u", "verdict": "supported"}])
    after = pd.DataFrame([{**base, "verdict": "supported"}, {**base, "therapy": "u", "verdict": "supported"}])
    changed = compare_verdicts(before, after)
    assert len(changed) == 1 and changed.loc[0, "therapy"] == "t"
    assert changed.loc[0, "verdict_before"] == "inconclusive" and changed.loc[0, "verdict_after"] == "supported"
