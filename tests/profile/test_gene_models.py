"""`profile.gene_models` (gene ridge, calibrated chain, hybrid, stack) and `blackbox.user_regressor`, on synthetic
data: parameter recovery, exact leave-one-out, parts that add up, storage as data and the errors of a bad
``module:Class``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from chemorad.errors import ChemoradError
from chemorad.profile import fitted as pf
from chemorad.profile.blackbox import BlackBoxResponse, user_regressor
from chemorad.profile.estimators import CHAIN
from chemorad.profile.fitted_state import from_state, to_state
from chemorad.profile.gene_models import (
    CHAIN_TERM,
    GENE,
    OTHER_GENES,
    ChainResponse,
    GeneRidgeResponse,
    HybridResponse,
    StackedResponse,
)


def _data(n: int = 240, seed: int = 0, b_chain: float = 1.0, b_gene: float = 0.8, b_marker: float = 0.5):
    """X: 40 genes, 4 markers (one column NaN in 20% of lines), the chain and a tissue; y = 1 + b_chain c +
    b_gene g0 + b_marker m1 + noise 0.3."""
    rng = np.random.default_rng(seed)
    genes = pd.DataFrame(rng.standard_normal((n, 40)), columns=[f"{GENE}G{j}" for j in range(40)])
    markers = pd.DataFrame(rng.standard_normal((n, 4)), columns=[f"M{j} [expression]" for j in range(4)])
    c = rng.standard_normal(n)
    y = 1.0 + b_chain * c + b_gene * genes[f"{GENE}G0"].to_numpy() + b_marker * markers["M1 [expression]"].to_numpy()
    y = y + 0.3 * rng.standard_normal(n)
    markers.loc[rng.random(n) < 0.2, "M3 [expression]"] = np.nan
    X = pd.concat([genes, markers], axis=1).assign(**{CHAIN: c})
    X["tissue"] = rng.choice(["lung", "skin", "bone"], n)
    return X, y


def _cols(X: pd.DataFrame, *kinds: str) -> list[str]:
    out = []
    if "genes" in kinds:
        out += [c for c in X.columns if c.startswith(GENE)]
    if "markers" in kinds:
        out += [c for c in X.columns if c.endswith("]")]
    if "chain" in kinds:
        out.append(CHAIN)
    return [*out, "tissue"]


MODELS = [
    (GeneRidgeResponse, ("genes",)),
    (ChainResponse, ("chain",)),
    (HybridResponse, ("genes", "chain")),
    (StackedResponse, ("markers", "genes", "chain")),
]


@pytest.mark.parametrize(("cls", "kinds"), MODELS)
def test_parts_add_up_and_intervals_hold_the_prediction(cls, kinds):
    """Every model's attribution columns sum to its prediction; the interval contains it; an unseen tissue is
    flagged; the declared inputs are the ones used."""
    assert cls.inputs == tuple(k for k in ("markers", "genes", "chain") if k in kinds)
    X, y = _data()
    cols = _cols(X, *kinds)
    model = cls().fit(X[cols].iloc[:200], y[:200])
    Xt = X[cols].iloc[200:].copy()
    Xt.iloc[0, Xt.columns.get_loc("tissue")] = "brain"
    iv, parts = model.explain(Xt, 0.8)
    np.testing.assert_allclose(parts.sum(axis=1).to_numpy(), iv["prediction"].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(model.predict(Xt), iv["prediction"].to_numpy(), atol=1e-10)
    assert (iv["lower"] <= iv["prediction"]).all() and (iv["prediction"] <= iv["upper"]).all()
    assert iv["unseen_tissue"].tolist() == [True] + [False] * (len(Xt) - 1)
    assert list(parts.columns[-3:]) == ["missingness", "tissue", "intercept"]
    assert len(parts.columns) == len(model.score_names_) + 3
    pct = model.percentile_in_tissue(pd.Series(iv["prediction"].to_numpy()), Xt["tissue"])
    assert pct["percentile"].between(0, 100).all()


def test_gene_ridge_names_the_signal_gene_first():
    """With y driven by one gene, that gene has the largest |coef| and is the first gene term; the others are summed
    in `OTHER_GENES`."""
    X, y = _data(b_chain=0.0, b_marker=0.0, b_gene=2.0)
    model = GeneRidgeResponse(n_gene_terms=5).fit(X[_cols(X, "genes")], y)
    assert list(model.score_names_[:1]) == [f"{GENE}G0"] and model.score_names_[-1] == OTHER_GENES
    assert len(model.score_names_) == 6


def test_gene_ridge_leave_one_out_residuals_exceed_the_in_sample_ones():
    """The closed-form leave-one-out residual is the in-sample residual / (1 - h_ii), 0 < h_ii < 1: never smaller."""
    X, y = _data()
    Xg = X[_cols(X, "genes")]
    model = GeneRidgeResponse().fit(Xg, y)
    inside = y - model.predict(Xg)
    assert (np.abs(model.loo_residuals_) >= np.abs(inside) - 1e-9).all()
    assert np.sign(model.loo_residuals_).tolist() == np.sign(inside).tolist()


def test_chain_response_recovers_its_line_and_exact_leave_one_out():
    """y = 1 + 2 c + noise: b near 2, a near 1; the closed-form leave-one-out residual equals a refit without the
    line (ordinary least squares: exact)."""
    X, y = _data(b_chain=2.0, b_gene=0.0, b_marker=0.0)
    Xc = X[[CHAIN, "tissue"]]
    model = ChainResponse().fit(Xc, y)
    assert model.b_ == pytest.approx(2.0, abs=0.1) and model.a_ == pytest.approx(1.0, abs=0.1)
    for i in (0, 17, 101):
        keep = np.arange(len(y)) != i
        refit = ChainResponse().fit(Xc.iloc[keep], y[keep])
        assert y[i] - refit.predict(Xc.iloc[[i]])[0] == pytest.approx(model.loo_residuals_[i], rel=1e-9)
    iv, parts = model.explain(Xc)
    assert list(parts.columns) == [CHAIN_TERM, "missingness", "tissue", "intercept"]
    assert set(iv["mechanistic_share"].unique()) <= {0.0, 1.0}


def test_stack_weights_follow_the_informative_block():
    """Non-negative weights; a chain that carries the signal (y = 1 + 2 c + noise) gets weight 2 and a large share,
    an uninformative one a weight near 0 and a share near 0."""
    X, y = _data(b_chain=2.0, b_gene=0.0, b_marker=0.0)
    model = StackedResponse().fit(X, y)
    assert (model.weights_ >= 0).all() and model.blocks_ == ["chain", "markers", "genes"]
    assert model.weight("chain") == pytest.approx(2.0, abs=0.15)  # the slope of y on the unscaled chain
    assert model.explain(X)[0]["mechanistic_share"].median() > 0.5
    X, y = _data(b_chain=0.0)
    model = StackedResponse().fit(X, y)
    assert model.weight("chain") < 0.1
    assert model.explain(X)[0]["mechanistic_share"].median() < 0.1


def test_stack_without_a_chain_stacks_the_ridges():
    X, y = _data()
    X = X.drop(columns=[CHAIN])
    model = StackedResponse().fit(X, y)
    assert model.blocks_ == ["markers", "genes"] and model.weight("chain") == 0.0
    assert (model.explain(X)[0]["mechanistic_share"] == 0).all()


@pytest.mark.parametrize(("cls", "kinds"), MODELS)
def test_storage_round_trip_including_nested_ridges(cls, kinds):
    """Stored as arrays + JSON (the stack's two ridges and the hybrid's residual ridge nested under their own
    prefix) and rebuilt, each model explains exactly as before; the arrays are plain numbers."""
    X, y = _data()
    cols = _cols(X, *kinds)
    model = cls().fit(X[cols].iloc[:200], y[:200])
    strings: dict = {}
    arrays, desc = to_state(model, "m.", strings, pf.nested_classes())
    assert all(a.dtype.kind in "biuf" for a in arrays.values())
    back = from_state(pf.ESTIMATORS, arrays, "m.", desc, list(strings))
    Xt = X[cols].iloc[200:]
    for a, b in zip(model.explain(Xt, 0.8), back.explain(Xt, 0.8), strict=True):
        pd.testing.assert_frame_equal(a, b)


@parametrize_with_checks([GeneRidgeResponse(tissue_column=None)])
def test_gene_ridge_passes_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonexistent_module_xyz:Thing", "cannot import module 'nonexistent_module_xyz'"),
        ("sklearn.linear_model:NoSuchRegressor", "has no 'NoSuchRegressor'"),
        ("sklearn.preprocessing:StandardScaler", "not a scikit-learn regressor"),
        ("sklearn.linear_model:LinearRegression.fit", "has no"),
        ("math:pi", "is not a class"),
        ("sklearn.linear_model:", "expected an estimator name or module:Class"),
    ],
)
def test_a_bad_user_regressor_is_one_line_naming_it(spec, message):
    with pytest.raises(ChemoradError, match=message) as err:
        pf.estimator_class(spec)
    assert spec in str(err.value) and "\n" not in str(err.value)


def test_a_user_regressor_is_fitted_behind_tissue_encoding_and_not_stored():
    """sklearn.linear_model:Ridge through `BlackBoxResponse`: fits markers with NaN and a tissue (one unseen, one
    missing), reports the black-box attribution, and is refused by the storage (kept in memory)."""
    from chemorad.profile.fitted_state import NotStorable

    assert user_regressor("sklearn.linear_model:Ridge").__name__ == "Ridge"
    X, y = _data()
    cols = _cols(X, "markers")
    model = pf.estimator_class("sklearn.linear_model:Ridge")().fit(X[cols].iloc[:200], y[:200])
    assert isinstance(model, BlackBoxResponse)
    Xt = X[cols].iloc[200:].copy()
    Xt.iloc[0, Xt.columns.get_loc("tissue")] = "brain"
    Xt.iloc[1, Xt.columns.get_loc("tissue")] = None
    iv, parts = model.explain(Xt)
    np.testing.assert_allclose(parts.sum(axis=1).to_numpy(), iv["prediction"].to_numpy(), atol=1e-10)
    assert np.corrcoef(iv["prediction"], y[200:])[0, 1] > 0.3
    with pytest.raises(NotStorable):
        to_state(model, "m.", {}, pf.nested_classes())
