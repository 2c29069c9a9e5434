"""`profile.predictor.ProfilePredictor`: fitted once, stored as data, honest for bundle lines, rebuilt when stale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import catalog
from chemorad.errors import ChemoradError
from chemorad.profile import fitted as pf
from chemorad.profile import predictor as pr
from chemorad.profile.estimators import ResponseModel
from chemorad.profile.fitted_state import NotStorable, from_state, to_state
from chemorad.profile.predict import predict_with
from chemorad.profile.readers import from_cell_line

RADIATION = ["radiotherapy"]
COL = "yard|radiotherapy|auc"


def _synthetic(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.standard_normal((120, 4)), columns=["a", "b", "c", "d"])
    X.loc[rng.random(120) < 0.2, "c"] = np.nan  # a missingness pattern, so indicators may be fitted
    X["tissue"] = rng.choice(["lung", "skin", "bone"], 120)
    y = 1.5 * X["a"].to_numpy() - X["b"].to_numpy() + (X["tissue"] == "lung") + rng.standard_normal(120)
    return X, y


def test_state_round_trip_gives_identical_predictions():
    """A ResponseModel stored as arrays + JSON and rebuilt predicts, explains and intervals exactly as before; the
    stored arrays are plain numbers (an archive readable with allow_pickle=False)."""
    X, y = _synthetic()
    model = ResponseModel().fit(X, y)
    strings: dict = {}
    arrays, desc = to_state(model, "m.", strings)
    assert all(a.dtype.kind in "biuf" for a in arrays.values())
    back = from_state(pf.ESTIMATORS, arrays, "m.", desc, list(strings))
    Xt, _ = _synthetic(1)
    Xt.loc[0, "tissue"] = "brain"  # unseen tissue: the wider interval path
    for a, b in zip(model.explain(Xt, 0.8), back.explain(Xt, 0.8), strict=True):
        pd.testing.assert_frame_equal(a, b)
    np.testing.assert_array_equal(
        model.percentile_in_tissue(model.predict(Xt), Xt["tissue"]).to_numpy(),
        back.percentile_in_tissue(back.predict(Xt), Xt["tissue"]).to_numpy(),
    )


def test_an_attribute_that_is_not_data_is_refused():
    X, y = _synthetic()
    model = ResponseModel().fit(X, y)
    model.hook_ = print
    with pytest.raises(NotStorable, match="hook_"):
        to_state(model, "m.", {})


def test_unknown_estimator_names_the_closest():
    with pytest.raises(ChemoradError, match="unknown estimator 'markers'; closest: marker"):
        pf.estimator_class("markers")


@pytest.fixture(scope="module")
def line(shared_data) -> str:
    from chemorad.evidence.responses import responses

    resp = responses(catalog(), shared_data)
    return str(resp[COL].dropna().index[0])


def test_a_bundle_line_prediction_ignores_its_own_response(shared_data, line, monkeypatch):
    """Changing a bundle line's own radiation response leaves its prediction exactly unchanged (its fold's models never
    saw it), while the full models, which did see it, move: the check can fail."""
    from chemorad.evidence import responses as rmod

    cat = catalog()
    prof = from_cell_line(line, shared_data)
    before = pr.ProfilePredictor(cat, therapies=RADIATION).fit(shared_data)
    original = rmod.responses

    def altered(cat_, data=None):
        out = original(cat_, data).copy()
        out.loc[line, COL] = out.loc[line, COL] + 5.0
        return out

    monkeypatch.setattr(rmod, "responses", altered)
    after = pr.ProfilePredictor(cat, therapies=RADIATION).fit(shared_data)

    def value(p) -> float:
        rec = p.predict(prof, shared_data).records
        return float(rec.loc[rec["column"] == COL, "predicted"].iloc[0])

    assert value(after) == value(before)
    seen = before.full_[COL].predict(_row(prof, before, shared_data))
    assert seen != after.full_[COL].predict(_row(prof, after, shared_data))
    assert any(line in n and "never saw" in n for n in before.predict(prof, shared_data).notes)


def _row(prof, fitted, data) -> pd.DataFrame:
    """The profile's model input (marker features and tissue), as `predict.predict_with` builds it."""
    from chemorad.profile.activities import reference, sample_scores
    from chemorad.profile.training import with_tissue

    ss = sample_scores(fitted.cat, prof, reference(fitted.cat, data))
    return with_tissue(ss.markers, ss.tissue).reindex(columns=fitted.full_[COL].feature_names_in_)


def test_stored_state_is_reused_and_a_bad_one_rebuilt(shared_data, line, tmp_path, capsys, monkeypatch):
    """First call fits and stores; the next (a new process: memory cleared) reads the archive silently with the same
    predictions; a damaged archive or one whose key no longer matches is refitted with a one-line notice."""
    cat = catalog()
    prof = from_cell_line(line, shared_data)

    def fitted():
        pf._MEMO.clear()
        return pr.fitted_predictor(cat, shared_data, therapies=RADIATION, cache_dir=tmp_path)

    first = fitted().predict(prof, shared_data).records
    stored = list(tmp_path.glob("predictor-marker-*.npz"))
    assert len(stored) == 1
    capsys.readouterr()
    again = fitted().predict(prof, shared_data).records
    assert capsys.readouterr().err == ""
    pd.testing.assert_series_equal(first["predicted"], again["predicted"])

    stored[0].write_bytes(b"not an archive")
    fitted()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is corrupt" in err[0] and "refitting" in err[0]

    monkeypatch.setattr(pf, "code_hash", lambda: "another version")
    fitted()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is stale" in err[0]
    assert ds.data_dir(shared_data).exists()


def test_a_subset_is_fitted_alone_and_predicts_as_a_larger_state(shared_data, line, tmp_path):
    """Without a stored predictor of every therapy, a request for some therapies fits only theirs; a predictor in
    memory that covers a later request serves it; and each column's predictions are the same from a state of one
    therapy as from a state of more (every column's models are fitted alone)."""
    cat = catalog()
    prof = from_cell_line(line, shared_data)
    pf._MEMO.clear()
    both = pr.fitted_predictor(cat, shared_data, therapies=["cisplatin", *RADIATION], cache_dir=tmp_path)
    assert set(both.full_.therapy.values()) == {"cisplatin", "radiotherapy"}
    assert pr.fitted_predictor(cat, shared_data, therapies=RADIATION, cache_dir=tmp_path) is both
    pf._MEMO.clear()
    alone = pr.fitted_predictor(cat, shared_data, therapies=RADIATION, cache_dir=tmp_path)
    assert alone is not both and set(alone.full_.therapy.values()) == {"radiotherapy"}
    a = alone.predict(prof, shared_data, therapies=RADIATION).records.set_index("column")["predicted"]
    b = both.predict(prof, shared_data, therapies=RADIATION).records.set_index("column")["predicted"]
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index())


NEW_ESTIMATORS = ["gene", "chain", "hybrid", "stacked", "sklearn.linear_model:Ridge"]


@pytest.mark.parametrize("estimator", NEW_ESTIMATORS)
def test_every_estimator_keeps_a_bundle_line_honest_and_stores_as_data(shared_data, line, estimator, monkeypatch):
    """For each estimator beyond the marker ridge: changing a bundle line's own radiation response leaves its
    prediction unchanged (its fold's models never saw it) while the full models move (the check can fail); the
    models stored as data (`to_bytes` / `from_bytes`, allow_pickle=False) predict exactly as before, and a user's
    regressor, which is not data, is refused by the storage (kept in memory). (The session's cache folder keeps the
    first fit for the CLI tests of the same estimator.)"""
    from chemorad.evidence import responses as rmod
    from chemorad.profile.activities import reference, sample_scores
    from chemorad.profile.model_inputs import inputs_of, sample_table
    from chemorad.profile.training import for_therapy, with_tissue

    cat = catalog()
    prof = from_cell_line(line, shared_data)
    ref = reference(cat, shared_data)
    ss = sample_scores(cat, prof, ref)
    pf._MEMO.clear()
    before = pf.fitted_models(cat, shared_data, estimator, therapies=RADIATION)
    original = rmod.responses

    def altered(cat_, data=None):
        out = original(cat_, data).copy()
        out.loc[line, COL] = out.loc[line, COL] + 5.0
        return out

    monkeypatch.setattr(rmod, "responses", altered)
    after = pf.FittedModels(cat, estimator, therapies=RADIATION).fit(shared_data)
    monkeypatch.setattr(rmod, "responses", original)

    def records(p) -> pd.DataFrame:
        return predict_with(p, prof, shared_data, scores=(ref, ss)).records

    def value(rec: pd.DataFrame) -> float:
        return float(rec.loc[rec["column"] == COL, "predicted"].iloc[0])

    rec = records(before)
    assert value(records(after)) == value(rec)

    X, _ = sample_table(cat, prof, ss, inputs_of(pf.estimator_class(estimator)), RADIATION)
    Xm = with_tissue(for_therapy(X, "radiotherapy"), ss.tissue)
    full = [float(p.full_[COL].predict(Xm.reindex(columns=p.full_[COL].feature_names_in_))[0]) for p in (before, after)]
    assert full[0] != full[1]
    if ":" in estimator:
        with pytest.raises(NotStorable):
            before.to_bytes()
        return
    back = pf.FittedModels.from_bytes(cat, before.to_bytes(), before.key_)
    pd.testing.assert_frame_equal(rec, records(back))
    if estimator in ("chain", "hybrid", "stacked"):
        assert rec.loc[rec["dataset"] == "yard", "mechanistic_share"].between(0, 1).all()
