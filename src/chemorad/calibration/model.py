"""The Bayesian model: the damage chain as the forward model, priors from the catalog, likelihoods from the data.

Parameters (sites of `model`; shapes: E effects, T therapies, J marker features, M mechanisms, P proliferation
covariates, K tissues, N lines, C response columns)
----------------------------------------------------------------------------------------------------------------
- theta (E): effect magnitudes, log scale, theta_e ~ N(ln size_e, sd_e) with sd_e from the effect's source
  (`spec.prior_width`); transport effects have one theta per (pump, substrate).
- ln_ic50 (T): each drug's reference potency (ln uM) ~ N(catalog ln IC50, 1) (sd 2 without a catalog IC50);
  ln_alpha, ln_beta: radiation's LQ parameters ~ N(catalog, 0.5).
- w (number of catalog marker-mechanism pairs): the marker -> activity map, activity A = Z W (W zero outside the
  catalog's marker lists), regularised horseshoe (Piironen & Vehtari 2017, Electron J Stat 11:5018):
  w_k = tau lambda~_k z_k, lambda~_k^2 = c^2 lambda_k^2 / (c^2 + tau^2 lambda_k^2), lambda_k ~ C+(0, 1),
  tau ~ C+(0, TAU0), c^2 ~ InvGamma(2, 2), z_k ~ N(0, 1): a mechanism is carried by few markers.
- line sensitivity factors, shared by all therapies (F = `CalibrationData.factors`): r_if = G_i b_f + eps_if with
  G the expression covariates (`data.ExpressionBasis`: proliferation score, principal components), b_pf ~
  N(0, s_b), s_b ~ HalfNormal(0.3) (a ridge whose strength is learnt), eps_if ~ N(0, 1). Factor 0 is general
  sensitivity: its loading c_t0 ~ HalfNormal(1) is positive on every therapy, so what it carries is cross-resistance
  between all therapies and is never credited to a mechanism; factors 1.. have loadings c_tf ~ N(0, 0.5) (axes along
  which therapies differ, e.g. antimitotics against DNA damage). Tissue: u_k ~ N(0, tau_u), tissue x therapy
  v_kt ~ N(0, tau_v), tau_u, tau_v ~ HalfNormal(0.5) (partial pooling). The line's log dose modifier for therapy t:
      ell_it = sum_f c_tf r_if + c_t0 u_k(i) + v_k(i)t            (> 0: more dose needed, resistant)
  plus, for radiation, its own expression term G_i b_rad, b_rad ~ N(0, s_rad), s_rad ~ HalfNormal(0.3) (the Yard
  9-day proliferation assay shares less with the 72-h drug screens than the drugs share with each other).
  An unseen line gets r = G b + eps with eps drawn from its prior: its mean is G b (its expression), not zero.
- per column: GDSC ln IC50 offset o_c ~ N(0, 0.5); CTRP AUC (standardised) link a_c ~ N(0, 1), s_c ~ HalfNormal(1).
- noise per data set, estimated: sigma_gdsc1, sigma_gdsc2 ~ HalfNormal(2) (ln uM), sigma_ctrp ~ HalfNormal(1)
  (standardised AUC), sigma_yard ~ HalfNormal(0.2) (surviving fraction), sigma_pert ~ HalfNormal(0.5) (ln fold);
  with clonogenic curves (optional), sigma_pide ~ HalfNormal(0.6) (log-kill; the registry's comment derives it from
  PIDE's replicate spread) and the clonogenic assay's offset o_clono ~ N(0, 1) (log-kill: colony formation after
  10-14 days and Yard's 9-day proliferation readout need not give the same survival at 2 Gy).

Likelihood
----------
    GDSC:   y_ic = ln IC50_chain(A_i, t; theta) + ell_it + o_c + noise
    CTRP:   y_ic = a_c + s_c (ln IC50_chain(A_i, t) + ell_it - ln IC50_t) + noise
    Yard:   SF_id = SF_chain(d e^(-ell_i,rad); A_i, theta, alpha, beta) + noise, at each dose d
    clonogenic (PIDE, optional): ln(2 alpha_j + 4 beta_j) of curve j of line i
            = ln(-ln SF_chain(2 Gy e^(-ell_i,rad); A_i, ...)) + o_clono + noise   (`calibration.clonogenic`)
    perturbation: ln RF_j = ln D50(A_i + delta_j e_m) - ln D50(A_i)  (the chain's dose ratio for the knock-down or
            overexpression delta_j of mechanism m in line i; D50 = IC50 for drugs, the 50%-survival dose for
            radiation), + noise.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from chemorad.calibration import forward as F
from chemorad.calibration.data import CLONO_DATASET, CURVE_DATASET, DATASETS, CalibrationData, Mask
from chemorad.calibration.spec import ChainSpec
from chemorad.catalog.registry import calibrated_datasets

jax.tree_util.register_pytree_node(
    Mask, lambda m: ((m.drug, m.yard, m.pert, m.clonogenic), None), lambda _, c: Mask(*c)
)

SF2_DOSE_GY = 2.0
#: global scale of the horseshoe: expected share of non-zero marker weights p0/(J - p0) / sqrt(N), p0 ~ 1 per mechanism
TAU0 = 0.1
#: the radiation ln dose for 50% survival uses these bisection steps (enough for 1e-6 relative in the likelihood)
RAD_ITERATIONS = 40
#: HalfNormal scale of each calibrated data set's noise sd, as the registry declares it (`ResponseDataset.noise_scale`)
NOISE_SCALE = {d.id: d.noise_scale for d in calibrated_datasets()}


def marker_pairs(d: CalibrationData) -> tuple[np.ndarray, np.ndarray]:
    """(feature index, mechanism index) of every catalog marker -> mechanism link with data."""
    j, m = np.nonzero(d.marker_mechanism)
    return j, m


def activities(d: CalibrationData, w: jnp.ndarray, Z=None) -> jnp.ndarray:
    """A = Z W (N, M) with W scattered from the pair weights."""
    j, m = marker_pairs(d)
    W = jnp.zeros(d.marker_mechanism.shape).at[j, m].set(w)
    return jnp.asarray(d.Z if Z is None else Z) @ W


def chain_params(spec: ChainSpec, s: dict) -> F.ChainParams:
    return F.ChainParams(theta=s["theta"], ln_ic50=s["ln_ic50"], ln_alpha=s["ln_alpha"], ln_beta=s["ln_beta"])


def line_ln_dose(spec: ChainSpec, p: F.ChainParams, mod: jnp.ndarray) -> jnp.ndarray:
    """(N, T) chain ln dose for 50% survival: the closed form for drugs, bisection for radiation."""
    out = F.drug_ln_ic50(spec, p, mod)
    for t in np.flatnonzero(spec.is_radiation):
        out = out.at[:, t].set(F.radiation_ln_dose(spec, p, mod[:, t, :], 0.5, iterations=RAD_ITERATIONS))
    return out


def model(
    spec: ChainSpec, d: CalibrationData, mask: Mask | None = None, observed: bool = True, predict: bool = False
) -> None:
    """The numpyro model (module docstring). `mask` (arrays, may be traced) says which observations enter the
    likelihood; the parameters of a line whose observations are all masked keep their prior (an unseen line).
    `observed` False draws the observations instead (simulation). `predict` True also records, for
    `numpyro.infer.Predictive` (`calibration.predict`), the line terms `ell` (N, T), `ln_dose` (N, T: the chain's ln
    dose for 50% survival plus ell, radiation by bisection) and the noise-free means `mean_drug` and `mean_yard` of the
    observation sites."""
    F.use_float64()  # the calibration's precision, also when the model is run outside `infer` (simulation)
    T, K, P = len(spec.therapies), len(d.tissues), d.G.shape[1]
    n_pairs = int(d.marker_mechanism.sum())
    theta = numpyro.sample("theta", dist.Normal(spec.effect_prior_mean, spec.effect_prior_sd))
    ic50_sd = np.where(spec.has_ic50, 1.0, 2.0)
    ln_ic50 = numpyro.sample("ln_ic50", dist.Normal(spec.ln_ic50, ic50_sd))
    ln_alpha = numpyro.sample("ln_alpha", dist.Normal(np.log(max(spec.alpha, 1e-6)), 0.5))
    ln_beta = numpyro.sample("ln_beta", dist.Normal(np.log(max(spec.beta, 1e-6)), 0.5))
    p = F.ChainParams(theta, ln_ic50, ln_alpha, ln_beta)
    if d.n_lines == 0:  # the perturbation table alone (calibration.loeo): no line-level parameters
        A, ell = jnp.zeros((0, len(spec.mechanisms))), jnp.zeros((0, T))
    else:
        A, ell = _line_terms(spec, d, n_pairs, T, K, P)
    curves = {CURVE_DATASET: len(d.yard_sf), CLONO_DATASET: len(d.clono_value)}
    sig = {
        k: numpyro.sample(f"sigma_{k}", dist.HalfNormal(NOISE_SCALE[k]))
        for k in DATASETS
        if (curves[k] if k in curves else np.any(d.col_dataset == DATASETS.index(k)))
    }
    C = len(d.columns)
    mod = F.modifiers(F.effect_matrices(spec, theta), A)
    if predict:
        numpyro.deterministic("ell", ell)
        numpyro.deterministic("ln_dose", line_ln_dose(spec, p, mod) + ell)
    if C:
        offset = numpyro.sample("col_offset", dist.Normal(jnp.zeros(C), 0.5))
        slope = numpyro.sample("col_slope", dist.HalfNormal(jnp.ones(C)))
        ln_dose = F.drug_ln_ic50(spec, p, mod) + ell  # (N, T)
        pred = _column_prediction(d, spec, ln_dose, ln_ic50, offset, slope, d.obs_line, d.obs_column)
        sigma = jnp.stack([sig.get(k, 1.0) for k in DATASETS])[d.col_dataset[d.obs_column]]
        if predict:
            numpyro.deterministic("mean_drug", pred)
        numpyro.sample(
            "obs_drug", _masked(dist.Normal(pred, sigma), mask, "drug"), obs=d.obs_value if observed else None
        )
    if len(d.yard_sf):
        t = d.yard_therapy
        sf = F.radiation_sf(spec, p, mod[d.yard_line, t, :], d.yard_dose_gy * jnp.exp(-ell[d.yard_line, t]))
        if predict:
            numpyro.deterministic("mean_yard", sf)
        fn = dist.Normal(sf, sig[CURVE_DATASET])
        numpyro.sample("obs_yard", fn if mask is None else fn.mask(mask.yard), obs=d.yard_sf if observed else None)
    if len(d.clono_value):
        _clonogenic(spec, d, p, mod, ell, sig[CLONO_DATASET], mask, observed, predict)
    if len(d.pert_ln_fold):
        sigma_p = numpyro.sample("sigma_pert", dist.HalfNormal(0.5))
        ln_rf = perturbation_ln_rf(spec, p, d, A)
        numpyro.sample(
            "obs_pert", _masked(dist.Normal(ln_rf, sigma_p), mask, "pert"), obs=d.pert_ln_fold if observed else None
        )


def _clonogenic(spec: ChainSpec, d: CalibrationData, p, mod, ell, sigma, mask, observed: bool, predict: bool) -> None:
    """The clonogenic curves' likelihood (module docstring): each curve's log-kill at 2 Gy against the chain's, the
    line's radiation dose modifier included, plus the assay offset."""
    t = d.yard_therapy
    sf2 = F.radiation_sf(spec, p, mod[d.clono_line, t, :], SF2_DOSE_GY * jnp.exp(-ell[d.clono_line, t]))
    # the floor keeps ln(-ln SF) finite for a draw whose chain barely kills at 2 Gy
    kill = jnp.log(jnp.maximum(-jnp.log(sf2), 1e-9))
    offset = numpyro.sample("clono_offset", dist.Normal(0.0, 1.0))
    if predict:
        numpyro.deterministic("mean_clonogenic", kill + offset)
    numpyro.sample(
        "obs_clonogenic",
        _masked(dist.Normal(kill + offset, sigma), mask, "clonogenic"),
        obs=d.clono_value if observed else None,
    )


def _line_terms(spec: ChainSpec, d: CalibrationData, n_pairs: int, T: int, K: int, P: int):
    """Activities A (N, M) from the horseshoe marker map and the log dose modifier ell (N, T) (module docstring)."""
    # regularised horseshoe on the marker -> activity weights
    tau = numpyro.sample("hs_tau", dist.HalfCauchy(TAU0))
    lam = numpyro.sample("hs_lambda", dist.HalfCauchy(jnp.ones(n_pairs)))
    c2 = numpyro.sample("hs_c2", dist.InverseGamma(2.0, 2.0))
    lam_t = jnp.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    z = numpyro.sample("hs_z", dist.Normal(jnp.zeros(n_pairs), 1.0))
    w = numpyro.deterministic("w", tau * lam_t * z)
    A = activities(d, w)
    # line sensitivity factors and tissue
    F = d.factors
    eps = numpyro.sample("gs_eps", dist.Normal(jnp.zeros((d.n_lines, F)), 1.0))
    r = eps
    if P:
        s_b = numpyro.sample("gs_b_scale", dist.HalfNormal(0.3))
        b = numpyro.deterministic("gs_coef", numpyro.sample("gs_b", dist.Normal(jnp.zeros((P, F)), 1.0)) * s_b)
        r = jnp.asarray(d.G) @ b + eps
    tau_u = numpyro.sample("tau_tissue", dist.HalfNormal(0.5))
    tau_v = numpyro.sample("tau_tissue_therapy", dist.HalfNormal(0.5))
    u = numpyro.sample("tissue", dist.Normal(jnp.zeros(K), 1.0)) * tau_u
    v = numpyro.sample("tissue_therapy", dist.Normal(jnp.zeros((K, T)), 1.0)) * tau_v
    c = loadings(
        numpyro.sample("loading", dist.HalfNormal(jnp.ones(T))),
        numpyro.sample("loading_factor", dist.Normal(jnp.zeros((T, F - 1)), 0.5)) if F > 1 else None,
    )
    ell = r @ c.T + c[:, 0][None, :] * u[d.tissue][:, None] + v[d.tissue]
    if P and len(d.radiation):
        # radiation's own expression term: the Yard 9-day proliferation assay and radiation's biology share less
        # with the 72-h drug screens than the drugs share with each other
        s_rad = numpyro.sample("rad_b_scale", dist.HalfNormal(0.3))
        b_rad = numpyro.deterministic("rad_coef", numpyro.sample("rad_b", dist.Normal(jnp.zeros(P), 1.0)) * s_rad)
        ell = ell.at[:, int(d.radiation[0])].add(jnp.asarray(d.G) @ b_rad)
    return A, ell


def loadings(general, other) -> jnp.ndarray:
    """(..., T, F) loadings: the general factor's (positive) first, then the free factors' (may be None)."""
    general = jnp.asarray(general)[..., None]
    return general if other is None else jnp.concatenate([general, jnp.asarray(other)], axis=-1)


def _masked(fn, mask, name: str):
    keep = None if mask is None else getattr(mask, name)
    return fn if keep is None else fn.mask(keep)


def _column_prediction(d, spec, ln_dose, ln_ic50, offset, slope, line, col):
    """Predicted observation of (line, column) pairs on the modelled scale (GDSC ln IC50, CTRP standardised AUC)."""
    t = d.col_therapy[col]
    x = ln_dose[line, t]
    auc = jnp.asarray(d.col_is_auc[col])
    return jnp.where(auc, offset[col] + slope[col] * (x - ln_ic50[t]), x + offset[col])


def perturbation_ln_rf(spec: ChainSpec, p: F.ChainParams, d: CalibrationData, A: jnp.ndarray) -> jnp.ndarray:
    """ln (perturbed / control) of each perturbation entry through the chain, at the oxic pO2 (module docstring): the
    dose ratio at the entry's surviving fraction, or the ratio of surviving fractions at 2 Gy.

    The three kinds of entry (SF2 ratio, radiation dose ratio, drug dose ratio) are computed on their own rows only
    (the row sets are NumPy constants): a `where` over branches evaluated on every row would carry the NaN gradient
    of a branch that does not apply to a row (radiation's bisection on a drug's modifiers) into the sum.
    """
    n = len(d.pert_ln_fold)
    base = jnp.zeros((n, len(spec.mechanisms)))
    if A.shape[0] and np.any(d.pert_line >= 0):
        base = jnp.where((d.pert_line >= 0)[:, None], A[np.maximum(d.pert_line, 0)], 0.0)
    onehot = jnp.asarray(np.eye(len(spec.mechanisms))[d.pert_mechanism] * d.pert_activity[:, None])
    mod = F.modifiers(F.effect_matrices(spec, p.theta), jnp.concatenate([base, base + onehot]))
    t = np.concatenate([d.pert_therapy, d.pert_therapy]).astype(int)
    target = np.concatenate([d.pert_target_sf, d.pert_target_sf])
    is_sf2 = np.isnan(target)
    is_rad = ~is_sf2 & spec.is_radiation[t]
    is_drug = ~is_sf2 & ~is_rad
    value = jnp.zeros(2 * n)
    rows = np.flatnonzero(is_sf2)
    if len(rows):
        sf = F.radiation_sf(spec, p, mod[rows, t[rows], :], SF2_DOSE_GY, spec.p_oxic)
        value = value.at[rows].set(jnp.log(sf))
    rows = np.flatnonzero(is_rad)
    if len(rows):
        m_t = mod[rows, t[rows], :]
        dose = F.radiation_ln_dose(spec, p, m_t, jnp.asarray(target[rows]), spec.p_oxic, iterations=RAD_ITERATIONS)
        value = value.at[rows].set(dose)
    rows = np.flatnonzero(is_drug)
    if len(rows):
        ln_ic = F.drug_ln_ic50(spec, p, mod[rows], spec.p_oxic, target_sf=jnp.asarray(target[rows])[:, None])
        value = value.at[rows].set(ln_ic[np.arange(len(rows)), t[rows]])
    return value[n:] - value[:n]
