"""Posterior predictions of the calibrated chain: responses with intervals, explanations by mechanism.

For each posterior draw s and sample i (markers z_i, expression covariates g_i, tissue k):

    A_i = z_i W_s,   r_if = g_i b_f,s + eps_if,  eps ~ N(0, 1) for a sample predicted as unseen (its prior: mean
    g_i b_f,s, not 0), or eps_if,s from the posterior when the line was in the calibration and `seen`;
    ell_it = sum_f c_tf,s r_if + c_t0,s u_k,s + v_kt,s (+ g_i b_rad,s for radiation)  (u, v drawn from their pooled
    prior for a tissue the calibration never saw)
    ln D50_it = chain ln dose (closed form for drugs) + ell_it
    GDSC ln IC50 = ln D50 + o_c;  CTRP AUC = centre + scale (a_c + s_c (ln D50 - ln IC50_t));
    Yard AUC = trapezoid of SF_chain(d e^(-ell)) over 0..10 Gy (the published AUC's range, Yard et al. 2016)

plus the data set's noise for the predictive interval (equal-tailed, `level`). Explanations: the change in the median
ln D50 when one mechanism's activity is set to 0 (the sample without that mechanism), reported per mechanism with its
damage-chain stages; positive = the mechanism makes the sample more resistant. Samples outside the bundle come in as
`SampleInputs` (`profile.calibrated.sample_inputs` builds them from files).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.calibration.data import DATASETS, CalibrationData
from chemorad.calibration.posterior import draws
from chemorad.calibration.spec import ChainSpec
from chemorad.errors import ChemoradError

YARD_GRID_GY = np.linspace(0.0, 10.0, 21)


def _globals(idata, spec: ChainSpec | None = None) -> dict:
    names = ("theta", "ln_ic50", "ln_alpha", "ln_beta", "w", "gs_coef", "tissue", "tau_tissue", "tissue_therapy")
    out = {k: draws(idata, k) for k in names}
    if spec is not None:
        from chemorad.calibration.posterior import theta_draws

        out["theta"] = theta_draws(spec, idata)
    from chemorad.calibration.model import loadings

    free = draws(idata, "loading_factor") if "loading_factor" in idata.posterior else None
    out["loading"] = np.asarray(loadings(draws(idata, "loading"), free))  # (S, T, F)
    out["tau_tissue_therapy"] = draws(idata, "tau_tissue_therapy")
    for k in ("col_offset", "col_slope"):
        out[k] = draws(idata, k) if k in idata.posterior else None
    for k in DATASETS:
        out[f"sigma_{k}"] = draws(idata, f"sigma_{k}") if f"sigma_{k}" in idata.posterior else None
    return out


def ln_dose_draws(
    spec: ChainSpec,
    d: CalibrationData,
    idata,
    rows: np.ndarray | None,
    seed: int = 0,
    seen: bool = False,
    Z: np.ndarray | None = None,
    zero_mechanism: int | None = None,
    G: np.ndarray | None = None,
    tissues: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ln D50 (S, n, T) including the line terms, ell (S, n, T)) for rows `rows` of `d`; Z, G and tissues override
    the rows' markers, expression covariates and tissue names. `rows` None: samples outside the bundle, given by Z, G
    and tissues alone (all three required; `seen` does not apply)."""
    import jax.numpy as jnp

    from chemorad.calibration.forward import use_float64

    use_float64()
    g = _globals(idata, spec)
    S = g["theta"].shape[0]
    rng = np.random.default_rng(seed)
    if rows is None and (Z is None or G is None or tissues is None):
        raise ValueError("ln_dose_draws: without rows, give Z, G and tissues")
    n = len(Z) if rows is None else len(rows)
    z = d.Z[rows] if Z is None else Z
    G = d.G[rows] if G is None else G
    F = g["loading"].shape[-1]
    if seen and rows is not None and "gs_eps" in idata.posterior:
        eps = draws(idata, "gs_eps")[:, rows].reshape(S, n, F)
    else:
        eps = rng.normal(size=(S, n, F))
    tissue_seen = np.asarray([str(t) for t in idata.posterior["tissue_name"].values])
    k_names = np.asarray(d.tissues)[d.tissue[rows]] if tissues is None else np.asarray(tissues)
    k_idx = np.array([np.flatnonzero(tissue_seen == k)[0] if k in tissue_seen else -1 for k in k_names], dtype=int)
    k_idx = k_idx.reshape(n)
    u = np.where(k_idx >= 0, g["tissue"][:, np.maximum(k_idx, 0)], rng.normal(size=(S, n)))
    u = u * g["tau_tissue"][:, None]
    T = len(spec.therapies)
    v_new = rng.normal(size=(S, n, T))
    v = np.where((k_idx >= 0)[None, :, None], g["tissue_therapy"][:, np.maximum(k_idx, 0), :], v_new)
    v = v * g["tau_tissue_therapy"][:, None, None]
    r = np.einsum("np,spf->snf", G, g["gs_coef"].reshape(S, G.shape[1], F)) + eps
    c = g["loading"]
    ell = np.einsum("snf,stf->snt", r, c) + c[:, None, :, 0] * u[:, :, None] + v
    rad = np.flatnonzero(spec.is_radiation)
    if "rad_coef" in idata.posterior and len(rad):
        ell[:, :, rad[0]] += draws(idata, "rad_coef") @ G.T
    out = np.asarray(_chain_fn(spec, d, zero_mechanism)(*_chain_args(g), jnp.asarray(z)))
    return out + ell, ell


def _chain_args(g: dict) -> tuple:
    import jax.numpy as jnp

    return tuple(jnp.asarray(g[k]) for k in ("w", "theta", "ln_ic50", "ln_alpha", "ln_beta"))


def _chain_fn(spec: ChainSpec, d: CalibrationData, zero_mechanism: int | None = None):
    """jit(vmap over draws) of (w, theta, ln_ic50, ln_alpha, ln_beta, Z) -> chain ln D50 (n, T) per draw."""
    import jax

    from chemorad.calibration import forward as F
    from chemorad.calibration.model import activities

    rad = np.flatnonzero(spec.is_radiation)

    def one(w, theta, ln_ic50, ln_alpha, ln_beta, z):
        A = activities(d, w, z)
        if zero_mechanism is not None:
            A = A.at[:, zero_mechanism].set(0.0)
        p = F.ChainParams(theta, ln_ic50, ln_alpha, ln_beta)
        mod = F.modifiers(F.effect_matrices(spec, theta), A)
        ln_d = F.drug_ln_ic50(spec, p, mod)
        for t in rad:
            ln_d = ln_d.at[:, t].set(F.radiation_ln_dose(spec, p, mod[:, t, :], 0.5, iterations=40))
        return ln_d

    return jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, 0, None)))


def yard_sf_draws(
    spec: ChainSpec, d: CalibrationData, idata, rows: np.ndarray | None, ell: np.ndarray, Z=None
) -> np.ndarray:
    """(S, n, len(YARD_GRID_GY)) the chain's surviving fraction of each draw on the Yard dose grid (no assay noise);
    the markers are rows `rows` of `d`, or Z (rows None)."""
    import jax
    import jax.numpy as jnp

    from chemorad.calibration import forward as F
    from chemorad.calibration.model import activities

    F.use_float64()
    g = _globals(idata, spec)
    t = d.yard_therapy
    z = d.Z[rows] if Z is None else Z

    def one(w, theta, ln_ic50, ln_alpha, ln_beta, e):
        A = activities(d, w, z)
        p = F.ChainParams(theta, ln_ic50, ln_alpha, ln_beta)
        mod = F.modifiers(F.effect_matrices(spec, theta), A)[:, t, :]
        dose = jnp.asarray(YARD_GRID_GY)[None, :] * jnp.exp(-e)[:, None]
        return F.radiation_sf(spec, p, mod[:, None, :], dose)

    f = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, 0, 0)))
    return np.asarray(f(*_chain_args(g), jnp.asarray(ell[:, :, t])))


def yard_auc_draws(
    spec: ChainSpec, d: CalibrationData, idata, rows: np.ndarray | None, ell: np.ndarray, Z=None
) -> np.ndarray:
    """(S, n) Yard AUC (Gy) of each draw: the trapezoid of the chain's surviving fraction over 0..10 Gy."""
    return np.trapezoid(yard_sf_draws(spec, d, idata, rows, ell, Z), YARD_GRID_GY, axis=2)


def column_draws(
    spec: ChainSpec, d: CalibrationData, idata, ln_dose: np.ndarray, column: int, noise: bool, seed: int = 0
) -> np.ndarray:
    """(S, n) predicted response of one drug column on its published scale (module docstring)."""
    g = _globals(idata, spec)
    t = d.col_therapy[column]
    x = ln_dose[:, :, t]
    if d.col_is_auc[column]:
        y = g["col_offset"][:, column, None] + g["col_slope"][:, column, None] * (x - g["ln_ic50"][:, t, None])
    else:
        y = x + g["col_offset"][:, column, None]
    if noise:
        sig = g[f"sigma_{DATASETS[d.col_dataset[column]]}"]
        y = y + np.random.default_rng(seed).normal(size=y.shape) * sig[:, None]
    return d.col_centre[column] + d.col_scale[column] * y


def interval(x: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, low, high) over axis 0, equal-tailed."""
    a = (1 - level) / 2
    return np.median(x, axis=0), np.quantile(x, a, axis=0), np.quantile(x, 1 - a, axis=0)


def explain(
    spec: ChainSpec, d: CalibrationData, idata, row: int, stages: dict[str, str], Z: np.ndarray | None = None
) -> pd.DataFrame:
    """Per mechanism carried by the line's markers: its stages and, per therapy, the median over draws of
    ln D50(line) - ln D50(line with that mechanism's activity set to 0) from the chain alone (the line terms cancel).
    Rows: mechanism, stage, therapy, delta_ln_dose (> 0: the mechanism makes the line more resistant)."""
    import jax
    import jax.numpy as jnp

    from chemorad.calibration import forward as F
    from chemorad.calibration.model import activities

    F.use_float64()
    g = _globals(idata, spec)
    z = d.Z[row : row + 1] if Z is None else Z
    carried = np.flatnonzero(d.marker_mechanism.T @ (z[0] != 0))
    M = len(spec.mechanisms)
    knock = np.ones((len(carried) + 1, M))
    knock[np.arange(1, len(carried) + 1), carried] = 0.0
    rad = np.flatnonzero(spec.is_radiation)

    def one(w, theta, ln_ic50, ln_alpha, ln_beta):
        A = activities(d, w, z) * jnp.asarray(knock)  # row 0: the line; row i: mechanism carried[i-1] removed
        p = F.ChainParams(theta, ln_ic50, ln_alpha, ln_beta)
        mod = F.modifiers(F.effect_matrices(spec, theta), A)
        ln_d = F.drug_ln_ic50(spec, p, mod)
        for t in rad:
            ln_d = ln_d.at[:, t].set(F.radiation_ln_dose(spec, p, mod[:, t, :], 0.5, iterations=40))
        return ln_d[0:1] - ln_d[1:]

    delta = np.median(np.asarray(jax.jit(jax.vmap(one))(*_chain_args(g))), axis=0)  # (n_carried, T)
    out = [
        {
            "mechanism": spec.mechanisms[m],
            "stage": stages.get(spec.mechanisms[m], ""),
            "therapy": tid,
            "delta_ln_dose": float(delta[i, t]),
        }
        for i, m in enumerate(carried)
        for t, tid in enumerate(spec.therapies)
        if abs(delta[i, t]) > 1e-6
    ]
    return pd.DataFrame(out, columns=["mechanism", "stage", "therapy", "delta_ln_dose"])


def predict_samples(
    cat,
    spec: ChainSpec,
    d: CalibrationData,
    idata,
    inputs: SampleInputs,
    level: float = 0.9,
    seed: int = 0,
    observed: ObservedResponse | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(predictions, explanations) for samples given by their covariates (`SampleInputs`), each predicted as a line the
    calibration never saw. Predictions: sample, therapy, dataset, metric, predicted (posterior predictive median),
    interval_low, interval_high (equal-tailed `level`), with the data set's noise; Yard AUC without assay noise.

    With `observed` (one sample only), the line's unseen terms are read from that response: every posterior draw is
    replicated OBSERVED_REPLICAS times with fresh line terms (eps; u, v of an unseen tissue), each replica weighted by
    the likelihood of the observed value, N(y; prediction, sigma of its data set), and the draws resampled by weight
    (importance sampling from the prior predictive of the line terms). `observed.ess` is set to the effective sample
    size 1 / sum(w^2) of the weights."""
    kw = {"Z": inputs.Z, "G": inputs.G, "tissues": inputs.tissues}
    use = idata if observed is None else replicate_draws(idata, OBSERVED_REPLICAS)
    ln_d, ell = ln_dose_draws(spec, d, use, None, seed=seed, **kw)
    columns = {c: column_draws(spec, d, use, ln_d, c, noise=True, seed=seed) for c in range(len(d.columns))}
    yard = yard_auc_draws(spec, d, use, None, ell, Z=inputs.Z) if d.yard_therapy >= 0 else None
    if observed is not None:
        if len(inputs.samples) != 1:
            raise ChemoradError(f"--observed: give one sample (got {len(inputs.samples)})")
        if observed.column is None:
            mean, sd = yard[:, 0], yard_auc_noise(d, draws(use, "sigma_yard"))
        else:
            mean = column_draws(spec, d, use, ln_d, observed.column, noise=False)[:, 0]
            sd = _globals(use, spec)[f"sigma_{DATASETS[d.col_dataset[observed.column]]}"] * d.col_scale[observed.column]
        logw = -0.5 * ((observed.value - mean) / sd) ** 2 - np.log(sd)
        w = np.exp(logw - logw.max())
        w /= w.sum()
        observed.ess = float(1.0 / np.sum(w**2))
        pick = np.random.default_rng(seed).choice(len(w), size=len(w), p=w)
        columns = {c: v[pick] for c, v in columns.items()}
        yard = None if yard is None else yard[pick]
    recs = []
    for c, col in enumerate(d.columns):
        med, lo, hi = interval(columns[c], level)
        dataset, _, metric = col.split("|")
        for i, x in enumerate(inputs.samples):
            recs.append((x, spec.therapies[d.col_therapy[c]], dataset, metric, med[i], lo[i], hi[i]))
    if yard is not None:
        med, lo, hi = interval(yard, level)
        for i, x in enumerate(inputs.samples):
            recs.append((x, spec.therapies[d.yard_therapy], "yard", "auc", med[i], lo[i], hi[i]))
    cols = ["sample", "therapy", "dataset", "metric", "predicted", "interval_low", "interval_high"]
    pred = pd.DataFrame(recs, columns=cols)
    stages = {m.id: "/".join(s.value for s in m.stages) for m in cat.mechanisms.values()}
    expl = pd.concat(
        [
            explain(spec, d, idata, 0, stages, Z=inputs.Z[i : i + 1]).assign(sample=x)
            for i, x in enumerate(inputs.samples)
        ]
    )
    return pred, expl


#: replicas of each posterior draw when conditioning on an observed response (importance sampling)
OBSERVED_REPLICAS = 40


@dataclass
class ObservedResponse:
    """An observed response of the sample: `column` an index into `CalibrationData.columns` (None: the Yard AUC),
    `value` on that column's published scale; `ess` is filled in by `predict_samples`."""

    column: int | None
    value: float
    label: str
    ess: float = float("nan")


def observed_response(d: CalibrationData, spec: ChainSpec, therapy: str, kind: str, number: float | None, text: str):
    """`ObservedResponse` of `THERAPY=resistant|sensitive|q<quantile>|<value>` (`evidence.conditional.Observed`: kind
    resistant, sensitive, quantile or value, number the quantile or value) on
    the therapy's calibrated primary column: Yard AUC (Gy) for radiation, else GDSC2 ln IC50, GDSC1 ln IC50 or CTRP
    AUC, the first with data. resistant and sensitive are the 0.875 and 0.125 quantiles (the middle of the top and
    bottom quarter) of the bundle's values in that column, q<quantile> that quantile, a value itself."""
    t = spec.therapy_index(therapy)
    if spec.is_radiation[t]:
        column, label = None, "yard|auc"
        values = observed_yard_auc(d)
    else:
        order = {"gdsc2": 0, "gdsc1": 1, "ctrp": 2}
        cands = sorted((order[d.columns[c].split("|")[0]], c) for c in np.flatnonzero(d.col_therapy == t))
        if not cands:
            raise ChemoradError(f"--observed {therapy}: the calibration has no response column for it")
        column = cands[0][1]
        label = d.columns[column]
        sel = d.obs_column == column
        values = d.col_centre[column] + d.col_scale[column] * d.obs_value[sel]
    value = number
    if kind != "value":
        q = {"resistant": 0.875, "sensitive": 0.125}.get(kind, number)
        value = float(np.quantile(values, q))
    return ObservedResponse(column, float(value), f"{text} ({label} = {value:.3g})")


def observed_yard_auc(d: CalibrationData) -> np.ndarray:
    """Each Yard line's AUC (Gy) from its measured surviving fractions: trapezoid over 0 Gy (SF 1) and its doses."""
    out = []
    for line in np.unique(d.yard_line):
        sel = d.yard_line == line
        order = np.argsort(d.yard_dose_gy[sel])
        x = np.concatenate([[0.0], d.yard_dose_gy[sel][order]])
        y = np.concatenate([[1.0], d.yard_sf[sel][order]])
        out.append(np.trapezoid(y, x))
    return np.asarray(out)


def replicate_draws(idata, n: int):
    """The posterior with every draw repeated `n` times (draw-major), constant data kept."""
    import arviz as az

    post = idata.posterior
    k = post.sizes["draw"]
    rep = post.isel(draw=np.repeat(np.arange(k), n)).assign_coords(draw=np.arange(k * n))
    groups = {"posterior": rep}
    if "constant_data" in idata.groups():
        groups["constant_data"] = idata.constant_data
    return az.InferenceData(**groups)


def yard_auc_noise(d: CalibrationData, sigma_yard: np.ndarray) -> np.ndarray:
    """sd of a Yard AUC from independent assay noise sigma_yard at each measured dose: sigma sqrt(sum_j w_j^2), w_j
    the trapezoid weights of the measured doses (and 0 Gy, SF 1 exactly) over 0..10 Gy."""
    x = np.unique(np.concatenate([[0.0], d.yard_dose_gy]))
    w = np.zeros(len(x))
    w[1:] += np.diff(x) / 2
    w[:-1] += np.diff(x) / 2
    return sigma_yard * np.sqrt(np.sum(w[1:] ** 2))


@dataclass(frozen=True)
class SampleInputs:
    """Covariates of samples to predict: Z (n, J) marker z-scores on the bundle's within-tissue scale in the order of
    `CalibrationData.features` (unmeasured = 0, the tissue average), G (n, P) expression covariates
    (`ExpressionBasis.transform`; 0 without usable expression), tissues (None: unknown, drawn from the pooled prior),
    notes: what was assumed."""

    samples: list[str]
    Z: np.ndarray
    G: np.ndarray
    tissues: list[str | None]
    notes: list[str]
