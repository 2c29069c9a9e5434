"""Using a calibration: the posterior file, calibrated specificity with credible intervals, posterior predictions.

Files: `chemorad calibrate` writes `posterior.nc` (ArviZ InferenceData, NetCDF4 via h5netcdf); `shipped_path()` is the
posterior of the shipped catalog and bundle that comes with the package (global parameters only, thinned; rebuilt by
`chemorad calibrate --ship`). A posterior fits one catalog: its therapies must match the catalog in use, else
`ChemoradError` asks for a new calibration; an effect added to the catalog since the calibration takes draws from its
prior (`theta_draws`; the command says so) until `chemorad calibrate` is run again.

Calibrated specificity: for every posterior draw s, the resistance factor of each mechanism alone at activity 1 on each
therapy and oxygen condition, exactly as `chain.specificity.resistance_factors` computes it (dose ratio at SF 0.5 for
drugs, 0.1 for radiation) but with the draw's effect sizes and potencies; then

    rf = median_s RF_s,   [rf_low, rf_high] = 5% and 95% quantiles (90% equal-tailed credible interval),
    verdict = the most frequent of the per-draw verdicts (`chain.specificity.verdict`), verdict_probability = its
    share of the draws (the posterior probability of that verdict; `verdict_probabilities` has every verdict's share).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.calibration.spec import ChainSpec
from chemorad.catalog.load import Catalog
from chemorad.errors import ChemoradError
from chemorad.io_atomic import replacing

LEVEL = 0.9
GLOBAL_EXCLUDE = ("gs_eps", "hs_lambda", "hs_z", "gs_b", "gs_b_scale", "rad_b", "rad_b_scale")


def shipped_path() -> Path:
    return Path(str(resources.files("chemorad") / "calibration" / "data" / "posterior.nc"))


def load(path: str | os.PathLike[str] | None = None):
    """The InferenceData at `path` (a posterior.nc or a directory holding one), else the shipped posterior."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    p = shipped_path() if path is None else Path(path)
    if p.is_dir():
        p = p / "posterior.nc"
    if not p.exists():
        where = "the shipped posterior" if path is None else f"posterior {p}"
        raise ChemoradError(f"{where} not found; run `chemorad calibrate --out DIR` first")
    try:
        return az.from_netcdf(p)
    except (OSError, ValueError) as exc:
        raise ChemoradError(f"posterior {p}: not a readable InferenceData NetCDF file ({exc})") from None


def check_matches(spec: ChainSpec, idata) -> list[str]:
    """Raise when the posterior's therapies differ from the catalog's; return the catalog effects the posterior does
    not have (added since the calibration: `theta_draws` gives them their prior)."""
    post = idata.posterior
    if [str(x) for x in post["therapy"].values] != list(spec.therapies):
        raise ChemoradError(
            "posterior: it was calibrated on a different catalog (the therapies differ); "
            "run `chemorad calibrate` for this catalog"
        )
    got = {str(x) for x in post["effect"].values}
    return [e for e in spec.effect_name if e not in got]


def theta_draws(spec: ChainSpec, idata, seed: int = 0) -> np.ndarray:
    """(n_draws, n_effects) effect magnitudes in the catalog's effect order: the posterior's draws where it has the
    effect, draws from the effect's prior (`spec`) for an effect added to the catalog since the calibration."""
    post = draws(idata, "theta")
    col = {str(x): i for i, x in enumerate(idata.posterior["effect"].values)}
    rng = np.random.default_rng(seed)
    out = np.empty((post.shape[0], spec.n_effects))
    for e, name in enumerate(spec.effect_name):
        if name in col:
            out[:, e] = post[:, col[name]]
        else:
            out[:, e] = rng.normal(spec.effect_prior_mean[e], spec.effect_prior_sd[e], size=post.shape[0])
    return out


def draws(idata, name: str) -> np.ndarray:
    """(n_draws, ...) samples of a site, chains stacked."""
    v = idata.posterior[name].values
    return v.reshape((-1,) + v.shape[2:])


def thin_globals(idata, n: int = 100):
    """A small copy with the global parameters only (no per-line terms), `n` draws, float32: the shipped file."""
    import arviz as az

    post = idata.posterior.drop_vars([v for v in GLOBAL_EXCLUDE if v in idata.posterior])
    post = post.stack(sample=("chain", "draw"))
    k = post.sizes["sample"]
    idx = np.linspace(0, k - 1, min(n, k)).astype(int)
    post = post.isel(sample=idx).reset_index("sample", drop=True).rename({"sample": "draw"}).expand_dims("chain")
    post = post.transpose("chain", "draw", ...).astype("float32")
    post = post.assign_coords(chain=[0], draw=np.arange(post.sizes["draw"]))
    post.attrs = dict(idata.posterior.attrs)
    if "constant_data" in idata.groups():
        return az.InferenceData(posterior=post, constant_data=idata.constant_data)
    return az.InferenceData(posterior=post)


def expression_basis(idata):
    """The `data.ExpressionBasis` the posterior was calibrated with (its constant_data group)."""
    from chemorad.calibration.data import ExpressionBasis

    if "constant_data" not in idata.groups() or "basis_mean" not in idata.constant_data:
        raise ChemoradError(
            "posterior: it has no expression basis (made by an older chemorad); run `chemorad calibrate` again"
        )
    c = idata.constant_data
    return ExpressionBasis(
        genes=tuple(str(g) for g in c["basis_gene"].values),
        mean=c["basis_mean"].values.astype(float),
        sd=c["basis_sd"].values.astype(float),
        components=c["basis_components"].values.astype(float),
        pc_sd=c["basis_pc_sd"].values.astype(float),
        prolif=c["basis_prolif"].values.astype(bool),
        prolif_sd=float(c["basis_prolif_sd"].values[0]),
    )


def save(idata, path: str | os.PathLike[str], compress: bool = False) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with replacing(p) as tmp:  # a full disk or a crash keeps the old posterior (chemorad.io_atomic)
        if compress:
            groups = [g for g in ("posterior", "constant_data") if g in idata.groups()]
            for i, g in enumerate(groups):
                ds = idata[g]
                enc = {v: {"zlib": True, "complevel": 6} for v in ds.data_vars if ds[v].dtype.kind in "fiu"}
                ds.to_netcdf(tmp, group=g, engine="h5netcdf", encoding=enc, mode="w" if i == 0 else "a")
        else:
            idata.to_netcdf(str(tmp))
    return p


# --------------------------------------------------------------------------------------------- calibrated specificity
def _rf_draws(cat: Catalog, spec: ChainSpec, idata, activity: float, po2_mmhg: float | None) -> tuple[np.ndarray, dict]:
    """RF (n_draws, n_conditions, n_mechanisms, n_therapies) and the conditions {name: pO2}."""
    from chemorad.chain.specificity import single_mechanism_phenotypes

    return rf_draws_for(cat, spec, idata, single_mechanism_phenotypes(cat, activity).activities, po2_mmhg)


def rf_draws_for(
    cat: Catalog, spec: ChainSpec, idata, activities: np.ndarray, po2_mmhg: float | None = None
) -> tuple[np.ndarray, dict]:
    """RF (n_draws, n_conditions, n_rows - 1, n_therapies) of rows 1.. of `activities` (n_rows, n_mechanisms) against
    its row 0 (the reference cell), per posterior draw and oxygen condition, and the conditions {name: pO2}."""
    import jax
    import jax.numpy as jnp

    from chemorad.calibration import forward as F
    from chemorad.chain.specificity import TARGET_SF, conditions

    F.use_float64()
    conds = conditions(cat, po2_mmhg)
    A = jnp.asarray(activities)
    rad = np.flatnonzero(spec.is_radiation)

    def one(theta, ln_ic50, ln_alpha, ln_beta, po2):
        p = F.ChainParams(theta, ln_ic50, ln_alpha, ln_beta)
        mod = F.modifiers(F.effect_matrices(spec, theta), A)
        ln_d = F.drug_ln_ic50(spec, p, mod, po2)
        for t in rad:
            ln_d = ln_d.at[:, t].set(F.radiation_ln_dose(spec, p, mod[:, t, :], TARGET_SF["radiation"], po2))
        return jnp.exp(ln_d[1:] - ln_d[0:1])

    f = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, None)))
    th = jnp.asarray(theta_draws(spec, idata))
    ic, la, lb = (jnp.asarray(draws(idata, k)) for k in ("ln_ic50", "ln_alpha", "ln_beta"))
    out = np.stack([np.asarray(f(th, ic, la, lb, po2)) for po2 in conds.values()], axis=1)
    return out, conds


def calibrated_specificity(
    cat: Catalog, spec: ChainSpec, idata, activity: float = 1.0, po2_mmhg: float | None = None, level: float = LEVEL
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(long RF table with intervals, verdict table with probabilities): module docstring."""
    from chemorad.chain.specificity import AGREES, verdict

    check_matches(spec, idata)
    rf, conds = _rf_draws(cat, spec, idata, activity, po2_mmhg)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    med = np.median(rf, axis=0)
    lo, hi = np.quantile(rf, lo_q, axis=0), np.quantile(rf, hi_q, axis=0)
    # per draw and mechanism: each therapy's RF from the condition with the largest |ln RF| (as `verdicts` does)
    la = np.abs(np.log(rf))
    pick = np.take_along_axis(rf, la.argmax(axis=1)[:, None], axis=1)[:, 0]  # (S, M, T)
    rad = spec.is_radiation
    rows_v, per_mech = [], {}
    for i, mid in enumerate(spec.mechanisms):
        votes = Counter(
            verdict(float(pick[s, i, rad][0]) if rad.any() else 1.0, pick[s, i, ~rad]) for s in range(rf.shape[0])
        )
        v, n = votes.most_common(1)[0]
        probs = {k: c / rf.shape[0] for k, c in votes.most_common()}
        per_mech[mid] = (v, n / rf.shape[0], probs)
        claimed = [c.specificity for c in cat.mechanisms[mid].claims]
        agree = [v in AGREES[c] for c in claimed]
        rows_v.append(
            {
                "mechanism": mid,
                "verdict": v,
                "verdict_probability": n / rf.shape[0],
                "verdict_probabilities": json.dumps(probs),
                "radiation_rf": float(np.median(pick[:, i, rad][:, 0])) if rad.any() else 1.0,
                "claimed": "; ".join(dict.fromkeys(c.value for c in claimed)),
                "agreement": "agrees" if all(agree) else ("partly" if any(agree) else "DIFFERS"),
            }
        )
    rows = []
    for ci, (cond, po2) in enumerate(conds.items()):
        for i, mid in enumerate(spec.mechanisms):
            for t, tid in enumerate(spec.therapies):
                rows.append(
                    {
                        "mechanism": mid,
                        "therapy": tid,
                        "modality": "radiation" if rad[t] else "drug",
                        "condition": cond,
                        "po2_mmhg": po2,
                        "resistance_factor": float(med[ci, i, t]),
                        "rf_low": float(lo[ci, i, t]),
                        "rf_high": float(hi[ci, i, t]),
                        "verdict": per_mech[mid][0],
                        "verdict_probability": per_mech[mid][1],
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(rows_v)


def specificity_records(rf: pd.DataFrame, table: pd.DataFrame) -> list[dict]:
    """JSON records: the uncalibrated keys (mechanism, therapy, condition, resistance_factor, verdict) plus rf_low,
    rf_high, verdict_probability (of the reported verdict) and verdict_probabilities (every verdict's share)."""
    probs = {r.mechanism: json.loads(r.verdict_probabilities) for r in table.itertuples()}
    return [
        {
            "mechanism": r.mechanism,
            "therapy": r.therapy,
            "condition": r.condition,
            "resistance_factor": r.resistance_factor,
            "rf_low": r.rf_low,
            "rf_high": r.rf_high,
            "verdict": r.verdict,
            "verdict_probability": r.verdict_probability,
            "verdict_probabilities": probs[r.mechanism],
        }
        for r in rf.itertuples()
    ]


# ------------------------------------------------------------------------------------------ identification of effects
def width_ratios(spec: ChainSpec, idata, level: float = LEVEL) -> dict[str, float]:
    """Posterior/prior width of the `level` interval of each catalog effect's magnitude (`catalog.provenance`).

    Keyed by the effect label without the per-substrate suffix (`mechanism:quantity:index`); an effect with one
    parameter per substrate gets the largest of its ratios. The prior is normal on theta (`spec.effect_prior_sd`), so
    its width is 2 z sd with z the standard-normal quantile at (1 + level) / 2; an effect absent from the posterior
    (added since the calibration) gets no ratio.
    """
    from scipy.stats import norm

    post = draws(idata, "theta")
    col = {str(x): i for i, x in enumerate(idata.posterior["effect"].values)}
    z = float(norm.ppf(0.5 + level / 2))
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    out: dict[str, float] = {}
    for e, name in enumerate(spec.effect_name):
        if name not in col:
            continue
        x = post[:, col[name]]
        ratio = float(np.quantile(x, hi_q) - np.quantile(x, lo_q)) / (2 * z * float(spec.effect_prior_sd[e]))
        key = ":".join(name.split(":")[:3])
        out[key] = max(out.get(key, 0.0), ratio)
    return out
