"""The damage chain under jax.numpy: `chain.kernel`'s formulas with the calibrated parameters as arrays.

There is one chain. Its formulas live in `chain/kernel.py`, written against an array namespace; `chain.survival` runs
them with NumPy and the catalog's values, this module runs them with jax.numpy so that every parameter the calibration
infers is differentiable. Those parameters enter as arrays (`ChainParams`): the effect magnitudes theta (one per
`ChainSpec` effect, log scale), each therapy's reference ln IC50 and radiation's ln alpha and ln beta. What is only here
is the JAX plumbing: the effect matrices built from theta, all therapies at once on the last axes, the closed-form ln
IC50 of drugs (`kernel.drug_ln_dose`) and a bisection for radiation with an implicit-function gradient.

Shapes: activities A (n, n_mechanisms); modifiers (n, n_therapies, n_quantities), a therapy's modifiers
(..., n_quantities). The catalog's values give the NumPy chain's numbers (tests/calibration/test_forward.py).

JAX computes in float32 unless 64-bit mode is on; importing this module does not switch it (that would change every
other JAX user in the process). `use_float64()` switches it, and the calibration's entry points call it (`infer.run`,
`infer.Calibrator`, `loeo`, `predict`, `posterior.rf_draws_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from chemorad.calibration.spec import FOLD, ChainSpec, Q
from chemorad.catalog.schema import Quantity
from chemorad.chain import kernel as K

#: largest target occupancy used by the closed-form ln IC50 (occ* beyond it: the drug cannot halve survival)
OCC_MAX = 1.0 - 1e-6
_FOLD = np.asarray(FOLD)


def use_float64() -> None:
    """Switch JAX to 64-bit floats (the calibration's precision; module docstring). Idempotent."""
    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


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
    s = jnp.swapaxes(K.modifier_exponent(jnp, jnp.asarray(activities), w[0], w[1]), 0, 1)  # (T, n, q) -> (n, T, q)
    return jnp.where(_FOLD, jnp.exp(s), s)


def _view(mod: jnp.ndarray) -> dict[Quantity, jnp.ndarray]:
    """The modifiers (..., n_quantities) as the {quantity: (...)} mapping `chain.kernel` reads."""
    return {q: mod[..., j] for q, j in Q.items()}


def radiation_params(spec: ChainSpec, p: ChainParams) -> K.RadiationParams:
    return K.RadiationParams(
        jnp.exp(p.ln_alpha), jnp.exp(p.ln_beta), spec.oer_max, spec.k_mmhg, spec.f_ind, spec.s0, spec.phase_late_s
    )


def oxygen_sensitivity(spec: ChainSpec, po2_mmhg) -> jnp.ndarray:
    """m(p) = (1 + (OER_max - 1) p/(p + K)) / OER_max (`chain.kernel.oxygen_sensitivity`)."""
    return K.oxygen_sensitivity(jnp, jnp.asarray(po2_mmhg), spec.oer_max, spec.k_mmhg)


def scavenging_factor(spec: ChainSpec, fold: jnp.ndarray) -> jnp.ndarray:
    """(1 - f s)/(1 - f s0), s = c/(1 + c), c = fold s0/(1 - s0) (`chain.kernel.scavenging_factor`)."""
    return K.scavenging_factor(jnp, fold, spec.f_ind, spec.s0)


def radiation_sf(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, dose_gy, po2_mmhg=40.0, g=1.0) -> jnp.ndarray:
    """Surviving fraction after `dose_gy`; mod: (..., n_quantities) radiation modifiers; broadcasts with dose."""
    m = _view(mod)
    r = radiation_params(spec, p)
    k = K.radiation_dose_factor(jnp, m, po2_mmhg, r)
    return K.radiation_survival(jnp, k, dose_gy, r, g, m[Quantity.late_s_fraction])


def _drug_parts(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, po2_mmhg):
    """(delivery factor, EC50, max kill) per cell and therapy: mod has shape (..., n_therapies, n_quantities)."""
    m = _view(mod)
    p_hyp = po2_mmhg * m[Quantity.po2]
    delivery = K.delivery(jnp, m) * K.hypoxic_activation(jnp, p_hyp, spec.hyp_fold, spec.hyp_k, spec.p_oxic)
    ec50 = jnp.exp(p.ln_ic50) * spec.ec50_factor * m[Quantity.target_ec50]
    oxygen = K.drug_oxygen_factor(jnp, m, po2_mmhg, spec.f_o2, radiation_params(spec, p))
    return delivery, ec50, K.max_kill(jnp, m, spec.kappa, oxygen)


def drug_sf(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, conc_um, po2_mmhg=40.0) -> jnp.ndarray:
    """Surviving fraction of every therapy (last axis) at extracellular `conc_um` (broadcast)."""
    delivery, ec50, lam_max = _drug_parts(spec, p, mod, po2_mmhg)
    return K.drug_survival(jnp, lam_max, K.occupancy(jnp, conc_um * delivery, ec50, spec.hill))


def drug_ln_ic50(spec: ChainSpec, p: ChainParams, mod: jnp.ndarray, po2_mmhg=40.0, target_sf=0.5) -> jnp.ndarray:
    """ln of the concentration (uM) giving `target_sf` (0.5: the IC50), closed form (`chain.kernel.drug_ln_dose`),
    every therapy on the last axis."""
    delivery, ec50, lam_max = _drug_parts(spec, p, mod, po2_mmhg)
    return K.drug_ln_dose(jnp, ec50, delivery, lam_max, spec.hill, target_sf, OCC_MAX)


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
