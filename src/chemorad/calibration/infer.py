"""Inference for `calibration.model`: NUTS where it fits the budget, variational inference where not; diagnostics.

- NUTS (Hoffman & Gelman 2014, JMLR 15:1593; numpyro's implementation), `chains` chains run one after the other:
  diagnostics are split R-hat (rank-normalised, Vehtari et al. 2021, Bayesian Anal 16:667) and bulk ESS from ArviZ,
  and the number of divergent transitions. `check_nuts` raises `ChemoradError` when max R-hat > RHAT_MAX, min bulk
  ESS < ESS_MIN_PER_CHAIN x chains, or divergences exceed DIVERGENCE_SHARE of the draws.
- VI: stochastic variational inference with a mean-field normal guide (`AutoNormal`) or a low-rank multivariate normal
  (`AutoLowRankMultivariateNormal`) on the unconstrained space, Adam. Diagnostics: the ELBO must be finite and have
  stopped falling: the mean loss of the last 10% of steps may not be below that of the 10% before by more than
  ELBO_REL_TOL of its magnitude (a still-descending fit is reported as not converged). Draws come from the guide.

The posterior is an ArviZ InferenceData: group `posterior` (every sample site but the per-line eps, which is kept
for the training lines only when `keep_lines`), `sample_stats` (NUTS: diverging, tree depth), `log_likelihood` (each
observation's log density under each draw, from `numpyro.infer.log_likelihood`, float32; the observations a mask left
out are dropped) with `observed_data`, and attributes with the method, seed, diagnostics and the names of effects,
therapies, mechanisms, features, tissues, columns and lines. PSIS-LOO and WAIC come from ArviZ on that group
(`predictive_accuracy`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import jax
import numpy as np

from chemorad.calibration.data import CalibrationData, Mask, check_nonempty
from chemorad.calibration.forward import use_float64
from chemorad.calibration.model import model
from chemorad.calibration.spec import ChainSpec
from chemorad.errors import ChemoradError

RHAT_MAX = 1.05
ESS_MIN_PER_CHAIN = 50
DIVERGENCE_SHARE = 0.01
ELBO_REL_TOL = 0.005
METHODS = ("nuts", "vi")
#: VI runs in this many compiled chunks (progress is reported between them)
CHUNKS = 20


@dataclass(frozen=True)
class Settings:
    method: str = "vi"
    seed: int = 0
    warmup: int = 500
    samples: int = 500
    chains: int = 2
    steps: int = 3000
    learning_rate: float = 0.01
    guide: str = "normal"  # or "lowrank"
    draws: int = 400
    check: bool = True


def run(spec: ChainSpec, d: CalibrationData, settings: Settings = Settings(), mask: Mask | None = None, progress=None):
    """Fit the model and return (InferenceData, diagnostics dict). Raises ChemoradError on bad diagnostics."""
    if settings.method not in METHODS:
        raise ChemoradError(f"method: expected one of {', '.join(METHODS)}, got {settings.method!r}")
    check_nonempty(d)
    use_float64()
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    if settings.method == "nuts":
        samples, stats, diag = _nuts(spec, d, settings, mask, say)
    else:
        samples, stats, diag = Calibrator(spec, d, settings).fit(mask, settings.seed, say)
    diag["wall_time_s"] = time.perf_counter() - t0
    log_lik = log_likelihood(spec, d, samples, mask)
    idata = to_inference_data(spec, d, samples, stats, settings, diag, log_lik, mask)
    if settings.check:
        check(diag)
    return idata, diag


def _nuts(spec, d, s: Settings, mask, say):
    import arviz as az
    from numpyro.infer import MCMC, NUTS

    say(f"NUTS: {s.chains} chain(s) x ({s.warmup} warm-up + {s.samples} draws)")
    mcmc = MCMC(
        NUTS(model, target_accept_prob=0.9),
        num_warmup=s.warmup,
        num_samples=s.samples,
        num_chains=s.chains,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(s.seed), spec, d, mask, extra_fields=("diverging", "num_steps"))
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {"diverging": np.asarray(extra["diverging"]), "n_steps": np.asarray(extra["num_steps"])}
    post = az.from_dict(posterior={k: v for k, v in samples.items() if k != "w"})
    summ = az.summary(post, kind="diagnostics")
    diag = {
        "method": "nuts",
        "chains": s.chains,
        "draws": s.samples,
        "max_rhat": float(np.nanmax(summ["r_hat"].to_numpy())),
        "min_ess_bulk": float(np.nanmin(summ["ess_bulk"].to_numpy())),
        "divergences": int(stats["diverging"].sum()),
        "worst_rhat_parameter": str(summ["r_hat"].idxmax()),
    }
    return samples, stats, diag


class Calibrator:
    """Variational fits of one (spec, data) pair under different masks, compiled once.

    The data are constants of the compiled step; the mask (which observations enter the likelihood) is an argument,
    so cross-validation folds, zero-shot and leave-one-experiment-out fits reuse one compilation.
    """

    def __init__(self, spec: ChainSpec, d: CalibrationData, settings: Settings = Settings()) -> None:
        import numpyro.optim as optim
        from numpyro.infer import SVI, Trace_ELBO
        from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal
        from numpyro.infer.initialization import init_to_median

        use_float64()
        self.spec, self.d, self.s = spec, d, settings
        # start at the priors' medians (the catalog's values), not uniform(-2, 2) on the unconstrained space
        guide_class = AutoLowRankMultivariateNormal if settings.guide == "lowrank" else AutoNormal
        self.guide = guide_class(model, init_loc_fn=init_to_median(num_samples=15))
        self.svi = SVI(model, self.guide, optim.Adam(settings.learning_rate), Trace_ELBO())

        # the steps run in CHUNKS compiled scans, so that progress can be reported between them
        self._chunk = max(1, -(-settings.steps // CHUNKS))

        def steps(state, m):
            return jax.lax.scan(lambda st, _: self.svi.update(st, spec, d, m), state, None, length=self._chunk)

        self._steps = jax.jit(steps)
        self._draw = jax.jit(
            lambda key, params, m: self.guide.sample_posterior(key, params, spec, d, m, sample_shape=(settings.draws,))
        )

    def fit(self, mask: Mask | None = None, seed: int = 0, say=None):
        """(samples with a leading chain axis of 1, stats, diagnostics) of one fit."""
        say = say or (lambda _m: None)
        m = mask or self.d.mask()
        say(f"VI ({self.s.guide} guide): {self.s.steps} Adam steps")
        state = self.svi.init(jax.random.PRNGKey(seed), self.spec, self.d, m)
        parts = []
        for done in range(0, self.s.steps, self._chunk):
            state, part = self._steps(state, m)
            parts.append(np.asarray(part))
            if len(parts) % 4 == 0 or done + self._chunk >= self.s.steps:
                say(f"VI step {min(done + self._chunk, self.s.steps)}/{self.s.steps}: ELBO loss {parts[-1][-1]:.6g}")
        losses = np.concatenate(parts)  # the steps rounded up to whole chunks
        params = self.svi.get_params(state)
        draws = self._draw(jax.random.PRNGKey(seed + 1), params, m)
        samples = {k: np.asarray(v)[None] for k, v in draws.items()}
        w = max(len(losses) // 10, 1)
        last = float(np.mean(losses[-w:]))
        before = float(np.mean(losses[-2 * w : -w])) if len(losses) >= 2 * w else float("nan")
        diag = {
            "method": "vi",
            "guide": self.s.guide,
            "steps": len(losses),
            "draws": self.s.draws,
            "final_elbo_loss": last,
            "elbo_finite": bool(np.all(np.isfinite(losses))),
            "elbo_relative_change": float((before - last) / max(abs(last), 1.0))
            if np.isfinite(before)
            else float("nan"),
        }
        return samples, {"elbo_loss": losses}, diag


#: observation sites of `calibration.model` and their dimension in the InferenceData; the Mask field that selects a
#: site's observations is the site's name without "obs_" (`_mask_field`)
OBSERVATIONS = {
    "obs_drug": "drug_obs",
    "obs_yard": "yard_obs",
    "obs_pert": "pert_obs",
    "obs_clonogenic": "clonogenic_obs",
}


def _mask_field(mask: Mask, site: str, n: int) -> np.ndarray:
    keep = getattr(mask, site.removeprefix("obs_"))
    return np.ones(n, bool) if keep is None else np.asarray(keep, bool)


def log_likelihood(spec: ChainSpec, d: CalibrationData, samples: dict, mask: Mask | None = None) -> dict:
    """{site: (chain, draw, n) float32} log density of each observation in the likelihood under each draw: the model's
    own likelihood (`numpyro.infer.log_likelihood`, one draw at a time), the observations `mask` left out dropped."""
    from numpyro.infer import log_likelihood as numpyro_ll

    use_float64()
    out = numpyro_ll(model, samples, spec, d, mask, batch_ndims=2)
    keep = {
        k: np.ones(np.shape(v)[-1], bool) if mask is None else _mask_field(mask, k, np.shape(v)[-1])
        for k, v in out.items()
    }
    return {k: np.asarray(v)[..., keep[k]].astype(np.float32) for k, v in out.items() if keep[k].any()}


def observed_values(d: CalibrationData, mask: Mask | None = None) -> dict:
    """{site: observed values} of the observations in the likelihood (the `observed_data` group)."""
    values = {
        "obs_drug": d.obs_value,
        "obs_yard": d.yard_sf,
        "obs_pert": d.pert_ln_fold,
        "obs_clonogenic": d.clono_value,
    }
    out = {}
    for k, v in values.items():
        keep = np.ones(len(v), bool) if mask is None else _mask_field(mask, k, len(v))
        if len(v) and keep.any():
            out[k] = np.asarray(v)[keep]
    return out


def predictive_accuracy(idata) -> dict:
    """PSIS-LOO (Vehtari, Gelman & Gabry 2017, Stat Comput 27:1413) and WAIC (Watanabe 2010, JMLR 11:3571) of each
    observation site, from ArviZ (`az.loo`, `az.waic`) on the `log_likelihood` group: elpd, its standard error, the
    effective number of parameters and the number of observations whose Pareto k exceeds 0.7 (LOO unreliable there).
    Empty when the InferenceData has no log-likelihood (a posterior made before it was stored)."""
    import warnings

    import arviz as az

    if "log_likelihood" not in idata.groups():
        return {}
    out = {}
    for site in idata.log_likelihood.data_vars:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the Pareto k counts below say when LOO is unreliable
            loo = az.loo(idata, var_name=site, pointwise=True)
            waic = az.waic(idata, var_name=site)
        out[str(site)] = {
            "n": int(idata.log_likelihood[site].shape[-1]),
            "elpd_loo": float(loo["elpd_loo"]),
            "se_loo": float(loo["se"]),
            "p_loo": float(loo["p_loo"]),
            "pareto_k_above_0.7": int(np.sum(np.asarray(loo["pareto_k"]) > 0.7)),
            "elpd_waic": float(waic["elpd_waic"]),
            "se_waic": float(waic["se"]),
            "p_waic": float(waic["p_waic"]),
        }
    return out


def check(diag: dict) -> None:
    """Raise ChemoradError naming the failed diagnostic (thresholds in the module docstring)."""
    if diag["method"] == "nuts":
        problems = []
        if not diag["max_rhat"] <= RHAT_MAX:
            problems.append(f"max R-hat {diag['max_rhat']:.3f} > {RHAT_MAX} ({diag['worst_rhat_parameter']})")
        if not diag["min_ess_bulk"] >= ESS_MIN_PER_CHAIN * diag["chains"]:
            problems.append(f"min bulk ESS {diag['min_ess_bulk']:.0f} < {ESS_MIN_PER_CHAIN * diag['chains']}")
        if diag["divergences"] > DIVERGENCE_SHARE * diag["chains"] * diag["draws"]:
            problems.append(f"{diag['divergences']} divergent transitions")
    else:
        problems = []
        if not diag["elbo_finite"]:
            problems.append("the ELBO became non-finite")
        elif not diag["elbo_relative_change"] <= ELBO_REL_TOL:
            problems.append(
                f"the ELBO was still falling (relative change {diag['elbo_relative_change']:.3g} over the last 10% of "
                f"steps > {ELBO_REL_TOL}); run more steps"
            )
    if problems:
        raise ChemoradError(f"calibration diagnostics failed ({diag['method']}): " + "; ".join(problems))


def to_inference_data(
    spec: ChainSpec,
    d: CalibrationData,
    samples: dict,
    stats: dict,
    s: Settings,
    diag: dict,
    log_lik: dict | None = None,
    mask: Mask | None = None,
):
    """ArviZ InferenceData with named dimensions (module docstring)."""
    import arviz as az

    j, m = np.nonzero(d.marker_mechanism)
    coords = {
        "effect": list(spec.effect_name),
        "therapy": list(spec.therapies),
        "pair": [f"{d.features[a]} -> {spec.mechanisms[b]}" for a, b in zip(j, m, strict=True)],
        "covariate": ["proliferation", *(f"pc{i}" for i in range(1, d.G.shape[1]))][: d.G.shape[1]],
        "factor": [f"factor{f}" for f in range(d.factors)],
        "free_factor": [f"factor{f}" for f in range(1, d.factors)],
        "line": list(d.lines),
        "tissue_name": list(d.tissues),
        "column": list(d.columns),
    }
    dims = {
        "theta": ["effect"],
        "ln_ic50": ["therapy"],
        "loading": ["therapy"],
        "loading_factor": ["therapy", "free_factor"],
        "hs_lambda": ["pair"],
        "hs_z": ["pair"],
        "w": ["pair"],
        "gs_b": ["covariate", "factor"],
        "gs_coef": ["covariate", "factor"],
        "rad_b": ["covariate"],
        "rad_coef": ["covariate"],
        "gs_eps": ["line", "factor"],
        "tissue": ["tissue_name"],
        "tissue_therapy": ["tissue_name", "therapy"],
        "col_offset": ["column"],
        "col_slope": ["column"],
    }
    sample_stats = {k: v for k, v in stats.items() if k in ("diverging", "n_steps")}
    constant = None
    if d.basis is not None:
        b = d.basis
        coords |= {"basis_gene": list(b.genes), "component": [f"pc{i}" for i in range(1, len(b.components) + 1)]}
        constant = {
            "basis_mean": b.mean,
            "basis_sd": b.sd,
            "basis_components": b.components,
            "basis_pc_sd": b.pc_sd,
            "basis_prolif": b.prolif.astype(np.int8),
            "basis_prolif_sd": np.asarray([b.prolif_sd]),
        }
        dims |= {k: ["basis_gene"] for k in ("basis_mean", "basis_sd", "basis_prolif")}
        dims |= {"basis_components": ["component", "basis_gene"], "basis_pc_sd": ["component"]}
    observed = None
    if log_lik:
        observed = {k: v for k, v in observed_values(d, mask).items() if k in log_lik}
        dims |= {k: [OBSERVATIONS[k]] for k in log_lik}
    idata = az.from_dict(
        posterior=samples,
        sample_stats=sample_stats or None,
        log_likelihood=log_lik or None,
        observed_data=observed,
        constant_data=constant,
        coords=coords,
        dims=dims,
    )
    idata.posterior.attrs.update(
        {
            "method": s.method,
            "seed": s.seed,
            "diagnostics": json.dumps(diag),
            "mechanisms": json.dumps(list(spec.mechanisms)),
            "features": json.dumps(list(d.features)),
            "pair_feature": json.dumps([int(x) for x in j]),
            "pair_mechanism": json.dumps([int(x) for x in m]),
            "col_centre": json.dumps([float(x) for x in d.col_centre]),
            "col_scale": json.dumps([float(x) for x in d.col_scale]),
            "col_is_auc": json.dumps([bool(x) for x in d.col_is_auc]),
            "col_therapy": json.dumps([int(x) for x in d.col_therapy]),
            "factors": d.factors,
        }
    )
    if "elbo_loss" in stats:
        idata.posterior.attrs["elbo_loss_every_100"] = json.dumps([float(x) for x in stats["elbo_loss"][::100]])
    return idata
