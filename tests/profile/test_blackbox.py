"""`profile.blackbox.BlackBoxResponse`: boosted trees read like the marker ridge (intervals, percentiles, terms)."""

import numpy as np
import pandas as pd
import pytest

from chemorad.errors import ChemoradError
from chemorad.profile.blackbox import UNATTRIBUTED, BlackBoxResponse
from chemorad.profile.fitted_state import NotStorable, to_state


def _synthetic(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    X["tissue"] = rng.choice(["lung", "skin"], n)
    y = np.where(X["a"] > 0, 2.0, 0.0) + (X["tissue"] == "lung") + 0.5 * rng.standard_normal(n)
    return X, y


@pytest.fixture(scope="module")
def model():
    X, y = _synthetic(300, 0)
    return BlackBoxResponse().fit(X, y)


def test_terms_sum_to_the_prediction_and_markers_get_nothing(model):
    X, _ = _synthetic(50, 1)
    iv, parts = model.explain(X, 0.8)
    np.testing.assert_allclose(parts.sum(axis=1).to_numpy(), model.predict(X), rtol=1e-12)
    np.testing.assert_allclose(iv["prediction"].to_numpy(), model.predict(X), rtol=1e-12)
    assert (parts[["a", "b", "c", "missingness"]] == 0).all().all()
    assert list(model.score_names_) == ["a", "b", "c", UNATTRIBUTED]
    # the tissue term is the training tissue mean minus the overall mean
    lung = model.tissue_effects_["lung"]
    assert lung == pytest.approx(model.y_train_[model.tissue_train_ == "lung"].mean() - model.y_train_.mean())


def test_intervals_cover_held_out_lines_near_their_level(model):
    """Fresh lines from the same process: the 80% intervals hold 70-90% of them (n = 400), and an unseen tissue's
    interval is at least as wide."""
    X, y = _synthetic(400, 2)
    iv = model.predict_interval(X, 0.8)
    inside = ((iv["lower"] <= y) & (y <= iv["upper"])).mean()
    assert 0.7 <= inside <= 0.9
    X.loc[0, "tissue"] = "bone"
    iv = model.predict_interval(X, 0.8)
    assert iv["unseen_tissue"].iloc[0] and not iv["unseen_tissue"].iloc[1]
    assert (iv["upper"] - iv["lower"]).iloc[0] >= (iv["upper"] - iv["lower"]).iloc[1]


def test_percentiles_and_refusals(model):
    pct = model.percentile_in_tissue(pd.Series([-100.0, 100.0]), ["lung", "moon"])
    assert pct["percentile"].tolist() == [0.0, 100.0] and pct["reference"].iloc[1].startswith("all lines")
    with pytest.raises(NotStorable, match="model_"):
        to_state(model, "m.", {})
    X, y = _synthetic(30, 3)
    with pytest.raises(ChemoradError, match="cv"):
        BlackBoxResponse(cv=1).fit(X, y)
    with pytest.raises(ChemoradError, match="base: unknown 'forest'"):
        BlackBoxResponse(base="forest").fit(X, y)
