"""Equivalence margins from each assay's own noise: what counts as an effect too small to matter.

Noise. For a response y measured twice on the same lines by two runs of an assay (or two protocols of it), with
test-retest correlation rho, the standard error of measurement is SEM = SD(y) sqrt(1 - rho) (classical test theory):
the part of one measurement that the second run does not reproduce. The bundle gives rho for:

- GDSC drugs (ln IC50, AUC): GDSC1 and GDSC2 screened the same compound on the same lines with different protocols;
  rho = Pearson correlation over the lines in both. Correlation (not the SD of differences) because the two releases
  use different dose ranges, so their ln IC50 scales differ. Therapies in one release only, and CTRP, use the median
  rho over the therapies in both releases (for CTRP, that of the GDSC AUC).
- Yard radiation: the same lines measured by the clonogenic assay and by Yard's 9-day proliferation assay
  (`yard2016_clonogenic_vs_proliferative.csv`, 11-15 lines per metric): rho of AUC, SF2, SF4, SF6, SF8 for the matching
  metrics, the AUC's rho for the other doses and for -alpha, -beta. Few lines, so rho is uncertain; it is printed.
  The registry declares this rule per data set (`ResponseDataset.protocol_comparison` names the comparison file), so
  another radiation screen with such a file gets it too.

Both are cross-protocol agreements, so they count protocol differences as noise (an upper bound on pure test-retest
noise). For radiation the scatter of the measured SF around each line's LQ fit is also reported (`sigma_lq`, a lower
bound: within-curve scatter only).

Rule. An effect b is per within-tissue SD of the mechanism score. Across the central 95% of lines (scores from -2 to
+2 SD) it shifts the response by 4 b. One SEM is the smallest change in one measurement that can be told from noise
(the one-SEM criterion for a meaningful individual change, Wyrwich et al. 1999, J Clin Epidemiol 52:861, read via the
search tool). An effect whose whole-range shift is below one SEM cannot move any line by a distinguishable amount, so it
is too small to matter:

    delta = SEM / 4 = MARGIN_PER_NOISE * SEM,  MARGIN_PER_NOISE = 1/4.

`noise_table` returns, per response column, rho, its source, SEM, the SD of the response, delta and, for radiation,
sigma_lq, so every margin is printed beside the verdicts it decides.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.bundle.core import Bundle
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import RESPONSE_DATASETS, ResponseKey, response_dataset
from chemorad.evidence.curves import fit_lq, lq_survival, sf_columns
from chemorad.evidence.responses import column, split

__all__ = [
    "MARGIN_PER_NOISE",
    "clonogenic_rho",
    "comparison_tables",
    "noise_table",
    "radiation_noise",
    "replicate_rho",
]

MARGIN_PER_NOISE = 0.25


def replicate_rho(a: pd.Series, b: pd.Series, min_lines: int = 10) -> tuple[float, int]:
    """(rho, n): Pearson correlation of two measurements over lines measured in both; NaN below `min_lines`."""
    both = pd.concat([a, b], axis=1, join="inner").dropna()
    if len(both) < min_lines:
        return np.nan, len(both)
    return float(both.iloc[:, 0].corr(both.iloc[:, 1])), len(both)


def _trapezoid_weights(dose: np.ndarray) -> np.ndarray:
    """Weights of the trapezoid rule over [0, max dose] with the point (0 Gy, SF 1) added, for the measured doses."""
    grid = np.r_[0.0, dose]
    w = np.zeros(grid.size)
    h = np.diff(grid)
    w[:-1] += h / 2
    w[1:] += h / 2
    return w[1:]


def radiation_noise(yard: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """sigma_e for the metrics of a table of survival curves (Yard) from the scatter of each curve around its LQ fit
    (module docstring).

    Keys: 'auc', 'sf_<d>gy' per measured dose, 'sf2' (the 2 Gy residual scatter), 'neg_alpha', 'neg_beta'.
    """
    dose, cols = sf_columns(yard)
    fits = fit_lq(yard)
    sf = yard[cols].to_numpy(float)
    pred = lq_survival(dose[None, :], fits["alpha"].to_numpy()[:, None], fits["beta"].to_numpy()[:, None])
    resid = sf - pred
    out: dict[str, tuple[float, str]] = {}
    for j, c in enumerate(cols):
        out[c] = (float(np.nanstd(resid[:, j], ddof=1)), f"SD of SF residuals around the LQ fit at {dose[j]:g} Gy")
    if 2.0 in dose:
        out["sf2"] = (out[cols[list(dose).index(2.0)]][0], "SD of SF residuals around the LQ fit at 2 Gy")
    w = _trapezoid_weights(dose)
    var_auc = np.nansum(w[None, :] ** 2 * resid**2, axis=1)
    out["auc"] = (float(np.sqrt(np.nanmean(var_auc))), "LQ-fit residuals propagated through the 0-10 Gy trapezoid")
    with np.errstate(divide="ignore", invalid="ignore"):
        y = -np.log(sf)
    se_a, se_b = [], []
    design = np.column_stack([dose, dose**2])
    for row in y:
        ok = np.isfinite(row)
        if ok.sum() < 4:
            continue
        x = design[ok]
        coef, *_ = np.linalg.lstsq(x, row[ok], rcond=None)
        s2 = float(((row[ok] - x @ coef) ** 2).sum() / (ok.sum() - 2))
        cov = s2 * np.linalg.inv(x.T @ x)
        se_a.append(cov[0, 0])
        se_b.append(cov[1, 1])
    out["neg_alpha"] = (float(np.sqrt(np.mean(se_a))), "RMS standard error of alpha in the per-line LQ fit")
    out["neg_beta"] = (float(np.sqrt(np.mean(se_b))), "RMS standard error of beta in the per-line LQ fit")
    return out


def _gdsc_rho(cat: Catalog, resp: pd.DataFrame) -> dict[tuple[str, str], tuple[float, int]]:
    """(therapy, metric) -> (rho, n) of GDSC1 vs GDSC2 for therapies screened in both releases."""
    first, second = ds.REPLICATE_RELEASES
    out = {}
    for t in cat.therapies.values():
        if first not in t.datasets or second not in t.datasets:
            continue
        for metric in response_dataset(first).metrics:
            a = column(first, t.datasets[first], metric)
            b = column(second, t.datasets[second], metric)
            if a in resp and b in resp:
                rho, n = replicate_rho(resp[a], resp[b])
                if np.isfinite(rho):
                    out[(t.id, metric)] = (rho, n)
    return out


def _comparison_metric(metric: str, compared: dict[str, tuple[float, int]]) -> str:
    """The metric of a protocol comparison table that stands for response metric `metric`: the same metric (SF at d Gy
    `sf_<d>gy` is the table's `sf<d>`) when the table has it, else the AUC (module docstring)."""
    dose = metric.removeprefix("sf_").removesuffix("gy") if metric.startswith("sf_") and metric.endswith("gy") else None
    key = f"sf{dose}" if dose is not None else metric
    return key if key in compared else "auc"


def clonogenic_rho(clonogenic: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """Yard metric -> (rho, n) between the clonogenic and the 9-day proliferation assay on the same lines."""
    out = {}
    for metric, group in clonogenic.groupby("metric"):
        rho, n = replicate_rho(group["clonogenic"], group["proliferative"], min_lines=8)
        out[str(metric)] = (rho, n)
    return out


def _rho_for(col: str, tid: str | None, gdsc: dict, clono: dict[str, dict]) -> tuple[float, str]:
    dataset, _, metric = split(col)
    registered = RESPONSE_DATASETS.get(dataset)
    if registered is not None and registered.protocol_comparison:
        compared = clono.get(dataset, {})
        key = _comparison_metric(metric, compared)
        rho, n = compared.get(key, (np.nan, 0))
        return rho, f"clonogenic vs 9-day assay, {key}, {n} lines"
    if dataset in ds.REPLICATE_RELEASES and (tid, metric) in gdsc:
        rho, n = gdsc[(tid, metric)]
        return rho, f"GDSC1 vs GDSC2, {n} lines"
    use = metric  # another drug screen (CTRP: AUC only): the median replicate rho of the same metric
    values = [r for (_, m), (r, _) in gdsc.items() if m == use]
    return (float(np.median(values)) if values else np.nan), f"median GDSC1 vs GDSC2 rho ({use}, {len(values)} drugs)"


def noise_table(
    cat: Catalog,
    resp: pd.DataFrame,
    columns: list[str],
    therapy_of: dict[str, str],
    curves: dict[str, pd.DataFrame] | None = None,
    comparisons: dict[str, pd.DataFrame] | None = None,
    margin_per_noise: float = MARGIN_PER_NOISE,
) -> pd.DataFrame:
    """Per response column: rho, SEM = SD sqrt(1 - rho), margin = MARGIN_PER_NOISE * SEM, sigma_lq (radiation).

    `therapy_of` maps each column to its catalog therapy id. `curves`: data set id -> its table of survival curves
    (`responses.curve_tables`), for `sigma_lq` of its columns; `comparisons`: data set id -> its protocol comparison
    table (`ResponseDataset.protocol_comparison`, `comparison_tables`), for the rho of its columns. A registered data
    set with a protocol comparison but no table here gets rho NaN. `margin_per_noise`: the rule's constant (1/4; other
    values for sensitivity analyses).
    """
    gdsc = _gdsc_rho(cat, resp)
    clono = {k: clonogenic_rho(t) for k, t in (comparisons or {}).items()}
    lq = {k: radiation_noise(t) for k, t in (curves or {}).items()}
    rows = []
    for col in columns:
        tid = therapy_of.get(col)
        sd = float(resp[col].std())
        rho, how = _rho_for(col, tid, gdsc, clono)
        sem = sd * float(np.sqrt(max(1.0 - rho, 0.0))) if np.isfinite(rho) else np.nan
        dataset, _, metric = split(col)
        rows.append(
            {
                "response": col,
                "therapy": tid,
                "rho": rho,
                "noise_source": how,
                "sd": sd,
                "sem": sem,
                "margin": margin_per_noise * sem,
                "sigma_lq": lq.get(dataset, {}).get(metric, (np.nan, ""))[0],
            }
        )
    return pd.DataFrame(rows).set_index("response")


def comparison_tables(cols: list[str], data: str | os.PathLike[str] | None = None) -> dict[str, pd.DataFrame]:
    """Data set id -> its protocol comparison table (`ResponseDataset.protocol_comparison`, read from the bundle), for
    the data sets among the response columns `cols` that declare one."""
    bundle = Bundle.locate(data)
    sets = {ResponseKey.parse(c).dataset for c in cols}
    out = {}
    for d in RESPONSE_DATASETS.values():
        if d.id in sets and d.protocol_comparison:
            out[d.id] = bundle.load(d.protocol_comparison)
    return out
