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


def test_boosted_models_through_the_predict_path(shared_data):
    """`--estimator boosted`'s models give records whose terms sum to the prediction, inside their interval, with the
    black box's share named as such (no catalog link) in the top terms. The models are fitted once on all lines
    (no folds: this checks the reading path, the folds are `test_predictor`'s)."""
    from chemorad.bundle import datasets as ds
    from chemorad.catalog.load import catalog
    from chemorad.evidence.responses import responses
    from chemorad.profile.activities import reference
    from chemorad.profile.predictor import ProfilePredictor
    from chemorad.profile.readers import from_cell_line
    from chemorad.profile.training import fit_all

    cat = catalog()
    ref = reference(cat, shared_data)
    tables = (ref.markers.dropna(how="all"), responses(cat, shared_data), ref.tissue)
    pred = ProfilePredictor(cat, "boosted", therapies=["radiotherapy"])
    pred.full_ = fit_all(cat, shared_data, therapies=["radiotherapy"], tables=tables, estimator=BlackBoxResponse)
    pred.folds_, pred.fold_of_ = [], pd.Series(dtype=int)  # every sample by the full models
    lines = ds.cell_lines(shared_data)
    line = str(lines[(lines["n_datasets"] == lines["n_datasets"].max()) & lines["tissue"].notna()].index[0])
    out = pred.predict(from_cell_line(line, shared_data), shared_data)
    rec = out.records[out.records["dataset"] != "chain"]
    assert set(rec["column"]) == set(pred.full_) and len(rec) >= 1
    assert ((rec["interval_low"] <= rec["predicted"]) & (rec["predicted"] <= rec["interval_high"])).all()
    sums = out.attributions.groupby("column")["contribution"].sum().reindex(rec["column"])
    np.testing.assert_allclose(sums.to_numpy(), rec["predicted"].to_numpy(), rtol=1e-9)
    for top in rec["top_mechanisms"]:
        names = {t["mechanism"]: t["catalog_link"] for t in top}
        assert names.get(UNATTRIBUTED) is False
