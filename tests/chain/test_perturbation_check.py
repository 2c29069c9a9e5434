"""The perturbation check: activity signs from the catalog markers, model values against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from chemorad.catalog import catalog
from chemorad.catalog.perturbations import Perturbation
from chemorad.chain.perturbations import activity_for, check, model_value, summary

CAT = catalog()


def entry(**kw) -> Perturbation:
    base = dict(
        id="x",
        perturbation="knockout",
        gene="MLH1",
        mechanism="mmr_loss_tolerance",
        activity_change="loss",
        cell_line="test",
        species="human",
        therapy="cisplatin",
        therapy_as_published="cisplatin",
        therapy_mapping="exact",
        assay="viability_72h",
        metric="ic50_fold",
        value=2.0,
        uncertainty={"kind": "none"},
        source={"doi": "10.1/x", "citation": "test"},
        obtained="recalled",
    )
    base.update(kw)
    return Perturbation.model_validate(base)


def test_marker_decides_the_sign_of_activity() -> None:
    """Losing MLH1 raises MMR-loss tolerance (+1); knocking down GSTP1 lowers GST conjugation (-1)."""
    assert activity_for(CAT, entry())[0] == 1.0
    assert activity_for(CAT, entry(gene="GSTP1", mechanism="inactivation_gst"))[0] == -1.0
    assert activity_for(CAT, entry(gene="BRCA2", mechanism="hr_repair"))[0] == -1.0
    assert activity_for(CAT, entry(gene="ABCB1", mechanism="efflux_abcb1", activity_change="gain"))[0] == 1.0


def test_efflux_ic50_fold_is_the_closed_form() -> None:
    """IC50 ratio of a pump at activity 1 = 1 + size (delivery formula of chain/survival.py)."""
    e = entry(gene="ABCC2", mechanism="efflux_abcc2", activity_change="gain")
    size = next(x.size for x in CAT.mechanisms["efflux_abcc2"].effects if "cisplatin" in (x.acts_on.therapies or []))
    assert model_value(CAT, e, 1.0) == pytest.approx(1 + size, rel=1e-6)


def test_sf2_ratio_is_the_lq_closed_form() -> None:
    """A lethality fold L on radiation scales the effective dose: SF2 ratio = exp(-a 2 (L-1) - b 4 (L^2-1)) at full
    oxygenation factor m (m(40 mmHg) enters as k = m L)."""
    e = entry(
        gene="BIRC5",
        mechanism="survivin_birc5",
        therapy="radiotherapy",
        therapy_as_published="radiotherapy",
        metric="sf2_ratio",
        assay="clonogenic",
    )
    rad = CAT.therapies["radiotherapy"]
    a, b = rad.parameters["alpha_per_gy"].value, rad.parameters["beta_per_gy2"].value
    size = CAT.mechanisms["survivin_birc5"].effects[0].size
    from chemorad.chain import radiation as rd

    m = 1 / rd.oer(40.0, oer_max=rad.parameters["oer_max"].value, k_mmhg=rad.parameters["k_mmhg"].value)
    expected = np.exp(-a * 2 * m * (size - 1) - b * 4 * m * m * (size * size - 1))
    assert model_value(CAT, e, 1.0) == pytest.approx(float(expected), rel=1e-6)


def test_unmapped_entries_get_no_model_and_count_as_not_reproduced() -> None:
    table = {
        "a": entry(id="a"),
        "b": entry(id="b", therapy=None, therapy_as_published="olaparib", therapy_mapping="unmapped"),
    }
    res = check(CAT, table).set_index("id")
    assert res.loc["b", "model"] is None or np.isnan(res.loc["b", "model"])
    assert not res.loc["b", "within_2_fold"]
    s = summary(res.reset_index())
    assert s["drug"]["n"] == 2 and s["drug"]["compared"] == 1
