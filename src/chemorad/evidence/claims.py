"""Claim verdicts: does the data bear out what the sources claim about each mechanism?

For every mechanism, every claim recorded for it (specificity + sources) and every therapy with response data, the claim
implies an expectation:

- "acts": the claim's modality weight for the therapy is > 0 (e.g. `shared`, or `chemotherapy_only` for a drug) and the
  therapy is one the mechanism's chain effects select (a pump acts on its substrates only; a mechanism without chain
  effects is taken to act on every therapy of the claimed modality);
- "no effect" otherwise (e.g. ABCB1 on radiation, or on cisplatin, which is no substrate).

The data: the tissue-adjusted association (`associations.py`; response ~ score + tissue + MSI) of the mechanism's
activity score (`scores.py`, per within-tissue SD) with the therapy's response in each dataset (Yard AUC; GDSC1/GDSC2
ln IC50; CTRP AUC; all oriented so that higher = more resistant). FDR: Benjamini-Hochberg over every mechanism x
response test.

Verdicts (thresholds stated, not tuned):

| expectation | supported | contradicted | inconclusive |
| --- | --- | --- | --- |
| acts (resistance) | effect > 0, FDR < 0.1 | effect < 0, FDR < 0.1 | otherwise |
| acts (sensitisation) | effect < 0, FDR < 0.1 | effect > 0, FDR < 0.1 | otherwise |
| no effect | 95% CI inside +-0.1 SD of the response per SD of score | FDR < 0.1 (either sign) | otherwise |

`not testable`: the mechanism has no usable marker in the bundle (see the coverage table), or fewer than `MIN_LINES`
lines have both score and response. A marker that measures a mechanism poorly weakens every verdict built on it: the
verdicts test the claims *as operationalised by the catalog's markers*.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.views import CLAIM_WEIGHT
from chemorad.evidence import datasets as ds
from chemorad.evidence.associations import associations, covariate_design
from chemorad.evidence.responses import responses, split, therapy_columns
from chemorad.evidence.scores import Scores, mechanism_scores

FDR_ALPHA = 0.1
EQUIVALENCE_SD = 0.1
MIN_LINES = 30
PRIMARY = {"yard": "auc", "gdsc1": "ln_ic50", "gdsc2": "ln_ic50", "ctrp": "auc"}


def _expectation(weight: float, touched: bool, direction: str) -> str:
    if weight > 0 and touched:
        return "sensitisation" if direction == "sensitisation" else "resistance"
    return "no effect"


def _verdict(expect: str, effect: float, ci_low: float, ci_high: float, fdr: float, sd_y: float) -> str:
    significant = fdr < FDR_ALPHA
    if expect == "no effect":
        if significant:
            return "contradicted"
        margin = EQUIVALENCE_SD * sd_y
        return "supported" if (-margin < ci_low and ci_high < margin) else "inconclusive"
    sign = 1.0 if expect == "resistance" else -1.0
    if significant:
        return "supported" if sign * effect > 0 else "contradicted"
    return "inconclusive"


def evidence_tables(
    cat: Catalog, data: str | os.PathLike[str] | None = None
) -> tuple[Scores, pd.DataFrame, pd.DataFrame]:
    """Scores, the response matrix and the tissue/MSI covariate design, all on the bundle's lines."""
    sc = mechanism_scores(cat, data)
    resp = responses(cat, data)
    lines = ds.cell_lines(data)
    cov = covariate_design(lines["tissue"], lines["msi"].astype(float), min_lines=5)
    return sc, resp, cov


def claim_verdicts(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per mechanism x claim x therapy x dataset (primary metric): expectation, effect, CI, FDR, n, verdict."""
    say = progress or (lambda _msg: None)
    say("scoring mechanisms")
    sc, resp, cov = evidence_tables(cat, data)
    cols = [c for c in resp.columns if PRIMARY.get(split(c)[0]) == split(c)[2]]
    say("fitting associations")
    assoc = associations(sc.scores, resp[cols], cov, min_n=MIN_LINES).set_index(["feature", "response"])
    sd_y = resp[cols].std()
    by_therapy = therapy_columns(cat, pd.Index(cols))
    usable = set(sc.scores.columns)
    rows = []
    for m in cat.mechanisms.values():
        touched = set(cat.therapies_for(m)) if m.effects else set(cat.therapies)
        for claim in m.claims:
            for tid, tcols in by_therapy.items():
                t = cat.therapies[tid]
                expect = _expectation(CLAIM_WEIGHT[claim.specificity][t.modality], tid in touched, m.direction)
                for col in tcols:
                    dataset, compound, metric = split(col)
                    base = {
                        "mechanism": m.id,
                        "claim": claim.specificity.value,
                        "sources": ", ".join(claim.sources),
                        "therapy": tid,
                        "dataset": dataset,
                        "compound": compound,
                        "metric": metric,
                        "expected": expect,
                    }
                    key = (m.id, col)
                    if m.id not in usable:
                        rows.append({**base, "verdict": "not testable", "reason": "no usable marker"})
                    elif key not in assoc.index:
                        rows.append({**base, "verdict": "not testable", "reason": f"fewer than {MIN_LINES} lines"})
                    else:
                        a = assoc.loc[key]
                        v = _verdict(expect, a.effect, a.ci_low, a.ci_high, a.fdr, float(sd_y[col]))
                        rows.append(
                            {
                                **base,
                                "effect": a.effect,
                                "effect_sd": a.effect / sd_y[col],
                                "ci_low": a.ci_low,
                                "ci_high": a.ci_high,
                                "p_value": a.p_value,
                                "fdr": a.fdr,
                                "n": int(a.n),
                                "verdict": v,
                                "reason": "",
                            }
                        )
    cols_out = [
        "mechanism",
        "claim",
        "sources",
        "therapy",
        "dataset",
        "compound",
        "metric",
        "expected",
        "effect",
        "effect_sd",
        "ci_low",
        "ci_high",
        "p_value",
        "fdr",
        "n",
        "verdict",
        "reason",
    ]
    out = pd.DataFrame(rows).reindex(columns=cols_out)
    out["n"] = out["n"].astype("Int64")
    return out


def summarise(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per mechanism and claim: how many therapy x dataset tests support, contradict, or cannot decide."""
    counts = verdicts.pivot_table(
        index=["mechanism", "claim", "sources"], columns="verdict", values="therapy", aggfunc="count", fill_value=0
    )
    for v in ("supported", "contradicted", "inconclusive", "not testable"):
        if v not in counts.columns:
            counts[v] = 0
    return counts[["supported", "contradicted", "inconclusive", "not testable"]].reset_index()


def strongest(verdicts: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The n tests with the smallest FDR, for a quick read."""
    return verdicts.dropna(subset=["fdr"]).sort_values("fdr").head(n)


def verdict_records(verdicts: pd.DataFrame) -> list[dict]:
    """JSON records with the documented keys (plus claim, sources, expected, metric)."""
    keep = [
        "mechanism",
        "claim",
        "sources",
        "therapy",
        "dataset",
        "metric",
        "expected",
        "effect",
        "ci_low",
        "ci_high",
        "fdr",
        "n",
        "verdict",
    ]
    frame = verdicts[keep].astype(object).where(verdicts[keep].notna(), None)
    return frame.to_dict("records")
