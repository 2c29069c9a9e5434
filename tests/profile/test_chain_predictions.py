"""The chain's view of a profile for every therapy at once (`selection.chain_predictions`, `predict._chain_rf`) gives
exactly the numbers of the straightforward computation: per therapy, a phenotype built column by column and its own
bisection (`chain.survival.dose_for_survival`, itself checked against `survival` at every step in
tests/chain/test_dose_response.py). Bit for bit (assert_array_equal), on score tables drawn with NaN (missing scores),
negative scores, columns that are not catalog mechanisms and one or several samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from chemorad.catalog import catalog
from chemorad.chain.phenotype import phenotype
from chemorad.chain.survival import dose_for_survival
from chemorad.errors import ChemoradError
from chemorad.evidence.scores import SD_PER_ACTIVITY
from chemorad.profile import predict as pp
from chemorad.profile.selection import chain_prediction, chain_predictions

CAT = catalog()
MECHANISMS = list(CAT.mechanisms)
THERAPIES = list(CAT.therapies)


def ln_d50_column_by_column(therapy: str, scores: pd.DataFrame) -> np.ndarray:
    """The straightforward computation: activities read column by column, one bisection for this therapy."""
    known = [c for c in scores.columns if c in CAT.mechanisms]
    acts = {m: np.nan_to_num(scores[m].to_numpy(dtype=float), nan=0.0) for m in known}
    return np.log(dose_for_survival(CAT, therapy, 0.5, phenotype(CAT, acts, n=len(scores))))


@st.composite
def score_tables(draw):
    n = draw(st.integers(1, 4))
    columns = draw(st.lists(st.sampled_from(MECHANISMS), min_size=1, max_size=25, unique=True))
    value = st.sampled_from([np.nan, 0.0, -4.5, -1.2, 0.3, 2.0, 6.0]) | st.floats(-6.0, 6.0)
    data = {c: draw(st.lists(value, min_size=n, max_size=n)) for c in columns}
    table = pd.DataFrame(data, index=[f"s{i}" for i in range(n)])
    if draw(st.booleans()):  # a column the catalog does not know is ignored
        table.insert(0, "not_a_mechanism", 1.0)
    return table


@settings(max_examples=25, deadline=None)
@given(score_tables(), st.lists(st.sampled_from(THERAPIES), min_size=1, max_size=8, unique=True))
def test_all_therapies_at_once_equal_one_by_one_bit_for_bit(scores, therapies) -> None:
    got = chain_predictions(CAT, therapies, scores)
    assert list(got.columns) == therapies and list(got.index) == list(scores.index)
    for t in therapies:
        want = ln_d50_column_by_column(t, scores)
        assert_array_equal(got[t].to_numpy(), want)
        assert_array_equal(chain_prediction(CAT, t, scores).to_numpy(), want)


@settings(max_examples=15, deadline=None)
@given(score_tables())
def test_resistance_factors_of_every_therapy_equal_the_per_therapy_ratio(scores) -> None:
    """D50(sample) / D50(reference cell), the reference cell riding as the last row, as the per-therapy code did."""
    rf = pp._chain_rf(CAT, THERAPIES, scores)
    both = pd.concat([scores / SD_PER_ACTIVITY, pd.DataFrame(np.nan, index=[0], columns=scores.columns)])
    for j, t in enumerate(THERAPIES):
        ln_d50 = ln_d50_column_by_column(t, both)
        assert_array_equal(rf[:, j], np.exp(ln_d50[:-1] - ln_d50[-1]))


def test_a_therapy_the_chain_cannot_dose_is_nan_and_the_others_unchanged() -> None:
    scores = pd.DataFrame({"efflux_abcb1": [1.0, np.nan], "hypoxia_oxygen_effect": [-0.5, 2.0]})
    got = chain_predictions(CAT, ["cisplatin", "no_such_drug", "radiotherapy"], scores)
    assert got["no_such_drug"].isna().all()
    for t in ("cisplatin", "radiotherapy"):
        assert_array_equal(got[t].to_numpy(), ln_d50_column_by_column(t, scores))
    with pytest.raises(ChemoradError, match="no_such_drug"):
        chain_prediction(CAT, "no_such_drug", scores)


def hypoxic_dmf_row_by_row(activities: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The straightforward DMF: a phenotype built row by row from dicts, k at each pO2 in its own call."""
    from chemorad.chain.specificity import conditions
    from chemorad.chain.survival import Environment, radiation_dose_factor

    cond = conditions(CAT)
    nonzero = [m for m, v in activities.items() if v != 0 and np.isfinite(v)]
    rows = [dict(activities)] + [{**activities, m: 0.0} for m in nonzero]
    ph = phenotype(CAT, {m: np.array([r.get(m, 0.0) for r in rows]) for m in activities}, n=len(rows))
    oxic = radiation_dose_factor(CAT, "radiotherapy", ph, Environment(po2_mmhg=cond["oxic"]))
    hypoxic = radiation_dose_factor(CAT, "radiotherapy", ph, Environment(po2_mmhg=cond["hypoxic"]))
    dmf = oxic / hypoxic
    delta = {m: float(np.log(dmf[0]) - np.log(dmf[1 + k])) for k, m in enumerate(nonzero)}
    return float(dmf[0]), {m: d for m, d in delta.items() if abs(d) > 1e-9}


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(MECHANISMS), st.sampled_from([0.0, -2.0, -0.4, 0.7, 3.0]) | st.floats(-3, 3)))
def test_hypoxic_dmf_equals_the_row_by_row_computation(activities) -> None:
    assert pp.hypoxic_dmf(CAT, activities) == hypoxic_dmf_row_by_row(activities)


def test_dmf_records_read_the_scores_as_before() -> None:
    """`_dmf_records` reads the score table once; each sample's activities are its finite scores / SD_PER_ACTIVITY."""
    scores = pd.DataFrame(
        {"hypoxia_oxygen_effect": [1.5, np.nan, -0.6], "not_a_mechanism": 2.0, "efflux_abcb1": [0.0, 3.0, np.nan]},
        index=["a", "b", "c"],
    )
    records = pp._dmf_records(CAT, scores, pd.Series({"a": "lung"}))
    for rec, (sample, row) in zip(records.to_dict("records"), scores.iterrows(), strict=True):
        acts = {m: float(v) / SD_PER_ACTIVITY for m, v in row.items() if m in CAT.mechanisms and np.isfinite(v)}
        dmf, delta = hypoxic_dmf_row_by_row(acts)
        assert rec["sample"] == sample and rec["predicted"] == dmf
        assert rec["top_mechanisms"] == pp._top(pd.Series(delta, dtype=float), set(delta))
