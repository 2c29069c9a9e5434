"""Alteration calls on synthetic data: planted effects are recovered, null data give no call at the stated FDR."""

import numpy as np
import pandas as pd
import pytest

from chemorad.evidence.alterations import (
    MIN_ALTERED,
    alteration_calls,
    alteration_features,
    alteration_tests,
    general_factor,
    therapy_calls,
)
from chemorad.evidence.associations import covariate_design

DRUGS = ["cisplatin", "doxorubicin", "paclitaxel", "gemcitabine"]
SEM = 0.4  # every synthetic assay: residual SD 0.2; SEM 0.4, so an alteration's margin is SEM / 4 = 0.1


def synthetic(seed: int, n: int = 400, n_alt: int = 30, plant: bool = True, general_sd: float = 0.0):
    """Lines in 4 tissues, `n_alt` random alterations at 15% prevalence, radiation + 4 drugs in two data sets.

    Planted (when `plant`): alt_cross raises radiation and cisplatin by 0.5 (5 margins); alt_rad raises radiation by
    0.5 only; alt_rare is in 3 lines. Tissue shifts every response; a general factor (SD `general_sd`) shifts every
    therapy alike.
    """
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"L{i}" for i in range(n)])
    tissue = pd.Series(rng.choice(["lung", "breast", "skin", "blood"], n), index=idx)
    names = [f"A{i}_mut" for i in range(n_alt)]
    X = pd.DataFrame((rng.random((n, n_alt)) < 0.15).astype(float), index=idx, columns=names)
    X["alt_cross_mut"] = (rng.random(n) < 0.15).astype(float)
    X["alt_rad_mut"] = (rng.random(n) < 0.15).astype(float)
    rare = np.zeros(n)
    rare[:3] = 1
    X["alt_rare_mut"] = rare
    shift = tissue.map({"lung": 0.3, "breast": -0.2, "skin": 0.1, "blood": -0.4}).to_numpy()
    g = rng.normal(0, general_sd, n) if general_sd else np.zeros(n)
    resp, therapy_of = {}, {}
    therapies = ["radiotherapy", *DRUGS]
    for t in therapies:
        for ds in ["yard"] if t == "radiotherapy" else ["gdsc1", "gdsc2"]:
            y = shift + g + rng.normal(0, 0.2, n)
            if plant and t in ("radiotherapy", "cisplatin"):
                y = y + 0.5 * X["alt_cross_mut"].to_numpy()
            if plant and t == "radiotherapy":
                y = y + 0.5 * X["alt_rad_mut"].to_numpy()
            col = f"{ds}|{t}|{'auc' if ds == 'yard' else 'ln_ic50'}"
            resp[col] = y
            therapy_of[col] = t
    resp = pd.DataFrame(resp, index=idx)
    sem = pd.Series(SEM, index=resp.columns)
    return X, resp, therapy_of, tissue, sem


def run(X, resp, therapy_of, tissue, sem, general=False):
    cov = covariate_design(tissue)
    gen = general_factor(resp, therapy_of, tissue, pool=set(DRUGS)) if general else None
    tests = alteration_tests(X, resp, therapy_of, cov, sem, general=gen)
    per = therapy_calls(tests)
    return tests, per, alteration_calls(per, "radiotherapy").set_index("alteration")


@pytest.mark.parametrize("general", [False, True])
def test_planted_cross_resistance_and_radiotherapy_only_are_recovered(general):
    X, resp, therapy_of, tissue, sem = synthetic(0, general_sd=0.3 if general else 0.0)
    _, per, calls = run(X, resp, therapy_of, tissue, sem, general)
    assert calls.at["alt_cross_mut", "call"] == "cross-resistant"
    assert calls.at["alt_cross_mut", "drugs_resistant"] == ["cisplatin"]
    assert calls.at["alt_rad_mut", "call"] == "radiotherapy-only"
    assert calls.at["alt_rad_mut", "radiation"] == "resistant"
    # the planted effect sizes are recovered within their intervals
    row = per[(per["alteration"] == "alt_cross_mut") & (per["therapy"] == "cisplatin")].iloc[0]
    assert row["ci_low"] < 0.5 < row["ci_high"]


def test_rare_alteration_is_listed_with_the_lines_needed():
    X, resp, therapy_of, tissue, sem = synthetic(1)
    tests, per, calls = run(X, resp, therapy_of, tissue, sem)
    rare = tests[tests["alteration"] == "alt_rare_mut"]
    assert (rare["call"] == "too few lines").all()
    assert (rare["altered_needed"] > MIN_ALTERED).all()
    assert calls.at["alt_rare_mut", "radiation"] == "too few lines"


def test_general_factor_removes_a_shared_shift():
    """An alteration that raises a line's general resistance g (which every therapy loads on; g varies between lines
    with SD 0.3) is cross-resistant within tissue but has no therapy-specific effect once the general factor is a
    covariate: given G (g measured by 8 other columns), the alteration tells nothing more."""
    X, resp, therapy_of, tissue, sem = synthetic(2, plant=False, general_sd=0.3)
    resp = resp.add(0.6 * X["A0_mut"], axis=0)
    _, _, raw = run(X, resp, therapy_of, tissue, sem, general=False)
    _, _, adj = run(X, resp, therapy_of, tissue, sem, general=True)
    assert raw.at["A0_mut", "call"] == "cross-resistant"
    assert adj.at["A0_mut", "call"] not in ("cross-resistant", "collaterally sensitive", "radiotherapy-only")


def test_null_data_give_no_call_at_the_stated_fdr():
    """No alteration has an effect: the share of (seed, family) runs with any resistant/sensitive call stays at or
    below the FDR (under the complete null, BH's FDR is the chance of any false call), and no cross call is made."""
    any_call, cross = [], 0
    for seed in range(8):
        X, resp, therapy_of, tissue, sem = synthetic(100 + seed, plant=False)
        tests, _, calls = run(X, resp, therapy_of, tissue, sem)
        decided = tests[tests["call"].isin(["resistant", "sensitive"])]
        any_call += [r in set(decided["response"]) for r in resp.columns]
        cross += int(calls["call"].isin(["cross-resistant", "collaterally sensitive", "cross-sensitive"]).sum())
    assert np.mean(any_call) <= 0.1
    assert cross == 0


def test_features_from_the_genomic_table_and_expression():
    idx = pd.Index(list("abcdefghij"))
    genomic = pd.DataFrame(
        {"TP53_mut": [1, 0] * 5, "loss_cnaPANCAN144_(BNC2,CDKN2A)": [0, 1] * 5, "TISSUE_FACTOR": ["x"] * 10}, index=idx
    )
    expr = pd.DataFrame({"SLFN11": np.arange(10.0), "NOPE": np.arange(10.0)}, index=idx)
    X, meta = alteration_features(genomic, expr, ["SLFN11"], pd.Series([True] + [False] * 9, index=idx))
    m = meta.set_index("alteration")
    assert m.at["TP53_mut", "kind"] == "mutation" and m.at["TP53_mut", "genes"] == ["TP53"]
    assert m.at["loss_cnaPANCAN144_(BNC2,CDKN2A)", "genes"] == ["BNC2", "CDKN2A"]
    assert m.at["expr_low:SLFN11", "n_altered"] == 1 and m.at["expr_high:SLFN11", "n_altered"] == 1
    assert m.at["MSI-H", "n_altered"] == 1
    assert "TISSUE_FACTOR" not in X.columns and "expr_high:NOPE" not in X.columns
