"""Claim verdicts: the rules, and what the bundle says for examples the issue names."""

from __future__ import annotations

import pytest

from chemorad.catalog import catalog
from chemorad.evidence.claims import _expectation, _verdict, claim_verdicts


def test_verdict_rules() -> None:
    assert _verdict("resistance", 0.3, 0.1, 0.5, 0.01, 1.0) == "supported"
    assert _verdict("resistance", -0.3, -0.5, -0.1, 0.01, 1.0) == "contradicted"
    assert _verdict("resistance", 0.3, -0.1, 0.7, 0.5, 1.0) == "inconclusive"
    assert _verdict("sensitisation", -0.3, -0.5, -0.1, 0.01, 1.0) == "supported"
    assert _verdict("no effect", 0.01, -0.05, 0.07, 0.9, 1.0) == "supported"  # CI within +-0.1 SD
    assert _verdict("no effect", 0.01, -0.2, 0.2, 0.9, 1.0) == "inconclusive"
    assert _verdict("no effect", 0.4, 0.2, 0.6, 0.001, 1.0) == "contradicted"
    assert _expectation(1.0, True, "resistance") == "resistance"
    assert _expectation(1.0, False, "resistance") == "no effect"  # a pump on a non-substrate
    assert _expectation(0.0, True, "resistance") == "no effect"  # a chemotherapy-only claim on radiation


@pytest.fixture(scope="module")
def verdicts(shared_data):
    return claim_verdicts(catalog(), shared_data)


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
