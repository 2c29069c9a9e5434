"""Predictions for a profile (`profile.predict`): intervals, attributions, the chain's view, flags."""

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import catalog
from chemorad.chain.radiation import oer
from chemorad.profile import predict as pp
from chemorad.profile.readers import from_cell_line


@pytest.fixture(scope="module")
def line(shared_data):
    lines = ds.cell_lines(shared_data)
    full = lines[(lines["n_datasets"] == lines["n_datasets"].max()) & lines["tissue"].notna()]
    return str(full.index[0])


@pytest.fixture(scope="module")
def result(shared_data, line):
    return pp.predict_profile(
        catalog(), from_cell_line(line, shared_data), shared_data, therapies=["cisplatin", "radiotherapy"]
    )


def test_records_are_complete_and_consistent(result, line):
    rec = result.records
    fitted = rec[rec["dataset"] != "chain"]
    assert set(fitted["therapy"]) == {"cisplatin", "radiotherapy"}
    assert {"yard|radiotherapy|auc", "yard|radiotherapy|sf2"} <= set(fitted["column"])
    assert (fitted["sample"] == line).all()
    assert (fitted["interval_low"] <= fitted["predicted"]).all() and (
        fitted["predicted"] <= fitted["interval_high"]
    ).all()
    assert fitted["percentile_in_tissue"].between(0, 100).all()
    for top in fitted["top_mechanisms"]:
        assert 0 < len(top) <= pp.TOP
        sizes = [abs(t["contribution"]) for t in top]
        assert sizes == sorted(sizes, reverse=True)


def test_attributions_sum_to_the_prediction(result):
    """By marker and by mechanism (markers shared between mechanisms split equally) the terms add up exactly."""
    rec = result.records[result.records["dataset"] != "chain"].set_index(["sample", "column"])["predicted"]
    for table in (result.attributions, result.marker_attributions):
        sums = table.groupby(["sample", "column"])["contribution"].sum()
        np.testing.assert_allclose(sums.reindex(rec.index).to_numpy(), rec.to_numpy(), rtol=1e-12)
    terms = set(result.attributions["term"]) - {"missingness", "tissue", "intercept"}
    assert terms <= set(catalog().mechanisms)
    top = result.records.iloc[0]["top_mechanisms"][0]
    assert top["markers"] and all(f in set(result.marker_attributions["term"]) for f in top["markers"])


def test_the_sample_is_predicted_by_models_without_its_fold(result, line, shared_data):
    """A bundle line is predicted by the models fitted without its cross-fitting fold: one model per column, the
    line's fold's lines absent from its training responses."""
    from chemorad.profile.fitted import fitted_models

    fitted = fitted_models(catalog(), shared_data, therapies=["cisplatin", "radiotherapy"])  # the memo's
    models = result.models[line]
    fold = int(fitted.fold_of_[line])
    assert set(models) == {c for c, t in fitted.folds_[fold].therapy.items() if t in {"cisplatin", "radiotherapy"}}
    for col, model in models.items():
        assert model is fitted.folds_[fold][col]
        assert model.n_train_ < fitted.full_[col].n_train_
    assert any(line in n and "never saw" in n for n in result.notes)


def test_reference_cell_hypoxic_dmf_is_the_oer_ratio():
    """With no mechanism active the chain's hypoxic DMF is OER(0.5 mmHg) / OER(40 mmHg) (Alper & Howard-Flanders
    1956, Nature 178:978; oer_max 3, K 3 mmHg): 2.2248."""
    dmf, drivers = pp.hypoxic_dmf(catalog(), {})
    assert dmf == pytest.approx(float(oer(0.5) / oer(40.0)), rel=1e-9)
    assert dmf == pytest.approx(2.2248, abs=1e-4)
    assert drivers == {}


def test_hypoxia_mechanism_drives_the_dmf():
    dmf, drivers = pp.hypoxic_dmf(catalog(), {"hypoxia_oxygen_effect": 1.0, "efflux_abcb1": 1.0})
    assert "efflux_abcb1" not in drivers  # a pump does not touch radiation
    assert "hypoxia_oxygen_effect" in drivers and dmf != pytest.approx(2.2248, abs=1e-4)


def test_direction_and_disagreement_rules():
    assert pp._direction(0.3, 0.25) == "resistant"
    assert pp._direction(-0.3, 0.25) == "sensitive"
    assert pp._direction(0.1, 0.25) == "neutral"
    assert pp._direction(float("nan"), 0.25) == "neutral"


def test_crossres_groups_resistant_therapies_and_shared_mechanisms():
    rec = pd.DataFrame(
        {
            "sample": ["s"] * 3,
            "therapy": ["cisplatin", "radiotherapy", "docetaxel"],
            "dataset": ["gdsc2", "yard", "gdsc2"],
            "metric": ["ln_ic50", "auc", "ln_ic50"],
            "percentile_in_tissue": [90.0, 80.0, 10.0],
            "column": ["c1", "c2", "c3"],
            "response_sd": [1.0, 1.0, 1.0],
        }
    )
    attr = pd.DataFrame(
        {
            "sample": ["s"] * 6,
            "column": ["c1", "c1", "c2", "c2", "c3", "c3"],
            "term": ["hr_repair", "efflux_abcb1", "hr_repair", "tissue", "hr_repair", "intercept"],
            "contribution": [0.2, 0.3, 0.1, 5.0, 0.4, 1.0],
        }
    )
    out = pp._crossres(rec, attr, catalog().radiotherapy.id)
    assert len(out) == 1
    row = out.iloc[0]
    assert set(row["therapies"]) == {"cisplatin", "radiotherapy"} and row["includes_radiotherapy"]
    assert row["shared_mechanisms"] == ["hr_repair"]
