"""`activities.sample_scores` standardises all samples in one array operation: it must equal, bit for bit, the
row-by-row computation it replaced (kept here as the reference implementation), for bundle lines, several lines at
once, a sample with substitute layers and unknown tissue, and a sample with no usable value."""

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import catalog
from chemorad.evidence import scores as sc
from chemorad.profile import activities as act
from chemorad.profile.inputs import load_profile
from chemorad.profile.readers import Profile


def _rowwise(value, ref, tissue_ref, labels):
    """The former `_standardise`: one Series per sample."""
    means, overall, sd = sc.tissue_reference(ref, tissue_ref)
    rows = {}
    for sample, t in labels.items():
        mean = means.loc[t] if t is not None and t in means.index else pd.Series(np.nan, index=ref.columns)
        rows[sample] = (value.loc[sample] - mean.fillna(overall)) / sd
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=ref.columns)


def _rowwise_scores(cat, profile, ref):
    """The former tail of `sample_scores` (mechanism raw scores per mechanism id), on `raw_markers`' output."""
    labels, _ = act.reference_labels(profile, ref)
    raw, ref_raw, cov = act.raw_markers(cat, profile, ref)
    z = _rowwise(raw, ref_raw.reindex(columns=raw.columns), ref.tissue, labels)
    measured = cov[cov["status"].isin(["used", "substitute"])]
    z_long = z.stack(future_stack=True).rename("z")
    z_long.index = z_long.index.set_names(["sample", "feature"])
    picked = measured.join(z_long, on=["sample", "feature"])
    per_mech = picked.drop_duplicates(["sample", "mechanism", "feature"]).groupby(["mechanism", "sample"])["z"].mean()
    mech_raw = pd.DataFrame(
        {m: per_mech.get(m, pd.Series(dtype=float)).reindex(labels.index) for m in ref.mech_raw.columns},
        index=labels.index,
    ).astype(float)
    return _rowwise(mech_raw, ref.mech_raw, ref.tissue, labels)


@pytest.fixture(scope="module")
def ref(shared_data):
    return act.reference(catalog(), shared_data)


def _profiles(shared_data):
    lines = ds.cell_lines(shared_data)
    known = lines.index[lines["tissue"].notna() & lines["in_expression"]]
    unknown = lines.index[lines["tissue"].isna() & lines["in_expression"]]
    yield load_profile(cell_lines=["FADU"], data=shared_data)
    yield load_profile(cell_lines=[*known[::60][:8], unknown[0]], data=shared_data)
    z = ds.load_ccle_expression(data=shared_data)
    line = z.index[0]
    yield Profile(expression=z.loc[[line]].rename(index={line: "NEW"}).rename_axis("sample"), expression_scale="z")
    empty = pd.DataFrame({"NOTAGENE": [1.0]}, index=pd.Index(["EMPTY"], name="sample"))
    yield Profile(expression=empty, expression_scale="log")


def test_sample_scores_equal_the_row_by_row_computation(shared_data, ref):
    cat = catalog()
    for prof in _profiles(shared_data):
        got = act.sample_scores(cat, prof, ref)
        pd.testing.assert_frame_equal(got.scores, _rowwise_scores(cat, prof, ref), check_exact=True)
        labels, _ = act.reference_labels(prof, ref)
        raw, ref_raw, _ = act.raw_markers(cat, prof, ref)
        pd.testing.assert_frame_equal(
            act._standardise(raw, ref_raw.reindex(columns=raw.columns), ref.tissue, labels),
            _rowwise(raw, ref_raw.reindex(columns=raw.columns), ref.tissue, labels),
            check_exact=True,
        )
