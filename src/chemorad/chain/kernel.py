"""The damage chain's formulas, written once against an array namespace `xp` (NumPy or jax.numpy).

`chain.survival` calls them with NumPy, the catalog's parameter values and validated inputs; `calibration.forward`
calls them with jax.numpy, the calibrated parameters as differentiable arrays. Each function is pure, broadcasts its
array arguments and branches on no array value, so JAX can trace and differentiate it. No input is validated here
(the NumPy callers validate).

`mod` maps each `Quantity` to its per-cell modifier (`chain.phenotype.modifiers`: a fold, 1 = unchanged, for fold and
clearance quantities; an increment, 0 = unchanged, for add quantities). Formulas (module doc of `chain/survival.py`):

    radiation:  k = m(pO2 f_po2) [(1 - f_ind s)/(1 - f_ind s0)] L,   s = c/(1 + c),  c = f_scav s0/(1 - s0)
                SF(D) = (1 - x) e^(-a kD - G b (kD)^2) + x SF(D; k S_lateS),   x = late-S share clipped to [0, 1]
    drug:       C_act = C T P U A A_hyp / max(F_E F_I, r_min),   occ = C_act^h / (C_act^h + (EC50 F_ec50)^h)
                lambda = kappa F_emax L occ [(1 - f_O2) + f_O2 m(pO2 f_po2)(1 - s)/(1 - s0)],   SF = e^(-lambda)
    ln IC50:    occ* = -ln(SF target) / (kappa F_emax L O),
                ln C = ln(EC50 F_ec50) + (1/h) ln(occ*/(1 - occ*)) - ln(T P U A A_hyp / max(F_E F_I, r_min))

with m(p) = (1 + (OER_max - 1) p/(p + K)) / OER_max (Alper & Howard-Flanders 1956, Nature 178:978).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from chemorad.catalog.schema import Quantity

LN2 = float(np.log(2.0))
# Maximum log kill of a drug at saturating target engagement (ln 100: two logs). Order of magnitude: 72-h viability
# screens (Iorio et al. 2016, Cell 166:740) rarely resolve survival below ~1%; only the shape near IC50 matters for
# resistance factors of delivery and EC50 mechanisms, which are independent of it.
DEFAULT_MAX_LOG_KILL = float(np.log(100.0))
# Smallest loss of drug (in units of the reference cell's) that knockdowns of pumps and enzymes can leave: passive
# diffusion out of the cell and dilution by growth remain. Order of magnitude (no source gives it in general): losing
# every clearance at most raises intracellular drug 20-fold, above the largest single-enzyme knockdown effects in
# the perturbation table.
MIN_RETAINED_LOSS = 0.05
# Floor of the active concentration in the Hill term, so that C = 0 gives occupancy 0 without dividing by zero.
_MIN_CONC = 1e-300

Array = Any  # a NumPy or JAX array, or a Python float


class RadiationParams(NamedTuple):
    """The radiation entry's parameters: LQ alpha (1/Gy) and beta (1/Gy^2), oxygen effect OER_max and K (mmHg),
    indirect share f_ind and reference scavenged share s0, late-S phase sensitivity (effective-dose multiplier)."""

    alpha: Array
    beta: Array
    oer_max: Array
    k_mmhg: Array
    f_ind: Array
    s0: Array
    late_s: Array


def modifier_exponent(xp, activities, gain, loss=None):
    """Summed effect of every mechanism on every quantity: A+ W_gain + A- W_loss, A+ = max(A, 0), A- = min(A, 0).

    `activities` (n, m), the weights (..., m, q) -> (..., n, q). `loss=None` when gains and losses mirror each other
    or no activity is negative: then A W_gain, the same sum in one product. The caller exponentiates the fold and
    clearance quantities (their weights are logs: `chain.phenotype`)."""
    if loss is None:
        return activities @ gain
    return xp.maximum(activities, 0.0) @ gain + xp.minimum(activities, 0.0) @ loss


def oxygen_sensitivity(xp, po2_mmhg, oer_max, k_mmhg):
    """m(p) = (1 + (OER_max - 1) p/(p + K)) / OER_max: 1/OER_max anoxic, 1 at p = inf (the inf is kept out of the
    division so that its gradient stays finite)."""
    inf = xp.isinf(po2_mmhg)
    frac = xp.where(inf, 1.0, po2_mmhg / xp.where(inf, 1.0, po2_mmhg + k_mmhg))
    return (1.0 + (oer_max - 1.0) * frac) / oer_max


def scavenging_factor(xp, fold, f_ind, s0):
    """(1 - f_ind s)/(1 - f_ind s0), s = c/(1 + c), c = fold s0/(1 - s0): effective dose left by radical scavenging."""
    c = s0 / (1.0 - s0) * fold
    s = c / (1.0 + c)
    return (1.0 - f_ind * s) / (1.0 - f_ind * s0)


def oxygen_and_scavenging(xp, mod: Mapping[Quantity, Array], po2_mmhg, r: RadiationParams):
    """m(pO2 f_po2) (1 - f_ind s)/(1 - f_ind s0): the oxygen-dependent (radical) share of damage left in the cell."""
    return oxygen_sensitivity(xp, po2_mmhg * mod[Quantity.po2], r.oer_max, r.k_mmhg) * scavenging_factor(
        xp, mod[Quantity.radical_scavenging], r.f_ind, r.s0
    )


def radiation_dose_factor(xp, mod: Mapping[Quantity, Array], po2_mmhg, r: RadiationParams):
    """k = m(pO2 f_po2) [(1 - f_ind s)/(1 - f_ind s0)] L: the effective-dose multiplier of each cell."""
    return oxygen_and_scavenging(xp, mod, po2_mmhg, r) * mod[Quantity.lesion_lethality]


def lq_survival(xp, k, dose_gy, alpha, beta, g=1.0):
    """exp(-alpha kD - G beta (kD)^2): the linear-quadratic model at effective dose kD."""
    d = k * dose_gy
    return xp.exp(-alpha * d - g * beta * d * d)


def radiation_survival(xp, k, dose_gy, r: RadiationParams, g=1.0, late_s_fraction=None):
    """(1 - x) SF(kD) + x SF(k S_lateS D), x = `late_s_fraction` clipped to [0, 1]; None: no late-S share."""
    sf = lq_survival(xp, k, dose_gy, r.alpha, r.beta, g)
    if late_s_fraction is None:
        return sf
    x = xp.clip(late_s_fraction, 0.0, 1.0)
    return (1.0 - x) * sf + x * lq_survival(xp, k * r.late_s, dose_gy, r.alpha, r.beta, g)


def hypoxic_activation(xp, po2_mmhg, fold, k_mmhg, p_oxic):
    """A_hyp(p) = [1 + (H - 1) K/(K + p)] / [1 + (H - 1) K/(K + p_oxic)]: bioreductive activation relative to oxic
    cells (H = 1: none)."""
    return (1.0 + (fold - 1.0) * k_mmhg / (k_mmhg + po2_mmhg)) / (1.0 + (fold - 1.0) * k_mmhg / (k_mmhg + p_oxic))


def delivery(xp, mod: Mapping[Quantity, Array], penetration=1.0):
    """T P U A / max(F_E F_I, r_min): active intracellular drug per unit extracellular concentration."""
    retained = xp.maximum(mod[Quantity.efflux] * mod[Quantity.inactivation], MIN_RETAINED_LOSS)
    return mod[Quantity.tissue_exposure] * penetration * mod[Quantity.uptake] / retained * mod[Quantity.activation]


def occupancy(xp, c_active, ec50, hill):
    """C^h / (C^h + EC50^h), written as 1 / (1 + (EC50/C)^h) with C floored above 0."""
    return 1.0 / (1.0 + (ec50 / xp.maximum(c_active, _MIN_CONC)) ** hill)


def drug_oxygen_factor(xp, mod: Mapping[Quantity, Array], po2_mmhg, f_o2, r: RadiationParams):
    """(1 - f_O2) + f_O2 m(pO2 f_po2)(1 - s)/(1 - s0): the oxygen-dependent share f_O2 of a drug's kill."""
    return (1.0 - f_o2) + f_o2 * oxygen_and_scavenging(xp, mod, po2_mmhg, r)


def max_kill(xp, mod: Mapping[Quantity, Array], kappa, oxygen=1.0):
    """kappa F_emax L O: the log kill at full target occupancy."""
    return kappa * mod[Quantity.target_emax] * mod[Quantity.lesion_lethality] * oxygen


def drug_survival(xp, lam_max, occ):
    """exp(-lambda_max occ)."""
    return xp.exp(-lam_max * occ)


def drug_ln_dose(xp, ec50, delivery_factor, lam_max, hill, target_sf=0.5, occ_max=1.0 - 1e-6):
    """ln of the extracellular concentration giving `target_sf`, closed form (module doc). occ* >= 1 (the drug never
    reaches the target) is clipped to `occ_max`: a finite ln dose above any tested one, with finite gradients."""
    occ = xp.clip(-xp.log(target_sf) / lam_max, 1e-12, occ_max)
    return xp.log(ec50) + xp.log(occ / (1.0 - occ)) / hill - xp.log(delivery_factor)
