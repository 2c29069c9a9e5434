"""Small synthetic calibration problems drawn from the model itself, with known parameters (tests, documentation).

`synthetic_problem` builds a `CalibrationData` for a sub-catalog (a few mechanisms and therapies): random within-tissue
marker z-scores, proliferation covariates and tissues; then draws every observation (GDSC ln IC50, CTRP AUC, Yard
surviving fractions, perturbation entries) from `model` at fixed, moderate true parameter values (`truth`): the catalog
effect sizes, the catalog potencies, a horseshoe with a few clearly non-zero marker weights, and stated noise levels.
A correct inference recovers them within its credible intervals.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chemorad.calibration.data import DATASETS, CalibrationData, attach_perturbations
from chemorad.calibration.spec import ChainSpec, chain_spec
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Likelihood, response_dataset

#: the true noise of each kind of data set in the synthetic problems (ln uM; standardised AUC; surviving fraction)
SIGMA_OF_KIND = {
    Likelihood.ln_ic50: 0.4,
    Likelihood.affine_auc: 0.3,
    Likelihood.survival_curve: 0.04,
    Likelihood.clonogenic_log_kill: 0.25,
}
#: the true offset of the clonogenic log-kill against the chain's (`model`, o_clono)
CLONO_OFFSET = 0.5
#: the true noise of each calibrated data set (by its kind) and of the perturbation entries ('pert', ln fold)
TRUE_SIGMA = {k: SIGMA_OF_KIND[response_dataset(k).likelihood] for k in DATASETS} | {"pert": 0.2}
YARD_DOSES_GY = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def sub_catalog(cat: Catalog, mechanisms: list[str], therapies: list[str]) -> Catalog:
    """The catalog restricted to some mechanisms and therapies (perturbations of those only)."""
    keep_p = {k: p for k, p in cat.perturbations.items() if p.mechanism in mechanisms and p.therapy in therapies}
    return replace(
        cat,
        mechanisms={m: cat.mechanisms[m] for m in mechanisms},
        therapies={t: cat.therapies[t] for t in therapies},
        perturbations=keep_p,
        cache={},
    )


def design(
    cat: Catalog,
    spec: ChainSpec,
    n_lines: int,
    n_tissues: int,
    rng: np.random.Generator,
    factors: int = 1,
    clonogenic: int = 0,
) -> CalibrationData:
    """Covariates and observation slots (values 0) for `n_lines` synthetic lines: one or two markers per mechanism,
    two expression covariates, `factors` line factors, a GDSC1 ln IC50 column per drug, a CTRP AUC column for the
    first drug, the Yard doses for radiation, and (a PIDE-like set) one or two clonogenic curves for each of the first
    `clonogenic` lines (with radiation)."""
    M = len(spec.mechanisms)
    owner = np.repeat(np.arange(M), 2)
    J = len(owner)
    mm = np.zeros((J, M))
    mm[np.arange(J), owner] = 1.0
    drugs = [i for i in range(len(spec.therapies)) if not spec.is_radiation[i]]
    kind = [response_dataset(k).likelihood for k in DATASETS]
    ic50, auc = kind.index(Likelihood.ln_ic50), kind.index(Likelihood.affine_auc)
    cols = [(ic50, t) for t in drugs] + [(auc, drugs[0])]
    n_obs = n_lines * len(cols)
    rad = np.flatnonzero(spec.is_radiation)
    n_yard = n_lines * len(YARD_DOSES_GY) if len(rad) else 0
    d = CalibrationData(
        lines=tuple(f"line{i}" for i in range(n_lines)),
        tissues=tuple(f"tissue{k}" for k in range(n_tissues)),
        tissue=rng.integers(0, n_tissues, n_lines),
        Z=rng.normal(size=(n_lines, J)),
        features=tuple(f"marker{j} [{spec.mechanisms[owner[j]]}]" for j in range(J)),
        marker_mechanism=mm,
        G=rng.normal(size=(n_lines, 2)),
        columns=tuple(f"{DATASETS[ds]}|{spec.therapies[t]}|synthetic" for ds, t in cols),
        col_dataset=np.array([ds for ds, _ in cols]),
        col_therapy=np.array([t for _, t in cols]),
        col_is_auc=np.array([ds == auc for ds, _ in cols]),
        col_centre=np.zeros(len(cols)),
        col_scale=np.ones(len(cols)),
        obs_line=np.tile(np.arange(n_lines), len(cols)),
        obs_column=np.repeat(np.arange(len(cols)), n_lines),
        obs_value=np.zeros(n_obs),
        yard_line=np.repeat(np.arange(n_lines), len(YARD_DOSES_GY))[:n_yard],
        yard_dose_gy=np.tile(np.array(YARD_DOSES_GY), n_lines)[:n_yard],
        yard_sf=np.zeros(n_yard),
        radiation=rad[:1],
        factors=factors,
    )
    if clonogenic and len(rad):
        per_line = rng.integers(1, 3, clonogenic)  # several curves for some lines, as in PIDE
        line = np.repeat(np.arange(clonogenic), per_line)
        d = replace(d, clono_line=line, clono_value=np.zeros(len(line)))
    return attach_perturbations(cat, spec, d)


def truth(spec: ChainSpec, d: CalibrationData, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Moderate true values of every latent site of `model` (module docstring)."""
    n_pairs = int(d.marker_mechanism.sum())
    z = np.zeros(n_pairs)
    z[::2] = rng.choice([-1.0, 1.0], size=len(z[::2])) * rng.uniform(0.6, 1.0, size=len(z[::2]))
    T, K, C = len(spec.therapies), len(d.tissues), len(d.columns)
    out = {
        "theta": spec.effect_prior_mean + 0.3 * spec.effect_prior_sd * rng.normal(size=spec.n_effects),
        "ln_ic50": spec.ln_ic50.astype(float),
        "ln_alpha": np.log(spec.alpha),
        "ln_beta": np.log(spec.beta),
        "hs_tau": 1.0,
        "hs_lambda": np.ones(n_pairs),
        "hs_c2": 4.0,
        "hs_z": z,
        "gs_b_scale": 0.3,
        "gs_b": np.array([[1.0, -0.7], [-0.7, 1.0]])[:, : d.factors],
        "gs_eps": 0.5 * rng.normal(size=(d.n_lines, d.factors)),
        "rad_b_scale": 0.3,
        "rad_b": np.array([0.8, 0.8]),
        "tau_tissue": 0.3,
        "tau_tissue_therapy": 0.2,
        "tissue": rng.normal(size=K),
        "tissue_therapy": rng.normal(size=(K, T)),
        "loading": rng.uniform(0.3, 0.8, size=T),
        "loading_factor": rng.choice([-0.6, 0.6], size=(T, d.factors - 1)),
        "col_offset": 0.2 * rng.normal(size=C),
        "col_slope": np.full(C, 0.7),
    }
    out["clono_offset"] = CLONO_OFFSET
    for k in DATASETS:
        out[f"sigma_{k}"] = TRUE_SIGMA[k]
    out["sigma_pert"] = TRUE_SIGMA["pert"]
    return out


def simulate(spec: ChainSpec, d: CalibrationData, params: dict, seed: int = 0) -> CalibrationData:
    """`d` with every observation drawn from the model at `params`."""
    import jax
    from numpyro import handlers

    from chemorad.calibration.model import model

    sub = handlers.substitute(handlers.seed(model, jax.random.PRNGKey(seed)), data=params)
    tr = handlers.trace(sub).get_trace(spec, d, None, False)
    out = {k: np.asarray(tr[k]["value"]) for k in ("obs_drug", "obs_yard", "obs_pert", "obs_clonogenic") if k in tr}
    return replace(
        d,
        obs_value=out.get("obs_drug", d.obs_value),
        yard_sf=out.get("obs_yard", d.yard_sf),
        pert_ln_fold=out.get("obs_pert", d.pert_ln_fold),
        clono_value=out.get("obs_clonogenic", d.clono_value),
    )


def synthetic_problem(
    cat: Catalog,
    mechanisms: list[str],
    therapies: list[str],
    n_lines: int = 80,
    n_tissues: int = 3,
    seed: int = 0,
    factors: int = 1,
    clonogenic: int = 0,
) -> tuple[ChainSpec, CalibrationData, dict]:
    """(spec, data drawn from the model, the true parameters) for a sub-catalog; `clonogenic` lines also get
    PIDE-like clonogenic curves (`design`)."""
    sub = sub_catalog(cat, mechanisms, therapies)
    spec = chain_spec(sub)
    rng = np.random.default_rng(seed)
    d = design(sub, spec, n_lines, n_tissues, rng, factors, clonogenic)
    params = truth(spec, d, rng)
    return spec, simulate(spec, d, params, seed), params
