"""The profile prediction model: signal recovery, exact attributions, interval coverage, input checks, real data."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from chemorad.catalog.load import catalog
from chemorad.errors import ChemoradError
from chemorad.profile.estimators import _ridge_loo
from chemorad.profile.model import (
    CVPlan,
    CVTables,
    ExpressionRidge,
    ResponseModel,
    TissueMeanModel,
    cross_validate_models,
    cytotoxic_therapies,
    fit_all,
    line_folds,
)

BETA = np.array([1.0, -0.7, 0.5, 0.0, 0.0, 0.0])
TISSUE_EFFECT = {"lung": 1.5, "skin": -1.0, "breast": 0.0, "kidney": 0.5, "ovary": -0.5}


def synthetic(n: int, seed: int, noise: float = 1.0, missing: float = 0.1, tissues=None):
    """Scores (standardised within tissue, some NaN), tissue and y = tissue effect + scores @ BETA + noise.

    Returns (X with a 'tissue' column, y, tissue)."""
    rng = np.random.default_rng(seed)
    tissues = list(TISSUE_EFFECT) if tissues is None else tissues
    t = rng.choice(tissues, size=n)
    x = rng.standard_normal((n, len(BETA)))
    y = np.array([TISSUE_EFFECT.get(s, 0.0) for s in t]) + x @ BETA + noise * rng.standard_normal(n)
    x[rng.random(x.shape) < missing] = np.nan
    index = pd.Index([f"L{seed}_{i}" for i in range(n)], name="cell_line")
    X = pd.DataFrame(x, index=index, columns=[f"mech_{j}" for j in range(len(BETA))])
    return X.assign(tissue=t), pd.Series(y, index=index, name="y"), pd.Series(t, index=index, name="tissue")


@pytest.fixture(scope="module")
def fitted():
    X, y, t = synthetic(400, seed=1)
    return ResponseModel().fit(X, y), (X, y, t)


def test_recovers_coefficient_signs_and_beats_tissue_baseline(fitted):
    model, (X, y, t) = fitted
    coef = model.coef_.to_numpy()
    assert coef[0] > 0.5 and coef[1] < -0.3 and coef[2] > 0.2
    assert np.all(np.abs(coef[3:]) < 0.2)
    assert model.tissue_effects_["lung"] > model.tissue_effects_["skin"]
    Xt, yt, tt = synthetic(2000, seed=2)
    base = TissueMeanModel().fit(X, y)
    rho_model = spearmanr(model.predict(Xt), yt).statistic
    rho_base = spearmanr(base.predict(Xt), yt).statistic
    assert rho_model > rho_base + 0.2
    assert np.mean((model.predict(Xt) - yt) ** 2) < np.mean((base.predict(Xt) - yt) ** 2)


def test_intercept_is_training_mean_and_tissue_effects_centred(fitted):
    model, (X, y, t) = fitted
    assert model.intercept_ == pytest.approx(y.mean(), abs=1e-9)
    w = model.tissue_counts_ / model.tissue_counts_.sum()
    assert float((w * model.tissue_effects_).sum()) == pytest.approx(0.0, abs=1e-9)


def test_attributions_sum_to_prediction_exactly(fitted):
    model, _ = fitted
    Xt, _, tt = synthetic(300, seed=3)
    tt.iloc[:5] = "testis"  # unseen tissue
    Xt["tissue"] = tt.to_numpy()
    attr = model.attributions(Xt)
    assert list(attr.columns[-3:]) == ["missingness", "tissue", "intercept"]
    assert list(attr.columns[:-3]) == list(Xt.columns[:-1])
    np.testing.assert_allclose(attr.sum(axis=1).to_numpy(), model.predict(Xt), rtol=0, atol=1e-12)
    coef, z = model.coef_["mech_0"], (Xt["mech_0"].fillna(0.0) - model.mean_[0]) / model.scale_[0]
    np.testing.assert_allclose(attr["mech_0"], coef * z, rtol=1e-12)


def test_loo_closed_form_matches_refitting():
    rng = np.random.default_rng(4)
    D = np.column_stack([np.ones(30), rng.standard_normal((30, 4))])
    y = rng.standard_normal(30)
    pen = np.array([0.0, 2.0, 2.0, 5.0, 5.0])
    _, loo = _ridge_loo(D, D.T @ D, D.T @ y, y, pen)
    brute = []
    for i in range(30):
        keep = np.arange(30) != i
        theta = np.linalg.solve(D[keep].T @ D[keep] + np.diag(pen), D[keep].T @ y[keep])
        brute.append(y[i] - D[i] @ theta)
    np.testing.assert_allclose(loo, brute, rtol=1e-10)


@pytest.mark.parametrize("level", [0.8, 0.9])
def test_interval_coverage_on_held_out_data(fitted, level):
    model, _ = fitted
    Xt, yt, tt = synthetic(4000, seed=5)
    iv = model.predict_interval(Xt, level=level)
    covered = ((yt >= iv["lower"]) & (yt <= iv["upper"])).mean()
    assert abs(covered - level) < 0.05
    assert not iv["unseen_tissue"].any()


def test_unseen_tissue_predicted_with_flag_and_wider_interval(fitted):
    model, _ = fitted
    Xt, _, _ = synthetic(4, seed=6)
    tt = pd.Series(["lung", "pancreas", None, "skin"], index=Xt.index)
    Xt["tissue"] = tt
    iv = model.predict_interval(Xt)
    assert iv["unseen_tissue"].tolist() == [False, True, True, False]
    assert np.all(np.isfinite(iv["prediction"]))
    attr = model.attributions(Xt)
    assert attr["tissue"].iloc[1] == 0.0 and attr["tissue"].iloc[2] == 0.0
    width = iv["upper"] - iv["lower"]
    assert width.iloc[1] > width.iloc[0]
    pct = model.percentile_in_tissue(iv["prediction"], tt)
    assert pct["reference"].tolist()[1] == "all lines (unseen tissue)"
    assert pct["n_reference"].iloc[1] == model.n_train_
    assert pct["n_reference"].iloc[0] == model.tissue_counts_["lung"]
    assert pct["percentile"].between(0, 100).all()


def test_percentile_against_training_lines_of_the_tissue(fitted):
    model, (_, y, t) = fitted
    lung = np.sort(y[t == "lung"].to_numpy())
    median = float(np.median(lung))
    pct = model.percentile_in_tissue(np.array([lung[0] - 1, median, lung[-1] + 1]), ["lung"] * 3)
    assert pct["percentile"].tolist() == pytest.approx([0.0, 50.0, 100.0], abs=100 / len(lung))


def test_tissue_column_by_name_or_position_and_sklearn_clone(fitted):
    model, (X, y, t) = fitted
    moved = X[["tissue", *X.columns[:-1]]]
    other = clone(model).set_params(tissue_column=0).fit(moved.to_numpy(dtype=object), y.to_numpy())
    np.testing.assert_allclose(other.predict(moved.to_numpy(dtype=object)), model.predict(X), atol=1e-12)
    assert other.get_params() == {**model.get_params(), "tissue_column": 0}
    shuffled = clone(model).fit(X, y.iloc[::-1])  # y aligned to X by index
    np.testing.assert_allclose(shuffled.coef_, model.coef_, atol=1e-12)
    assert list(model.feature_names_in_) == list(X.columns) and model.n_features_in_ == X.shape[1]


def test_without_tissue_column_no_tissue_term():
    X, y, _ = synthetic(300, seed=13)
    model = ResponseModel(tissue_column=None).fit(X.drop(columns="tissue"), y)
    assert model.tissue_effects_.abs().max() < 1e-9
    assert not model.predict_interval(X.drop(columns="tissue"))["unseen_tissue"].any()


def test_line_without_tissue_gets_no_tissue_effect(fitted):
    model, (X, y, _) = fitted
    Xm = X.copy()
    Xm.loc[Xm.index[:10], "tissue"] = None
    refit = ResponseModel().fit(Xm, y)
    assert refit.n_train_ == len(y)
    assert refit.attributions(Xm.iloc[:10])["tissue"].eq(0.0).all()
    assert TissueMeanModel().fit(Xm, y).predict(Xm.iloc[:1])[0] == pytest.approx(y.mean())


def test_missing_indicator_used_only_when_it_helps():
    rng = np.random.default_rng(7)
    X, y, t = synthetic(400, seed=7, missing=0.0)
    gone = rng.random(400) < 0.3  # a block of lines without the measurement, and more resistant
    X.loc[gone, ["mech_3", "mech_4"]] = np.nan
    y = y + 2.0 * gone
    assert ResponseModel().fit(X, y).missing_indicator_
    X0, y0, t0 = synthetic(400, seed=8)
    assert not ResponseModel(missing_indicator=False).fit(X0, y0).missing_indicator_


def test_expression_ridge_equals_ridge_at_fixed_penalties():
    rng = np.random.default_rng(9)
    n, p = 60, 200
    G = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p) + 3.0
    t = rng.choice(["a", "b", "c"], n)
    y = G[:, 0] - G[:, 1] + (t == "a") + rng.standard_normal(n)
    model = ExpressionRidge(alphas=[0.05], tissue_ratios=[4.0], tissue_column=-1).fit(np.column_stack([G, t]), y)
    Z = (G - G.mean(0)) / G.std(0)
    T = np.column_stack([(t == c).astype(float) for c in "abc"])
    ref = Ridge(alpha=0.05 * p).fit(np.column_stack([Z, 2.0 * (T - T.mean(0))]), y)
    Gt = rng.standard_normal((10, p)) + 3.0
    tt = rng.choice(["a", "b", "c"], 10)
    Zt = (Gt - G.mean(0)) / G.std(0)
    Tt = np.column_stack([(tt == c).astype(float) for c in "abc"])
    expected = ref.predict(np.column_stack([Zt, 2.0 * (Tt - T.mean(0))]))
    np.testing.assert_allclose(model.predict(np.column_stack([Gt, tt])), expected, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m, X, y: m.fit(X["mech_0"].to_numpy(), y.to_numpy()), "X: expected a 2-D"),
        (lambda m, X, y: m.fit(X, y.iloc[:-1]), "y: length"),
        (lambda m, X, y: m.fit(X, y.where(y > 0)), "y: .* NaN"),
        (lambda m, X, y: m.fit(X, y.set_axis([f"Z{i}" for i in range(len(y))])), "y: index"),
        (lambda m, X, y: m.fit(X.drop(columns="tissue"), y), "X: no 'tissue' column"),
        (lambda m, X, y: m.fit(X.to_numpy(), y), "X: an array has no column names"),
        (lambda m, X, y: m.set_params(tissue_column=99).fit(X, y), "tissue_column: expected"),
        (lambda m, X, y: m.fit(X.replace(np.nan, np.inf), y), "X: .* infinite"),
        (lambda m, X, y: m.fit(X.assign(mech_0="a"), y), "X: expected numbers|X: non-numeric"),
        (lambda m, X, y: m.fit(X.iloc[:2], y.iloc[:2]), "X: 2 sample"),
        (lambda m, X, y: ResponseModel(alphas=[-1]).fit(X, y), "alphas"),
        (lambda m, X, y: ResponseModel(missing_indicator="yes").fit(X, y), "missing_indicator"),
        (lambda m, X, y: ExpressionRidge(solver="qr").fit(X, y), "solver"),
    ],
)
def test_bad_fit_inputs_name_the_argument(call, match):
    X, y, _ = synthetic(40, seed=10)
    with pytest.raises(ChemoradError, match=match):
        call(ResponseModel(), X, y)


def test_bad_predict_inputs_name_the_argument(fitted):
    model, (X, y, t) = fitted
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        model.predict(X.drop(columns=["mech_2"]))
    with pytest.warns(UserWarning, match="feature names"), pytest.raises(ValueError, match="X has 6 features"):
        model.predict(X.to_numpy()[:, 1:])
    with pytest.raises(ChemoradError, match="level"):
        model.predict_interval(X, level=1.5)


def test_line_folds_are_seeded_partitions():
    lines = [f"L{i}" for i in range(103)]
    a, b = line_folds(lines, 5, seed=3), line_folds(lines, 5, seed=np.random.default_rng(3))
    pd.testing.assert_series_equal(a, b)
    assert sorted(a.value_counts().tolist()) == [20, 20, 21, 21, 21]
    assert not a.equals(line_folds(lines, 5, seed=4))
    with pytest.raises(ChemoradError, match="n_splits"):
        line_folds(lines, 1)


def test_cross_validation_on_synthetic_tables_beats_tissue_baseline():
    cat = catalog()
    X, y, t = synthetic(300, seed=11)
    resp = pd.DataFrame({"yard|radiotherapy|auc": y})
    rng = np.random.default_rng(12)
    expr = pd.DataFrame(rng.standard_normal((300, 50)), index=X.index).add_prefix("g")
    tables = CVTables(X.drop(columns="tissue"), resp, t, expr)
    out = cross_validate_models(cat, plan=CVPlan(columns=("yard|radiotherapy|auc",), chain=False), tables=tables)
    by = out.set_index("contender")
    assert set(by.index) == {"chemorad", "tissue", "expression"}
    assert (by["n"] == 300).all()
    assert by.loc["chemorad", "spearman"] > by.loc["tissue", "spearman"] + 0.2
    assert by.loc["chemorad", "spearman"] > by.loc["expression", "spearman"]
    assert out["therapy"].eq("radiotherapy").all()


def test_cytotoxic_therapies_exclude_targeted_agents():
    ids = cytotoxic_therapies(catalog())
    assert "radiotherapy" in ids and "cisplatin" in ids and "paclitaxel" in ids
    assert "erlotinib" not in ids and "tamoxifen" not in ids


def test_real_yard_auc_model_and_two_fold_cv(shared_data):
    cat = catalog()
    models = fit_all(cat, shared_data, datasets=("yard",), therapies=["radiotherapy"])
    assert set(models) == {"yard|radiotherapy|auc", "yard|radiotherapy|sf2"}
    model = models["yard|radiotherapy|auc"]
    assert model.n_train_ >= 300 and np.isfinite(model.coef_).all()
    assert models.therapy["yard|radiotherapy|auc"] == "radiotherapy"
    skipped = fit_all(cat, shared_data, datasets=("yard",), therapies=["radiotherapy"], min_lines=10_000)
    assert not skipped and "yard|radiotherapy|auc" in skipped.skipped
    plan = CVPlan(columns=("yard|radiotherapy|auc",), n_splits=2, chain=False)
    out = cross_validate_models(cat, shared_data, plan=plan)
    assert set(out["contender"]) == {"chemorad", "tissue", "expression"}
    assert np.isfinite(out["spearman"]).all() and (out["n"] >= 200).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1e-3, 30.0), st.integers(0, 6))
def test_loo_path_equals_one_pair_at_a_time(seed, lam, p):
    """The eigen path (`_loo_mse_path`) gives the same leave-one-out error as the Cholesky fit of each penalty pair."""
    from chemorad.profile.estimators import _loo_mse_path, _one_hot

    rng = np.random.default_rng(seed)
    n = 40
    labels = rng.choice(["a", "b", "c"], n)
    T = _one_hot(labels, ["a", "b", "c"])
    F = np.column_stack([np.ones(n), T])
    S = rng.normal(size=(n, p))
    y = rng.normal(size=n) + T @ np.array([0.5, -1.0, 0.2])
    alphas = np.array([0.01, 1.0, 100.0])
    fixed = np.array([0.0, lam, lam, lam])
    path = _loo_mse_path(F, S, y, fixed, alphas)
    D = np.column_stack([F[:, :1], S, T])
    for a, got in zip(alphas, path, strict=True):
        pen = np.concatenate([[0.0], np.full(p, a), fixed[1:]])
        _, loo = _ridge_loo(D, D.T @ D, D.T @ y, y, pen)
        assert got == pytest.approx(float(np.mean(loo**2)), rel=1e-7)


@parametrize_with_checks(
    [
        ResponseModel(tissue_column=0),
        ResponseModel(tissue_column=None),
        TissueMeanModel(tissue_column=0),
        ExpressionRidge(tissue_column=0),
        ExpressionRidge(tissue_column=None, solver="ridgecv"),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    """scikit-learn's conformance checks, with the tissue as a column of X (a position for the checks' arrays)."""
    check(estimator)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(20, 60), st.integers(1, 120))
@example(4_294_967_295, 28, 53)  # p > n: leverages near 1 amplify round-off in the LOO residuals (3e-7 relative)
def test_expression_ridge_closed_form_equals_ridgecv(seed, n, p):
    """The two-penalty closed form picks the same penalties and predicts the same as RidgeCV run once per ratio."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, p))
    t = rng.choice(["a", "b", "c"], n).astype(object)
    y = G[:, 0] + (t == "a") + rng.standard_normal(n)
    X = np.column_stack([t, G])
    fast = ExpressionRidge(tissue_column=0).fit(X, y)
    ref = ExpressionRidge(tissue_column=0, solver="ridgecv").fit(X, y)
    assert (fast.alpha_, fast.tissue_alpha_) == pytest.approx((ref.alpha_, ref.tissue_alpha_))
    # the LOO errors divide by (1 - h_ii)^2: with p > n and a weak penalty, float64 round-off of the two linear-algebra
    # routes (eigendecomposition vs RidgeCV's SVD) reaches ~1e-6 relative there, far below any penalty difference
    assert fast.loo_mse_ == pytest.approx(ref.loo_mse_, rel=1e-5)
    np.testing.assert_allclose(fast.predict(X), ref.predict(X), rtol=1e-7, atol=1e-8)


def test_cross_validation_out_of_fold_predictions_match_a_hand_fold_loop():
    """GroupKFold + cross_val_predict over the shared folds gives what fitting each fold by hand gives."""
    cat = catalog()
    X, y, t = synthetic(120, seed=14)
    resp = pd.DataFrame({"yard|radiotherapy|auc": y})
    plan = CVPlan(columns=("yard|radiotherapy|auc",), chain=False, contenders=("chemorad", "tissue"), n_splits=4)
    _, pred = cross_validate_models(
        cat, plan=plan, tables=CVTables(X.drop(columns="tissue"), resp, t), predictions=True
    )
    folds = line_folds(X.index, 4, seed=0).reindex(X.index).to_numpy()
    by_hand = np.empty(len(y))
    for k in range(4):
        te = folds == k
        by_hand[te] = ResponseModel().fit(X[~te], y[~te]).predict(X[te])
    np.testing.assert_allclose(pred["chemorad"].to_numpy(), by_hand, rtol=1e-12)
