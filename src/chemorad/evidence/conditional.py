"""Conditional prediction: given a tumour's observed response to one therapy, the distribution of its other responses.

This is cross-resistance in the form a clinician meets it: a tumour responded poorly to induction cisplatin; how is it
likely to respond to radiotherapy, or to docetaxel?

Joint distribution (a within-tissue Gaussian copula). For the observed therapy's response a and a target's response t
(primary metrics, higher = more resistant, on the lines measured for both), each is replaced by its within-tissue normal
score z = Phi^-1((rank - 1/2) / n_tissue) (tissues with at least `MIN_TISSUE_LINES` lines), which removes tissue
differences and makes the margins standard normal; (z_a, z_t) is taken as bivariate normal with correlation r (Pearson
correlation of the normal scores). An observation is a region or a point of z_a:

| --observed | meaning | z_a |
| --- | --- | --- |
| `THERAPY=resistant` | in the top quarter of its tissue | z_a > Phi^-1(0.75) |
| `THERAPY=sensitive` | in the bottom quarter | z_a < Phi^-1(0.25) |
| `THERAPY=q0.9` | at that within-tissue quantile | Phi^-1(0.9) |
| `THERAPY=2.3` | that value of `response_observed` (e.g. GDSC2 ln IC50, uM) | Phi^-1 of its quantile among all lines |

Prediction: z_t | observation, by Monte Carlo from the bivariate normal (z_a drawn from its truncated normal for a
region, then z_t | z_a ~ N(r z_a, 1 - r^2)); reported as the predicted within-tissue percentile of t (median and
10-90% range) and P(t in its top quarter), against 0.25 without the observation. Interval: percentile bootstrap over
lines (r re-estimated per resample). Beside it, the empirical answer: among lines whose a lies in the observed region
(or within +-0.1 in quantile of a point), the share in t's top quarter, with a Wilson score interval.

With a molecular profile: m_t, a ridge prediction of z_t from the 50-odd mechanism scores (`scores.py`; missing = 0,
the tissue mean; penalty by `RidgeCV`), out of fold (5 folds) on the bundle. (z_t, z_a, m_t) is taken as trivariate
normal with the correlations of the out-of-fold predictions, and z_t is conditioned on the observation and on the
sample's m_t (its out-of-fold value for a bundle line; for a new sample, the model fitted on all lines applied to its
scores, with the sample's own tissue-relative scores).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import ResponseKey, preference
from chemorad.errors import ChemoradError
from chemorad.evidence.responses import therapy_columns

__all__ = [
    "MIN_TISSUE_LINES",
    "Observed",
    "conditional_prediction",
    "normal_scores",
    "parse_observed",
]

MIN_TISSUE_LINES = 5
RESISTANT_Q = 0.75
SENSITIVE_Q = 0.25
POINT_WINDOW = 0.1
_QUANTILE = re.compile(r"^q(0?\.\d+|0|1(\.0*)?)$")


@dataclass(frozen=True)
class Observed:
    """An observed response: therapy id, kind (resistant, sensitive, quantile, value), the number for the last two."""

    therapy: str
    kind: str
    value: float | None
    text: str


def parse_observed(text: str, cat: Catalog) -> Observed:
    """Parse `THERAPY=resistant|sensitive|q<quantile>|<value>`; a malformed text is a one-line `ChemoradError`."""
    hint = "expected THERAPY=resistant, THERAPY=sensitive, THERAPY=q0.9 (a quantile) or THERAPY=2.3 (a value)"
    if text.count("=") != 1:
        raise ChemoradError(f"--observed {text!r}: {hint}")
    therapy, state = (p.strip() for p in text.split("="))
    if not therapy or not state:
        raise ChemoradError(f"--observed {text!r}: {hint}")
    cat.therapy(therapy)
    state_l = state.lower()
    if state_l in ("resistant", "sensitive"):
        return Observed(therapy, state_l, None, text)
    if _QUANTILE.match(state_l):
        q = float(state_l[1:])
        if not 0 < q < 1:
            raise ChemoradError(f"--observed {text!r}: a quantile must lie strictly between 0 and 1")
        return Observed(therapy, "quantile", q, text)
    try:
        value = float(state)
    except ValueError:
        raise ChemoradError(f"--observed {text!r}: {hint}") from None
    if not np.isfinite(value):
        raise ChemoradError(f"--observed {text!r}: the value must be a finite number")
    return Observed(therapy, "value", value, text)


def normal_scores(x: pd.Series, tissue: pd.Series) -> pd.Series:
    """Within-tissue normal scores Phi^-1((rank - 1/2) / n_t); NaN for tissues with fewer than MIN_TISSUE_LINES."""
    frame = pd.concat({"x": x, "t": tissue}, axis=1, join="inner").dropna()
    n_t = frame.groupby("t")["x"].transform("size")
    ranks = frame.groupby("t")["x"].rank(method="average")
    z = pd.Series(stats.norm.ppf((ranks - 0.5) / n_t), index=frame.index)
    return z.where(n_t >= MIN_TISSUE_LINES).reindex(x.index)


def _primary_columns(cat: Catalog, resp: pd.DataFrame, therapy: str) -> list[str]:
    cols = therapy_columns(cat, resp.columns).get(therapy, [])
    cols = [c for c in cols if ResponseKey.parse(c).is_primary]
    if not cols:
        raise ChemoradError(f"therapy {therapy!r}: no response data in the bundle")
    return sorted(cols, key=lambda c: preference(ResponseKey.parse(c).dataset))


def _pair_columns(cat: Catalog, resp: pd.DataFrame, obs: str, target: str) -> tuple[str, str]:
    """The observed and target columns with the most lines measured for both (ties: GDSC2 > GDSC1 > CTRP)."""
    best, best_n = None, -1
    for ca in _primary_columns(cat, resp, obs):
        for ct in _primary_columns(cat, resp, target):
            n = int((resp[ca].notna() & resp[ct].notna()).sum())
            if n > best_n:
                best, best_n = (ca, ct), n
    assert best is not None
    return best


def _region(obs: Observed, raw: pd.Series) -> tuple[float, float]:
    """(low, high) of z_a; equal for a point observation."""
    if obs.kind == "resistant":
        return stats.norm.ppf(RESISTANT_Q), np.inf
    if obs.kind == "sensitive":
        return -np.inf, stats.norm.ppf(SENSITIVE_Q)
    if obs.kind == "quantile":
        z = float(stats.norm.ppf(obs.value))
        return z, z
    vals = raw.dropna().to_numpy()
    q = (np.sum(vals < obs.value) + 0.5 * np.sum(vals == obs.value) + 0.5) / (vals.size + 1)
    z = float(stats.norm.ppf(q))
    return z, z


def _draw_target(corr: np.ndarray, region: tuple[float, float], m: float | None, rng, n_draw: int) -> np.ndarray:
    """Draws of z_t given z_a in `region` (and m_t = m), for correlation matrix over (z_t, z_a[, m_t])."""
    mean = np.zeros(2)
    cov = corr[:2, :2].copy()
    if m is not None:
        k = corr[:2, 2]
        mean = k * m
        cov = cov - np.outer(k, k)
    lo, hi = region
    sa = np.sqrt(max(cov[1, 1], 1e-12))
    if lo == hi:
        za = np.full(n_draw, lo)
    else:
        a, b = (lo - mean[1]) / sa, (hi - mean[1]) / sa
        za = stats.truncnorm.rvs(a, b, loc=mean[1], scale=sa, size=n_draw, random_state=rng)
    slope = cov[0, 1] / cov[1, 1]
    var = max(cov[0, 0] - slope * cov[0, 1], 1e-12)
    return mean[0] + slope * (za - mean[1]) + np.sqrt(var) * rng.standard_normal(n_draw)


def _summary(zt: np.ndarray) -> dict[str, float]:
    pct = stats.norm.cdf(zt) * 100
    return {
        "p_resistant": float(np.mean(zt > stats.norm.ppf(RESISTANT_Q))),
        "pct_median": float(np.median(pct)),
        "pct_low": float(np.quantile(pct, 0.1)),
        "pct_high": float(np.quantile(pct, 0.9)),
    }


def _wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _molecular(zt: pd.Series, scores: pd.DataFrame, rng_seed: int) -> tuple[pd.Series, object]:
    """Out-of-fold ridge predictions of z_t from mechanism scores (5 folds), and the model fitted on all lines."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict

    lines = zt.dropna().index.intersection(scores.index)
    x = scores.loc[lines].fillna(0.0).to_numpy(float)
    y = zt.loc[lines].to_numpy(float)
    model = RidgeCV(alphas=np.logspace(-1, 4, 16))
    folds = KFold(5, shuffle=True, random_state=rng_seed)
    oof = cross_val_predict(model, x, y, cv=folds)
    model.fit(x, y)
    return pd.Series(oof, index=lines), model


def conditional_prediction(  # noqa: PLR0913 - the observation, the targets and the options of one query
    cat: Catalog,
    resp: pd.DataFrame,
    tissue: pd.Series,
    observed: Observed,
    targets: list[str],
    rng: np.random.Generator,
    scores: pd.DataFrame | None = None,
    sample_scores: pd.Series | None = None,
    sample_line: str | None = None,
    n_boot: int = 200,
    n_draw: int = 20000,
) -> pd.DataFrame:
    """One row per target (and per model: 'tissue copula', plus 'with profile' when a profile is given).

    resp: lines x response columns (`responses.responses`); tissue: per line. For the profile: `scores` (lines x
    mechanisms, the bundle) and either `sample_line` (a bundle line: its out-of-fold prediction) or `sample_scores`
    (a new sample's mechanism scores). Columns: observed, target, model, response_observed, response_target, n, r,
    r_low, r_high, rho_profile, p_resistant (+ _low, _high), baseline, pct_median, pct_low, pct_high, empirical_n,
    empirical_p_resistant (+ _low, _high).
    """
    rows = []
    for target in targets:
        cat.therapy(target)
        if target == observed.therapy:
            raise ChemoradError(f"--therapies {target}: the observed therapy cannot also be a target")
        ca, ct = _pair_columns(cat, resp, observed.therapy, target)
        za, zt = normal_scores(resp[ca], tissue), normal_scores(resp[ct], tissue)
        both = pd.concat({"a": za, "t": zt}, axis=1).dropna()
        if len(both) < 30:
            raise ChemoradError(f"{observed.therapy} and {target}: only {len(both)} lines measured for both")
        region = _region(observed, resp[ca])
        base = {"observed": observed.text, "target": target, "response_observed": ca, "response_target": ct}
        rows.append({**base, **_one(both, None, None, region, rng, n_boot, n_draw), "model": "tissue copula"})
        if scores is not None and (sample_line is not None or sample_scores is not None):
            oof, model = _molecular(zt, scores, rng_seed=0)
            both_m = both.join(oof.rename("m"), how="inner")
            mu, sd = float(both_m["m"].mean()), float(both_m["m"].std(ddof=1))
            both_m["m"] = (both_m["m"] - mu) / sd
            if sample_line is not None:
                if sample_line not in oof.index:
                    raise ChemoradError(
                        f"--cell-line {sample_line}: no mechanism scores or {target} response in the bundle"
                    )
                m = (float(oof[sample_line]) - mu) / sd
            else:
                x = sample_scores.reindex(scores.columns).fillna(0.0).to_numpy(float)[None, :]
                m = (float(model.predict(x)[0]) - mu) / sd
            one = _one(both_m, m, "m", region, rng, n_boot, n_draw)
            rows.append({**base, **one, "model": "with profile", "profile_z": m})
    return pd.DataFrame(rows)


def _corr(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    c = np.corrcoef(frame[cols].to_numpy(float), rowvar=False)
    return np.atleast_2d(c)


def _one(both: pd.DataFrame, m: float | None, mcol: str | None, region, rng, n_boot: int, n_draw: int) -> dict:
    cols = ["t", "a"] + ([mcol] if mcol else [])
    corr = _corr(both, cols)
    est = _summary(_draw_target(corr, region, m, rng, n_draw))
    boots = []
    values = both[cols].to_numpy(float)
    for _ in range(n_boot):
        idx = rng.integers(0, len(values), size=len(values))
        c = np.corrcoef(values[idx], rowvar=False)
        boots.append((c[0, 1], _summary(_draw_target(c, region, m, rng, max(n_draw // 5, 1000)))["p_resistant"]))
    b = np.array(boots) if boots else np.full((1, 2), np.nan)
    lo_r, hi_r = np.nanquantile(b[:, 0], [0.025, 0.975])
    lo_p, hi_p = np.nanquantile(b[:, 1], [0.025, 0.975])
    lo, hi = region
    if lo == hi:
        q = stats.norm.cdf(lo)
        sel = np.abs(stats.norm.cdf(both["a"]) - q) <= POINT_WINDOW
    else:
        sel = (both["a"] > lo) & (both["a"] < hi)
    hit = both.loc[sel, "t"] > stats.norm.ppf(RESISTANT_Q)
    e_lo, e_hi = _wilson(int(hit.sum()), int(sel.sum()))
    return {
        "n": len(both),
        "r": float(corr[0, 1]),
        "r_low": float(lo_r),
        "r_high": float(hi_r),
        "rho_profile": float(corr[0, 2]) if mcol else np.nan,
        **est,
        "p_resistant_low": float(lo_p),
        "p_resistant_high": float(hi_p),
        "baseline": 1 - RESISTANT_Q,
        "empirical_n": int(sel.sum()),
        "empirical_p_resistant": float(hit.mean()) if sel.any() else np.nan,
        "empirical_p_low": e_lo,
        "empirical_p_high": e_hi,
    }


def conditional_for_samples(
    cat: Catalog,
    observed: Observed,
    targets: list[str],
    resp: pd.DataFrame,
    tissue: pd.Series,
    scores: pd.DataFrame,
    sample_scores: pd.DataFrame,
    rng: np.random.Generator,
    n_boot: int = 200,
) -> pd.DataFrame:
    """`conditional_prediction` for each sample (rows of `sample_scores`, mechanism scores on the bundle's scale).

    The 'tissue copula' rows are the same for every sample; 'with profile' rows use each sample's scores. Bundle lines
    among the samples use their out-of-fold prediction. Adds a `sample` column.
    """
    frames = []
    for sample, row in sample_scores.iterrows():
        line = str(sample) if str(sample) in scores.index else None
        t = conditional_prediction(
            cat,
            resp,
            tissue,
            observed,
            targets,
            rng,
            scores=scores,
            sample_scores=None if line else row,
            sample_line=line,
            n_boot=n_boot,
        )
        frames.append(t.assign(sample=sample))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
