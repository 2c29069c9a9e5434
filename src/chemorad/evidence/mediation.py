"""What explains a radiation-drug cross-resistance correlation: catalog-linked mechanisms, general sensitivity, rest.

For responses a (radiation) and b (a drug) on lines with both and a tissue, r is their partial correlation given tissue
(`crossres.py`). A covariate set S *explains* the share

    share(S) = (r - r_S) / r,   r_S = partial correlation of a and b given tissue and S,

of it (a difference-in-coefficients mediation share; it can be negative when adjusting for S uncovers a larger r, and
above 1 when the sign flips). Candidates, each added on its own and then all together:

- mediators: only mechanisms the catalog links to *both* therapies (`linked_mechanisms`: a chain effect that selects
  radiation and one that selects the drug), so a share names a route that can carry resistance from one therapy to the
  other; a mechanism linked to one therapy only cannot mediate, however much it correlates;
- general sensitivity: the first principal component of the other drugs' responses in the drug's data set (within-tissue
  centred, z-scored; missing values at the column mean; the drug itself left out, so b does not explain itself). Lines
  differ in general levels of drug sensitivity, which confounds drug-specific associations (Geeleher et al. 2016, Genome
  Biol 17:190, recalled);
- proliferation: the expression proliferation score (`proliferation.py`), when given.

`unexplained` = r_all / r: the share left after tissue, all linked mediators, general sensitivity and proliferation.
Intervals: percentile bootstrap over lines (each resample re-centred within tissue and re-adjusted). Scores of a
mechanism a line lacks are set to 0 (= its tissue mean, scores being centred within tissue), so every candidate is
judged on the same lines; the number of lines with a real score is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog

__all__ = ["explain_pair", "general_sensitivity", "linked_mechanisms"]


def linked_mechanisms(cat: Catalog, therapy_a: str, therapy_b: str) -> list[str]:
    """Mechanisms whose chain effects select both therapies (catalog links, not correlations)."""
    return [m.id for m in cat.mechanisms.values() if m.effects and {therapy_a, therapy_b} <= set(cat.therapies_for(m))]


def _within_tissue(values: np.ndarray, tissue: np.ndarray) -> np.ndarray:
    out = values.astype(float).copy()
    for t in np.unique(tissue):
        rows = tissue == t
        block = out[rows]
        seen = np.isfinite(block).any(axis=0)  # a drug never measured in this tissue stays NaN
        block[:, seen] -= np.nanmean(block[:, seen], axis=0)
        out[rows] = block
    return out


def general_sensitivity(resp: pd.DataFrame, tissue: pd.Series, min_fraction: float = 0.5) -> pd.Series:
    """First principal component (sign: higher = more resistant on average) of the columns of `resp`, per line.

    Columns are centred within tissue and z-scored; lines with fewer than `min_fraction` of the columns measured get
    NaN; other missing values are set to 0 (the column mean).
    """
    frame = resp.join(tissue.rename("_tissue"), how="inner").dropna(subset=["_tissue"])
    x = frame.drop(columns="_tissue").to_numpy(float)
    keep = np.isfinite(x).mean(axis=1) >= min_fraction
    x = _within_tissue(x[keep], frame["_tissue"].to_numpy()[keep])
    x = (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0, ddof=1)
    x = np.where(np.isfinite(x), x, 0.0)
    _, vecs = np.linalg.eigh(x.T @ x)  # leading eigenvector of the drugs' Gram matrix: PC1 loadings (k x k, cheap)
    pc = x @ vecs[:, -1]
    if np.corrcoef(pc, x.mean(axis=1))[0, 1] < 0:
        pc = -pc
    return pd.Series(pc / pc.std(ddof=1), index=frame.index[keep], name="general_sensitivity")


def _indicator(tissue: np.ndarray) -> np.ndarray:
    levels, codes = np.unique(tissue, return_inverse=True)
    t = np.zeros((len(tissue), len(levels)))
    t[np.arange(len(tissue)), codes] = 1.0
    return t


def _pcor_given(res_ab: np.ndarray, res_z: np.ndarray) -> float:
    """Correlation of the two columns of res_ab after regressing both on res_z (all already tissue-residualised)."""
    if res_z.shape[1]:
        coef, *_ = np.linalg.lstsq(res_z, res_ab, rcond=None)
        res_ab = res_ab - res_z @ coef
    a, b = res_ab[:, 0], res_ab[:, 1]
    den = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / den) if den > 0 else np.nan


def _shares(values: np.ndarray, tissue: np.ndarray, groups: dict[str, list[int]]) -> dict[str, float]:
    """r given tissue, and r given tissue + each group of covariate columns (indices into values[:, 2:])."""
    t = _indicator(tissue)
    coef, *_ = np.linalg.lstsq(t, values, rcond=None)
    res = values - t @ coef
    out = {"r": _pcor_given(res[:, :2], res[:, :0])}
    for name, cols in groups.items():
        out[name] = _pcor_given(res[:, :2], res[:, [2 + c for c in cols]])
    return out


def explain_pair(
    a: pd.Series,
    b: pd.Series,
    tissue: pd.Series,
    covariates: pd.DataFrame,
    mediators: list[str],
    rng: np.random.Generator | None = None,
    n_boot: int = 200,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of r(a, b | tissue) explained by each mediator, by all mediators, by each other covariate, and unexplained.

    `covariates`: lines x columns holding the mediator scores (names in `mediators`) and the other candidates (e.g.
    `general_sensitivity`, `proliferation`). Lines need a, b and tissue (and the non-mediator covariates); missing
    mediator scores are 0. Returns one row per candidate (kind 'mediator', 'all mediators', 'other', 'unexplained')
    with share, ci_low, ci_high, r_adjusted, n_scored (lines with a real value) and n.
    """
    others = [c for c in covariates.columns if c not in mediators]
    frame = pd.concat({"a": a, "b": b, "t": tissue}, axis=1, join="inner").dropna()
    frame = frame.join(covariates, how="left").dropna(subset=others)
    scored = {m: int(frame[m].notna().sum()) for m in covariates.columns}
    frame[mediators] = frame[mediators].fillna(0.0)
    cols = [*mediators, *others]
    values = frame[["a", "b", *cols]].to_numpy(float)
    tv = frame["t"].to_numpy()
    groups: dict[str, list[int]] = {m: [i] for i, m in enumerate(cols)}
    if mediators:
        groups["all mediators"] = list(range(len(mediators)))
    groups["unexplained"] = list(range(len(cols)))
    est = _shares(values, tv, groups)
    boots = []
    if rng is not None and n_boot > 0:
        n = len(frame)
        for _ in range(n_boot):
            idx = rng.integers(0, n, size=n)
            boots.append(_shares(values[idx], tv[idx], groups))
    rows = []
    for name in groups:
        kind = "mediator" if name in mediators else ("other" if name in others else name)
        share = _share(est["r"], est[name], name)
        lo = hi = np.nan
        if boots:
            bs = np.array([_share(bo["r"], bo[name], name) for bo in boots])
            bs = bs[np.isfinite(bs)]
            if bs.size:
                lo, hi = np.quantile(bs, [0.5 - level / 2, 0.5 + level / 2])
        rows.append(
            {
                "candidate": name,
                "kind": kind,
                "share": share,
                "ci_low": float(lo),
                "ci_high": float(hi),
                "r_tissue": est["r"],
                "r_adjusted": est[name],
                "n_scored": scored.get(name, len(frame)),
                "n": len(frame),
            }
        )
    return pd.DataFrame(rows)


def _share(r: float, r_adj: float, name: str) -> float:
    if not np.isfinite(r) or r == 0:
        return np.nan
    return r_adj / r if name == "unexplained" else (r - r_adj) / r
