"""The black-box baseline (`BoostedTrees`) and the hybrid (`ChainResidualRidge`) of `profile.estimators`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from chemorad.errors import ChemoradError
from chemorad.profile.estimators import CHAIN, BoostedTrees, ChainResidualRidge


@parametrize_with_checks([BoostedTrees(tissue_column=0, max_iter=20), BoostedTrees(tissue_column=None, max_iter=20)])
def test_boosted_trees_pass_sklearn_checks(estimator, check):
    check(estimator)


def _data(n: int = 300, seed: int = 0, b: float = 2.0):
    rng = np.random.default_rng(seed)
    genes = pd.DataFrame(rng.standard_normal((n, 30)), columns=[f"g{j}" for j in range(30)])
    genes["tissue"] = rng.choice(["lung", "skin"], n)
    chain = rng.standard_normal(n)
    y = 1.0 + b * chain + 0.8 * genes["g0"].to_numpy() + 0.3 * rng.standard_normal(n)
    return genes.assign(**{CHAIN: chain}), y


def test_hybrid_recovers_the_chain_scale_and_parts_add_up():
    """Parameter recovery: y = 1 + 2 c + 0.8 g0 + noise with c independent of the genes gives b near 2; the chain,
    residual and constant parts sum to the prediction; shares lie in [0, 1]."""
    X, y = _data()
    model = ChainResidualRidge().fit(X, y)
    assert model.b_ == pytest.approx(2.0, abs=0.1)
    Xt, yt = _data(100, seed=1)
    parts = model.parts(Xt)
    np.testing.assert_allclose(parts[["chain", "residual", "constant"]].sum(axis=1), model.predict(Xt))
    assert parts["mechanistic_share"].between(0, 1).all() and parts["mechanistic_share"].median() > 0.5
    assert np.corrcoef(model.predict(Xt), yt)[0, 1] > 0.9


def test_hybrid_with_an_uninformative_chain_gives_it_no_share():
    """A chain prediction unrelated to y gets b near 0, so the residual model carries the prediction."""
    X, y = _data(b=0.0)
    model = ChainResidualRidge().fit(X, y)
    assert abs(model.b_) < 0.1
    assert model.parts(X)["mechanistic_share"].median() < 0.2


def test_hybrid_without_chain_column_is_refused():
    X, y = _data()
    with pytest.raises(ChemoradError, match="'chain'"):
        ChainResidualRidge().fit(X.drop(columns=[CHAIN]), y)
