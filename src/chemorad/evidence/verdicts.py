"""Decision rules for claim verdicts: effects that matter, equivalence (TOST), per-family FDR and the lines needed.

A tested association gives an effect b (response units per within-tissue SD of the mechanism score), its standard error
se and residual degrees of freedom df (`associations.py`). Each family (one therapy x one data set) has a margin
delta > 0 in response units: effects with |b| < delta are *too small to matter* (`margins.py` derives delta from the
assay's own test-retest noise). Three one-sided questions are asked of every test, each with its p-value from Student's
t with df:

    positive (b > +delta):   p_pos = P(T >= (b - delta) / se)
    negative (b < -delta):   p_neg = P(T <= (b + delta) / se)
    equivalent (|b| < delta, two one-sided tests, Schuirmann 1987, J Pharmacokinet Biopharm 15:657):
                             p_eq = max(P(T >= (b + delta) / se), P(T <= (b - delta) / se))

Each vector of p-values is adjusted by Benjamini-Hochberg *within its family* (`scipy.stats.false_discovery_control`),
and a conclusion is drawn when its q < `FDR_ALPHA`. The three conclusions exclude one another (at most one can reach
q < 0.5 for a given test), so the call is well defined:

| claim | supported | contradicted | inconclusive |
| --- | --- | --- | --- |
| acts, resistance | positive | negative, or equivalent (the effect is shown to be negligible) | otherwise |
| acts, sensitisation | negative | positive, or equivalent | otherwise |
| no effect | equivalent | positive or negative | otherwise |

`reason` says which conclusion decided it. `n_to_decide`: for an inconclusive test, the number of lines at which a
test with the same per-line information would decide it with 80% power at one-sided alpha 0.05, taking the observed
effect as true: se scales as 1/sqrt(n), so n' = n (z_0.95 + z_0.80)^2 se^2 / (|b| - delta)^2 (toward an effect when
|b| > delta, toward equivalence when |b| < delta). It is an estimate (the observed effect is not the truth, and the FDR
step asks for more), NaN when |b| is within 1% of delta.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = ["FDR_ALPHA", "decide", "family_fdr", "lines_to_decide", "one_sided_pvalues", "verdict"]

FDR_ALPHA = 0.1
POWER = 0.8
ALPHA_ONE_SIDED = 0.05


def family_fdr(p_values, families) -> np.ndarray:
    """Benjamini-Hochberg q-values computed separately within each family; NaN p-values stay NaN."""
    p = np.asarray(p_values, dtype=float)
    fam = pd.Series(np.asarray(families, dtype=object))
    out = np.full(p.shape, np.nan)
    for _, idx in fam.groupby(fam, sort=False).indices.items():
        sub = p[idx]
        ok = np.isfinite(sub)
        if ok.any():
            q = np.full(sub.shape, np.nan)
            q[ok] = stats.false_discovery_control(sub[ok], method="bh")
            out[idx] = q
    return out


def one_sided_pvalues(effect, se, dof, margin) -> dict[str, np.ndarray]:
    """p_pos, p_neg, p_eq (module docstring) and the usual two-sided p of b = 0, all arrays."""
    b = np.asarray(effect, dtype=float)
    s = np.asarray(se, dtype=float)
    d = np.asarray(dof, dtype=float)
    m = np.asarray(margin, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_pos = special.stdtr(d, -(b - m) / s)
        p_neg = special.stdtr(d, (b + m) / s)
        p_eq = np.maximum(special.stdtr(d, -(b + m) / s), special.stdtr(d, (b - m) / s))
        p_two = 2.0 * special.stdtr(d, -np.abs(b / s))
    return {"p_pos": p_pos, "p_neg": p_neg, "p_eq": p_eq, "p_value": p_two}


def decide(q_pos, q_neg, q_eq, alpha: float = FDR_ALPHA) -> np.ndarray:
    """'positive', 'negative', 'equivalent' or 'undecided' per test from the three family q-values."""
    q_pos, q_neg, q_eq = (np.asarray(q, dtype=float) for q in (q_pos, q_neg, q_eq))
    out = np.full(q_pos.shape, "undecided", dtype=object)
    out[q_eq < alpha] = "equivalent"
    out[q_neg < alpha] = "negative"
    out[q_pos < alpha] = "positive"
    return out


_TABLE = {
    "resistance": {"positive": "supported", "negative": "contradicted", "equivalent": "contradicted"},
    "sensitisation": {"negative": "supported", "positive": "contradicted", "equivalent": "contradicted"},
    "no effect": {"equivalent": "supported", "positive": "contradicted", "negative": "contradicted"},
}


def verdict(expected, conclusion) -> np.ndarray:
    """The verdict table of the module docstring, element-wise."""
    exp = np.asarray(expected, dtype=object)
    con = np.asarray(conclusion, dtype=object)
    return np.array([_TABLE[e].get(c, "inconclusive") for e, c in zip(exp, con, strict=True)], dtype=object)


def lines_to_decide(effect, se, n, margin) -> np.ndarray:
    """Lines needed to decide a test with 80% power at one-sided alpha 0.05, the observed effect taken as true."""
    b = np.abs(np.asarray(effect, dtype=float))
    gap = np.abs(b - np.asarray(margin, dtype=float))
    z = stats.norm.ppf(1 - ALPHA_ONE_SIDED) + stats.norm.ppf(POWER)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.asarray(n, dtype=float) * (z * np.asarray(se, dtype=float) / gap) ** 2
    need = np.where(gap > 0.01 * np.asarray(margin, dtype=float), np.ceil(need), np.nan)
    return need
