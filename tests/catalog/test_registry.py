"""The registries: therapy modalities, response data sets and the typed response key."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chemorad.catalog import catalog
from chemorad.catalog.registry import (
    RESPONSE_DATASETS,
    Modality,
    ResponseKey,
    datasets_for,
    preference,
    primary_metric,
    response_dataset,
)
from chemorad.errors import ChemoradError

names = st.text(alphabet=st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), min_size=1)


@given(names, names, names)
def test_response_key_round_trips(dataset, compound, metric) -> None:
    key = ResponseKey(dataset, compound, metric)
    assert ResponseKey.parse(key.column) == key


def test_response_key_rejects_malformed_columns() -> None:
    with pytest.raises(ValueError, match="dataset|compound|metric"):
        ResponseKey.parse("gdsc2|Cisplatin")


def test_primary_metrics_and_preference() -> None:
    assert primary_metric("gdsc2") == "ln_ic50"
    assert primary_metric("yard") == "auc"
    assert [d.id for d in datasets_for(Modality.drug)] == ["gdsc2", "gdsc1", "ctrp"]
    assert [d.id for d in datasets_for("radiation")] == ["yard", "pide"]
    assert preference("gdsc2") < preference("gdsc1") < preference("ctrp") < preference("unregistered")
    assert ResponseKey("yard", "radiotherapy", "auc").is_primary
    assert not ResponseKey("gdsc2", "Cisplatin", "auc").is_primary


def test_unknown_dataset_is_a_user_error_naming_the_closest() -> None:
    with pytest.raises(ChemoradError, match="gdsc2"):
        response_dataset("gdsc3")


def test_every_catalog_dataset_is_registered_for_its_modality() -> None:
    cat = catalog()
    for t in cat.therapies.values():
        for dataset_id in t.datasets:
            assert RESPONSE_DATASETS[dataset_id].modality == t.modality


def test_radiotherapy_is_found_by_modality() -> None:
    cat = catalog()
    assert cat.radiotherapy.modality == Modality.radiation
    assert cat.is_radiation(cat.radiotherapy.id)
    key = ResponseKey("yard", cat.radiotherapy.datasets["yard"], "sf2")
    assert cat.therapy_for_response(key) is cat.radiotherapy
    assert cat.therapy_for_response("gdsc2|Cisplatin|ln_ic50").id == "cisplatin"
    assert cat.therapy_for_response("gdsc2|NotADrug|ln_ic50") is None


def test_every_declared_loader_is_the_one_the_bundle_uses() -> None:
    from chemorad.bundle import datasets as ds
    from chemorad.bundle import pide

    for dataset_id, load in ds.RESPONSE_LOADERS.items():
        assert getattr(load, "func", load).__name__ == response_dataset(dataset_id).loader
    assert callable(getattr(pide, response_dataset("pide").loader))


def test_calibrated_data_sets_declare_likelihood_noise_and_an_order() -> None:
    from chemorad.catalog.registry import Likelihood, calibrated_datasets

    cal = calibrated_datasets()
    assert [d.id for d in cal] == ["gdsc1", "gdsc2", "ctrp", "yard", "pide"]  # the order of the calibration's arrays
    assert all(d.noise_scale > 0 for d in cal)
    kinds = list(Likelihood)
    assert [kinds.index(d.likelihood) for d in cal] == sorted(kinds.index(d.likelihood) for d in cal)
    # one survival-curve data set: CalibrationData holds one set of curves
    assert sum(d.likelihood is Likelihood.survival_curve for d in cal) == 1
    # one clonogenic data set, PIDE (optional: fitted only with `chemorad calibrate --with-optional pide`)
    assert [d.id for d in cal if d.likelihood is Likelihood.clonogenic_log_kill] == ["pide"]


def test_a_half_declared_data_set_is_refused() -> None:
    from chemorad.catalog.registry import Likelihood, ResponseDataset

    with pytest.raises(ValueError, match="likelihood and a noise scale"):
        ResponseDataset("x", "X", Modality.drug, ("auc",), "auc", 9, "s", likelihood=Likelihood.affine_auc)
    with pytest.raises(ValueError, match="ranges or negated"):
        ResponseDataset("x", "X", Modality.drug, ("auc",), "auc", 9, "s", ranges=(("sf2", 0.0, 1.0),))


def test_physical_ranges_come_from_the_registry() -> None:
    from chemorad.catalog.registry import physical_range

    assert physical_range("yard|radiotherapy|auc") == (0.0, 10.0)  # 0-10 Gy (Yard 2016)
    assert physical_range("yard|radiotherapy|neg_alpha") == (float("-inf"), 0.0)
    assert physical_range("gdsc2|Cisplatin|auc") == (0.0, 1.0)
    assert physical_range("gdsc2|Cisplatin|ln_ic50") == (float("-inf"), float("inf"))
    assert physical_range("nosuch|x|auc") == (float("-inf"), float("inf"))
