"""Posterior predictions of the calibrated chain: responses with intervals, explanations by mechanism.

Predictions are the posterior predictive of `calibration.model` itself, drawn by `numpyro.infer.Predictive`: each
sample to predict becomes a line of the model (markers z_i, expression covariates g_i, tissue k) and every posterior
draw s is substituted into the model, which then draws what the posterior does not fix:

    A_i = z_i W_s,   r_if = g_i b_f,s + eps_if,  eps ~ N(0, 1) (the sample is a line the calibration never saw: its
    prior, mean g_i b_f,s, not 0);  ell_it = sum_f c_tf,s r_if + c_t0,s u_k,s + v_kt,s (+ g_i b_rad,s for radiation),
    u, v drawn from their pooled prior for a tissue the calibration never saw;
    GDSC ln IC50 = chain ln IC50 + ell + o_c;  CTRP AUC = centre + scale (a_c + s_c (ln D50 - ln IC50_t)), each plus
    its data set's noise (the model's observation sites, drawn);
    Yard AUC = trapezoid of SF_chain(d e^(-ell)) over 0..10 Gy (the published AUC's range, Yard et al. 2016), from
    the model's noise-free mean of its Yard site on that grid.

Intervals are equal-tailed (`level`). Explanations: the change in the median ln D50 when one mechanism's activity is
set to 0 (the sample without that mechanism), from the chain alone (the line terms cancel), reported per mechanism with
its damage-chain stages; positive = the mechanism makes the sample more resistant. Samples outside the bundle come in
as `SampleInputs` (`profile.calibrated.sample_inputs` builds them from files).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from chemorad.calibration.data import CURVE_DATASET, DATASETS, CalibrationData
from chemorad.calibration.posterior import draws
from chemorad.calibration.spec import ChainSpec
from chemorad.catalog.registry import RESPONSE_DATASETS, ResponseKey, preference
from chemorad.errors import ChemoradError

YARD_GRID_GY = np.linspace(0.0, 10.0, 21)


def _globals(idata, spec: ChainSpec) -> dict:
    """The chain's global parameters per draw (explanations): marker weights w, theta in the catalog's effect order,
    potencies and radiation's ln alpha, ln beta."""
    from chemorad.calibration.posterior import theta_draws

    out = {k: draws(idata, k) for k in ("ln_ic50", "ln_alpha", "ln_beta", "w")}
    out["theta"] = theta_draws(spec, idata)
    return out


def _prediction_data(d: CalibrationData, Z: np.ndarray, G: np.ndarray, tissues, seen_tissues: list[str]):
    """(data, number of unseen tissues): the samples as the lines of a `CalibrationData` for the model, every (sample,
    column) pair and every Yard grid dose an observation site (values 0: they are drawn, not conditioned on), no
    perturbations. A tissue the calibration never saw gets a slot of its own per sample (drawn from its prior)."""
    n = len(Z)
    k_idx = np.array([seen_tissues.index(k) if k in seen_tissues else -1 for k in tissues], dtype=int).reshape(n)
    unseen = np.flatnonzero(k_idx < 0)
    k_idx[unseen] = len(seen_tissues) + np.arange(len(unseen))
    C, grid = len(d.columns), YARD_GRID_GY if d.yard_therapy >= 0 else np.zeros(0)
    empty = np.zeros(0)
    out = replace(
        d,
        lines=tuple(f"sample{i}" for i in range(n)),
        tissues=(*seen_tissues, *(f"unseen{i}" for i in unseen)),
        tissue=k_idx,
        Z=np.asarray(Z, dtype=float),
        G=np.asarray(G, dtype=float),
        obs_line=np.repeat(np.arange(n), C),
        obs_column=np.tile(np.arange(C), n),
        obs_value=np.zeros(n * C),
        yard_line=np.repeat(np.arange(n), len(grid)),
        yard_dose_gy=np.tile(grid, n),
        yard_sf=np.zeros(n * len(grid)),
        pert_line=empty.astype(int),
        pert_mechanism=empty.astype(int),
        pert_activity=empty,
        pert_therapy=empty.astype(int),
        pert_ln_fold=empty,
        pert_target_sf=empty,
        pert_id=(),
        clono_line=empty.astype(int),
        clono_value=empty,
    )
    return out, len(unseen)


def _posterior_samples(spec: ChainSpec, idata, n_unseen: int, rng: np.random.Generator) -> dict:
    """The posterior as {site: (S, ...) float64} for `Predictive`: every site but the lines' eps (an unseen line takes
    its prior), theta in the catalog's effect order (`posterior.theta_draws`), the standardised tissue effects extended
    by N(0, 1) prior draws for the unseen tissues (the model's prior of `tissue` and `tissue_therapy`)."""
    from chemorad.calibration.posterior import theta_draws

    out = {str(k): draws(idata, str(k)).astype(float) for k in idata.posterior.data_vars if k != "gs_eps"}
    out["theta"] = theta_draws(spec, idata)
    S = out["theta"].shape[0]
    if n_unseen:
        out["tissue"] = np.concatenate([out["tissue"], rng.normal(size=(S, n_unseen))], axis=1)
        T = out["tissue_therapy"].shape[-1]
        out["tissue_therapy"] = np.concatenate([out["tissue_therapy"], rng.normal(size=(S, n_unseen, T))], axis=1)
    return out


def predictive_draws(
    spec: ChainSpec,
    d: CalibrationData,
    idata,
    Z: np.ndarray,
    G: np.ndarray,
    tissues,
    seed: int = 0,
    eps: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The posterior predictive of `calibration.model` for samples given by markers Z (n, J), expression covariates G
    (n, P) and tissue names (None: unknown), each as a line the calibration never saw (module docstring), from
    `numpyro.infer.Predictive` with the posterior's draws (deterministic sites such as the marker weights w kept).

    Returns (S = draws): `drug` (S, n, C) each column's response with the data set's noise on the modelled scale,
    `mean_drug` (S, n, C) without noise, `yard_sf` (S, n, len(YARD_GRID_GY)) the chain's surviving fraction on the Yard
    grid without noise (absent without radiation), `ell` (S, n, T) the line terms and `ln_dose` (S, n, T) the chain's
    ln dose for 50% survival plus ell. `eps` (S, n, factors): the lines' own posterior residuals instead of their prior
    (lines the calibration saw, `rows_predictive`)."""
    import jax
    from numpyro.infer import Predictive

    from chemorad.calibration.forward import use_float64
    from chemorad.calibration.model import model

    use_float64()
    rng = np.random.default_rng(seed)
    n, C = len(Z), len(d.columns)
    seen = [str(t) for t in idata.posterior["tissue_name"].values]
    dn, n_unseen = _prediction_data(d, Z, G, [None] * n if tissues is None else list(tissues), seen)
    samples = _posterior_samples(spec, idata, n_unseen, rng)
    if eps is not None:
        samples["gs_eps"] = np.asarray(eps, dtype=float)
    sites = ["ell", "ln_dose"] + (["obs_drug", "mean_drug"] if C else []) + (["mean_yard"] if len(dn.yard_sf) else [])
    pred = Predictive(model, samples, return_sites=sites, condition_deterministic=True, batch_ndims=1)
    got = {k: np.asarray(v) for k, v in pred(jax.random.PRNGKey(seed), spec, dn, None, False, True).items()}
    S = samples["theta"].shape[0]
    out = {"ell": got["ell"], "ln_dose": got["ln_dose"]}
    if C:
        out["drug"] = got["obs_drug"].reshape(S, n, C)
        out["mean_drug"] = got["mean_drug"].reshape(S, n, C)
    if "mean_yard" in got:
        out["yard_sf"] = got["mean_yard"].reshape(S, n, len(YARD_GRID_GY))
    return out


def rows_predictive(
    spec: ChainSpec, d: CalibrationData, idata, rows: np.ndarray, seed: int = 0, seen: bool = False
) -> dict[str, np.ndarray]:
    """`predictive_draws` of rows `rows` of `d` (their markers, covariates and tissues). `seen`: the rows were in the
    calibration, so their residuals eps come from the posterior (e.g. a therapy left out, the lines kept); otherwise
    they are predicted as unseen lines."""
    eps = None
    if seen and "gs_eps" in idata.posterior:
        eps = draws(idata, "gs_eps")[:, rows]
    tissues = [d.tissues[k] for k in d.tissue[rows]]
    return predictive_draws(spec, d, idata, d.Z[rows], d.G[rows], tissues, seed, eps)


def ln_dose_draws(
    spec: ChainSpec,
    d: CalibrationData,
    idata,
    rows: np.ndarray | None,
    seed: int = 0,
    seen: bool = False,
    Z: np.ndarray | None = None,
    G: np.ndarray | None = None,
    tissues: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ln D50 (S, n, T) including the line terms, ell (S, n, T)) for rows `rows` of `d` (`rows_predictive`; `seen` as
    there); Z, G and tissues override the rows' markers, expression covariates and tissue names. `rows` None: samples
    outside the bundle, given by Z, G and tissues alone (all three required; `seen` does not apply)."""
    if rows is None and (Z is None or G is None or tissues is None):
        raise ValueError("ln_dose_draws: without rows, give Z, G and tissues")
    if rows is not None and Z is None and G is None and tissues is None:
        got = rows_predictive(spec, d, idata, rows, seed, seen)
    else:
        z = d.Z[rows] if Z is None else Z
        G = d.G[rows] if G is None else G
        tissues = [d.tissues[k] for k in d.tissue[rows]] if tissues is None else tissues
        eps = draws(idata, "gs_eps")[:, rows] if seen and rows is not None and "gs_eps" in idata.posterior else None
        got = predictive_draws(spec, d, idata, z, G, tissues, seed, eps)
    return got["ln_dose"], got["ell"]


def yard_auc(yard_sf: np.ndarray) -> np.ndarray:
    """Yard AUC (Gy): the trapezoid of surviving fractions on YARD_GRID_GY (last axis) over 0..10 Gy."""
    return np.trapezoid(yard_sf, YARD_GRID_GY, axis=-1)


def _chain_args(g: dict) -> tuple:
    import jax.numpy as jnp

    return tuple(jnp.asarray(g[k]) for k in ("w", "theta", "ln_ic50", "ln_alpha", "ln_beta"))


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
    use = idata if observed is None else replicate_draws(idata, OBSERVED_REPLICAS)
    got = predictive_draws(spec, d, use, inputs.Z, inputs.G, inputs.tissues, seed)
    columns = {c: d.col_centre[c] + d.col_scale[c] * got["drug"][:, :, c] for c in range(len(d.columns))}
    yard = yard_auc(got["yard_sf"]) if "yard_sf" in got else None
    if observed is not None:
        if len(inputs.samples) != 1:
            raise ChemoradError(f"--observed: give one sample (got {len(inputs.samples)})")
        if observed.column is None:
            mean, sd = yard[:, 0], yard_auc_noise(d, draws(use, "sigma_yard"))
        else:
            c = observed.column
            mean = d.col_centre[c] + d.col_scale[c] * got["mean_drug"][:, 0, c]
            sd = draws(use, f"sigma_{DATASETS[d.col_dataset[c]]}") * d.col_scale[c]
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
        key = ResponseKey.parse(col)
        dataset, metric = key.dataset, key.metric
        for i, x in enumerate(inputs.samples):
            recs.append((x, spec.therapies[d.col_therapy[c]], dataset, metric, med[i], lo[i], hi[i]))
    if yard is not None:
        med, lo, hi = interval(yard, level)
        for i, x in enumerate(inputs.samples):
            recs.append((x, spec.therapies[d.yard_therapy], CURVE_DATASET, CURVE_METRIC, med[i], lo[i], hi[i]))
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


#: the metric the calibration predicts for its survival-curve data set (the published AUC, Gy)
CURVE_METRIC = RESPONSE_DATASETS[CURVE_DATASET].primary_metric

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
        column, label = None, f"{CURVE_DATASET}|{CURVE_METRIC}"
        values = observed_yard_auc(d)
    else:
        cands = sorted(
            (preference(ResponseKey.parse(d.columns[c]).dataset), c) for c in np.flatnonzero(d.col_therapy == t)
        )
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
