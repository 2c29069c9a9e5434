"""One chain under two namespaces: `chain.kernel` run by `chain.survival` (NumPy, the catalog's values) and by
`calibration.forward` (jax.numpy, parameters as arrays) gives the same numbers; JAX's 64-bit mode is not switched by
importing the package."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from chemorad.calibration import forward as F  # noqa: E402
from chemorad.calibration.data import attach_perturbations  # noqa: E402
from chemorad.calibration.loeo import empty_data  # noqa: E402
from chemorad.calibration.model import perturbation_ln_rf  # noqa: E402
from chemorad.calibration.spec import chain_spec  # noqa: E402
from chemorad.catalog import catalog  # noqa: E402
from chemorad.catalog.schema import Quantity  # noqa: E402
from chemorad.chain import from_array  # noqa: E402
from chemorad.chain import kernel as K  # noqa: E402
from chemorad.chain.perturbations import check  # noqa: E402
from chemorad.chain.survival import Environment, dose_for_survival, survival  # noqa: E402

CAT = catalog()
SPEC = chain_spec(CAT)
P = F.catalog_params(SPEC)
THERAPIES = ["radiotherapy", "cisplatin", "doxorubicin", "bleomycin", "mitomycin_c", "gemcitabine", "paclitaxel"]


def _phenotypes(seed: int, n: int = 25) -> np.ndarray:
    # Mixed-sign activities: gains and losses take different weights in the chain.
    return np.random.default_rng(seed).normal(0.0, 0.8, size=(n, len(CAT.mechanisms)))


@pytest.mark.parametrize("therapy", THERAPIES)
@pytest.mark.parametrize("po2", [40.0, 2.0])
def test_surviving_fraction_equals_numpy_chain(therapy: str, po2: float) -> None:
    a = _phenotypes(1)
    t = SPEC.therapy_index(therapy)
    dose = 2.0 if SPEC.is_radiation[t] else float(np.exp(SPEC.ln_ic50[t]))
    ref = survival(CAT, therapy, dose, from_array(CAT, a), Environment(po2_mmhg=po2))
    got = np.asarray(F.survival(SPEC, P, t, dose, a, po2))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-300)


def test_ln_dose_for_half_survival_equals_numpy_bisection() -> None:
    a = _phenotypes(2)
    mod = F.modifiers(F.effect_matrices(SPEC, P.theta), a)
    ln_ic50 = np.asarray(F.drug_ln_ic50(SPEC, P, mod))
    for therapy in THERAPIES:
        t = SPEC.therapy_index(therapy)
        ref = np.log(dose_for_survival(CAT, therapy, 0.5, from_array(CAT, a)))
        got = np.asarray(F.radiation_ln_dose(SPEC, P, mod[:, t, :], 0.5)) if SPEC.is_radiation[t] else ln_ic50[:, t]
        ok = np.isfinite(ref)  # a cell that never reaches 50% has inf in NumPy and a large finite value here
        np.testing.assert_allclose(got[ok], ref[ok], atol=1e-9)  # two root-finders (closed form, bisection) agree


def _kernel_inputs(xp, seed: int = 5, n: int = 40):
    rng = np.random.default_rng(seed)
    mod = {q: xp.asarray(np.exp(rng.normal(0.0, 0.7, n))) for q in Quantity}
    mod[Quantity.late_s_fraction] = xp.asarray(rng.uniform(-0.2, 1.2, n))  # clipped to [0, 1] by the kernel
    po2 = xp.asarray(np.concatenate([rng.uniform(0.0, 80.0, n - 2), [0.0, np.inf]]))
    r = K.RadiationParams(0.3, 0.03, 2.8, 3.0, 0.65, 0.5, 0.6)
    return mod, po2, r


def _kernel_outputs(xp) -> dict[str, object]:
    """Every formula of `chain.kernel` on the same inputs, evaluated with namespace `xp`."""
    mod, po2, r = _kernel_inputs(xp)
    k = K.radiation_dose_factor(xp, mod, po2, r)
    delivery = K.delivery(xp, mod, 0.8) * K.hypoxic_activation(xp, po2 * mod[Quantity.po2], 3.2, 2.0, 40.0)
    ec50 = 1.7 * mod[Quantity.target_ec50]
    lam = K.max_kill(xp, mod, 4.6, K.drug_oxygen_factor(xp, mod, po2, 0.4, r))
    return {
        "oxygen_sensitivity": K.oxygen_sensitivity(xp, po2, r.oer_max, r.k_mmhg),
        "dose_factor": k,
        "radiation_sf": K.radiation_survival(xp, k, 3.0, r, 0.7, mod[Quantity.late_s_fraction]),
        "drug_sf": K.drug_survival(xp, lam, K.occupancy(xp, 2.0 * delivery, ec50, 1.3)),
        "drug_ln_dose": K.drug_ln_dose(xp, ec50, delivery, lam, 1.3, 0.3),
    }


def test_every_kernel_formula_is_one_implementation_under_numpy_and_jax() -> None:
    import jax.numpy as jnp

    ref, got = _kernel_outputs(np), _kernel_outputs(jnp)
    for name, value in ref.items():
        assert isinstance(value, np.ndarray), name
        np.testing.assert_allclose(np.asarray(got[name]), value, rtol=1e-13, err_msg=name)


def test_importing_the_package_leaves_jax_in_32_bit_mode() -> None:
    """The 64-bit switch happens where calibration runs (`forward.use_float64`), not at import."""
    import subprocess
    import sys

    code = (
        "import jax, chemorad, chemorad.calibration, chemorad.chain\n"
        "from chemorad.calibration import forward, infer, loeo, model, posterior, predict, workflow\n"
        "assert not jax.config.jax_enable_x64, 'an import switched JAX to 64-bit'\n"
        "forward.use_float64()\n"
        "assert jax.config.jax_enable_x64\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "JAX_ENABLE_X64"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_radiation_dose_gradient_matches_finite_difference() -> None:
    import jax

    a = _phenotypes(3, 4)
    mod = F.modifiers(F.effect_matrices(SPEC, P.theta), a)[:, SPEC.therapy_index("radiotherapy"), :]

    def f(ln_alpha):
        return F.radiation_ln_dose(SPEC, F.ChainParams(P.theta, P.ln_ic50, ln_alpha, P.ln_beta), mod, 0.1).sum()

    h = 1e-5
    fd = (f(P.ln_alpha + h) - f(P.ln_alpha - h)) / (2 * h)
    assert float(jax.grad(f)(P.ln_alpha)) == pytest.approx(float(fd), rel=1e-5)


def test_perturbation_likelihood_equals_the_catalog_check() -> None:
    empty = empty_data(SPEC)  # no cell-line data: the likelihood is the perturbation table alone
    d = attach_perturbations(CAT, SPEC, empty)
    assert len(d.pert_id) > 0
    got = np.exp(np.asarray(perturbation_ln_rf(SPEC, P, d, np.zeros((1, len(SPEC.mechanisms))))))
    ref = check(CAT).set_index("id")["model"].reindex(list(d.pert_id)).to_numpy(dtype=float)
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_prior_widths_follow_the_source() -> None:
    from chemorad.calibration.spec import MEASURED_SD, PLACEHOLDER_SD, SOURCED_SD

    assert set(np.unique(SPEC.effect_prior_sd[SPEC.effect_fold])) <= {MEASURED_SD, SOURCED_SD, PLACEHOLDER_SD}
    by_name = dict(zip(SPEC.effect_name, SPEC.effect_prior_sd, strict=True))
    placeholder = [
        f"{m.id}:{e.quantity.value}:{k}"
        for m in CAT.mechanisms.values()
        for k, e in enumerate(m.effects)
        if e.basis.lower().startswith("order of magnitude") and not e.from_perturbations
    ]
    hits = [by_name[n] for n in placeholder if n in by_name]
    assert hits and all(h >= PLACEHOLDER_SD * 0.05 for h in hits)
    measured = [
        f"{m.id}:{e.quantity.value}:{k}"
        for m in CAT.mechanisms.values()
        for k, e in enumerate(m.effects)
        if e.from_perturbations and FORM_IS_FOLD(e)
    ]
    assert all(by_name[n] == MEASURED_SD for n in measured if n in by_name)


def FORM_IS_FOLD(e) -> bool:  # noqa: N802 - reads like the predicate it is
    from chemorad.catalog.schema import FORM

    return FORM[e.quantity] != "add"


def test_perturbation_gradient_is_finite_away_from_the_catalog_values() -> None:
    """Regression: the SF2, radiation and drug ratios were once computed on every row and picked with `where`, so the
    radiation bisection run on a drug's modifiers put NaN into the gradient and VI stopped with a non-finite ELBO on
    the full bundle. Points as far from the catalog as VI's old uniform(-2, 2) start put them (alpha up to e^2 /Gy)
    must give a finite Jacobian."""
    import jax

    d = attach_perturbations(CAT, SPEC, empty_data(SPEC))
    A0 = np.zeros((1, len(SPEC.mechanisms)))
    rng = np.random.default_rng(24)

    def f(theta, ln_alpha, ln_beta):
        return perturbation_ln_rf(SPEC, F.ChainParams(theta, P.ln_ic50, ln_alpha, ln_beta), d, A0)

    jac = jax.jit(jax.jacrev(f, argnums=(0, 1, 2)))
    for _ in range(3):
        theta = rng.uniform(-2.0, 2.0, size=SPEC.n_effects)
        la, lb = rng.uniform(0.5, 2.0), rng.uniform(-2.0, 0.0)
        for part in jac(theta, la, lb):
            assert np.all(np.isfinite(np.asarray(part)))
