"""Posterior predictions of the calibrated chain for lines: responses with intervals, explanations by mechanism.

For each posterior draw s and line i (markers z_i, covariates g_i, tissue k):

    A_i = z_i W_s,   r_i = g_i b_s + eps,  eps ~ N(0, 1) for a line predicted as unseen (its prior: mean g_i b_s,
    not 0), or eps_i,s from the posterior when the line was in the calibration and `seen`;
    ell_it = c_t,s (r_i + u_k,s) + v_kt,s  (u, v drawn from their pooled prior for a tissue the calibration never saw)
    ln D50_it = chain ln dose (closed form for drugs) + ell_it
    GDSC ln IC50 = ln D50 + o_c;  CTRP AUC = centre + scale (a_c + s_c (ln D50 - ln IC50_t));
    Yard AUC = trapezoid of SF_chain(d e^(-ell)) over 0..10 Gy (the published AUC's range, Yard et al. 2016)

plus the data set's noise for the predictive interval (equal-tailed, `level`). Explanations: the change in the median
ln D50 when one mechanism's activity is set to 0 (the line without that mechanism), reported per mechanism with its
damage-chain stages; positive = the mechanism makes the line more resistant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.calibration.data import DATASETS, CalibrationData
from chemorad.calibration.posterior import draws
from chemorad.calibration.spec import ChainSpec

YARD_GRID_GY = np.linspace(0.0, 10.0, 21)


def _globals(idata, spec: ChainSpec | None = None) -> dict:
    names = ("theta", "ln_ic50", "ln_alpha", "ln_beta", "w", "gs_b", "tissue", "tau_tissue", "tissue_therapy")
    out = {k: draws(idata, k) for k in names}
    if spec is not None:
        from chemorad.calibration.posterior import theta_draws

        out["theta"] = theta_draws(spec, idata)
    out["loading"] = draws(idata, "loading")
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
    rows: np.ndarray,
    seed: int = 0,
    seen: bool = False,
    Z: np.ndarray | None = None,
    zero_mechanism: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ln D50 (S, n, T) including the line terms, ell (S, n, T)) for rows `rows` of `d` (Z overrides the markers)."""
    import jax.numpy as jnp

    g = _globals(idata, spec)
    S = g["theta"].shape[0]
    rng = np.random.default_rng(seed)
    z = d.Z[rows] if Z is None else Z
    eps = draws(idata, "gs_eps")[:, rows] if seen and "gs_eps" in idata.posterior else rng.normal(size=(S, len(rows)))
    tissue_seen = np.asarray([str(t) for t in idata.posterior["tissue_name"].values])
    k_names = np.asarray(d.tissues)[d.tissue[rows]]
    k_idx = np.array([np.flatnonzero(tissue_seen == k)[0] if k in tissue_seen else -1 for k in k_names])
    u = np.where(k_idx >= 0, g["tissue"][:, np.maximum(k_idx, 0)], rng.normal(size=(S, len(rows))))
    u = u * g["tau_tissue"][:, None]
    T = len(spec.therapies)
    v_new = rng.normal(size=(S, len(rows), T))
    v = np.where((k_idx >= 0)[None, :, None], g["tissue_therapy"][:, np.maximum(k_idx, 0), :], v_new)
    v = v * g["tau_tissue_therapy"][:, None, None]
    r = d.G[rows] @ g["gs_b"].T  # (n, S)
    ell = g["loading"][:, None, :] * (r.T + eps + u)[:, :, None] + v
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


def yard_auc_draws(spec: ChainSpec, d: CalibrationData, idata, rows: np.ndarray, ell: np.ndarray, Z=None) -> np.ndarray:
    """(S, n) Yard AUC (Gy) of each draw: the trapezoid of the chain's surviving fraction over 0..10 Gy."""
    import jax.numpy as jnp

    from chemorad.calibration import forward as F
    from chemorad.calibration.model import activities

    g = _globals(idata, spec)
    t = d.yard_therapy
    z = d.Z[rows] if Z is None else Z
    import jax

    def one(w, theta, ln_ic50, ln_alpha, ln_beta, e):
        A = activities(d, w, z)
        p = F.ChainParams(theta, ln_ic50, ln_alpha, ln_beta)
        mod = F.modifiers(F.effect_matrices(spec, theta), A)[:, t, :]
        dose = jnp.asarray(YARD_GRID_GY)[None, :] * jnp.exp(-e)[:, None]
        sf = F.radiation_sf(spec, p, mod[:, None, :], dose)
        return jnp.trapezoid(sf, jnp.asarray(YARD_GRID_GY), axis=1)

    f = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, 0, 0)))
    return np.asarray(f(*_chain_args(g), jnp.asarray(ell[:, :, t])))


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


def predict_lines(
    cat, spec: ChainSpec, d: CalibrationData, idata, lines: list[str], level: float = 0.9, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(predictions, explanations) for bundle lines, predicted as unseen lines (the shipped posterior keeps no
    per-line terms). Predictions: sample, therapy, dataset, metric, predicted (posterior predictive median),
    interval_low, interval_high (equal-tailed `level`), with the data set's noise; Yard AUC without assay noise."""
    from chemorad.errors import unknown

    pos = {x: i for i, x in enumerate(d.lines)}
    for x in lines:
        if x not in pos:
            raise unknown("cell line (with catalog-marker data)", x, d.lines)
    rows = np.array([pos[x] for x in lines])
    ln_d, ell = ln_dose_draws(spec, d, idata, rows, seed=seed)
    recs = []
    for c, col in enumerate(d.columns):
        med, lo, hi = interval(column_draws(spec, d, idata, ln_d, c, noise=True, seed=seed), level)
        dataset, _, metric = col.split("|")
        for i, x in enumerate(lines):
            recs.append((x, spec.therapies[d.col_therapy[c]], dataset, metric, med[i], lo[i], hi[i]))
    if d.yard_therapy >= 0:
        med, lo, hi = interval(yard_auc_draws(spec, d, idata, rows, ell), level)
        for i, x in enumerate(lines):
            recs.append((x, spec.therapies[d.yard_therapy], "yard", "auc", med[i], lo[i], hi[i]))
    cols = ["sample", "therapy", "dataset", "metric", "predicted", "interval_low", "interval_high"]
    pred = pd.DataFrame(recs, columns=cols)
    stages = {m.id: "/".join(s.value for s in m.stages) for m in cat.mechanisms.values()}
    expl = pd.concat(
        [explain(spec, d, idata, int(r), stages).assign(sample=x) for x, r in zip(lines, rows, strict=True)]
    )
    return pred, expl
