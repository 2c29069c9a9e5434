"""Scoring new samples against the bundle's tissue-matched reference lines (`profile.activities`)."""

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import catalog
from chemorad.evidence.scores import mechanism_scores
from chemorad.profile.activities import reference, sample_scores
from chemorad.profile.readers import Profile, from_cell_line


@pytest.fixture(scope="module")
def ref(shared_data):
    return reference(catalog(), shared_data)


@pytest.fixture(scope="module")
def bundle_scores(shared_data):
    return mechanism_scores(catalog(), shared_data)


def _lines(shared_data, k=2):
    lines = ds.cell_lines(shared_data)
    full = lines[(lines["n_datasets"] == lines["n_datasets"].max()) & lines["tissue"].notna()]
    return list(full.index[:k])


def test_bundle_line_scored_as_a_profile_equals_its_bundle_score(shared_data, ref, bundle_scores):
    """The same formula, the same reference: a bundle line scored through `sample_scores` gets its bundle score."""
    for name in _lines(shared_data):
        ss = sample_scores(catalog(), from_cell_line(name, shared_data), ref)
        got = ss.scores.loc[name]
        want = bundle_scores.scores.loc[name].reindex(got.index)
        np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-10, atol=1e-12)
        assert got.notna().sum() == want.notna().sum() > 20
        got_m = ss.markers.loc[name]
        want_m = bundle_scores.markers.loc[name].reindex(got_m.index)
        np.testing.assert_allclose(got_m.to_numpy(float), want_m.to_numpy(float), rtol=1e-10, atol=1e-12)


def test_bundle_reference_scores_equal_mechanism_scores(ref, bundle_scores):
    pd.testing.assert_frame_equal(ref.scores.sort_index(), bundle_scores.scores.sort_index(), check_like=True)
    pd.testing.assert_frame_equal(ref.markers.sort_index(), bundle_scores.markers.sort_index(), check_like=True)


def test_sample_at_its_tissue_means_scores_zero(shared_data, ref):
    """Expression equal to the tissue's reference mean gives marker z = 0 and so mechanism score 0 (closed form)."""
    tissue = ref.tissue.value_counts().index[0]
    lines = ref.tissue.index[ref.tissue == tissue]
    expr = ds.load_expression(data=shared_data)
    mean = expr.loc[expr.index.isin(lines)].mean().to_frame("NEW1").T.rename_axis("sample")
    prof = Profile(
        expression=mean,
        expression_scale="log",
        tissue=pd.DataFrame({"tissue": [tissue], "known": [True]}, index=pd.Index(["NEW1"], name="sample")),
    )
    ss = sample_scores(catalog(), prof, ref)
    cov = ss.coverage
    assert set(cov.loc[cov["status"] == "used", "layer"]) == {"expression"}
    expr_only = [
        mid
        for mid, grp in cov.groupby("mechanism")
        if (grp["status"] == "used").any() and (grp["layer"].isin(["expression", None]) | grp["layer"].isna()).all()
    ]
    values = ss.scores.loc["NEW1", [m for m in expr_only if m in ss.scores.columns]].dropna()
    assert len(values) > 5
    np.testing.assert_allclose(values.to_numpy(float), 0.0, atol=0.15)
    assert "reference =" in ss.notes[0] and repr(tissue) in ss.notes[0]


def test_coverage_substitutes_missing_and_unknown_tissue(shared_data, ref):
    """z-scored expression stands in for RMA levels (substitute), mutation markers are missing, and an unknown
    tissue is referenced to all lines."""
    z = ds.load_ccle_expression(data=shared_data)
    line = _lines(shared_data, 1)[0]
    prof = Profile(expression=z.loc[[line]].rename(index={line: "NEW2"}).rename_axis("sample"), expression_scale="z")
    ss = sample_scores(catalog(), prof, ref)
    cov = ss.coverage
    assert (cov["status"] == "substitute").any()
    assert (cov.loc[cov["status"] == "substitute", "layer"] == "ccle_expression").all()
    assert (cov.loc[cov["alteration"] == "loss_of_function_mutation", "status"].isin(["missing", "unusable"])).all()
    assert "tissue unknown" in ss.notes[0]
    assert ss.scores.loc["NEW2"].notna().sum() > 10


def test_the_reference_is_built_once_per_catalog_and_bundle_and_again_for_another_catalog(shared_data, ref):
    """A server's predictions reuse the bundle's reference (about 1 s to build); another catalog object gets its own,
    and only the last one is kept."""
    import copy

    from chemorad.profile import activities

    cat = catalog()
    first = reference(cat, shared_data)
    assert reference(cat, shared_data) is first
    other = reference(copy.copy(cat), shared_data)
    assert other is not first and other.raw.equals(first.raw)
    assert len(activities._MEMO) == 1
