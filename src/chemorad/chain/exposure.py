"""From a clinical dose to the cell: plasma PK of a catalog drug and its in-vitro-equivalent concentration.

The catalog's PK (`therapies.yaml`, per typical adult of body surface area 1.8 m^2) drives `pharmacokinetics`; the
drug's effect on a cell is then taken as a function of exposure (AUC): the kill of cell-cycle phase-non-specific agents
depends on the concentration x time product (Ozawa et al. 1988, Cancer Chemother Pharmacol 21:185); for phase-specific
agents this is an approximation.
The in-vitro-equivalent concentration is the constant concentration that gives the same AUC over the screen's exposure:

    C_equiv (uM) = AUC_plasma (uM h) / T_assay (h),   T_assay = 72 h (GDSC; Iorio et al. 2016, Cell 166:740)

so it can be passed to `survival(...)` as the drug dose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chemorad.catalog.schema import Therapy
from chemorad.chain import pharmacokinetics as pk
from chemorad.chain.validate import positive
from chemorad.errors import ChemoradError

ASSAY_EXPOSURE_H = 72.0  # GDSC and CTRP viability screens: 72 h continuous exposure (Iorio et al. 2016)
BODY_SURFACE_M2 = 1.8  # typical adult (the convention the catalog's per-m^2 doses use)


@dataclass(frozen=True)
class Exposure:
    time_h: np.ndarray
    conc_um: np.ndarray  # plasma concentration of the species the PK describes
    auc_um_h: float  # over [0, horizon]
    equivalent_conc_um: float  # AUC / assay exposure


def plasma_exposure(
    therapy: Therapy,
    dose_mg_m2: float | None = None,
    n_cycles: int = 1,
    horizon_h: float | None = None,
    bsa_m2: float = BODY_SURFACE_M2,
    n_points: int = 400,
) -> Exposure:
    """Plasma concentration (uM) over time for `n_cycles` of the catalog regimen and its in-vitro-equivalent level.

    Dose defaults to the catalog's standard dose; cycles start every `cycle_days`; the horizon defaults to the end of
    the last cycle. Raises ChemoradError for a therapy without PK in the catalog.
    """
    if therapy.pk is None:
        raise ChemoradError(f"therapy {therapy.id!r} has no pharmacokinetics in the catalog")
    p = therapy.pk
    dose = p.dose_mg_m2.value if dose_mg_m2 is None else float(positive("dose_mg_m2", dose_mg_m2))
    if n_cycles < 1:
        raise ChemoradError(f"n_cycles must be >= 1 (got {n_cycles})")
    cycle_h = p.cycle_days.value * 24.0
    starts = tuple(i * cycle_h for i in range(n_cycles))
    horizon = n_cycles * cycle_h if horizon_h is None else float(positive("horizon_h", horizon_h))
    kwargs = dict(
        dose_mg=dose * positive("bsa_m2", bsa_m2),
        clearance_l_h=p.clearance_l_h.value,
        v_central_l=p.v_central_l.value,
        infusion_h=p.infusion_h.value,
        q_l_h=p.q_l_h.value if p.q_l_h else None,
        v_peripheral_l=p.v_peripheral_l.value if p.v_peripheral_l else None,
        dose_times_h=starts,
    )
    t = np.linspace(0.0, horizon, n_points)
    c = pk.mg_per_l_to_um(pk.concentration(t, **kwargs), p.molar_mass_g_mol.value)
    a = float(pk.mg_per_l_to_um(pk.auc(horizon, **kwargs), p.molar_mass_g_mol.value))
    return Exposure(t, c, a, a / (n_cycles * ASSAY_EXPOSURE_H))
