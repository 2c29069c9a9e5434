"""Tissue-adjusted associations against statsmodels OLS, BH FDR, partial correlation."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from chemorad.bundle import datasets as ds
from chemorad.errors import ChemoradError
from chemorad.evidence.associations import associations, bh_fdr, covariate_design, partial_correlation


def _reference(y: pd.Series, x: pd.Series, covariates: pd.DataFrame | None):
    """statsmodels OLS of y ~ 1 + covariates + x on complete rows: the feature's coefficient and its statistics."""
    parts = [y.rename("y")] + ([covariates] if covariates is not None else []) + [x.rename("x")]
    frame = pd.concat(parts, axis=1, join="inner").dropna()
    with warnings.catch_warnings():  # a rank-deficient design (a tissue absent from these rows) is intended
        warnings.simplefilter("ignore")
        fit = sm.OLS(frame["y"], sm.add_constant(frame.drop(columns="y"), has_constant="add")).fit()
    low, high = fit.conf_int().loc["x"]
    return {
        "n": len(frame),
        "effect": fit.params["x"],
        "se": fit.bse["x"],
        "t": fit.tvalues["x"],
        "p_value": fit.pvalues["x"],
        "ci_low": low,
        "ci_high": high,
    }


def _compare(table, X, Y, covariates, n_pairs, rng):
    rows = table.iloc[rng.choice(len(table), size=min(n_pairs, len(table)), replace=False)]
    for _, row in rows.iterrows():
        ref = _reference(Y[row["response"]], X[row["feature"]], covariates)
        assert row["n"] == ref["n"]
        for key in ("effect", "se", "t", "p_value", "ci_low", "ci_high"):
            assert row[key] == pytest.approx(ref[key], rel=1e-8, abs=1e-10), key


@pytest.fixture
def synthetic():
    rng = np.random.default_rng(2024)
    n = 90
    lines = pd.Index([f"L{i}" for i in range(n)], name="cell_line")
    tissue = pd.Series(rng.choice(["lung", "skin", "breast", "ovary"], n), index=lines)
    tissue.iloc[:3] = None  # unknown tissue: left out of every fit
    msi = pd.Series(rng.random(n) < 0.2, index=lines)
    X = pd.DataFrame(rng.normal(size=(n, 12)), index=lines, columns=[f"g{i}" for i in range(12)])
    X = X.mask(rng.random(X.shape) < 0.1)
    X["constant"] = 2.0
    X["lung_only"] = (tissue == "lung").astype(float)
    Y = pd.DataFrame(rng.normal(size=(n, 5)), index=lines, columns=[f"drug{i}" for i in range(5)])
    Y = Y.add(0.8 * X["g0"].fillna(0.0), axis=0).mask(rng.random(Y.shape) < 0.15)
    return X, Y, covariate_design(tissue, msi)


def test_every_pair_equals_statsmodels_with_missing_values(synthetic):
    X, Y, covariates = synthetic
    table, dropped = associations(X, Y, covariates, return_dropped=True)
    assert len(table) == 12 * 5
    _compare(table, X, Y, covariates, n_pairs=60, rng=np.random.default_rng(0))
    assert set(dropped["feature"]) == {"constant", "lung_only"}
    assert set(dropped["reason"]) == {"no variance", "collinear with covariates"}
    assert table.attrs["n_dropped"] == len(dropped) == 10
    assert table.iloc[0]["feature"] == "g0"  # the planted effect is the strongest


def test_without_covariates_and_with_a_level_missing_from_the_rows(synthetic):
    X, Y, covariates = synthetic
    table = associations(X, Y, None)
    _compare(table, X, Y, None, n_pairs=15, rng=np.random.default_rng(1))
    Y2 = Y.copy()
    Y2.loc[covariates["tissue[skin]"] == 1, "drug0"] = np.nan  # a tissue absent for one response: rank-deficient
    table2 = associations(X.iloc[:, :4], Y2, covariates)
    _compare(table2[table2["response"] == "drug0"], X, Y2, covariates, n_pairs=4, rng=np.random.default_rng(2))


def test_too_few_lines_and_bad_input(synthetic):
    X, Y, covariates = synthetic
    table, dropped = associations(X.iloc[:12], Y.iloc[:12], covariates, min_n=10, return_dropped=True)
    assert "too few lines" in set(dropped["reason"]) or "no residual degrees of freedom" in set(dropped["reason"])
    assert len(table) + len(dropped) == X.shape[1] * Y.shape[1]
    with pytest.raises(ChemoradError, match="min_n"):
        associations(X, Y, covariates, min_n=1)
    with pytest.raises(ChemoradError, match="X"):
        associations(X.to_numpy(), Y)


def test_bh_fdr_matches_statsmodels():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(500), rng.random(50) * 1e-4, [np.nan]])
    q = bh_fdr(p)
    assert np.isnan(q[-1])
    np.testing.assert_allclose(q[:-1], multipletests(p[:-1], method="fdr_bh")[1], rtol=1e-12)


def test_partial_correlation_closed_form_and_ols_p():
    rng = np.random.default_rng(5)
    idx = pd.Index([f"L{i}" for i in range(150)])
    c = pd.Series(rng.normal(size=150), index=idx)
    a = c + rng.normal(size=150)
    b = 0.5 * a - c + rng.normal(size=150)
    res = partial_correlation(a, b, c.to_frame("c"), rng=np.random.default_rng(0), n_boot=400)
    r = np.corrcoef([a, b, c])
    expected = (r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))
    assert res["r"] == pytest.approx(expected, rel=1e-10)
    assert res["p_value"] == pytest.approx(_reference(a, b, c.to_frame("c"))["p_value"], rel=1e-8)
    assert res["ci_low"] < res["r"] < res["ci_high"] and res["n_boot"] == 400
    again = partial_correlation(a, b, c.to_frame("c"), rng=np.random.default_rng(0), n_boot=400)
    assert again == res  # same seed, same interval
    assert np.isnan(partial_correlation(a, b, c.to_frame("c"))["ci_low"])  # no generator, no bootstrap


def test_real_subset_expression_vs_gdsc2(shared_data):
    genes = [
        "ABCB1",
        "ABCG2",
        "TP53",
        "MGMT",
        "GSTP1",
        "NQO1",
        "SLFN11",
        "BCL2",
        "MDM2",
        "CDKN2A",
        "EGFR",
        "MYC",
        "TOP2A",
        "TYMS",
        "DCK",
        "MLH1",
        "ABCC1",
        "CDA",
        "GCLM",
        "PARP1",
    ]
    expr = ds.load_expression(genes, data=shared_data)
    drugs = ["Cisplatin", "Docetaxel", "Gemcitabine", "Temozolomide", "5-Fluorouracil"]
    g2 = ds.load_gdsc_response("gdsc2", shared_data)
    Y = ds.response_matrix(g2.loc[g2["drug"].isin(drugs)], value="ln_ic50")
    lines = ds.cell_lines(shared_data)
    covariates = covariate_design(lines["tissue"], lines["msi"], min_lines=3)
    table = associations(expr, Y, covariates)
    assert len(table) == expr.shape[1] * len(drugs) and table["n"].min() > 300
    _compare(table, expr.astype(float), Y, covariates, n_pairs=25, rng=np.random.default_rng(4))
    slfn11 = table[(table["feature"] == "SLFN11") & (table["response"] == "Cisplatin")].iloc[0]
    assert slfn11["effect"] < 0 and slfn11["fdr"] < 0.05  # SLFN11 expression sensitises to DNA-damaging agents


def _fast_vs_general(X, Y, covariates):
    from chemorad.evidence.associations import _associations

    fast, fdrop = _associations(X, Y, covariates, 10, 0.95, True, method="fast")
    general, gdrop = _associations(X, Y, covariates, 10, 0.95, True, method="general")
    key = ["feature", "response"]
    merged = fast.merge(general, on=key, suffixes=("_f", "_g"), validate="one_to_one")
    assert len(merged) == len(fast) == len(general)
    assert (merged["n_f"] == merged["n_g"]).all()
    for col in ("effect", "se", "ci_low", "ci_high", "t", "p_value", "fdr"):
        np.testing.assert_allclose(merged[f"{col}_f"], merged[f"{col}_g"], rtol=1e-10, atol=1e-12, err_msg=col)
    d1 = fdrop.sort_values(key).reset_index(drop=True)
    d2 = gdrop.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(d1, d2, check_dtype=False)
    return fast, fdrop


@pytest.fixture
def awkward():
    """Tissues with one line, a tissue absent from one response's rows, MSI constant within tissue on some rows."""
    rng = np.random.default_rng(7)
    n = 120
    lines = pd.Index([f"L{i}" for i in range(n)], name="cell_line")
    tissue = pd.Series(rng.choice(["lung", "skin", "breast", "ovary", "bone"], n), index=lines)
    tissue.iloc[0] = "kidney"  # a tissue with a single line
    tissue.iloc[1:3] = None
    msi = pd.Series(rng.random(n) < 0.25, index=lines)
    X = pd.DataFrame(rng.normal(5.0, 1.0, size=(n, 9)), index=lines, columns=[f"g{i}" for i in range(9)])
    X = X.add(2.0 * (tissue == "skin"), axis=0)  # tissue-specific level
    X.iloc[:40, 3:6] = X.iloc[:40, 3:6].mask(rng.random((40, 3)) < 0.3)  # a second and third NaN pattern
    X["mut_rare"] = 0.0
    X.iloc[[5, 17, 60], X.columns.get_loc("mut_rare")] = 1.0
    X["mut_none"] = 0.0
    X["skin_only"] = (tissue == "skin").astype(float)
    X["msi_copy"] = msi.astype(float)
    Y = pd.DataFrame(rng.normal(size=(n, 6)), index=lines, columns=[f"d{i}" for i in range(6)])
    Y = Y.add(0.5 * X["g0"], axis=0).mask(rng.random(Y.shape) < 0.2)
    Y.loc[tissue == "skin", "d1"] = np.nan  # a tissue absent from this response's rows (rank-deficient)
    Y.loc[tissue == "kidney", "d2"] = np.nan
    Y.loc[msi, "d3"] = np.nan  # MSI constant (0) on these rows: the MSI covariate drops out of the rank
    Y["d4"] = Y["d4"].where(tissue != "lung", 1.0)  # constant within one tissue
    Y["d5"] = 3.0  # a response without variance
    covariates = covariate_design(tissue, msi)
    return X, Y, covariates


def test_fast_path_equals_general_path_and_statsmodels(awkward):
    X, Y, covariates = awkward
    table, dropped = _fast_vs_general(X, Y, covariates)
    reasons = set(dropped["reason"])
    assert {"no variance", "collinear with covariates", "response has no variance"} <= reasons
    assert set(dropped.loc[dropped["reason"] == "collinear with covariates", "feature"]) == {"skin_only", "msi_copy"}
    assert not (table["response"] == "d5").any()
    _compare(table, X, Y, covariates, n_pairs=80, rng=np.random.default_rng(8))
    d3 = table[(table["response"] == "d3") & (table["feature"] == "g1")].iloc[0]
    assert d3["n"] == _reference(Y["d3"], X["g1"], covariates)["n"]


def test_fast_path_without_covariates_and_with_continuous_covariates(awkward):
    X, Y, covariates = awkward
    table, _ = _fast_vs_general(X, Y, None)
    _compare(table, X, Y, None, n_pairs=20, rng=np.random.default_rng(9))
    rng = np.random.default_rng(10)
    extra = covariates.assign(age=rng.normal(50, 10, len(covariates)), dose=rng.normal(size=len(covariates)))
    extra["dup"] = 2.0 * extra["age"]  # collinear covariate: rank-deficient design on every row set
    table2, _ = _fast_vs_general(X, Y, extra)
    _compare(table2, X, Y, extra, n_pairs=30, rng=np.random.default_rng(11))


def test_output_order_and_types(synthetic):
    X, Y, covariates = synthetic
    table = associations(X, Y, covariates)
    resorted = table.sort_values(["p_value", "feature", "response"], kind="mergesort").reset_index(drop=True)
    pd.testing.assert_frame_equal(table, resorted)
    np.testing.assert_array_equal(table["fdr"].to_numpy(), bh_fdr(table["p_value"].to_numpy()))
    assert list(table.columns) == [
        "feature",
        "response",
        "n",
        "effect",
        "se",
        "ci_low",
        "ci_high",
        "t",
        "p_value",
        "fdr",
        "dof",
    ]
    assert table["n"].dtype == np.int64 and table["dof"].dtype == np.int64
    assert all(table[c].dtype == np.float64 for c in table.columns[3:-1])


def test_stable_argsort_matches_numpy():
    from chemorad.evidence.associations import _stable_argsort

    rng = np.random.default_rng(12)
    for _ in range(100):
        values = rng.integers(0, 15, rng.integers(0, 200)).astype(float)
        values[rng.random(values.size) < 0.1] = np.nan
        np.testing.assert_array_equal(_stable_argsort(values), np.argsort(values, kind="stable"))
