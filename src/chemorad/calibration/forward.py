"""The damage chain in jax.numpy: the same formulas as `chemorad.chain.survival`, differentiable in every parameter.

Parameters that the calibration infers enter as arrays (`ChainParams`): the effect magnitudes theta (one per
`ChainSpec` effect, log scale), each therapy's reference ln IC50 and radiation's ln alpha and ln beta. With theta at
the catalog values these functions equal the NumPy chain to floating-point precision (tests/calibration).

Formulas (module doc of `chain/survival.py`; A: activities (n, n_mechanisms); W_t: therapy t's effect matrix):

    modifier_q = exp((A+ W+_t + A- W-_t)_q) for fold and clearance quantities, the sum itself for add quantities
    radiation:  k = m(pO2 f_po2) [(1 - f_ind s)/(1 - f_ind s0)] L
                SF(D) = (1 - x) e^(-a kD - b (kD)^2) + x SF(D; k S_lateS)
    drug:       C_act = C T U A A_hyp / max(F_E F_I, r_min),  occ = C_act^h / (C_act^h + (EC50 F_ec50)^h),
                lambda = kappa F_emax L occ [(1 - f_O2) + f_O2 m(pO2 f_po2)(1 - s)/(1 - s0)],  SF = e^(-lambda)

and the closed-form ln IC50 of a drug (SF = 1/2, from lambda = ln 2):

    occ* = ln 2 / (kappa F_emax L O)
    ln IC50 = ln(EC50 F_ec50) + (1/h) ln(occ* / (1 - occ*)) - ln(T U A A_hyp / max(F_E F_I, r_min))

which is what `chain.dose_for_survival(..., 0.5, ...)` finds by bisection; occ* >= 1 (never reaches 50%) is clipped
to `OCC_MAX`, a finite ln IC50 above any tested concentration, so gradients stay finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from chemorad.calibration.spec import FOLD, ChainSpec, Q
from chemorad.catalog.schema import Quantity
from chemorad.chain.survival import MIN_RETAINED_LOSS

jax.config.update("jax_enable_x64", True)

#: largest target occupancy used by the closed-form ln IC50 (occ* beyond it: the drug cannot halve survival)
OCC_MAX = 1.0 - 1e-6
_FOLD = jnp.asarray(FOLD)


@dataclass(frozen=True)
class ChainParams:
    """theta: (n_effects,) effect magnitudes (log scale); ln_ic50: (n_therapies,) reference potency (ln uM);
    ln_alpha, ln_beta: radiation's LQ parameters (ln 1/Gy, ln 1/Gy^2)."""

    theta: jnp.ndarray
    ln_ic50: jnp.ndarray
    ln_alpha: jnp.ndarray
    ln_beta: jnp.ndarray


jax.tree_util.register_pytree_node(
    ChainParams, lambda p: ((p.theta, p.ln_ic50, p.ln_alpha, p.ln_beta), None), lambda _, c: ChainParams(*c)
)


def catalog_params(spec: ChainSpec) -> ChainParams:
    """The catalog's values: the uncalibrated chain."""
    return ChainParams(
        theta=jnp.asarray(spec.effect_prior_mean),
        ln_ic50=jnp.asarray(spec.ln_ic50),
        ln_alpha=jnp.log(spec.alpha),
        ln_beta=jnp.log(spec.beta),
    )


def effect_matrices(spec: ChainSpec, theta: jnp.ndarray) -> jnp.ndarray:
    """(gain, loss) weight matrices, each (n_therapies, n_mechanisms, n_quantities), as `chain.phenotype` builds them:
    log fold for fold and clearance quantities, the increment for add quantities."""
    loss_w = jnp.asarray(spec.effect_loss_ratio) * theta + jnp.asarray(spec.effect_loss_fixed)
    t, m, q, p = (spec.pairs[:, j] for j in range(4))
    w = jnp.zeros((len(spec.therapies), len(spec.mechanisms), len(Q)))
    return jnp.stack([w.at[t, m, q].add(theta[p]), w.at[t, m, q].add(loss_w[p])])


def modifiers(w: jnp.ndarray, activities: jnp.ndarray) -> jnp.ndarray:
    """(n, n_therapies, n_quantities) modifiers: exp(A+ W_gain + A- W_loss) for fold and clearance rows, the sum for add
    rows (A+ = max(A, 0), A- = min(A, 0))."""
    a = jnp.asarray(activities)
    s = jnp.einsum("nm,tmq->ntq", jnp.maximum(a, 0.0), w[0]) + jnp.einsum("nm,tmq->ntq", jnp.minimum(a, 0.0), w[1])
    return jnp.where(_FOLD, jnp.exp(s), s)


def oxygen_sensitivity(spec: ChainSpec, po2_mmhg) -> jnp.ndarray:
    """m(p) = (1 + (OER_max - 1) p/(p + K)) / OER_max (chain/radiation.py)."""
    p = jnp.asarray(po2_mmhg)
    frac = jnp.where(jnp.isinf(p), 1.0, p / jnp.where(jnp.isinf(p), 1.0, p + spec.k_mmhg))
    return (1.0 + (spec.oer_max - 1.0) * frac) / spec.oer_max


def scavenging_factor(spec: ChainSpec, fold: jnp.ndarray) -> jnp.ndarray:
    """(1 - f s)/(1 - f s0), s = c/(1 + c), c = fold s0/(1 - s0)."""
    c = spec.s0 / (1.0 - spec.s0) * fold
    s = c / (1.0 + c)
    return (1.0 - spec.f_ind * s) / (1.0 - spec.f_ind * spec.s0)


def _q(mod: jnp.ndarray, q: Quantity) -> jnp.ndarray:
    return mod[..., Q[q]]


def radiation_sf(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, dose_gy, po2_mmhg=40.0, g=1.0) -> jnp.ndarray:
    """Surviving fraction after `dose_gy`; mod: (..., n_quantities) radiation modifiers; broadcasts with dose."""
    k = (
        oxygen_sensitivity(spec, po2_mmhg * _q(mod, Quantity.po2))
        * scavenging_factor(spec, _q(mod, Quantity.radical_scavenging))
        * _q(mod, Quantity.lesion_lethality)
    )
    alpha, beta = jnp.exp(p.ln_alpha), jnp.exp(p.ln_beta)
    x = jnp.clip(_q(mod, Quantity.late_s_fraction), 0.0, 1.0)

    def sf(k_eff):
        d = k_eff * dose_gy
        return jnp.exp(-alpha * d - g * beta * d * d)

    return (1.0 - x) * sf(k) + x * sf(k * spec.phase_late_s)


def _drug_parts(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, po2_mmhg):
    """(delivery factor, EC50, max kill) per cell and therapy: mod has shape (..., n_therapies, n_quantities)."""
    delivery = (
        _q(mod, Quantity.tissue_exposure)
        * _q(mod, Quantity.uptake)
        * _q(mod, Quantity.activation)
        / jnp.maximum(_q(mod, Quantity.efflux) * _q(mod, Quantity.inactivation), MIN_RETAINED_LOSS)
    )
    h, k = jnp.asarray(spec.hyp_fold), jnp.asarray(spec.hyp_k)
    p_hyp = po2_mmhg * _q(mod, Quantity.po2)
    delivery = delivery * (1.0 + (h - 1.0) * k / (k + p_hyp)) / (1.0 + (h - 1.0) * k / (k + spec.p_oxic))
    ec50 = jnp.exp(p.ln_ic50) * spec.ec50_factor * _q(mod, Quantity.target_ec50)
    f_o2 = jnp.asarray(spec.f_o2)
    oxygen = (1.0 - f_o2) + f_o2 * oxygen_sensitivity(spec, po2_mmhg * _q(mod, Quantity.po2)) * scavenging_factor(
        spec, _q(mod, Quantity.radical_scavenging)
    )
    lam_max = spec.kappa * _q(mod, Quantity.target_emax) * _q(mod, Quantity.lesion_lethality) * oxygen
    return delivery, ec50, lam_max


def drug_sf(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, conc_um, po2_mmhg=40.0) -> jnp.ndarray:
    """Surviving fraction of every therapy (last axis) at extracellular `conc_um` (broadcast)."""
    delivery, ec50, lam_max = _drug_parts(spec, p, mod, po2_mmhg)
    c_act = conc_um * delivery
    occ = 1.0 / (1.0 + (ec50 / jnp.maximum(c_act, 1e-300)) ** spec.hill)
    return jnp.exp(-lam_max * occ)


def drug_ln_ic50(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, po2_mmhg=40.0, target_sf=0.5) -> jnp.ndarray:
    """ln of the concentration (uM) giving `target_sf` (0.5: the IC50), closed form (module docstring), every therapy
    on the last axis."""
    delivery, ec50, lam_max = _drug_parts(spec, p, mod, po2_mmhg)
    occ = jnp.clip(-jnp.log(target_sf) / lam_max, 1e-12, OCC_MAX)
    return jnp.log(ec50) + jnp.log(occ / (1.0 - occ)) / spec.hill - jnp.log(delivery)


def radiation_ln_dose(
    spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, target_sf: float, po2_mmhg=40.0, iterations: int = 60
) -> jnp.ndarray:
    """ln dose (Gy) giving `target_sf`: bisection on ln dose in [ln 1e-6, ln 1e6] (as `chain.dose_for_survival`),
    then one Newton step on f(x) = ln SF(e^x) - ln target with the bisection point held constant, which makes the
    gradient the implicit-function one, -(df/dparams)/(df/dx), and leaves the value unchanged to the bisection's
    tolerance."""
    lo = jnp.full(mod.shape[:-1], np.log(1e-6))
    hi = jnp.full(mod.shape[:-1], np.log(1e6))
    mod_c = jax.lax.stop_gradient(mod)
    p_c = jax.tree_util.tree_map(jax.lax.stop_gradient, p)

    def step(_, ab):
        a, b = ab
        mid = 0.5 * (a + b)
        above = radiation_sf(spec, p_c, mod_c, jnp.exp(mid), po2_mmhg) > target_sf
        return jnp.where(above, mid, a), jnp.where(above, b, mid)

    a, b = jax.lax.fori_loop(0, iterations, step, (lo, hi))
    x0 = jax.lax.stop_gradient(0.5 * (a + b))

    def f(x):
        return jnp.log(radiation_sf(spec, p, mod, jnp.exp(x), po2_mmhg)) - jnp.log(target_sf)

    fx, slope = jax.jvp(f, (x0,), (jnp.ones_like(x0),))
    return x0 - fx / jax.lax.stop_gradient(jnp.where(slope == 0, -1.0, slope))


def survival(spec: ChainSpec, p: ChainParams, therapy: int, dose, activities, po2_mmhg=40.0) -> jnp.ndarray:
    """Surviving fraction of each cell (rows of `activities`) after `dose` of therapy index `therapy` (Gy or uM)."""
    mod = modifiers(effect_matrices(spec, p.theta), jnp.asarray(activities))
    if spec.is_radiation[therapy]:
        return radiation_sf(spec, p, mod[:, therapy, :], dose, po2_mmhg)
    return drug_sf(spec, p, mod, jnp.asarray(dose)[..., None], po2_mmhg)[..., therapy]
