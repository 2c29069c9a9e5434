"""Clinical dose -> plasma exposure -> in-vitro-equivalent concentration."""

from __future__ import annotations

import numpy as np
import pytest

from chemorad.catalog import catalog
from chemorad.chain.exposure import ASSAY_EXPOSURE_H, plasma_exposure
from chemorad.errors import ChemoradError

CAT = catalog()


@pytest.mark.parametrize("drug", [t.id for t in CAT.therapies.values() if t.pk is not None])
def test_total_auc_is_dose_over_clearance(drug: str) -> None:
    """Linear PK: AUC(0, inf) = dose / CL whatever the compartments (Gibaldi & Perrier, ch. 1-2)."""
    t = CAT.therapies[drug]
    p = t.pk
    ex = plasma_exposure(t, horizon_h=1e7)
    dose_mg = p.dose_mg_m2.value * 1.8
    expected_um_h = dose_mg / p.clearance_l_h.value / p.molar_mass_g_mol.value * 1e3
    assert ex.auc_um_h == pytest.approx(expected_um_h, rel=1e-6)
    assert ex.equivalent_conc_um == pytest.approx(ex.auc_um_h / ASSAY_EXPOSURE_H)
    assert np.all(ex.conc_um >= 0)


def test_cycles_add_exposure_linearly() -> None:
    t = CAT.therapies["cisplatin"]
    one = plasma_exposure(t, horizon_h=1e6)
    three = plasma_exposure(t, n_cycles=3, horizon_h=1e6)
    assert three.auc_um_h == pytest.approx(3 * one.auc_um_h, rel=1e-9)


def test_missing_pk_and_bad_doses_are_user_errors() -> None:
    no_pk = next(t for t in CAT.therapies.values() if t.modality == "drug" and t.pk is None)
    with pytest.raises(ChemoradError, match="no pharmacokinetics"):
        plasma_exposure(no_pk)
    with pytest.raises(ChemoradError, match="dose_mg_m2"):
        plasma_exposure(CAT.therapies["cisplatin"], dose_mg_m2=-75)
    with pytest.raises(ChemoradError, match="n_cycles"):
        plasma_exposure(CAT.therapies["cisplatin"], n_cycles=0)
